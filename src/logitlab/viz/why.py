"""Figures for "why BCE and not MSE": landscapes, curvature, convergence, the MSE plateau.

Matplotlib's object-oriented API only (no pyplot); every function returns a Figure and saves
nothing, so the lecture report, the `landscape` command and a notebook can all use them.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ..config import LOSSES
from ..model import probabilities
from ..stats.landscape import Surface
from ..studies.why import TOLERANCES, Race, WhyNotMSE
from .lecture import data_legend, draw_data
from .style import LOSS_COLORS, TRUTH_COLOR, loss_label


def contour_axes(ax: Axes, surf: Surface) -> None:
    """Filled contours of a loss on log-spaced levels: the valley floor and the far flanks."""
    W0, W1 = surf.mesh()
    levels = np.geomspace(surf.loss.min(), surf.loss.max(), 30)
    ax.contourf(W0, W1, surf.loss, levels=levels, cmap="viridis", alpha=0.85)
    ax.contour(W0, W1, surf.loss, levels=levels[::3], colors="white", linewidths=0.4)
    ax.set(xlabel="w0 (intercept)", ylabel="w1 (slope)")


def _paths(ax: Axes, race: Race, upto: int | None = None) -> None:
    """Both losses' gradient-descent paths from the race's start (up to epoch `upto`)."""
    for loss, fitted in race.fits.items():
        path = fitted.history.params[: None if upto is None else upto + 1]
        ax.plot(path[:, 0], path[:, 1], color=LOSS_COLORS[loss], linewidth=2, label=f"GD on {loss}")
        ax.plot(*path[-1], "o", color=LOSS_COLORS[loss], markersize=5)


def _marks(ax: Axes, why: WhyNotMSE, start: np.ndarray) -> None:
    """The start, the true parameters and the MLE."""
    ax.plot(*start, "ko", markersize=6, label="start")
    ax.plot(*why.truth, "*", color=TRUTH_COLOR, markersize=13, label="truth")
    ax.plot(*why.mle.coef, "wX", markeredgecolor="k", markersize=9, label="MLE")


def plot_landscapes(why: WhyNotMSE) -> Figure:
    """BCE and MSE over (w0, w1), each with both losses' gradient-descent paths."""
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    for ax, loss in zip(fig.subplots(1, 2), LOSSES, strict=True):
        contour_axes(ax, why.surfaces[loss])
        _paths(ax, why.lecture)
        _marks(ax, why, why.lecture.start)
        ax.set_title(f"{loss_label(loss)} loss landscape")
    ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Gradient descent from the lecture's start, {why.epochs:,} epochs")
    return fig


def plot_surfaces(why: WhyNotMSE) -> Figure:
    """3-D views of both landscapes with each loss's path lying on its own surface."""
    fig = Figure(figsize=(12, 5.2), layout="constrained")
    for k, loss in enumerate(LOSSES):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        surf = why.surfaces[loss]
        W0, W1 = surf.mesh()
        ax.plot_surface(W0, W1, surf.loss, cmap="viridis", alpha=0.75, linewidth=0)
        fitted = why.lecture.fits[loss]
        path = fitted.history.params[:-1]
        ax.plot(path[:, 0], path[:, 1], fitted.history.loss, color="r", linewidth=2)
        ax.set(
            title=f"{loss_label(loss)}", xlabel="w0", ylabel="w1", zlabel=f"{loss_label(loss)} loss"
        )
        ax.view_init(elev=35, azim=-60)
    fig.suptitle("The two loss surfaces (red: the gradient-descent path)")
    return fig


def plot_curvature(why: WhyNotMSE) -> Figure:
    """The Hessian's smallest eigenvalue: never negative for BCE, negative on MSE's flanks."""
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    axes = fig.subplots(1, 2)
    scale = max(abs(s.min_eigenvalue).max() for s in why.surfaces.values())
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-scale, vmax=scale)
    for ax, loss in zip(axes, LOSSES, strict=True):
        surf = why.surfaces[loss]
        W0, W1 = surf.mesh()
        mesh = ax.pcolormesh(W0, W1, surf.min_eigenvalue, cmap="RdBu", norm=norm)
        if surf.min_eigenvalue.min() < 0:
            ax.contour(W0, W1, surf.min_eigenvalue, levels=[0.0], colors="k", linewidths=1)
        _marks(ax, why, why.lecture.start)
        lowest = surf.min_eigenvalue.min()
        ax.set(
            title=f"{loss_label(loss)}: smallest eigenvalue {lowest:.2g}", xlabel="w0", ylabel="w1"
        )
    fig.colorbar(mesh, ax=axes, label="smallest Hessian eigenvalue (< 0: not convex)")
    fig.suptitle("Curvature: BCE is convex everywhere, MSE is not (black line: eigenvalue 0)")
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
    ax.legend()
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
                    fontsize=8,
                    color=LOSS_COLORS[loss],
                )
    for tol in TOLERANCES:
        ax.axhline(tol, color="grey", linestyle=":", linewidth=1)
    floor = np.linalg.norm(why.mse_minimum - why.mle.coef)
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
    ax.legend()
    return fig


def plot_plateau(why: WhyNotMSE) -> Figure:
    """The far start: paths on the MSE landscape, and the curves each loss ends with."""
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    contour_axes(left, why.plateau_surfaces["mse"])
    _paths(left, why.plateau)
    _marks(left, why, why.plateau.start)
    left.set_title("MSE landscape: MSE stalls on the plateau, BCE walks to the MLE")
    moved = np.linalg.norm(why.plateau.fits["mse"].params - why.plateau.start)
    left.annotate(
        f"MSE moved {moved:.2g}\nin {why.epochs:,} epochs",
        why.plateau.start,
        textcoords="offset points",
        xytext=(-10, 25),
        ha="right",
        color="w",
    )
    left.legend(loc="lower left", fontsize=8)
    x = why.data.x[:, 0].numpy()
    draw_data(right, why.data, alpha=0.03, size=10)
    right.plot(x, probabilities(why.plateau.start, x), "k:", label="start")
    for loss, fitted in why.plateau.fits.items():
        right.plot(
            x,
            probabilities(fitted.params, x),
            color=LOSS_COLORS[loss],
            linewidth=2,
            label=f"{loss_label(loss)} after {fitted.epochs:,} epochs",
        )
    right.set_title("Fitted curves from the plateau start")
    data_legend(right, loc="center left", fontsize=8)
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
