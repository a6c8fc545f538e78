"""The `fused` engine: the same gradient descent, with the gradient in closed form and the whole
epoch loop compiled by Numba.

Why it is fast: the eager loop spends ~250 us an epoch in framework overhead; here an epoch is
one pass over n points in float32 SIMD lanes. Numba's exp/log would be scalar libm calls (no
SVML here), so sigmoid uses a vectorisable float32 exp: exp(x) = 2**k 2**f, 2**f by a
polynomial and 2**k from exponent bits (relative error ~2e-7 near 0, growing as |x| eps,
which leaves sigmoid within ~1e-7). fastmath allows reordering sums, but not assuming finite
values, so divergence checks still see inf and NaN; fused multiply-adds are written out
(_fma) rather than left to the compiler, which fused them differently in a fresh build and
in the one Numba loads from its cache.

For the logistic model yhat = sigmoid(u), u = w0 + x.w, the gradients with respect to u are
    BCE: (yhat - y) / n        MSE: 2 (yhat - y) yhat (1 - yhat) / n
each with its own compiled loop over the points. The optimizers'
updates (SGD, momentum with or without Nesterov, Adam) follow torch.optim's float32
arithmetic op for op; mini-batches are gathered into contiguous scratch in the order the
caller gives (engines.batch replays the DataLoader's shuffles).

Softmax regression (engines.softmax) runs on the same exp and optimizer updates: its K x d
products (logits, gradient) by BLAS sgemm a tile of points at a time, its residuals
softmax(u) - onehot with the same exp (and a log from the exponent bits and LOG1P_POLY), in
descend_softmax.

Compiled code is cached on disk beside this file (numba cache=True): only the first run in a
fresh install pays the compilation (5-15 s); later processes load it in about a second.
"""

from __future__ import annotations

__all__ = ["descend", "descend_many", "descend_softmax", "fill_logits", "history_values",
           "mean_bce", "mean_mse", "parallel_chunksize", "residuals_bce", "residuals_mse",
           "softmax_columns", "softmax_loss"]  # fmt: skip

import numpy as np
from llvmlite import ir
from numba import njit, parallel_chunksize, prange, types
from numba.extending import intrinsic
from numpy.polynomial import Chebyshev, Polynomial

F32 = np.float32
#: Reorder and approximate, but keep inf/NaN semantics for the divergence checks; no
#: 'contract': the multiply-adds that fuse are written out (_fma).
FASTMATH = {"nsz", "arcp", "reassoc", "afn"}
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


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c rounded once (llvm.fma.f32). Fused multiply-adds are written out where they
    go rather than left to the compiler's 'contract' choice, which a fresh build and the
    build Numba loads from its cache made differently (the lecture's BCE fit then ended one
    float32 step apart on the first run after an install)."""
    if not (a == b == c == types.float32):
        return None

    def codegen(context, builder, signature, args):
        f32 = ir.FloatType()
        kind = ir.FunctionType(f32, [f32, f32, f32])
        fma = builder.module.declare_intrinsic("llvm.fma", [f32], kind)
        return builder.call(fma, args)

    return types.float32(types.float32, types.float32, types.float32), codegen


@njit(inline="always", **JIT)
def _exp(x: float) -> float:
    """exp(x) in float32 for x clamped to [-87, 87], in straight-line code that vectorises."""
    t = min(max(x, -EXP_LIMIT), EXP_LIMIT) * LOG2E  # exp(x) = 2**t = 2**k 2**f
    k = np.floor(t + HALF)
    f = t - k
    poly = ZERO
    for c in EXP2_POLY:
        poly = _fma(poly, f, c)
    return poly * _pow2(k)


@njit(inline="always", **JIT)
def _log1p_unit(e: float) -> float:
    """log(1 + e) for e in [0, 1], by LOG1P_POLY."""
    q = ZERO
    for c in LOG1P_POLY:
        q = _fma(q, e, c)
    return e * q


@njit(**JIT)
def fill_logits(x: np.ndarray, w: np.ndarray, u: np.ndarray) -> None:
    """u = w0 + sum_j w_j x_j, with x stored feature-major (d x n) so each pass is contiguous."""
    u[:] = w[0]
    for j in range(x.shape[0]):
        wj = w[j + 1]
        for i in range(u.shape[0]):
            u[i] = _fma(wj, x[j, i], u[i])


@njit(**JIT)
def mean_bce(u: np.ndarray, y: np.ndarray) -> float:
    """Mean BCE from logits, softplus(u) - y u: the lecture's loss without its log 0."""
    total = ZERO
    for i in range(u.shape[0]):
        ui = u[i]
        total += max(ui, ZERO) + _log1p_unit(_exp(-abs(ui))) - y[i] * ui
    return total / F32(u.shape[0])


