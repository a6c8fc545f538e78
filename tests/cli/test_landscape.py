"""`logitlab landscape`: figures, MLE table and numbers in one folder; bad input refused."""

import json

import pytest

from logitlab.cli import main


def test_landscape_command_writes_figures_and_numbers(tmp_path, capsys):
    out = tmp_path / "why"
    args = ["landscape", "--out", str(out), "--n", "300", "--epochs", "150", "--grid", "11"]
    assert main([*args, "--quiet"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "landscape_contours.png",
        "landscape_surfaces.png",
        "curvature.png",
        "gradient_norms.png",
        "convergence.png",
        "plateau.png",
    } <= names
    summary = json.loads((out / "landscape.json").read_text())
    assert {"w0", "w1", "se_w0", "se_w1", "loglik"} <= set(summary["mle"])
    assert set(summary["mle"]["coef"]) == {"Intercept", "x"}
    assert summary["plateau_start"]["start"] == [12.0, -10.0]
    assert summary["epochs"] == 150
    assert "std err" in (out / "mle_summary.txt").read_text()
    assert "Smallest Hessian eigenvalue" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plateau-start", "3"], "plateau start must be two numbers"),
        (["--grid", "x"], "grid size must be an integer from 3 to 2001"),
        (["--lr", "-1"], "lr must be a finite number > 0"),
        (["--epochs", "0"], "epochs must be an integer from 1 to 10**7"),
    ],
)
def test_landscape_command_refuses_bad_input_in_one_line(tmp_path, refused, args, message):
    assert message in refused(["landscape", "--out", str(tmp_path / "why"), "--quiet", *args])


def test_help_names_every_default(capsys):
    for command in ("landscape", "animate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert text.count("default") >= 10
