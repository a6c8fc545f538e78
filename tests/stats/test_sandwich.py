"""Sandwich covariances against statsmodels (Logit and GLM Binomial), with each peer's
small-sample factor applied explicitly, and against a NumPy sandwich written here."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from logitlab.errors import ConfigError
from logitlab.stats import mle as mle_module
from logitlab.stats import sandwich

#: Our Newton and statsmodels' stop at different points within their tolerances: the
#: covariances they imply agree to this (relative); a factor between two of ours is exact.
PEER = 1e-8
EXACT = 1e-10


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 400
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    logit = 0.3 + X @ [0.8, -0.4, 1.2]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(float)
    clusters = rng.integers(0, 23, n)
    fit = mle_module.fit(X, y)
    return X, y, clusters, fit


def ours(data, cov_type, clusters=None):
    X, y, _, fit = data
    return sandwich.covariance(cov_type, fit.cov, X, y, fit.fitted, True, clusters)


def by_hand(data, power):
    """B (sum s s' / (1 - h)^power) B with h the hat values, all in dense NumPy."""
    X, y, _, fit = data
    D = np.column_stack((np.ones(len(X)), X))
    p = 1.0 / (1.0 + np.exp(-D @ fit.params))
    w = p * (1.0 - p)
    bread = np.linalg.inv(D.T @ (D * w[:, None]))
    h = w * np.sum((D @ bread) * D, axis=1)
    S = D * (y - p)[:, None]
    return bread @ (S.T @ (S / (1.0 - h)[:, None] ** power)) @ bread


def peer(data, cov_type, **kwds):
    X, y, _clusters, _ = data
    D = sm.add_constant(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logit = sm.Logit(y, D).fit(disp=0, method="newton", tol=1e-14, maxiter=100,
                                   cov_type=cov_type, cov_kwds=kwds or None)  # fmt: skip
        glm = sm.GLM(y, D, family=sm.families.Binomial()).fit(
            tol=1e-14, cov_type=cov_type, cov_kwds=kwds or None
        )
    return logit.cov_params(), glm.cov_params()


def close(a, b, rtol):
    scale = np.abs(b).max()
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def test_hc0_is_statsmodels_hc0_and_the_numpy_sandwich(data):
    logit, glm = peer(data, "HC0")
    hc0 = ours(data, "hc0")
    close(hc0, logit, PEER)
    close(hc0, glm, PEER)
    close(hc0, by_hand(data, 0), PEER)
    assert not np.allclose(hc0, data[3].cov, rtol=1e-3)  # a sandwich, not the bread


def test_robust_and_hc1_are_hc0_times_their_factors(data):
    n, k = len(data[1]), 4
    hc0 = ours(data, "hc0")
    close(ours(data, "robust") / hc0, np.full((k, k), n / (n - 1.0)), EXACT)  # Stata
    close(ours(data, "hc1") / hc0, np.full((k, k), n / (n - 4.0)), EXACT)  # R sandwich, GLM
    logit, _ = peer(data, "HC0")
    close(ours(data, "hc1"), logit * n / (n - k), PEER)


def test_statsmodels_hc1_to_hc3_equal_its_hc0_for_logit_and_glm(data):
    """Why HC1-HC3 are checked against the NumPy sandwich here: statsmodels 0.15 returns
    HC0 for all four on Logit and GLM (no small-sample factor, no hat values)."""
    logit0, glm0 = peer(data, "HC0")
    for cov_type in ("HC1", "HC2", "HC3"):
        logit, glm = peer(data, cov_type)
        close(logit, logit0, EXACT)
        close(glm, glm0, EXACT)


def test_hc2_hc3_weigh_by_the_glm_hat_values(data):
    X, y, _, fit = data
    close(ours(data, "hc2"), by_hand(data, 1), PEER)
    close(ours(data, "hc3"), by_hand(data, 2), PEER)
    glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial()).fit(tol=1e-14)
    hat = glm.get_hat_matrix_diag()
    D = np.column_stack((np.ones(len(X)), X))
    close(sandwich.leverage(D, fit.fitted, fit.cov), hat, PEER)
    assert sandwich.leverage(D, fit.fitted, fit.cov).sum() == pytest.approx(4.0, rel=1e-9)
    # HC3 > HC2 > HC0 on the diagonal, each row weighed up by 1 / (1 - h) < 1 / (1 - h)^2
    assert np.all(np.diag(ours(data, "hc3")) > np.diag(ours(data, "hc2")))
    assert np.all(np.diag(ours(data, "hc2")) > np.diag(ours(data, "hc0")))


def test_cluster_is_stata_g_over_g_minus_1_only(data):
    _X, y, clusters, _ = data
    n, k, g = len(y), 4, len(np.unique(clusters))
    raw_logit, raw_glm = peer(data, "cluster", groups=clusters, use_correction=False)
    mine = ours(data, "cluster", clusters)
    close(mine, raw_logit * g / (g - 1.0), PEER)
    close(mine, raw_glm * g / (g - 1.0), PEER)
    corrected, _ = peer(data, "cluster", groups=clusters)  # statsmodels' default
    close(corrected / raw_logit, np.full((k, k), g / (g - 1.0) * (n - 1.0) / (n - k)), EXACT)
    # labels of any kind: strings name the same clusters
    close(ours(data, "cluster", np.array([f"c{c}" for c in clusters])), mine, EXACT)


def test_cluster_of_one_row_each_is_hc0_times_n_over_n_minus_1(data):
    n = len(data[1])
    close(ours(data, "cluster", np.arange(n)), ours(data, "robust"), EXACT)


def test_one_cluster_and_missing_labels_are_refused(data):
    with pytest.raises(ConfigError, match="at least 2 clusters, got 1"):
        ours(data, "cluster", np.zeros(len(data[1])))
    with pytest.raises(ConfigError, match="one cluster label per row"):
        ours(data, "cluster", None)


def test_nonrobust_is_the_bread(data):
    assert ours(data, "nonrobust") is data[3].cov


def test_blocks_add_up_to_one_pass(data, monkeypatch):
    whole = {t: ours(data, t, data[2] if t == "cluster" else None) for t in sandwich.FORMULAS}
    monkeypatch.setattr(sandwich, "BLOCK", 37)
    for cov_type, cov in whole.items():
        clusters = data[2] if cov_type == "cluster" else None
        close(ours(data, cov_type, clusters), cov, 1e-12)


def test_with_cov_carries_the_covariance_into_every_wald_statistic(data):
    X, y, _clusters, fit = data
    cov = ours(data, "hc1")
    robust = fit.with_cov(cov, "hc1")
    assert robust.cov_type == "hc1" and fit.cov_type == "nonrobust"
    np.testing.assert_allclose(robust.se, np.sqrt(np.diag(cov)), rtol=1e-15)
    np.testing.assert_allclose(robust.z, fit.params / np.sqrt(np.diag(cov)), rtol=1e-15)
    assert robust.loglik == fit.loglik and robust.llr == fit.llr  # likelihood-based
    n = len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial()).fit(
            tol=1e-14, cov_type="HC0"
        )
    # statsmodels' HC0 scaled to HC1 by hand: its intervals and p-values at that covariance
    scaled = glm.bse * np.sqrt(n / (n - 4.0))
    np.testing.assert_allclose(robust.se, scaled, rtol=PEER)
    from scipy.stats import norm

    np.testing.assert_allclose(robust.pvalues, 2 * norm.sf(np.abs(glm.params / scaled)),
                               rtol=1e-6, atol=1e-14)  # fmt: skip
    lower = glm.params - norm.ppf(0.95) * scaled
    np.testing.assert_allclose(robust.conf_int(0.1)[:, 0], lower, rtol=PEER, atol=1e-12)
    # the marginal effects' delta method takes the sandwich too: statsmodels' get_margeff
    # of the HC0 fit, its standard errors scaled by the same factor
    margeff = sm.Logit(y, sm.add_constant(X)).fit(disp=0, cov_type="HC0").get_margeff()
    np.testing.assert_allclose(robust.marginal_effects().se,
                               margeff.margeff_se * np.sqrt(n / (n - 4.0)), rtol=1e-6)  # fmt: skip
    assert "Covariance Type:" in robust.summary() and "hc1" in robust.summary()


