"""Penalized fits in glmnet's scaling: logitlab's stats.penalized against glum and scikit-learn
at the same objective (mean log-loss + lam((1 - a)/2 |b|^2 + a |b|_1) on standardized
columns): one lambda (l2: glum, lbfgs and saga; l1: glum and saga) and glmnet's 100-lambda
l1 path (glum's alpha_search; saga warm-started over the 100 values of C), on one draw.

    .venv/bin/python bench/penalty.py [--rows N] [--path-rows M] [--saga-rows K] [--repeats R]

The peers get the standardized design ready made (its making is not timed); logitlab starts
from the raw design and standardizes inside. scikit-learn's C = 1 / (n lam). saga, minutes
at 10**6 rows, is timed once at K rows and scaled by N / K (its epochs cost n each and their
number hardly depends on n; the row says so); its path is estimated as 100 single fits (a
warm start saves some of that, so the estimate is generous to saga). Each task prints
seconds, the ratio to logitlab's, and each solution's objective relative to logitlab's,
(f_peer - f_ours) / f_ours (for the path the largest over the lambdas), then how many times
the fastest peer's time logitlab's is. Each time is the best of R runs (bench/timing.py;
default 1, as glum and saga take seconds each).
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np

from timing import best  # bench/timing.py, beside this file

N, D, SEED = 10**6, 50, 20261206
SAGA_ROWS = 10**5
LAMBDA = 1e-3


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows of D normal columns of different means and scales, 10 of them in the model."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(n, D)) * rng.uniform(0.5, 5.0, D) + rng.uniform(-2.0, 2.0, D)
    beta = np.zeros(D)
    beta[:10] = rng.normal(size=10) * 0.5 / X[:, :10].std(axis=0)
    eta = (X - X.mean(axis=0)) @ beta - 0.3
    return X, (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)


def passes(fit) -> str:
    """How many passes over the rows a fit made, the reads of a Hessian's sample of rows
    alone, and how many Hessians it summed."""
    from logitlab.stats.penalized import passes_words  # imported late, as Peers imports it

    return f"{passes_words(fit.passes, fit.sample_reads)}, {fit.hessians} Hessians"


class Peers:
    """One draw, standardized for the peers, and the objective of any solution on it."""

    def __init__(self, n: int) -> None:
        from logitlab.stats import penalized

        self.penalized = penalized
        self.n = n
        self.X, self.y = data(n)
        self.mean, self.sd = self.X.mean(axis=0), self.X.std(axis=0)
        self.Z = (self.X - self.mean) / self.sd

    def original(self, intercept: float, slopes: np.ndarray) -> np.ndarray:
        return np.r_[intercept - (slopes / self.sd) @ self.mean, slopes / self.sd]

    def gap(self, intercept: float, slopes: np.ndarray, lam: float, a: float, ours: float) -> float:
        params = self.original(intercept, slopes)
        return (self.penalized.objective(self.X, self.y, params, lam, a) - ours) / ours


def one_lambda(peers: Peers, saga: Peers, name: str, a: float, repeats: int = 1) -> list[tuple]:
    """(task, who, seconds, gap) rows at LAMBDA: logitlab, glum, lbfgs (l2), saga."""
    import glum
    from sklearn.linear_model import LogisticRegression

    task = f"{name}, one lambda"
    seconds, ours = best(lambda: peers.penalized.fit(peers.X, peers.y, LAMBDA, a), repeats)
    rows = [(task, f"logitlab ({passes(ours)})", seconds, 0.0)]
    glm = glum.GeneralizedLinearRegressor(family="binomial", alpha=LAMBDA, l1_ratio=a,
                                          gradient_tol=1e-10)  # fmt: skip
    seconds, peer = best(lambda: glm.fit(peers.Z, peers.y), repeats)
    rows.append((task, "glum", seconds, peers.gap(peer.intercept_, peer.coef_, LAMBDA, a,
                                                  ours.objective)))  # fmt: skip
    for solver, on in (("lbfgs", peers), ("saga", saga)):
        if solver == "lbfgs" and a > 0:
            continue
        sk = LogisticRegression(C=1.0 / (on.n * LAMBDA), l1_ratio=a, solver=solver, tol=1e-10,
                                max_iter=10_000)  # fmt: skip
        seconds, peer = best(lambda sk=sk, on=on: sk.fit(on.Z, on.y), repeats)
        reference = ours.objective
        if on is not peers:
            reference = on.penalized.fit(on.X, on.y, LAMBDA, a).objective
        gap = on.gap(peer.intercept_[0], peer.coef_[0], LAMBDA, a, reference)
        who = f"scikit-learn {solver}"
        if on is not peers:
            who += f" (timed at n = {on.n:,}, x {peers.n / on.n:g})"
            seconds *= peers.n / on.n
        rows.append((task, who, seconds, gap))
    return rows


def l1_path(peers: Peers, saga_seconds: float, repeats: int = 1) -> list[tuple]:
    """(task, who, seconds, gap) rows of glmnet's 100-lambda l1 path."""
    import glum

    penalized = peers.penalized
    task = "l1, 100-lambda path"
    lambdas = penalized.default_lambdas(penalized.Problem(peers.X, peers.y), 1.0)
    seconds, path = best(
        lambda: penalized.fit_path(penalized.Problem(peers.X, peers.y), lambdas, 1.0), repeats
    )
    rows = [(task, f"logitlab ({passes(path)})", seconds, 0.0)]
    seconds, peer = best(lambda: glum.GeneralizedLinearRegressor(
        family="binomial", l1_ratio=1.0, alpha_search=True, alphas=lambdas,
        gradient_tol=1e-10).fit(peers.Z, peers.y), repeats)  # fmt: skip
    pairs = enumerate(zip(lambdas, path.objectives, strict=True))
    worst = max(peers.gap(peer.intercept_path_[i], peer.coef_path_[i], lam, 1.0, f)
                for i, (lam, f) in pairs)  # fmt: skip
    rows.append((task, "glum (alpha_search)", seconds, worst))
    rows.append((task, "scikit-learn saga (estimated: 100 x one lambda)", 100 * saga_seconds,
                 float("nan")))  # fmt: skip
    return rows


