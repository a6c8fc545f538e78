"""Frequency weights and grouped binomial data in the MLE (stats.mle.fit's weights= and
trials=, the weighted Newton pass of stats.irls): against statsmodels' GLM (freq_weights, a
two-column endog), the fit on the expanded rows, and published tables (R's glm on the
budworm data, the Challenger O-rings)."""

import numpy as np
import pytest
import statsmodels.api as sm

from logitlab import DataError, SeparationError
from logitlab.stats import irls, mle

TIGHT = {"rtol": 1e-8, "atol": 1e-10}


def glm(endog, X, **keywords):
    model = sm.GLM(endog, sm.add_constant(X), family=sm.families.Binomial(), **keywords)
    return model.fit(tol=1e-13, maxiter=100)


def weighted_rows(seed=5, n=300):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5]
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + X @ [0.7, -0.3, 1.2])))).astype(float)
    w = rng.integers(0, 5, n).astype(float)
    return X, y, w


def expand(X, y, w):
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    return np.ascontiguousarray(X[rows]), y[rows]


def test_frequency_weights_equal_statsmodels_glm_and_the_expanded_rows():
    X, y, w = weighted_rows()
    fit = mle.fit(X, y, weights=w)
    reference = glm(y, X, freq_weights=w)
    expanded = mle.fit(*expand(X, y, w))
    assert fit.nobs == int(w.sum()) == expanded.nobs
    assert fit.df_resid == reference.df_resid
    for ours, theirs in (
        (fit.params, reference.params),
        (fit.se, reference.bse),
        (fit.pvalues, reference.pvalues),
        (fit.conf_int(), reference.conf_int()),
        (fit.loglik, reference.llf),
        (fit.llnull, reference.llnull),
        (fit.aic, reference.aic),
        (fit.bic, reference.bic_llf),
        (fit.deviance, reference.deviance),
        (fit.null_deviance, reference.null_deviance),
        (fit.pearson_chi2, reference.pearson_chi2),
    ):
        np.testing.assert_allclose(ours, theirs, **TIGHT)
    for name in ("params", "se", "loglik", "llnull", "llr", "prsquared", "aic", "bic",
                 "deviance", "null_deviance", "pearson_chi2"):  # fmt: skip
        np.testing.assert_allclose(getattr(fit, name), getattr(expanded, name), **TIGHT,
                                   err_msg=name)  # fmt: skip
    ours, theirs = fit.marginal_effects(), expanded.marginal_effects()
    for field in ("estimate", "se", "lower", "upper"):
        np.testing.assert_allclose(getattr(ours, field), getattr(theirs, field), **TIGHT)
    np.testing.assert_array_equal(fit.pred_table(0.4), expanded.pred_table(0.4))
    hl, hl_expanded = fit.hosmer_lemeshow(), expanded.hosmer_lemeshow()
    assert hl.groups == hl_expanded.groups
    np.testing.assert_allclose(hl.statistic, hl_expanded.statistic, **TIGHT)


def test_a_zero_weight_is_a_row_left_out():
    X, y, w = weighted_rows(seed=9)
    w[:10] = 0.0
    fit = mle.fit(X, y, weights=w)
    kept = mle.fit(X[10:], y[10:], weights=w[10:])
    np.testing.assert_allclose(fit.params, kept.params, **TIGHT)
    np.testing.assert_allclose(fit.se, kept.se, **TIGHT)


def grouped_rows(seed=11, n=60):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    trials = rng.integers(1, 12, n).astype(float)
    p = 1 / (1 + np.exp(-(0.3 + X @ [0.9, -0.6])))
    return X, rng.binomial(trials.astype(int), p).astype(float), trials


def test_grouped_data_equal_statsmodels_glm_with_successes_and_failures():
    X, s, m = grouped_rows()
    fit = mle.fit(X, s, trials=m)
    reference = glm(np.column_stack((s, m - s)), X)
    assert fit.nobs == len(s) and fit.df_resid == reference.df_resid == len(s) - 3
    for ours, theirs in (
        (fit.params, reference.params),
        (fit.se, reference.bse),
        (fit.loglik, reference.llf),
        (fit.llnull, reference.llnull),
        (fit.aic, reference.aic),
        (fit.deviance, reference.deviance),
        (fit.null_deviance, reference.null_deviance),
        (fit.pearson_chi2, reference.pearson_chi2),
    ):
        np.testing.assert_allclose(ours, theirs, **TIGHT)


def test_grouped_data_equal_the_expanded_bernoulli_rows():
    X, s, m = grouped_rows(seed=12)
    fit = mle.fit(X, s, trials=m)
    rows = np.repeat(np.arange(len(s)), m.astype(int))
    first = np.repeat(np.cumsum(m) - m, m.astype(int))
    y = (np.arange(len(rows)) - first < s[rows]).astype(float)  # s ones, then m - s zeros
    expanded = mle.fit(np.ascontiguousarray(X[rows]), y)
    np.testing.assert_allclose(fit.params, expanded.params, **TIGHT)
    np.testing.assert_allclose(fit.se, expanded.se, **TIGHT)
    ours, theirs = fit.marginal_effects(), expanded.marginal_effects()
    np.testing.assert_allclose(ours.estimate, theirs.estimate, **TIGHT)
    np.testing.assert_allclose(ours.se, theirs.se, **TIGHT)
    # the Bernoulli rows' likelihood has no binomial coefficients; the deviance's change is
    # the same either way
    np.testing.assert_allclose(fit.llr, expanded.llr, **TIGHT)


