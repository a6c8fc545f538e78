"""The multinomial (softmax) MLE against its peers at n = 10**6, d = 10, K = 5: logitlab's
Newton (stats.multinomial) against statsmodels' MNLogit (newton, its default tolerance) and
scikit-learn's LogisticRegression without penalty (lbfgs and newton-cholesky, multinomial),
on one draw with a fixed seed.

    .venv/bin/python bench/multiclass.py             # n = 10**6 (a few minutes)
    .venv/bin/python bench/multiclass.py --quick     # n = 2 * 10**5
    .venv/bin/python bench/multiclass.py --rows N

The design is D standard normal columns and an intercept; the K - 1 equations' true
coefficients are modest (no separation). Each method is timed as the best of REPEATS runs
(the machine is shared and noisy: the best run is the least disturbed), after one fit of
20,000 rows that loads its imports and Numba's compiled pass. scikit-learn's K symmetric
coefficient vectors are mapped to the baseline's parametrisation (each class's vector less
class 0's).
Columns: seconds, the ratio to the fastest peer, iterations, and the largest coefficient
difference from logitlab (absolute); the machine's load average is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np

from timing import best  # bench/timing.py, beside this file

N, QUICK, D, K, SEED, REPEATS = 10**6, 2 * 10**5, 10, 5, 20261206, 3
PEERS = ("statsmodels MNLogit", "sklearn lbfgs", "sklearn newton-cholesky")
#: The speed the issue asks for: logitlab at least this many times the fastest peer.
TARGET = 3.0


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows of D standard normal features and K classes drawn from the softmax of modest
    true coefficients (class 0 the baseline)."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(n, D))
    params = rng.normal(scale=0.3, size=(D + 1, K - 1))
    eta = np.column_stack((np.zeros(n), X @ params[1:] + params[0]))
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return X, (p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)


def fit(method: str, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """One method's coefficients, (D + 1) x (K - 1) against class 0 (intercept first), and
    its iterations."""
    if method == "logitlab":
        from logitlab.stats import multinomial

        result = multinomial.fit(X, y)
        assert result.converged
        return result.params, result.iterations
    if method == "statsmodels MNLogit":
        import statsmodels.api as sm

        result = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton")
        return np.asarray(result.params), int(result.mle_retvals["iterations"])
    from sklearn.linear_model import LogisticRegression

    solver = method.split()[1]
    tol = 1e-10 if solver == "lbfgs" else 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # C=inf: no penalty (penalty=None is deprecated)
        model = LogisticRegression(C=np.inf, solver=solver, tol=tol, max_iter=10_000)
        model.fit(X, y)
    symmetric = np.column_stack((model.intercept_, model.coef_))  # K x (D + 1)
    return (symmetric[1:] - symmetric[0]).T, int(np.max(model.n_iter_))


def run(n: int, repeat: int = REPEATS) -> list[dict]:
    """Every method on one draw of n rows: seconds, iterations and coefficients."""
    small = data(20_000)  # over stats.irls.COMPILED_ROWS: loads Numba's pass before timing
    X, y = data(n)
    rows = []
    for method in ("logitlab", *PEERS):
        fit(method, *small)
        seconds, (params, iterations) = best(lambda m=method: fit(m, X, y), repeat)
        rows.append({"method": method, "seconds": seconds, "iterations": iterations,
                     "params": params})  # fmt: skip
    return rows


def show(rows: list[dict], n: int) -> None:
    """The table, the ratio to the fastest peer and the target's verdict."""
    ours = rows[0]
    fastest = min(r["seconds"] for r in rows[1:])
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"n = {n:,}, d = {D} features + intercept, K = {K}; {os.cpu_count()} cores, "
          f"load average {load}")  # fmt: skip
    head = f"{'method':<26}{'seconds':>9}{'x fastest peer':>16}{'iters':>7}{'max |db|':>11}"
    print(head)
    print("-" * len(head))
    for r in rows:
        gap = float(np.max(np.abs(r["params"] - ours["params"])))
        print(f"{r['method']:<26}{r['seconds']:>9.3f}{fastest / r['seconds']:>16.2f}"
              f"{r['iterations']:>7}{gap:>11.1e}")  # fmt: skip
    speedup = fastest / ours["seconds"]
    print(f"target: logitlab >= {TARGET:g}x the fastest peer: {speedup:.2f}x -> "
          f"{'met' if speedup >= TARGET else 'MISSED'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"n = {QUICK:,}")
    parser.add_argument("--rows", type=int, help=f"n (default: {N:,})")
    parser.add_argument("--repeat", type=int, default=REPEATS, help="runs per timing")
    args = parser.parse_args()
    n = args.rows or (QUICK if args.quick else N)
    show(run(n, args.repeat), n)


if __name__ == "__main__":
    main()
