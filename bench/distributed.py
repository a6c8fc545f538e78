"""The MLE on a table on disk, side by side in one run: logitlab in memory, out of core (one
worker streaming 10**6-row chunks from disk each pass) and on 2 workers (each streaming its
share, joined by gloo on 127.0.0.1), against scikit-learn (newton-cholesky, no penalty:
C=inf) and statsmodels' Logit, which read the table into memory first.

    .venv/bin/python bench/distributed.py            # 10**7 rows x 10 features (minutes)
    .venv/bin/python bench/distributed.py --quick    # 10**6 rows

The table is written first by bench/make_data.py into a temporary folder (removed after).
Every method runs in its own process, timed from its data in place (in memory: after the
read; on disk: from the first chunk read) to its coefficients; peak memory is that process's
ru_maxrss. Also: one IRLS pass (irls.newton_pass, the loop of every Newton iteration) per row
against NumPy's sum over the same array (reading the design once: a memory-bandwidth bound),
and the parallel efficiency of 2 workers against 1 out of core, T1 / (2 T2).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import make_data  # bench/make_data.py, beside this file
import mle  # bench/mle.py: the peers' fits
from logitlab.cli.workers import free_port, worker_env
from timing import best  # bench/timing.py

IN_MEMORY = ("logitlab", "sklearn newton-cholesky", "statsmodels")
CHUNK_ROWS = 1_000_000


def _peak() -> float:
    """This process's peak resident memory, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def in_memory(method: str, file: Path, repeats: int) -> dict:
    """Read the table into memory, then fit it with `method` (bench/mle.py's fits). For
    logitlab also one IRLS pass and NumPy's sum over the design, per row."""
    import pyarrow.parquet as pq

    mle._fit(method, *mle.data(1000))  # imports, and Numba's pass loaded from its cache
    start = time.perf_counter()
    table = pq.read_table(file)
    X = np.column_stack([table[name].to_numpy() for name in make_data.FEATURES])
    y = table["y"].to_numpy()
    read = time.perf_counter() - start
    seconds, (coef, iterations) = best(lambda: mle._fit(method, X, y), repeats)
    row = {"method": f"{method} (in memory)", "seconds": seconds, "read_seconds": read,
           "iterations": iterations, "coef": coef.tolist(), "peak_gb": _peak()}  # fmt: skip
    if method == "logitlab":
        from logitlab.stats.irls import newton_pass

        pass_seconds, _ = best(lambda: newton_pass(X, y, np.asarray(coef), True), 3)
        sum_seconds, _ = best(X.sum, 5)
        row |= {"pass_ns_per_row": 1e9 * pass_seconds / len(y),
                "sum_ns_per_row": 1e9 * sum_seconds / len(y)}  # fmt: skip
    return row


def worker(folder: Path, chunk_rows: int) -> dict:
    """One worker of the out-of-core fit (Local without torchrun's variables), as `logitlab
    fit FOLDER --target y --chunk-rows N` runs it: the coding agreed, then the sharded Newton
    fit streaming its chunks: iterations + 3 passes over the share (the coding scan, Newton's
    start and one per iteration, the statistics pass; step halvings aside)."""
    from logitlab.engines.collective import join, leave
    from logitlab.studies.sharded import fit_shards

    group = join()
    group.sum(np.zeros(1))  # every worker ready: the clock starts together
    start = time.perf_counter()
    run = fit_shards(folder, group, target="y", chunk_rows=chunk_rows)
    seconds = time.perf_counter() - start
    peaks = group.gather(_peak())
    leave()
    return {"seconds": seconds, "iterations": run.mle.iterations,
            "coef": run.mle.params.tolist(), "peak_gb": max(peaks),
            "passes": run.mle.iterations + 3}  # fmt: skip


def _child(args: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE,
                            text=True, env=env)  # fmt: skip


def _result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"a bench process failed (exit {proc.returncode})")
    return json.loads(out.splitlines()[-1])