@njit(**JIT)
def mean_mse(u: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error (y - sigmoid(u))**2."""
    total = ZERO
    for i in range(u.shape[0]):
        diff = y[i] - ONE / (ONE + _exp(-u[i]))
        total += diff * diff
    return total / F32(u.shape[0])


@njit(**JIT)
def residuals_bce(y: np.ndarray, u: np.ndarray, r: np.ndarray) -> float:
    """r = d BCE / d u at each point (times n), yhat - y; returns their sum."""
    total = ZERO
    for i in range(u.shape[0]):
        r[i] = ONE / (ONE + _exp(-u[i])) - y[i]
        total += r[i]
    return total


@njit(**JIT)
def residuals_mse(y: np.ndarray, u: np.ndarray, r: np.ndarray) -> float:
    """r = d MSE / d u at each point (times n), 2 (yhat - y) yhat (1 - yhat); returns their
    sum."""
    total = ZERO
    for i in range(u.shape[0]):
        p = ONE / (ONE + _exp(-u[i]))
        r[i] = TWO * (p - y[i]) * p * (ONE - p)
        total += r[i]
    return total


@njit(**JIT)
def _gradient(bce: bool, x: np.ndarray, y: np.ndarray, u: np.ndarray, r: np.ndarray,
              g: np.ndarray) -> float:  # fmt: skip
    """g = the gradient of the mean loss at logits u, in closed form; r is scratch for
    d loss / d u. Returns |g|^2 (for early stopping).

    The loss is chosen outside the loops, one plain loop per loss: each compiles to the same
    vector code whether Numba compiles it now or loads it from its cache (a literal-typed
    flag, specialised at dispatch, did not: the two gave results one float32 step apart)."""
    inv_n = ONE / F32(u.shape[0])
    g0 = residuals_bce(y, u, r) if bce else residuals_mse(y, u, r)
    g[0] = g0 * inv_n
    norm2 = g[0] * g[0]
    for j in range(x.shape[0]):
        gj = ZERO
        for i in range(u.shape[0]):
            gj += r[i] * x[j, i]
        g[j + 1] = gj * inv_n
        norm2 += g[j + 1] * g[j + 1]
    return norm2


#: Optimizer codes (config.OPTIMIZERS' order).
SGD, MOMENTUM, ADAM = 0, 1, 2


@njit(**JIT)
def _update(kind: int, w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray,
            t: int, lr: float, mom: float, nesterov: bool, b1: float, b2: float,
            eps: float) -> None:  # fmt: skip
    """One optimizer step in place, as torch.optim computes it in float32 after t steps:
    SGD w -= lr g; momentum buf = g (first step) or mom buf + g, w -= lr (buf, or
    g + mom buf with Nesterov); Adam m = lerp(m, g, 1 - b1), v = b2 v + (1 - b2) g g,
    w += (-lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps), the scalars in float64."""
    lr32 = F32(lr)
    if kind == SGD:
        for j in range(w.shape[0]):
            w[j] -= lr32 * g[j]
    elif kind == MOMENTUM:
        mom32 = F32(mom)
        for j in range(w.shape[0]):
            buf = g[j] if t == 0 else m[j] * mom32 + g[j]
            m[j] = buf
            w[j] -= lr32 * (g[j] + mom32 * buf if nesterov else buf)
    else:
        step = float(t + 1)
        size = F32(-lr / (1.0 - b1**step))
        root = F32((1.0 - b2**step) ** 0.5)
        weight, beta2, rest2, eps32 = F32(1.0 - b1), F32(b2), F32(1.0 - b2), F32(eps)
        for j in range(w.shape[0]):
            if weight < HALF:  # torch's lerp: exact at both ends
                m[j] = m[j] + weight * (g[j] - m[j])
            else:
                m[j] = g[j] - (g[j] - m[j]) * (ONE - weight)
            v[j] = v[j] * beta2 + rest2 * g[j] * g[j]
            w[j] = w[j] + size * m[j] / (np.sqrt(v[j]) / root + eps32)


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
def _largest_logit(x: np.ndarray, w: np.ndarray, u: np.ndarray, xlim: np.ndarray,
                   limit: float) -> float:  # fmt: skip
    """The largest |logit| (result.largest_logit): the box bound while it is within limit
    (O(d)), else the exact max over the rows of x, using u as scratch (one pass)."""
    bound = _logit_bound(w, xlim)
    if bound <= limit or not np.isfinite(bound):
        return bound
    fill_logits(x, w, u)
    largest = ZERO
    for i in range(u.shape[0]):
        size = abs(u[i])
        if not size <= largest:  # a larger logit, or NaN (+inf - inf), which is returned
            if np.isnan(size):
                return size
            largest = size
    return largest


@njit(**JIT)
def _gather(x: np.ndarray, y: np.ndarray, idx: np.ndarray, xb: np.ndarray,
            yb: np.ndarray) -> None:  # fmt: skip
    """Copy the points idx into the contiguous batch xb (d x k), yb (k)."""
    for i in range(idx.shape[0]):
        yb[i] = y[idx[i]]
    for j in range(x.shape[0]):
        for i in range(idx.shape[0]):
            xb[j, i] = x[j, idx[i]]


@njit(**JIT)
def _batch_step(bce: bool, kind: int, x: np.ndarray, y: np.ndarray, u: np.ndarray,
                r: np.ndarray, w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray,
                t: int, lr: float, mom: float, nesterov: bool, b1: float, b2: float,
                eps: float, want_loss: bool) -> tuple[float, float]:  # fmt: skip
    """One step on the batch (x, y): logits, gradient, update. Returns |g|^2 and, when
    asked, the batch's mean loss before the step (else 0)."""
    fill_logits(x, w, u)
    loss = ZERO
    if want_loss:
        loss = mean_bce(u, y) if bce else mean_mse(u, y)
    norm2 = _gradient(bce, x, y, u, r, g)
    _update(kind, w, g, m, v, t, lr, mom, nesterov, b1, b2, eps)
    return norm2, loss


@njit(**JIT)
def descend(x: np.ndarray, y: np.ndarray, bce: bool, kind: int, lr: float, mom: float,
            nesterov: bool, b1: float, b2: float, eps: float, batch: int, perms: np.ndarray,
            w: np.ndarray, m: np.ndarray, v: np.ndarray, t: np.ndarray, first: int,
            stop: int, every: int, params: np.ndarray, grads: np.ndarray,
            steps: np.ndarray, xlim: np.ndarray, limit: float,
            tol2: float) -> tuple[int, int, bool]:  # fmt: skip
    """Epochs first .. stop - 1 of one problem (x is d x n, y has n labels): w (1+d), the
    optimizer's state m, v (1+d) and its step count t[0] change in place, so a long run
    goes in blocks of epochs. batch >= n is the full batch; else each epoch takes
    ceil(n / batch) steps over perms[epoch - first] (the DataLoader's order), the last
    batch smaller.

    The parameters before epochs 0, every, 2 every, ... go to params[0], params[1], ... and
    the latest to params[-1]; full-batch steps write the gradient norm there to grads (for
    mini-batches it is the full data's, computed afterwards by history_values). The batch
    loss of every step goes to steps when it has room. After each epoch the divergence rule
    (result.diverged) is checked: the largest |logit| on the data (the box xlim, 2 x d,
    while it is tight enough) must stay within limit. Stops after an epoch that starts with a
    full gradient norm^2 <= tol2 (negative: never). Returns (diverged_at, epochs_run, ended):
    diverged_at is 0 or the 1-based epoch that broke the rule (the rows after it are left
    alone); ended says the fit stopped early (tol), also when that was the block's last epoch.
    """
    d, n = x.shape
    full = batch >= n
    size = n if full else batch
    per_epoch = 1 if full else (n + batch - 1) // batch
    last = n - (per_epoch - 1) * size  # the last batch's size
    want = steps.shape[0] > 0
    u, r, g = np.empty(n, F32), np.empty(n, F32), np.empty(d + 1, F32)
    xb, yb = np.empty((d, size), F32), np.empty(size, F32)
    xl, yl = np.empty((d, last), F32), np.empty(last, F32)
    for epoch in range(first, stop):
        if epoch % every == 0:
            params[epoch // every] = w
        if full:
            norm2, loss = _batch_step(bce, kind, x, y, u, r, w, g, m, v, t[0], lr, mom,
                                      nesterov, b1, b2, eps, want)  # fmt: skip
            t[0] += 1
            if epoch % every == 0:
                grads[epoch // every] = np.sqrt(norm2)
            if want:
                steps[epoch] = loss
        else:
            norm2 = F32(np.inf)
            if tol2 >= 0:  # the full gradient where the epoch starts
                fill_logits(x, w, u)
                norm2 = _gradient(bce, x, y, u, r, g)
            order = perms[epoch - first]
            for s in range(per_epoch):
                lo = s * size
                if lo + size <= n:
                    xs, ys = xb, yb
                else:
                    xs, ys = xl, yl
                _gather(x, y, order[lo : lo + ys.shape[0]], xs, ys)
                k = ys.shape[0]
                _, loss = _batch_step(bce, kind, xs, ys, u[:k], r[:k], w, g, m, v, t[0], lr,
                                      mom, nesterov, b1, b2, eps, want)  # fmt: skip
                t[0] += 1
                if want:
                    steps[epoch * per_epoch + s] = loss
        if not _largest_logit(x, w, u, xlim, limit) <= limit:  # also true for NaN
            return epoch + 1, epoch + 1, False
        if norm2 <= tol2:
            params[-1] = w
            return 0, epoch + 1, True
    params[-1] = w
    return 0, stop, False


@njit(parallel=True, **JIT)
def descend_many(x: np.ndarray, y: np.ndarray, data: np.ndarray, bce: np.ndarray,
                 kind: np.ndarray, lr: np.ndarray, mom: float, nesterov: bool, b1: float,
                 b2: float, eps: float, batch: np.ndarray, perms: np.ndarray, w: np.ndarray,
                 m: np.ndarray, v: np.ndarray, t: np.ndarray, first: int, stop: int,
                 every: int, params: np.ndarray, grads: np.ndarray, steps: np.ndarray,
                 xlim: np.ndarray, limit: float, tol2: float, stopped: np.ndarray,
                 ran: np.ndarray, ended: np.ndarray) -> None:  # fmt: skip
    """descend() over epochs first .. stop - 1 for each problem b still running (not
    diverged, not ended early), spread over the cores: data set data[b] of x (m x d x n)
    and y (m x n), its box xlim[data[b]], loss bce[b], optimizer kind[b], step lr[b],
    batch size batch[b], state w[b], m[b], v[b], t[b]; into params[b], grads[b], steps[b],
    stopped[b] (diverged at), ran[b] (epochs run) and ended[b] (stopped early by tol2)."""
    for b in prange(w.shape[0]):
        if stopped[b] == 0 and not ended[b]:
            stopped[b], ran[b], ended[b] = descend(
                x[data[b]], y[data[b]], bce[b], kind[b], lr[b], mom, nesterov, b1, b2, eps,
                batch[b], perms, w[b], m[b], v[b], t[b], first, stop, every, params[b],
                grads[b], steps[b], xlim[data[b]], limit, tol2)  # fmt: skip


@njit(parallel=True, **JIT)
def history_values(x: np.ndarray, y: np.ndarray, data: np.ndarray, bce: np.ndarray,
                   params: np.ndarray, out: np.ndarray, grad: np.ndarray,
                   full_grad: np.ndarray, first: int, stop: int) -> None:  # fmt: skip
    """out[b, k] = the mean loss of problem b at params[b, k], and grad[b, k] = its gradient
    norm where full_grad[b] (mini-batch runs, whose steps saw only their batch), for the
    items b * rows + k in first .. stop - 1 spread over the cores (a long history goes in
    blocks of items). The values at an iterate do not depend on the ones after it, so the
    history can be evaluated after the descent, in parallel, exactly as the eager loop
    would see it."""
    rows = params.shape[1]
    n, d = y.shape[1], x.shape[1]
    for item in prange(first, stop):
        b, k = item // rows, item % rows
        u = np.empty(n, F32)
        xb, yb = x[data[b]], y[data[b]]
        fill_logits(xb, params[b, k], u)
        out[b, k] = mean_bce(u, yb) if bce[b] else mean_mse(u, yb)
        if full_grad[b] and k < grad.shape[1]:
            r, g = np.empty(n, F32), np.empty(d + 1, F32)
            grad[b, k] = np.sqrt(_gradient(bce[b], xb, yb, u, r, g))


# Softmax regression (engines.softmax): K linear predictors, parameters stored as
# torch.nn.Linear(d, K) holds them, the K x d weight row by row, then the K biases; the points
# point-major (n x d, a point's values contiguous), logits and residuals K x m, row k class k's.


#: The softmax's exp takes no argument below -SHIFT_FLOOR (its logits shifted by their
#: largest): e^-80 / K stays a normal float32 for K < 10**4, where a smaller probability would
#: be subnormal, whose arithmetic is ~100 times slower (a confident fit's gradient crawled).
#: Probabilities below e^-80 (2e-35) count as e^-80: nothing a float32 sum can see.
SHIFT_FLOOR = F32(80.0)
LN2 = F32(0.693147180559945309)


@intrinsic
def _float_bits(typingctx, s):
    """The bits of a float32, as an int32."""
    if s != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(types.float32), codegen


@intrinsic
def _bits_float(typingctx, bits):
    """The float32 whose bits an int32 holds."""
    if bits != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


@njit(inline="always", **JIT)
def _log_normal(s: float) -> float:
    """log(s) for a normal float32 s > 0, in straight-line code that vectorises: s = 2**e m
    with m in [1, 2) from its bits, log s = e log 2 + log1p(m - 1) by LOG1P_POLY."""
    bits = _float_bits(s)
    exponent = F32((bits >> 23) - 127)
    mantissa = _bits_float(np.int32((bits & 0x7FFFFF) | 0x3F800000))
    return _fma(exponent, LN2, _log1p_unit(mantissa - ONE))


@njit(**JIT)
def _softmax_parameters(w: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The views of w (K (d + 1)) as the K x d weight and the K biases."""
    weights = w.shape[0] - classes
    return w[:weights].reshape((classes, weights // classes)), w[weights:]


@njit(**JIT)
def _softmax_tile(u: np.ndarray, codes: np.ndarray, r: np.ndarray, top: np.ndarray,
                  total: np.ndarray, scale: float, want_grad: bool,
                  want_loss: bool) -> float:  # fmt: skip
    """From the logits u (K x m) of m points with their codes: when asked, the residuals
    r = scale (softmax(u) - onehot(code)), d CE / d u of a mean over 1 / scale points (as
    torch scales it before the product with x), and the summed cross-entropy, log-sum-exp
    minus the code's logit (else 0), returned. The logits are shifted by their largest so no
    exp overflows (nor falls below e^-SHIFT_FLOOR). top and total are scratch of m; r holds
    the exps when the residuals are not asked for."""
    classes, m = u.shape
    top[:] = u[0]
    for k in range(1, classes):
        for i in range(m):
            top[i] = max(top[i], u[k, i])
    total[:] = ZERO
    for k in range(classes):
        for i in range(m):
            r[k, i] = _exp(max(u[k, i] - top[i], -SHIFT_FLOOR))
            total[i] += r[k, i]
    loss = ZERO
    if want_loss:
        for i in range(m):
            loss += top[i] + _log_normal(total[i])
        for i in range(m):
            loss -= u[codes[i], i]
    if not want_grad:
        return loss
    for i in range(m):
        total[i] = scale / total[i]
    for k in range(classes):
        for i in range(m):
            r[k, i] *= total[i]
    for i in range(m):
        r[codes[i], i] -= scale
    return loss


#: Points a softmax pass takes at a time: their logits and residuals (K x SOFTMAX_TILE) stay
#: in the first-level cache, and each product is one a mini-batch of 64 takes.
SOFTMAX_TILE = 64


@njit(**JIT)
def softmax_columns(rows: np.ndarray) -> np.ndarray:
    """The points rows (n x d) feature-major a SOFTMAX_TILE of points at a time: tile t's
    d x m values, one after another (flat, n d), so the logits' product takes x untransposed,
    BLAS's faster case (0.6 against 1.2 us a tile of the digits, d = 64, K = 10)."""
    n, d = rows.shape
    cols = np.empty(n * d, F32)
    for lo in range(0, n, SOFTMAX_TILE):
        hi = min(lo + SOFTMAX_TILE, n)
        tile = cols[lo * d : hi * d].reshape((d, hi - lo))
        for i in range(lo, hi):
            for j in range(d):
                tile[j, i - lo] = rows[i, j]
    return cols


@njit(**JIT)
def _softmax_scratch(classes: int, d: int) -> tuple:
    """A softmax pass's scratch: a tile's logits and residuals (K x SOFTMAX_TILE), the
    largest logit and the sum of the exps at each of its points, and its K x d gradient."""
    return (np.empty((classes, SOFTMAX_TILE), F32), np.empty((classes, SOFTMAX_TILE), F32),
            np.empty(SOFTMAX_TILE, F32), np.empty(SOFTMAX_TILE, F32),
            np.empty((classes, d), F32))  # fmt: skip


@njit(**JIT)
def _leading(a: np.ndarray, size: int) -> np.ndarray:
    """The first K size values of the contiguous K x SOFTMAX_TILE array a as a contiguous
    K x size array (BLAS writes a shorter tile's product there)."""
    if size == a.shape[1]:
        return a
    return a.ravel()[: a.shape[0] * size].reshape((a.shape[0], size))


@njit(**JIT)
def _softmax_pass(rows: np.ndarray, cols: np.ndarray, codes: np.ndarray, weight: np.ndarray,
                  bias: np.ndarray, scale: float, g_weight: np.ndarray, g_bias: np.ndarray,
                  scratch: tuple, want_grad: bool, want_loss: bool) -> float:  # fmt: skip
    """One pass over the m points rows (point-major, m x d) with their codes, SOFTMAX_TILE at
    a time, at the parameters weight (K x d) and bias (K): returns the summed cross-entropy
    when asked (else 0) and, when asked, sets g_weight and g_bias to scale times the summed
    gradient (scale 1 / m: the mean's). cols is softmax_columns(rows), or empty (the logits
    then take rows transposed).

    The logits W x' + b and the weight's gradient r' x are matrix products by BLAS sgemm
    (np.dot): its register-blocked kernel does a tile's 64 x d x K multiply-adds 2-4 times
    faster than a Numba loop over them can (measured 0.5-1.1 us against 1.7-3.5 us at
    d = 64, K = 10), and keeps products this small on the calling thread (the digits' fit
    takes as much CPU time as wall time)."""
    classes, d = weight.shape
    tile_u, tile_r, top, total, part = scratch
    loss = ZERO
    for lo in range(0, rows.shape[0], SOFTMAX_TILE):
        hi = min(lo + SOFTMAX_TILE, rows.shape[0])
        tile, size = rows[lo:hi], hi - lo
        u, r = _leading(tile_u, size), _leading(tile_r, size)
        if cols.shape[0]:
            np.dot(weight, cols[lo * d : hi * d].reshape((d, size)), u)
        else:
            np.dot(weight, tile.T, u)
        for k in range(classes):
            for i in range(size):
                u[k, i] += bias[k]
        loss += _softmax_tile(u, codes[lo:hi], r, top[:size], total[:size], scale, want_grad,
                              want_loss)  # fmt: skip
        if not want_grad:
            continue
        if lo == 0:
            np.dot(r, tile, g_weight)
            g_bias[:] = ZERO
        else:
            np.dot(r, tile, part)
            g_weight += part
        for k in range(classes):
            for i in range(size):
                g_bias[k] += r[k, i]
    return loss


@njit(**JIT)
def softmax_loss(rows: np.ndarray, cols: np.ndarray, codes: np.ndarray, w: np.ndarray,
                 classes: int) -> float:  # fmt: skip
    """The mean cross-entropy of the points rows (point-major, n x d, float32; cols
    softmax_columns(rows) or empty) with their codes at the parameters w (K (d + 1): the
    K x d weight row by row, then the K biases)."""
    weight, bias = _softmax_parameters(w, classes)
    g_weight, g_bias = _softmax_parameters(np.empty_like(w), classes)  # not asked for
    scratch = _softmax_scratch(classes, rows.shape[1])
    summed = _softmax_pass(rows, cols, codes, weight, bias, ONE, g_weight, g_bias, scratch,
                           False, True)  # fmt: skip
    return summed / F32(rows.shape[0])


@njit(**JIT)
def _gather_rows(rows: np.ndarray, codes: np.ndarray, idx: np.ndarray, xb: np.ndarray,
                 cb: np.ndarray) -> None:  # fmt: skip
    """Copy the points idx of rows (n x d, point-major) into the batch xb (k x d), cb (k):
    each point's values contiguous in both, so a point is one short copy."""
    for i in range(idx.shape[0]):
        cb[i] = codes[idx[i]]
        row, out = rows[idx[i]], xb[i]
        for j in range(row.shape[0]):
            out[j] = row[j]


@njit(**JIT)
def descend_softmax(rows: np.ndarray, cols: np.ndarray, codes: np.ndarray, classes: int,
                    kind: int, lr: float, mom: float, nesterov: bool, b1: float, b2: float,
                    eps: float, batch: int, perms: np.ndarray, w: np.ndarray, m: np.ndarray,
                    v: np.ndarray, t: np.ndarray, first: int, stop: int, losses: np.ndarray,
                    tol2: float) -> tuple[int, int, bool]:  # fmt: skip
    """Epochs first .. stop - 1 of softmax regression (rows: the n points, point-major, n x d,
    cols softmax_columns(rows); codes their n class codes): w, m, v (K (d + 1): the K x d
    weight row by row, then the K biases) and the step count t[0] change in place, so a long
    run goes in blocks. batch >= n is the full batch; else each epoch takes ceil(n / batch)
    steps over perms[epoch - first] (the DataLoader's order), the last batch smaller.

    losses[epoch] gets the full data's mean cross-entropy where the epoch starts. After each
    epoch the softmax divergence rule (engines.softmax): that loss not finite is a divergence
    at epoch (1-based: the step before it; at 1 for the start), parameters not finite at
    epoch + 1. Stops after an epoch that starts with a full gradient norm^2 <= tol2
    (negative: never). Returns (diverged_at, epochs_run, ended) as descend does."""
    n, d = rows.shape
    full = batch >= n
    size = n if full else batch
    per_epoch = 1 if full else (n + batch - 1) // batch
    g, scratch = np.empty(w.shape[0], F32), _softmax_scratch(classes, d)
    weight, bias = _softmax_parameters(w, classes)
    g_weight, g_bias = _softmax_parameters(g, classes)
    xb, cb = np.empty((0 if full else size, d), F32), np.empty(size, codes.dtype)
    no_cols = cols[:0]  # a batch's logits take it transposed
    inv_n = ONE / F32(n)
    for epoch in range(first, stop):
        want_grad = full or tol2 >= 0
        summed = _softmax_pass(rows, cols, codes, weight, bias, inv_n, g_weight, g_bias,
                               scratch, want_grad, True)  # fmt: skip
        losses[epoch] = summed / F32(n)
        norm2 = F32(np.inf)
        if want_grad:
            norm2 = ZERO
            for j in range(g.shape[0]):
                norm2 += g[j] * g[j]
        if full:
            _update(kind, w, g, m, v, t[0], lr, mom, nesterov, b1, b2, eps)
            t[0] += 1
        else:
            order = perms[epoch - first]
            for s in range(per_epoch):
                lo = s * size
                k = min(size, n - lo)
                _gather_rows(rows, codes, order[lo : lo + k], xb, cb)
                _softmax_pass(xb[:k], no_cols, cb[:k], weight, bias, ONE / F32(k), g_weight,
                              g_bias, scratch, True, False)  # fmt: skip
                _update(kind, w, g, m, v, t[0], lr, mom, nesterov, b1, b2, eps)
                t[0] += 1
        if not np.isfinite(losses[epoch]):
            return max(epoch, 1), epoch + 1, False
        for j in range(w.shape[0]):
            if not np.isfinite(w[j]):
                return epoch + 1, epoch + 1, False
        if norm2 <= tol2:
            return 0, epoch + 1, True
    return 0, stop, False
