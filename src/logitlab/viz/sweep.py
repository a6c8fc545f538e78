"""The learning-rate sweep's figure: final estimates and losses against the learning rate."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..data import simulate_from
from ..stats.landscape import evaluate, minimise
from ..studies.sweep import SweepRun
from .style import LEGEND_SIZE, LOSS_COLORS, MLE_COLOR, MLE_LABEL, TRUTH_COLOR, loss_label


def loss_minima(run: SweepRun) -> dict[str, float]:
    """Each loss's lowest value on the sweep's data, where a finished descent ends: BCE's at
    the MLE (its log-likelihood over n), MSE's at its own minimum, found by Newton steps from
    the MLE on the same data (simulate_from(run.config.lecture.data)). Empty without an MLE
    (separated data: no finite minimum)."""
    if run.mle is None:
        return {}
    floors = {"bce": -float(run.mle.loglik) / run.mle.nobs}
    if "mse" in run.config.lecture.losses:
        data = simulate_from(run.config.lecture.data)
        x, y = data.x.numpy(), data.y.numpy()
        where = minimise("mse", x, y, run.mle.coef)
        floors["mse"] = float(evaluate("mse", where, x, y, hessian=False).loss[0])
    return floors


def _legend(ax: Axes) -> None:
    """The panel's legend, each label once."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=LEGEND_SIZE - 1)


def plot_sweep(run: SweepRun) -> Figure:
    """Final ŵ0 and ŵ1 against the learning rate (log scale), one line per loss, with the
    truth and the MLE; then each loss's final value in a panel of its own (BCE and MSE live on
    different scales), with the lowest value that loss can reach.

    A learning rate whose fit diverged has no estimate: it is marked by a dotted vertical
    line, and a panel with nothing finite to draw says so instead of drawing an empty axis.
    """
    batch, lecture = run.batch, run.config.lecture
    losses = np.array(batch.losses)
    mle = None if run.mle is None else run.mle.coef
    floors = loss_minima(run)
    panels = [
        ("ŵ0", batch.params[:, 0], lecture.losses, ("w0", lecture.data.w0, 0)),
        ("ŵ1", batch.params[:, 1], lecture.losses, ("w1", lecture.data.w1, 1)),
    ] + [
        (f"final {loss_label(loss)} loss", batch.final_loss, (loss,), None)
        for loss in lecture.losses
    ]
    fig = Figure(figsize=(4.2 * len(panels), 4.2), layout="constrained")
    lrs = batch.lr
    for ax, (label, values, shown, truth) in zip(fig.subplots(1, len(panels)), panels, strict=True):
        ax.set(xscale="log", xlim=(lrs.min() / 2, lrs.max() * 2), xlabel="learning rate")
        ax.set_title(f"{label} after {lecture.epochs:,} epochs")
        for loss in shown:
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
            name, value, column = truth
            ax.axhline(value, color=TRUTH_COLOR, linestyle="--", label=f"true {name}")
            if mle is not None:
                ax.axhline(mle[column], color=MLE_COLOR, linestyle=":", linewidth=1.6,
                           label=f"{MLE_LABEL} {mle[column]:.4f}")  # fmt: skip
        elif shown[0] in floors:
            where = "at the MLE" if shown[0] == "bce" else "at its own minimum"
            ax.axhline(floors[shown[0]], color=MLE_COLOR, linestyle=":", linewidth=1.6,
                       label=f"lowest {loss_label(shown[0])} ({where})")  # fmt: skip
            ax.set_ylabel(f"{loss_label(shown[0])} loss")
        _legend(ax)
    return fig