def run(n: int = N, path_rows: int | None = None, saga_rows: int = SAGA_ROWS,
        repeats: int = 1) -> list[tuple]:  # fmt: skip
    """(task, who, seconds, objective gap to logitlab's) rows, logitlab first per task;
    the path at path_rows (default n; 0: none); each time the best of `repeats` runs."""
    from sklearn.exceptions import ConvergenceWarning

    from logitlab.stats import penalized

    warnings.simplefilter("ignore", ConvergenceWarning)
    peers = Peers(n)
    saga = Peers(min(saga_rows, n)) if saga_rows < n else peers
    penalized.fit(peers.X[:1000], peers.y[:1000], LAMBDA, 1.0)  # Numba's cache, not timed
    rows = one_lambda(peers, saga, "l2", 0.0, repeats) + one_lambda(peers, saga, "l1", 1.0,
                                                                      repeats)  # fmt: skip
    path_rows = n if path_rows is None else path_rows
    if path_rows:
        on = peers if path_rows == n else Peers(path_rows)
        saga_l1 = rows[-1][2] * path_rows / n
        rows += [(f"{task} (n = {path_rows:,})", who, seconds, gap)
                 for task, who, seconds, gap in l1_path(on, saga_l1, repeats)]  # fmt: skip
    return rows


def show(rows: list[tuple], n: int = N) -> None:
    """The rows as a table, each time also as a ratio to logitlab's on the same task, and
    per task how many times the fastest peer's time logitlab's is."""
    print(f"n = {n:,}, d = {D}, lambda = {LAMBDA:g} (path: glmnet's 100 from lambda_max); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    head = f"{'':<80}{'seconds':>9}{'x ours':>8}{'objective gap':>15}"
    print(head)
    print("-" * len(head))
    for task in dict.fromkeys(row[0] for row in rows):
        mine = [row for row in rows if row[0] == task]
        ours = mine[0][2]
        for _, who, seconds, gap in mine:
            print(f"{task + ': ' + who:<80}{seconds:>9.2f}{seconds / ours:>8.2f}{gap:>15.1e}")
        fastest = min(mine[1:], key=lambda row: row[2])
        print(f"  logitlab is {fastest[2] / ours:.2f}x the fastest peer ({fastest[1]})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=N)
    parser.add_argument("--path-rows", type=int, default=None, help="default --rows; 0: no path")
    parser.add_argument("--saga-rows", type=int, default=SAGA_ROWS)
    parser.add_argument("--repeats", type=int, default=1,
                        help="each time the best of this many runs (default 1)")  # fmt: skip
    args = parser.parse_args()
    show(run(args.rows, args.path_rows, args.saga_rows, args.repeats), args.rows)
