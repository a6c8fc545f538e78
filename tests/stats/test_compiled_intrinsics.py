"""The compiled pass's tile transpose by shuffles against NumPy's."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from logitlab.stats import irls
from logitlab.stats.compiled_intrinsics import transpose_pair
from logitlab.stats.compiled_pass import copy_tile


@njit
def _pair(source, start, stride, target, at, pitch):
    transpose_pair(source, start, stride, target, at, pitch)


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
