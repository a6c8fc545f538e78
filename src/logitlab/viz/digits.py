"""Figures of the digits study: which pixels vote for a 3 and which for a 7, how training went,
and the held-out images the model finds hardest.

Matplotlib's object API only; every function returns a Figure and saves nothing.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ..model import probabilities
from ..studies.digits import DIGITS, SIDE, DigitsRun
from .style import LEGEND_SIZE, LOSS_COLORS, OTHER_COLORS

#: Ink as on paper: white background, black strokes.
INK_MAP = "gray_r"
#: Diverging map centred at 0: red pixels vote for a 7, blue ones for a 3, white for neither.
VOTE_MAP = "RdBu_r"
#: How many held-out images the "hardest" figure shows, at most.
HARDEST = 10
TRAIN_COLOR, TEST_COLOR, REFERENCE_COLOR = OTHER_COLORS[0], OTHER_COLORS[1], "black"


def _image(ax: Axes, image: np.ndarray, title: str, **style: object) -> object:
    """An 8 x 8 image with square pixels and no ticks."""
    shown = ax.imshow(image, interpolation="nearest", **style)
    ax.set(title=title, xticks=[], yticks=[])
    return shown


def _votes(fig: Figure, ax: Axes, image: np.ndarray, title: str, label: str) -> None:
    """A signed 8 x 8 image on the diverging map, symmetric about 0, with its colour bar."""
    limit = float(np.abs(image).max()) or 1.0
    shown = _image(ax, image, title, cmap=VOTE_MAP,
                   norm=TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit))  # fmt: skip
    bar = fig.colorbar(shown, ax=ax, shrink=0.8, pad=0.03)
    bar.set_label(label)
    bar.ax.text(0.5, 1.02, f"→ {DIGITS[1]}", transform=bar.ax.transAxes, ha="center", va="bottom")
    bar.ax.text(0.5, -0.02, f"→ {DIGITS[0]}", transform=bar.ax.transAxes, ha="center", va="top")


def plot_weights(run: DigitsRun) -> Figure:
    """The mean 3, the mean 7, their difference and the 64 fitted weights as 8 x 8 images.

    A weight > 0 (red) means ink there raises the odds of a 7; < 0 (blue) of a 3. The
    difference of the means is drawn on the same map: where the two agree, the model learnt
    what an eye would.
    """
    three, seven = (run.mean_image(d) for d in DIGITS)
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    axes = fig.subplots(1, 4)
    for ax, image, digit in ((axes[0], three, DIGITS[0]), (axes[1], seven, DIGITS[1])):
        _image(ax, image, f"mean {digit} (training images)", cmap=INK_MAP, vmin=0, vmax=1)
    _votes(fig, axes[2], seven - three, f"mean {DIGITS[1]} − mean {DIGITS[0]}", "ink difference")
    _votes(fig, axes[3], run.weights, f"weights after {run.fit.epochs:,} epochs",
           "weight (logit per full pixel)")  # fmt: skip
    # Never inked in training: no gradient ever reached them, so they kept the start, 0.
    rows, cols = np.nonzero((three == 0) & (seven == 0))
    axes[3].scatter(cols, rows, marker="x", s=30, color="0.6", linewidths=1,
                    label="blank in every training image")  # fmt: skip
    axes[3].legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), frameon=False,
                   handletextpad=0.2)  # fmt: skip
    fig.suptitle(
        f"Which pixels vote for a {DIGITS[0]} (blue) and which for a {DIGITS[1]} (red); "
        f"intercept {run.fit.intercept:.3g}"
    )
    return fig


def plot_training(run: DigitsRun) -> Figure:
    """Training loss per epoch, and accuracy on the training and held-out images per epoch
    beside scikit-learn's held-out accuracy on the same split. Both on log-scaled epochs:
    the images are sorted out in the first few, the rest only sharpens the probabilities."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, sharex=True)
    # Epoch 0 (all weights 0, every P(7) = 0.5) has no place on a log axis.
    loss = run.losses()
    left.plot(np.arange(1, len(loss)), loss[1:], color=LOSS_COLORS["bce"], linewidth=1.5)
    left.set(yscale="log", ylabel="BCE loss, all training images (log scale)",
             title="Training loss after each epoch")  # fmt: skip
    later = run.curve_epochs > 0
    epochs = run.curve_epochs[later]
    right.plot(epochs, run.train_curve[later], color=TRAIN_COLOR, linewidth=2,
               label="training images")  # fmt: skip
    right.plot(epochs, run.test_curve[later], color=TEST_COLOR, linewidth=2,
               label="held-out images")  # fmt: skip
    right.axhline(run.reference.test.accuracy, color=REFERENCE_COLOR, linestyle="--",
                  linewidth=1, label="scikit-learn, held out")  # fmt: skip
    right.set(ylabel="accuracy (P(7) > 0.5 predicts a 7)", title="Accuracy after each epoch")
    right.legend(fontsize=LEGEND_SIZE, loc="lower right")
    for ax in (left, right):
        ax.set(xscale="log", xlabel="epoch (log scale)")
        ax.grid(alpha=0.3, which="both")
    return fig


def hardest(run: DigitsRun, count: int = HARDEST) -> tuple[np.ndarray, np.ndarray]:
    """The held-out rows the model is least sure of on the right side (wrong ones first, by
    how wrong), and their P(7)."""
    rows = np.flatnonzero(run.test)
    p = probabilities(run.fit.params, run.data.x[rows])
    margin = np.where(run.data.y[rows] == 1, p - 0.5, 0.5 - p)  # < 0: wrong
    order = np.argsort(margin, kind="stable")[:count]
    return rows[order], p[order]


def plot_hardest(run: DigitsRun) -> Figure:
    """The held-out images closest to (or across) the decision boundary, with P(7) each;
    a wrong prediction's title is red."""
    rows, p = hardest(run)
    columns = min(len(rows), 5)
    lines = -(-len(rows) // columns)
    fig = Figure(figsize=(2.2 * columns, 2.4 * lines + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(lines, columns)).ravel()
    for ax in axes[len(rows) :]:
        ax.set_axis_off()
    for ax, row, prob in zip(axes, rows, p, strict=True):
        truth = DIGITS[int(run.data.y[row])]
        wrong = (prob > 0.5) != (run.data.y[row] == 1)
        image = run.data.x[row].reshape(SIDE, SIDE)
        _image(ax, image, f"a {truth}: P(7) = {prob:.2f}", cmap=INK_MAP, vmin=0, vmax=1)
        ax.title.set_color("red" if wrong else "black")
    (_, false_7), (false_3, _) = run.scores.test.confusion
    errors = false_7 + false_3
    fig.suptitle(f"The held-out images the model is least sure of ({errors} misclassified, in red)")
    return fig


#: file name -> (figure function, caption), in the report's order
FIGURES = {
    "weights.png": (plot_weights, "The 64 weights as an 8 × 8 image beside the mean 3 and 7"),
    "training.png": (plot_training, "Training loss and accuracy per epoch"),
    "hardest.png": (plot_hardest, "The held-out images closest to the decision boundary"),
}
