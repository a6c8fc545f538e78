"""Penalized fits of rows read in chunks or spread over workers (stats.sharded.fit_penalized):
the in-memory fit's numbers (stats.penalized.fit_result, itself checked against scikit-learn
and glum) to 1e-8 for l2, l1 and the elastic net, 0/1 rows, frequency weights and grouped
rows; the same Newton steps and reads of the rows; the statistics that come from sums over
the rows."""

import numpy as np
import pytest

from logitlab.engines.collective import Local
from logitlab.errors import DataError
from logitlab.stats import penalized
from logitlab.stats.irls import COMPILED_ROWS
from logitlab.stats.sharded import ShardedPenalizedResult, ShardedProblem, fit_penalized

NAMES = ("a", "b", "c", "d")
#: lambda and l1 ratio of each penalty: small enough that l1 keeps some slopes, not all
PENALTIES = {"l2": (0.05, 0.0), "l1": (0.02, 1.0), "elasticnet": (0.03, 0.4)}
#: Every number of a fit of another code path: 1e-8 relative, 1e-12 absolute near 0
SAME = {"rtol": 1e-8, "atol": 1e-12}


@pytest.fixture(scope="module")
def rows():
    """3,000 rows of 4 features of unequal scales (one with no effect), their 0/1 labels, a
    frequency weight 0-3 a row (the first 400 all 0), and successes out of 1-5 trials."""
    rng = np.random.default_rng(6)
    n = 3_000
    X = rng.normal(size=(n, 4)) * [1.0, 3.0, 0.5, 2.0] + [0.0, 1.0, -2.0, 0.5]
    eta = 0.2 + X @ [0.9, -0.3, 1.2, 0.0]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    w = rng.integers(0, 4, n).astype(float)
    w[:400] = 0.0  # whole chunks of rows that count for nothing
    t = rng.integers(1, 6, n).astype(float)
    s = rng.binomial(t.astype(int), 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, w, s, t


@pytest.fixture
def small_blocks(monkeypatch):
    """A pass's blocks of 64 rows and sampled Hessians of 256 rows or more (every 11th block
    of 3,000 rows), so that 3,000 rows cross chunks, blocks and samples as 10**6 would."""
    monkeypatch.setattr(penalized, "ROWS", 64)
    monkeypatch.setattr(penalized, "SAMPLE_ROWS", 256)


def chunks(X, y, weights=None, trials=None, rows=500, start=0, stop=None, reads=None):
    """The chunks of rows start:stop, as data.shards' batches yield them (X, y) or (X, y,
    weights, trials); each read counted in reads[0] when given."""
    stop = len(y) if stop is None else stop

    def batches():
        if reads is not None:
            reads[0] += 1
        for i in range(start, stop, rows):
            j = min(i + rows, stop)
            if weights is None and trials is None:
                yield X[i:j], y[i:j]
            else:
                yield (X[i:j], y[i:j], None if weights is None else weights[i:j],
                       None if trials is None else trials[i:j])  # fmt: skip

    return batches


def counted(y, weights, trials):
    """nobs, total trials and successes as data.shards.ShardedDesign counts them."""
    w = np.ones(len(y)) if weights is None else weights
    m = w * (1.0 if trials is None else trials)
    return {"nobs": int(w.sum()), "total": int(m.sum()), "successes": int(w @ y),
            "grouped": trials is not None}  # fmt: skip


def table(rows, counts):
    """(labels, weights, trials) of the 0/1 rows, the weighted rows or the grouped rows."""
    _, y, w, s, t = rows
    return {"none": (y, None, None), "weights": (y, w, None), "trials": (s, None, t)}[counts]


def assert_same_fit(got, want):
    """The estimate, objective and every statistic from sums as the in-memory fit's."""
    assert isinstance(got, ShardedPenalizedResult) and got.converged and want.converged
    assert (got.nobs, got.grouped, got.penalty, got.nonzero, got.names) == (
        want.nobs, want.grouped, want.penalty, want.nonzero, want.names)  # fmt: skip
    assert (got.lam, got.l1_ratio) == (want.lam, want.l1_ratio)
    for name in ("params", "objective", "loglik", "llnull", "llsat", "deviance",
                 "null_deviance", "pearson_chi2", "aic", "bic", "prsquared", "scale",
                 "curvature"):  # fmt: skip
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), **SAME,
                                   err_msg=name)  # fmt: skip
    assert np.all(np.isnan(got.se)) and np.all(np.isnan(got.cov))
    mine, theirs = got.marginal_effects(), want.marginal_effects()
    np.testing.assert_allclose(mine.estimate, theirs.estimate, **SAME)
    assert np.all(np.isnan(mine.se)) and np.all(np.isnan(theirs.se))
    np.testing.assert_array_equal(got.pred_table(), want.pred_table())
    # the same lines but the reads' count (assert_same_reads: whole where memory samples)
    reads = [penalized.passes_words(fit.passes, fit.sample_reads) for fit in (want, got)]
    assert got.summary().splitlines()[2:] == want.summary().replace(*reads).splitlines()[2:]


