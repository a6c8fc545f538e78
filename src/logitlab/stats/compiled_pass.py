"""The compiled Newton pass (irls.newton_pass with Numba), in a module of its own so that
numba is imported only when a pass first runs and every compiled function is a module global
(Numba caches those, and not a closure over another compiled function).

Each of irls.GROUPS tasks takes a contiguous share of the rows, TILE rows at a time
(irls.TILE; in a call, its tiles first .. stop - 1, adding to its partial sums in parts):
the tile is transposed into a column-major scratch buffer (in L1 cache) by shuffles
(copy_tile; an F-ordered design's columns are copied), so that every sum below runs down
contiguous memory and vectorises (512 bits wide where the CPU can: wide_vectors); the sums
read several columns a sweep (linear_predictor, add_products, add_gram), as the time of a
pass is the CPU's, not the memory's. Each sweep first asks the memory for a few cache lines
of the next tile (fetch_ahead), spread so that the whole tile has been asked for by the
tile's last sweep: one core alone otherwise reads at the memory's latency between its sums,
not during them (at 10**6 x 10 the reads took as long as all the sums). No loop calls a
library function, so each vectorises: e^-|u| is Cody and Waite's reduction to 2^j e^r with
a degree-13 polynomial for e^r (within an ulp or two of libm's; 2^j is written as its bits),
and log(1 + e^-|u|) is summed as the log of a product over the tile (each factor in (1, 2],
so no overflow): one log per tile instead of per row. With trials each row's log is weighted
by its trials, one log per row (log1p_unit, no library call either); `trials is None` is
known when Numba compiles, so the binary pass keeps no branch of it, and takes p and
Pearson's term from one division.
"""

import numpy as np
from numba import njit, prange

from .compiled_intrinsics import prefetch, transpose_pair, wide_vectors

#: A task's plan for the next tile's cache lines (an int64 array of these fields, set by
#: plan_ahead, advanced by fetch_ahead): the lines left to ask for, lines a sweep, the
#: sweeps so far in this tile, the run and the line in it to ask for next, and where the
#: lines lie: runs of RUN lines (8 values each) from BASE, STRIDE values apart (a row-major
#: tile is one run, a column-major tile's columns are d runs).
LEFT, BURST, SWEEPS, COLUMN, AT, BASE, RUN, STRIDE = range(8)
PLAN_FIELDS = STRIDE + 1
#: Lines a sweep asks for in a task's first tile, before its sweeps are counted.
FIRST_BURST = 8


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


@njit(cache=True, fastmath={"contract"}, nogil=True)
def log1p_unit(e):
    """log(1 + e) for 0 <= e <= 1 (e = e^-|u|), with no library call so that its loop
    vectorises (libm's log1p took 40% of a pass with trials): 1 + e = x + c exactly, x
    halved above sqrt(2) (j = 1), log(x / 2^j) = 2 atanh(s), s = (f - 1) / (f + 1),
    |s| <= 0.172, by its series to s^21; log 2 in two parts as in exp_negative. Within 2 ulps
    of libm's; compiled without reassociation, which would drop c."""
    x = 1.0 + e
    c = e - (x - 1.0)
    halved = x > 1.4142135623730951
    f = x * 0.5 if halved else x
    j = 1.0 if halved else 0.0
    s = (f - 1.0) / (f + 1.0)
    z = s * s
    p = 1.0 / 21.0
    for k in (19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0):
        p = p * z + 1.0 / k
    t = s + s
    return j * 0.6931471803691238 + (t + (t * (p * z) + (j * 1.9082149292705877e-10 + c / x)))


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
        wide_vectors()
        xt = np.ones(k * tile)  # column a of the tile at a * tile; column 0 stays 1
        plan = np.zeros(PLAN_FIELDS, dtype=np.int64)
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
            plan_ahead(plan, by_columns, n, d, lo + tile, tile)
            linear_predictor(xt, coef, eta, m, k, tile, flat, plan)
            fetch_ahead(flat, plan)
            for i in range(m):
                e[i], bits[i] = exp_negative(eta[i])
            fetch_ahead(flat, plan)
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
                    mi = trials[lo + i]
                    m_row[i] = mi
                    live = mi > 0  # a row of no trials adds nothing (& and a select: no branch)
                    linear += labels[lo + i] * u - mi * max(u, 0.0)
                    sat += (small < saturated) & live
                    wi, ri = mi * big * small, labels[lo + i] - mi * p
                    w[i], r[i] = wi, ri
                    chi2 += ri * ri / wi if live else 0.0
                bend[i] = w[i] * (1.0 - 2.0 * p)
                eta[i] = p
            if trials is None:
                ll += linear - np.log(product)
            else:
                for i in range(m):
                    linear -= m_row[i] * log1p_unit(e[i])
                ll += linear
            if write:
                for i in range(m):
                    out[lo + i] = eta[i]
            add_products(xt, r, bend, m_row, m, k, tile, score, curv, squares, flat, plan)
            add_gram(info, w, xt, m, k, tile, 0, 0, flat, plan)  # X'WX, upper triangle
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


