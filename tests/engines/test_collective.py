"""Workers agreeing on failure, in one process: a fake group stands for the others (the real
gloo group: tests/stats/test_sharded.py and tests/cli/test_fit_sharded.py under torchrun)."""

import pytest

from logitlab.engines.collective import (
    Local,
    agreed,
    collect,
    gathered,
    lost,
    raise_first,
)
from logitlab.errors import ConfigError, DataError, SeparationError, WorkerLost


class Others:
    """Worker `rank` of `world`; the other workers answer with `theirs` (value by rank)."""

    def __init__(self, rank, theirs):
        self.rank, self.world, self.theirs = rank, len(theirs) + 1, theirs

    def gather(self, value):
        out = list(self.theirs)
        out.insert(self.rank, value)
        return out


class Gone(Local):
    def gather(self, value):
        raise RuntimeError("Connection closed by peer\n[gloo/transport.cc:144]")


def test_agreed_returns_the_result_when_no_worker_failed():
    assert agreed(Local(), lambda: 41 + 1) == 42
    assert agreed(Others(1, [None]), lambda: "mine") == "mine"


def test_agreed_raises_the_first_failing_workers_error_on_every_worker():
    failure = ("SeparationError", "x separates the classes")
    with pytest.raises(SeparationError, match="x separates"):
        agreed(Others(1, [failure]), lambda: "fine here")
    with pytest.raises(ConfigError, match="rank 0's"):  # the lowest rank wins
        agreed(Others(1, [("ConfigError", "rank 0's")]), lambda: _raise(DataError("rank 1's")))


def test_gathered_hands_every_worker_all_results_in_rank_order():
    assert gathered(Local(), lambda: {"rows": 3}) == [{"rows": 3}]
    assert gathered(Others(1, [("a", None), ("c", None)]), lambda: "b") == ["a", "b", "c"]
    with pytest.raises(DataError, match="bad share"):
        gathered(Others(0, [(None, ("DataError", "bad share"))]), lambda: "fine")
    with pytest.raises(ConfigError, match="mine"):
        gathered(Local(), lambda: _raise(ConfigError("mine")))


def test_raise_first_keeps_the_package_types_only():
    raise_first(Local(), [None, None])
    with pytest.raises(DataError, match="odd"):
        raise_first(Local(), [None, ("SystemExit", "odd")])  # not ours: a DataError


def test_a_lost_worker_is_one_line_naming_the_worker():
    with pytest.raises(WorkerLost) as caught:
        collect(Gone(rank=1, world=3), "x")
    assert isinstance(lost(Gone(rank=0, world=2), RuntimeError("x")), WorkerLost)
    assert str(caught.value) == (
        "worker 1 of 3 lost contact with the others (a worker died or stopped answering): "
        "Connection closed by peer [gloo/transport.cc:144]"
    )
    with pytest.raises(WorkerLost):
        gathered(Gone(rank=1, world=3), lambda: "x")


def _raise(error):
    raise error
