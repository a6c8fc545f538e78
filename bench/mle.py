"""The maximum-likelihood fit against its peers on a dense n x 10 float64 design: logitlab's
Newton (stats.mle), scikit-learn's newton-cholesky and lbfgs (no penalty: C=inf, which
scikit-learn 1.8 prefers to the deprecated penalty=None) and statsmodels' Logit.

    .venv/bin/python bench/mle.py            # n = 10**5, 10**6 and 10**7 (a few minutes)
    .venv/bin/python bench/mle.py --quick    # n = 10**5 and 10**6
    .venv/bin/python bench/mle.py --n 200000 # chosen sizes

Each method runs in its own process (so that peak memory is its own: ru_maxrss), on data drawn
there with a fixed seed (true coefficients modest, so no separation), and is timed as the best
of a few runs (the machine is shared and noisy; the best run is the least disturbed). Columns:
seconds, ratio to logitlab, the largest coefficient difference from logitlab (absolute, and
relative to the coefficient), and the peak resident memory above the interpreter's before the
data, in units of the design's size. For logitlab also the time per pass over the data (one a
Newton iteration, plus the first) against one pass at the speed of NumPy's sum over the same
array (a memory-bandwidth bound).

For logitlab a second table from FITS more fits with every pass timed, a NumPy sum over X
timed before each (the bound: X's bytes at the memory's bandwidth, measured in turns with
the passes so that a busy spell of the machine falls on both): the passes in units of a
full read of X (the sample's included), the full passes, the median and the best full pass
(wall; and the median CPU), the median statistics pass (the last, which writes the fitted
probabilities), the median sum, the median pass over the median sum and the best pass over
the best sum, the ratio of the fastest peer's seconds to logitlab's, and the largest
coefficient difference from statsmodels. The load average beside each, as the
machine may be shared. Then a line a size: the fit with a sandwich covariance (--cov hc1,
cluster over CLUSTERS clusters, hc3) against the plain fit, timed in turns, best of 3, with
the full passes each read (the meat is summed in the pass at the estimate). And a line a
size: the fit over X in F order (column-major, as a DataFrame's to_numpy() gives it), whose
passes copy a tile's columns rather than transpose its rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

D, SEED = 10, 20240611
METHODS = ("logitlab", "sklearn newton-cholesky", "sklearn lbfgs", "statsmodels")
#: Above this many rows the peers run only if their memory fits (24 GB here): it does.
REPEATS = {10**5: 5, 10**6: 3, 10**7: 1}
#: Fits whose passes are timed one by one, each after a NumPy sum over X (the bound).
FITS = 5
#: The covariances timed against the plain fit, and the clusters of cluster (drawn seeded).
COVS, CLUSTERS = ("hc1", "cluster", "hc3"), 1000


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows of 10 standard normal features and labels from modest true coefficients."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(n, D))
    beta = np.linspace(-0.5, 0.5, D)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(0.2 + X @ beta)))).astype(float)
    return X, y


def _fit(method: str, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Coefficients (intercept first) and iterations of one method."""
    if method == "logitlab":
        from logitlab.stats import mle

        result = mle.fit(X, y)
        assert result.converged
        return result.params, result.iterations
    if method.startswith("sklearn"):
        import warnings

        from sklearn.linear_model import LogisticRegression

        solver = method.split()[1]
        tol = 1e-10 if solver == "lbfgs" else 1e-8
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LogisticRegression(C=np.inf, solver=solver, tol=tol, max_iter=10_000)
            model.fit(X, y)
        return np.r_[model.intercept_, model.coef_[0]], int(model.n_iter_[0])
    import statsmodels.api as sm

    result = sm.Logit(y, sm.add_constant(X)).fit(disp=0)
    return np.asarray(result.params), int(result.mle_retvals["iterations"])