@njit(cache=True, nogil=True)
def plan_ahead(plan, by_columns, n, d, lo, tile):
    """Points a task's plan at the tile of rows lo .. lo + tile - 1 (none past the design's
    n rows; flat as copy_tile reads it), its lines spread over as many sweeps as the last
    tile took."""
    m = max(0, min(n, lo + tile) - lo)
    if by_columns:  # d runs of m values, n apart
        run = (m + 7) // 8
        lines, base, stride = run * d, lo, n
    else:  # one run of m * d values
        lines = (m * d + 7) // 8
        run, base, stride = max(lines, 1), lo * d, 0
    sweeps = plan[SWEEPS]
    plan[BURST] = (lines + sweeps - 1) // sweeps if sweeps else FIRST_BURST
    plan[LEFT], plan[SWEEPS], plan[COLUMN], plan[AT] = lines, 0, 0, 0
    plan[BASE], plan[RUN], plan[STRIDE] = base, run, stride


@njit(cache=True, nogil=True, inline="always")
def fetch_ahead(flat, plan):
    """Asks for the plan's next BURST lines (inlined: a call a sweep cost 3-5% of a pass)."""
    count = min(plan[LEFT], plan[BURST])
    column, at, run = plan[COLUMN], plan[AT], plan[RUN]
    start = plan[BASE] + column * plan[STRIDE]
    for _ in range(count):
        prefetch(flat, start + at * 8)
        at += 1
        if at == run:
            column, at, start = column + 1, 0, start + plan[STRIDE]
    plan[COLUMN], plan[AT] = column, at
    plan[LEFT] -= count
    plan[SWEEPS] += 1


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
def linear_predictor(xt, coef, eta, m, k, tile, flat, plan):
    """eta = x b over a tile's k columns (at a * tile in xt, m rows), four columns a sweep:
    each sweep reads and writes eta once for four products (and fetches ahead by plan)."""
    wide_vectors()
    eta[:m] = 0.0
    a = 0
    while a + 3 < k:
        fetch_ahead(flat, plan)
        x0, x1 = xt[a * tile : a * tile + m], xt[(a + 1) * tile : (a + 1) * tile + m]
        x2, x3 = xt[(a + 2) * tile : (a + 2) * tile + m], xt[(a + 3) * tile : (a + 3) * tile + m]
        c0, c1, c2, c3 = coef[a], coef[a + 1], coef[a + 2], coef[a + 3]
        for i in range(m):
            eta[i] += x0[i] * c0 + x1[i] * c1 + x2[i] * c2 + x3[i] * c3
        a += 4
    while a < k:
        fetch_ahead(flat, plan)
        x0, c0 = xt[a * tile : a * tile + m], coef[a]
        for i in range(m):
            eta[i] += x0[i] * c0
        a += 1


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def add_products(xt, first, second, weight, m, k, tile, one, two, squares, flat, plan):
    """Adds a tile's x' first, x' second and weight x^2 (each column's) to one, two and
    squares: the score X'r, the curvature X' bend and X'X's diagonal, sum m x^2. Four columns
    a sweep: seven reads feed twelve sums. Its sweep is add_gram's written out again: one
    helper for both, called or inlined by Numba, made the pass 13-50% slower."""
    wide_vectors()
    b = 0
    while b + 3 < k:
        fetch_ahead(flat, plan)
        x0 = xt[b * tile : b * tile + m]
        x1 = xt[(b + 1) * tile : (b + 1) * tile + m]
        x2 = xt[(b + 2) * tile : (b + 2) * tile + m]
        x3 = xt[(b + 3) * tile : (b + 3) * tile + m]
        h0 = h1 = h2 = h3 = g0 = g1 = g2 = g3 = q0 = q1 = q2 = q3 = 0.0
        for i in range(m):
            u, v, c = first[i], second[i], weight[i]
            h0 += u * x0[i]
            h1 += u * x1[i]
            h2 += u * x2[i]
            h3 += u * x3[i]
            g0 += v * x0[i]
            g1 += v * x1[i]
            g2 += v * x2[i]
            g3 += v * x3[i]
            q0 += c * x0[i] * x0[i]
            q1 += c * x1[i] * x1[i]
            q2 += c * x2[i] * x2[i]
            q3 += c * x3[i] * x3[i]
        for c, (h, g, q) in enumerate(((h0, g0, q0), (h1, g1, q1), (h2, g2, q2), (h3, g3, q3))):
            one[b + c] += h
            two[b + c] += g
            squares[b + c] += q
        b += 4
    while b < k:
        fetch_ahead(flat, plan)
        xb = xt[b * tile : b * tile + m]
        h = g = q = 0.0
        for i in range(m):
            h += first[i] * xb[i]
            g += second[i] * xb[i]
            q += weight[i] * xb[i] * xb[i]
        one[b] += h
        two[b] += g
        squares[b] += q
        b += 1


