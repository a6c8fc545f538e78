"""Figures of the digits study: which pixels vote for a 3 and which for a 7, how training went,
and the held-out images the model finds hardest; for the ten digits, each digit's weights,
the confusion matrix and the hardest images by the probability of their own digit.

Matplotlib's object API only; every function returns a Figure and saves nothing.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ..model import probabilities
from ..studies.digits import DIGITS, SIDE, TEN, DigitsRun, TenDigitsRun
from .style import LEGEND_SIZE, LOSS_COLORS, OTHER_COLORS

#: Ink as on paper: white background, black strokes.
INK_MAP = "gray_r"
#: Diverging map centred at 0: red pixels vote for a 7, blue ones for a 3, white for neither.
VOTE_MAP = "RdBu_r"
#: How many held-out images the "hardest" figure shows, at most.
HARDEST = 10
#: The ten digits' weights share a colour scale up to this percentile of their sizes.
WEIGHT_PERCENTILE = 98
#: The confusion matrix' cells: shares of the true digit's images on this map.
CONFUSION_MAP = "Blues"
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


def _image_grid(count: int, width: float, height: float) -> tuple[Figure, np.ndarray]:
    """A figure of `count` image axes, five to a line (width x height inches each), and
    its axes in reading order; the grid's spare cells are left blank."""
    columns = min(count, 5)
    lines = -(-count // columns)
    fig = Figure(figsize=(width * columns, height * lines + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(lines, columns)).ravel()
    for ax in axes[count:]:
        ax.set_axis_off()
    return fig, axes[:count]


def plot_hardest(run: DigitsRun) -> Figure:
    """The held-out images closest to (or across) the decision boundary, with P(7) each;
    a wrong prediction's title is red."""
    rows, p = hardest(run)
    fig, axes = _image_grid(len(rows), 2.2, 2.4)
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


def _blank_crosses(ax: Axes, blank: np.ndarray) -> None:
    """Grey crosses on the pixels of an 8 x 8 image that no training image inks."""
    rows, cols = np.nonzero(blank)
    ax.scatter(cols, rows, marker="x", s=18, color="0.55", linewidths=0.8)


def plot_class_weights(run: TenDigitsRun) -> Figure:
    """Each digit's 64 weights as the 8 x 8 image they belong to, on one diverging map centred
    at 0 shared by all ten, so they compare: red ink raises that digit's logit, blue lowers it.
    Pixels no training image inks (crossed) get no gradient and keep their random start."""
    weights = run.weights
    # A few pixels' weights are far larger than the rest: scaled to them, the others pale.
    limit = float(np.percentile(np.abs(weights), WEIGHT_PERCENTILE)) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    blank = run.data.x[~run.test].max(axis=0).reshape(SIDE, SIDE) == 0
    fig = Figure(figsize=(11, 5.2), layout="constrained")
    axes = fig.subplots(2, len(TEN) // 2)
    for ax, digit, image in zip(axes.ravel(), TEN, weights, strict=True):
        shown = _image(ax, image, f"digit {digit}", cmap=VOTE_MAP, norm=norm)
        _blank_crosses(ax, blank)
    bar = fig.colorbar(shown, ax=axes, shrink=0.85, pad=0.02, extend="both")
    bar.set_label(f"weight: the digit's logit per full pixel of ink\n(the arrows: beyond "
                  f"±{limit:.2g}, the largest {100 - WEIGHT_PERCENTILE}%)")  # fmt: skip
    fig.suptitle(f"Each digit's weights after {run.fit.epochs:,} epochs of softmax regression: "
                 "red ink is evidence for the digit, blue against it\n(crossed: blank in every "
                 "training image, still at the random start)")  # fmt: skip
    return fig


def plot_confusion_matrix(run: TenDigitsRun) -> Figure:
    """The held-out images counted by true digit (rows) and predicted digit (columns); each
    cell coloured by its share of the true digit's images, so the diagonal is each recall."""
    counts = np.asarray(run.scores.test.confusion, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    fig = Figure(figsize=(7.2, 6.2), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(shares, cmap=CONFUSION_MAP, vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(counts):
        color = "white" if shares[i, j] > 0.6 else "black" if count else "0.75"
        ax.text(j, i, f"{int(count)}", ha="center", va="center", fontsize=11, color=color)
    ax.set_xticks(range(len(TEN)), [str(d) for d in TEN])
    ax.set_yticks(range(len(TEN)), [str(d) for d in TEN])
    ax.set(xlabel="predicted digit (the likeliest)", ylabel="true digit")
    test = run.scores.test
    errors = int(counts.sum() - np.trace(counts))
    fig.suptitle(f"Held-out images: {test.rows:,}, accuracy {100 * test.accuracy:.1f}% "
                 f"({errors} wrong, off the diagonal)")  # fmt: skip
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true digit's images")
    return fig


def plot_hardest_digits(run: TenDigitsRun) -> Figure:
    """The held-out images given the lowest probability of their own digit, lowest first,
    each titled with its digit, the prediction and that probability; a wrong one in red."""
    rows, own, predicted = run.hardest()
    fig, axes = _image_grid(len(rows), 2.3, 2.5)
    for ax, row, p, guess in zip(axes, rows, own, predicted, strict=True):
        truth = int(run.data.y[row])
        image = run.data.x[row].reshape(SIDE, SIDE)
        _image(ax, image, f"a {truth}, called {guess}\nP({truth}) = {p:.2f}", cmap=INK_MAP,
               vmin=0, vmax=1)  # fmt: skip
        ax.title.set_color("red" if guess != truth else "black")
    fig.suptitle("The held-out images with the lowest probability of their own digit "
                 "(misclassified in red)")  # fmt: skip
    return fig


def plot_softmax_training(run: TenDigitsRun) -> Figure:
    """The mean cross-entropy of the training images after each epoch, on log-scaled epochs
    and loss: the first epochs sort the digits out, the rest sharpen the probabilities."""
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    loss = run.losses()
    # Epoch 0 (the random start) has no place on a log axis.
    ax.plot(np.arange(1, len(loss)), loss[1:], color=LOSS_COLORS["bce"], linewidth=1.5)
    ax.set(xscale="log", yscale="log", xlabel="epoch (log scale)",
           ylabel="cross-entropy, all training images (log scale)",
           title=f"Training loss after each epoch (start: {loss[0]:.3g})")  # fmt: skip
    ax.grid(alpha=0.3, which="both")
    return fig


#: file name -> (figure function, caption), in the report's order
FIGURES = {
    "weights.png": (plot_weights, "The 64 weights as an 8 × 8 image beside the mean 3 and 7"),
    "training.png": (plot_training, "Training loss and accuracy per epoch"),
    "hardest.png": (plot_hardest, "The held-out images closest to the decision boundary"),
}

#: The ten digits' figures: file name -> (figure function, caption), in the report's order.
TEN_FIGURES = {
    "training.png": (plot_softmax_training, "The training loss per epoch"),
    "weights.png": (plot_class_weights, "Each digit's 64 weights as an 8 × 8 image"),
    "confusion.png": (plot_confusion_matrix, "The held-out images by true and predicted digit"),
    "hardest.png": (plot_hardest_digits, "The held-out images least likely their own digit"),
}
