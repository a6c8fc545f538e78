"""Figures for "why BCE and not MSE": landscapes, curvature, convergence, the MSE plateau.

Matplotlib's object-oriented API only (no pyplot); every function returns a Figure and saves
nothing, so the lecture report, the `landscape` command and a notebook can all use them.
"""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, SymLogNorm
from matplotlib.contour import QuadContourSet
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..config import LOSSES
from ..model import probabilities
from ..stats.landscape import Surface
from ..studies.why import TOLERANCES, Race, WhyNotMSE
from .lecture import FIT_WIDTH, draw_data
from .style import (
    LEGEND_SIZE,
    LOSS_COLORS,
    MLE_LABEL,
    TRUTH_COLOR,
    loss_label,
    path_label,
)

#: How each loss's path is drawn where both share a landscape: BCE wide and solid underneath,
#: MSE narrower and dashed on top, so where the two run together both still show.
PATH_STYLES = {"bce": {"linewidth": 4.0, "linestyle": "-"}, "mse": {"linewidth": 2.2,
               "linestyle": (0, (4, 2))}}  # fmt: skip
#: A thin white edge around paths and markers, to stand out on any colour of the map.
HALO = [patheffects.withStroke(linewidth=1.5, foreground="white")]
#: Marks drawn over every landscape, bottom to top: the truth above the (hollow) MLE ring.
ZORDER = {"path": 5, "end": 6, "start": 7, "mse_minimum": 7, "mle": 8, "truth": 9}


def contour_axes(ax: Axes, surf: Surface) -> QuadContourSet:
    """Filled contours of a loss on log-spaced levels and a log colour scale, so the valley
    floor and the far flanks both get colours; returns the filled set for a colour bar."""
    W0, W1 = surf.mesh()
    lo, hi = surf.loss.min(), surf.loss.max()
    levels = np.geomspace(lo, hi, 30)
    filled = ax.contourf(W0, W1, surf.loss, levels=levels, cmap="viridis",
                         norm=LogNorm(vmin=lo, vmax=hi))  # fmt: skip
    ax.contour(W0, W1, surf.loss, levels=levels[::3], colors="white", linewidths=0.4, alpha=0.6)
    ax.set(xlabel="w0 (intercept)", ylabel="w1 (slope)")
    return filled


def nice_log_ticks(lo: float, hi: float) -> list[float]:
    """1, 2 and 5 times powers of ten between lo and hi (both ends kept if few fall inside)."""
    powers = 10.0 ** np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    ticks = [t for p in powers for t in (p, 2 * p, 5 * p) if lo <= t <= hi]
    return ticks if len(ticks) >= 3 else sorted({lo, *ticks, hi})


def loss_colorbar(fig: Figure, filled: QuadContourSet, ax: Axes, loss: str) -> None:
    """The colour scale of one loss landscape, labelled with the loss, at round values."""
    bar = fig.colorbar(filled, ax=ax, label=f"{loss_label(loss)} loss (log scale)", pad=0.02)
    bar.set_ticks(nice_log_ticks(*filled.get_clim()), labels=None)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    bar.ax.minorticks_off()


def zoom_box(why: WhyNotMSE, race: Race) -> tuple[tuple[float, float], tuple[float, float]]:
    """Square limits around the MLE holding the truth, MSE's own minimum and the ends of the
    paths that came near (within 1.5; a path stalled far away is seen on the whole map)."""
    centre = why.mle.params[:2]
    ends = [f.params[:2] for f in race.fits.values()]
    near = [end for end in ends if np.abs(end - centre).max() <= 1.5]
    points = np.vstack([why.truth[:2], why.mse_minimum[:2], *near])
    half = max(0.25, 1.2 * float(np.abs(points - centre).max()))
    return (centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half)


def _zoom(ax: Axes, why: WhyNotMSE, race: Race, surf: Surface) -> Axes:
    """An inset magnifying the end of the descent, where the truth, the MLE, MSE's minimum and
    both paths' ends lie too close together to tell apart at the scale of the whole map."""
    inset = ax.inset_axes((0.56, 0.56, 0.42, 0.42))
    contour_axes(inset, surf)
    _paths(inset, race)
    _marks(inset, why, race.start)
    frame_inset(ax, inset, *zoom_box(why, race))
    return inset


