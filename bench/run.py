"""Every benchmark, side by side in one run, each as ratios measured in this run:

- lecture: one 10,000-epoch fit every way, and the Monte Carlo command, against the lecture's
  own eager loop; the start-up a user waits for (`import logitlab`, `logitlab --help`);
- optimizers: Adam and mini-batches, fused against torch.optim and the DataLoader loop
  (bench/optim.py);
- mle: the maximum-likelihood fit against scikit-learn and statsmodels at 10**5..10**7 rows
  (bench/mle.py);
- multiclass: the multinomial MLE at n = 10**6, d = 10, K = 5 (--quick: 2 * 10**5) against
  statsmodels' MNLogit and scikit-learn's lbfgs and newton-cholesky (bench/multiclass.py);
- grouped: grouped binomial data fitted with trials against the same data as frequency-
  weighted 0/1 rows and as expanded Bernoulli rows, and statsmodels' GLM (bench/grouped.py);
- softmax: softmax regression on the ten digits, the fused engine against the eager
  CrossEntropyLoss loop, full batch and mini-batches (bench/softmax.py);
- distributed: the MLE on a Parquet table on disk, in memory, out of core and on 2 workers,
  against the same peers, and the parallel efficiency (bench/distributed.py);
- web: the playground in Debian's chromium: first load, and a slider change's redraw of the
  lecture's fit measured in the page (bench/web.py);
- class: sixty simulated students on one server for two minutes (--quick: 30 s), a real tab
  measuring its slider's repaint and a tab joining mid-class (bench/classroom.py); ends with
  the line `class load: clients 60, p50 N ms, p90 N ms, p99 N ms, refused N`;
- big: `logitlab fit` on a 3,000,000-row table as typed: wall time, peak memory, seconds to
  the first progress line and from Ctrl-C to exit (bench/big.py; --before DIR: the tree
  before issue 20's work beside it, its Ctrl-C run).

    .venv/bin/python bench/run.py                  # all sections (several minutes)
    .venv/bin/python bench/run.py --quick          # one repetition each, n up to 10**6
    .venv/bin/python bench/run.py --only mle       # one section (see SECTIONS)

Each fit is timed as the best of --repeat runs (the machine is shared and noisy: the best run
is the one least disturbed). The fused engine's compile time is measured apart, in a fresh
process with an empty Numba cache, and so is loading it from the cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.engines import fit
from logitlab.engines.batch import fit_batch

sys.path.insert(0, str(Path(__file__).parent))
import big  # bench/big.py
import classroom  # bench/classroom.py
import distributed  # bench/distributed.py
import firth  # bench/firth.py
import grouped  # bench/grouped.py
import mle  # bench/mle.py, beside this file
import multiclass  # bench/multiclass.py
import optim  # bench/optim.py
import penalty  # bench/penalty.py
import softmax  # bench/softmax.py
import web  # bench/web.py
from timing import best  # bench/timing.py

SECTIONS = (
    "lecture",
    "optimizers",
    "mle",
    "multiclass",
    "firth",
    "grouped",
    "penalty",
    "softmax",
    "distributed",
    "web",
    "big",
    "class",
)

EPOCHS, LR = 10_000, 0.05
FUSED_TARGET, MONTECARLO_TARGET = 100, 6  # x faster than eager; at most N eager fits


def lecture_loop(x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """The lecture's code as written: its net, its BCE on probabilities, its four steps."""
    torch.manual_seed(43052)
    l1 = torch.nn.Linear(in_features=1, out_features=1, bias=True)
    net = torch.nn.Sequential(l1, torch.nn.Sigmoid())
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    for _ in range(EPOCHS):
        yhat = net(x)
        loss = -torch.mean(y * torch.log(yhat) + (1 - y) * torch.log(1 - yhat))
        loss.backward()
        optimizer.step()
        net.zero_grad()
    return np.array([l1.bias.item(), l1.weight.item()])


