"""The compiled pass of a penalized fit (stats.penalized.block_sums with Numba), in a module
of its own as stats.compiled_pass, so that numba is imported only when a pass first runs and
the kernel is a module global (Numba caches those).

`moments` sums the columns' weighted sums and squares (the means and SDs) the same way.

NumPy's pass makes each row's e^-|eta|, log1p and residual in temporaries, on one core;
here a block of rows is summed TILE rows at a time (they stay in L1 cache): the linear
predictor row by row (a dot product of d contiguous values), e^-|eta| by
stats.compiled_pass's exp_negative (no library call, so the loop vectorises), the
log-likelihood (without trials a tile's log(1 + e^-|eta|) as the log of their product,
each factor in (1, 2]: one log a tile), the residuals, and the score as the residual-weighted
rows. With `columns` the same rows, centred at the columns' means and weighted by
sqrt(m p (1 - p)), are written in float32 to the scratch rows BLAS's rank-k update reads
next. The kernel is serial and releases the GIL: block_sums runs blocks on threads, as
stats.multinomial does (a prange body does not vectorise as well, and its OpenMP threads
spin while BLAS's work, which on a busy machine doubled a pass's time).
"""

import numpy as np
from numba import njit

from .compiled_pass import exp_negative


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def kernel(x, y, m, coef, mean, columns, scaled, lo, hi, block, stride, tile):
    """The log-likelihood and score of rows lo .. hi - 1 of x at coef (intercept first);
    when `scaled` has columns (1 + len(columns)), the rows of every stride-th block of
    `block` rows (from x's first), scaled over the intercept and `columns`, written to it,
    the j-th sampled block at rows j * block. `m` is None for one trial a row: Numba
    compiles that case without its branches. lo and block are multiples of tile."""
    d = x.shape[1]
    k = len(columns)
    hessian = scaled.shape[1] > 0
    intercept, slopes = coef[0], coef[1:]
    eta, e, r, w = np.empty(tile), np.empty(tile), np.empty(tile), np.empty(tile)
    bits = np.empty(tile, dtype=np.int64)
    power = bits.view(np.float64)
    score = np.zeros(d + 1)
    loglik = 0.0
    for start in range(lo, hi, tile):
        size = min(hi, start + tile) - start
        for i in range(size):
            row = x[start + i]
            u = intercept
            for j in range(d):
                u += row[j] * slopes[j]
            eta[i] = u
        for i in range(size):
            e[i], bits[i] = exp_negative(eta[i])
        linear, product, total = 0.0, 1.0, 0.0
        for i in range(size):
            u, yi = eta[i], y[start + i]
            ei = e[i] * power[i]
            big = 1.0 / (1.0 + ei)  # the larger of p and 1 - p
            small = ei * big
            p = big if u >= 0 else small
            if m is None:
                linear += yi * u - max(u, 0.0)
                product *= 1.0 + ei
                r[i] = yi - p
                w[i] = big * small
            else:
                mi = m[start + i]
                linear += yi * u - mi * (max(u, 0.0) + np.log1p(ei))
                r[i] = yi - mi * p
                w[i] = mi * big * small
            total += r[i]
        loglik += linear - np.log(product)
        score[0] += total
        for i in range(size):
            row, ri = x[start + i], r[i]
            for j in range(d):
                score[j + 1] += ri * row[j]
        b = start // block
        if not hessian or b % stride != 0:
            continue
        first = (b // stride) * block + start - b * block  # the scratch row of row start
        for i in range(size):
            row, root, out = x[start + i], np.sqrt(w[i]), scaled[first + i]
            out[0] = root
            if k == d:  # every column (they are sorted): no gather, so the loop vectorises
                for c in range(d):
                    out[c + 1] = (row[c] - mean[c]) * root
            else:
                for c in range(k):
                    out[c + 1] = (row[columns[c]] - mean[columns[c]]) * root
    return loglik, score


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def moments(x, m, s, lo, hi):
    """Rows lo .. hi - 1's sums of m x, m x^2 and s x a column (m None: one each; s None:
    no third sum, an empty array)."""
    d = x.shape[1]
    sums, squares = np.zeros(d), np.zeros(d)
    successes = np.zeros(0 if s is None else d)
    for i in range(lo, hi):
        row = x[i]
        weight = 1.0 if m is None else m[i]
        for j in range(d):
            v = weight * row[j]
            sums[j] += v
            squares[j] += v * row[j]
        if s is not None:
            si = s[i]
            for j in range(d):
                successes[j] += si * row[j]
    return sums, squares, successes


__all__ = ["kernel", "moments"]
