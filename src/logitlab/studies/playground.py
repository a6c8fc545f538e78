"""The playground's fit as a study: one feature's points fitted with one or both losses side
by side (one fused call), each with its trajectory and its distance to the MLE.

The web server checks a request against its bounds, builds the settings and calls
run_playground, as the CLI calls its studies; records.playground turns the run into the JSON
the page draws. Nothing here knows of HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..config import TrainConfig
from ..result import FitResult


@dataclass(frozen=True)
class PlaygroundSettings:
    """One playground fit: the training (train.loss is ignored: `losses` are fitted), the
    losses, the stride of the trajectories and the engine."""

    train: TrainConfig
    losses: tuple[str, ...]
    every: int
    engine: str = "auto"


@dataclass(frozen=True)
class PlaygroundRun:
    """The fits by loss (with the data's separation), their stride, the distance of each
    end to the MLE (None without one) and the seconds computing took."""

    fits: dict[str, FitResult]
    every: int
    distance: dict[str, dict | None]
    seconds: float


def trajectory_stride(epochs: int, frames: int) -> int:
    """Epochs between trajectory points for at most `frames` + 1 of them: odd, as
    engines.batch.history_stride, so an overshooting descent shows."""
    every = -(-epochs // frames)
    return every + (every % 2 == 0)


def run_playground(
    x: np.ndarray,
    y: np.ndarray,
    feature: str,
    settings: PlaygroundSettings,
    mle: tuple[np.ndarray, np.ndarray] | None = None,
    progress: Callable[[int, np.ndarray], None] | None = None,
) -> PlaygroundRun:
    """Fit the points (x, y) with each loss of `settings` as problems of one fit_batch call.
    `mle` is (params, standard errors) of the MLE, for the distances; `progress` is
    fit_batch's (a run's report, which may cancel it). DivergenceError when a fit diverges."""
    from ..data.separation import separation_of
    from ..engines.batch import fit_batch

    began = time.perf_counter()
    cfg = settings.train
    batch = fit_batch(
        x[:, None], y, loss=settings.losses, lr=cfg.lr, init=cfg.init, epochs=cfg.epochs,
        init_seed=cfg.init_seed, record_every=settings.every, engine=settings.engine,
        names=(feature,), progress=progress or False, **cfg.optimizer_settings(),
    )  # fmt: skip
    separated = separation_of(x[:, None], y, (feature,))
    fits = {loss: replace(batch.result(b), separation=separated)
            for b, loss in enumerate(settings.losses)}  # fmt: skip
    distance = {loss: _distance(fit.params, mle) for loss, fit in fits.items()}
    return PlaygroundRun(fits, settings.every, distance, time.perf_counter() - began)


def _distance(params: np.ndarray, mle: tuple[np.ndarray, np.ndarray] | None) -> dict | None:
    """How far a fit ended from the MLE: in standard errors (the larger of w0's and w1's)
    and in plain Euclidean distance."""
    if mle is None:
        return None
    gap = np.asarray(params, dtype=float) - mle[0]
    return {"se": float((np.abs(gap) / mle[1]).max()), "euclid": float(np.linalg.norm(gap))}
