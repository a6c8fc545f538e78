"""Long fits the page follows as they go (POST /api/runs, its event stream, DELETE).

A run is a fit queued on the worker's long lane; its progress callback records the latest
epoch and parameters, lets short jobs through, and raises Cancelled once the run is
cancelled (DELETE, the page closing its event stream, or no stream opened within
UNFOLLOWED_SECONDS), which stops fit_batch between two blocks of epochs. At most max_runs are
queued or running; the last kept_runs finished ones stay for a late event stream.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import LogitlabError
from .limits import Busy, Limits, UnknownRun
from .worker import Worker

log = logging.getLogger(__name__)

#: A run's states; the last three are final.
QUEUED, RUNNING, DONE, ERROR, CANCELLED = "queued", "running", "done", "error", "cancelled"
#: Seconds a run waits for its event stream: the page opens it at once, so a run nobody
#: follows by then was started by a client gone (or one taking the slots of max_runs), and
#: is cancelled.
UNFOLLOWED_SECONDS = 5.0


class Cancelled(Exception):
    """Raised inside a run's progress callback to stop its fit."""


@dataclass
class Run:
    """One run's state, written by the worker thread and read by its event stream."""

    id: str
    epochs: int
    losses: tuple[str, ...]
    state: str = QUEUED
    epoch: int = 0
    params: dict[str, list[float]] | None = None
    body: dict | None = None
    error: str = ""
    cancel: threading.Event = field(default_factory=threading.Event)
    #: whether an event stream has been opened on the run
    followed: bool = False
    created: float = field(default_factory=time.monotonic)

    @property
    def in_flight(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def stopped(self) -> bool:
        """Cancelled, or left without an event stream for UNFOLLOWED_SECONDS."""
        unfollowed = time.monotonic() - self.created > UNFOLLOWED_SECONDS
        return self.cancel.is_set() or (unfollowed and not self.followed)

    def progress(self, worker: Worker) -> Callable[[int, np.ndarray], None]:
        """fit_batch's progress callable for this run."""

        def report(epochs_done: int, params: np.ndarray) -> None:
            if self.stopped:
                raise Cancelled
            self.params = dict(zip(self.losses, params.tolist(), strict=True))
            self.epoch = epochs_done
            worker.yield_to_short()
            if self.stopped:
                raise Cancelled

        return report


class Runs:
    """The runs of one app: started, followed, cancelled, forgotten."""

    def __init__(self, worker: Worker, limits: Limits) -> None:
        self.worker, self.limits = worker, limits
        self._runs: OrderedDict[str, Run] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, epochs: int, losses: tuple[str, ...], fit: Callable) -> Run:
        """Queue fit(progress) -> body as a new run; Busy past max_runs in flight."""
        with self._lock:
            flying = sum(run.in_flight for run in self._runs.values())
            if flying >= self.limits.max_runs:
                raise Busy(f"{flying} runs are in flight, the most at once (max_runs); "
                           "wait for one to finish or cancel one")  # fmt: skip
            run = Run(secrets.token_urlsafe(12), epochs, losses)
            self._runs[run.id] = run
        try:
            self.worker.submit(lambda: self._execute(run, fit), long=True)
        except Busy:
            with self._lock:
                del self._runs[run.id]
            raise
        return run

    def get(self, run_id: str) -> Run:
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            raise UnknownRun(f"no run {run_id!r}: never started, or finished long ago")
        return run

    def cancel(self, run_id: str) -> bool:
        """Ask a run to stop; False when it had already finished."""
        run = self.get(run_id)
        run.cancel.set()
        return run.in_flight

    def cancel_all(self) -> None:
        with self._lock:
            for run in self._runs.values():
                run.cancel.set()

    def _execute(self, run: Run, fit: Callable) -> None:
        """The run's job on the worker thread: the fit, or why it stopped."""
        try:
            if run.stopped:
                raise Cancelled
            run.state = RUNNING
            run.body = fit(run.progress(self.worker))
            run.epoch, run.state = run.epochs, DONE
        except Cancelled:
            run.state = CANCELLED
        except LogitlabError as exc:
            run.error, run.state = str(exc), ERROR
        except Exception:
            log.exception("run %s failed", run.id)
            run.error, run.state = "internal error: the run failed (see the server's log)", ERROR
        finally:
            self._forget_old()

    def _forget_old(self) -> None:
        with self._lock:
            done = [key for key, run in self._runs.items() if not run.in_flight]
            for key in done[: max(0, len(done) - self.limits.kept_runs)]:
                del self._runs[key]
