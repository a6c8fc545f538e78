"""The multinomial MLE against statsmodels' MNLogit, the binary MLE at K = 2, and its
refusals; its compiled pass against the sums written out from their definitions."""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.special import log_softmax, softmax
from sklearn.datasets import load_iris

from logitlab import DataError, SeparationError, stopping
from logitlab.data.checks import check_columns
from logitlab.stats import irls, mle, multinomial

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


def reference_pass(design, codes, params):
    """The pass's sums from their definitions, all rows at once: log-likelihood, score
    X'(Y - P), the information's blocks X' diag(p_j (d_jm - p_m)) X, the probabilities."""
    eta = np.column_stack((np.zeros(len(design)), design @ params))
    p, rows = softmax(eta, axis=1), np.arange(len(design))
    onehot = np.eye(params.shape[1] + 1)[codes]
    J, d = params.shape[1], design.shape[1]
    weights = p[:, 1:, None] * (np.eye(J) - p[:, None, 1:])  # n x J x J
    info = np.einsum("ijm,ia,ib->jamb", weights, design, design).reshape(J * d, J * d)
    loglik = log_softmax(eta, axis=1)[rows, codes].sum()
    return loglik, design.T @ (onehot - p)[:, 1:], info, p


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("scale", [0.5, 40.0])  # 40: logits in the hundreds, rows saturated
def test_the_pass_equals_the_sums_written_out(compiled, scale):
    rng = np.random.default_rng(11)
    n, d, K = 3 * irls.TILE * irls.GROUPS + 77, 4, 4  # a part-filled tile
    design = np.column_stack((np.ones(n), rng.normal(size=(n, d - 1))))
    params = rng.normal(scale=scale, size=(d, K - 1))
    codes = rng.integers(0, K, size=n)
    fitted = np.empty((n, K))
    ours = multinomial.newton_pass(design, codes, params, fitted, compiled=compiled)
    loglik, score, info, p = reference_pass(design, codes, params)
    floor = 1e-13 * n * max(1.0, scale)  # sums of n terms of size ~1 (scale, the logits)
    assert ours.loglik == pytest.approx(loglik, rel=1e-13, abs=floor)
    np.testing.assert_allclose(ours.score, score, rtol=1e-12, atol=floor)
    np.testing.assert_allclose(ours.info, info, rtol=1e-12, atol=floor)
    np.testing.assert_allclose(fitted, p, rtol=1e-14, atol=1e-300)
    saturated = np.count_nonzero((p < multinomial.SATURATED) | (p > 1 - multinomial.SATURATED))
    assert ours.saturated == saturated and (saturated > 0) == (scale > 1)


def test_the_compiled_pass_in_bounded_calls_sums_the_same_bits(monkeypatch):
    rng = np.random.default_rng(12)
    n = 5 * irls.TILE * irls.GROUPS + 5
    design = np.column_stack((np.ones(n), rng.normal(size=(n, 2))))
    codes, params = rng.integers(0, 3, size=n), rng.normal(size=(3, 2))
    whole_fitted, cut_fitted = np.empty((n, 3)), np.empty((n, 3))
    whole = multinomial.newton_pass(design, codes, params, whole_fitted, compiled=True)
    monkeypatch.setattr(stopping, "BLOCK_VALUES", 1)  # one tile of each task a call
    cut = multinomial.newton_pass(design, codes, params, cut_fitted, compiled=True)
    assert cut.loglik == whole.loglik and cut.saturated == whole.saturated
    np.testing.assert_array_equal(cut.score, whole.score)
    np.testing.assert_array_equal(cut.info, whole.info)
    np.testing.assert_array_equal(cut_fitted, whole_fitted)


def test_a_fit_takes_one_pass_an_iteration_and_none_for_its_start(monkeypatch):
    X, y = simulated(4, n=2000, seed=9)
    passes = []
    real = multinomial.newton_pass
    monkeypatch.setattr(
        multinomial, "newton_pass", lambda *a, **k: passes.append(1) or real(*a, **k)
    )
    result = multinomial.fit(X, y)
    # the start's sums in closed form, then a pass at the end of each step
    assert result.converged and len(passes) == result.iterations
    np.testing.assert_allclose(result.params, reference(X, y).params, **TIGHT)
    passes.clear()
    design = sm.add_constant(X)
    without = multinomial.fit(design, y, intercept=False)  # no intercept: the start is a pass
    assert len(passes) == without.iterations + 1
    np.testing.assert_allclose(without.params, result.params, **TIGHT)


