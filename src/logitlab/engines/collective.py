"""The workers of one fit, and the few things they do together: add up arrays, share small
objects, agree on one value, and agree on failure (a mistake found on one worker becomes the
same error on every worker, never a hang in the next collective).

A fit on several workers (torch.distributed, gloo on CPU) needs only these three collective
operations; a fit in one process uses `Local`, whose operations return their input. The code
that fits (stats.sharded, engines.distributed) is written once against this interface, so
one worker, two on one machine and many across machines run the same lines.

Launching: `torchrun` (or `logitlab fit --workers K`) sets RANK, WORLD_SIZE, MASTER_ADDR and
MASTER_PORT; join() then opens the gloo process group from them. Without them, join() is
Local.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import numpy as np

from .. import errors
from ..errors import DataError, LogitlabError, WorkerLost, message_line

#: How long a collective waits for a missing worker before the run fails (seconds): a worker
#: that dies leaves the others blocked in all_reduce until then.
TIMEOUT = 120.0
#: The environment variables torchrun sets for every worker.
LAUNCH_VARIABLES = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")

T = TypeVar("T")


class Collective(Protocol):
    """What a worker may ask of the others."""

    rank: int
    world: int

    def sum(self, values: np.ndarray) -> np.ndarray:
        """The element-wise sum of every worker's `values` (float64), on every worker."""
        ...

    def gather(self, value: Any) -> list[Any]:
        """Every worker's `value` (a small picklable object), in rank order, on every worker."""
        ...

    def broadcast(self, value: Any, source: int = 0) -> Any:
        """Worker `source`'s value, on every worker."""
        ...


@dataclass(frozen=True)
class Local:
    """One worker: every collective is the identity."""

    rank: int = 0
    world: int = 1

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.array(values, dtype=np.float64)

    def gather(self, value: Any) -> list[Any]:
        return [value]

    def broadcast(self, value: Any, source: int = 0) -> Any:
        return value


class TorchGroup:
    """The workers of torch.distributed's default process group (gloo)."""

    def __init__(self) -> None:
        import torch.distributed as dist

        self._dist = dist
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()

    def sum(self, values: np.ndarray) -> np.ndarray:
        import torch

        tensor = torch.tensor(np.asarray(values, dtype=np.float64))
        self._dist.all_reduce(tensor)
        return tensor.numpy()

    def gather(self, value: Any) -> list[Any]:
        out: list[Any] = [None] * self.world
        self._dist.all_gather_object(out, value)
        return out

    def broadcast(self, value: Any, source: int = 0) -> Any:
        box = [value]
        self._dist.broadcast_object_list(box, src=source)
        return box[0]


def launched() -> bool:
    """True when this process was started as one worker of several (torchrun's variables)."""
    return all(name in os.environ for name in LAUNCH_VARIABLES)


def join(timeout: float = TIMEOUT) -> Collective:
    """The workers this process belongs to: the gloo group torchrun's variables describe (opened
    on first use), else Local."""
    if not launched():
        return Local()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("gloo", timeout=timedelta(seconds=timeout))
    return TorchGroup()


def leave() -> None:
    """Close the process group join() opened (nothing for Local)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


# --- agreeing on failure -------------------------------------------------------------------


def agreed(group: Collective, work: Callable[[], T]) -> T:
    """Run `work` on every worker, then agree: when it raised a LogitlabError on any worker,
    every worker raises the lowest such rank's error (same type and words); else the result.
    A worker that stops answering becomes WorkerLost."""
    result, failure = _attempt(work)
    raise_first(group, [failure] if group.world == 1 else collect(group, failure))
    return result  # type: ignore[return-value]


def gathered(group: Collective, work: Callable[[], T]) -> list[T]:
    """Run `work` on every worker and share the results: every worker's (small, picklable),
    in rank order, on every worker; when it raised a LogitlabError on any worker, every
    worker raises the lowest such rank's error. data.shards' Gather for these workers."""
    shared = collect(group, _attempt(work))
    raise_first(group, [failure for _, failure in shared])
    return [result for result, _ in shared]


def _attempt(work: Callable[[], T]) -> tuple[T | None, tuple[str, str] | None]:
    """(work(), None), or (None, its LogitlabError as (type name, message)) to agree on."""
    try:
        return work(), None
    except LogitlabError as exc:
        return None, (type(exc).__name__, str(exc))


def collect(group: Collective, value: Any) -> list[Any]:
    """group.gather, with a lost worker named as WorkerLost (one line) instead of gloo's
    traceback."""
    try:
        return group.gather(value)
    except RuntimeError as exc:
        raise lost(group, exc) from None


def lost(group: Collective, exc: BaseException) -> WorkerLost:
    """The error of a collective that failed because another worker is gone."""
    return WorkerLost(
        f"worker {group.rank} of {group.world} lost contact with the others (a worker died or "
        f"stopped answering): {message_line(exc)}"
    )


def raise_first(group: Collective, failures: list[Any]) -> None:
    """Raise the first worker's (type name, message) failure, if any, as that type."""
    for failure in failures:
        if failure is not None:
            kind = getattr(errors, failure[0], None)
            if not (isinstance(kind, type) and issubclass(kind, LogitlabError)):
                kind = DataError
            raise kind(failure[1])


__all__ = ["LAUNCH_VARIABLES", "TIMEOUT", "Collective", "Local", "TorchGroup", "agreed", "collect",
           "gathered", "join", "launched", "leave", "lost", "raise_first"]  # fmt: skip