@njit(cache=True, fastmath={"contract", "reassoc", "nsz"}, nogil=True)
def add_gram(info, w, xt, m, k, tile, rows, cols, flat, plan):
    """Adds a tile's X' diag(w) X, upper triangle, to info[rows + a, cols + b] (a <= b < k):
    xt holds the tile's k columns at a * tile (m rows), w its rows' weights. Two rows of
    w x (made in registers) against four columns of x a sweep: seven reads feed eight sums
    (one dot product per pair reads two a sum). The binary kernel's and the multinomial
    task's (one block of equations a call); each sweep fetches ahead by plan."""
    wide_vectors()
    for a in range(0, k, 2):
        fetch_ahead(flat, plan)
        xa = xt[a * tile : a * tile + m]
        h = 0.0
        for i in range(m):
            h += w[i] * xa[i] * xa[i]
        info[rows + a, cols + a] += h
        if a + 1 == k:
            break
        xb = xt[(a + 1) * tile : (a + 1) * tile + m]
        b = a + 1  # row a's sums from column a + 1 on, row a + 1's from its diagonal
        while b + 3 < k:
            fetch_ahead(flat, plan)
            x0 = xt[b * tile : b * tile + m]
            x1 = xt[(b + 1) * tile : (b + 1) * tile + m]
            x2 = xt[(b + 2) * tile : (b + 2) * tile + m]
            x3 = xt[(b + 3) * tile : (b + 3) * tile + m]
            h0 = h1 = h2 = h3 = g0 = g1 = g2 = g3 = 0.0
            for i in range(m):
                u, v = w[i] * xa[i], w[i] * xb[i]
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
            fetch_ahead(flat, plan)
            xc = xt[b * tile : b * tile + m]
            h = g = 0.0
            for i in range(m):
                h += w[i] * xa[i] * xc[i]
                g += w[i] * xb[i] * xc[i]
            info[rows + a, cols + b] += h
            info[rows + a + 1, cols + b] += g
            b += 1