def _rss() -> int:
    """Resident memory now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def measure(method: str, n: int) -> dict:
    """Run one method at n rows in this process: its best time, iterations, coefficients,
    peak memory above the interpreter's, and (logitlab) NumPy's sum time over X."""
    # imports, and Numba's compiled pass loaded from its cache: 20,000 rows take it (over
    # irls.COMPILED_ROWS), 1,000 took NumPy's loop and left the loading to the first timed fit
    _fit(method, *data(20_000))
    base = _rss()
    X, y = data(n)
    times = []
    for _ in range(REPEATS.get(n, 3)):
        start = time.perf_counter()
        coef, iterations = _fit(method, X, y)
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    row = {"method": method, "n": n, "seconds": min(times), "iterations": iterations}
    row |= {"coef": coef.tolist(), "peak_over_design": (peak - base) / X.nbytes}
    if method == "logitlab":
        row |= passes(X, y)
        row["covs"] = covariances(X, y)
        row["fortran"] = column_major(X, y)
    row["load"] = os.getloadavg()[0]
    return row


def passes(X: np.ndarray, y: np.ndarray) -> dict:
    """FITS more fits with each pass timed (wall and CPU), and a NumPy sum over X timed
    before each (the bound, measured in turns with the passes, so that a busy spell of the
    machine falls on both): a fit's passes in units of a full read and its full passes, the
    median and the best full pass, the median statistics pass (the one writing the fitted
    probabilities), and the median and the best sum."""
    from logitlab.stats import mle

    real, logs, sums = mle.newton_pass, [], []

    def timed(features, *args, **keywords):
        wall, cpu = time.perf_counter(), time.process_time()
        out = real(features, *args, **keywords)
        last = args[3] is not None if len(args) > 3 else keywords.get("fitted") is not None
        logs[-1].append((len(features), time.perf_counter() - wall, time.process_time() - cpu,
                         last))  # fmt: skip
        return out

    mle.newton_pass = timed
    try:
        for _ in range(FITS):
            start = time.perf_counter()
            X.sum()
            sums.append(time.perf_counter() - start)
            logs.append([])
            mle.fit(X, y)
    finally:
        mle.newton_pass = real
    log = [entry for fit in logs for entry in fit]
    full = [(wall, cpu) for rows, wall, cpu, _ in log if rows == len(X)]
    stats = [wall for rows, wall, _, last in log if last and rows == len(X)]
    return {
        "pass_units": sum(rows for rows, *_ in logs[0]) / len(X),
        "full_passes": sum(rows == len(X) for rows, *_ in logs[0]),
        "pass_seconds": float(np.median([wall for wall, _ in full])),
        "pass_best": min(wall for wall, _ in full),
        "pass_cpu": float(np.median([cpu for _, cpu in full])),
        "stats_seconds": float(np.median(stats)),
        "sum_median": float(np.median(sums)),
        "sum_best": min(sums),
    }


def column_major(X: np.ndarray, y: np.ndarray) -> dict:
    """The fit over X's copy in F order (as a DataFrame's to_numpy() gives it), whose passes
    read a tile's columns without a transpose: its best of 3 seconds and passes() of it."""
    from logitlab.stats import mle

    columns = np.asfortranarray(X)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        mle.fit(columns, y)
        times.append(time.perf_counter() - start)
    return {"seconds": min(times)} | passes(columns, y)


def covariances(X: np.ndarray, y: np.ndarray) -> dict:
    """Best of 3 fits, plain and with each of COVS, taken in turns (so a busy spell of the
    machine falls on all alike): {cov: [seconds, full passes]}."""
    from logitlab.stats import mle

    clusters = np.random.default_rng(SEED).integers(0, CLUSTERS, len(y))
    real, full = mle.newton_pass, []
    mle.newton_pass = lambda x, *a, **k: full.append(len(x) == len(X)) or real(x, *a, **k)
    best = {}
    try:
        for _ in range(3):
            for cov in ("nonrobust", *COVS):
                full.clear()
                start = time.perf_counter()
                mle.fit(X, y, cov_type=cov, clusters=clusters if cov == "cluster" else None)
                seconds = time.perf_counter() - start
                best[cov] = [min(seconds, best.get(cov, [np.inf])[0]), sum(full)]
    finally:
        mle.newton_pass = real
    return best


def default_sizes(quick: bool) -> tuple[int, ...]:
    """The rows of each size run: 10**5, 10**6 and, unless quick, 10**7."""
    return (10**5, 10**6) if quick else (10**5, 10**6, 10**7)


