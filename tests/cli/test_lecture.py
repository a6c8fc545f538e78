"""End-to-end tests of `logitlab lecture`: files, schema, report, and bad input."""

import json
import os
import subprocess
import sys

import pytest

from logitlab.cli import main
from logitlab.report import lecture as lecture_report
from logitlab.report.staging import MARKER

SMALL = ["--n", "300", "--epochs", "300", "--quiet"]
FILES = {
    "data.png",
    "data.csv",
    "results.json",
    "report.html",
    "loss-history.png",
    "diagram-detailed.svg",
    "diagram-detailed.dot",
    "diagram-compact.svg",
    "diagram-compact.dot",
    "fit-initial.png",
    "fit-bce.png",
    "fit-mse.png",
    "fit-compare.png",
    MARKER,  # what --force goes by
}


@pytest.fixture(scope="module")
def lecture_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "lecture"
    assert main(["lecture", "--out", str(out), *SMALL]) == 0
    return out


def test_every_file_is_written(lecture_out):
    assert {p.name for p in lecture_out.iterdir()} == FILES
    for name in FILES:
        assert (lecture_out / name).stat().st_size > 0
    assert (lecture_out / "data.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (lecture_out / "diagram-detailed.svg").read_text()


def test_results_json_schema(lecture_out):
    results = json.loads((lecture_out / "results.json").read_text())
    assert set(results) >= {"config", "true", "init", "fits"}
    assert results["config"]["n"] == 300 and results["config"]["epochs"] == 300
    assert results["config"]["init_seed"] == 43052 and results["config"]["lr"] == 0.05
    assert results["true"] == {"w0": -1.0, "w1": 5.0}
    assert results["init"]["w0"] == pytest.approx(-0.8470, abs=1e-4)
    assert set(results["fits"]) == {"bce", "mse"}
    for fit in results["fits"].values():
        assert set(fit) >= {"w0", "w1", "final_loss", "epochs"}
        assert fit["epochs"] == 300


def test_data_csv_holds_the_data(lecture_out):
    lines = (lecture_out / "data.csv").read_text().splitlines()
    assert lines[0] == "x,pi,y" and len(lines) == 301
    assert lines[1].split(",")[0] == "-1" and lines[-1].split(",")[0] == "1"


def test_report_is_self_contained(lecture_out):
    page = (lecture_out / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') >= 6
    assert page.count("<svg") == 2
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    for words in ("Layer 0", "BCE or MSE?", "-0.8470", "43052"):
        assert words in page


def test_same_settings_same_bytes(lecture_out, tmp_path):
    out = tmp_path / "again"
    assert main(["lecture", "--out", str(out), *SMALL]) == 0
    assert (out / "data.csv").read_bytes() == (lecture_out / "data.csv").read_bytes()
    again, first = (json.loads((o / "results.json").read_text()) for o in (out, lecture_out))
    assert again.pop("provenance")["finished"] >= first.pop("provenance")["finished"]
    assert differences(again, first) == []  # every number the same; only when it ran differs


def differences(a: object, b: object, path: str = "") -> list[str]:
    """Where two JSON records differ, as 'path: a != b' lines (empty when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [line for k in keys for line in differences(a.get(k), b.get(k), f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            line
            for i, pair in enumerate(zip(a, b, strict=True))
            for line in differences(*pair, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_single_loss_and_console_table(tmp_path, capsys):
    out = tmp_path / "bce"
    assert main(["lecture", "--out", str(out), "--loss", "bce", *SMALL]) == 0
    assert not (out / "fit-mse.png").exists()
    assert set(json.loads((out / "results.json").read_text())["fits"]) == {"bce"}
    printed = capsys.readouterr().out
    assert "initial (untrained)" in printed and "BCE fit" in printed and "report.html" in printed


BAD = [
    (["--n", "1"], "n must be an integer from 2 to 10**7"),
    (["--n", "2.5"], "n must be an integer from 2 to 10**7"),
    (["--lr", "0"], "lr must be a finite number > 0"),
    (["--lr", "nan"], "lr must be a finite number > 0"),
    (["--lr", "fast"], "lr must be a finite number > 0"),
    (["--epochs", "0"], "epochs must be an integer from 1 to 10**7"),
    (["--epochs", "1.5"], "epochs must be an integer from 1 to 10**7"),
    (["--loss", "hinge"], "loss must be bce, mse or both"),
    (["--w0", "inf"], "w0 must be a finite number"),
    (["--data-seed", "-1"], "data seed must be an integer from 0 to 2**63 - 1"),
    (["--init-seed", "x"], "init seed must be an integer from 0 to 2**63 - 1"),
    (["--bogus"], "unrecognized arguments"),
]


@pytest.mark.parametrize("args, words", BAD)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, refused, args, words):
    assert words in refused(["lecture", "--out", str(tmp_path / "out"), *SMALL, *args])


def test_out_naming_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "results.txt"
    target.write_text("precious")
    assert main(["lecture", "--out", str(target), *SMALL]) == 2
    assert "existing file" in capsys.readouterr().err
    assert target.read_text() == "precious"


def test_non_empty_folder_needs_force(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["lecture", "--out", str(out), *SMALL]) == 0
    (out / "mine.txt").write_text("added")
    assert main(["lecture", "--out", str(out), *SMALL]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err
    assert {p.name for p in out.iterdir()} == FILES | {"mine.txt"}
    assert main(["lecture", "--out", str(out), "--force", *SMALL]) == 0
    assert {p.name for p in out.iterdir()} == FILES


def test_a_failed_run_leaves_nothing(tmp_path, monkeypatch):
    def broken(run, folder, **options):
        (folder / "data.png").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(lecture_report, "write_lecture", broken)
    assert main(["lecture", "--out", str(tmp_path / "out"), *SMALL]) == 130
    assert list(tmp_path.iterdir()) == []


def test_divergence_stops_with_loss_and_epoch(tmp_path, capsys):
    code = main(["lecture", "--out", str(tmp_path / "out"), "--lr", "1e6", *SMALL])
    err = capsys.readouterr().err
    assert code != 0
    assert "bce loss diverged at epoch" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_help_explains_every_option_with_its_default():
    result = subprocess.run(
        [sys.executable, "-m", "logitlab", "lecture", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in (
        "--n",
        "--w0",
        "--w1",
        "--data-seed",
        "--init-seed",
        "--lr",
        "--epochs",
        "--loss",
        "--out",
        "--force",
        "--quiet",
    ):
        assert option in result.stdout
    assert result.stdout.count("default:") >= 10
    top = subprocess.run(
        [sys.executable, "-m", "logitlab", "--help"], capture_output=True, text=True, check=True
    )
    assert "lecture" in top.stdout


def test_output_folder_has_ordinary_permissions(lecture_out):
    mask = os.umask(0)
    os.umask(mask)
    assert lecture_out.stat().st_mode & 0o777 == 0o777 & ~mask


# --- what the report says -------------------------------------------------------------------


def report_text(folder) -> str:
    """The page without its embedded images and diagrams: the words and numbers."""
    import re

    page = (folder / "report.html").read_text()
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    return re.sub(r"<svg.*?</svg>", "", page, flags=re.S)


def test_report_has_contents_a_viewport_and_one_bce_or_mse_section(lecture_out):
    import re

    page = report_text(lecture_out)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    headings = re.findall(r'<h2 id="([^"]+)">([^<]+)</h2>', page)
    assert [text for _, text in headings] == [
        "1. The model and the loss",
        "2. The data",
        "3. The network",
        "4. Training",
        "5. The fits",
        "6. The parameters",
        "7. BCE or MSE?",
        "8. About this run",
    ]
    assert page.count("<h2") == len(headings)  # every section is in the contents
    contents = re.search(r"<nav[^>]*>(.*?)</nav>", page, flags=re.S).group(1)
    assert re.findall(r'href="#([^"]+)"', contents) == [name for name, _ in headings]
    assert "Why not MSE?" not in page  # merged into section 7, not repeated after it
    assert page.count("Why they differ") == 1


def test_report_parameter_table_has_uncertainty_odds_boundary_and_accuracy(lecture_out):
    import csv
    import math

    page = report_text(lecture_out)
    results = json.loads((lecture_out / "results.json").read_text())
    mle = results["mle"]
    z = 1.959963984540054
    for w, se in ((mle["w0"], mle["se_w0"]), (mle["w1"], mle["se_w1"])):
        assert f"<td>{se:.4f}</td>" in page
        assert f"<td>[{w - z * se:.4f}, {w + z * se:.4f}]</td>" in page
    assert f"[{math.exp(mle['w1'] - z * mle['se_w1']):.1f}, " in page
    with (lecture_out / "data.csv").open(newline="") as handle:
        rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(handle)]
    for label, fit in [*((f"{k.upper()} fit", v) for k, v in results["fits"].items()),
                       ("MLE (Newton-Raphson)", mle)]:  # fmt: skip
        w0, w1 = fit["w0"], fit["w1"]
        right = sum((w0 + w1 * x >= 0) == (y == 1) for x, y in rows) / len(rows)
        cells = (
            f"<td>{label}</td><td>{w0:.4f}</td><td>{w1:.4f}</td><td>{math.exp(w1):.4f}</td>"
            f"<td>{-w0 / w1:.4f}</td><td>{100 * right:.1f}%</td>"
        )
        assert cells in page, label
    assert "Odds ratio." in page and "Decision boundary." in page
    assert f"x = −ŵ0/ŵ1 = {-mle['w0'] / mle['w1']:.4f}" in page


def test_report_names_engine_convergence_versions_and_run_time(lecture_out):
    page = report_text(lecture_out)
    results = json.loads((lecture_out / "results.json").read_text())
    for loss, fit in results["fits"].items():
        assert f"{loss.upper()} on the <code>{fit['engine']}</code> engine" in page
        verdict, norm = fit["convergence"]["verdict"], fit["convergence"]["grad_norm"]
        assert f"{loss.upper()}: {verdict} (|gradient| {norm:.2g}" in page
    prov = results["provenance"]
    for name, version in prov["versions"].items():
        assert f"<td>{name}</td><td>{version or 'not installed'}</td>" in page
    assert f"after {prov['seconds']:.1f} s" in page and prov["seconds"] > 0
    assert prov["machine"]["system"] in page


def test_separable_data_warn_in_one_line(tmp_path, capsys):
    # w1 = 1000 on 50 points: y = 1 exactly where x > 0.001, so the classes separate.
    argv = ["lecture", "--w1", "1000", "--n", "50", "--epochs", "100", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [err[0]] and err[0].startswith(
        "logitlab lecture: warning: gradient descent on separable data: complete separation"
    )
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["mle"] is None and "separation" in results["fits"]["bce"]["separation"]


def test_figures_also_as_svg_and_pdf_for_slides(tmp_path):
    out = tmp_path / "out"
    assert main(["lecture", "--format", "svg,pdf", "--out", str(out), *SMALL]) == 0
    names = {p.name for p in out.iterdir()}
    assert names >= FILES
    for stem in ("data", "fit-bce", "fit-mse", "fit-compare", "fit-initial", "loss-history"):
        assert (out / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
        assert "<svg" in (out / f"{stem}.svg").read_text()
    assert len(names) == len(FILES) + 12


@pytest.mark.parametrize("value", ["jpg", "", "png,gif"])
def test_an_unknown_figure_format_is_refused(tmp_path, refused, value):
    err = refused(["lecture", "--format", value, "--out", str(tmp_path / "out"), *SMALL])
    assert "figure formats must be some of png, svg, pdf" in err
