"""`logitlab fit` with a target of three values: the multinomial MLE's coefficients equal to
statsmodels' MNLogit, its files, the evaluation against scikit-learn's metrics, the softmax
descent beside it (its coefficients near MNLogit's in standard errors, in every file), and
the refusals."""

import csv
import json

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn import metrics
from sklearn.datasets import load_iris

import logitlab.cli as cli


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    data = load_iris(as_frame=True)
    short = dict(zip(data.frame.columns[:4], ["sl", "sw", "pl", "pw"], strict=True))
    frame = data.frame.rename(columns=short)
    frame["species"] = data.target_names[data.target]
    path = tmp_path_factory.mktemp("inputs") / "iris.csv"
    frame.drop(columns="target").to_csv(path, index=False)
    return path, frame


def test_iris_fits_mnlogits_coefficients(iris, tmp_path, capsys):
    path, frame = iris
    out = tmp_path / "out"
    argv = ["fit", str(path), "--formula", "species ~ sl", "--quiet", "--out", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "versicolor vs setosa" in printed
    assert "softmax gradient descent on the cross-entropy: converged after" in printed
    ref = sm.MNLogit(frame["target"], sm.add_constant(frame[["sl"]])).fit(disp=0, tol=1e-12)
    rows = list(csv.DictReader((out / "coefficients.csv").open()))
    assert [(r["class"], r["term"]) for r in rows] == [
        ("versicolor", "Intercept"), ("versicolor", "sl"),
        ("virginica", "Intercept"), ("virginica", "sl"),
    ]  # fmt: skip
    coef = np.array([float(r["coef"]) for r in rows]).reshape(2, 2).T
    se = np.array([float(r["std_err"]) for r in rows]).reshape(2, 2).T
    np.testing.assert_allclose(coef, ref.params, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(se, ref.bse, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose([float(r["rrr"]) for r in rows], np.exp(coef.T.ravel()), rtol=1e-12)
    results = json.loads((out / "results.json").read_text())
    mn = results["multinomial"]
    assert mn["baseline"] == "setosa"
    for key in ("llf", "llnull", "aic", "bic", "prsquared", "llr_pvalue"):
        assert mn[key] == pytest.approx(getattr(ref, key), rel=1e-7, abs=1e-12), key
    margins = ref.get_margeff()
    effects = [m["dy_dx"] for m in mn["marginal_effects"]]
    np.testing.assert_allclose(effects, margins.margeff.ravel(), rtol=1e-8, atol=1e-10)
    # every row fitted: the evaluation is on them, as scikit-learn computes it
    p = ref.predict()
    codes = frame["target"].to_numpy()
    e = results["evaluation"]
    assert e["held_out"] is False and e["rows"] == 150
    assert e["confusion_matrix"] == metrics.confusion_matrix(codes, p.argmax(axis=1)).tolist()
    assert e["log_loss"] == pytest.approx(metrics.log_loss(codes, p), rel=1e-8)
    auc = metrics.roc_auc_score(codes, p, multi_class="ovr")
    assert e["roc_auc_ovr"] == pytest.approx(auc, rel=1e-8)
    recall = metrics.recall_score(codes, p.argmax(axis=1), average=None)
    np.testing.assert_allclose(list(e["recall"].values()), recall, atol=1e-12)
    page = (out / "report.html").read_text()
    assert "virginica vs setosa" in page and "RRR" in page


def test_baseline_and_held_out_rows(iris, tmp_path):
    path, _ = iris
    out = tmp_path / "out"
    argv = ["fit", str(path), "--target", "species", "--features", "sw", "--baseline",
            "virginica", "--test-size", "0.3", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["multinomial"]["equations"] == ["setosa", "versicolor"]
    assert results["data"]["held_out"] == 45 and results["evaluation"]["rows"] == 45
    assert sum(map(sum, results["evaluation"]["confusion_matrix"])) == 45
    assert results["multinomial"]["nobs"] == 105


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--baseline", "rose"], "baseline must be a value of the target 'species'"),
        (["--positive", "setosa"], "give baseline instead"),
        (["--formula", "species ~ sl + sw"], "class 'setosa' is (quasi-)completely"),
        (["--chunk-rows", "50", "--cov", "hc1"], "takes only the nonrobust covariance"),
        (["--loss", "mse"], "loss mse asks for a descent on MSE, which is not defined for three"),
        (["--loss", "both"], "loss both asks for a descent on MSE"),
        (["--chunk-rows", "50", "--loss", "mse"], "loss mse asks for a descent on MSE"),
        (["--start", "0,1"], "start is a point of the two-class descent"),
    ],
)
def test_refused_in_one_line(iris, tmp_path, capsys, extra, words):
    path, _ = iris
    model = [] if "--formula" in extra else ["--formula", "species ~ sl"]
    out = tmp_path / "out"
    assert cli.main(["fit", str(path), *model, *extra, "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_help_explains_baseline(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    assert "--baseline LEVEL" in capsys.readouterr().out


def test_a_model_a_model_file_cannot_hold_is_fitted_and_said_unsaved(iris, tmp_path, capsys):
    path, _ = iris
    out = tmp_path / "out"
    argv = ["fit", str(path), "--formula", "species ~ scale(sl, ddof=0)", "--quiet", "--out",
            str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "model.json not written: the model's term 'scale(sl, ddof=0)' is not one" in printed
    assert not (out / "model.json").exists() and (out / "results.json").exists()


def test_the_report_shows_the_class_probabilities_over_the_first_variable(iris, tmp_path):
    path, frame = iris
    out = tmp_path / "out"
    argv = ["fit", str(path), "--formula", "species ~ sl", "--quiet", "--out", str(out),
            "--format", "svg"]  # fmt: skip
    assert cli.main(argv) == 0
    assert (out / "probabilities.png").exists() and (out / "probabilities.svg").exists()
    curves = json.loads((out / "results.json").read_text())["probabilities"]
    assert curves["variable"] == "sl" and curves["held"] == {}
    ref = sm.MNLogit(frame["target"], sm.add_constant(frame[["sl"]])).fit(disp=0, tol=1e-12)
    p = np.column_stack([curves["p"][c] for c in ("setosa", "versicolor", "virginica")])
    np.testing.assert_allclose(p, ref.predict(sm.add_constant(np.array(curves["values"]))),
                               atol=1e-8)  # fmt: skip
    page = (out / "report.html").read_text()
    assert "Class probabilities" in page
    assert page.count("data:image/png;base64,") == 3  # and the descent's loss and gd-vs-mle


def test_the_softmax_descent_beside_the_mle_in_every_file(iris, tmp_path, capsys):
    path, frame = iris
    out = tmp_path / "out"
    argv = ["fit", str(path), "--formula", "species ~ sl", "--baseline", "virginica",
            "--optimizer", "adam", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    order = {"virginica": 0, "setosa": 1, "versicolor": 2}  # the baseline first
    ref = sm.MNLogit(frame["species"].map(order), sm.add_constant(frame[["sl"]])).fit(
        disp=0, tol=1e-12
    )
    rows = list(csv.DictReader((out / "coefficients.csv").open()))
    gd = np.array([float(r["gd_bce"]) for r in rows]).reshape(2, 2).T
    in_se = np.abs(gd - ref.params.to_numpy()) / ref.bse.to_numpy()
    assert in_se.max() < 0.05  # --tol 1e-4 stops it near, not at, the MLE
    results = json.loads((out / "results.json").read_text())["gradient_descent"]
    assert results["note"] is None and results["settings"]["optimizer"] == "adam"
    assert list(results["standardisation"]) == ["sl"]
    assert results["standardisation"]["sl"]["mean"] == pytest.approx(frame["sl"].mean())
    fit = results["fits"]["bce"]
    assert "W_k - W_baseline" in fit["parametrisation"]
    assert [fit["coef"][c]["sl"] for c in ("setosa", "versicolor")] == list(gd[1])
    np.testing.assert_allclose([fit["in_se"][c][t] for c in ("setosa", "versicolor")
                                for t in ("Intercept", "sl")], in_se.T.ravel(),
                               rtol=1e-6)  # fmt: skip
    assert fit["distance_to_mle"]["max_in_se"] == pytest.approx(in_se.max(), rel=1e-6)
    convergence = fit["convergence"]
    assert convergence["verdict"] == "converged" and convergence["tol"] == 1e-4
    assert convergence["grad_norm"] <= 1e-4 and convergence["stopped_early"]
    assert len(fit["loss"]) == fit["epochs"] + 1 and fit["loss"][-1] == fit["final_loss"]
    assert fit["mle_loss"] == pytest.approx(-ref.llf / len(frame), rel=1e-10)
    assert fit["final_loss"] == pytest.approx(fit["mle_loss"], rel=1e-4)
    assert (out / "loss.png").exists() and (out / "gd-vs-mle.png").exists()
    assert f"max |coef - MLE| {fit['distance_to_mle']['max_abs']:.3g}" in printed
    page = (out / "report.html").read_text()
    assert "Gradient descent beside the MLE" in page and "W_k - W_baseline" in page
    assert page.count("data:image/png;base64,") == 3  # probabilities, loss, gd-vs-mle


def test_a_long_default_descent_of_k_logits_is_skipped_in_a_line(tmp_path, capsys):
    """A default descent under DEFAULT_DESCENT_SECONDS for a binary target but over it as
    softmax regression on three classes (budget.softmax) is skipped, said on stderr and in
    results.json; the MLE is written."""
    from logitlab import budget
    from logitlab.cli.fit import DEFAULT_DESCENT_SECONDS
    from logitlab.config import TABLE_EPOCHS, TrainConfig

    rows, train = 60_000, TrainConfig(epochs=TABLE_EPOCHS)
    cost = [budget.table(rows, 0, 2, train, 1, classes=k).seconds
            - budget.table(rows, 0, 2, classes=k).seconds for k in (2, 3)]  # fmt: skip
    assert cost[0] <= DEFAULT_DESCENT_SECONDS < cost[1]  # the case this test is about
    rng = np.random.default_rng(0)
    x = rng.normal(size=rows)
    noise = rng.normal(size=(2, rows))
    classes = np.array(["a", "b", "c"])[(x + noise[0] > 0) * 1 + (x + noise[1] > 1)]
    path = tmp_path / "big.csv"
    import pandas as pd

    pd.DataFrame({"x": x, "y": classes}).to_csv(path, index=False)
    out = tmp_path / "out"
    assert cli.main(["fit", str(path), "--formula", "y ~ x", "--quiet", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("gradient descent beside the MLE skipped: 10,000 epochs on 60,000 rows")
    assert err.strip().endswith("ask for it with --loss bce (it stops at convergence: --tol)")
    gd = json.loads((out / "results.json").read_text())["gradient_descent"]
    assert gd["fits"] == {} and gd["note"] == "no gradient descent was asked for (no loss given)"
    assert not (out / "loss.png").exists()