@pytest.mark.parametrize("cov_type", ["robust", "hc0", "hc1", "hc2", "hc3"])
def test_on_shards_equal_to_in_memory(data, cov_type):
    """Chunks of 57 rows, their meats summed in the pass after convergence (each row's hat
    value from the bread, known by then), give the in-memory covariance."""
    from logitlab.engines.collective import Local
    from logitlab.stats.sharded import fit_sharded

    X, y, _, fit = data

    def batches():
        return ((X[i : i + 57], y[i : i + 57]) for i in range(0, len(y), 57))

    sharded = fit_sharded(batches, Local(), nobs=len(y), successes=int(y.sum()),
                          names=("a", "b", "c"), cov_type=cov_type)  # fmt: skip
    in_memory = fit.with_cov(ours(data, cov_type), cov_type)
    assert sharded.cov_type == cov_type
    close(sharded.cov, in_memory.cov, EXACT)
    np.testing.assert_allclose(sharded.se, in_memory.se, rtol=EXACT)
    close(sharded.marginal_effects().se, in_memory.marginal_effects().se, EXACT)


def test_on_shards_cluster_is_refused():
    from logitlab.engines.collective import Local
    from logitlab.stats.sharded import fit_sharded

    with pytest.raises(ConfigError, match="computes the covariances nonrobust, robust, hc0"):
        fit_sharded(list, Local(), nobs=10, successes=5, names=("a",), cov_type="cluster")


