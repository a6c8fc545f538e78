"""Sweep: the lecture's fit for several learning rates, optimizers, batch sizes and losses,
side by side.

All optimizer x batch size x lr x loss fits run as one batch over the cores; a fit that
diverges is reported on its own row and leaves the others alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..budget import check_study
from ..config import SweepConfig
from ..data import simulate_from
from ..engines.batch import BatchResult, fit_batch, history_stride
from ..errors import SeparationError
from ..result import INTERCEPT
from ..stats import mle
from ..stats.mle import MLEResult
from .timing import timed
from .training import batch_keywords, check_on_lecture_data


@dataclass(frozen=True)
class SweepRun:
    """The settings and the batch of fits, one row per point of config's grid, in the order
    of grid(config): optimizer, then batch size, then lr, then loss."""

    config: SweepConfig
    batch: BatchResult
    #: The maximum-likelihood fit of the same data (None when it does not exist): where BCE
    #: descent should end.
    mle: MLEResult | None
    #: wall time of the run that made this record
    seconds: float = 0.0

    def __repr__(self) -> str:
        """One line, not the fits: the grid, how the fits ended and the MLE they aim at."""
        from ..display import numbers

        mle = "no MLE" if self.mle is None else f"MLE {numbers(self.mle.params)}"
        return (f"SweepRun({len(self.batch):,} fits, lrs {numbers(self.config.lrs)}: "
                f"{self.batch.tally_words()}; {mle}, {self.seconds:.2f} s)")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: one row per fit, its settings, verdict and where it ended."""
        from ..display import html, number

        batch = self.batch
        rows = [
            [batch.optimizers[b], "full" if batch.batch_size[b] is None else batch.batch_size[b],
             f"{batch.lr[b]:g}", batch.losses[b].upper(), verdict, number(batch.final_loss[b]),
             *map(number, batch.params[b])]
            for b, verdict in enumerate(batch.verdicts())
        ]  # fmt: skip
        return html("sweep.html", run=self, rows=rows, names=(INTERCEPT, *batch.names))


def grid(config: SweepConfig) -> list[tuple[str, int | None, float, str]]:
    """Every fit of the sweep as (optimizer, batch size, lr, loss), the last varying fastest."""
    return list(
        itertools.product(config.optimizers, config.batch_sizes, config.lrs, config.lecture.losses)
    )


@timed
def run_sweep(config: SweepConfig | None = None, *, progress: bool = False) -> SweepRun:
    """Fit the lecture's data once per optimizer, batch size, lr and loss, all in one batch;
    the other settings (epochs, start, momentum, betas ...) are the lecture's template's.

    Parameters
    ----------
    config : SweepConfig, optional
        The grid and the lecture it varies; SweepConfig() when None.
    progress : bool, default False
        Draw a progress bar.

    Returns
    -------
    SweepRun
        The settings, the batch of fits (one row per point of the grid, optimizer varying
        slowest and loss fastest) and the MLE of the same data (None when it does not exist).

    Raises
    ------
    ConfigError
        Before any work, when the run cannot fit here or the start or a batch size does not
        suit the lecture's data.
    """
    config = config or SweepConfig()
    check_study(config)  # ConfigError before any work if it cannot fit
    lec = config.lecture
    check_on_lecture_data(lec.training, lec.data)
    data = simulate_from(lec.data)
    optimizers, sizes, lrs, losses = zip(*grid(config), strict=True)
    settings = batch_keywords(lec.training) | {
        "loss": list(losses),
        "lr": np.array(lrs),
        "optimizer": list(optimizers),
        "batch_size": list(sizes),
    }
    batch = fit_batch(
        data.x,
        data.y,
        record_every=history_stride(lec.epochs),
        names=data.names,
        progress=progress,
        **settings,
    )
    try:
        reference = mle.fit(data.x, data.y, names=data.names)
    except SeparationError:
        reference = None
    return SweepRun(config=config, batch=batch, mle=reference)
