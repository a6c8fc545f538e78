"""Monte Carlo: repeat the lecture over fresh data to see the sampling distribution of ŵ.

Rep r draws its data with seed `seed + r` (so with the default seed, rep 0 is the lecture's own
data set), fits it with every loss from the lecture's start, and records (ŵ0, ŵ1). The summary
compares each loss's estimates with the truth: mean, bias, standard deviation and RMSE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .config import LectureConfig, check_int
from .data import simulate
from .engines.batch import BatchResult, fit_batch

PARAMS = ("w0", "w1")
LOSS_COLORS = {"bce": "C1", "mse": "C2"}


@dataclass(frozen=True)
class MonteCarloConfig:
    """`reps` data sets drawn like the lecture's (config.data, seed + r for rep r), each
    fitted with every loss under the lecture's training settings."""

    lecture: LectureConfig = field(default_factory=LectureConfig)
    reps: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "reps", check_int("reps", self.reps, 1))
        last = self.lecture.data.seed + self.reps - 1
        check_int("data seed of the last rep", last, 0)

    def data_seed(self, rep: int) -> int:
        """The data seed of rep `rep`: the base seed plus the rep number."""
        return self.lecture.data.seed + rep

    def as_dict(self) -> dict:
        return {**self.lecture.as_dict(), "reps": self.reps, "seed_rule": "data_seed + rep"}


@dataclass(frozen=True)
class MonteCarloRun:
    """The settings, the truth and every fit (row b: rep b // len(losses), loss b % ...)."""

    config: MonteCarloConfig
    batch: BatchResult

    @property
    def truth(self) -> np.ndarray:
        return np.array([self.config.lecture.data.w0, self.config.lecture.data.w1])

    def rows(self) -> list[dict]:
        """One row per rep and loss, as written to montecarlo.csv."""
        losses = self.config.lecture.losses
        return [
            {
                "rep": b // len(losses),
                "data_seed": self.config.data_seed(b // len(losses)),
                "loss": self.batch.losses[b],
                "w0_hat": float(self.batch.params[b, 0]),
                "w1_hat": float(self.batch.params[b, 1]),
                "final_loss": float(self.batch.final_loss[b]),
                "diverged_at": int(self.batch.diverged_at[b]),
            }
            for b in range(len(self.batch))
        ]

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


def run_montecarlo(config: MonteCarloConfig, *, progress: bool = False) -> MonteCarloRun:
    """Draw every data set, then fit all reps x losses in one batch over the cores."""
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
        record_every=lec.epochs,
        engine=lec.engine,
        progress=progress,
    )
    return MonteCarloRun(config=config, batch=batch)


def write_montecarlo(run: MonteCarloRun, folder: Path) -> list[str]:
    """montecarlo.csv, montecarlo.json, the figures and report.html into folder; their names."""
    from . import htmlpage
    from .output import save_figure, write_csv, write_json

    write_csv(run.rows(), folder / "montecarlo.csv")
    summary = run.summary()
    record = {"settings": run.config.as_dict(), "engine": run.batch.engine, "summary": summary}
    write_json(record, folder / "montecarlo.json")
    figures = {"histograms.png": plot_histograms(run), "estimates.png": plot_estimates(run)}
    for name, fig in figures.items():
        save_figure(fig, folder / name)
    table_rows = [
        [f"{loss.upper()} {p}", s[p]["truth"], s[p]["mean"], s[p]["bias"], s[p]["sd"],
         s[p]["rmse"], s["fits"]]
        for loss, s in summary.items()
        for p in PARAMS
    ]  # fmt: skip
    body = (
        f"<p>{run.config.reps} data sets of n = {run.config.lecture.data.n} drawn from the "
        f"lecture's model (data seed {run.config.lecture.data.seed} + rep), each fitted by "
        f"{run.config.lecture.epochs} epochs of gradient descent (lr "
        f"{run.config.lecture.lr}) from the lecture's start.</p>"
        + htmlpage.table(["estimate", "truth", "mean", "bias", "sd", "RMSE", "fits"], table_rows)
        + htmlpage.figure(folder / "histograms.png", "Sampling distributions, truth dashed")
        + htmlpage.figure(folder / "estimates.png", "(ŵ0, ŵ1) per rep and loss")
    )
    (folder / "report.html").write_text(htmlpage.page("Monte Carlo: sampling distribution", body))
    return ["montecarlo.csv", "montecarlo.json", *figures, "report.html"]


def plot_histograms(run: MonteCarloRun):  # -> Figure (matplotlib imported lazily)
    """One panel per parameter: each loss's estimates as a histogram, the truth dashed."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    for i, (ax, name) in enumerate(zip(fig.subplots(1, 2), PARAMS, strict=True)):
        for loss in run.config.lecture.losses:
            values = run.estimates(loss)[:, i]
            ax.hist(values, bins=40, alpha=0.55, color=LOSS_COLORS[loss], label=loss.upper())
        ax.axvline(run.truth[i], color="red", linestyle="--", label=f"true {name}")
        ax.set(title=f"ŵ{name[1:]} over {run.config.reps} data sets", xlabel=name, ylabel="reps")
        ax.legend()
    return fig


def plot_estimates(run: MonteCarloRun):
    """(ŵ0, ŵ1) of every rep, one colour per loss, the truth as a red cross."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.subplots()
    for loss in run.config.lecture.losses:
        est = run.estimates(loss)
        ax.scatter(est[:, 0], est[:, 1], s=6, alpha=0.4, color=LOSS_COLORS[loss],
                   label=loss.upper())  # fmt: skip
    ax.scatter(*run.truth, marker="x", s=80, color="red", label="truth")
    ax.set(xlabel="ŵ0", ylabel="ŵ1", title="Estimates per rep")
    ax.legend()
    return fig
