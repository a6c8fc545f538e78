"""Penalized fits in glmnet's scaling: logitlab's stats.penalized against glum and scikit-learn
at the same objective (mean log-loss + lam((1 - a)/2 |b|^2 + a |b|_1) on standardized
columns), one lambda (l2 and l1) and glmnet's 100-lambda l1 path, on one draw.

    .venv/bin/python bench/penalty.py [--rows N]

The peers get the standardized design ready made (its making is not timed); logitlab starts
from the raw design and standardizes inside. scikit-learn's C = 1 / (n lam); its path runs
warm-started saga over the 100 values of C, or is skipped (said) when one saga fit times 100
would exceed PATH_BUDGET seconds. Columns: seconds, the ratio to logitlab's, and each
solution's objective relative to logitlab's (f_peer - f_ours) / f_ours (for the path: the
largest over the lambdas).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

N, D, SEED = 10**6, 50, 20261206
LAMBDA = 1e-3
PATH_BUDGET = 600.0


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows of D normal columns of different means and scales, 10 of them in the model."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(n, D)) * rng.uniform(0.5, 5.0, D) + rng.uniform(-2.0, 2.0, D)
    beta = np.zeros(D)
    beta[:10] = rng.normal(size=10) * 0.5 / X[:, :10].std(axis=0)
    eta = (X - X.mean(axis=0)) @ beta - 0.3
    return X, (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)


def passes(fit) -> str:
    """How many passes over the rows a fit made, and how many of them computed a Hessian."""
    return f"{fit.passes} passes, {fit.hessians} Hessians"


def timed(work):
    start = time.perf_counter()
    answer = work()
    return time.perf_counter() - start, answer


def run(n: int = N) -> list[tuple[str, float, float]]:
    """(what, seconds, relative objective gap to logitlab's) per row, ours first per task."""
    import glum
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    from logitlab.stats import penalized

    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = data(n)
    mean, sd = X.mean(axis=0), X.std(axis=0)
    Z = (X - mean) / sd

    def original(intercept: float, slopes: np.ndarray) -> np.ndarray:
        return np.r_[intercept - (slopes / sd) @ mean, slopes / sd]

    def gap(params: np.ndarray, lam: float, a: float, ours: float) -> float:
        return (penalized.objective(X, y, params, lam, a) - ours) / ours

    penalized.fit(X[:1000], y[:1000], LAMBDA, 1.0)  # Numba's kernel from its cache, not timed
    rows = []
    for name, a, solver in (("l2", 0.0, "lbfgs"), ("l1", 1.0, "saga")):
        seconds, ours = timed(lambda a=a: penalized.fit(X, y, LAMBDA, a))
        rows.append((f"{name}, one lambda: logitlab ({passes(ours)})", seconds, 0.0))
        glm = glum.GeneralizedLinearRegressor(family="binomial", alpha=LAMBDA, l1_ratio=a,
                                              gradient_tol=1e-10)  # fmt: skip
        seconds, peer = timed(lambda glm=glm: glm.fit(Z, y))
        params = original(peer.intercept_, peer.coef_)
        rows.append((f"{name}, one lambda: glum", seconds, gap(params, LAMBDA, a, ours.objective)))
        sk = LogisticRegression(C=1.0 / (n * LAMBDA), l1_ratio=a, solver=solver, tol=1e-10,
                                max_iter=10_000)  # fmt: skip
        seconds, peer = timed(lambda sk=sk: sk.fit(Z, y))
        params = original(peer.intercept_[0], peer.coef_[0])
        rows.append((f"{name}, one lambda: scikit-learn {solver}", seconds,
                     gap(params, LAMBDA, a, ours.objective)))  # fmt: skip
    saga = rows[-1][1]
    problem = penalized.Problem(X, y)
    lambdas = penalized.default_lambdas(problem, 1.0)
    seconds, path = timed(lambda: penalized.fit_path(penalized.Problem(X, y), lambdas, 1.0))
    rows.append((f"l1, 100-lambda path: logitlab ({passes(path)})", seconds, 0.0))
    seconds, peer = timed(lambda: glum.GeneralizedLinearRegressor(
        family="binomial", l1_ratio=1.0, alpha_search=True, alphas=lambdas,
        gradient_tol=1e-10).fit(Z, y))  # fmt: skip
    pairs = enumerate(zip(lambdas, path.objectives, strict=True))
    worst = max(gap(original(peer.intercept_path_[i], peer.coef_path_[i]), lam, 1.0, f)
                for i, (lam, f) in pairs)  # fmt: skip
    rows.append(("l1, 100-lambda path: glum (alpha_search)", seconds, worst))
    if 100 * saga > PATH_BUDGET:
        rows.append((f"l1, 100-lambda path: scikit-learn saga skipped (~{100 * saga:.0f} s)",
                     float("nan"), float("nan")))  # fmt: skip
        return rows
    model = LogisticRegression(l1_ratio=1.0, solver="saga", tol=1e-10, max_iter=10_000,
                               warm_start=True)  # fmt: skip
    start, worst = time.perf_counter(), -np.inf
    for lam, f in zip(lambdas, path.objectives, strict=True):
        model.set_params(C=1.0 / (n * lam)).fit(Z, y)
        worst = max(worst, gap(original(model.intercept_[0], model.coef_[0]), lam, 1.0, f))
    rows.append(("l1, 100-lambda path: scikit-learn saga (warm)", time.perf_counter() - start,
                 worst))  # fmt: skip
    return rows


def show(rows: list[tuple[str, float, float]], n: int = N) -> None:
    """The rows as a table, each time also as a ratio to logitlab's on the same task."""
    print(f"n = {n:,}, d = {D}, lambda = {LAMBDA:g} (path: glmnet's 100 from lambda_max)")
    head = f"{'':<56}{'seconds':>9}{'x ours':>8}{'objective gap':>15}"
    print(head)
    print("-" * len(head))
    ours = None
    for what, seconds, gap in rows:
        if "logitlab" in what:
            ours = seconds
        print(f"{what:<56}{seconds:>9.2f}{seconds / ours:>8.2f}{gap:>15.1e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=N)
    rows = parser.parse_args().rows
    show(run(rows), rows)
