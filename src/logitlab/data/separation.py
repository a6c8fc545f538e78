"""Separation: when a direction of the features splits the classes, the likelihood rises for
ever along it and the maximum-likelihood estimate does not exist. The MLE refuses such data;
gradient descent warns (its coefficients only grow with the epochs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Above this many design entries the linear program takes seconds: the check is skipped.
MAX_CHECKED = 2_000_000
#: Above this many rows the linear programs run on a working set of rows (evenly spread at
#: first), grown by the rows that contradict its answer until the answer holds for every row:
#: HiGHS (~700 bytes a value) then needs the memory of this many rows, each round one pass.
WORKING_ROWS = 20_000
#: A row contradicts a direction when s_i x_i'b < -VIOLATION (unit-scaled columns, |b| <= 1:
#: the linear program's own feasibility tolerance).
VIOLATION = 1e-7
#: A direction is named by at most this many terms, its largest, and how many more it has:
#: a message on one readable line, even for a design of hundreds of columns.
SHOWN_TERMS = 5


def separation_of(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> str | None:
    """separation() of features x (n x d) with an intercept; None also when the data are too
    large to check quickly (more than MAX_CHECKED entries)."""
    if x.shape[0] * (x.shape[1] + 1) > MAX_CHECKED:
        return None
    labels = np.asarray(y, dtype=float).ravel()
    if x.shape[1] == 1 and 0 < labels.sum() < len(labels):
        # One feature: separable exactly when the classes' ranges of x do not overlap, an O(n)
        # test that spares the linear program (~50 ms at n = 2000) in the usual case.
        ones, zeros = x[labels == 1, 0], x[labels == 0, 0]
        if ones.min() < zeros.max() and zeros.min() < ones.max():
            return None
    design = np.column_stack((np.ones(len(x)), x))
    return separation(design, np.asarray(y, dtype=float).ravel(), ("Intercept", *names))


def separation(design: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> str | None:
    """Say how the classes are separated, or None if they are not.

    design holds the model's columns (the intercept's too), names name them. A direction b
    with s_i x_i'b >= 0 for all i, not all 0 (s_i = +1 for y = 1, -1 for y = 0) is found by
    the linear program of Konis (2007): maximise sum_i s_i x_i'b subject to s_i x_i'b >= 0
    and -1 <= b <= 1; a positive optimum means (quasi-)complete separation.
    """
    if np.all(labels == labels[0]):
        kind = "1" if labels[0] == 1 else "0"
        return (
            f"every y is {kind}: the fitted probabilities run to {kind} and the intercept to "
            f"{'+' if kind == '1' else '-'}infinity, so the maximum-likelihood estimate does "
            "not exist"
        )
    from scipy.optimize import linprog

    n, p = design.shape
    scale = np.maximum(design.max(axis=0), -design.min(axis=0))  # unit-scale columns: one
    scale[scale == 0] = 1.0  # tolerance fits all
    sign = 2.0 * labels - 1.0
    bounds = [(-1.0, 1.0)] * p
    every = np.arange(n)
    rows = every if n <= WORKING_ROWS else np.linspace(0, n - 1, WORKING_ROWS).astype(np.int64)
    while True:  # the weak program, maximise sum_i s_i x_i'b, on a growing working set
        signed = sign[rows, None] * (design[rows] / scale)
        weak = linprog(-signed.sum(axis=0), A_ub=-signed, b_ub=np.zeros(len(rows)), bounds=bounds)
        if weak.status != 0 or signed.sum(axis=0) @ weak.x <= 1e-7 * len(rows):
            # No separation of these rows; when they span every direction, none of all rows
            if len(rows) == n or np.linalg.matrix_rank(signed) == p:
                return None
            rows = every
            continue
        margins = sign * (design @ (weak.x / scale))
        if len(rows) == n or margins.min() >= -VIOLATION:
            break
        rows = _grown(rows, margins < -VIOLATION, margins)
    ties = int(np.sum(margins <= 1e-9))
    while True:  # complete separation if a margin t > 0 fits: maximise t, s_i x_i'b >= t
        signed = sign[rows, None] * (design[rows] / scale)
        strict = linprog(
            np.r_[np.zeros(p), -1.0],
            A_ub=np.column_stack((-signed, np.ones(len(rows)))),
            b_ub=np.zeros(len(rows)),
            bounds=[*bounds, (None, 1.0)],
        )
        complete = strict.status == 0 and -strict.fun > 1e-9
        if not complete or len(rows) == n:
            break
        margins_strict = sign * (design @ (strict.x[:p] / scale))
        if margins_strict.min() > 1e-9:
            break
        rows = _grown(rows, margins_strict <= 1e-9, margins_strict)
    coef = strict.x[:p] if complete else weak.x
    direction = coef / scale
    terms = direction_text(direction, names, 1e-9)
    if complete:
        what = f"complete separation: {terms} is > 0 for every y = 1 and < 0 for every y = 0"
    else:
        what = (
            f"quasi-complete separation: {terms} is >= 0 for every y = 1 and <= 0 for every "
            f"y = 0 ({ties} rows tie at 0)"
        )
    return (
        f"{what}, so the likelihood keeps rising as the coefficients grow and the "
        "maximum-likelihood estimate does not exist"
    )


def _grown(rows: np.ndarray, wrong: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """The working set with up to WORKING_ROWS more rows: those flagged wrong, worst first."""
    candidates = np.flatnonzero(wrong)
    worst = candidates[np.argsort(margins[candidates])[:WORKING_ROWS]]
    return np.union1d(rows, worst)


def direction_text(direction: np.ndarray, names: Sequence[str], smallest: float) -> str:
    """A direction in coefficient space as a linear form, scaled so its largest weight is 1:
    '0.5*x1 - 1*x2' (weights below `smallest` after scaling left out); past SHOWN_TERMS
    terms, the largest of them in column order and "(and N more terms)". A name that does not
    print as itself (a line break in a column's name) in quotes, so the text is one line."""
    direction = direction / np.abs(direction).max()
    kept = np.flatnonzero(np.abs(direction) > smallest)
    shown = np.sort(kept[np.argsort(-np.abs(direction[kept]), kind="stable")[:SHOWN_TERMS]])
    terms = " ".join(
        f"{'+' if direction[j] >= 0 else '-'} {abs(direction[j]):.3g}*"
        f"{names[j] if names[j].isprintable() else repr(names[j])}"
        for j in shown
    )
    more = len(kept) - len(shown)
    terms += f" (and {more:,} more terms)" if more else ""
    return terms[2:] if terms.startswith("+ ") else "-" + terms[2:]