def torch_manual(x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """No autograd: the BCE gradient in closed form, mean(yhat - y) and mean((yhat - y) x)."""
    w0, w1 = torch.tensor(-0.8470), torch.tensor(-0.3467)
    x, y = x[:, 0], y[:, 0]
    with torch.no_grad():
        for _ in range(EPOCHS):
            r = torch.sigmoid(w0 + w1 * x) - y
            w0, w1 = w0 - LR * r.mean(), w1 - LR * (r * x).mean()
    return np.array([w0.item(), w1.item()])


def numpy_loop(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The same closed-form gradient in float32 NumPy."""
    w0, w1, lr = np.float32(-0.8470), np.float32(-0.3467), np.float32(LR)
    for _ in range(EPOCHS):
        r = 1 / (1 + np.exp(-(w0 + w1 * x))) - y
        w0, w1 = w0 - lr * r.mean(), w1 - lr * (r * x).mean()
    return np.array([w0, w1])


def on_threads(count: int, work: Callable[[], object]) -> Callable[[], object]:
    """`work` run with torch on `count` threads (the thread count restored afterwards)."""

    def run() -> object:
        before = torch.get_num_threads()
        torch.set_num_threads(count)
        try:
            return work()
        finally:
            torch.set_num_threads(before)

    return run


def fresh_process_seconds(cache_dir: str) -> float:
    """Time the first fused fit in a new process whose Numba cache is cache_dir."""
    code = (
        "import time, torch; from logitlab.config import TrainConfig;"
        "from logitlab.engines import fit; x = torch.zeros(8, 1); y = torch.zeros(8, 1);"
        "t = time.perf_counter(); fit(x, y, TrainConfig(epochs=2), engine='fused');"
        "print(time.perf_counter() - t)"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


STARTUP = {
    "python -c pass": ["-c", "pass"],
    "import logitlab": ["-c", "import logitlab"],
    "logitlab --help": ["-m", "logitlab", "--help"],
    "import torch": ["-c", "import torch"],
}


def startup_seconds(repeat: int) -> dict[str, float]:
    """Best-of-`repeat` wall time of each STARTUP command, the commands taken in turns."""
    best = dict.fromkeys(STARTUP, float("inf"))
    for _ in range(repeat):
        for label, args in STARTUP.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def montecarlo_seconds(reps: int) -> float:
    """Wall time of the real command, interpreter start-up and imports included."""
    logitlab = Path(sys.executable).with_name("logitlab")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [str(logitlab), "montecarlo", "--reps", str(reps), "--quiet", "--out", f"{tmp}/mc"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repetition of everything")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (default: 3)")
    parser.add_argument("--reps", type=int, default=1000, help="Monte Carlo reps (default: 1000)")
    parser.add_argument("--only", choices=SECTIONS, action="append",
                        help="run only this section (repeatable; default: all)")  # fmt: skip
    parser.add_argument(
        "--before",
        type=Path,
        help="big: a checkout of the tree before issue 20's work (git worktree add DIR "
        "dafaceb), its Ctrl-C run beside this tree's",
    )
    args = parser.parse_args()
    chosen = args.only or SECTIONS
    if "lecture" in chosen:
        lecture_section(args)
    if "optimizers" in chosen:
        print("\n== optimizers and mini-batches (bench/optim.py) ==")
        for label, seconds, note in optim.run(args.quick):
            print(f"{label:<58} {seconds:9.3f} s  {note}")
    if "mle" in chosen:
        print("\n== maximum likelihood against its peers (bench/mle.py) ==")
        print(mle.table(mle.run(mle.default_sizes(args.quick))))
    if "multiclass" in chosen:
        print("\n== the multinomial MLE against its peers (bench/multiclass.py) ==")
        rows = multiclass.QUICK if args.quick else multiclass.N
        multiclass.show(multiclass.run(rows, 1 if args.quick else args.repeat), rows)
    if "firth" in chosen:
        print("\n== Firth's penalized likelihood against a NumPy reference (bench/firth.py) ==")
        firth.show(firth.run())
    if "grouped" in chosen:
        print("\n== grouped binomial data against weighted and expanded rows (bench/grouped.py) ==")
        grouped.show(grouped.run(grouped.GROUPS // 10 if args.quick else grouped.GROUPS,
                                 1 if args.quick else args.repeat))  # fmt: skip
    if "penalty" in chosen:
        print("\n== Penalized fits against glum and scikit-learn (bench/penalty.py) ==")
        penalty.show(penalty.run())
    if "softmax" in chosen:
        print("\n== softmax regression on the ten digits, fused and eager (bench/softmax.py) ==")
        softmax.show(softmax.run(args.quick))
    if "distributed" in chosen:
        print("\n== a table on disk: out of core and on 2 workers (bench/distributed.py) ==")
        distributed.show(distributed.run(args.quick))
    if "web" in chosen:
        print("\n== the playground in chromium (bench/web.py) ==")
        for label, value in web.run(10 if args.quick else web.CHANGES):
            print(f"{label:<58} {value}")
    if "big" in chosen:
        print("\n== a 3,000,000-row table fitted as typed (bench/big.py) ==")
        rows = 300_000 if args.quick else big.ROWS
        big.show(rows, big.measure(rows, args.before))
    if "class" in chosen:  # last: its line ends the run
        print("\n== a class of sixty on one server (bench/classroom.py) ==")
        classroom.main(30 if args.quick else classroom.SECONDS)


def lecture_section(args: argparse.Namespace) -> None:
    """The lecture's fit every way, Monte Carlo, and start-up times."""
    repeat = 1 if args.quick else args.repeat
    eager_repeat = 1 if args.quick else 2

    data = simulate()
    x, y = data.x, data.y
    xn, yn = x.numpy()[:, 0], y.numpy()[:, 0]
    print(f"lecture data: n = {len(xn)}, {EPOCHS} epochs, lr {LR}; torch threads "
          f"{torch.get_num_threads()}, {os.cpu_count()} cores\n")  # fmt: skip

    fit(x, y, TrainConfig(epochs=2), engine="fused")  # load the compiled engine once
    rows: list[tuple[str, float]] = []

    def measure(label: str, times: int, work: Callable[[], object]) -> None:
        rows.append((label, best(work, times)[0]))
        print(f"  measured {label}: {rows[-1][1]:.4g} s", file=sys.stderr)

    threads = torch.get_num_threads()
    measure("lecture's eager loop (autograd)", eager_repeat, lambda: lecture_loop(x, y))
    measure(
        "lecture's loop, 1 torch thread", eager_repeat, on_threads(1, lambda: lecture_loop(x, y))
    )
    measure("torch, manual gradient", repeat, lambda: torch_manual(x, y))
    measure("NumPy, manual gradient", repeat, lambda: numpy_loop(xn, yn))
    measure("logitlab engine=eager", eager_repeat, lambda: fit(x, y, engine="eager"))
    for loss in ("bce", "mse"):
        cfg = TrainConfig(loss=loss)
        measure(f"logitlab engine=fused, {loss}", repeat, lambda c=cfg: fit(x, y, c))
    measure(
        "fused, final parameters only",
        repeat,
        lambda: fit_batch(x, y, record_every=EPOCHS, engine="fused"),
    )
    with tempfile.TemporaryDirectory() as cache:
        compile_s = fresh_process_seconds(cache)
        cached_s = fresh_process_seconds(cache)
    rows.append((f"logitlab montecarlo --reps {args.reps}", montecarlo_seconds(args.reps)))

    eager = rows[0][1]
    print(f"torch has {threads} threads; engine=eager uses 1 for a problem this small")
    print(f"{'':<38}{'seconds':>10}{'x eager':>10}")
    for label, seconds in rows:
        print(f"{label:<38}{seconds:>10.4f}{eager / seconds:>10.1f}")
    print(f"\nfused engine, first run in a fresh install (compile):  {compile_s:.2f} s")
    print(f"fused engine, first run in a new process (cache load): {cached_s:.2f} s")

    startup = startup_seconds(3 if args.quick else 10)
    bare = startup["python -c pass"]
    print(f"\n{'start-up':<38}{'seconds':>10}{'x bare':>10}")
    for label, seconds in startup.items():
        print(f"{label:<38}{seconds:>10.4f}{seconds / bare:>10.1f}")

    fused = min(s for label, s in rows if label.startswith("logitlab engine=fused, bce"))
    mc = rows[-1][1]
    print(f"\ntarget: fused fit >= {FUSED_TARGET}x eager: {eager / fused:.0f}x "
          f"-> {'met' if eager / fused >= FUSED_TARGET else 'MISSED'}")  # fmt: skip
    if args.reps == 1000:
        print(f"target: montecarlo --reps 1000 <= {MONTECARLO_TARGET} eager fits "
              f"({MONTECARLO_TARGET * eager:.1f} s): {mc:.1f} s = {mc / eager:.1f} eager fits "
              f"-> {'met' if mc <= MONTECARLO_TARGET * eager else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
