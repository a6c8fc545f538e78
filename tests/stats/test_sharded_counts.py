"""Rows that stand for many on shards (stats.sharded.fit_sharded fed (X, y, weights, trials)
chunks): frequency weights and grouped binomial rows give statsmodels GLM's numbers
(freq_weights, a two-column endog) and the in-memory fit's (stats.mle.fit) in every
statistic, with the sandwich covariances too."""

import numpy as np
import pytest
import statsmodels.api as sm

from logitlab.engines.collective import Local
from logitlab.stats import mle, sandwich
from logitlab.stats.sharded import fit_sharded

NAMES = ("a", "b", "c")


@pytest.fixture(scope="module")
def rows():
    """200 rows: 3 features, a 0/1 label and a weight 0-4 (the first 40 all 0), and
    successes out of 1-6 trials."""
    rng = np.random.default_rng(11)
    n = 200
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5]
    p = 1 / (1 + np.exp(-(0.2 + X @ [0.7, -0.3, 1.2])))
    y = (rng.random(n) < p).astype(float)
    w = rng.integers(0, 5, n).astype(float)
    w[:40] = 0.0  # a whole chunk of rows that count for nothing
    t = rng.integers(1, 7, n).astype(float)
    return X, y, w, rng.binomial(t.astype(int), p).astype(float), t


def chunks(X, y, weights, trials, rows=40):
    return lambda: ((X[i : i + rows], y[i : i + rows],
                     None if weights is None else weights[i : i + rows],
                     None if trials is None else trials[i : i + rows])
                    for i in range(0, len(y), rows))  # fmt: skip


def assert_every_statistic(got, want):
    assert (got.nobs, got.df_resid, got.grouped) == (want.nobs, want.df_resid, want.grouped)
    for name in ("params", "se", "cov", "loglik", "llnull", "llsat", "deviance",
                 "null_deviance", "pearson_chi2", "aic", "bic", "llr_pvalue"):  # fmt: skip
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-10,
                                   atol=1e-13, err_msg=name)  # fmt: skip
    mine, theirs = got.marginal_effects(), want.marginal_effects()
    np.testing.assert_allclose(mine.estimate, theirs.estimate, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(mine.se, theirs.se, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got.pred_table(), want.pred_table(), rtol=1e-12)
    assert got.hosmer_lemeshow().groups == want.hosmer_lemeshow().groups


def test_frequency_weights_equal_statsmodels_glm_and_the_in_memory_fit(rows):
    X, y, w, _, _ = rows
    got = fit_sharded(chunks(X, y, w, None), Local(), nobs=int(w.sum()), total=int(w.sum()),
                      successes=int(w @ y), names=NAMES)  # fmt: skip
    assert_every_statistic(got, mle.fit(X, y, weights=w, names=NAMES))
    reference = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(),
                       freq_weights=w).fit(tol=1e-13)  # fmt: skip
    np.testing.assert_allclose(got.params, reference.params, rtol=1e-8)
    np.testing.assert_allclose(got.se, reference.bse, rtol=1e-8)
    np.testing.assert_allclose(got.loglik, reference.llf, rtol=1e-10)
    np.testing.assert_allclose(got.pearson_chi2, reference.pearson_chi2, rtol=1e-8)


def test_grouped_rows_equal_statsmodels_glm_and_the_in_memory_fit(rows):
    X, _, _, s, t = rows
    got = fit_sharded(chunks(X, s, None, t), Local(), nobs=len(s), total=int(t.sum()),
                      successes=int(s.sum()), names=NAMES, grouped=True)  # fmt: skip
    assert_every_statistic(got, mle.fit(X, s, trials=t, names=NAMES))
    reference = sm.GLM(np.column_stack((s, t - s)), sm.add_constant(X),
                       family=sm.families.Binomial()).fit(tol=1e-13)  # fmt: skip
    np.testing.assert_allclose(got.params, reference.params, rtol=1e-8)
    np.testing.assert_allclose(got.deviance, reference.deviance, rtol=1e-8)
    np.testing.assert_allclose(got.null_deviance, reference.null_deviance, rtol=1e-8)
    np.testing.assert_allclose(got.pearson_chi2, reference.pearson_chi2, rtol=1e-8)


@pytest.mark.parametrize("cov_type", ["robust", "hc0", "hc1", "hc2", "hc3"])
@pytest.mark.parametrize("counted", ["weights", "trials"])
def test_sandwich_covariances_count_the_rows_as_in_memory(rows, cov_type, counted):
    X, y, w, s, t = rows
    label, weights, trials = (y, w, None) if counted == "weights" else (s, None, t)
    memory = mle.fit(X, label, weights=weights, trials=trials, names=NAMES)
    bread = memory.cov
    cov = sandwich.covariance(cov_type, bread, X, label, memory.fitted, True, None, weights,
                              trials)  # fmt: skip
    got = fit_sharded(chunks(X, label, weights, trials), Local(), nobs=memory.nobs,
                      total=int((w if trials is None else t).sum()),
                      successes=int(memory.labels.sum()), names=NAMES, cov_type=cov_type,
                      grouped=trials is not None)  # fmt: skip
    assert got.cov_type == cov_type
    np.testing.assert_allclose(got.cov, cov, rtol=1e-10, atol=1e-15)
