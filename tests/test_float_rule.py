"""The suite's float rule (tests/conftest.py): two code paths agree within a few ulps, with an
absolute floor at the scale of the values, so a last-bit difference on another CPU passes and
a real difference fails."""

import numpy as np
import pytest


@pytest.mark.parametrize("precision", [np.float32, np.float64])
def test_last_bit_differences_pass(assert_ulps, precision):
    values = np.array([-1.0, 5.0, 1e-4], dtype=precision)
    moved = np.nextafter(values, np.inf, dtype=precision)
    assert not np.array_equal(moved, values)  # bit-equality would fail here
    assert_ulps(moved.astype(np.float64), values.astype(np.float64), precision=precision)


def test_a_value_near_zero_is_held_to_its_terms_precision(assert_ulps):
    # 1e-4 next to 5.0 in float32: off by 2e-7 relative to 5, but 2e-3 relative to itself
    assert_ulps([5.0, 1e-4 + 2e-7], [5.0, 1e-4], precision=np.float32)


@pytest.mark.parametrize("precision", [np.float32, np.float64])
def test_real_differences_fail(assert_ulps, precision):
    eps = float(np.finfo(precision).eps)
    with pytest.raises(AssertionError):
        assert_ulps([5.0 * (1 + 64 * eps)], [5.0], precision=precision)
    with pytest.raises(AssertionError):
        assert_ulps([1.0, 1e-4 + 0.01], [1.0, 1e-4], precision=precision)