def assert_same_reads(got, want) -> None:
    """The in-memory fit's Newton steps and reads of the rows: the shares are read whole
    where memory reads a Hessian's sample alone (a pass there, a sample read here)."""
    assert got.iterations == want.iterations and want.sample_reads >= 1
    assert (got.passes, got.sample_reads) == (want.passes + want.sample_reads, 0)


@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("counts", ["none", "weights", "trials"])
def test_chunks_give_the_in_memory_fit(rows, small_blocks, penalty, counts):
    X = rows[0]
    labels, weights, trials = table(rows, counts)
    lam, a = PENALTIES[penalty]
    want = penalized.fit_result(X, labels, NAMES, penalty, lam, a, weights=weights,
                                trials=trials)  # fmt: skip
    got = fit_penalized(chunks(X, labels, weights, trials, rows=400), Local(), names=NAMES,
                        penalty=penalty, lam=lam, l1_ratio=a, rows_per_worker=(len(X),),
                        **counted(labels, weights, trials))  # fmt: skip
    assert_same_fit(got, want)
    assert_same_reads(got, want)
    # the penalty's own work: l2 keeps every slope, l1 and the elastic net zero some
    assert 0 < want.nonzero < len(NAMES) or (penalty == "l2" and want.nonzero == len(NAMES))


def test_reads_the_shares_the_passes_it_reports_and_three_more(rows, small_blocks):
    X, y, w, _, _ = rows
    reads = [0]
    want = penalized.fit_result(X, y, NAMES, "elasticnet", 0.03, 0.4, weights=w)
    got = fit_penalized(chunks(X, y, w, None, rows=640, reads=reads), Local(), names=NAMES,
                        penalty="elasticnet", lam=0.03, l1_ratio=0.4,
                        rows_per_worker=(len(X),), **counted(y, w, None))  # fmt: skip
    # the columns' moments, the solver's passes, the pass at the estimate and the
    # statistics pass (the in-memory fit reads X for the first three as well)
    assert reads[0] == got.passes + 3
    assert_same_reads(got, want)
    np.testing.assert_allclose(got.params, want.params, **SAME)


@pytest.mark.parametrize("first", [1_900, 3_000])  # unequal shares; the second none
def test_two_workers_give_the_in_memory_fit(rows, small_blocks, threads, first):
    X = rows[0]
    labels, _, trials = table(rows, "trials")
    want = penalized.fit_result(X, labels, NAMES, "l1", 0.02, trials=trials)

    def work(group):
        share = (0, first) if group.rank == 0 else (first, 3_000)
        return fit_penalized(chunks(X, labels, None, trials, 300, *share), group,
                             names=NAMES, penalty="l1", lam=0.02,
                             rows_per_worker=(first, 3_000 - first),
                             **counted(labels, None, trials))  # fmt: skip

    first, second = threads(work)
    assert_same_fit(first, want)
    assert_same_reads(first, want)
    np.testing.assert_array_equal(first.params, second.params)  # the same on every worker


