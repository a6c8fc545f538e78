"""Figures of the `optimizers` study: the descents on both landscapes, their losses and
distances per epoch, and mini-batches against the full batch in epochs and in seconds.

The landscapes are drawn by logitlab.viz.why (contours, colour bars, marks, legend); here
only what is new: one path per start and optimizer, coloured by optimizer, styled by start.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..config import LOSSES
from ..studies.optimizers import ARRIVED_SE, BATCH_OPTIMIZER, OptimizersRun
from ..studies.training import Descent
from .style import LEGEND_SIZE, OPTIMIZER_COLORS, loss_label, optimizer_label
from .why import (
    HALO,
    ZORDER,
    contour_axes,
    figure_legend,
    frame_inset,
    loss_colorbar,
    mark_points,
)

#: One line style per start, in the order of the study's starts.
START_STYLES = ("-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)))
#: The full batch is drawn black; mini-batch sizes take the spare colours, largest first.
FULL_BATCH_COLOR = "black"


def start_label(start: tuple[float, float]) -> str:
    """'(-10, -1)'."""
    return f"({start[0]:g}, {start[1]:g})"


def descent_label(descent: Descent) -> str:
    """'Adam from (-10, -1)'."""
    return f"{optimizer_label(descent.optimizer)} from {start_label(descent.start)}"


def batch_label(descent: Descent, n: int) -> str:
    """'full batch (2000)' or 'batches of 32'."""
    size = descent.batch_size
    return f"full batch ({n:,})" if size is None else f"batches of {size:,}"


def _style(run: OptimizersRun, descent: Descent) -> dict[str, object]:
    return {
        "color": OPTIMIZER_COLORS[descent.optimizer],
        "linestyle": START_STYLES[run.config.starts.index(descent.start)],
    }


def _paths(ax: Axes, run: OptimizersRun, loss: str) -> None:
    """Every full-batch descent on `loss`, ending in a dot of its optimizer's colour."""
    for descent in (d for d in run.descents if d.loss == loss):
        path = descent.result.history.params
        ax.plot(path[:, 0], path[:, 1], linewidth=2.5, label=descent_label(descent),
                zorder=ZORDER["path"], path_effects=HALO, **_style(run, descent))  # fmt: skip
        ax.plot(*path[-1], "o", color=OPTIMIZER_COLORS[descent.optimizer], markersize=7,
                markeredgecolor="k", zorder=ZORDER["end"])  # fmt: skip


def _stalls(ax: Axes, run: OptimizersRun, loss: str) -> None:
    """Say where a descent stalled: its path is hidden under its start's mark."""
    for descent in (d for d in run.descents if d.loss == loss and run.outcome(d) == "stalled"):
        ax.annotate(
            f"{optimizer_label(descent.optimizer)} stalls here:\nmoved {run.moved(descent):.2g} "
            f"in {descent.result.epochs:,} epochs",
            descent.start,
            textcoords="offset points",
            xytext=(12, -38),
            color="white",
            fontsize=LEGEND_SIZE,
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground="black")],
        )


def _marks(ax: Axes, run: OptimizersRun) -> None:
    """Every start, the truth, the MLE and MSE's own minimum (one legend entry each)."""
    for start in run.config.starts:
        mark_points(ax, np.asarray(start), run.truth, run.mle.params, run.mse_minimum)


def zoom_limits(run: OptimizersRun) -> tuple[tuple[float, float], tuple[float, float]]:
    """Square limits around the MLE holding the truth, MSE's minimum and the ends of the
    descents that arrived (the others are seen on the whole map)."""
    centre = run.mle.params
    near = [d.result.params for d in run.descents if run.outcome(d) == "arrived"]
    points = np.vstack([run.truth, run.mse_minimum, *near])
    half = max(0.1, 1.25 * float(np.abs(points - centre).max()))
    return (centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half)


def _zoom(ax: Axes, run: OptimizersRun, loss: str) -> None:
    """An inset magnifying the end of the descents, where the MLE, MSE's minimum, the truth
    and the ends that arrived lie too close to tell apart on the whole map."""
    inset = ax.inset_axes((0.12, 0.56, 0.38, 0.4))
    contour_axes(inset, run.surfaces[loss])
    _paths(inset, run, loss)
    _marks(inset, run)
    frame_inset(ax, inset, *zoom_limits(run))


def plot_trajectories(run: OptimizersRun) -> Figure:
    """The BCE and the MSE landscape, each with the descents on that loss: one path per
    start (line style) and optimizer (colour)."""
    fig = Figure(figsize=(13, 6.6), layout="constrained")
    for ax, loss in zip(fig.subplots(1, 2), LOSSES, strict=True):
        loss_colorbar(fig, contour_axes(ax, run.surfaces[loss]), ax, loss)
        _paths(ax, run, loss)
        _marks(ax, run)
        _zoom(ax, run, loss)
        _stalls(ax, run, loss)
        ax.set_title(f"Descents on the {loss_label(loss)} landscape")
    figure_legend(fig, ax, ncols=4)
    fig.suptitle(f"Where each descent goes in {run.config.epochs:,} epochs at learning rate "
                 f"{run.config.lr:g}")  # fmt: skip
    return fig


