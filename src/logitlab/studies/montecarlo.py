"""Monte Carlo: repeat the lecture over fresh data to see the sampling distribution of ŵ.

Rep r draws its data with seed `seed + r` (so with the default seed, rep 0 is the lecture's own
data set), fits it with every loss from the lecture's start, and records (ŵ0, ŵ1). The summary
compares each loss's estimates with the truth: mean, bias, standard deviation and RMSE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..budget import check_study
from ..config import MonteCarloConfig
from ..data import simulate
from ..engines.batch import BatchResult, fit_batch, history_stride
from ..stats.mle import expected_se
from .timing import timed
from .training import batch_keywords, check_on_lecture_data

#: The lecture's parameters, in the order of BatchResult.params' columns.
PARAMS = ("w0", "w1")


@dataclass(frozen=True)
class MonteCarloRun:
    """The settings, the truth and every fit (row b: rep b // len(losses), loss b % ...)."""

    config: MonteCarloConfig
    batch: BatchResult
    #: The MLE's asymptotic standard errors of (w0, w1) at the truth: what its sd would be.
    expected_se: np.ndarray
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
        """Per loss: counts (fits, diverged, converged) and, per parameter, the statistics of its
        estimates beside the MLE's asymptotic standard error at the truth (mle_se)."""
        out = {}
        for loss in self.config.lecture.losses:
            est = self.estimates(loss)
            stats = {
                p: summarize(est[:, i], self.truth[i]) | {"mle_se": float(self.expected_se[i])}
                for i, p in enumerate(PARAMS)
            }
            mine = np.array(self.batch.losses) == loss
            out[loss] = {
                "fits": len(est),
                "diverged": self.config.reps - len(est),
                "converged": int(np.sum(self.batch.converged & mine)),
                **stats,
            }
        return out

    def __repr__(self) -> str:
        """One line, not the fits: per loss, how many fits converged of those that did not
        diverge, and their estimates' bias and sd beside the MLE's standard errors."""
        from ..display import numbers

        losses = "; ".join(
            f"{loss} {s['converged']:,}/{s['fits']:,} converged, bias "
            f"{numbers([s[p]['bias'] for p in PARAMS])}, sd {numbers([s[p]['sd'] for p in PARAMS])}"
            for loss, s in self.summary().items()
        )  # fmt: skip
        return (f"MonteCarloRun({self.config.reps:,} reps, truth {numbers(self.truth)}, MLE "
                f"SE {numbers(self.expected_se)}: {losses})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: per loss and parameter the estimates' statistics beside the
        MLE's standard error, and what they show."""
        from ..display import count, html, number

        rows = [
            [loss.upper(), p, count(s["fits"]), count(s["converged"]),
             *(number(s[p][k]) for k in ("truth", "mean", "bias", "sd", "rmse", "mle_se"))]
            for loss, s in self.summary().items() for p in PARAMS
        ]  # fmt: skip
        return html("montecarlo.html", run=self, rows=rows, findings=findings(self))


def findings(run: MonteCarloRun) -> list[str]:
    """What the numbers show, one sentence per loss, derived from them: whether the fits
    finished (a bias of unfinished descent is not the estimator's), whether the bias is
    beyond Monte Carlo noise, and the spread against the MLE's standard error (efficiency,
    judged only when every fit finished)."""
    sentences = []
    epochs = run.config.lecture.epochs
    for loss, stats in run.summary().items():
        name, fits, done = loss.upper(), stats["fits"], stats["converged"]
        if fits == 0:
            sentences.append(f"{name}: every fit diverged, so there is nothing to summarise.")
            continue
        finished = done == fits
        if finished:
            head = f"All {fits} {name} fits converged within {epochs:,} epochs"
        else:
            head = (
                f"{done} of {fits} {name} fits converged within {epochs:,} epochs; the rest "
                "stopped short of the minimum, so the bias below measures unfinished gradient "
                "descent as much as the estimator (a larger learning rate or more epochs "
                "finishes it) and the spread says nothing about efficiency"
            )
        parts = []
        for param in PARAMS:
            p, hat = stats[param], f"ŵ{param[1:]}"
            if not np.isfinite(p["sd"]):
                parts.append(f"{hat}: bias {p['bias']:+.3g}, spread undefined with one rep")
                continue
            noise = 2 * p["sd"] / np.sqrt(fits)  # two Monte Carlo standard errors of the mean
            side = "within" if abs(p["bias"]) <= noise else "beyond"
            text = f"{hat}: bias {p['bias']:+.3g} is {side} Monte Carlo noise (±{noise:.2g})"
            if finished and not np.isfinite(p["mle_se"]):
                text += ", and the MLE's standard error is unbounded at this truth"
            elif finished:
                ratio = p["sd"] / p["mle_se"]
                how = "as efficient as maximum likelihood" if ratio < 1.05 else "less efficient"
                text += (
                    f", sd {p['sd']:.3g} is {ratio:.2f}× the MLE's standard error "
                    f"{p['mle_se']:.3g} ({how})"
                )
            parts.append(text)
        sentences.append(f"{head}. {'; '.join(parts)}.")
    return sentences


def summarize(estimates: np.ndarray, truth: float) -> dict[str, float]:
    """Mean, bias, sd and RMSE against the truth. sd divides by the count (not count - 1) so
    that RMSE**2 = bias**2 + sd**2 exactly; with fewer than two estimates it is undefined
    (NaN), as is everything with none."""
    if len(estimates) == 0:
        return dict.fromkeys(("truth", "mean", "bias", "sd", "rmse"), float("nan"))
    mean = float(np.mean(estimates))
    return {
        "truth": float(truth),
        "mean": mean,
        "bias": mean - float(truth),
        "sd": float(np.std(estimates)) if len(estimates) > 1 else float("nan"),
        "rmse": float(np.sqrt(np.mean((estimates - truth) ** 2))),
    }


@timed
def run_montecarlo(
    config: MonteCarloConfig | None = None, *, progress: bool = False
) -> MonteCarloRun:
    """Draw every data set, then fit all reps x losses in one batch over the cores.

    Parameters
    ----------
    config : MonteCarloConfig, optional
        The repetitions, their seeds and the lecture they repeat; MonteCarloConfig() when None.
    progress : bool, default False
        Draw a progress bar.

    Returns
    -------
    MonteCarloRun
        The settings, every fit (row b: rep b // len(losses), loss b % len(losses)) and the
        MLE's asymptotic standard errors at the truth.

    Raises
    ------
    ConfigError
        Before any work, when the run cannot fit here or the start or batch size does not
        suit the lecture's data.
    """
    config = config or MonteCarloConfig()
    check_study(config)  # ConfigError before any work if it cannot fit
    lec = config.lecture
    check_on_lecture_data(lec.training, lec.data)
    draws = [
        simulate(lec.data.n, lec.data.w0, lec.data.w1, config.data_seed(r))
        for r in range(config.reps)
    ]
    losses = lec.losses
    batch = fit_batch(
        draws[0].x,  # every draw shares x = linspace(-1, 1, n); only y changes
        torch.stack([d.y[:, 0] for d in draws]),
        loss=list(losses) * config.reps,
        data=np.repeat(np.arange(config.reps), len(losses)),
        record_every=history_stride(lec.epochs),
        names=draws[0].names,
        progress=progress,
        **batch_keywords(lec.training),
    )
    return MonteCarloRun(
        config=config, batch=batch, expected_se=expected_se(draws[0].x, lec.data.truth)
    )
