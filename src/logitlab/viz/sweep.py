"""The learning-rate sweep's figure: final estimates and loss against the learning rate."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..studies.sweep import SweepRun
from .style import LOSS_COLORS, TRUTH_COLOR, loss_label


def plot_sweep(run: SweepRun) -> Figure:
    """Final ŵ0, ŵ1 and loss against the learning rate (log scale), one line per loss."""
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    batch, lecture = run.batch, run.config.lecture
    losses = np.array(batch.losses)
    panels = [
        ("ŵ0", batch.params[:, 0], ("w0", lecture.data.w0)),
        ("ŵ1", batch.params[:, 1], ("w1", lecture.data.w1)),
        ("final loss", batch.final_loss, None),
    ]
    for ax, (label, values, truth) in zip(fig.subplots(1, 3), panels, strict=True):
        for loss in lecture.losses:
            mine = losses == loss
            ax.plot(batch.lr[mine], values[mine], "o-", color=LOSS_COLORS[loss],
                    label=loss_label(loss))  # fmt: skip
        if truth is not None:
            name, value = truth
            ax.axhline(value, color=TRUTH_COLOR, linestyle="--", label=f"true {name}")
        ax.set(xscale="log", xlabel="learning rate", title=f"{label} after {lecture.epochs} epochs")
        ax.legend()
    return fig
