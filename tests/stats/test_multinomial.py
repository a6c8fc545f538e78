"""The multinomial MLE against statsmodels' MNLogit, the binary MLE at K = 2, and its
refusals."""

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_iris

from logitlab import DataError, SeparationError
from logitlab.stats import mle, multinomial

TIGHT = {"atol": 1e-8, "rtol": 1e-8}


def simulated(K, n=600, seed=0):
    """Two continuous features and a three-level categorical one (two dummy columns)."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, 3, size=n)
    X = np.column_stack((rng.normal(size=n), rng.normal(size=n), level == 1, level == 2))
    X = X.astype(float)
    params = rng.normal(scale=0.8, size=(X.shape[1] + 1, K - 1))
    eta = np.column_stack((np.zeros(n), sm.add_constant(X) @ params))
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
    return X, y


def reference(X, y):
    return sm.MNLogit(y, sm.add_constant(X, has_constant="add")).fit(
        disp=0, method="newton", tol=1e-12, maxiter=100
    )


def assert_matches(result, ref, X):
    np.testing.assert_allclose(result.params, ref.params, **TIGHT)
    np.testing.assert_allclose(result.bse, ref.bse, **TIGHT)
    np.testing.assert_allclose(result.tvalues, ref.tvalues, **TIGHT)
    np.testing.assert_allclose(result.pvalues, ref.pvalues, **TIGHT)
    np.testing.assert_allclose(result.conf_int(), ref.conf_int(), **TIGHT)
    for ours, theirs in ((result.llf, ref.llf), (result.aic, ref.aic), (result.bic, ref.bic),
                         (result.prsquared, ref.prsquared), (result.llr, ref.llr)):  # fmt: skip
        assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-8)
    assert result.df_model == ref.df_model and result.df_resid == ref.df_resid
    margins = ref.get_margeff()
    ame, se = result.margeff()
    np.testing.assert_allclose(ame, margins.margeff, **TIGHT)
    np.testing.assert_allclose(se, margins.margeff_se, **TIGHT)
    np.testing.assert_allclose(result.predict(X), ref.predict(sm.add_constant(X)), **TIGHT)
    assert result.converged


@pytest.mark.parametrize("K", [3, 4])
def test_simulated_data_with_a_categorical_feature_match_mnlogit(K):
    X, y = simulated(K, seed=K)
    result = multinomial.fit(X, y)
    assert result.classes == tuple(range(K)) and result.baseline == 0
    assert_matches(result, reference(X, y), X)


def test_llnull_is_the_constant_only_fit():
    X, y = simulated(3, seed=1)
    constant = sm.MNLogit(y, np.ones((len(y), 1))).fit(disp=0, tol=1e-14, maxiter=100)
    assert multinomial.fit(X, y).llnull == pytest.approx(constant.llf, rel=1e-10)


def test_iris_by_sepal_length_matches_mnlogit():
    iris = load_iris()
    X, y = iris.data[:, :1], iris.target_names[iris.target]  # no class separates on it
    result = multinomial.fit(X, y, names=iris.feature_names[:1])
    assert result.classes == ("setosa", "versicolor", "virginica")
    assert result.equations == ("versicolor", "virginica")
    assert_matches(result, reference(X, iris.target), X)


def test_iris_setosa_is_separated_by_the_sepals():
    iris = load_iris()
    with pytest.raises(SeparationError, match="class 'setosa'"):
        multinomial.fit(iris.data[:, :2], iris.target_names[iris.target])


def test_relative_risk_ratios_are_exp_params():
    X, y = simulated(3, seed=2)
    result = multinomial.fit(X, y)
    rrr = result.relative_risk_ratios(1)
    np.testing.assert_allclose(rrr.estimate, np.exp(reference(X, y).params[:, 1]), **TIGHT)
    np.testing.assert_allclose(rrr.lower, np.exp(result.conf_int()[1][:, 0]), rtol=1e-14)


def test_two_classes_equal_the_binary_fit():
    X, y = simulated(2, seed=3)
    result = multinomial.fit(X, y)
    binary = mle.fit(X, y)
    np.testing.assert_allclose(result.params[:, 0], binary.params, atol=1e-10, rtol=1e-10)
    np.testing.assert_allclose(result.bse[:, 0], binary.bse, atol=1e-10, rtol=1e-10)
    assert result.llf == pytest.approx(binary.llf, rel=1e-12)
    assert result.llnull == pytest.approx(binary.llnull, rel=1e-12)
    assert result.aic == pytest.approx(binary.aic, rel=1e-12)
    np.testing.assert_allclose(result.predict(X)[:, 1], binary.predict(X), atol=1e-12)


def test_another_baseline_is_a_reparametrisation():
    X, y = simulated(3, seed=4)
    first, last = multinomial.fit(X, y), multinomial.fit(X, y, baseline=2)
    assert last.equations == (0, 1)
    # b(0 vs 2) = -b(2 vs 0); b(1 vs 2) = b(1 vs 0) - b(2 vs 0)
    np.testing.assert_allclose(last.params[:, 0], -first.params[:, 1], atol=1e-9)
    np.testing.assert_allclose(last.params[:, 1], first.params[:, 0] - first.params[:, 1],
                               atol=1e-9)  # fmt: skip
    assert last.llf == pytest.approx(first.llf, rel=1e-12)
    np.testing.assert_allclose(last.predict(X), first.predict(X), atol=1e-12)


def test_predicted_rows_sum_to_one():
    X, y = simulated(4, seed=5)
    p = multinomial.fit(X, y).predict(X * 50.0)  # far out: logits in the hundreds
    assert p.shape == (len(X), 4) and np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-14)


def test_summary_has_one_table_per_equation():
    X, y = simulated(3, seed=6)
    text = multinomial.fit(X, y, names=("a", "b", "c2", "c3")).summary()
    assert "1 vs 0" in text and "2 vs 0" in text
    assert f"{reference(X, y).llf:.4f}" in text


def test_a_separated_class_is_refused_naming_it():
    rng = np.random.default_rng(8)
    x = rng.normal(size=300)
    y = np.where(x > 1.0, "high", rng.choice(["low", "mid"], size=300))
    with pytest.raises(SeparationError, match="class 'high'") as caught:
        multinomial.fit(x, y)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("X", "y", "baseline", "words"),
    [
        (np.ones((4, 1)) * [[1], [2], [3], [4]], [0, 0, 0, 0], None, "at least two values"),
        (np.arange(6.0), [0, 1, 2, 0, 1], None, "one label per row"),
        (np.arange(6.0), [0, 1, 2, 0, 1, None], None, "missing"),
        (np.arange(6.0), [0, 1, 2, 0, 1, 2], 5, "baseline 5 is not a value of y"),
        (np.column_stack((np.arange(9.0), np.arange(9.0))), [0, 1, 2] * 3, None, "same column"),
        ([[np.nan]] * 6, [0, 1, 2] * 2, None, "NaN"),
    ],
)
def test_bad_input_is_refused_in_one_line(X, y, baseline, words):
    with pytest.raises(DataError, match=words) as caught:
        multinomial.fit(X, y, baseline=baseline)
    assert "\n" not in str(caught.value)


def test_repr_is_one_short_line_and_the_card_escapes_names():
    iris = load_iris()
    species = iris.target_names[iris.target]
    result = multinomial.fit(iris.data[:, :1], species, names=["<b>sepal"])
    line = repr(result)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert f"nobs={result.nobs}" in line and f"llf {result.llf:.4g}" in line
    assert f"pseudo R² {result.prsquared:.4g}" in line
    assert f"converged in {result.iterations} iterations" in line
    assert all(repr(str(c)) in line for c in species[[0, 50, 100]])
    card = result._repr_html_()
    assert "&lt;b&gt;sepal" in card and "<b>sepal" not in card
    assert card.count("<table>") == 1 + len(result.equations)  # statistics, one per equation
    for j in range(len(result.equations)):
        assert f"{result.params[1, j]:.4f}" in card and f"{result.bse[1, j]:.4f}" in card
