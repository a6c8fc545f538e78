"""The compiled Newton pass goes in bounded calls (a signal stops a long pass between two),
and its sums are bit for bit those of one call over all the rows."""

import numpy as np
import pytest

from logitlab import stopping
from logitlab.extras import fused_available
from logitlab.stats import irls


@pytest.mark.parametrize("intercept", [True, False])
def test_the_pass_in_bounded_calls_sums_the_same_bits(intercept, monkeypatch):
    rng = np.random.default_rng(3)
    n = 40_000 + 77  # tasks of uneven shares, the last tile partly filled
    x = rng.normal(size=(n, 3))
    y = (rng.random(n) < 0.4).astype(float)
    coef = np.array([0.3, -0.7, 0.2, 1.1][: 3 + intercept])
    whole_fitted, cut_fitted = np.empty(n), np.empty(n)
    whole = irls.newton_pass(x, y, coef, intercept, whole_fitted, compiled=True)
    kernel, calls = irls._kernel(), []

    def spy(*args):
        calls.append(args[7] - args[6])  # the tiles of each task this call takes
        return kernel(*args)

    monkeypatch.setattr(irls, "_kernel", lambda: spy)
    monkeypatch.setattr(stopping, "BLOCK_VALUES", 1)  # one tile of each task a call
    cut = irls.newton_pass(x, y, coef, intercept, cut_fitted, compiled=True)
    tiles = -(-n // irls.TILE)
    assert calls == [1] * -(-tiles // irls.GROUPS)
    assert cut.loglik == whole.loglik and cut.saturated == whole.saturated
    for name in ("score", "info", "curvature"):
        np.testing.assert_array_equal(getattr(cut, name), getattr(whole, name), err_msg=name)
    np.testing.assert_array_equal(cut_fitted, whole_fitted)


def test_few_rows_take_numpys_loop_and_many_the_compiled_pass(monkeypatch):
    calls = []
    for name in ("_numpy_pass", "_compiled_pass"):
        real = getattr(irls, name)
        monkeypatch.setattr(irls, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    rng = np.random.default_rng(3)
    for n in (400, irls.COMPILED_ROWS):
        x = rng.normal(size=(n, 2))
        y = (rng.random(n) < 0.5).astype(float)
        irls.newton_pass(x, y, np.zeros(3), True)
    many = "_compiled_pass" if fused_available() else "_numpy_pass"
    assert calls == ["_numpy_pass", many]