def test_the_null_pass_equals_a_pass_at_the_class_log_odds():
    X, y = simulated(4, n=3000, seed=13)
    design, counts = sm.add_constant(X), np.bincount(y).astype(float)
    params = np.zeros((design.shape[1], 3))
    params[0] = np.log(counts[1:] / counts[0])
    fitted, shares = np.empty((len(y), 4)), np.empty((len(y), 4))
    ours = multinomial.null_pass(X, y, counts, shares)
    loglik, score, info, p = reference_pass(design, y, params)
    assert ours.loglik == pytest.approx(loglik, rel=1e-13)
    np.testing.assert_allclose(ours.score, score, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(ours.info, info, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(shares, p, rtol=1e-14)
    assert ours.saturated == multinomial.newton_pass(design, y, params, fitted).saturated == 0
    given = multinomial.null_pass(X, y, counts, gram=design.T @ design)  # X'X by one product
    assert given.loglik == ours.loglik and given.saturated == ours.saturated
    np.testing.assert_allclose(given.score, ours.score, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(given.info, ours.info, rtol=1e-14, atol=1e-12)


@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize(
    "column",
    [
        lambda x: np.full(len(x), 3.0),  # constant
        lambda x: x[:, 0].copy(),  # a duplicate
        lambda x: x[:, 0] - 2.0 * x[:, 1] + 1.0,  # collinear (with the intercept)
        lambda x: x[:, 0] * x[:, 1],  # independent
    ],
)
def test_a_fit_judges_its_columns_as_check_columns_does(intercept, column):
    """The fit hands check_columns the Gram matrix it sums for its start; the verdicts and
    messages are those of check_columns summing its own."""
    X, y = simulated(3, n=400, seed=15)
    X = np.column_stack((X[:, :2], column(X)))
    names = ("a", "b", "c")
    try:
        check_columns(X, names, intercept)
    except DataError as refusal:
        with pytest.raises(DataError) as caught:
            multinomial.fit(X, y, names=names, intercept=intercept)
        assert str(caught.value) == str(refusal)
    else:
        assert multinomial.fit(X, y, names=names, intercept=intercept).converged


@pytest.mark.parametrize("compiled", [True, False])
def test_the_pass_with_the_intercept_implied_equals_the_pass_over_the_design(compiled):
    rng = np.random.default_rng(16)
    n = 2 * irls.TILE * irls.GROUPS + 31
    X, codes = rng.normal(size=(n, 3)), rng.integers(0, 4, size=n)
    params = rng.normal(size=(4, 3))
    fitted, implied = np.empty((n, 4)), np.empty((n, 4))
    want = multinomial.newton_pass(sm.add_constant(X), codes, params, fitted, compiled=compiled)
    got = multinomial.newton_pass(X, codes, params, implied, compiled=compiled, intercept=True)
    assert got.loglik == pytest.approx(want.loglik, rel=1e-14)
    assert got.saturated == want.saturated
    np.testing.assert_allclose(got.score, want.score, rtol=1e-14, atol=1e-10)
    np.testing.assert_allclose(got.info, want.info, rtol=1e-14, atol=1e-10)
    np.testing.assert_allclose(implied, fitted, rtol=1e-14, atol=1e-300)
    with pytest.raises(ValueError, match="4 rows for 4 columns"):
        multinomial.newton_pass(sm.add_constant(X), codes, params, intercept=True)


def test_a_fit_reads_features_in_either_order():
    X, y = simulated(3, n=500, seed=17)
    result = multinomial.fit(np.asfortranarray(X), y)
    np.testing.assert_allclose(result.params, reference(X, y).params, **TIGHT)
    assert result.exog.flags.c_contiguous


def test_integer_labels_are_coded_as_their_values():
    X, y = simulated(3, seed=10)
    labels = np.array([-3, 7, 100])[y]  # counted, not sorted as values
    ints, floats = multinomial.fit(X, labels), multinomial.fit(X, labels.astype(float))
    assert ints.classes == (-3, 7, 100) and ints.baseline == -3
    np.testing.assert_array_equal(ints.params, floats.params)
    assert_matches(ints, reference(X, y), X)


# Stata 11's mlogit on the 1996 American National Election Study (944 respondents; party
# identification, 7 classes, against the first; statsmodels.datasets.anes96), as printed in
# statsmodels' test results (statsmodels/discrete/tests/results/results_discrete.py,
# Anes.mnlogit_basezero, "checked vs R nnet package"). Rows logpopul, selfLR, age, educ,
# income, _cons; one column per equation (PID 1 .. 6 against 0).
STATA_ANES_PARAMS = """
-.01153598 -.08875065 -.1059667 -.0915567 -.0932846 -.14088069
.29771435 .39166864 .57345051 1.2787718 1.3469616 2.0700801
-.024945 -.02289784 -.01485121 -.00868135 -.01790407 -.00943265
.08249144 .18104276 -.00715242 .19982796 .21693885 .3219257
.00519655 .04787398 .05757516 .08449838 .08095841 .10889408
-.37340167 -2.2509132 -3.6655835 -7.6138431 -7.0604782 -12.105751
"""
STATA_ANES_BSE = """
.0342823657 .0391615553 .0570382292 .0437902764 .0393516553 .042138047
.093626795 .1082386919 .1585481337 .1288965854 .1171860107 .1434089089
.0065248584 .0079144618 .0113313133 .0084187486 .0076110152 .0081338625
.0735865799 .0852893563 .1262913234 .0941250559 .0850070091 .0910979921
.0176336937 .0222809297 .0336142088 .0261963632 .0229760791 .025300888
.6298376313 .7631899491 1.156541492 .9575809602 .8443638283 1.059954821
"""


def printed(table):
    """The numbers of a printed table (rows of text) and half a unit of each one's last
    printed digit: how far the exact value may lie from what was printed."""
    words = [row.split() for row in table.strip().splitlines()]
    values = np.array([[float(w) for w in row] for row in words])
    half = np.array([[0.5 * 10.0 ** -len(w.split(".")[1]) for w in row] for row in words])
    return values, half


@pytest.fixture(scope="module")
def anes96():
    """Features (logpopul, selfLR, age, educ, income) and party identification (0 .. 6)."""
    data = sm.datasets.anes96.load()
    return np.asarray(data.exog, dtype=float), np.asarray(data.endog), list(data.exog.columns)


def test_anes96_equals_statas_printed_table(anes96):
    """Stata stops at its own tolerance (its llf is 6.4e-8 below ours: ours is the higher
    maximum), so its last printed digit may be one off: coefficients within one unit of it,
    and the SEs (printed to 10 digits, at a point 1e-7 from ours) to 8 digits."""
    X, y, names = anes96
    result = multinomial.fit(X, y, names=names)
    assert result.nobs == 944 and len(result.classes) == 7
    ours, se = (np.vstack((a[1:], a[:1])) for a in (result.params, result.bse))  # _cons last
    params, half = printed(STATA_ANES_PARAMS)
    assert np.all(np.abs(ours - params) <= 2.0 * half), np.abs(ours - params) / half
    np.testing.assert_allclose(se, printed(STATA_ANES_BSE)[0], rtol=1e-8)
    assert -1461.922747312 <= result.llf <= -1461.922747312 + 1e-7
    assert result.llnull == pytest.approx(-1750.34670999, abs=0.5e-8)
    assert result.prsquared == pytest.approx(0.1647810465387, abs=1e-10)
    assert result.df_model == 30 and result.df_resid == 944 - 36


def test_a_fit_through_the_compiled_pass_matches_mnlogit():
    X, y = simulated(3, n=multinomial.COMPILED_ROWS + 1000, seed=14)
    result = multinomial.fit(X, y)
    assert_matches(result, reference(X, y), X)
