"""`logitlab optimizers` end to end, and bad input refused in one line with nothing written."""

import json

import pytest

from logitlab.cli import main
from logitlab.report.staging import MARKER
from logitlab.studies import optimizers as study


def test_command_writes_the_folder_and_prints_table_and_answer(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(study, "TIMING_WORK", 0.0)  # timing precision is not tested here
    out = tmp_path / "opt"
    args = ["optimizers", "--out", str(out), "--epochs", "40", "--n", "200", "--frames", "3",
            "--grid", "7", "--batch-sizes", "50", "--starts", "-2,-1;-8,-1", "--quiet"]  # fmt: skip
    assert main(args) == 0
    names = {p.name for p in out.iterdir()} - {MARKER}  # what --force goes by
    assert (out / MARKER).is_file()
    assert {"report.html", "results.json", "endpoints.csv", "film-adam.gif"} <= names
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["starts"] == [[-2.0, -1.0], [-8.0, -1.0]]
    assert results["settings"]["epochs"] == 40 and results["settings"]["data"]["seed"] == 1
    printed = capsys.readouterr().out
    assert printed.count("\n    (-8, -1) ") == 4 and results["conclusion"][0] in printed
    assert f"Wrote {len(names)} files to {out}/" in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--starts", "3"], "start must be two numbers"),
        (["--starts", "1,2;3,4;5,6;7,8;9,1"], "starts must be 1 to 4 points"),
        (["--starts", "1,x"], "start w1 must be a finite number"),
        (["--batch-sizes", "0"], "batch size must be an integer from 1 to 2000"),
        (["--batch-sizes", "32,x"], "batch size must be an integer from 1 to 2000, got 'x'"),
        (["--batch-sizes", "32,32"], "batch sizes must differ"),
        (["--lr", "-1"], "lr must be a finite number > 0"),
        (["--epochs", "0"], "epochs must be an integer from 1 to 10**7"),
        (["--frames", "60", "--epochs", "50"], "frames must be at most epochs + 1"),
        (["--fps", "60"], "fps must be from 0.1 to 50"),
        (["--engine", "warp"], "engine must be one of auto, eager, fused"),
        (["--format", "gif"], "figure formats must be some of png, svg, pdf"),
        (["--grid", "2"], "grid size must be an integer from 3 to 2001"),
        (["--data-seed", "-1"], "data seed must be an integer from 0"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, refused, args, message):
    assert message in refused(["optimizers", "--out", str(tmp_path / "opt"), "--quiet", *args])


def test_help_names_every_default(capsys):
    with pytest.raises(SystemExit):
        main(["optimizers", "--help"])
    text = capsys.readouterr().out
    for default in ("-3,-1;-10,-1", "1024,256,32", "(default: 1000)", "(default: 0.05)",
                    "(default: 1)", "logitlab-optimizers"):  # fmt: skip
        assert default in text


def test_a_refusal_comes_before_any_heavy_import(tmp_path):
    import subprocess
    import sys

    argv = ["optimizers", "--lr", "-1", "--out", str(tmp_path / "opt")]
    code = (
        "import sys; import logitlab.cli as cli; "
        f"code = cli.main({argv!r}); "
        "print(code, sorted(m for m in ('torch', 'numpy', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout == "2 []\n", out
    assert list(tmp_path.iterdir()) == []
