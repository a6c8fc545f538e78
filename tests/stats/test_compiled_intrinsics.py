"""The compiled pass's tile transpose by shuffles against NumPy's."""

import numpy as np
import pytest
from numba import njit

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
