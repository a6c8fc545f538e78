"""A 3-million-row table fitted as a user fits it (issue 20: 603 s, silent, and Ctrl-C did not
stop it), measured on the command as typed in child processes:

- the whole fit, `logitlab fit table.parquet --target y`: wall time, peak memory (the child's
  ru_maxrss from wait4), and seconds to its first progress line on stderr (shown on this
  pipe as on a terminal: LOGITLAB_PROGRESS=1; a 3M-row fit is long by its estimate anyway);
- the same command sent SIGINT (Ctrl-C) 5 s in: seconds from the signal to its exit, its exit
  code, and whether it left anything behind.

With --before DIR (a checkout of the tree before the issue's work: `git worktree add DIR
dafaceb`), the Ctrl-C run is repeated there side by side, its interpreter importing DIR/src;
its whole fit (a 10,000-epoch descent nobody asked for) is not run, it took 603 s (431 s with
that descent skipped), the figures quoted from the issue.

    .venv/bin/python bench/big.py                      # 3,000,000 rows (minutes)
    .venv/bin/python bench/big.py --rows 300000 --before /tmp/wt-before

The table is bench/make_data.py's (10 standard normal features and a 0/1 target, Parquet),
written into a temporary folder first and removed after.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import make_data  # bench/make_data.py, beside this file

ROWS = 3_000_000
#: The Ctrl-C run is sent SIGINT this long after it starts.
SIGINT_AFTER = 5.0
#: A run that has not ended this long after its SIGINT is killed and said not stopped.
STOP_LIMIT = 60.0
#: The issue's figures for the tree before its work (the whole fit; with the descent skipped).
QUOTED = {"wall (issue, before)": "603 s", "wall (issue, descent skipped)": "431 s"}


@dataclass
class Run:
    """One child run: wall seconds, peak resident memory (GB), seconds to the first line on
    stderr (None: no line), exit code, and the seconds from SIGINT to exit when one was sent
    (None when it was not stopped within STOP_LIMIT and was killed)."""

    wall: float
    peak_gb: float
    first_line: float | None
    code: int
    stop: float | None = None
    left: bool = False
    #: The last line it wrote on stderr (how a stopped run ended: its words or a traceback's).
    last: str = ""


def command(table: Path, out: Path) -> list[str]:
    """The fit as a user types it: the MLE of y on every other column."""
    return [sys.executable, "-m", "logitlab", "fit", str(table), "--target", "y",
            "--out", str(out)]  # fmt: skip


def run(argv: list[str], env: dict, interrupt: bool) -> Run:
    """Start argv, time its first stderr line, optionally send SIGINT after SIGINT_AFTER s,
    and wait for it with wait4 (its own peak memory)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first: list[float] = []
    lines: list[str] = []

    def read() -> None:
        for line in proc.stderr:
            first.append(time.perf_counter() - start)
            lines.append(line.decode(errors="replace").strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent, stop = None, None
    if interrupt:  # os.kill, not Popen's: its poll() would reap the child before wait4
        time.sleep(max(0.0, SIGINT_AFTER - (time.perf_counter() - start)))
        sent = time.perf_counter()
        os.kill(proc.pid, signal.SIGINT)
        killer = threading.Timer(STOP_LIMIT, os.kill, (proc.pid, signal.SIGKILL))
        killer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    end = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if interrupt:
        killer.cancel()
        stop = end - sent if proc.returncode != -signal.SIGKILL else None
    reader.join(timeout=5)
    return Run(wall=end - start, peak_gb=usage.ru_maxrss / 2**20,
               first_line=first[0] if first else None, code=proc.returncode, stop=stop,
               last=lines[-1] if lines else "")  # fmt: skip


def measure(rows: int, before: Path | None) -> dict[str, Run]:
    """Every run on one table of `rows` rows: this tree's whole fit and its Ctrl-C run, and
    the tree before's Ctrl-C run when given."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="logitlab-big-") as tmp:
        table, _ = make_data.write(Path(tmp), rows)
        env = {**os.environ, "LOGITLAB_PROGRESS": "1"}
        out = Path(tmp) / "out"
        found["this tree: whole fit"] = run(command(table, out), env, interrupt=False)
        stopped = Path(tmp) / "stopped"
        found["this tree: Ctrl-C 5 s in"] = run(command(table, stopped), env, interrupt=True)
        found["this tree: Ctrl-C 5 s in"].left = stopped.exists()
        if before is not None:
            old = {**env, "PYTHONPATH": str(before / "src"), "NUMBA_CACHE_DIR": f"{tmp}/numba"}
            stopped = Path(tmp) / "stopped-before"
            found["before (dafaceb): Ctrl-C 5 s in"] = run(command(table, stopped), old, True)
            found["before (dafaceb): Ctrl-C 5 s in"].left = stopped.exists()
    return found


def show(rows: int, found: dict[str, Run]) -> None:
    """One table of the runs, then the quoted figures."""
    print(f"n = {rows:,} rows x {make_data.D} features, Parquet; load average "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())} (at the end)")  # fmt: skip
    print(f"{'run':34} {'wall s':>8} {'peak GB':>8} {'1st line s':>10} {'exit':>5} "
          f"{'SIGINT->exit s':>14}  left behind")  # fmt: skip
    for label, r in found.items():
        first = "none" if r.first_line is None else f"{r.first_line:.2f}"
        stop = "" if r.stop is None and r.code >= 0 else (
            f"> {STOP_LIMIT:.0f} (killed)" if r.stop is None else f"{r.stop:.2f}")  # fmt: skip
        left = ("yes" if r.left else "nothing") if "Ctrl-C" in label else ""
        print(f"{label:34} {r.wall:8.1f} {r.peak_gb:8.2f} {first:>10} {r.code:5d} {stop:>14}  "
              f"{left}")  # fmt: skip
    for label, r in found.items():
        if "Ctrl-C" in label:
            print(f"{label} ended with: {r.last[:100]}")
    print("quoted: " + "; ".join(f"{k} {v}" for k, v in QUOTED.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS, help=f"rows (default: {ROWS:,})")
    parser.add_argument("--before", type=Path, help="a checkout of the tree before (its src/)")
    args = parser.parse_args()
    show(args.rows, measure(args.rows, args.before))


if __name__ == "__main__":
    main()
