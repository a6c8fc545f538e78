"""The lecture's figures — data, fits, loss history — built on `matplotlib.figure.Figure`.

No pyplot: importing this module sets no backend and opens no window, and every function
returns a Figure for the caller to show (a notebook displays it) or save.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import cycle

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..data import Dataset
from ..errors import ConfigError, DataError
from .style import DATA_COLOR, FIT_COLORS, LOSS_COLORS, OTHER_COLORS, TRUTH_COLOR, loss_label


def draw_data(ax: Axes, data: Dataset, *, alpha: float, size: float = 12) -> None:
    """Faint 0/1 points and, when known, the true pi(x) as red dashes above any fitted curve."""
    x = data.x[:, 0].numpy()
    ax.scatter(
        x, data.y[:, 0].numpy(), s=size, color=DATA_COLOR, alpha=alpha, label="observed y (0/1)"
    )
    if data.pi is not None:
        ax.plot(x, data.pi[:, 0].numpy(), "--", color=TRUTH_COLOR, linewidth=2, zorder=3,
                label="true π(x)")  # fmt: skip
    ax.set(xlabel="x", ylabel="y  /  P(y = 1 | x)", ylim=(-0.05, 1.05))


def _data_axes(data: Dataset, title: str, alpha: float) -> tuple[Figure, Axes]:
    """One axes with the data drawn on it."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    draw_data(ax, data, alpha=alpha)
    ax.set_title(title)
    return fig, ax


def data_legend(ax: Axes, loc: str = "upper left", fontsize: float | None = None) -> None:
    """A legend whose point marker stays visible even though the points are nearly transparent."""
    legend = ax.legend(loc=loc, fontsize=fontsize)
    for handle in legend.legend_handles:
        handle.set_alpha(1)


def plot_data(data: Dataset) -> Figure:
    """The simulated data as the lecture first shows it: points (alpha 0.05) and the true curve."""
    fig, ax = _data_axes(data, f"Simulated data (n = {data.n})", alpha=0.05)
    data_legend(ax)
    return fig


def plot_fit(
    data: Dataset,
    curves: Mapping[str, np.ndarray],
    title: str,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """The data with fitted probability curves over it, to see how close each fit gets to pi(x).

    Each curve holds one probability per observation, in the order of data.x. `colors` pins a
    curve's colour by label (default: the loss colours of style.FIT_COLORS), so the same fit
    looks the same in every figure.
    """
    fig, ax = _data_axes(data, title, alpha=0.02)
    x = data.x[:, 0].numpy()
    colors = FIT_COLORS if colors is None else colors
    for (label, curve), default in zip(curves.items(), cycle(OTHER_COLORS)):
        color = colors.get(label, default)
        values = np.asarray(curve, dtype=float).reshape(-1)
        if values.shape[0] != data.n:
            raise DataError(f"curve {label!r} has {values.shape[0]} values; expected {data.n}")
        ax.plot(x, values, color=color, linewidth=2, label=label)
    data_legend(ax)
    return fig


def plot_loss_history(histories: Mapping[str, np.ndarray]) -> Figure:
    """Loss per epoch, one panel per loss: BCE and MSE live on different scales."""
    if not histories:
        raise ConfigError("no loss histories to plot")
    fig = Figure(figsize=(4.5 * len(histories), 3.8), layout="constrained")
    axes = fig.subplots(1, len(histories), sharex=True, squeeze=False)[0]
    for ax, (name, loss) in zip(axes, histories.items(), strict=True):
        values = np.asarray(loss, dtype=float).reshape(-1)
        color = LOSS_COLORS.get(name, DATA_COLOR)
        ax.plot(np.arange(values.shape[0]), values, color=color, linewidth=1.5)
        label = loss_label(name) if name in ("bce", "mse") else name
        ax.set(title=f"{label} loss", xlabel="epoch", ylabel=f"{label} loss")
        ax.grid(alpha=0.3)
    fig.suptitle("Training loss per epoch")
    return fig
