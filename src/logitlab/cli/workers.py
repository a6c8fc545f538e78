"""`logitlab fit --workers K`: start K local workers of one command and watch them.

The workers are plain `python -m logitlab ...` processes with torchrun's variables (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1, MASTER_PORT=a free port), so
engines.collective.join() opens the same gloo group torchrun would; across machines use
torchrun itself. Rank 0 speaks for the run: it inherits this terminal, while the other
ranks' output is dropped and their stderr kept to show only if they fail. When one worker
fails or dies, the others would wait for it in their next collective until its timeout, so
they are stopped within seconds; the run exits non-zero naming that worker. Rank 0 writes
the output folder atomically, so a run stopped before its last step leaves none.
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

#: The most local workers: one per core is the sensible choice; more only time-share.
MAX_WORKERS = 256
#: Seconds the others get to end by themselves after one fails: an error every worker
#: agrees on (bad data, bad settings) ends them all at once, each with its own message.
GRACE = 3.0
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
            first = _watch(procs)
        finally:
            _stop(procs)
        if first is None:
            return 0
        codes = [proc.returncode for proc in procs]
        if all(code == 2 for code in codes):
            return 2
        _tell(argv, first, codes[first], errs[first])
        return 1


def _watch(procs: list[subprocess.Popen]) -> int | None:
    """Wait until every worker has exited or one has failed; after a usage error (exit 2)
    the rest get GRACE seconds to end by themselves. Returns the rank that failed first, or
    None."""
    first: int | None = None
    deadline = float("inf")
    while time.monotonic() < deadline:
        codes = [proc.poll() for proc in procs]
        if first is None:
            failed = [rank for rank, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                first = failed[0]
                deadline = time.monotonic() + (GRACE if codes[first] == 2 else 0.0)
        if None not in codes:
            break
        time.sleep(POLL)
    return first


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
    how = f"exit {code}" if code > 0 else f"killed by {signal.Signals(-code).name}"
    name = argv[0] if argv else "run"
    sys.stderr.write(f"logitlab {name}: error: worker {rank} failed ({how}); the other "
                     "workers were stopped\n")  # fmt: skip
