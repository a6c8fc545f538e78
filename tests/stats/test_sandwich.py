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


# --- the covariance summed in the fit's pass at the estimate ----------------------------


def folded_inputs(counted, kind):
    """(X, y, fit keywords, reference keywords) of a weighted, grouped or plain fit."""
    X, y, copies, trials, successes = counted
    if kind == "weights":
        return X, y, {"weights": copies}, {"copies": copies}
    if kind == "trials":
        return X, successes, {"trials": trials}, {"trials": trials}
    return X, y, {}, {}


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("kind", ["plain", "weights", "trials"])
@pytest.mark.parametrize("cov_type", list(sandwich.FORMULAS))
def test_the_fit_sums_every_covariance_in_its_pass_as_the_numpy_sandwich(
    counted, kind, cov_type, compiled, monkeypatch
):
    """mle.fit(cov_type=...) against sandwich.covariance of the fitted probabilities, on
    the compiled pass and NumPy's (60 rows: 7 clusters' per-task sums outgrow the rows, so
    the compiled pass hands them to NumPy's loop; tested at 2,000 rows below)."""
    from logitlab.stats import irls

    monkeypatch.setattr(irls, "COMPILED_ROWS", 0 if compiled else 10**9)
    X, y, keywords, reference = folded_inputs(counted, kind)
    clusters = np.arange(len(y)) % 7 if cov_type == "cluster" else None
    plain = mle_module.fit(X, y, **keywords)
    fit = mle_module.fit(X, y, cov_type=cov_type, clusters=clusters, **keywords)
    expected = sandwich.covariance(cov_type, plain.cov, X, y, plain.fitted, True, clusters,
                                   **reference)  # fmt: skip
    assert fit.cov_type == cov_type
    close(fit.cov, expected, EXACT)
    np.testing.assert_array_equal(fit.params, plain.params)


@pytest.mark.parametrize("cov_type", ["hc0", "hc2", "hc3", "cluster"])
def test_the_compiled_pass_folds_clusters_and_hat_values_on_more_rows(cov_type, monkeypatch):
    """2,000 rows, 40 clusters (each task's sums kept), frequency weights with zeros: the
    compiled pass's meat equals NumPy's pass's and the sandwich of the fitted rows."""
    from logitlab.stats import irls

    rng = np.random.default_rng(12)
    n = 2000
    X = rng.normal(size=(n, 4)) * [1.0, 3.0, 0.3, 1.0]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(0.1 + X @ [0.5, -0.2, 1.0, 0.3])))).astype(float)
    copies = rng.integers(0, 4, n).astype(float)
    clusters = rng.integers(0, 40, n) if cov_type == "cluster" else None
    fits = {}
    for compiled in (True, False):
        monkeypatch.setattr(irls, "COMPILED_ROWS", 0 if compiled else 10**9)
        fits[compiled] = mle_module.fit(X, y, weights=copies, cov_type=cov_type,
                                        clusters=clusters)  # fmt: skip
    plain = mle_module.fit(X, y, weights=copies)
    expected = sandwich.covariance(cov_type, plain.cov, X, y, plain.fitted, True, clusters,
                                   copies=copies)  # fmt: skip
    close(fits[True].cov, expected, EXACT)
    close(fits[False].cov, expected, EXACT)


def passes_counted(monkeypatch):
    """The rows of every pass a fit reads, and a NumPy sandwich made to fail if called."""
    rows, real = [], mle_module.newton_pass
    monkeypatch.setattr(mle_module, "newton_pass",
                        lambda x, *a, **k: rows.append(len(x)) or real(x, *a, **k))  # fmt: skip
    for name in ("covariance", "row_meat", "cluster_scores"):
        monkeypatch.setattr(sandwich, name, lambda *a, **k: pytest.fail("a pass of its own"))
    return rows


