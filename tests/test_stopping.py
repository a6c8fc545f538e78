"""How a run stops: a signal held while a block of work runs arrives as the block ends (the
Python that compiled code runs inside a call is never cut), SIGTERM and SIGHUP unwind as
Terminated with 128 + the signal, a stop that a finalizer swallowed comes again, and blocks
are sized by their work."""

import signal
import time

import pytest

from logitlab.stopping import (
    BLOCK_VALUES,
    Terminated,
    per_block,
    signals_held,
    terminate_gracefully,
)


def test_a_signal_in_a_held_block_arrives_as_the_block_ends():
    ran = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            signal.raise_signal(signal.SIGINT)
            ran.append(sum(range(1000)))  # Python code inside the block runs on undisturbed
        ran.append("after the block")  # never: the signal arrives as the block ends
    assert ran == [499500]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_sigterm_and_sighup_unwind_as_terminated(signum):
    before = signal.signal(signum, signal.SIG_DFL)  # as under a terminal (not nohup)
    try:
        with pytest.raises(Terminated) as stopped, terminate_gracefully(), signals_held():
            signal.raise_signal(signum)
        assert stopped.value.code == 128 + signum
        assert stopped.value.name == signal.Signals(signum).name
        assert signal.getsignal(signum) is signal.SIG_DFL
    finally:
        signal.signal(signum, before)


class _Finalized:
    """Sends a signal as it is collected: the handler runs inside __del__, where Python
    swallows what it raises (as a signal landing in an import's module-lock callback was)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __del__(self) -> None:
        signal.raise_signal(self.signum)


@pytest.mark.parametrize(("signum", "stop"), [(signal.SIGTERM, Terminated),
                                              (signal.SIGINT, KeyboardInterrupt)],
                         ids=["TERM", "INT"])  # fmt: skip
def test_a_stop_swallowed_by_a_finalizer_is_signalled_again(signum, stop):
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    ran = []
    try:
        with pytest.raises(stop), terminate_gracefully():
            _Finalized(signum)  # collected at once: its stop is swallowed ("Exception ignored")
            ran.append("went on")
            time.sleep(2)  # the stop comes again AGAIN_SECONDS later, and ends the sleep
            ran.append("never")
        assert ran == ["went on"]
    finally:
        signal.signal(signal.SIGTERM, before)


def test_blocks_are_sized_by_their_work():
    assert per_block(1) == BLOCK_VALUES
    assert per_block(BLOCK_VALUES // 10) == 10
    assert per_block(10 * BLOCK_VALUES) == 1  # a unit larger than a block is a block alone
    assert per_block(0) == BLOCK_VALUES
