"""How a run stops: Ctrl-C (SIGINT), SIGTERM and SIGHUP end it within a second, wherever it is.

Python runs a signal handler only between bytecodes of the main thread, so a long compiled
(Numba) call keeps a signal waiting until it returns. The engines therefore cut every long
compiled loop into blocks (well under 0.2 s each, the results bit for bit the same) and run
each block inside `signals_held`: a signal that comes meanwhile is delivered as the block
returns. Held, not merely left pending: a compiled call may run a little Python inside (Numba
unpickles objects it needs), and an exception a handler raised there came out as a
`SystemError: CPUDispatcher(...) returned a result with an exception set` traceback, or a crash.

`terminate_gracefully` makes SIGTERM and SIGHUP unwind like Ctrl-C (the exception
`Terminated`), so cleanups run on the way out (report.staging removes a half-written folder).
A handler runs between any two bytecodes, also inside a finalizer or a weakref callback
(an import's module lock has one), where Python swallows the exception it raises ("Exception
ignored in ...") and goes on: inside, such a swallowed stop is signalled again a moment later.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

#: Values (rows x columns, points x parameters: a compiled loop's work) one block goes
#: through before it returns and a signal can be delivered: ~50 ms on one loaded core.
BLOCK_VALUES = 1 << 22

#: Signals that stop a run.
STOP_SIGNALS = tuple(
    getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)
)
#: Signals whose default action kills on the spot; terminate_gracefully makes them unwind.
_TERMINATING = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))
#: Seconds after a stop was swallowed by a finalizer before its signal is sent again (the
#: main thread then back in the code the finalizer interrupted).
AGAIN_SECONDS = 0.01


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived. Raised like KeyboardInterrupt, so cleanups run on the way
    out; uncaught, Python exits quietly with status 128 + the signal number, as shells do."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


@contextmanager
def terminate_gracefully() -> Iterator[None]:
    """Inside, SIGTERM and SIGHUP raise Terminated instead of killing the process on the spot.

    Only signals still at their default action are taken over (a program's own handlers, or
    an ignored SIGHUP under nohup, are left alone); only in the main thread, the one Python
    runs handlers in (elsewhere, e.g. in a web server's worker, this does nothing); and the
    previous handlers are back on the way out.
    """
    previous, hook, main = {}, sys.unraisablehook, _in_main_thread()
    if main:
        for signum in _TERMINATING:
            if signal.getsignal(signum) is signal.SIG_DFL:
                previous[signum] = signal.signal(signum, _raise_terminated)
        sys.unraisablehook = partial(_signal_again, hook)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if main:  # a worker thread set nothing, and puts nothing back
            sys.unraisablehook = hook


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


def _signal_again(hook: Callable[[Any], object], unraisable: Any) -> None:
    """sys.unraisablehook: a stop (Terminated, KeyboardInterrupt) that a finalizer swallowed
    is signalled again from a timer thread AGAIN_SECONDS later, not raised here (this hook
    is one more place that swallows); anything else goes to the previous hook."""
    stop = unraisable.exc_value
    if isinstance(stop, Terminated | KeyboardInterrupt):
        signum = stop.signum if isinstance(stop, Terminated) else signal.SIGINT
        timer = threading.Timer(AGAIN_SECONDS, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
    hook(unraisable)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP while the block runs: a moment that must not be
    cut in two (a folder's final move), or a block of compiled work.

    On a normal exit they are delivered once the previous handlers are back. If the block
    raises, its exception stops the run anyway, and the held signals are dropped. Only the
    main thread's handlers can be swapped: elsewhere this does nothing.
    """
    held: list[int] = []
    previous = {}
    if _in_main_thread():
        for signum in STOP_SIGNALS:
            handler = signal.getsignal(signum)
            if handler is not None and handler is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, lambda s, _frame: held.append(s))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    for signum in dict.fromkeys(held):
        signal.raise_signal(signum)


def per_block(values: int) -> int:
    """How many units of work of `values` values each (epochs, rows, items) one block takes
    to stay within BLOCK_VALUES; at least one, so a unit larger than that is a block alone."""
    return max(1, BLOCK_VALUES // max(1, values))


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


__all__ = ["BLOCK_VALUES", "STOP_SIGNALS", "Terminated", "per_block", "signals_held",
           "terminate_gracefully"]  # fmt: skip