def test_a_column_of_no_spread_keeps_its_coefficient_at_zero(rows):
    X, y = rows[0].copy(), rows[1]
    X[:, 2] = 4.0
    want = penalized.fit_result(X, y, NAMES, "l2", 0.05)
    got = fit_penalized(chunks(X, y), Local(), names=NAMES, penalty="l2", lam=0.05,
                        rows_per_worker=(len(X),), **counted(y, None, None))  # fmt: skip
    assert_same_fit(got, want)
    assert got.params[3] == 0.0 and got.scale[2] == 0.0


def test_refusals_are_the_in_memory_fits(rows):
    X, y = rows[0], rows[1]
    ones = np.ones(len(y))
    with pytest.raises(DataError) as memory:
        penalized.fit_result(X, ones, NAMES, "l1", 0.1)
    with pytest.raises(DataError) as shares:
        fit_penalized(chunks(X, ones), Local(), names=NAMES, penalty="l1", lam=0.1,
                      rows_per_worker=(len(X),), **counted(ones, None, None))  # fmt: skip
    assert str(shares.value) == str(memory.value) and "both classes" in str(memory.value)


#: 640: whole blocks of 64; 500: chunks that begin in unsampled blocks; 705: a chunk that
#: begins a row into a sampled block (704 = 11 blocks of 64)
@pytest.mark.parametrize("rows_a_chunk", [640, 500, 705])
def test_a_pass_sums_the_in_memory_blocks(rows, small_blocks, rows_a_chunk):
    X, _, _, s, t = rows
    memory = penalized.Problem(X, s, trials=t)
    shares = ShardedProblem(chunks(X, s, None, t, rows=rows_a_chunk), Local(), d=4, offset=0,
                            rows=len(X), total=t.sum(), successes=s.sum())  # fmt: skip
    np.testing.assert_allclose(shares.to_original, memory.to_original, rtol=1e-14)
    assert memory.sample_stride() == shares.sample_stride() == 11
    theta, columns = np.array([0.1, 0.5, -0.2, 0.0, 0.3]), np.array([0, 1, 3])
    kept = {}
    for stride in (1, 11):  # 11: blocks 0, 11, 22, ... of 64 rows, the table's own
        want, got = memory.sums(theta, columns, stride), shares.sums(theta, columns, stride)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-14)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(shares.kept[0], memory.kept[0])
        # float32 products (~1e-7 each), summed in other groups
        np.testing.assert_allclose(shares.kept[1], memory.kept[1], rtol=1e-5)
        kept[stride] = shares.kept[1]
    assert not np.allclose(kept[1], kept[11], rtol=1e-3)  # a sample, not every row
    # the second Hessian, at the first's point: memory reads its sample, the shares whole
    assert (memory.passes, memory.sample_reads, memory.hessians) == (1, 1, 2)
    assert (shares.passes, shares.sample_reads, shares.hessians) == (2, 0, 2)


def test_the_compiled_pass_in_chunks_gives_the_in_memory_fit(small_blocks):
    rng = np.random.default_rng(9)
    # the in-memory pass compiled where Numba is installed, and the shares' first chunk; the
    # second chunk's 2,999 rows, which begin mid-way through a stride, by NumPy's loop
    n = COMPILED_ROWS + 3_000
    X = rng.normal(size=(n, 4)) * [1.0, 3.0, 0.5, 2.0]
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + X @ [0.9, -0.3, 1.2, 0.0])))).astype(float)
    want = penalized.fit_result(X, y, NAMES, "l1", 0.02)
    got = fit_penalized(chunks(X, y, rows=COMPILED_ROWS + 1), Local(), names=NAMES, penalty="l1",
                        lam=0.02, rows_per_worker=(n,), **counted(y, None, None))  # fmt: skip
    assert_same_fit(got, want)
    assert_same_reads(got, want)