def frame_inset(
    ax: Axes, inset: Axes, xlim: tuple[float, float], ylim: tuple[float, float]
) -> None:
    """Show `inset` as a magnified box of `ax`: its limits, white ticks outlined in black so
    they read on any colour of the map, and lines to the region it magnifies."""
    inset.set(xlim=xlim, ylim=ylim, xlabel="", ylabel="", title="")
    inset.tick_params(labelsize=7, colors="white", labelcolor="white")
    outline = [patheffects.withStroke(linewidth=2, foreground="black")]
    for label in (*inset.get_xticklabels(), *inset.get_yticklabels()):
        label.set_path_effects(outline)
    for spine in inset.spines.values():
        spine.set_edgecolor("white")
    ax.indicate_inset_zoom(inset, edgecolor="white", alpha=0.9)


def _paths(ax: Axes, race: Race, upto: int | None = None) -> None:
    """Both losses' gradient-descent paths from the race's start (up to epoch `upto`), each
    ending in a dot of its colour."""
    for loss, fitted in race.fits.items():
        path = fitted.history.params[: None if upto is None else upto + 1]
        color = LOSS_COLORS[loss]
        ax.plot(path[:, 0], path[:, 1], color=color, label=path_label(loss),
                zorder=ZORDER["path"], path_effects=HALO, **PATH_STYLES[loss])  # fmt: skip
        ax.plot(*path[-1], "o", color=color, markersize=7, markeredgecolor="k",
                zorder=ZORDER["end"])  # fmt: skip


def mark_points(
    ax: Axes,
    start: np.ndarray,
    truth: np.ndarray,
    mle: np.ndarray,
    mse_minimum: np.ndarray | None = None,
) -> None:
    """The start, MSE's own minimum, the MLE (a hollow ring) and the truth (a star drawn on
    top, so the two stay visible where they nearly coincide), labelled for a legend."""
    ax.plot(*start[:2], "o", color="k", markeredgecolor="w", markersize=8, label="start",
            zorder=ZORDER["start"])  # fmt: skip
    if mse_minimum is not None:
        ax.plot(*mse_minimum[:2], "D", color=LOSS_COLORS["mse"], markeredgecolor="k",
                markersize=8, label=f"{loss_label('mse')}'s own minimum",
                zorder=ZORDER["mse_minimum"])  # fmt: skip
    ax.plot(*mle[:2], "o", markerfacecolor="none", markeredgecolor="k", markeredgewidth=2,
            markersize=15, path_effects=HALO, label=f"{MLE_LABEL} (maximum likelihood)",
            zorder=ZORDER["mle"])  # fmt: skip
    ax.plot(*truth[:2], "*", color=TRUTH_COLOR, markeredgecolor="k", markeredgewidth=0.6,
            markersize=12, label="truth", zorder=ZORDER["truth"])  # fmt: skip


def _marks(ax: Axes, why: WhyNotMSE, start: np.ndarray) -> None:
    """mark_points for a why-not-MSE analysis, MSE's own minimum included."""
    mark_points(ax, start, why.truth, why.mle.params, why.mse_minimum)


def figure_legend(fig: Figure, ax: Axes, ncols: int = 4) -> None:
    """One legend for the whole figure, under the panels, in a size a classroom can read."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(unique.values(), unique.keys(), loc="outside lower center", ncols=ncols,
               fontsize=LEGEND_SIZE, frameon=False)  # fmt: skip


def plot_landscapes(why: WhyNotMSE) -> Figure:
    """BCE and MSE over (w0, w1), each with both losses' gradient-descent paths."""
    fig = Figure(figsize=(12, 5.8), layout="constrained")
    for ax, loss in zip(fig.subplots(1, 2), LOSSES, strict=True):
        loss_colorbar(fig, contour_axes(ax, why.surfaces[loss]), ax, loss)
        _paths(ax, why.lecture)
        _marks(ax, why, why.lecture.start)
        _zoom(ax, why, why.lecture, why.surfaces[loss])
        ax.set_title(f"{loss_label(loss)} loss landscape")
    figure_legend(fig, ax, ncols=3)
    fig.suptitle(f"Gradient descent from the lecture's start, {why.epochs:,} epochs")
    return fig


