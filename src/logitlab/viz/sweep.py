"""The sweep's figure: final estimates and losses against the learning rate, a row of panels
per optimizer and batch size."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..data import simulate_from
from ..stats.landscape import evaluate, minimise
from ..studies.sweep import SweepRun
from .style import (
    LEGEND_SIZE,
    LOSS_COLORS,
    MLE_COLOR,
    MLE_LABEL,
    TRUTH_COLOR,
    loss_label,
    optimizer_label,
)


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
        where = minimise("mse", x, y, run.mle.params)
        floors["mse"] = float(evaluate("mse", where, x, y, hessian=False).loss[0])
    return floors


def _legend(ax: Axes) -> None:
    """The panel's legend, each label once."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=LEGEND_SIZE - 1)


def combination_label(optimizer: str, batch_size: int | None, n: int) -> str:
    """A facet's title: 'Adam, batches of 32' or 'SGD, full batch (2,000)'."""
    batches = f"full batch ({n:,})" if batch_size is None else f"batches of {batch_size:,}"
    return f"{optimizer_label(optimizer)}, {batches}"


def plot_sweep(run: SweepRun) -> Figure:
    """Final ŵ0 and ŵ1 against the learning rate (log scale), one line per loss, with the
    truth and the MLE; then each loss's final value in a panel of its own (BCE and MSE live on
    different scales), with the lowest value that loss can reach. A sweep over several
    optimizers or batch sizes gets one such row per combination, titled with it, on the same
    learning-rate axis.

    A learning rate whose fit diverged has no estimate: it is marked by a dotted vertical
    line, and a panel with nothing finite to draw says so instead of drawing an empty axis.
    """
    config, batch = run.config, run.batch
    combos = [(o, b) for o in config.optimizers for b in config.batch_sizes]
    panels = [
        ("ŵ0", batch.params[:, 0], config.lecture.losses, ("w0", config.lecture.data.w0, 0)),
        ("ŵ1", batch.params[:, 1], config.lecture.losses, ("w1", config.lecture.data.w1, 1)),
    ] + [
        (f"final {loss_label(loss)} loss", batch.final_loss, (loss,), None)
        for loss in config.lecture.losses
    ]
    floors = loss_minima(run)
    fig = Figure(figsize=(4.2 * len(panels), 4.2 * len(combos)), layout="constrained")
    rows = [fig] if len(combos) == 1 else fig.subfigures(len(combos), 1)
    optimizers, sizes = np.array(batch.optimizers), np.array(batch.batch_size, dtype=object)
    for row, (optimizer, size) in zip(rows, combos, strict=True):
        if len(combos) > 1:
            row.suptitle(combination_label(optimizer, size, config.lecture.data.n))
        mine = (optimizers == optimizer) & np.array([s == size for s in sizes])
        _plot_row(row.subplots(1, len(panels)), run, panels, mine, floors)
    return fig


def _plot_row(
    axes: list[Axes], run: SweepRun, panels: list, mine: np.ndarray, floors: dict[str, float]
) -> None:
    """One row of panels, for the fits in `mine` (one optimizer and batch size)."""
    batch, lecture = run.batch, run.config.lecture
    losses, lrs = np.array(batch.losses), batch.lr
    mle = None if run.mle is None else run.mle.params
    ok = batch.ok & mine
    for ax, (label, values, shown, truth) in zip(axes, panels, strict=True):
        ax.set(xscale="log", xlim=(lrs.min() / 2, lrs.max() * 2), xlabel="learning rate")
        ax.set_title(f"{label} after {lecture.epochs:,} epochs")
        for loss in shown:
            drawn = (losses == loss) & ok
            color = LOSS_COLORS[loss]
            if drawn.any():
                ax.plot(lrs[drawn], values[drawn], "o-", color=color, label=loss_label(loss))
            for lr in lrs[(losses == loss) & mine & ~batch.ok]:
                ax.axvline(lr, color=color, linestyle=":", label=f"{loss_label(loss)} diverged")
        if not ok.any():
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