def run(quick: bool) -> list[dict]:
    """Every method on one table of 10**6 (quick) or 10**7 rows, written to a temporary
    folder first; rows with seconds, the ratio to logitlab in memory and the largest
    coefficient difference from it (relative), and the 2-worker parallel efficiency."""
    n = 10**6 if quick else 10**7
    repeats = 3 if quick else 1
    rows = []
    with tempfile.TemporaryDirectory(prefix="logitlab-bench-") as tmp:
        file, parts = make_data.write(Path(tmp), n)
        for method in IN_MEMORY:
            rows.append(_result(_child(["--in-memory", method, str(file), str(repeats)])))
        worker = ["--worker", str(parts), str(CHUNK_ROWS)]
        one = _result(_child(worker))
        rows.append({"method": "logitlab out of core (1 worker)", **one})
        # One worker on one core (as each of 2 workers gets): the base of the efficiency.
        single = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
        core = _result(_child(worker, single))
        rows.append({"method": "logitlab out of core (1 worker, 1 core)", **core})
        port = free_port()
        procs = [_child(worker, worker_env(r, 2, port)) for r in range(2)]
        two, _ = (_result(proc) for proc in procs)
        rows.append({"method": "logitlab out of core (2 workers)", **two,
                     "efficiency": core["seconds"] / (2 * two["seconds"]),
                     "speedup": one["seconds"] / two["seconds"]})  # fmt: skip
    ours = np.array(rows[0]["coef"])
    for row in rows:
        row["n"] = n
        row["ratio"] = row["seconds"] / rows[0]["seconds"]
        row["max_rel_diff"] = float(np.max(np.abs(np.array(row["coef"]) - ours) / np.abs(ours)))
    return rows


def show(rows: list[dict]) -> None:
    """The table, then the pass against the bandwidth bound and the efficiency."""
    print(f"n = {rows[0]['n']:,} rows x {make_data.D} features, Parquet on disk")
    print(f"{'method':36} {'seconds':>8} {'ratio':>6} {'iters':>5} {'peak GB':>8} "
          f"{'max rel diff':>12}")  # fmt: skip
    for row in rows:
        timing = f"{row['seconds']:8.2f} {row['ratio']:6.2f} {row['iterations']:5d}"
        print(f"{row['method']:36} {timing} {row['peak_gb']:8.2f} {row['max_rel_diff']:12.1e}")
    ours = rows[0]
    print(f"read into memory: {ours['read_seconds']:.2f} s")
    print(f"one IRLS pass: {ours['pass_ns_per_row']:.1f} ns/row; NumPy sum over the design "
          f"(bandwidth bound): {ours['sum_ns_per_row']:.1f} ns/row "
          f"({ours['pass_ns_per_row'] / ours['sum_ns_per_row']:.1f}x)")  # fmt: skip
    one, core, two = rows[-3:]

    def per_pass(row: dict) -> str:
        return f"{1e9 * row['seconds'] / row['passes'] / row['n']:.1f} ns"

    print(f"out of core: {two['passes']} passes; per pass and row, 1 worker {per_pass(one)} "
          f"(on 1 core {per_pass(core)}), 2 workers {per_pass(two)}")  # fmt: skip
    print(f"2 workers against 1 worker on 1 core: parallel efficiency T1 / (2 T2) = "
          f"{two['efficiency']:.2f}; against 1 worker on both cores: speed-up "
          f"{two['speedup']:.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10**6 rows, not 10**7")
    parser.add_argument("--in-memory", nargs=3, metavar=("METHOD", "FILE", "REPEATS"),
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument("--worker", nargs=2, metavar=("FOLDER", "CHUNK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_memory:
        method, file, repeats = args.in_memory
        print(json.dumps(in_memory(method, Path(file), int(repeats))))
    elif args.worker:
        print(json.dumps(worker(Path(args.worker[0]), int(args.worker[1]))))
    else:
        show(run(args.quick))


if __name__ == "__main__":
    main()