@pytest.mark.parametrize("kind", ["plain", "weights"])
def test_a_robust_or_clustered_fit_reads_the_rows_as_often_as_the_plain_fit(kind, monkeypatch):
    """hc0, robust, hc1 and cluster cost no pass over X: the same passes as the plain fit
    (a large fit, its sample's start included). HC2 and HC3 take one more exactly when
    hat_error is above HAT_RTOL; unweighted at this size neither does (5e-12 and 1e-11)."""
    rng = np.random.default_rng(5)
    n = 140_000
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(0.3 + X @ [0.8, -0.4, 1.1])))).astype(float)
    keywords = {"weights": rng.integers(0, 3, n).astype(float)} if kind == "weights" else {}
    clusters = rng.integers(0, 500, n)
    rows = passes_counted(monkeypatch)
    mle_module.fit(X, y, **keywords)
    plain, errors = list(rows), []
    real = sandwich.hat_error
    monkeypatch.setattr(sandwich, "hat_error", lambda *a: errors.append(real(*a)) or errors[-1])
    for cov_type in ("hc0", "robust", "hc1", "cluster"):
        rows.clear()
        mle_module.fit(X, y, cov_type=cov_type, clusters=clusters, **keywords)
        assert rows == plain, cov_type
    for cov_type in ("hc2", "hc3"):
        rows.clear()
        mle_module.fit(X, y, cov_type=cov_type, **keywords)
        assert rows == plain + [n] * (errors[-1] > sandwich.HAT_RTOL), cov_type
    assert kind == "weights" or max(errors) <= sandwich.HAT_RTOL


def test_hc2_on_few_rows_sums_its_meat_once_more_at_the_estimate(data, monkeypatch):
    """400 rows: the bread of the pass before bounds HC2's meat only to ~1e-8, so it is
    summed once more with the estimate's (one pass more than the plain fit), and equals the
    hat values of the estimate (the NumPy sandwich)."""
    X, y, _, _ = data
    rows = passes_counted(monkeypatch)
    mle_module.fit(X, y)
    plain = len(rows)
    rows.clear()
    hc2 = mle_module.fit(X, y, cov_type="hc2")
    assert len(rows) == plain + 1
    close(hc2.cov, by_hand(data, 1), PEER)


def test_hat_error_bounds_the_meat_of_a_stale_bread(data):
    """Hat values from the information at a point one small step off: the HC2 and HC3 meats
    differ from the estimate's by less than hat_error's bound (quadratic forms in any
    direction), and the bound is within a few orders of the difference."""
    X, y, _, fit = data
    D = np.column_stack((np.ones(len(X)), X))

    def info_at(b):
        p = 1.0 / (1.0 + np.exp(-D @ b))
        return D.T @ (D * (p * (1.0 - p))[:, None])

    before = info_at(fit.params * (1.0 + 1e-4))
    info = info_at(fit.params)
    largest = sandwich.leverage(D, fit.fitted, np.linalg.inv(before)).max()
    for cov_type in ("hc2", "hc3"):
        bound = sandwich.hat_error(cov_type, before, info, largest)
        exact = sandwich.row_meat(X, y, fit.fitted, True, cov_type, np.linalg.inv(info))
        stale = sandwich.row_meat(X, y, fit.fitted, True, cov_type, np.linalg.inv(before))
        # the largest relative change of u' M u over u: M^-1/2 (stale - exact) M^-1/2
        lower = np.linalg.cholesky(exact)
        inner = np.linalg.solve(lower, np.linalg.solve(lower, stale - exact).T)
        change = np.abs(np.linalg.eigvalsh((inner + inner.T) / 2)).max()
        assert 0 < change <= bound < 1e3 * change
    assert sandwich.hat_error("hc2", before, info, 1.0) == np.inf


def test_weights_and_trials_on_shards_equal_the_fit_in_memory(counted):
    """Chunks of 13 rows with weights, then with trials: the covariance summed in the shards'
    statistics pass equals the one the in-memory fit sums in its pass."""
    from logitlab.engines.collective import Local
    from logitlab.stats.sharded import fit_sharded

    X, y, copies, trials, successes = counted
    for labels, kind, column in ((y, "weights", copies), (successes, "trials", trials)):
        ones = np.ones(len(y))
        counts = (column, ones) if kind == "weights" else (ones, column)

        def batches(labels=labels, counts=counts):
            return ((X[i : i + 13], labels[i : i + 13], counts[0][i : i + 13],
                     counts[1][i : i + 13]) for i in range(0, len(y), 13))  # fmt: skip

        nobs = int(copies.sum()) if kind == "weights" else len(y)
        total, hits = int(np.sum(counts[0] * counts[1])), int(np.sum(labels * counts[0]))
        for cov_type in ("robust", "hc0", "hc1", "hc2", "hc3"):
            memory = mle_module.fit(X, labels, cov_type=cov_type, **{kind: column})
            sharded = fit_sharded(batches, Local(), nobs=nobs, successes=hits, names=("a", "b"),
                                  cov_type=cov_type, total=total,
                                  grouped=kind == "trials")  # fmt: skip
            close(sharded.cov, memory.cov, EXACT)
