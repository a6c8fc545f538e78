"""A fit in shares codes each chunk of a formula once: a worker's coded chunks are kept
between its passes while they fit in the bound (ShardedDesign.passes, budget.cache_bound), the
same arrays every pass, so the fit equals the streamed one bit for bit; beyond the bound every
pass reads and codes them again, as a table larger than memory must be read."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from logitlab import budget
from logitlab.data.design import ModelSpec
from logitlab.data.shards import agree_design, open_shards
from logitlab.engines.collective import Local
from logitlab.stats.sharded import fit_firth
from logitlab.studies.sharded import fit_shards

FORMULA = "y ~ x + z + C(g)"
ROWS, CHUNK = 120, 25


@pytest.fixture
def folder(tmp_path):
    """120 rows of a 0/1 target, a 3-class one, two numbers, a factor and whole weights, in
    two Parquet files of row groups of 30 rows."""
    rng = np.random.default_rng(5)
    x, z = rng.normal(size=ROWS), rng.normal(size=ROWS)
    g = rng.choice(["a", "b", "c"], size=ROWS)
    eta = -0.3 + 1.1 * x - 0.7 * z + 0.8 * (g == "b")
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-eta))).astype(int)
    k = np.digitize(eta + rng.logistic(size=ROWS), [-0.5, 0.5])
    frame = pd.DataFrame({"y": y, "k": k, "x": x, "z": z, "g": g,
                          "w": rng.integers(1, 4, size=ROWS)})  # fmt: skip
    path = tmp_path / "parts"
    path.mkdir()
    for i, part in enumerate(np.array_split(np.arange(ROWS), 2)):
        pq.write_table(pa.Table.from_pandas(frame.iloc[part], preserve_index=False),
                       path / f"part-{i}.parquet", row_group_size=30)  # fmt: skip
    return path


@pytest.fixture
def codings(monkeypatch):
    """The rows of every call of the formula's coding (ModelSpec.design), in order."""
    calls = []
    real = ModelSpec.design

    def counted(self, frame):
        calls.append(len(frame))
        return real(self, frame)

    monkeypatch.setattr(ModelSpec, "design", counted)
    return calls


def chunks(folder):
    """The chunks of CHUNK rows a pass reads, counted from the reader itself."""
    return sum(1 for _ in open_shards(folder).chunks(chunk_rows=CHUNK))


@pytest.mark.parametrize("formula", [FORMULA, "k ~ x + z + C(g)"], ids=["binary", "3 classes"])
def test_a_formula_fit_in_chunks_codes_each_chunk_once(folder, codings, formula):
    fitted = fit_shards(folder, Local(), chunk_rows=CHUNK, formula=formula)
    assert fitted.mle.iterations >= 3  # passes enough to have coded every chunk again
    assert len(codings) == chunks(folder) > 1 and sum(codings) == ROWS


def test_a_firth_fit_in_chunks_codes_each_chunk_once(folder, codings):
    """The case that took 46 s against 15.6 s in memory: hundreds of passes, ~80% coding."""
    fitted = fit_shards(folder, Local(), chunk_rows=CHUNK, formula=FORMULA, firth=True)
    assert fitted.mle.passes > 20 and fitted.mle.profiled
    assert len(codings) == chunks(folder) and sum(codings) == ROWS


def test_plain_columns_are_never_coded(folder, codings):
    fit_shards(folder, Local(), chunk_rows=CHUNK, formula="y ~ x + z")
    assert codings == []


def streamed(monkeypatch):
    monkeypatch.setattr(budget, "cache_bound", lambda workers=1: 0.0)


def test_the_cached_fit_equals_the_streamed_one_bit_for_bit(folder, monkeypatch, codings):
    how = {"chunk_rows": CHUNK, "formula": FORMULA, "cov": "hc3", "weights": "w"}
    cached = fit_shards(folder, Local(), **how).mle
    assert len(codings) == chunks(folder)
    streamed(monkeypatch)
    again = fit_shards(folder, Local(), **how).mle
    assert len(codings) >= chunks(folder) * again.iterations  # each chunk coded a pass
    for name in ("params", "cov", "bse", "counts", "risk"):
        assert np.array_equal(getattr(cached, name), getattr(again, name)), name
    assert (cached.llf, cached.mean_weight, cached.pearson_chi2) == (
        again.llf, again.mean_weight, again.pearson_chi2)  # fmt: skip


def test_a_cached_firth_fit_equals_the_streamed_one_bit_for_bit(folder):
    shards = open_shards(folder)
    design = agree_design(shards, formula=FORMULA)
    rows = {"nobs": design.observations, "successes": design.successes, "names": design.names}
    fits = [fit_firth(design.passes(shards, 60, bound=bound), Local(), profile=False, **rows)
            for bound in (np.inf, 0.0)]  # fmt: skip
    for name in ("params", "cov", "penalized_loglik", "penalized_llnull", "loglik", "pvalues"):
        assert np.array_equal(getattr(fits[0], name), getattr(fits[1], name)), name


@pytest.mark.parametrize("weights", [None, "w"])
def test_beyond_the_bound_every_pass_reads_and_codes_again(folder, codings, weights):
    """The bound counts X, y and the weights, float64, of this worker's rows."""
    shards = open_shards(folder)
    design = agree_design(shards, formula=FORMULA, weights=weights)
    need = 8 * ROWS * (len(design.names) + 1 + (weights is not None))
    codings.clear()
    read = design.passes(shards, CHUNK, bound=need)
    first = list(read())
    assert len(codings) == chunks(folder)
    second, third = list(read()), list(read())
    assert len(codings) == chunks(folder)
    assert all(a is b is c for one, two, three in zip(first, second, third, strict=True)
               for a, b, c in zip(one, two, three, strict=True))  # fmt: skip
    codings.clear()
    read = design.passes(shards, CHUNK, bound=need - 1)
    passes = [list(read()) for _ in range(3)]
    assert len(codings) == 3 * chunks(folder)
    for one, other in zip(first, passes[2], strict=True):
        assert one[0] is not other[0] and np.array_equal(one[0], other[0])
        assert np.array_equal(one[1], other[1])


def test_a_pass_left_midway_keeps_nothing(folder, codings):
    shards = open_shards(folder)
    design = agree_design(shards, formula=FORMULA)
    codings.clear()
    read = design.passes(shards, CHUNK, bound=np.inf)
    next(read())
    assert len(codings) == 1
    whole = list(read())
    assert len(codings) == 1 + chunks(folder) and sum(len(c[1]) for c in whole) == ROWS
    list(read())
    assert len(codings) == 1 + chunks(folder)
