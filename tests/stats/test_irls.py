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
        calls.append(args[8] - args[7])  # the tiles of each task this call takes
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


def laid_out(x: np.ndarray, layout: str) -> np.ndarray:
    """x's values in C order, F order, or a strided view (every other column of a wider array)."""
    if layout == "F":
        return np.asfortranarray(x)
    if layout == "strided":
        wide = np.zeros((len(x), 2 * x.shape[1]))
        wide[:, ::2] = x
        return wide[:, ::2]
    return np.ascontiguousarray(x)


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("compiled", [True, False])
def test_the_pass_sums_match_direct_numpy_sums_with_trials(compiled, layout):
    """Each sum of a pass with trials (the polynomial e^-|u| of the compiled pass included)
    against the textbook formulas summed by NumPy, X'X's diagonal, sum m x_j^2, and Pearson's
    chi-squared over the rows with trials; the design in C order, F order (read a column at
    a time) or neither (copied)."""
    rng = np.random.default_rng(4)
    n = 5 * irls.TILE + 31
    x = rng.normal(size=(n, 3)) * [1.0, 40.0, 0.01]  # |eta| up to ~150: e^-|u| far below 1
    x = laid_out(x, layout)
    m = rng.integers(0, 6, n).astype(float)
    s = np.floor(rng.random(n) * (m + 1))
    coef = np.array([0.2, 0.5, 0.1, -3.0])
    design = np.column_stack((np.ones(n), x))
    u = design @ coef
    p = 1.0 / (1.0 + np.exp(-u))
    fitted = np.empty(n)
    sums = irls.newton_pass(x, s, coef, True, fitted, compiled=compiled, trials=m)
    loglik = np.sum(s * u - m * np.logaddexp(0.0, u))
    np.testing.assert_allclose(sums.loglik, loglik, rtol=1e-12)
    np.testing.assert_allclose(sums.score, design.T @ (s - m * p), rtol=1e-10, atol=1e-8)
    w = m * p * (1.0 - p)
    np.testing.assert_allclose(sums.info, design.T @ (design * w[:, None]), rtol=1e-10)
    np.testing.assert_allclose(sums.squares, m @ design**2, rtol=1e-12)
    used = m > 0
    chi2 = np.sum((s - m * p)[used] ** 2 / w[used])
    np.testing.assert_allclose(sums.pearson, chi2, rtol=1e-10)
    np.testing.assert_allclose(fitted, p, rtol=1e-13, atol=1e-300)
    assert sums.saturated == np.count_nonzero((np.minimum(p, 1 - p) < irls.SATURATED) & (m > 0))


@pytest.mark.parametrize("layout", ["F", "strided"])
def test_the_binary_pass_of_any_layout_sums_as_the_c_ordered_one(layout):
    """A 0/1 pass over an F-ordered design (its tiles copied a column at a time) or a
    strided one (copied to C order) against the C-ordered pass: the same tiles and sums."""
    rng = np.random.default_rng(5)
    n = 3 * irls.TILE * irls.GROUPS + 77  # the last tile partly filled
    x = rng.normal(size=(n, 5))
    y = (rng.random(n) < 0.3).astype(float)
    coef = np.array([-0.4, 0.5, -0.2, 0.1, 0.3, -0.6])
    fitted, want_fitted = np.empty(n), np.empty(n)
    want = irls.newton_pass(x, y, coef, True, want_fitted, compiled=True)
    sums = irls.newton_pass(laid_out(x, layout), y, coef, True, fitted, compiled=True)
    for name in ("loglik", "score", "info", "curvature", "squares", "pearson"):
        expected = np.asarray(getattr(want, name))
        np.testing.assert_allclose(getattr(sums, name), expected, rtol=1e-14,
                                   atol=1e-14 * np.abs(expected).max(), err_msg=name)  # fmt: skip
    np.testing.assert_allclose(fitted, want_fitted, rtol=1e-15)


def test_the_compiled_exponential_is_libms_to_two_ulps():
    """The compiled pass's e^-|u| (a polynomial, so that its loop vectorises) against NumPy's
    exp, read back through the fitted probabilities of one row each, u from 0 to 700."""
    u = np.concatenate((np.linspace(0.0, 700.0, 20_001), -np.geomspace(1e-12, 700.0, 20_000)))
    x = u[:, None]
    fitted = np.empty(len(u))
    irls.newton_pass(x, np.zeros(len(u)), np.array([1.0]), False, fitted, compiled=True)
    small = np.exp(-np.abs(u))
    expected = np.where(u >= 0, 1.0 / (1.0 + small), small / (1.0 + small))
    np.testing.assert_allclose(fitted, expected, rtol=4.5e-16, atol=1e-300)


