"""The workers of one fit, and the few things they do together: add up arrays, share small
objects, agree on one value.

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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import numpy as np

#: How long a collective waits for a missing worker before the run fails (seconds): a worker
#: that dies leaves the others blocked in all_reduce until then.
TIMEOUT = 120.0
#: The environment variables torchrun sets for every worker.
LAUNCH_VARIABLES = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


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


__all__ = ["LAUNCH_VARIABLES", "TIMEOUT", "Collective", "Local", "TorchGroup", "join", "launched",
           "leave"]  # fmt: skip
