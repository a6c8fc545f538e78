"""The `fused` engine: the same gradient descent, with the gradient in closed form and the whole
epoch loop compiled by Numba.

Why it is fast: the eager loop spends ~250 us an epoch in framework overhead; here an epoch is
one pass over n points in float32 SIMD lanes. Numba's exp/log would be scalar libm calls (no
SVML here), so sigmoid uses a vectorisable float32 exp: exp(x) = 2**k 2**f, 2**f by a
polynomial and 2**k from exponent bits (relative error ~2e-7 near 0, growing as |x| eps,
which leaves sigmoid within ~1e-7). fastmath allows reordering sums and contracting
multiply-adds, but not assuming finite values, so divergence checks still see inf and NaN.

For the logistic model yhat = sigmoid(u), u = w0 + x.w, the gradients with respect to u are
    BCE: (yhat - y) / n        MSE: 2 (yhat - y) yhat (1 - yhat) / n
and the one step function is compiled once per loss, with that residual inlined.

Compiled code is cached on disk beside this file (numba cache=True): only the first run in a
fresh install pays the compilation (5-15 s); later processes load it in about a second.
"""

from __future__ import annotations

__all__ = ["descend", "descend_many", "mean_losses", "parallel_chunksize"]

import numpy as np
from llvmlite import ir
from numba import literally, njit, parallel_chunksize, prange, types
from numba.extending import intrinsic
from numpy.polynomial import Chebyshev, Polynomial

F32 = np.float32
#: Reorder, contract and approximate, but keep inf/NaN semantics for the divergence checks.
FASTMATH = {"nsz", "arcp", "contract", "reassoc", "afn"}
JIT = {"cache": True, "fastmath": FASTMATH, "error_model": "numpy", "nogil": True}

ZERO, HALF, ONE, TWO = F32(0), F32(0.5), F32(1), F32(2)
EXP_LIMIT = F32(87.0)  # |argument| beyond which float32 exp leaves the normal range
LOG2E = F32(1.44269504088896341)


def _poly(f: object, degree: int, domain: tuple[float, float]) -> tuple:
    """Float32 coefficients of f's Chebyshev interpolant (near-minimax), highest power first."""
    coef = Chebyshev.interpolate(f, degree, domain=domain).convert(kind=Polynomial).coef
    return tuple(F32(c) for c in coef[::-1])


#: 2**f on [-1/2, 1/2], degree 6: relative error ~1e-7 in float32.
EXP2_POLY = _poly(np.exp2, 6, (-0.5, 0.5))
#: log1p(e) = e q(e) on [0, 1], q of degree 8 (no division): relative error < 3e-7.
LOG1P_POLY = _poly(lambda e: np.log1p(e) / np.where(e == 0, 1, e) + (e == 0), 8, (0, 1))
TINY = F32(1e-12)


@intrinsic
def _pow2(typingctx, k):
    """2**k for a whole-number float32 k in [-126, 127], built from the exponent bits."""
    if k != types.float32:
        return None

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        biased = builder.add(builder.fptosi(args[0], i32), ir.Constant(i32, 127))
        return builder.bitcast(builder.shl(biased, ir.Constant(i32, 23)), ir.FloatType())

    return types.float32(types.float32), codegen


@njit(inline="always", **JIT)
def _exp(x: float) -> float:
    """exp(x) in float32 for x clamped to [-87, 87], in straight-line code that vectorises."""
    t = min(max(x, -EXP_LIMIT), EXP_LIMIT) * LOG2E  # exp(x) = 2**t = 2**k 2**f
    k = np.floor(t + HALF)
    f = t - k
    poly = ZERO
    for c in EXP2_POLY:
        poly = poly * f + c
    return poly * _pow2(k)


@njit(inline="always", **JIT)
def _log1p_unit(e: float) -> float:
    """log(1 + e) for e in [0, 1], by LOG1P_POLY."""
    q = ZERO
    for c in LOG1P_POLY:
        q = q * e + c
    return e * q


@njit(**JIT)
def _logits(x: np.ndarray, w: np.ndarray, u: np.ndarray) -> None:
    """u = w0 + sum_j w_j x_j, with x stored feature-major (d x n) so each pass is contiguous."""
    u[:] = w[0]
    for j in range(x.shape[0]):
        wj = w[j + 1]
        for i in range(u.shape[0]):
            u[i] += wj * x[j, i]


@njit(**JIT)
def _mean_bce(u: np.ndarray, y: np.ndarray) -> float:
    """Mean BCE from logits, softplus(u) - y u: the lecture's loss without its log 0."""
    total = ZERO
    for i in range(u.shape[0]):
        ui = u[i]
        total += max(ui, ZERO) + _log1p_unit(_exp(-abs(ui))) - y[i] * ui
    return total / F32(u.shape[0])


