"""Engines: the same gradient descent, computed different ways behind one fit().

- ``eager``: the lecture's four steps with torch autograd (logitlab.train), the reference;
- ``fused``: the gradient in closed form and the whole epoch loop compiled by Numba
  (logitlab.engines.fused), about two orders of magnitude faster;
- ``auto``: fused when Numba is installed (the ``fast`` extra), else eager, saying so once.

Many fits at once, spread over the cores: logitlab.engines.batch.fit_batch.
This module stays light (no Numba, no torch until fit() runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..config import ENGINES
from .resolve import fused_available, resolve_engine

if TYPE_CHECKING:
    import torch

    from ..config import TrainConfig
    from ..result import FitResult

__all__ = ["ENGINES", "fit", "fused_available", "resolve_engine"]


def fit(
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig | None = None,
    *,
    net: torch.nn.Sequential | None = None,
    names: Sequence[str] | None = None,
    progress: bool = False,
    engine: str | None = None,
) -> FitResult:
    """Fit the lecture's net to (x, y) by full-batch gradient descent.

    x is n x d, y is n x 1 of 0/1 (float32 tensors); `names` names the d features (default
    x1, ..., xd). `net` defaults to the lecture's network initialised under config.init_seed;
    it is trained in place. `engine` ('auto', 'eager' or 'fused'; default config.engine)
    picks who computes it: the same math either way, the eager loop or the compiled one
    (which takes milliseconds, so `progress` draws a bar only for the eager loop).
    """
    from ..config import TrainConfig

    cfg = config or TrainConfig()
    if resolve_engine(cfg.engine if engine is None else engine) == "fused":
        from .batch import fit_fused

        return fit_fused(x, y, cfg, net=net, names=names)
    from .eager import fit_eager

    return fit_eager(x, y, cfg, net=net, names=names, progress=progress)