def plot_surfaces(why: WhyNotMSE) -> Figure:
    """3-D views of both landscapes with each loss's path lying on its own surface, drawn
    over it (not depth-sorted into it, where the surface would hide it)."""
    fig = Figure(figsize=(12, 5.6), layout="constrained")
    for k, loss in enumerate(LOSSES):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d", computed_zorder=False)
        surf = why.surfaces[loss]
        W0, W1 = surf.mesh()
        ax.plot_surface(W0, W1, surf.loss, cmap="viridis", alpha=0.6, linewidth=0, zorder=1,
                        norm=LogNorm(vmin=surf.loss.min(), vmax=surf.loss.max()))  # fmt: skip
        fitted = why.lecture.fits[loss]
        path = fitted.history.params[:-1]
        ax.plot(path[:, 0], path[:, 1], fitted.history.loss, color=TRUTH_COLOR, linewidth=3,
                zorder=10, path_effects=HALO, label="gradient-descent path")  # fmt: skip
        ax.plot(*path[0], fitted.history.loss[0], "o", color="k", markeredgecolor="w",
                markersize=8, zorder=11, label="start")  # fmt: skip
        ax.plot(*path[-1], fitted.history.loss[-1], "o", color=TRUTH_COLOR, markeredgecolor="k",
                markersize=8, zorder=11, label=f"after {why.epochs:,} epochs")  # fmt: skip
        ax.set(title=f"{loss_label(loss)}", xlabel="w0", ylabel="w1",
               zlabel=f"{loss_label(loss)} loss")  # fmt: skip
        ax.view_init(elev=35, azim=-60)
    figure_legend(fig, ax, ncols=3)
    fig.suptitle("The two loss surfaces, each with its own gradient-descent path (red)")
    return fig


def plot_curvature(why: WhyNotMSE) -> Figure:
    """The Hessian's smallest eigenvalue: never negative for BCE, negative on MSE's flanks.

    A symmetric log colour scale: BCE's eigenvalues fall off fast away from the valley but stay
    positive, and on a linear scale they all looked like 0 (white).
    """
    fig = Figure(figsize=(12, 5.4), layout="constrained")
    axes = fig.subplots(1, 2)
    scale = max(abs(s.min_eigenvalue).max() for s in why.surfaces.values())
    norm = SymLogNorm(linthresh=scale * 1e-3, linscale=0.3, vmin=-scale, vmax=scale)
    for ax, loss in zip(axes, LOSSES, strict=True):
        surf = why.surfaces[loss]
        W0, W1 = surf.mesh()
        mesh = ax.pcolormesh(W0, W1, surf.min_eigenvalue, cmap="RdBu", norm=norm)
        if surf.min_eigenvalue.min() < 0:
            ax.contour(W0, W1, surf.min_eigenvalue, levels=[0.0], colors="k", linewidths=1.5)
        _marks(ax, why, why.lecture.start)
        lowest = surf.min_eigenvalue.min()
        ax.set(
            title=f"{loss_label(loss)}: smallest eigenvalue {lowest:.2g}", xlabel="w0", ylabel="w1"
        )
    bar = fig.colorbar(mesh, ax=axes, label="smallest Hessian eigenvalue (symmetric log "
                       "scale)\nblue > 0: convex there; red < 0: not convex")  # fmt: skip
    powers = 10.0 ** np.arange(np.ceil(np.log10(norm.linthresh)), np.floor(np.log10(scale)) + 1)
    bar.set_ticks([*(-powers[::-1]), 0.0, *powers])
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    bar.ax.minorticks_off()
    figure_legend(fig, ax, ncols=4)
    fig.suptitle(f"Curvature: {why.convexity()} (black line: eigenvalue 0)")
    return fig