@njit(**JIT)
def _mean_mse(u: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error (y - sigmoid(u))**2."""
    total = ZERO
    for i in range(u.shape[0]):
        diff = y[i] - ONE / (ONE + _exp(-u[i]))
        total += diff * diff
    return total / F32(u.shape[0])


@njit(inline="always", **JIT)
def _residual_bce(p: float, y: float) -> float:
    """d BCE / d u at one point (times n): yhat - y."""
    return p - y


@njit(inline="always", **JIT)
def _residual_mse(p: float, y: float) -> float:
    """d MSE / d u at one point (times n): 2 (yhat - y) yhat (1 - yhat)."""
    return TWO * (p - y) * p * (ONE - p)


@njit(**JIT)
def _step(bce: bool, x: np.ndarray, y: np.ndarray, u: np.ndarray, lr: float, w: np.ndarray,
          r: np.ndarray) -> float:  # fmt: skip
    """One gradient step in place, w -= lr * grad, the gradient of the mean loss at logits u
    in closed form; r is scratch for d loss / d u. Returns |grad|^2 (for early stopping).
    Compiled once per loss (bce is literal)."""
    literally(bce)
    inv_n = ONE / F32(u.shape[0])
    g0 = ZERO
    for i in range(u.shape[0]):
        p = ONE / (ONE + _exp(-u[i]))
        ri = _residual_bce(p, y[i]) if bce else _residual_mse(p, y[i])
        r[i] = ri
        g0 += ri
    g0 *= inv_n
    norm2 = g0 * g0
    for j in range(x.shape[0]):
        gj = ZERO
        for i in range(u.shape[0]):
            gj += r[i] * x[j, i]
        gj *= inv_n
        norm2 += gj * gj
        w[j + 1] -= lr * gj
    w[0] -= lr * g0
    return norm2


@njit(**JIT)
def _logit_bound(w: np.ndarray, xlim: np.ndarray) -> float:
    """The largest |logit| over the box xlim[0, j] <= x_j <= xlim[1, j] (result.logit_bound)."""
    high = low = w[0]
    for j in range(xlim.shape[1]):
        a, b = w[j + 1] * xlim[0, j], w[j + 1] * xlim[1, j]
        high += max(a, b)
        low += min(a, b)
    return max(abs(high), abs(low))


@njit(**JIT)
def descend(x: np.ndarray, y: np.ndarray, bce: bool, lr: float, w: np.ndarray, epochs: int,
            every: int, params: np.ndarray, grads: np.ndarray, xlim: np.ndarray,
            limit: float, tol2: float) -> tuple[int, int]:  # fmt: skip
    """Gradient descent on one problem (x is d x n, y has n labels); w (1+d) changes in place.

    The parameters before epochs 0, every, 2 every, ... go to params[0], params[1], ... (the
    gradient norm there to grads[0], grads[1], ...) and the final ones to params[-1]. After
    each step the divergence rule (result.diverged) is checked: the logit bound over the
    data's box xlim (2 x d: min and max of each x_j) must stay within limit. Stops early once
    |grad|^2 <= tol2 (negative: never). Returns (diverged_at, epochs_run): diverged_at is 0 or the
    1-based epoch whose step broke the rule (the rows after it are left alone). Losses are
    computed afterwards, from the recorded parameters, by mean_losses.
    """
    n = y.shape[0]
    u, r = np.empty(n, F32), np.empty(n, F32)
    for epoch in range(epochs):
        if epoch % every == 0:
            params[epoch // every] = w
        _logits(x, w, u)
        norm2 = _step(True, x, y, u, lr, w, r) if bce else _step(False, x, y, u, lr, w, r)
        if epoch % every == 0:
            grads[epoch // every] = np.sqrt(norm2)
        if not _logit_bound(w, xlim) <= limit:  # also true for NaN
            return epoch + 1, epoch + 1
        if norm2 <= tol2:
            params[-1] = w
            return 0, epoch + 1
    params[-1] = w
    return 0, epochs


@njit(parallel=True, **JIT)
def descend_many(x: np.ndarray, y: np.ndarray, data: np.ndarray, bce: np.ndarray,
                 lr: np.ndarray, w: np.ndarray, epochs: int, every: int, params: np.ndarray,
                 grads: np.ndarray, xlim: np.ndarray, limit: float, tol2: float,
                 stopped: np.ndarray, ran: np.ndarray) -> None:  # fmt: skip
    """descend() for each problem b, spread over the cores: data set data[b] of x (m x d x n)
    and y (m x n), its box xlim[data[b]], loss bce[b], step lr[b], start w[b]; into
    params[b], grads[b], stopped[b] (diverged at) and ran[b] (epochs run)."""
    for b in prange(w.shape[0]):
        stopped[b], ran[b] = descend(x[data[b]], y[data[b]], bce[b], lr[b], w[b], epochs,
                                     every, params[b], grads[b], xlim[data[b]], limit,
                                     tol2)  # fmt: skip


@njit(parallel=True, **JIT)
def mean_losses(x: np.ndarray, y: np.ndarray, data: np.ndarray, bce: np.ndarray,
                params: np.ndarray, out: np.ndarray) -> None:  # fmt: skip
    """out[b, k] = the mean loss of problem b at params[b, k], every (b, k) spread over the
    cores. The loss of an iterate does not depend on the ones after it, so the history can
    be evaluated after the descent, in parallel, exactly as the eager loop would see it."""
    rows = params.shape[1]
    for item in prange(params.shape[0] * rows):
        b, k = item // rows, item % rows
        u = np.empty(y.shape[1], F32)
        _logits(x[data[b]], params[b, k], u)
        yb = y[data[b]]
        out[b, k] = _mean_bce(u, yb) if bce[b] else _mean_mse(u, yb)
