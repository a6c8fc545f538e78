"""The lecture's figures, built on `matplotlib.figure.Figure` directly.

No pyplot: importing this module sets no backend and opens no window, and every function
returns a Figure for the caller to show (a notebook displays it) or save.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import cycle

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .data import Dataset
from .errors import ConfigError, DataError

#: Line colours for fitted curves: the default cycle without blue (the points) and red (truth).
_CURVE_COLORS = ("C1", "C2", "C4", "C5", "C6", "C8", "C9")


def _data_axes(data: Dataset, title: str, alpha: float) -> tuple[Figure, Axes]:
    """Faint points and, when known, the true pi(x) in red, drawn above any fitted curve."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    x = data.x[:, 0].numpy()
    ax.scatter(x, data.y[:, 0].numpy(), s=12, color="C0", alpha=alpha, label="observed y (0/1)")
    if data.pi is not None:
        ax.plot(x, data.pi[:, 0].numpy(), "--r", linewidth=2, zorder=3, label="true π(x)")
    ax.set(title=title, xlabel="x", ylabel="y  /  P(y = 1 | x)", ylim=(-0.05, 1.05))
    return fig, ax


def _legend(ax: Axes) -> None:
    """A legend whose point marker stays visible even though the points are nearly transparent."""
    legend = ax.legend(loc="upper left")
    for handle in legend.legend_handles:
        handle.set_alpha(1)


def plot_data(data: Dataset) -> Figure:
    """The simulated data as the lecture first shows it: points (alpha 0.05) and the true curve."""
    fig, ax = _data_axes(data, f"Simulated data (n = {data.n})", alpha=0.05)
    _legend(ax)
    return fig


def plot_fit(
    data: Dataset,
    curves: Mapping[str, np.ndarray],
    title: str,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """The data with fitted probability curves over it, to see how close each fit gets to pi(x).

    Each curve holds one probability per observation, in the order of data.x. `colors` pins a
    curve's colour by label, so the same fit looks the same in every figure.
    """
    fig, ax = _data_axes(data, title, alpha=0.02)
    x = data.x[:, 0].numpy()
    for (label, curve), default in zip(curves.items(), cycle(_CURVE_COLORS)):
        color = (colors or {}).get(label, default)
        values = np.asarray(curve, dtype=float).reshape(-1)
        if values.shape[0] != data.n:
            raise DataError(f"curve {label!r} has {values.shape[0]} values; expected {data.n}")
        ax.plot(x, values, color=color, linewidth=2, label=label)
    _legend(ax)
    return fig


def plot_loss_history(histories: Mapping[str, np.ndarray]) -> Figure:
    """Loss per epoch, one panel per loss: BCE and MSE live on different scales."""
    if not histories:
        raise ConfigError("no loss histories to plot")
    fig = Figure(figsize=(4.5 * len(histories), 3.8), layout="constrained")
    axes = fig.subplots(1, len(histories), sharex=True, squeeze=False)[0]
    for ax, (name, loss) in zip(axes, histories.items(), strict=True):
        values = np.asarray(loss, dtype=float).reshape(-1)
        ax.plot(np.arange(values.shape[0]), values, color="C0", linewidth=1.5)
        ax.set(title=f"{name.upper()} loss", xlabel="epoch", ylabel=f"{name.upper()} loss")
        ax.grid(alpha=0.3)
    fig.suptitle("Training loss per epoch")
    return fig
