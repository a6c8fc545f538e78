"""Monte Carlo: repeat the lecture over fresh data to see the sampling distribution of ŵ.

Rep r draws its data with seed `seed + r` (so with the default seed, rep 0 is the lecture's own
data set), fits it with every loss from the lecture's start, and records (ŵ0, ŵ1). The summary
compares each loss's estimates with the truth: mean, bias, standard deviation and RMSE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import MonteCarloConfig
from ..data import simulate
from ..engines.batch import BatchResult, fit_batch, history_stride
from .timing import timed

#: The lecture's parameters, in the order of BatchResult.params' columns.
PARAMS = ("w0", "w1")


@dataclass(frozen=True)
class MonteCarloRun:
    """The settings, the truth and every fit (row b: rep b // len(losses), loss b % ...)."""

    config: MonteCarloConfig
    batch: BatchResult
    #: wall time of the run that made this record
    seconds: float = 0.0

    @property
    def truth(self) -> np.ndarray:
        return np.array(self.config.lecture.data.truth)

    def estimates(self, loss: str) -> np.ndarray:
        """The (ŵ0, ŵ1) of every rep that converged with `loss`, reps x 2."""
        pick = (np.array(self.batch.losses) == loss) & self.batch.ok
        return self.batch.params[pick]

    def summary(self) -> dict[str, dict]:
        """Per loss: counts and, per parameter, the statistics of its estimates."""
        out = {}
        for loss in self.config.lecture.losses:
            est = self.estimates(loss)
            stats = {p: summarize(est[:, i], self.truth[i]) for i, p in enumerate(PARAMS)}
            out[loss] = {"fits": len(est), "diverged": self.config.reps - len(est), **stats}
        return out


def summarize(estimates: np.ndarray, truth: float) -> dict[str, float]:
    """Mean, bias, sd and RMSE against the truth. sd divides by the count (not count - 1) so
    that RMSE**2 = bias**2 + sd**2 exactly."""
    if len(estimates) == 0:
        return dict.fromkeys(("truth", "mean", "bias", "sd", "rmse"), float("nan"))
    mean = float(np.mean(estimates))
    return {
        "truth": float(truth),
        "mean": mean,
        "bias": mean - truth,
        "sd": float(np.std(estimates)),
        "rmse": float(np.sqrt(np.mean((estimates - truth) ** 2))),
    }


@timed
def run_montecarlo(
    config: MonteCarloConfig | None = None, *, progress: bool = False
) -> MonteCarloRun:
    """Draw every data set, then fit all reps x losses in one batch over the cores."""
    config = config or MonteCarloConfig()
    lec = config.lecture
    draws = [
        simulate(lec.data.n, lec.data.w0, lec.data.w1, config.data_seed(r))
        for r in range(config.reps)
    ]
    losses = lec.losses
    batch = fit_batch(
        draws[0].x,  # every draw shares x = linspace(-1, 1, n); only y changes
        torch.stack([d.y[:, 0] for d in draws]),
        loss=list(losses) * config.reps,
        lr=lec.lr,
        data=np.repeat(np.arange(config.reps), len(losses)),
        epochs=lec.epochs,
        init_seed=lec.init_seed,
        record_every=history_stride(lec.epochs),
        tol=lec.tol,
        engine=lec.engine,
        names=draws[0].names,
        progress=progress,
    )
    return MonteCarloRun(config=config, batch=batch)