def test_budworm_reproduces_r_glm_printed_output(budworm):
    """glm(cbind(dead, n - dead) ~ sex * ldose, binomial), sex F the reference: R prints
    residual deviance 4.994 on 8 df, null 124.876 on 11 df, AIC 43.104, and the
    coefficients -2.9935 (0.5527), 0.1750 (0.7783), 0.9060 (0.1671), 0.3529 (0.2700)."""
    male = (budworm["sex"] == "M").to_numpy(dtype=float)
    ldose = budworm["ldose"].to_numpy(dtype=float)
    X = np.column_stack((male, ldose, male * ldose))
    fit = mle.fit(X, budworm["dead"], trials=budworm["n"], names=("sexM", "ldose", "sexM:ldose"))
    assert round(fit.deviance, 3) == 4.994 and fit.df_resid == 8
    assert round(fit.null_deviance, 3) == 124.876 and fit.nobs - 1 == 11
    assert round(fit.aic, 3) == 43.104
    np.testing.assert_array_equal(np.round(fit.params, 4), [-2.9935, 0.1750, 0.9060, 0.3529])
    np.testing.assert_array_equal(np.round(fit.se, 4), [0.5527, 0.7783, 0.1671, 0.2700])
    table = fit.summary()
    assert "Residual deviance:   4.994  on  8 degrees of freedom" in table
    assert "    Null deviance: 124.876  on 11 degrees of freedom" in table
    assert "AIC: 43.104" in table


@pytest.mark.parametrize("largest", [10, 10**9], ids=["table", "gammaln"])
def test_the_log_binomial_coefficients_are_gammalns(largest):
    """log C(m, s) from a table of log k! (the largest m at most the rows' count) or by
    gammaln (larger m): scipy's gammaln of each row, to the bit."""
    from scipy.special import gammaln

    rng = np.random.default_rng(11)
    m = rng.integers(1, largest + 1, 1000).astype(float)
    m[:2] = largest, 1.0
    s = np.floor(rng.random(1000) * (m + 1.0))
    s[:2] = largest, 0.0
    want = gammaln(m + 1.0) - gammaln(s + 1.0) - gammaln(m - s + 1.0)
    np.testing.assert_array_equal(mle._log_binomial(m, s), want)


def test_challenger_counts_with_weights_give_the_joints_standard_error(challenger):
    launches, counts = challenger
    temp, distressed = counts["temp"].to_numpy(float), counts["distressed"].to_numpy(float)
    weighted = mle.fit(temp, distressed, weights=counts["joints"])
    grouped = mle.fit(launches["temp"].to_numpy(float), launches["distressed"],
                      trials=np.full(23, 6.0))  # fmt: skip
    as_people = mle.fit(temp, distressed)  # each row of the table taken as one joint
    assert weighted.nobs == 138 and grouped.nobs == 23
    # published: b = -0.1156 (SE 0.0470), intercept 5.085 (SE 3.052)
    np.testing.assert_array_equal(np.round(weighted.params, 4), [5.0850, -0.1156])
    np.testing.assert_array_equal(np.round(weighted.se, 4), [3.0525, 0.0470])
    np.testing.assert_allclose(grouped.params, weighted.params, **TIGHT)
    np.testing.assert_allclose(grouped.se, weighted.se, **TIGHT)
    assert round(float(as_people.se[1]), 4) == 0.0616


def test_the_weighted_pass_equals_the_expanded_pass_compiled_and_not():
    X, y, w = weighted_rows(seed=3, n=2_000)
    coef = np.array([0.1, 0.4, -0.2, 0.3])
    xe, ye = expand(X, y, w)
    for compiled in (True, False):
        ours = irls.newton_pass(X, w * y, coef, True, trials=w, compiled=compiled)
        theirs = irls.newton_pass(xe, ye, coef, True, compiled=compiled)
        np.testing.assert_allclose(ours.loglik, theirs.loglik, rtol=1e-12)
        for name in ("score", "info", "curvature"):
            np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-11,
                                       atol=1e-9, err_msg=name)  # fmt: skip


@pytest.mark.parametrize(
    ("keywords", "match"),
    [
        (
            {"weights": [1, 2.5, 1, 1, 1, 1]},
            r"weights must hold whole numbers >= 0: index 1 holds 2.5",
        ),
        ({"weights": [1, 1, -1, 1, 1, 1]}, r"weights .* index 2 holds -1"),
        ({"weights": [0, 0, 0, 0, 0, 0]}, r"weights are 0 for every row"),
        ({"trials": [3, 3, 0, 3, 3, 3]}, r"trials must hold whole numbers >= 1: index 2 holds 0"),
        ({"trials": [3, 3, 3, 1, 3, 3]}, r"successes at most their trials: index 3 holds 2"),
    ],
)
def test_bad_weights_and_trials_are_refused_in_one_line(keywords, match):
    X = np.arange(6.0)
    y = [0, 1, 0, 2, 1, 0] if "trials" in keywords else [0, 1, 0, 1, 1, 0]
    with pytest.raises(DataError, match=match) as caught:
        mle.fit(X, y, **keywords)
    assert "\n" not in str(caught.value)


def test_counts_that_are_not_whole_are_refused_and_all_failures_separate():
    with pytest.raises(DataError, match=r"y must hold whole numbers >= 0: index 0 holds 0.5"):
        mle.fit(np.arange(4.0), [0.5, 1, 0, 1], trials=[2, 2, 2, 2])
    with pytest.raises(SeparationError, match="every y is 0"):
        mle.fit(np.arange(4.0), [0, 0, 0, 0], trials=[2, 2, 2, 2])
