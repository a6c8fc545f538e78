"""The learning-rate sweep's figure: final estimates and loss against the learning rate."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..studies.sweep import SweepRun
from .style import LOSS_COLORS, TRUTH_COLOR, loss_label


def plot_sweep(run: SweepRun) -> Figure:
    """Final ŵ0, ŵ1 and loss against the learning rate (log scale), one line per loss.

    A learning rate whose fit diverged has no estimate: it is marked by a dotted vertical
    line, and a panel with nothing finite to draw says so instead of drawing an empty axis.
    """
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    batch, lecture = run.batch, run.config.lecture
    losses = np.array(batch.losses)
    panels = [
        ("ŵ0", batch.params[:, 0], ("w0", lecture.data.w0)),
        ("ŵ1", batch.params[:, 1], ("w1", lecture.data.w1)),
        ("final loss", batch.final_loss, None),
    ]
    lrs = batch.lr
    for ax, (label, values, truth) in zip(fig.subplots(1, 3), panels, strict=True):
        ax.set(xscale="log", xlim=(lrs.min() / 2, lrs.max() * 2), xlabel="learning rate")
        ax.set_title(f"{label} after {lecture.epochs} epochs")
        for loss in lecture.losses:
            mine = (losses == loss) & batch.ok
            color = LOSS_COLORS[loss]
            if mine.any():
                ax.plot(lrs[mine], values[mine], "o-", color=color, label=loss_label(loss))
            for lr in lrs[(losses == loss) & ~batch.ok]:
                ax.axvline(lr, color=color, linestyle=":", label=f"{loss_label(loss)} diverged")
        if not batch.ok.any():
            ax.text(0.5, 0.5, "every fit diverged:\nnothing to draw", transform=ax.transAxes,
                    ha="center", va="center")  # fmt: skip
        elif truth is not None:
            name, value = truth
            ax.axhline(value, color=TRUTH_COLOR, linestyle="--", label=f"true {name}")
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys())
    return fig
