"""The compiled Newton pass (irls.newton_pass with Numba), in a module of its own so that
numba is imported only when a pass first runs and every compiled function is a module global
(Numba caches those, and not a closure over another compiled function).

Each of irls.GROUPS tasks takes a contiguous share of the rows, TILE rows at a time
(irls.TILE; in a call, its tiles first .. stop - 1, adding to its partial sums in parts):
the tile is transposed into a column-major scratch buffer (in L1 cache) by shuffles
(copy_tile; an F-ordered design's columns are copied), so that every sum below runs down
contiguous memory and vectorises; the sums read several columns a sweep (linear_predictor,
column_sums, add_gram), as the time of a pass is the CPU's, not the memory's. No loop calls
a library function, so each vectorises: e^-|u| is Cody and Waite's reduction to 2^j e^r with
a degree-13 polynomial for e^r (within an ulp or two of libm's; 2^j is written as its bits),
and log(1 + e^-|u|) is summed as the log of a product over the tile (each factor in (1, 2],
so no overflow): one log per tile instead of per row. With trials each row's log is weighted
by its trials, one log per row; `trials is None` is known when Numba compiles, so the binary
pass keeps no branch of it, and takes p and Pearson's term from one division.
"""

import numpy as np
from numba import njit, prange

from .compiled_intrinsics import transpose_pair


@njit(cache=True, fastmath={"contract"}, nogil=True)
def exp_negative(u):
    """e^-|u| as (e^r, the bits of 2^j), |r| <= log(2) / 2; compiled without
    reassociation, which would fold the two parts of j log(2) into one and lose digits."""
    v = max(-abs(u), -708.0)  # below, e^v is no longer a normal number
    j = np.floor(v * 1.4426950408889634 + 0.5)
    rest = v - j * 0.6931471803691238 - j * 1.9082149292705877e-10
    q = 1.0 / 6227020800.0
    for c in (479001600.0, 39916800.0, 3628800.0, 362880.0, 40320.0, 5040.0, 720.0,
              120.0, 24.0, 6.0, 2.0, 1.0, 1.0):  # fmt: skip
        q = q * rest + 1.0 / c
    return q, (np.int64(j) + 1023) << 52


