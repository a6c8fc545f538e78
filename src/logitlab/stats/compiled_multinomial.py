"""One task of the compiled multinomial pass (stats.multinomial), in a module of its own, as
stats.compiled_pass, so that numba is imported only when a pass first runs and the task is
a module global calling another (Numba caches those, and not a closure over another
compiled function).

As in stats.irls' kernel, task g takes its contiguous share of the rows (in a call, its
tiles first .. stop - 1, adding to its partial sums in parts), TILE rows at a time
transposed into a column-major scratch buffer (in L1 cache; compiled_pass.copy_tile), so
that every sum runs down contiguous memory and vectorises; with an intercept, the buffer's
column 0 stays 1. Per tile: the J logits, the softmax from the largest logit down, the log-
likelihood, the score X'(Y - P), and for each pair of equations j <= m the upper triangle of
X' diag(p_j (d_jm - p_m)) X, four columns at a time (compiled_pass.add_gram, whose sweeps
ask for the next tile's cache lines as they go).
"""

import numpy as np
from numba import njit

from .compiled_intrinsics import wide_vectors
from .compiled_pass import PLAN_FIELDS, add_gram, copy_tile, plan_ahead
from .irls import GROUPS, SATURATED, TILE


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def task(design, codes, params, intercept, out, first, stop, parts, g):
    """Task g's tiles first .. stop - 1 of its share, added to its partial sums in parts."""
    part_ll, part_sat, part_score, part_info = parts
    n, columns = design.shape
    d, J = params.shape
    offset = 1 if intercept else 0
    flat = design.reshape(-1)
    tiles = (n + TILE - 1) // TILE
    share = (tiles + GROUPS - 1) // GROUPS
    write = out.shape[0] == n
    wide_vectors()
    xt = np.ones(d * TILE)  # column a of the tile at a * TILE; with an intercept, 0 stays 1
    plan = np.zeros(PLAN_FIELDS, dtype=np.int64)  # the next tile's lines (plan_ahead)
    p = np.empty(J * TILE)  # the logits, then the probabilities
    r = np.empty(J * TILE)
    top, low, base, w = np.empty(TILE), np.empty(TILE), np.empty(TILE), np.empty(TILE)
    ll, sat = part_ll[g], part_sat[g]
    score, info = part_score[g], part_info[g]
    for t in range(g * share + first, min(tiles, g * share + min(stop, share))):
        lo = t * TILE
        m = min(n, lo + TILE) - lo
        copy_tile(flat, False, xt, n, columns, lo, m, offset * TILE, TILE)
        plan_ahead(plan, False, n, columns, lo + TILE, TILE)
        for j in range(J):
            eta = p[j * TILE : j * TILE + m]
            eta[:] = 0.0
            for a in range(d):
                column, c = xt[a * TILE : a * TILE + m], params[a, j]
                for i in range(m):
                    eta[i] += column[i] * c
        top[:m] = 0.0  # the baseline's logit
        for j in range(J):
            eta = p[j * TILE : j * TILE + m]
            for i in range(m):
                top[i] = max(top[i], eta[i])
        linear = 0.0
        for i in range(m):
            code = codes[lo + i]
            linear += (p[(code - 1) * TILE + i] if code > 0 else 0.0) - top[i]
            low[i] = np.exp(-top[i])  # the baseline's exp, shifted as the others
            base[i] = low[i]
        for j in range(J):
            eta = p[j * TILE : j * TILE + m]
            for i in range(m):
                eta[i] = np.exp(eta[i] - top[i])
                base[i] += eta[i]  # the total, until divided below
        for i in range(m):
            linear -= np.log(base[i])
            base[i] = 1.0 / base[i]
        ll += linear
        for j in range(J):
            pj, rj = p[j * TILE : j * TILE + m], r[j * TILE : j * TILE + m]
            for i in range(m):
                pj[i] *= base[i]
                rj[i] = (codes[lo + i] == j + 1) - pj[i]
                sat += (pj[i] < SATURATED) or (pj[i] > 1.0 - SATURATED)
        for i in range(m):
            base[i] *= low[i]  # the baseline's probability
            sat += (base[i] < SATURATED) or (base[i] > 1.0 - SATURATED)
        if write:
            for i in range(m):
                out[lo + i, 0] = base[i]
                for j in range(J):
                    out[lo + i, j + 1] = p[j * TILE + i]
        for j in range(J):
            rj = r[j * TILE : j * TILE + m]
            for a in range(d):
                column = xt[a * TILE : a * TILE + m]
                s = 0.0
                for i in range(m):
                    s += rj[i] * column[i]
                score[a, j] += s
        for j in range(J):
            pj = p[j * TILE : j * TILE + m]
            for e in range(j, J):
                pe = p[e * TILE : e * TILE + m]
                diagonal = 1.0 if e == j else 0.0
                for i in range(m):
                    w[i] = pj[i] * (diagonal - pe[i])
                add_gram(info, w, xt, m, d, TILE, j * d, e * d, flat, plan)
    part_ll[g] = ll
    part_sat[g] = sat
