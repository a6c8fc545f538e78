"""Learning-rate sweep: the lecture's fit for several steps and losses, side by side.

All lr x loss fits run as one batch over the cores; a step that diverges is reported on its
own row and leaves the others alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..budget import check_study
from ..config import SweepConfig
from ..data import simulate_from
from ..engines.batch import BatchResult, fit_batch, history_stride
from ..errors import SeparationError
from ..stats import mle
from ..stats.mle import MLEResult
from .timing import timed


@dataclass(frozen=True)
class SweepRun:
    """The settings and the batch of fits, row b = (lrs[b // len(losses)], losses[b % ...])."""

    config: SweepConfig
    batch: BatchResult
    #: The maximum-likelihood fit of the same data (None when it does not exist): where BCE
    #: descent should end.
    mle: MLEResult | None
    #: wall time of the run that made this record
    seconds: float = 0.0


@timed
def run_sweep(config: SweepConfig | None = None, *, progress: bool = False) -> SweepRun:
    """Fit the lecture's data once per lr and loss, all in one batch."""
    config = config or SweepConfig()
    check_study(config)  # ConfigError before any work if it cannot fit
    lec = config.lecture
    data = simulate_from(lec.data)
    batch = fit_batch(
        data.x,
        data.y,
        loss=list(lec.losses) * len(config.lrs),
        lr=np.repeat(config.lrs, len(lec.losses)),
        epochs=lec.epochs,
        init_seed=lec.init_seed,
        record_every=history_stride(lec.epochs),
        tol=lec.tol,
        engine=lec.engine,
        names=data.names,
        progress=progress,
    )
    try:
        reference = mle.fit(data.x, data.y, names=data.names)
    except SeparationError:
        reference = None
    return SweepRun(config=config, batch=batch, mle=reference)
