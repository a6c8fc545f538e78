"""Firth's fit on rows read in chunks or spread over workers (stats.sharded.fit_firth): the
in-memory fit's numbers (stats.firth.fit, itself checked against logistf) to 1e-8 in the
estimates, logistf's standard errors, the profile bounds, the penalized likelihood-ratio
p-values and the penalized null, on separated 0/1 rows, frequency weights and grouped rows;
the per-row statistics from sums; the profiles' time bound agreed between the workers."""

import math

import numpy as np
import pytest

from logitlab.engines.collective import Local
from logitlab.errors import DataError
from logitlab.stats import firth
from logitlab.stats.sharded import ShardedFirthResult, fit_firth

NAMES = ("a", "b", "c")


@pytest.fixture(scope="module")
def rows():
    """90 rows of 3 features whose 0/1 labels a line separates (no MLE: Firth's case), a
    frequency weight 0-3 a row (the first 30 all 0), and successes out of 1-5 trials."""
    rng = np.random.default_rng(21)
    n = 90
    X = rng.normal(size=(n, 3)) * [1.0, 3.0, 0.5]
    y = (X[:, 0] - 0.2 * X[:, 1] > 0.3).astype(float)
    w = rng.integers(0, 4, n).astype(float)
    w[:30] = 0.0  # a whole chunk of rows that count for nothing
    t = rng.integers(1, 6, n).astype(float)
    p = 1 / (1 + np.exp(-(0.3 + X @ [0.8, -0.2, 1.1])))
    return X, y, w, rng.binomial(t.astype(int), p).astype(float), t


def chunks(X, y, weights=None, trials=None, rows=30, start=0, stop=None):
    """The chunks of rows start:stop, as data.shards' batches yield them."""
    stop = len(y) if stop is None else stop
    return lambda: ((X[i : i + rows], y[i : i + rows],
                     None if weights is None else weights[i : i + rows],
                     None if trials is None else trials[i : i + rows])
                    for i in range(start, stop, rows))  # fmt: skip


def counted(y, weights, trials):
    """nobs, total trials and successes as data.shards.ShardedDesign counts them."""
    w = np.ones(len(y)) if weights is None else weights
    m = w * (1.0 if trials is None else trials)
    return {"nobs": int(w.sum()), "total": int(m.sum()), "successes": int(w @ y)}


def assert_same_firth(got, want):
    """Every statistic of the Firth fit within 1e-8 (relative; 1e-10 absolute near 0)."""
    assert isinstance(got, ShardedFirthResult) and got.converged and want.converged
    assert (got.nobs, got.grouped, got.profiled, got.wald_terms, got.note) == (
        want.nobs, want.grouped, want.profiled, want.wald_terms, want.note)  # fmt: skip
    for name in ("params", "se", "cov", "lr_chi2", "lower", "upper", "pvalues", "conf_int",
                 "penalized_loglik", "penalized_llnull", "llr", "llr_pvalue", "loglik",
                 "llnull", "aic", "bic", "llsat", "deviance", "pearson_chi2"):  # fmt: skip
        value = getattr(got, name)
        mine, theirs = (value(), getattr(want, name)()) if callable(value) else (
            value, getattr(want, name))  # fmt: skip
        np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-10, err_msg=name)
    mine, theirs = got.marginal_effects(), want.marginal_effects()
    np.testing.assert_allclose(mine.estimate, theirs.estimate, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(mine.se, theirs.se, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got.pred_table(), want.pred_table(), rtol=1e-12)


@pytest.mark.parametrize("counts", ["none", "weights", "trials"])
def test_chunks_give_the_in_memory_fit(rows, counts):
    X, y, w, s, t = rows
    label, weights, trials = {"none": (y, None, None), "weights": (y, w, None),
                              "trials": (s, None, t)}[counts]  # fmt: skip
    want = firth.fit(X, label, names=NAMES, weights=weights, trials=trials, profile=True)
    got = fit_firth(chunks(X, label, weights, trials), Local(), names=NAMES,
                    grouped=trials is not None, profile=True,
                    **counted(label, weights, trials))  # fmt: skip
    assert_same_firth(got, want)
    assert got.interval_method == want.interval_method and "Wald" not in got.interval_method


def test_two_workers_give_the_in_memory_fit(rows, threads):
    X, y, w, _, _ = rows
    want = firth.fit(X, y, names=NAMES, weights=w, conf_level=0.9, profile=True)

    def work(group):
        half = slice(0, 60) if group.rank == 0 else slice(60, 90)  # unequal shares
        return fit_firth(chunks(X, y, w, None, 20, half.start, half.stop), group,
                         names=NAMES, conf_level=0.9, profile=True,
                         **counted(y, w, None))  # fmt: skip

    first, second = threads(work)
    assert_same_firth(first, want)
    for name in ("params", "se", "lower", "upper", "lr_chi2"):  # the same on every worker
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


class OtherWorkerLate:
    """Worker 0 of two whose partner holds no rows and whose clock is past every deadline:
    its sums add nothing but its verdict in the deadline's agreement (the one sum of two
    numbers, [failed, late])."""

    rank, world = 0, 2

    def sum(self, values):
        total = np.array(values, dtype=np.float64)
        if len(total) == 2:
            total[1] += 1.0
        return total

    def gather(self, value):
        return [value, None]


def test_a_worker_past_the_deadline_stops_every_workers_profiles(rows):
    X, y, _, _, _ = rows
    got = fit_firth(chunks(X, y), OtherWorkerLate(), names=NAMES, **counted(y, None, None))
    wald = firth.fit(X, y, names=NAMES, profile=False)
    assert not got.profiled and got.wald_terms == ("Intercept", *NAMES)
    assert got.note.startswith(f"Wald intervals and p-values: no profile done within "
                               f"{firth.MAX_PROFILE_SECONDS:g} s")  # fmt: skip
    assert np.isnan(got.lr_chi2).all()
    np.testing.assert_allclose(got.params, wald.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(got.conf_int(), wald.conf_int(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(got.pvalues, wald.pvalues, rtol=1e-8, atol=1e-12)
    assert got.passes < 2 * wald.passes  # the fit, its covariance and null; no profiles
    assert math.isfinite(got.penalized_llnull)


def test_refusals_are_the_in_memory_fits(rows):
    X, y, _, _, _ = rows
    with pytest.raises(DataError, match="both classes"):
        fit_firth(chunks(X, np.zeros(len(y))), Local(), names=NAMES, nobs=len(y),
                  total=len(y), successes=0)  # fmt: skip
    twin = np.column_stack((X, X[:, 1]))
    with pytest.raises(DataError, match=r"columns b and d of X .* linearly dependent"):
        fit_firth(chunks(twin, y), Local(), names=(*NAMES, "d"), **counted(y, None, None))
    with pytest.raises(DataError, match="usable rows"):
        fit_firth(chunks(X[:3], y[:3]), Local(), names=NAMES, **counted(y[:3], None, None))
