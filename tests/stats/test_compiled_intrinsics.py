"""The compiled pass's tile transpose by shuffles against NumPy's, its prefetch hint, and
the plan by which a pass asks for the next tile's cache lines."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from logitlab.stats import compiled_pass as cp
from logitlab.stats import irls
from logitlab.stats.compiled_intrinsics import prefetch, transpose_pair, wide_vectors
from logitlab.stats.compiled_pass import copy_tile


@njit
def _pair(source, start, stride, target, at, pitch):
    transpose_pair(source, start, stride, target, at, pitch)


@njit
def _hint(source, index):
    prefetch(source, index)


def test_a_prefetch_changes_nothing_and_refuses_other_arrays_when_typed():
    source = np.arange(10.0)
    for index in (0, 9, 10 + 64):  # past the end: a hint, which never faults
        _hint(source, index)
    np.testing.assert_array_equal(source, np.arange(10.0))
    with pytest.raises(TypingError, match="1-D float64"):
        _hint(np.arange(10), 0)
    with pytest.raises(TypingError, match="1-D float64"):
        _hint(np.zeros((2, 5)), 0)


def test_wide_vectors_marks_the_calling_function_and_changes_no_result():
    @njit
    def total(x):
        wide_vectors()
        s = 0.0
        for v in x:
            s += v
        return s

    @njit
    def plain(x):
        s = 0.0
        for v in x:
            s += v
        return s

    x = np.random.default_rng(3).normal(size=1001)
    assert total(x) == plain(x)  # no fastmath: the same order of sums
    assert '"prefer-vector-width"="512"' in next(iter(total.inspect_llvm().values()))
    assert "prefer-vector-width" not in next(iter(plain.inspect_llvm().values()))


@pytest.mark.parametrize("by_columns", [False, True])
@pytest.mark.parametrize(("n", "lo"), [(1000, 256), (1000, 768), (1000, 1024), (37, 0)])
def test_a_plan_asks_for_each_line_of_the_next_tile_once_and_nothing_outside(by_columns, n, lo):
    """The plan's lines cover the tile's values (rows lo .. lo + 255 of an n x 3 design, or
    none past n) eight to a line, all inside it, each run in turn; FIRST_BURST a sweep until
    the sweeps are counted, then spread over as many sweeps as the last tile took."""
    d, tile = 3, 256
    m = max(0, min(n, lo + tile) - lo)
    if by_columns:
        inside = [j * n + lo + i for j in range(d) for i in range(m)]
    else:
        inside = list(range(lo * d, (lo + m) * d))
    plan = np.zeros(cp.PLAN_FIELDS, dtype=np.int64)
    cp.plan_ahead(plan, by_columns, n, d, lo, tile)
    lines, run = plan[cp.LEFT], plan[cp.RUN]
    first = [plan[cp.BASE] + line // run * plan[cp.STRIDE] + line % run * 8 for line in
             range(lines)]  # fmt: skip
    assert set(first) <= set(inside)
    covered = {a + i for a in first for i in range(8)}
    assert set(inside) <= covered and len(first) == len(set(first))
    sweeps = 0
    while plan[cp.LEFT]:
        cp.fetch_ahead(np.zeros(n * d), plan)
        sweeps += 1
    assert sweeps == -(-lines // cp.FIRST_BURST)
    assert plan[cp.COLUMN] * run + plan[cp.AT] == lines  # every run walked, in turn
    cp.plan_ahead(plan, by_columns, n, d, lo, tile)
    assert plan[cp.BURST] == (-(-lines // sweeps) if sweeps else cp.FIRST_BURST)


def test_a_pair_of_columns_of_four_rows_lands_transposed_and_nothing_else_moves():
    source = np.arange(6 * 5, dtype=float)  # 6 x 5, row-major
    target = np.full(3 * 8, -1.0)  # 3 columns of 8
    _pair(source, 5 + 2, 5, target, 8 + 3, 8)  # rows 1-4, columns 2-3 -> columns 1-2, at 3
    want = np.full((3, 8), -1.0)
    want[1:3, 3:7] = source.reshape(6, 5)[1:5, 2:4].T
    np.testing.assert_array_equal(target.reshape(3, 8), want)


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 7, 10])
@pytest.mark.parametrize("m", [1, 3, 4, 5, 7, 64])
@pytest.mark.parametrize("by_columns", [False, True])
def test_a_tile_is_copied_into_its_columns_as_numpys_transpose(d, m, by_columns):
    """Rows lo .. lo + m - 1 of an n x d design, C or F order, into columns 1 .. d of a
    scratch buffer of 64-row columns (column 0, the intercept's, untouched): odd widths take
    the last column twice, tiles not a multiple of four rows finish row by row."""
    n, lo, tile = 200, 37, 64
    x = np.random.default_rng(d * 100 + m).normal(size=(n, d))
    flat = (x.T if by_columns else x).copy().reshape(-1)
    xt = np.full((d + 2) * tile, np.nan)
    xt[:tile] = 1.0
    copy_tile(flat, by_columns, xt, n, d, lo, m, tile, tile)
    columns = xt.reshape(d + 2, tile)
    np.testing.assert_array_equal(columns[1 : d + 1, :m], x[lo : lo + m].T)
    assert np.all(columns[0] == 1.0)
    assert np.isnan(columns[1 : d + 1, m:]).all() and np.isnan(columns[d + 1]).all()


def test_the_pair_transpose_refuses_arrays_other_than_float64_when_typed():
    """It reads pairs of float64: an int or float32 array is a typing error, never garbage."""
    with pytest.raises(TypingError, match="1-D float64"):
        _pair(np.arange(20), 0, 5, np.zeros(8), 0, 4)
    with pytest.raises(TypingError, match="1-D float64"):
        _pair(np.zeros(20), 0, 5, np.zeros(8, dtype=np.float32), 0, 4)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_the_pass_over_a_design_of_another_type_sums_its_float64_copy(dtype, order):
    """The compiled pass reads a design of any number type, in C or F order, as its float64
    copy (the tile copy reads float64 pairs)."""
    rng = np.random.default_rng(9)
    n = 5 * irls.TILE + 3
    x = np.asarray(rng.integers(-3, 4, size=(n, 5)), dtype=dtype, order=order)
    y = (rng.random(n) < 0.4).astype(float)
    coef = np.array([0.1, -0.3, 0.2, 0.05, -0.1, 0.25])
    got = irls.newton_pass(x, y, coef, True, compiled=True)
    want = irls.newton_pass(np.ascontiguousarray(x, dtype=np.float64), y, coef, True, compiled=True)
    for name in ("loglik", "score", "info", "curvature", "squares", "pearson"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