def run(sizes: tuple[int, ...]) -> list[dict]:
    """Every method at each size, each in a fresh process; rows as measure() returns them,
    with the ratio to logitlab and the coefficient differences from it added."""
    rows = []
    for n in sizes:
        ours = None
        for method in METHODS:
            out = subprocess.run(
                [sys.executable, __file__, "--one", method, str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(out.stdout.splitlines()[-1])
            ours = ours or row
            gap = np.abs(np.array(row["coef"]) - ours["coef"])
            row["ratio"] = row["seconds"] / ours["seconds"]
            row["max_abs_diff"] = float(gap.max())
            row["max_rel_diff"] = float(np.max(gap / np.abs(ours["coef"])))
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a text table, then logitlab's time per pass against the bandwidth bound."""
    head = (
        f"{'n':>9} {'method':<24}{'seconds':>9}{'x logitlab':>11}{'iters':>6}"
        f"{'max |db|':>10}{'max rel':>10}{'peak/X':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['n']:>9} {r['method']:<24}{r['seconds']:>9.3f}{r['ratio']:>11.2f}"
            f"{r['iterations']:>6}{r['max_abs_diff']:>10.1e}{r['max_rel_diff']:>10.1e}"
            f"{r['peak_over_design']:>8.2f}"
        )
    lines += ["", passes_table(rows)]
    return "\n".join(lines)


def passes_table(rows: list[dict]) -> str:
    """logitlab's passes against the bandwidth bound, and against its peers."""
    head = (
        f"{'n':>9}{'s':>8}{'passes':>8}{'full':>5}{'s/pass':>9}{'best':>9}{'cpu/pass':>9}"
        f"{'stats s':>9}{'bound s':>9}{'pass/bound':>11}{'best/best':>10}{'peer/ours':>10}"
        f"{'|db| sm':>9}{'load':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if r["method"] != "logitlab":
            continue
        peers = [p for p in rows if p["n"] == r["n"] and p["method"] != "logitlab"]
        fastest = min(p["seconds"] for p in peers)
        statsmodels = next(p for p in peers if p["method"] == "statsmodels")
        lines.append(
            f"{r['n']:>9}{r['seconds']:>8.3f}{r['pass_units']:>8.2f}{r['full_passes']:>5}"
            f"{r['pass_seconds']:>9.4f}{r['pass_best']:>9.4f}{r['pass_cpu']:>9.4f}"
            f"{r['stats_seconds']:>9.4f}{r['sum_median']:>9.4f}"
            f"{r['pass_seconds'] / r['sum_median']:>11.2f}{r['pass_best'] / r['sum_best']:>10.2f}"
            f"{fastest / r['seconds']:>10.2f}{statsmodels['max_abs_diff']:>9.1e}{r['load']:>6.1f}"
        )
    lines.append(
        f"s: the best fit; passes: reads of X (a sample's in fractions); s/pass, best, "
        f"cpu/pass: the median and the best full pass of {FITS} fits, the median CPU; bound s: "
        f"the median NumPy sum over X (a full read at the memory's bandwidth), timed before "
        f"each of those fits; pass/bound: median over median; best/best: the best pass over "
        f"the best sum; peer/ours: the fastest peer's s over ours; |db| sm: max |coef - "
        f"statsmodels'|; load: 1-min average."
    )
    for r in rows:
        if r["method"] == "logitlab":
            plain, _ = r["covs"]["nonrobust"]
            words = ", ".join(f"{cov} {s:.3f} s ({s / plain:.2f}x, {p} passes)"
                              for cov, (s, p) in r["covs"].items())  # fmt: skip
            lines.append(f"{r['n']:>9} --cov: {words}; load {r['load']:.1f}")
            f = r["fortran"]
            lines.append(
                f"{r['n']:>9} X in F order: {f['seconds']:.3f} s, {f['full_passes']} full "
                f"passes of {f['pass_seconds']:.4f} s (best {f['pass_best']:.4f} s, "
                f"{f['pass_cpu']:.4f} s CPU), {f['pass_seconds'] / f['sum_median']:.2f}x the "
                f"bound (best/best {f['pass_best'] / f['sum_best']:.2f}); load {r['load']:.1f}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 10**5 and 10**6 only")
    parser.add_argument("--n", type=int, nargs="+", help="the sizes to run (rows)")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
    else:
        print(table(run(tuple(args.n) if args.n else default_sizes(args.quick))))
