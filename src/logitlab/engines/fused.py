"""The `fused` engine: the same gradient descent, with the gradient in closed form and the whole
epoch loop compiled by Numba.

Why it is fast: the eager loop spends ~250 us an epoch in framework overhead; here an epoch is
one pass over n points in float32 SIMD lanes. Numba's exp/log would be scalar libm calls (no
SVML here), so sigmoid uses a vectorisable float32 exp (Cephes polynomial, < 3e-7 relative
error) whose 2**k comes from exponent bits. fastmath allows reordering sums and contracting
multiply-adds, but not assuming finite values, so divergence checks still see inf and NaN.

For the logistic model yhat = sigmoid(u), u = w0 + x.w, the gradients with respect to u are
    BCE: (yhat - y) / n        MSE: 2 (yhat - y) yhat (1 - yhat) / n
and both are written as (yhat - y) (a + c yhat (1 - yhat)) with (a, c) = (1, 0) or (0, 2), so
one branch-free loop serves both losses.

Compiled code is cached on disk beside this file (numba cache=True): only the first run in a
fresh install pays the compilation (about a second or two).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic
from numpy.polynomial import Chebyshev, Polynomial

F32 = np.float32
#: Reorder, contract and approximate, but keep inf/NaN semantics for the divergence checks.
FASTMATH = {"nsz", "arcp", "contract", "reassoc", "afn"}
JIT = {"cache": True, "fastmath": FASTMATH, "error_model": "numpy", "nogil": True}

ZERO, HALF, ONE, TWO = F32(0), F32(0.5), F32(1), F32(2)
EXP_LIMIT = F32(87.0)  # |argument| beyond which float32 exp leaves the normal range
LOG2E = F32(1.44269504088896341)
LN2_HI, LN2_LO = F32(0.693359375), F32(-2.12194440e-4)
EXP_POLY = tuple(
    F32(c)
    for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
              1.6666665459e-1, 5.0000001201e-1)
)  # fmt: skip
#: log1p(e) = e q(e) on [0, 1]: q is the degree-8 Chebyshev interpolant of log1p(e)/e, in
#: powers of e, highest first. Relative error < 3e-7 in float32, no division, vectorises.
LOG1P_POLY = tuple(
    F32(c)
    for c in Chebyshev.interpolate(lambda e: np.log1p(e) / np.where(e == 0, 1, e) + (e == 0), 8,
                                   domain=[0, 1]).convert(kind=Polynomial).coef[::-1]
)  # fmt: skip
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
    x = min(max(x, -EXP_LIMIT), EXP_LIMIT)
    k = np.floor(x * LOG2E + HALF)
    r = x - k * LN2_HI - k * LN2_LO
    p0, p1, p2, p3, p4, p5 = EXP_POLY
    poly = (((((p0 * r + p1) * r + p2) * r + p3) * r + p4) * r + p5) * r * r + r + ONE
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


@njit(**JIT)
def _step(x: np.ndarray, y: np.ndarray, u: np.ndarray, a: float, c: float, lr: float,
          w: np.ndarray, r: np.ndarray) -> None:  # fmt: skip
    """One gradient step in place, w -= lr * grad, with the gradient of the mean loss at
    logits u in closed form; r is scratch for the per-point factor."""
    inv_n = ONE / F32(u.shape[0])
    g0 = ZERO
    for i in range(u.shape[0]):
        p = ONE / (ONE + _exp(-u[i]))
        ri = (p - y[i]) * (a + c * p * (ONE - p))
        r[i] = ri
        g0 += ri
    for j in range(x.shape[0]):
        gj = ZERO
        for i in range(u.shape[0]):
            gj += r[i] * x[j, i]
        w[j + 1] -= lr * (gj * inv_n)
    w[0] -= lr * (g0 * inv_n)


@njit(**JIT)
def descend(x: np.ndarray, y: np.ndarray, bce: bool, lr: float, w: np.ndarray, epochs: int,
            every: int, params: np.ndarray) -> int:  # fmt: skip
    """Gradient descent on one problem (x is d x n, y has n labels); w (1+d) changes in place.

    The parameters before epochs 0, every, 2 every, ... go to params[0], params[1], ... and the
    final ones to params[-1]. Returns 0, or the 1-based epoch after which the parameters
    stopped being finite (the rows after it are left alone). Losses are computed afterwards,
    from the recorded parameters, by mean_losses.
    """
    n = y.shape[0]
    u, r = np.empty(n, F32), np.empty(n, F32)
    a, c = (ONE, ZERO) if bce else (ZERO, TWO)
    for epoch in range(epochs):
        if epoch % every == 0:
            params[epoch // every] = w
        _logits(x, w, u)
        _step(x, y, u, a, c, lr, w, r)
        if not np.all(np.isfinite(w)):
            return epoch + 1
    params[-1] = w
    return 0


@njit(parallel=True, **JIT)
def descend_many(x: np.ndarray, y: np.ndarray, data: np.ndarray, bce: np.ndarray,
                 lr: np.ndarray, w: np.ndarray, epochs: int, every: int, params: np.ndarray,
                 stopped: np.ndarray) -> None:  # fmt: skip
    """descend() for each problem b, spread over the cores: data set data[b] of x (m x d x n)
    and y (m x n), loss bce[b], step lr[b], start w[b]; into params[b] and stopped[b]."""
    for b in prange(w.shape[0]):
        stopped[b] = descend(x[data[b]], y[data[b]], bce[b], lr[b], w[b], epochs, every,
                             params[b])  # fmt: skip


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