def plot_gradient_norms(why: WhyNotMSE) -> Figure:
    """|gradient| along each path: from the lecture's start and from the plateau start."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    for ax, (title, race) in zip(
        fig.subplots(1, 2, sharey=True),
        (("from the lecture's start", why.lecture), ("from the plateau start", why.plateau)),
        strict=True,
    ):
        for loss, norms in race.grad_norms.items():
            ax.plot(norms, color=LOSS_COLORS[loss], label=loss_label(loss))
        w0, w1 = race.start
        ax.set(title=f"{title} ({w0:.3g}, {w1:.3g})", xlabel="epoch", yscale="log")
        ax.grid(alpha=0.3)
    ax.legend(fontsize=LEGEND_SIZE)
    fig.axes[0].set_ylabel("|gradient| of the loss")
    fig.suptitle("Gradient norm along the gradient-descent path")
    return fig


def plot_convergence(why: WhyNotMSE) -> Figure:
    """Distance to the MLE per epoch (log scale), with the epochs to 1e-2 and 1e-3 marked."""
    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.subplots()
    for loss in LOSSES:
        ax.plot(why.distances(loss), color=LOSS_COLORS[loss], linewidth=2, label=loss_label(loss))
        for tol in TOLERANCES:
            epoch = why.epochs_to(loss, tol)
            if epoch is not None:
                ax.plot(epoch, tol, "o", color=LOSS_COLORS[loss])
                ax.annotate(
                    f"{epoch:,}",
                    (epoch, tol),
                    textcoords="offset points",
                    xytext=(-6, 6),
                    ha="right",
                    fontsize=10,
                    color=LOSS_COLORS[loss],
                )
    for tol in TOLERANCES:
        ax.axhline(tol, color="grey", linestyle=":", linewidth=1)
    floor = np.linalg.norm(why.mse_minimum - why.mle.params)
    ax.axhline(
        floor,
        color=LOSS_COLORS["mse"],
        linestyle="--",
        linewidth=1,
        label=f"MSE's own minimum: {floor:.2g} from the MLE",
    )
    ax.set(
        yscale="log",
        xlabel="epoch",
        ylabel="|w - MLE|",
        title="Distance to the maximum-likelihood estimate",
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=LEGEND_SIZE)
    return fig


def _legend_below(ax: Axes, ncols: int, **kwargs: object) -> None:
    """The panel's legend under it, out of the way of what it explains."""
    legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=ncols,
                       fontsize=LEGEND_SIZE - 1, frameon=False, **kwargs)  # fmt: skip
    for handle in legend.legend_handles:  # keep faint points' marker visible in the key
        handle.set_alpha(1)


def plot_plateau(why: WhyNotMSE) -> Figure:
    """The far start: paths on the MSE landscape, and the curves each loss ends with."""
    fig = Figure(figsize=(13, 6.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    loss_colorbar(fig, contour_axes(left, why.plateau_surfaces["mse"]), left, "mse")
    _paths(left, why.plateau)
    _marks(left, why, why.plateau.start)
    _zoom(left, why, why.plateau, why.plateau_surfaces["mse"])
    left.set_title(
        f"MSE landscape: MSE {why.plateau_outcome('mse')}, BCE {why.plateau_outcome('bce')}"
    )
    moved = np.linalg.norm(why.plateau.fits["mse"].params - why.plateau.start)
    left.annotate(
        f"MSE moved {moved:.2g}\nin {why.epochs:,} epochs",
        why.plateau.start,
        textcoords="offset points",
        xytext=(-20, 45),
        ha="right",
        color="w",
        fontsize=LEGEND_SIZE,
        path_effects=[patheffects.withStroke(linewidth=2, foreground="k")],
    )
    _legend_below(left, ncols=2)
    x = why.data.x[:, 0].numpy()
    grid_x = np.sort(x)
    draw_data(right, why.data, size=10)
    right.plot(grid_x, probabilities(why.plateau.start, grid_x), "k:", zorder=3.5, label="start")
    for loss, fitted in why.plateau.fits.items():
        right.plot(
            grid_x,
            probabilities(fitted.params, grid_x),
            color=LOSS_COLORS[loss],
            linewidth=FIT_WIDTH,
            solid_capstyle="butt",
            label=f"{loss_label(loss)} after {fitted.epochs:,} epochs",
        )
    right.set_title("Fitted curves from the plateau start")
    _legend_below(right, ncols=2)
    w0, w1 = why.plateau.start
    fig.suptitle(f"The MSE plateau: start (w0, w1) = ({w0:g}, {w1:g}), where the sigmoid saturates")
    return fig


#: File name -> (figure function, caption): what the `landscape` command and the report show.
FIGURES = {
    "landscape_contours.png": (
        plot_landscapes,
        "BCE and MSE loss landscapes with both gradient-descent paths",
    ),
    "landscape_surfaces.png": (plot_surfaces, "The two loss surfaces in 3-D"),
    "curvature.png": (plot_curvature, "Smallest Hessian eigenvalue: BCE convex, MSE not"),
    "gradient_norms.png": (plot_gradient_norms, "Gradient norm along each path"),
    "convergence.png": (plot_convergence, "Distance to the MLE per epoch"),
    "plateau.png": (plot_plateau, "The MSE plateau: a far start where MSE stalls"),
}