@njit(parallel=True, cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def kernel(features, by_columns, labels, trials, coef, intercept, out, first, stop, part_ll,
           part_sat, part_score, part_curv, part_info, part_squares, part_pearson, tile, groups,
           saturated, mode, copies, bread, codes, part_meat, part_clusters,
           part_hat):  # fmt: skip
    """The pass's tiles first .. stop - 1 of every task, added to its partial sums (parts);
    features is the n x d design in C order, or when by_columns its transpose, d x n in C
    order (a column-major design, whose tile is then copied a column at a time, no gather);
    returns the sums of all the parts: loglik, score, info (upper triangle), saturated rows,
    curvature, X'X's diagonal and Pearson's chi-squared, then the sandwich's: the meat (upper
    triangle), the clusters' score sums and the largest hat value. tile, groups and saturated
    are irls's TILE, GROUPS and SATURATED, passed in because irls imports this module.

    mode (irls's MEAT_MODES) says what the sandwich's sums are: 0 none; 1 the meat
    sum q_i x_i x_i', q_i = r_i^2 / c_i (r_i = s_i - m_i p_i, c_i the row's copies, 1 when
    `copies` is empty); 2 and 3 the same with q_i / (1 - h_i) and q_i / (1 - h_i)^2,
    h_i = (w_i / c_i) x_i' bread x_i; 4 the score sums r_i x_i of each row's cluster (codes)."""
    rows, cols = features.shape
    n, d = (cols, rows) if by_columns else (rows, cols)
    k = len(coef)
    offset = 1 if intercept else 0
    flat = features.reshape(-1)  # flat indices: LLVM then vectorises the loops below
    tiles = (n + tile - 1) // tile
    share = (tiles + groups - 1) // groups
    write = len(out) == n
    for g in prange(groups):
        xt = np.ones(k * tile)  # column a of the tile at a * tile; column 0 stays 1
        wx = np.empty(k * tile)
        eta, w, r, bend = np.empty(tile), np.empty(tile), np.empty(tile), np.empty(tile)
        e, m_row = np.empty(tile), np.ones(tile)
        bits = np.empty(tile, dtype=np.int64)
        power = bits.view(np.float64)
        ll, sat, chi2 = part_ll[g], part_sat[g], part_pearson[g]
        score, curv, info, squares = part_score[g], part_curv[g], part_info[g], part_squares[g]
        rq, rh, rv = np.empty(tile), np.empty(tile), np.empty(tile)  # the sandwich's rows
        largest = part_hat[g]
        for t in range(g * share + first, min(tiles, g * share + min(stop, share))):
            lo = t * tile
            m = min(n, lo + tile) - lo
            copy_tile(flat, by_columns, xt, n, d, lo, m, offset * tile, tile)
            linear_predictor(xt, coef, eta, m, k, tile)
            for i in range(m):
                e[i], bits[i] = exp_negative(eta[i])
            linear, product = 0.0, 1.0
            for i in range(m):
                u = eta[i]
                ei = e[i] * power[i]
                if trials is None:  # one division for p and Pearson's term
                    inverse = 1.0 / ((1.0 + ei) * ei)  # e^-|u| >= e^-708: finite
                    big = inverse * ei  # the larger of p and 1 - p
                    small = ei * big
                    p = big if u >= 0 else small
                    y = labels[lo + i]
                    linear += y * u - max(u, 0.0)
                    product *= 1.0 + ei
                    sat += small < saturated
                    w[i] = big * small
                    r[i] = y - p
                    # r^2 / w: (1 - p) / p = e^-|u| when y is the likelier label, else e^|u|
                    chi2 += ei if (y > 0.5) == (u >= 0) else inverse * (1.0 + ei)
                else:
                    big = 1.0 / (1.0 + ei)  # the larger of p and 1 - p
                    small = ei * big
                    p = big if u >= 0 else small
                    e[i] = ei
                    m_row[i] = trials[lo + i]
                    linear += labels[lo + i] * u - m_row[i] * max(u, 0.0)
                    sat += (small < saturated) and m_row[i] > 0
                    w[i] = m_row[i] * big * small
                    r[i] = labels[lo + i] - m_row[i] * p
                    if m_row[i] > 0:
                        chi2 += r[i] * r[i] / w[i]
                bend[i] = w[i] * (1.0 - 2.0 * p)
                eta[i] = p
            if trials is None:
                ll += linear - np.log(product)
            else:
                for i in range(m):
                    linear -= m_row[i] * np.log1p(e[i])
                ll += linear
            if write:
                for i in range(m):
                    out[lo + i] = eta[i]
            column_sums(xt, wx, w, r, bend, m_row, m, k, tile, score, curv, squares)
            add_gram(info, wx, xt, m, k, tile, 0, 0)  # X'WX, upper triangle
            if mode > 0:  # the sandwich's sums, in the pass at the estimate only
                largest = sandwich_sums(xt, r, w, m, k, lo, tile, mode, copies, bread, codes,
                                        part_meat[g], part_clusters[g], rq, rh, rv,
                                        largest)  # fmt: skip
        part_ll[g] = ll
        part_sat[g] = sat
        part_pearson[g] = chi2
        part_hat[g] = largest
    return (
        part_ll.sum(),
        part_score.sum(axis=0),
        part_info.sum(axis=0),
        part_sat.sum(),
        part_curv.sum(axis=0),
        part_squares.sum(axis=0),
        part_pearson.sum(),
        part_meat.sum(axis=0),
        part_clusters.sum(axis=0),
        part_hat.max(),
    )


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def copy_tile(flat, by_columns, xt, n, d, lo, m, at, tile):
    """Rows lo .. lo + m - 1 of the design (flat: n x d in C order, or its transpose when
    by_columns) into xt's columns, column j at at + j * tile: a column-major design's columns
    copied, a row-major one's four rows of two columns at a time by transpose_pair (an odd
    last column goes with its neighbour, copied twice)."""
    if by_columns:
        for j in range(d):
            xt[at + j * tile : at + j * tile + m] = flat[j * n + lo : j * n + lo + m]
        return
    base, paired = lo * d, m - m % 4 if d > 1 else 0
    for i in range(0, paired, 4):
        row, column = base + i * d, at + i
        for j in range(0, d - 1, 2):
            transpose_pair(flat, row + j, d, xt, column + j * tile, tile)
        if d % 2:
            transpose_pair(flat, row + d - 2, d, xt, column + (d - 2) * tile, tile)
    for i in range(paired, m):  # a tile's last rows short of four, or a one-column design
        for j in range(d):
            xt[at + j * tile + i] = flat[base + i * d + j]


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def sandwich_sums(xt, r, w, m, k, lo, tile, mode, copies, bread, codes, meat, clusters, q, hv,
                  v, largest):  # fmt: skip
    """A tile's part of the sandwich's sums (kernel's mode), added to meat (upper triangle)
    or clusters; returns the largest hat value so far."""
    for i in range(m):
        c = copies[lo + i] if len(copies) else 1.0
        q[i] = r[i] * r[i] / c if c > 0 else 0.0
    if mode == 4:
        for i in range(m):
            row = clusters[codes[lo + i]]
            for a in range(k):
                row[a] += r[i] * xt[a * tile + i]
        return largest
    if mode == 2 or mode == 3:
        hv[:m] = 0.0
        for a in range(k):
            v[:m] = 0.0
            for b in range(k):
                column, ab = xt[b * tile : b * tile + m], bread[a, b]
                for i in range(m):
                    v[i] += ab * column[i]
            column = xt[a * tile : a * tile + m]
            for i in range(m):
                hv[i] += column[i] * v[i]
        for i in range(m):
            c = copies[lo + i] if len(copies) else 1.0
            h = w[i] / c * hv[i] if c > 0 else 0.0
            largest = max(largest, h)
            q[i] = q[i] / (1.0 - h) if mode == 2 else q[i] / ((1.0 - h) * (1.0 - h))
    for a in range(k):
        column = xt[a * tile : a * tile + m]
        for i in range(m):
            v[i] = q[i] * column[i]
        for b in range(a, k):
            other, s = xt[b * tile : b * tile + m], 0.0
            for i in range(m):
                s += v[i] * other[i]
            meat[a, b] += s
    return largest


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def linear_predictor(xt, coef, eta, m, k, tile):
    """eta = x b over a tile's k columns (at a * tile in xt, m rows), four columns a sweep:
    each sweep reads and writes eta once for four products."""
    eta[:m] = 0.0
    a = 0
    while a + 3 < k:
        x0, x1 = xt[a * tile : a * tile + m], xt[(a + 1) * tile : (a + 1) * tile + m]
        x2, x3 = xt[(a + 2) * tile : (a + 2) * tile + m], xt[(a + 3) * tile : (a + 3) * tile + m]
        c0, c1, c2, c3 = coef[a], coef[a + 1], coef[a + 2], coef[a + 3]
        for i in range(m):
            eta[i] += x0[i] * c0 + x1[i] * c1 + x2[i] * c2 + x3[i] * c3
        a += 4
    while a < k:
        x0, c0 = xt[a * tile : a * tile + m], coef[a]
        for i in range(m):
            eta[i] += x0[i] * c0
        a += 1


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def column_sums(xt, wx, w, r, bend, m_row, m, k, tile, score, curv, squares):
    """A tile's score X'r, curvature X' bend and squares sum m x^2 added up, and its w x
    written to wx, two columns a sweep (a row's r, bend, w and m read once for both)."""
    a = 0
    while a + 1 < k:
        x0, x1 = xt[a * tile : a * tile + m], xt[(a + 1) * tile : (a + 1) * tile + m]
        w0, w1 = wx[a * tile : a * tile + m], wx[(a + 1) * tile : (a + 1) * tile + m]
        s0 = s1 = c0 = c1 = q0 = q1 = 0.0
        for i in range(m):
            s0 += r[i] * x0[i]
            s1 += r[i] * x1[i]
            c0 += bend[i] * x0[i]
            c1 += bend[i] * x1[i]
            q0 += m_row[i] * x0[i] * x0[i]
            q1 += m_row[i] * x1[i] * x1[i]
            w0[i] = w[i] * x0[i]
            w1[i] = w[i] * x1[i]
        score[a], score[a + 1] = score[a] + s0, score[a + 1] + s1
        curv[a], curv[a + 1] = curv[a] + c0, curv[a + 1] + c1
        squares[a], squares[a + 1] = squares[a] + q0, squares[a + 1] + q1
        a += 2
    if a < k:
        x0, w0 = xt[a * tile : a * tile + m], wx[a * tile : a * tile + m]
        s0 = c0 = q0 = 0.0
        for i in range(m):
            s0 += r[i] * x0[i]
            c0 += bend[i] * x0[i]
            q0 += m_row[i] * x0[i] * x0[i]
            w0[i] = w[i] * x0[i]
        score[a] += s0
        curv[a] += c0
        squares[a] += q0


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def add_gram(info, wx, xt, m, k, tile, rows, cols):
    """Adds a tile's X'WX, upper triangle, to info[rows + a, cols + b] (a <= b < k): wx and
    xt hold the tile's k columns of w x and of x at a * tile (m rows). Two rows of w x
    against four columns of x a sweep: six reads feed eight sums (one dot product per pair
    reads two a sum). The binary kernel's and the multinomial task's (one block of
    equations a call)."""
    for a in range(0, k, 2):
        wa, xa = wx[a * tile : a * tile + m], xt[a * tile : a * tile + m]
        h = 0.0
        for i in range(m):
            h += wa[i] * xa[i]
        info[rows + a, cols + a] += h
        if a + 1 == k:
            break
        wb = wx[(a + 1) * tile : (a + 1) * tile + m]
        b = a + 1  # row a's sums from column a + 1 on, row a + 1's from its diagonal
        while b + 3 < k:
            x0 = xt[b * tile : b * tile + m]
            x1 = xt[(b + 1) * tile : (b + 1) * tile + m]
            x2 = xt[(b + 2) * tile : (b + 2) * tile + m]
            x3 = xt[(b + 3) * tile : (b + 3) * tile + m]
            h0 = h1 = h2 = h3 = g0 = g1 = g2 = g3 = 0.0
            for i in range(m):
                u, v = wa[i], wb[i]
                h0 += u * x0[i]
                h1 += u * x1[i]
                h2 += u * x2[i]
                h3 += u * x3[i]
                g0 += v * x0[i]
                g1 += v * x1[i]
                g2 += v * x2[i]
                g3 += v * x3[i]
            for c, (h, g) in enumerate(((h0, g0), (h1, g1), (h2, g2), (h3, g3))):
                info[rows + a, cols + b + c] += h
                info[rows + a + 1, cols + b + c] += g
            b += 4
        while b < k:
            xb = xt[b * tile : b * tile + m]
            h = g = 0.0
            for i in range(m):
                h += wa[i] * xb[i]
                g += wb[i] * xb[i]
            info[rows + a, cols + b] += h
            info[rows + a + 1, cols + b] += g
            b += 1
