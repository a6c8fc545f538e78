"""One Newton (IRLS) pass over the design: the log-likelihood, the score X'(s - m p) and the
Fisher information X' diag(m p (1 - p)) X at given coefficients, accumulated together.

Each row has m trials and s successes: m = 1 and s = y for a 0/1 label, m = w and s = w y for a
frequency weight w, m = n and s = the count for grouped binomial data. Without trials (m = 1)
the compiled pass is the binary one (Numba compiles the trials' branch away), so weights cost
nothing when there are none and no extra pass when there are.

Why one pass: at n = 10**7 x 10 the design is 800 MB and each Newton iteration is bound by
reading it once; separate passes for the likelihood, the gradient and X'WX would triple that.
The intercept is handled inside the pass (coefficient 0, a column of ones that is never
stored), so the design is never copied. With Numba the pass is compiled and split over the
cores (each row block sums into its own partial, the partials are added at the end), in
calls of a bounded number of rows so that a signal stops a long pass (stopping.py); without
Numba a NumPy loop over row blocks does the same sums, a block's temporaries at a time.

Besides the three sums a pass returns how many rows have a fitted probability within SATURATED
of 0 or 1 (a sign of separation when the coefficients keep growing), and sum w (1 - 2p) x,
which the delta method of the average marginal effects needs; it can write p for every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ..extras import fused_available
from ..stopping import per_block, signals_held

#: A fitted probability this close to 0 or 1 counts as saturated.
SATURATED = 1e-10
#: Rows a NumPy block takes at once (its temporaries stay in cache), and rows of a compiled
#: tile (transposed in L1 cache); the compiled pass splits the rows into GROUPS tasks, a few
#: per core so that a core slowed by other work does not hold up the sum.
BLOCK = 1 << 14
TILE = 256
GROUPS = 16
#: Rows from which the compiled pass is used when not told: below them starting its threads
#: costs more than NumPy's loop (about 1 ms a call on 32 rows, and 61 ms a pass on 400 rows
#: of a two-dimensional fit while the machine was busy, against well under 1 ms in NumPy).
COMPILED_ROWS = BLOCK


@dataclass(frozen=True)
class Pass:
    """The sums of one pass at coefficients b (intercept first when there is one)."""

    loglik: float  # sum s log p + (m - s) log(1 - p), no binomial coefficients
    score: np.ndarray  # X'(s - m p)
    info: np.ndarray  # X'WX, W = diag(m p (1 - p))
    saturated: int  # rows with p or 1 - p below SATURATED
    curvature: np.ndarray  # X' m p (1 - p) (1 - 2p), for the marginal effects' delta method


def newton_pass(
    features: np.ndarray,
    labels: np.ndarray,
    coef: np.ndarray,
    intercept: bool,
    fitted: np.ndarray | None = None,
    compiled: bool | None = None,
    trials: np.ndarray | None = None,
) -> Pass:
    """The sums at coef over features (n x d, C order, float64) without the intercept column;
    writes the fitted probabilities into `fitted` (length n) when given. `labels` holds each
    row's successes out of its `trials` (float64, length n; None: one trial a row, labels
    0/1). compiled=None uses Numba when it is installed and there are COMPILED_ROWS rows or
    more, False the NumPy loop (the two agree to rounding)."""
    if compiled is None:
        compiled = fused_available() and len(features) >= COMPILED_ROWS
    out = np.empty(0) if fitted is None else fitted
    if compiled:
        sums = _compiled_pass(features, labels, trials, coef, intercept, out)
    else:  # a NaN in the rows makes NaN sums, which the caller's first pass refuses
        with np.errstate(invalid="ignore"):
            sums = _numpy_pass(features, labels, trials, coef, intercept, out)
    loglik, score, info, saturated, curvature = sums
    info = np.triu(info) + np.triu(info, 1).T
    return Pass(float(loglik), score, info, int(saturated), curvature)


def _numpy_pass(
    features: np.ndarray,
    labels: np.ndarray,
    trials: np.ndarray | None,
    coef: np.ndarray,
    intercept: bool,
    out: np.ndarray,
) -> tuple:
    """The fallback: the same sums, a block of rows at a time (X'WX by BLAS)."""
    k = len(coef)
    offset = int(intercept)
    b0, b = (coef[0], coef[1:]) if intercept else (0.0, coef)
    loglik, saturated = 0.0, 0
    score, curvature, info = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for start in range(0, len(features), BLOCK):
        x, y = features[start : start + BLOCK], labels[start : start + BLOCK]
        eta = x @ b + b0
        e = np.exp(-np.abs(eta))
        big = 1.0 / (1.0 + e)  # the larger of p and 1 - p
        small = e * big
        p = np.where(eta >= 0, big, small)
        m = 1.0 if trials is None else trials[start : start + BLOCK]
        loglik += float(np.sum(y * eta - m * (np.maximum(eta, 0.0) + np.log1p(e))))
        saturated += int(np.count_nonzero((small < SATURATED) & (m > 0)))
        w, r = m * big * small, y - m * p
        bend = w * (1.0 - 2.0 * p)
        score[offset:] += r @ x
        curvature[offset:] += bend @ x
        info[offset:, offset:] += (x * w[:, None]).T @ x
        if intercept:
            score[0] += r.sum()
            curvature[0] += bend.sum()
            info[0, 0] += w.sum()
            info[0, 1:] += w @ x
        if len(out):
            out[start : start + BLOCK] = p
    return loglik, score, info, saturated, curvature


def _compiled_pass(
    features: np.ndarray,
    labels: np.ndarray,
    trials: np.ndarray | None,
    coef: np.ndarray,
    intercept: bool,
    out: np.ndarray,
) -> tuple:
    """The compiled pass, in calls of about stopping.BLOCK_VALUES values, with signals held
    in each (a signal then stops the pass between two calls). Each call takes the next
    tiles of every task's share and carries the task's partial sums on, so the sums are bit
    for bit those of one call over all the rows."""
    k = len(coef)
    parts = (np.zeros(GROUPS), np.zeros(GROUPS, dtype=np.int64), np.zeros((GROUPS, k)),
             np.zeros((GROUPS, k)), np.zeros((GROUPS, k, k)))  # fmt: skip
    tiles = (len(features) + TILE - 1) // TILE
    share = (tiles + GROUPS - 1) // GROUPS  # tiles per task, as the kernel counts them
    steps = per_block(GROUPS * TILE * k)
    kernel = _kernel()
    for first in range(0, max(share, 1), steps):
        with signals_held():
            sums = kernel(features, labels, trials, coef, intercept, out, first, first + steps,
                          *parts)  # fmt: skip
    return sums


@cache
def _kernel():  # -> a Numba dispatcher
    """Compile (or load from Numba's cache) the parallel pass; numba is imported only here.

    Each of GROUPS tasks takes a contiguous share of the rows, TILE rows at a time (in a
    call, its tiles first .. stop - 1, adding to its partial sums in parts): the tile is
    transposed into a column-major scratch buffer (in L1 cache) so that every sum below runs
    down contiguous memory and vectorises. log(1 + e^-|u|) is summed as the log of a product
    over the tile (each factor in (1, 2], so no overflow): one log per tile instead of per row.
    With trials each row's log is weighted by its trials, one log per row; `trials is None` is
    known when Numba compiles, so the binary pass keeps no branch of it.
    """
    from numba import njit, prange

    @njit(parallel=True, cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
    def kernel(features, labels, trials, coef, intercept, out, first, stop, part_ll, part_sat,
               part_score, part_curv, part_info):  # fmt: skip
        n, d = features.shape
        k = len(coef)
        offset = 1 if intercept else 0
        flat = features.reshape(-1)  # flat indices: LLVM then vectorises the loops below
        tiles = (n + TILE - 1) // TILE
        share = (tiles + GROUPS - 1) // GROUPS
        write = len(out) == n
        for g in prange(GROUPS):
            xt = np.ones(k * TILE)  # column a of the tile at a * TILE; column 0 stays 1
            wx = np.empty(k * TILE)
            eta, w, r, bend = np.empty(TILE), np.empty(TILE), np.empty(TILE), np.empty(TILE)
            ll, sat = part_ll[g], part_sat[g]
            score, curv, info = part_score[g], part_curv[g], part_info[g]
            for t in range(g * share + first, min(tiles, g * share + min(stop, share))):
                lo = t * TILE
                m = min(n, lo + TILE) - lo
                for i in range(m):
                    row = (lo + i) * d
                    for j in range(d):
                        xt[(j + offset) * TILE + i] = flat[row + j]
                eta[:] = 0.0
                for a in range(k):  # on slices (views) LLVM vectorises; on xt[a * TILE + i] not
                    column, ca = xt[a * TILE : a * TILE + m], coef[a]
                    for i in range(m):
                        eta[i] += column[i] * ca
                linear, product = 0.0, 1.0
                for i in range(m):
                    u = eta[i]
                    e = np.exp(-abs(u))
                    big = 1.0 / (1.0 + e)  # the larger of p and 1 - p
                    small = e * big
                    p = big if u >= 0 else small
                    if trials is None:
                        linear += labels[lo + i] * u - max(u, 0.0)
                        product *= 1.0 + e
                        sat += small < SATURATED
                        w[i] = big * small
                        r[i] = labels[lo + i] - p
                    else:
                        t = trials[lo + i]
                        linear += labels[lo + i] * u - t * (max(u, 0.0) + np.log1p(e))
                        sat += (small < SATURATED) and t > 0
                        w[i] = t * big * small
                        r[i] = labels[lo + i] - t * p
                    bend[i] = w[i] * (1.0 - 2.0 * p)
                    eta[i] = p
                ll += linear - np.log(product)
                if write:
                    for i in range(m):
                        out[lo + i] = eta[i]
                for a in range(k):
                    column, weighted = xt[a * TILE : a * TILE + m], wx[a * TILE : a * TILE + m]
                    s, c = 0.0, 0.0
                    for i in range(m):
                        s += r[i] * column[i]
                        c += bend[i] * column[i]
                        weighted[i] = w[i] * column[i]
                    score[a] += s
                    curv[a] += c
                # X'WX, upper triangle, four columns at a time: each w x_a read once feeds
                # four sums (three times faster than one dot product per pair).
                for a in range(k):
                    wa = wx[a * TILE : a * TILE + m]
                    b = a
                    while b + 3 < k:
                        x0 = xt[b * TILE : b * TILE + m]
                        x1 = xt[(b + 1) * TILE : (b + 1) * TILE + m]
                        x2 = xt[(b + 2) * TILE : (b + 2) * TILE + m]
                        x3 = xt[(b + 3) * TILE : (b + 3) * TILE + m]
                        h0 = h1 = h2 = h3 = 0.0
                        for i in range(m):
                            v = wa[i]
                            h0 += v * x0[i]
                            h1 += v * x1[i]
                            h2 += v * x2[i]
                            h3 += v * x3[i]
                        info[a, b] += h0
                        info[a, b + 1] += h1
                        info[a, b + 2] += h2
                        info[a, b + 3] += h3
                        b += 4
                    while b < k:
                        xb = xt[b * TILE : b * TILE + m]
                        h = 0.0
                        for i in range(m):
                            h += wa[i] * xb[i]
                        info[a, b] += h
                        b += 1
            part_ll[g] = ll
            part_sat[g] = sat
        return (
            part_ll.sum(),
            part_score.sum(axis=0),
            part_info.sum(axis=0),
            part_sat.sum(),
            part_curv.sum(axis=0),
        )

    return kernel
