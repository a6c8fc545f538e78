"""`logitlab fit --workers K`: start K local workers of one command and watch them.

The workers are plain `python -m logitlab ...` processes with torchrun's variables (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1, MASTER_PORT=a free port), so
engines.collective.join() opens the same gloo group torchrun would; across machines use
torchrun itself. Rank 0 speaks for the run: it inherits this terminal, while the other
ranks' output is dropped and their stderr kept to show only if they fail. When one worker
fails or dies, the others would wait for it in their next collective until its timeout, so
they are stopped within seconds; the run exits non-zero naming that worker. A worker stopped
by a signal (SIGTERM, Ctrl-C, SIGKILL) is named by its own rank, also when a worker that lost
contact with it ended first. Rank 0 writes the output folder atomically, so a run stopped
before its last step leaves none.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from typing import IO

from .. import budget
from ..config import check_int
from ..stopping import STOP_SIGNALS, Terminated

#: The most local workers: one per core is the sensible choice; more only time-share.
MAX_WORKERS = 256
#: Seconds the others get to end by themselves after one fails: an error every worker
#: agrees on (bad data, bad settings) ends them all at once, each with its own message.
GRACE = 3.0
#: Seconds they get after one fails otherwise: a worker stopped by a signal closes its
#: connections first, so the others may fail (lost contact) before it has ended.
SETTLE = 1.0
#: Seconds between asking a worker to stop (SIGTERM) and killing it (SIGKILL).
STOP = 5.0
#: How often the workers are polled (seconds).
POLL = 0.05
#: Lines of a failed worker's stderr shown (its traceback's end).
TAIL = 30


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for the workers' rendezvous."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_env(rank: int, workers: int, port: int) -> dict[str, str]:
    """The environment of local worker `rank`: torchrun's variables, and the cores shared
    out (a thread count per worker, unless the caller set one), as torchrun does."""
    env = dict(os.environ)
    env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(workers),
               LOCAL_WORLD_SIZE=str(workers), MASTER_ADDR="127.0.0.1",
               MASTER_PORT=str(port))  # fmt: skip
    threads = str(max(1, budget.cores() // workers))
    for name in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env.setdefault(name, threads)
    return env


def without_workers(argv: Sequence[str]) -> list[str]:
    """argv without its --workers option (`--workers K` or `--workers=K`), so a worker does
    not start workers of its own."""
    out: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--workers":
            skip = True
        elif not word.startswith("--workers="):
            out.append(word)
    return out


def run_workers(argv: list[str], workers: int) -> int:
    """Run `python -m logitlab <argv>` (without --workers) as `workers` local workers of one
    gloo group. Returns 0 when every worker exits 0; 2 when every worker stops with the
    usage error exit code 2 (rank 0 has printed it); else 1, after stopping the others and
    printing which worker failed, how, and its stderr."""
    workers = check_int("workers", workers, 1, MAX_WORKERS)
    argv = without_workers(argv)
    command = [sys.executable, "-m", "logitlab", *argv]
    port = free_port()
    with ExitStack() as files:
        errs = [None, *(files.enter_context(tempfile.TemporaryFile()) for _ in range(1, workers))]
        procs: list[subprocess.Popen] = []
        try:
            for rank, err in enumerate(errs):
                out = None if err is None else subprocess.DEVNULL
                procs.append(subprocess.Popen(command, env=worker_env(rank, workers, port),
                                              stdout=out, stderr=err))  # fmt: skip
            failed = _watch(procs)
        except (KeyboardInterrupt, Terminated) as exc:  # the run itself was stopped
            _stop(procs)  # rank 0, stopped cleanly (128 + n), has said so on the terminal
            exc.said = bool(procs) and procs[0].returncode - 128 in STOP_SIGNALS
            raise
        finally:
            _stop(procs)
        if not failed:
            return 0
        codes = [proc.returncode for proc in procs]
        if all(code == 2 for code in codes):
            return 2
        rank = _culprit(failed, codes)
        _tell(argv, rank, codes[rank], errs[rank])
        return 1


def _watch(procs: list[subprocess.Popen]) -> list[int]:
    """Wait until every worker has exited or one has failed; then the rest get GRACE seconds
    (after a usage error, exit 2) or SETTLE seconds to end by themselves. Returns the ranks
    that failed on their own, in the order they were seen to (none: all went well)."""
    failed: list[int] = []
    deadline = float("inf")
    while time.monotonic() < deadline:
        codes = [proc.poll() for proc in procs]
        failed += [r for r, code in enumerate(codes) if code not in (None, 0) and r not in failed]
        if failed and deadline == float("inf"):
            deadline = time.monotonic() + (GRACE if codes[failed[0]] == 2 else SETTLE)
        if None not in codes:
            break
        time.sleep(POLL)
    return failed


def _culprit(failed: list[int], codes: list[int]) -> int:
    """The worker to name: the first seen to end by a signal (killed, or stopped cleanly
    with 128 + the signal), else the first seen to fail. The others of a worker stopped
    mid-collective fail too, losing contact with it, and may be seen first."""
    return next((rank for rank in failed if _signal_of(codes[rank])), failed[0])


def _signal_of(code: int) -> str | None:
    """The signal that ended a worker with exit status `code`, if one did: killed (-n), or
    stopped cleanly by a stop signal (128 + n, as the command exits then)."""
    if code < 0:
        return signal.Signals(-code).name
    if code - 128 in STOP_SIGNALS:
        return signal.Signals(code - 128).name
    return None


def _stop(procs: list[subprocess.Popen]) -> None:
    """Ask every worker still running to stop, then kill those that have not within STOP
    seconds."""
    running = [proc for proc in procs if proc.poll() is None]
    for proc in running:
        proc.terminate()
    deadline = time.monotonic() + STOP
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tell(argv: list[str], rank: int, code: int, err: IO[bytes] | None) -> None:
    """Show the failed worker's stderr (rank 0's is already on the terminal), then one line
    saying which worker failed and how."""
    if err is not None:
        err.seek(0)
        lines = err.read().decode(errors="replace").splitlines()[-TAIL:]
        for line in lines:
            sys.stderr.write(f"[worker {rank}] {line}\n")
    sig = _signal_of(code)
    how = f"exit {code}" if sig is None else f"{'killed' if code < 0 else 'stopped'} by {sig}"
    name = argv[0] if argv else "run"
    sys.stderr.write(f"logitlab {name}: error: worker {rank} failed ({how}); the other "
                     "workers were stopped\n")  # fmt: skip
