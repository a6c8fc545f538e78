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
of 0 or 1 (a sign of separation when the coefficients keep growing), sum w (1 - 2p) x,
which the delta method of the average marginal effects needs, X'X's diagonal (the rank
check's finiteness and scale from a pass at any coefficients) and Pearson's chi-squared (the
last pass's is the fit's, no pass of its own); it can write p for every row. Asked by a
stats.sandwich.Meat, the pass at the estimate also sums a sandwich covariance's meat (the
clusters' score sums for cluster), so --cov costs no pass of its own (but for more than
n / GROUPS clusters, whose per-task sums would outgrow the design: NumPy's loop sums them).
The compiled kernel is stats.compiled_pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from ..extras import fused_available
from ..stopping import per_block, signals_held
from .sandwich import Meat, add_block, design_block

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
#: A value costs the compiled passes about 2 ns on one core (the binary pass's a row's
#: column, the multinomial's a Gram product), a sixth of what stopping.BLOCK_VALUES allows
#: (50 ms on a loaded core), so their calls take this many blocks' values: one call a binary
#: pass at 10**6 x 10. Each call wakes the pass's threads: three calls cost 1 ms of a 14 ms
#: binary pass (idle OpenMP threads sleep: logitlab.__init__), 28 calls 10 ms of an 86 ms
#: multinomial pass at K = 5 (16 tasks a call to a thread pool).
PASS_BLOCKS = 3
#: The compiled kernel's code for each sandwich's sums (1: the meat of hc0, robust, hc1).
MEAT_MODES = {"hc2": 2, "hc3": 3, "cluster": 4}


@dataclass(frozen=True)
class Pass:
    """The sums of one pass at coefficients b (intercept first when there is one)."""

    loglik: float  # sum s log p + (m - s) log(1 - p), no binomial coefficients
    score: np.ndarray  # X'(s - m p)
    info: np.ndarray  # X'WX, W = diag(m p (1 - p))
    saturated: int  # rows with p or 1 - p below SATURATED
    curvature: np.ndarray  # X' m p (1 - p) (1 - 2p), for the marginal effects' delta method
    #: X'X's diagonal, sum m x_j^2 (the rank check's scale and finiteness at any start)
    squares: np.ndarray = field(default_factory=lambda: np.empty(0))
    #: Pearson's chi-squared, sum (s - m p)^2 / (m p (1 - p)) over the rows with trials
    pearson: float = math.nan
    #: The sandwich's meat asked by a Meat (cluster: sum_g S_g S_g'), else None
    meat: np.ndarray | None = None
    #: The largest hat value of an HC2 or HC3 meat (from the Meat's bread)
    largest_hat: float = math.nan


def newton_pass(
    features: np.ndarray,
    labels: np.ndarray,
    coef: np.ndarray,
    intercept: bool,
    fitted: np.ndarray | None = None,
    compiled: bool | None = None,
    trials: np.ndarray | None = None,
    meat: Meat | None = None,
) -> Pass:
    """The sums at coef over features (n x d, float64; C order, or F order read a column at
    a time, any other layout copied to C order) without the intercept column;
    writes the fitted probabilities into `fitted` (length n) when given. `labels` holds each
    row's successes out of its `trials` (float64, length n; None: one trial a row, labels
    0/1); `meat` asks for a sandwich's meat too (Pass.meat). compiled=None uses Numba when it
    is installed and there are COMPILED_ROWS rows or more, False the NumPy loop (the two
    agree to rounding)."""
    if compiled is None:
        compiled = fused_available() and len(features) >= COMPILED_ROWS
    out = np.empty(0) if fitted is None else fitted
    if compiled and meat is not None and GROUPS * meat.groups > len(features):
        # each task's G x k cluster sums would outgrow the design: NumPy's one G x k instead
        sums = _compiled_pass(features, labels, trials, coef, intercept, out, None)
        with np.errstate(invalid="ignore", divide="ignore"):
            spilled = _numpy_pass(features, labels, trials, coef, intercept, np.empty(0), meat)
        sums = sums[:7] + spilled[7:]
    elif compiled:
        sums = _compiled_pass(features, labels, trials, coef, intercept, out, meat)
    else:  # a NaN in the rows makes NaN sums, which the caller's first pass refuses
        with np.errstate(invalid="ignore", divide="ignore"):
            sums = _numpy_pass(features, labels, trials, coef, intercept, out, meat)
    loglik, score, info, saturated, curvature, squares, pearson, upper, clusters, hat = sums
    info = np.triu(info) + np.triu(info, 1).T
    if meat is None:
        upper = None
    elif meat.cov_type == "cluster":
        upper = clusters.T @ clusters
    else:
        upper = np.triu(upper) + np.triu(upper, 1).T
    return Pass(float(loglik), score, info, int(saturated), curvature, squares, float(pearson),
                upper, float(hat))  # fmt: skip


def _numpy_pass(
    features: np.ndarray,
    labels: np.ndarray,
    trials: np.ndarray | None,
    coef: np.ndarray,
    intercept: bool,
    out: np.ndarray,
    meat: Meat | None,
) -> tuple:
    """The fallback: the same sums, a block of rows at a time (X'WX by BLAS)."""
    k = len(coef)
    offset = int(intercept)
    b0, b = (coef[0], coef[1:]) if intercept else (0.0, coef)
    loglik, saturated, pearson, hat = 0.0, 0, 0.0, -math.inf
    score, curvature, info, squares = np.zeros(k), np.zeros(k), np.zeros((k, k)), np.zeros(k)
    upper, clusters = np.zeros((k, k)), np.zeros((0 if meat is None else meat.groups, k))
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
        pearson += float(np.sum((r * r / w)[np.broadcast_to(m, len(x)) > 0]))
        bend = w * (1.0 - 2.0 * p)
        score[offset:] += r @ x
        curvature[offset:] += bend @ x
        info[offset:, offset:] += (x * w[:, None]).T @ x
        squares[offset:] += np.einsum("i,ij,ij->j", np.broadcast_to(m, len(x)), x, x)
        if intercept:
            score[0] += r.sum()
            curvature[0] += bend.sum()
            info[0, 0] += w.sum()
            info[0, 1:] += w @ x
            squares[0] += len(x) if trials is None else float(np.sum(m))
        if len(out):
            out[start : start + BLOCK] = p
        if meat is not None:
            hat = max(hat, add_block(meat, design_block(x, intercept), start, p, r, m,
                                       upper, clusters))  # fmt: skip
    return loglik, score, info, saturated, curvature, squares, pearson, upper, clusters, hat


def _compiled_pass(
    features: np.ndarray,
    labels: np.ndarray,
    trials: np.ndarray | None,
    coef: np.ndarray,
    intercept: bool,
    out: np.ndarray,
    meat: Meat | None,
) -> tuple:
    """The compiled pass, in calls of about PASS_BLOCKS times stopping.BLOCK_VALUES values,
    with signals held in each (a signal then stops the pass between two calls). Each call
    takes the next tiles of every task's share and carries the task's partial sums on, so
    the sums are bit for bit those of one call over all the rows."""
    k = len(coef)
    parts = (np.zeros(GROUPS), np.zeros(GROUPS, dtype=np.int64), np.zeros((GROUPS, k)),
             np.zeros((GROUPS, k)), np.zeros((GROUPS, k, k)), np.zeros((GROUPS, k)),
             np.zeros(GROUPS))  # fmt: skip
    mode, copies, bread, codes = 0, np.empty(0), np.empty((0, 0)), np.empty(0, dtype=np.int64)
    sandwich = (np.zeros((GROUPS, 0, 0)), np.zeros((GROUPS, 0, 0)), np.full(GROUPS, -math.inf))
    if meat is not None:
        mode = MEAT_MODES.get(meat.cov_type, 1)
        copies = copies if meat.copies is None else meat.copies
        bread = bread if meat.bread is None else meat.bread
        codes = codes if meat.codes is None else meat.codes.astype(np.int64, copy=False)
        sandwich = (np.zeros((GROUPS, k, k)), np.zeros((GROUPS, meat.groups, k)), sandwich[2])
    kernel = _kernel()
    from numba import parallel_chunksize  # loaded with the kernel

    # float64 in C order, or its F-ordered transpose: the tile copy reads float64 pairs
    by_columns = (features.flags.f_contiguous and not features.flags.c_contiguous
                  and features.dtype == np.float64)  # fmt: skip
    laid_out = features.T if by_columns else np.ascontiguousarray(features, dtype=np.float64)
    firsts = calls(len(features), k)
    for first in firsts:
        # one task at a time to whichever thread is free (Numba deals equal shares otherwise)
        with signals_held(), parallel_chunksize(1):
            sums = kernel(laid_out, by_columns, labels, trials, coef, intercept, out, first,
                          first + firsts.step, *parts, TILE, GROUPS, SATURATED, mode, copies,
                          bread, codes, *sandwich)  # fmt: skip
    return sums


def calls(rows: int, work: int) -> range:
    """The first tile of each call of a compiled pass over `rows` rows (`step` tiles a call),
    each task taking its share of the tiles in calls of about PASS_BLOCKS times
    stopping.BLOCK_VALUES values, `work` values a row; the binary and the multinomial pass
    cut theirs alike."""
    tiles = (rows + TILE - 1) // TILE
    share = (tiles + GROUPS - 1) // GROUPS  # tiles per task, as the kernels count them
    return range(0, max(share, 1), per_block(-(-GROUPS * TILE * work // PASS_BLOCKS)))


@cache
def _kernel():  # -> a Numba dispatcher
    """The compiled pass (stats.compiled_pass); numba is imported only here, on first use."""
    from .compiled_pass import kernel

    return kernel