@pytest.fixture(scope="module")
def counted():
    """60 rows, each with a frequency weight (1-4) and, separately, binomial trials (1-6)."""
    rng = np.random.default_rng(9)
    n = 60
    X = rng.normal(size=(n, 2))
    p = 1.0 / (1.0 + np.exp(-(0.2 + X @ [0.9, -0.6])))
    copies = rng.integers(1, 5, n).astype(float)
    trials = rng.integers(1, 7, n).astype(float)
    y = (rng.random(n) < p).astype(float)
    return X, y, copies, trials, rng.binomial(trials.astype(int), p).astype(float)


@pytest.mark.parametrize("cov_type", ["robust", "hc0", "hc1", "hc2", "hc3", "cluster"])
def test_frequency_weights_equal_the_expanded_rows(counted, cov_type):
    X, y, copies, _, _ = counted
    clusters = np.arange(len(y)) % 7
    fit = mle_module.fit(X, y, weights=copies)
    weighted = sandwich.covariance(cov_type, fit.cov, X, y, fit.fitted, True, clusters,
                                   copies=copies)  # fmt: skip
    rows = np.repeat(np.arange(len(y)), copies.astype(int))
    expanded = sandwich.covariance(cov_type, fit.cov, X[rows], y[rows], fit.fitted[rows], True,
                                   clusters[rows])  # fmt: skip
    close(weighted, expanded, EXACT)
    close(mle_module.fit(X[rows], y[rows]).cov, fit.cov, PEER)  # the same bread


def test_frequency_weights_are_statsmodels_freq_weights(counted):
    X, y, copies, _, _ = counted
    fit = mle_module.fit(X, y, weights=copies)
    glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(),
                 freq_weights=copies).fit(tol=1e-14, cov_type="HC0")  # fmt: skip
    hc0 = sandwich.covariance("hc0", fit.cov, X, y, fit.fitted, True, copies=copies)
    close(hc0, glm.cov_params(), PEER)


def test_grouped_rows_are_one_observation_each_as_r_glm_cbind(counted):
    X, _, _, trials, successes = counted
    fit = mle_module.fit(X, successes, trials=trials)
    D = sm.add_constant(X)
    glm = sm.GLM(np.column_stack((successes, trials - successes)), D,
                 family=sm.families.Binomial()).fit(tol=1e-14, cov_type="HC0")  # fmt: skip
    hc0 = sandwich.covariance("hc0", fit.cov, X, successes, fit.fitted, True, trials=trials)
    close(hc0, glm.cov_params(), PEER)
    plain = sm.GLM(np.column_stack((successes, trials - successes)), D,
                   family=sm.families.Binomial()).fit(tol=1e-14)  # fmt: skip
    hat = sandwich.leverage(D, fit.fitted, fit.cov, trials)
    close(hat, plain.get_hat_matrix_diag(), PEER)
    n, k = len(trials), 3  # n: the rows, as R counts grouped data
    hc1 = sandwich.covariance("hc1", fit.cov, X, successes, fit.fitted, True, trials=trials)
    close(hc1 / hc0, np.full((k, k), n / (n - k)), EXACT)


def test_the_settings_offer_every_covariance_with_a_formula():
    from logitlab.config import COV_TYPES

    assert tuple(sandwich.FORMULAS) == COV_TYPES
