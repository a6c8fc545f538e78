"""`logitlab fit --penalty ... --lambda ...` end to end: the coefficients equal scikit-learn's
at the same objective on the standardized design, results.json and the report carry the
penalty and no inference, --lambda cv draws the path and is reproducible with its seed, and
bad combinations are refused in one line."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import logitlab.cli as cli
from logitlab.data.datasets import load_dataset
from logitlab.data.design import build_design
from logitlab.stats import penalized

SPECTOR = ["fit", "--dataset", "spector", "--quiet"]


def run(tmp_path, *argv: str) -> dict:
    out = tmp_path / "out"
    assert cli.main([*SPECTOR, *argv, "--out", str(out)]) == 0
    return json.loads((out / "results.json").read_text())


def spector_design() -> tuple[np.ndarray, np.ndarray]:
    table = load_dataset("spector")
    design = build_design(table.frame, formula=table.formula, positive=table.info.positive)
    return design.X, design.y


PENALTIES = [(["--penalty", "l1"], 1.0), (["--penalty", "elasticnet", "--l1-ratio", "0.3"], 0.3)]


@pytest.mark.parametrize(("argv", "a"), PENALTIES)
def test_a_penalized_fit_equals_scikit_learn(tmp_path, capsys, argv, a):
    lam = 0.02
    results = run(tmp_path, *argv, "--lambda", str(lam))
    X, y = spector_design()
    mean, sd = X.mean(axis=0), X.std(axis=0)
    peer = LogisticRegression(C=1 / (len(y) * lam), l1_ratio=a, solver="saga", tol=1e-14,
                              max_iter=100_000).fit((X - mean) / sd, y)  # fmt: skip
    slopes = peer.coef_[0] / sd
    expected = np.r_[peer.intercept_[0] - slopes @ mean, slopes]
    mle = results["mle"]
    coef = [row["estimate"] for row in mle["coefficients"].values()]
    np.testing.assert_allclose(coef, expected, atol=1e-6)
    assert mle["method"] == "penalized"
    assert all(row["se"] is None and row["p"] is None for row in mle["coefficients"].values())
    penalty = results["penalty"]
    assert (penalty["type"], penalty["lambda"], penalty["l1_ratio"]) == (argv[1], lam, a)
    value = penalized.objective(X, y, expected, lam, a)
    assert abs(penalty["objective"] - value) <= 1e-8 * value
    assert penalty["nonzero"] == int(np.count_nonzero(coef[1:]))
    assert penalty["path"] is None and penalty["cv"] is None
    assert results["gradient_descent"]["fits"] == {}
    report = (tmp_path / "out" / "report.html").read_text()
    assert "coef × column SD" in report and "no standard errors" in report
    assert "lambda 0.02" in capsys.readouterr().out


def test_odds_ratio_figure_claims_no_interval():
    from logitlab.studies.fit import fit_table
    from logitlab.viz.fit import plot_odds_ratios

    figure = plot_odds_ratios(fit_table("spector", penalty="l1", lam=0.02).mle)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    labels = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    assert texts and not any("nan" in t or "[" in t for t in texts)
    assert "odds ratio e^coef (penalized)" in labels
    assert not any("interval" in label for label in labels)


def test_lambda_cv_draws_the_path_and_is_seeded(tmp_path):
    """The curve is the library's cross-validation with the folds drawn from --split-seed."""
    results = run(tmp_path, "--penalty", "l1", "--lambda", "cv", "--folds", "4",
                  "--split-seed", "5")  # fmt: skip
    penalty = results["penalty"]
    cv, path = penalty["cv"], penalty["path"]
    assert (cv["folds"], cv["seed"], cv["chosen"]) == (4, 5, "lambda_min")
    curve, _ = penalized.cross_validate(*spector_design(), 1.0, folds=4, seed=5)
    np.testing.assert_allclose(cv["mean"], curve.mean, rtol=1e-12)
    assert cv["lambda_min"] == curve.lambda_min and cv["lambda_1se"] == curve.lambda_1se
    assert penalty["lambda"] == cv["lambda_min"] and cv["lambda_1se"] >= cv["lambda_min"]
    assert len(path["lambda"]) == 100 and len(cv["mean"]) == 100
    assert path["lambda"][int(np.argmin(cv["mean"]))] == cv["lambda_min"]
    assert all(values[0] == 0.0 for name, values in path["coef"].items() if name != "Intercept")
    assert (tmp_path / "out" / "path.png").stat().st_size > 10_000
    assert "as plot(cvfit)" in (tmp_path / "out" / "report.html").read_text()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--lambda", "0.1"], "lambda 0.1 needs a penalty"),
        (["--penalty", "l1"], "needs a lambda"),
        (["--penalty", "l1", "--lambda", "-1"], "lambda must be a number >= 0 or cv"),
        (["--penalty", "elasticnet", "--lambda", "1", "--l1-ratio", "1.5"], "between 0 and 1"),
        (["--penalty", "l2", "--lambda", "1", "--l1-ratio", "0.5"], "elasticnet's mix"),
        (["--penalty", "l1", "--lambda", "1", "--firth"], "two penalties at once"),
        (["--penalty", "l1", "--lambda", "1", "--cov", "hc1"], "no honest standard errors"),
        (
            ["{csv}", "--target", "GRADE", "--penalty", "l1", "--lambda", "cv", "--workers", "2"],
            "lambda cv in shares",
        ),
        (["--penalty", "l1", "--lambda", "cv", "--folds", "1"], "folds must be"),
        (["--penalty", "lasso", "--lambda", "1"], "invalid choice"),
    ],
)
def test_refusals_are_one_line(refused, tmp_path, tmp_path_factory, argv, words):
    table = tmp_path_factory.mktemp("table") / "spector.csv"
    load_dataset("spector").frame.to_csv(table, index=False)
    argv = [a.format(csv=table) for a in argv]
    source = [] if argv[0] == str(table) else ["--dataset", "spector"]
    assert words in refused(["fit", *source, "--quiet", *argv, "--out", str(tmp_path / "out")])


def test_help_explains_the_flags(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--penalty {l2,l1,elasticnet}", "--lambda L", "--l1-ratio A", "--folds K"):
        assert flag in text
    assert "population SD" in text and "lambda_min of cv.glmnet" in text