def test_the_compiled_log1p_is_libms_to_two_ulps():
    """The trials pass's log(1 + e), e = e^-|u| in [0, 1] (a series, so that its loop
    vectorises), against NumPy's log1p: subnormal to 1, either side of sqrt(2) - 1 (where it
    halves 1 + e), and 3 * 10**5 drawn values."""
    from numba import njit

    from logitlab.stats.compiled_pass import log1p_unit

    @njit
    def each(e):
        return np.array([log1p_unit(v) for v in e])

    rng = np.random.default_rng(5)
    edge = np.nextafter(np.sqrt(2.0) - 1.0, [0.0, 1.0])
    e = np.concatenate(([0.0, 5e-324, 1e-300, 1e-17, 1.1e-16, 2.2e-16, 1e-8, 0.5, 1.0], edge,
                        rng.random(10**5), 10 ** rng.uniform(-300, 0, 10**5),
                        np.exp(-rng.uniform(0, 40, 10**5))))  # fmt: skip
    want = np.log1p(e)
    assert np.all(np.abs(each(e) - want) <= 2 * np.spacing(want))


@pytest.mark.parametrize("compiled", [True, False])
def test_the_pass_sums_each_sandwichs_meat_as_the_formulas(compiled, monkeypatch):
    """The meat asked of a pass (stats.sandwich.Meat) against the formulas summed by NumPy
    with copies c and trials of one copy t (m = c t, s = c y): sum c (y - t p)^2 x x', with
    1 / (1 - h) or its square for HC2 and HC3, h = t p (1 - p) x' B x (its largest over the
    rows of a copy or more), and S'S for cluster; in bounded calls of the compiled pass the
    same bits."""
    from logitlab.stats.sandwich import Meat

    rng = np.random.default_rng(8)
    n = 3 * irls.TILE + 45
    x = rng.normal(size=(n, 2))
    c = rng.integers(0, 3, n).astype(float)
    t = rng.integers(1, 4, n).astype(float)
    y = np.floor(rng.random(n) * (t + 1))
    codes = rng.integers(0, 5, n)
    coef = np.array([0.1, 0.6, -0.4])
    design = np.column_stack((np.ones(n), x))
    p = 1.0 / (1.0 + np.exp(-design @ coef))
    bread = np.linalg.inv(design.T @ (design * (c * t * p * (1 - p))[:, None]))
    h = t * p * (1 - p) * np.einsum("ij,jk,ik->i", design, bread, design)
    q = c * (y - t * p) ** 2
    scores = np.array([(design * (c * (y - t * p))[:, None])[codes == g].sum(axis=0)
                       for g in range(5)])  # fmt: skip
    expected = {"hc0": q, "hc2": q / (1 - h), "hc3": q / (1 - h) ** 2}
    for cov_type in ("hc0", "hc2", "hc3", "cluster"):
        meat = Meat(cov_type, c, codes, 5, bread)
        sums = irls.newton_pass(x, c * y, coef, True, compiled=compiled, trials=c * t, meat=meat)
        if cov_type == "cluster":
            want = scores.T @ scores
        else:
            want = design.T @ (design * expected[cov_type][:, None])
            if cov_type != "hc0":
                assert sums.largest_hat == pytest.approx(h[c > 0].max(), rel=1e-12)
        np.testing.assert_allclose(sums.meat, want, rtol=1e-11, atol=1e-12 * np.abs(want).max())
        if compiled:
            monkeypatch.setattr(stopping, "BLOCK_VALUES", 1)  # one tile of each task a call
            cut = irls.newton_pass(x, c * y, coef, True, compiled=True, trials=c * t, meat=meat)
            monkeypatch.undo()
            np.testing.assert_array_equal(cut.meat, sums.meat)


def test_a_pass_over_a_million_rows_of_ten_columns_is_one_call_and_no_call_outgrows_its_budget():
    """Each call wakes the pass's threads: the binary pass takes PASS_BLOCKS blocks' values a
    call, so a pass at 10**6 x 10 (and the intercept) is one call, and a larger one is cut
    into calls of at most that many values."""
    assert len(irls.calls(10**6, 11)) == 1
    for rows, k in ((10**7, 11), (10**6, 51), (3 * 10**6, 5)):
        firsts = irls.calls(rows, k)
        assert len(firsts) > 1
        assert firsts.step * irls.GROUPS * irls.TILE * k <= irls.PASS_BLOCKS * stopping.BLOCK_VALUES
