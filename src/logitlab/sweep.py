"""Learning-rate sweep: the lecture's fit for several steps and losses, side by side.

All lr x loss fits run as one batch over the cores; a step that diverges is reported on its
own row and leaves the others alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import LectureConfig, check_float
from .data import simulate_from
from .engines.batch import BatchResult, fit_batch
from .errors import ConfigError
from .montecarlo import LOSS_COLORS, PARAMS


@dataclass(frozen=True)
class SweepConfig:
    """The lecture's data and training settings, with one fit per lr and loss."""

    lecture: LectureConfig = field(default_factory=LectureConfig)
    lrs: tuple[float, ...] = (0.01, 0.05, 0.1, 0.5, 1.0)

    def __post_init__(self) -> None:
        lrs = list(self.lrs) if isinstance(self.lrs, list | tuple) else [self.lrs]
        if not lrs:
            raise ConfigError("lr list must hold at least one learning rate")
        object.__setattr__(self, "lrs", tuple(check_float("lr", v, positive=True) for v in lrs))

    def as_dict(self) -> dict:
        settings = self.lecture.as_dict()
        del settings["lr"]
        return {**settings, "lrs": list(self.lrs)}


@dataclass(frozen=True)
class SweepRun:
    """The settings and the batch of fits, row b = (lrs[b // len(losses)], losses[b % ...])."""

    config: SweepConfig
    batch: BatchResult

    def rows(self) -> list[dict]:
        """One row per lr and loss, as written to sweep.csv (NaN where a fit diverged)."""
        return [
            {
                "lr": float(self.batch.lr[b]),
                "loss": self.batch.losses[b],
                "w0_hat": float(self.batch.params[b, 0]),
                "w1_hat": float(self.batch.params[b, 1]),
                "final_loss": float(self.batch.final_loss[b]),
                "diverged_at": int(self.batch.diverged_at[b]),
            }
            for b in range(len(self.batch))
        ]


def run_sweep(config: SweepConfig, *, progress: bool = False) -> SweepRun:
    """Fit the lecture's data once per lr and loss, all in one batch."""
    lec = config.lecture
    data = simulate_from(lec.data)
    losses: Sequence[str] = lec.losses
    batch = fit_batch(
        data.x,
        data.y,
        loss=list(losses) * len(config.lrs),
        lr=np.repeat(config.lrs, len(losses)),
        epochs=lec.epochs,
        init_seed=lec.init_seed,
        record_every=lec.epochs,
        engine=lec.engine,
        progress=progress,
    )
    return SweepRun(config=config, batch=batch)


def write_sweep(run: SweepRun, folder: Path) -> list[str]:
    """sweep.csv, sweep.json and sweep.png into folder; returns their names."""
    from .output import save_figure, write_csv, write_json

    rows = run.rows()
    write_csv(rows, folder / "sweep.csv")
    record = {"settings": run.config.as_dict(), "engine": run.batch.engine, "fits": rows}
    write_json(record, folder / "sweep.json")
    save_figure(plot_sweep(run), folder / "sweep.png")
    return ["sweep.csv", "sweep.json", "sweep.png"]


def plot_sweep(run: SweepRun):  # -> matplotlib Figure
    """Final ŵ0, ŵ1 and loss against the learning rate (log scale), one line per loss."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    truth = {"w0": run.config.lecture.data.w0, "w1": run.config.lecture.data.w1}
    columns = [("w0_hat", "ŵ0"), ("w1_hat", "ŵ1"), ("final_loss", "final loss")]
    rows = run.rows()
    for ax, (key, label) in zip(axes, columns, strict=True):
        for loss in run.config.lecture.losses:
            mine = [r for r in rows if r["loss"] == loss]
            ax.plot([r["lr"] for r in mine], [r[key] for r in mine], "o-",
                    color=LOSS_COLORS[loss], label=loss.upper())  # fmt: skip
        param = key.removesuffix("_hat")
        if param in PARAMS:
            ax.axhline(truth[param], color="red", linestyle="--", label=f"true {param}")
        ax.set(xscale="log", xlabel="learning rate", title=f"{label} after "
               f"{run.config.lecture.epochs} epochs")  # fmt: skip
        ax.legend()
    return fig
