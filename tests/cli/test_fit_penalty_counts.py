"""`logitlab fit --penalty ... --weights COL` and `--trials COL` end to end: a table of counts
and grouped binomial rows give the penalized fit of their expanded 0/1 rows (the Challenger
joints, the budworm batches), scikit-learn's sample_weight at C = 1 / (sum w lambda), the
likelihoods and deviances counted as the MLE counts them, and --lambda cv's curve from
folds of whole rows."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import logitlab.cli as cli
from logitlab.data.design import build_design
from logitlab.stats import mle, penalized

BUDWORM = "dead ~ ldose + sex"


@pytest.fixture(scope="module")
def tables(tmp_path_factory, budworm, challenger):
    folder = tmp_path_factory.mktemp("penalty-counts")
    challenger[1].to_csv(folder / "challenger.csv", index=False)
    budworm.to_csv(folder / "budworm.csv", index=False)
    return folder


def run(tmp_path, *argv: str) -> dict:
    out = tmp_path / "out"
    assert cli.main(["fit", *argv, "--quiet", "--out", str(out)]) == 0
    return json.loads((out / "results.json").read_text())


def estimates(results: dict) -> np.ndarray:
    return np.array([row["estimate"] for row in results["mle"]["coefficients"].values()])


def budworm_rows(budworm) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The budworm design in the fit's column order, each batch's dead and batch size."""
    design = build_design(budworm, formula=BUDWORM, trials="n")
    return design.X, design.y, design.trials, np.array(design.names)


def expand(X: np.ndarray, s: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grouped rows as Bernoulli rows: s ones and m - s zeros of each row."""
    rows = np.r_[np.repeat(np.arange(len(s)), s.astype(int)),
                 np.repeat(np.arange(len(s)), (m - s).astype(int))]  # fmt: skip
    return X[rows], np.r_[np.ones(int(s.sum())), np.zeros(int((m - s).sum()))]


@pytest.mark.parametrize(("penalty", "a"), [("l2", 0.0), ("l1", 1.0)])
def test_grouped_rows_equal_the_expanded_rows_and_scikit_learn(
    tables, budworm, tmp_path, penalty, a
):
    lam = 0.01
    results = run(tmp_path, str(tables / "budworm.csv"), "--formula", BUDWORM, "--trials",
                  "n", "--penalty", penalty, "--lambda", str(lam))  # fmt: skip
    X, s, m, names = budworm_rows(budworm)
    assert list(results["mle"]["coefficients"]) == ["Intercept", *names]
    Xe, ye = expand(X, s, m)
    expanded = penalized.fit(Xe, ye, lam, a)
    np.testing.assert_allclose(estimates(results), expanded.params, rtol=0, atol=1e-8)
    np.testing.assert_allclose(results["penalty"]["objective"], expanded.objective, rtol=1e-10)
    # scikit-learn: the rows (1, weight s) and (0, weight m - s), on the columns standardized
    # by the expanded rows' mean and population SD, at C = 1 / (sum w lam). Its objective is
    # C sum w loss + penalty, so weights and C scaled by 1 / max w and max w leave it as it
    # is; saga's step ignores the weights and diverges at weights of 20 (100,000 epochs away)
    mean, sd = Xe.mean(axis=0), Xe.std(axis=0)
    w = np.r_[s, m - s]
    solver = "lbfgs" if a == 0.0 else "saga"
    peer = LogisticRegression(C=w.max() / (w.sum() * lam), l1_ratio=a, solver=solver,
                              tol=1e-14, max_iter=100_000)  # fmt: skip
    peer.fit((np.r_[X, X] - mean) / sd, np.r_[np.ones(len(s)), np.zeros(len(s))],
             sample_weight=w / w.max())  # fmt: skip
    slopes = peer.coef_[0] / sd
    np.testing.assert_allclose(estimates(results), np.r_[peer.intercept_[0] - slopes @ mean,
                               slopes], rtol=0, atol=1e-6)  # fmt: skip
    # the likelihoods as the MLE counts grouped rows (R's binomial coefficients included)
    fitted = results["mle"]
    unpenalized = mle.fit(X, s, trials=m, names=tuple(names))
    assert fitted["nobs"] == len(s)
    np.testing.assert_allclose(fitted["llnull"], unpenalized.llnull, rtol=1e-12)
    assert fitted["loglik"] < unpenalized.loglik  # the penalty pulls away from the MLE


def test_a_table_of_counts_with_weights_is_its_expanded_rows(tables, challenger, tmp_path):
    lam = 0.005
    argv = ["--target", "distressed", "--weights", "joints", "--penalty", "elasticnet"]
    results = run(tmp_path, str(tables / "challenger.csv"), *argv, "--lambda", str(lam))
    counts = challenger[1]
    rows = np.repeat(counts.index.to_numpy(), counts["joints"])
    x = counts[["temp"]].to_numpy(float)[rows]
    y = counts["distressed"].to_numpy(float)[rows]
    expanded = penalized.fit(x, y, lam, 0.5)
    np.testing.assert_allclose(estimates(results), expanded.params, rtol=0, atol=1e-8)
    assert results["mle"]["nobs"] == 138 == len(y)
    by_mle = mle.fit(x, y, names=("temp",))
    np.testing.assert_allclose(results["mle"]["llnull"], by_mle.llnull, rtol=1e-12)
    eta = expanded.params[0] + x[:, 0] * expanded.params[1]
    loglik = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    np.testing.assert_allclose(results["mle"]["loglik"], loglik, rtol=1e-10)


def test_lambda_cv_with_trials_is_the_weighted_curve(tables, budworm, tmp_path):
    """The curve is the library's weighted cross-validation, folds of whole batches drawn
    from --split-seed; lambda is its lambda_min."""
    argv = ["--trials", "n", "--penalty", "l1", "--lambda", "cv", "--folds", "3"]
    results = run(tmp_path, str(tables / "budworm.csv"), "--formula", BUDWORM, *argv,
                  "--split-seed", "2")  # fmt: skip
    X, s, m, _ = budworm_rows(budworm)
    curve, path = penalized.cross_validate(X, s, 1.0, folds=3, seed=2, trials=m)
    cv = results["penalty"]["cv"]
    np.testing.assert_allclose(cv["mean"], curve.mean, rtol=1e-12)
    np.testing.assert_allclose(cv["se"], curve.se, rtol=1e-12)
    assert results["penalty"]["lambda"] == cv["lambda_min"] == curve.lambda_min
    np.testing.assert_allclose(results["penalty"]["path"]["lambda"], path.lambdas, rtol=1e-12)
    assert (tmp_path / "out" / "path.png").stat().st_size > 10_000


def test_help_states_the_scaling(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "over the sum of the weights or trials" in text
    assert "a row stays in one fold" in text