def _log_gap(values: np.ndarray) -> np.ndarray:
    """Positive values as they are, the rest NaN: what a log axis can show."""
    return np.where(values > 0, values, np.nan)


def plot_loss_curves(run: OptimizersRun) -> Figure:
    """Per loss (columns), every full-batch descent's loss above its minimum (top) and its
    distance to its destination in the MLE's standard errors (bottom), per epoch."""
    fig = Figure(figsize=(12, 7.4), layout="constrained")
    axes = fig.subplots(2, len(LOSSES), sharex=True)
    for (top, bottom), loss in zip(axes.T, LOSSES, strict=True):
        floor, target = run.floor(loss), run.destination(loss)
        for descent in (d for d in run.descents if d.loss == loss):
            style = _style(run, descent) | {"linewidth": 2, "label": descent_label(descent)}
            top.plot(_log_gap(run.full_loss(descent) - floor), **style)
            bottom.plot(run.in_se(descent.result.history.params, target), **style)
        bottom.axhline(ARRIVED_SE, color="grey", linestyle=":", linewidth=1.2,
                       label=f"arrived: within {ARRIVED_SE:g} standard error")  # fmt: skip
        where = "the MLE" if loss == "bce" else "MSE's own minimum"
        top.set(yscale="log", ylabel=f"{loss_label(loss)} loss − its minimum",
                title=f"{loss_label(loss)}: loss above its minimum (log scale)")  # fmt: skip
        bottom.set(yscale="log", xlabel="epoch", ylabel="distance (standard errors)",
                   title=f"{loss_label(loss)}: distance to {where}")  # fmt: skip
        for ax in (top, bottom):
            ax.grid(alpha=0.3, which="both")
    figure_legend(fig, bottom, ncols=5)
    fig.suptitle("The eight descents per epoch: a flat line is a descent that does not move")
    return fig


def batch_colors(count: int) -> list[tuple[float, ...]]:
    """Colours of `count` batch sizes, largest first: dark to light along plasma, apart
    from the optimizers' colours and the full batch's black."""
    return [colormaps["plasma"](v) for v in np.linspace(0.2, 0.8, count)]


def plot_minibatches(run: OptimizersRun) -> Figure:
    """Per loss (rows), the loss above its minimum against epochs (left) and against
    seconds of measured wall time (right, log scale): full batch and each batch size, the
    noisiest drawn first so the full batch stays on top."""
    fig = Figure(figsize=(12, 8), layout="constrained")
    axes = fig.subplots(len(LOSSES), 2, sharey="row")
    n = run.data.n
    for (by_epoch, by_time), loss in zip(axes, LOSSES, strict=True):
        floor = run.floor(loss)
        curves = [d for d in run.batches if d.loss == loss]
        colors = iter(batch_colors(len(curves) - 1))
        styles = [
            {"color": FULL_BATCH_COLOR, "linewidth": 2.4, "zorder": 3}
            if d.batch_size is None
            else {"color": next(colors), "linewidth": 1.2, "alpha": 0.85, "zorder": 2}
            for d in curves
        ]
        for descent, style in reversed(list(zip(curves, styles, strict=True))):
            gap = _log_gap(run.full_loss(descent) - floor)
            epochs = np.arange(len(gap))
            label = (f"{batch_label(descent, n)}: {1e3 * descent.seconds_per_epoch:.3g} ms "
                     "an epoch")  # fmt: skip
            by_epoch.plot(epochs, gap, label=label, **style)
            by_time.plot(epochs[1:] * descent.seconds_per_epoch, gap[1:], **style)
        name = loss_label(loss)
        by_epoch.set(yscale="log", xlabel="epoch", ylabel=f"{name} loss − its minimum",
                     title=f"{name}: per epoch")  # fmt: skip
        by_time.set(xscale="log", xlabel="seconds (measured wall time, log scale)",
                    title=f"{name}: per second of computing")  # fmt: skip
        handles, labels = by_epoch.get_legend_handles_labels()
        by_time.legend(handles[::-1], labels[::-1], fontsize=LEGEND_SIZE - 1, loc="upper left",
                       bbox_to_anchor=(1.02, 1), frameon=False)  # fmt: skip
        for ax in (by_epoch, by_time):
            ax.grid(alpha=0.3, which="both")
    start = start_label(run.config.far_start)
    engine = run.batches[0].result.engine
    fig.suptitle(f"{optimizer_label(BATCH_OPTIMIZER)} from {start}, lr {run.config.lr:g}: "
                 f"mini-batches against the full batch ({engine} engine)")  # fmt: skip
    return fig


#: File name -> (figure function, caption): what the command writes and the report shows.
FIGURES = {
    "trajectories.png": (
        plot_trajectories,
        "Every descent on the BCE and the MSE landscape (inset: the end, magnified)",
    ),
    "loss_curves.png": (
        plot_loss_curves,
        "Each descent's loss above its minimum and distance to its destination, per epoch",
    ),
    "minibatches.png": (
        plot_minibatches,
        "Mini-batches against the full batch, per epoch and per second",
    ),
}
