"""One thread does all the server's computing, from a bounded queue.

Why one: Numba's parallel kernels (the fused engine, the MLE's passes) must not be entered
from two threads at once, and on a shared laptop one computation at a time is also the
fastest way through a queue. Short jobs run on one Numba thread, runs on every core: a fit's
parallel kernels meet at a barrier after each block of epochs, and on a machine busy with
anything else (the HTTP server, a browser, other programs) each barrier waits for a core to
come free: the lecture's fit (both losses) took 160-340 ms on two threads against 60-150 ms
on one, at a load average of 7-8 on 2 cores. Why bounded: past max_queue waiting jobs a
request is refused at once (429) instead of waiting behind minutes of work.

Long jobs (runs) step aside for short ones: a run's progress callback calls yield_to_short()
between its blocks of epochs, which runs the short jobs waiting meanwhile on this same
thread, so a ten-second run does not hold up a slider's 20 ms fit.

A job may also be asked for only if the thread is idle (nothing running, nothing queued):
the page's fit is, since a student's browser can compute it itself (static/descent.wasm),
so the server's ~30 ms fit is for the one student whose request finds it free, and a class
never queues behind itself.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from numba import config, get_num_threads, set_num_threads

from .limits import Busy, Occupied

log = logging.getLogger(__name__)


class Worker:
    """A single-thread executor with a bounded queue and two lanes (short, long)."""

    def __init__(self, max_queue: int) -> None:
        self.max_queue = max_queue
        self._short: deque[tuple[Future, Callable[[], Any]]] = deque()
        self._long: deque[tuple[Future, Callable[[], Any]]] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._running = False  # a job is running (the thread's, or one it yields to)

    def submit(self, job: Callable[[], Any], *, long: bool = False,
               if_idle: bool = False) -> Future:  # fmt: skip
        """Queue job() for the worker thread; Busy when max_queue jobs already wait;
        Occupied, with if_idle, when a job is running or waiting."""
        future: Future = Future()
        with self._ready:
            if self._closed:
                raise Busy("the server is shutting down")
            if if_idle and not self.idle:
                raise Occupied("busy: the server is computing; it serves if_idle requests "
                               "only when it has nothing else to do")  # fmt: skip
            if len(self._short) + len(self._long) >= self.max_queue:
                raise Busy(f"the server is busy: {self.max_queue} computations are waiting "
                           "(max_queue); try again in a moment")  # fmt: skip
            (self._long if long else self._short).append((future, job))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="logitlab-worker",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            self._ready.notify()
        return future

    @property
    def idle(self) -> bool:
        """Whether no job is running and none is waiting."""
        with self._ready:
            return not (self._running or self._short or self._long)

    def yield_to_short(self) -> None:
        """Run the short jobs waiting now; only from inside a job on the worker thread."""
        if threading.current_thread() is not self._thread:
            raise RuntimeError("yield_to_short() is for jobs running on the worker thread")
        while (item := self._take(self._short)) is not None:
            _run(*item, threads=1)

    def close(self) -> None:
        """Let the queued jobs finish and stop the thread (refusing new jobs meanwhile); a
        later submit starts a new one, as an app started again needs."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        if self._thread is not None:
            self._thread.join()
        with self._ready:
            self._closed, self._thread = False, None

    def _take(self, lane: deque) -> tuple[Future, Callable[[], Any]] | None:
        with self._ready:
            return lane.popleft() if lane else None

    def _loop(self) -> None:
        while True:
            with self._ready:
                while not (self._short or self._long or self._closed):
                    self._ready.wait()
                if not (self._short or self._long):
                    return
                short = bool(self._short)
                item = (self._short or self._long).popleft()
                self._running = True
            _run(*item, threads=1 if short else config.NUMBA_NUM_THREADS)
            with self._ready:
                self._running = False


def _run(future: Future, job: Callable[[], Any], threads: int) -> None:
    """Run one job into its future on `threads` Numba threads (unless its caller gave up on it
    before it started)."""
    if not future.set_running_or_notify_cancel():
        return
    before = get_num_threads()
    set_num_threads(threads)
    try:
        future.set_result(job())
    except BaseException as exc:  # delivered to the request that waits for it
        future.set_exception(exc)
    finally:
        set_num_threads(before)
