"""The lecture's figures — data, fits, loss history — built on `matplotlib.figure.Figure`.

No pyplot: importing this module sets no backend and opens no window, and every function
returns a Figure for the caller to show (a notebook displays it) or save.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import cycle

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..data import Dataset
from ..errors import ConfigError, DataError
from .style import (
    BIN_COLOR,
    DATA_COLOR,
    FIT_COLORS,
    LOSS_COLORS,
    MLE_COLOR,
    MLE_LABEL,
    OTHER_COLORS,
    TRUTH_COLOR,
    loss_label,
)

#: z of a two-sided 95% interval.
Z95 = 1.959963984540054
#: Line widths: fits drawn wide underneath, the truth and the MLE thin on top, so a fit that
#: lies on the truth shows as a band around the dashes instead of vanishing under them. The
#: first curve (BCE in the lecture) lies on top of the later ones.
FIT_WIDTH, TRUTH_WIDTH, MLE_WIDTH = 5.0, 1.6, 1.6


def point_alpha(n: int, scale: float = 1.0) -> float:
    """Opacity of each of n 0/1 points: about 100 points' worth of ink, so the lecture's 0.05
    at n = 2,000 and more opaque on smaller data; between 0.01 and 0.6 (times `scale`)."""
    return float(np.clip(100.0 / max(n, 1), 0.01, 0.6)) * scale


def bin_count(n: int) -> int:
    """How many bins of x show the share of y = 1: one per ~25 points, 5 to 20 (at most n)."""
    return max(1, min(n, max(5, min(20, n // 25))))


@dataclass(frozen=True)
class Bins:
    """Equal-count bins of x: mean x, share of y = 1, its 95% Wilson interval, the count."""

    x: np.ndarray
    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray


def binned_proportions(x: object, y: object, bins: int | None = None) -> Bins:
    """Sort by x, cut into `bins` groups of (nearly) equal size, and give each group's mean x
    and share of y = 1 with its 95% Wilson score interval (which stays inside [0, 1] and is
    not empty when a bin holds only 0s or only 1s)."""
    x = np.asarray(x, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    groups = np.array_split(np.argsort(x, kind="stable"), bins or bin_count(len(x)))
    groups = [g for g in groups if len(g)]
    count = np.array([len(g) for g in groups], dtype=float)
    share = np.array([y[g].mean() for g in groups])
    centre = (share + Z95**2 / (2 * count)) / (1 + Z95**2 / count)
    half = (Z95 / (1 + Z95**2 / count)) * np.sqrt(
        share * (1 - share) / count + Z95**2 / (4 * count**2)
    )
    return Bins(
        x=np.array([x[g].mean() for g in groups]),
        share=share,
        low=np.clip(centre - half, 0.0, share),  # the interval holds the share; rounding too
        high=np.clip(centre + half, share, 1.0),
        count=count.astype(int),
    )


def draw_bins(ax: Axes, data: Dataset) -> None:
    """The share of y = 1 in bins of x with 95% intervals: the sigmoid the points make."""
    b = binned_proportions(data.x[:, 0].numpy(), data.y[:, 0].numpy())
    ax.errorbar(
        b.x,
        b.share,
        yerr=np.maximum(0.0, (b.share - b.low, b.high - b.share)),  # rounding: never < 0
        fmt="o",
        color=BIN_COLOR,
        markersize=4,
        elinewidth=1,
        capsize=2,
        zorder=4,
        label=f"share of y = 1 in {len(b.x)} bins of x (95% interval)",
    )


def draw_data(
    ax: Axes, data: Dataset, *, alpha: float | None = None, size: float = 12, bins: bool = True
) -> None:
    """0/1 points (opacity from point_alpha(n) unless given), the binned share of y = 1, and,
    when known, the true pi(x) as thin red dashes above any fitted curve; all in x order."""
    x = data.x[:, 0].numpy()
    order = np.argsort(x, kind="stable")
    ax.scatter(
        x,
        data.y[:, 0].numpy(),
        s=size,
        color=DATA_COLOR,
        alpha=point_alpha(data.n) if alpha is None else alpha,
        label="observed y (0/1)",
    )
    if data.pi is not None:
        ax.plot(x[order], data.pi[:, 0].numpy()[order], "--", color=TRUTH_COLOR,
                linewidth=TRUTH_WIDTH, zorder=3, label="true π(x)")  # fmt: skip
    if bins:
        draw_bins(ax, data)
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
    """The data as the lecture first shows it: points (alpha 0.05 at n = 2,000, more opaque
    for fewer), the share of y = 1 per bin of x, and the true curve.

    Parameters
    ----------
    data : Dataset
        The lecture's data (one feature; the true curve drawn when pi is known).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, neither saved nor shown.
    """
    fig, ax = _data_axes(data, f"Simulated data (n = {data.n:,})", alpha=point_alpha(data.n))
    data_legend(ax)
    return fig


def _curve_values(data: Dataset, label: str, curve: object) -> np.ndarray:
    values = np.asarray(curve, dtype=float).reshape(-1)
    if values.shape[0] != data.n:
        raise DataError(f"curve {label!r} has {values.shape[0]} values; expected {data.n}")
    return values


def plot_fit(
    data: Dataset,
    curves: Mapping[str, np.ndarray],
    title: str,
    colors: Mapping[str, str] | None = None,
    *,
    mle: np.ndarray | None = None,
) -> Figure:
    """The data with fitted probability curves over it, to see how close each fit gets to pi(x).

    Parameters
    ----------
    data : Dataset
        The data, one feature.
    curves : mapping of str to numpy.ndarray
        Each curve by its label: one probability per observation, in the order of data.x
        (drawn sorted by x, whatever the data's order).
    title : str
        The figure's title.
    colors : mapping of str to str, optional
        Pins a curve's colour by label (default: the loss colours of style.FIT_COLORS), so the
        same fit looks the same in every figure.
    mle : numpy.ndarray, optional
        The maximum-likelihood curve, drawn thin and dotted in black above the fits.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the points and the curves, sorted by x.

    Raises
    ------
    DataError
        When a curve holds another number of values than data has points.
    """
    fig, ax = _data_axes(data, title, alpha=point_alpha(data.n, 0.5))
    x = data.x[:, 0].numpy()
    order = np.argsort(x, kind="stable")
    colors = FIT_COLORS if colors is None else colors
    for k, ((label, curve), default) in enumerate(zip(curves.items(), cycle(OTHER_COLORS))):
        values = _curve_values(data, label, curve)
        ax.plot(x[order], values[order], color=colors.get(label, default), linewidth=FIT_WIDTH,
                solid_capstyle="butt", zorder=2.5 - k / 100, label=label)  # fmt: skip
    if mle is not None:
        values = _curve_values(data, MLE_LABEL, mle)
        ax.plot(x[order], values[order], ":", color=MLE_COLOR, linewidth=MLE_WIDTH, zorder=3.5,
                label=MLE_LABEL)  # fmt: skip
    data_legend(ax)
    return fig


def plot_loss_history(
    histories: Mapping[str, np.ndarray], floors: Mapping[str, float] | None = None
) -> Figure:
    """Loss per epoch, one column per loss (BCE and MSE live on different scales).

    Top row: the loss itself. Bottom row: how far it still is from its minimum, on a log
    scale, so the slow approach after the first thousand epochs stays visible.

    Parameters
    ----------
    histories : mapping of str to numpy.ndarray
        Each loss's value per epoch, by the loss's name ('bce', 'mse' or another label).
    floors : mapping of str to float, optional
        Each loss's minimum (BCE's is the loss at the MLE); without one, the last value serves.

    Returns
    -------
    matplotlib.figure.Figure
        A column per loss, two rows.

    Raises
    ------
    ConfigError
        When histories is empty.
    """
    if not histories:
        raise ConfigError("no loss histories to plot")
    floors = floors or {}
    fig = Figure(figsize=(4.8 * len(histories), 6.2), layout="constrained")
    axes = fig.subplots(2, len(histories), sharex=True, squeeze=False)
    for (top, bottom), (name, loss) in zip(axes.T, histories.items(), strict=True):
        values = np.asarray(loss, dtype=float).reshape(-1)
        epochs = np.arange(values.shape[0])
        color = LOSS_COLORS.get(name, DATA_COLOR)
        label = loss_label(name) if name in LOSS_COLORS else name
        top.plot(epochs, values, color=color, linewidth=1.5)
        top.set(title=f"{label} loss", ylabel=f"{label} loss")
        if name in floors:
            gap, what = values - floors[name], f"{label} − its minimum"
        else:
            gap, what = values[:-1] - values[-1], f"{label} − its last value"
        gap = np.where(gap > 0, gap, np.nan)  # a log axis shows only what is above the floor
        bottom.plot(epochs[: len(gap)], gap, color=color, linewidth=1.5)
        bottom.set(yscale="log", xlabel="epoch", ylabel=what, title=f"{what} (log scale)")
        for ax in (top, bottom):
            ax.grid(alpha=0.3, which="both")
    fig.suptitle("Training loss per epoch")
    return fig
