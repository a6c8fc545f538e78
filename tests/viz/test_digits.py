"""Digits figures: the weights drawn as the 8 x 8 image they are, on a map centred at 0; the
hardest held-out images, the wrong ones in red."""

import numpy as np
import pytest
from matplotlib.image import AxesImage

from logitlab.studies.digits import DigitsConfig, run_digits
from logitlab.viz.digits import (
    FIGURES,
    TEN_FIGURES,
    plot_class_weights,
    plot_confusion_matrix,
    plot_hardest,
    plot_hardest_digits,
    plot_softmax_training,
    plot_training,
    plot_weights,
)


@pytest.fixture(scope="module")
def run():
    return run_digits(DigitsConfig(epochs=20))


def images(fig):
    return [child for ax in fig.axes for child in ax.get_children() if isinstance(child, AxesImage)]


def test_weights_are_an_8x8_image_on_a_diverging_map_centred_at_zero(run):
    fig = plot_weights(run)
    three, seven, difference, weights = images(fig)
    np.testing.assert_array_equal(weights.get_array(), run.fit.coef.reshape(8, 8))
    np.testing.assert_allclose(difference.get_array(), run.mean_image(7) - run.mean_image(3))
    for signed in (difference, weights):
        low, high = signed.get_clim()
        assert low == -high and high == np.abs(signed.get_array()).max()
        assert signed.get_cmap().name == "RdBu_r"
        # red (weight > 0) is a vote for a 7, blue for a 3
        red, blue = signed.to_rgba(high), signed.to_rgba(low)
        assert red[0] > red[2] and blue[2] > blue[0]
    assert three.get_clim() == seven.get_clim() == (0, 1)


def test_training_figure_draws_every_epochs_loss_and_both_accuracies(run):
    left, right = plot_training(run).axes
    (loss,) = left.get_lines()
    # the loss after epochs 1, 2, ..., the last: each epoch's start value, then the final
    np.testing.assert_array_equal(loss.get_xdata(), np.arange(1, run.fit.epochs + 1))
    np.testing.assert_array_equal(loss.get_ydata()[:-1], run.fit.history.loss[1:])
    assert loss.get_ydata()[-1] == run.fit.final_loss
    lines = {line.get_label(): line for line in right.get_lines()}
    np.testing.assert_array_equal(lines["held-out images"].get_ydata(), run.test_curve[1:])
    assert lines["scikit-learn, held out"].get_ydata()[0] == run.reference.test.accuracy


def test_hardest_images_put_the_misclassified_first_in_red(run):
    fig = plot_hardest(run)
    rows = np.flatnonzero(run.test)
    p = 1 / (1 + np.exp(-(run.fit.intercept + run.data.x[rows] @ run.fit.coef)))
    wrong = int(np.sum((p > 0.5) != (run.data.y[rows] == 1)))
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    assert len(titles) == 10
    reds = [t.get_color() == "red" for t in titles]
    assert reds == [True] * wrong + [False] * (10 - wrong)
    assert f"({wrong} misclassified" in fig._suptitle.get_text()


def test_every_figure_is_listed_once():
    assert list(FIGURES) == ["weights.png", "training.png", "hardest.png"]


def test_pixels_never_inked_in_training_are_crossed(run):
    (crosses,) = plot_weights(run).axes[3].collections
    blank = run.data.x[~run.test].max(axis=0).reshape(8, 8) == 0
    rows, cols = np.nonzero(blank)
    assert len(rows) >= 5
    np.testing.assert_array_equal(crosses.get_offsets(), np.column_stack((cols, rows)))


@pytest.fixture(scope="module")
def ten():
    return run_digits(DigitsConfig(classes="all", epochs=10, engine="eager"))


def test_ten_weights_are_ten_8x8_images_titled_by_digit_on_one_map_centred_at_zero(ten):
    fig = plot_class_weights(ten)
    shown = images(fig)
    assert len(shown) == 10
    limits = {image.get_clim() for image in shown}
    assert len(limits) == 1  # one scale for all ten, so they compare
    ((low, high),) = limits
    assert low == -high and 0 < high <= np.abs(ten.fit.weight).max()
    for digit, image in enumerate(shown):
        np.testing.assert_array_equal(image.get_array(), ten.fit.weight[digit].reshape(8, 8))
        assert image.get_cmap().name == "RdBu_r" and image.axes.get_title() == f"digit {digit}"
        assert image.norm(0.0) == 0.5  # white at 0


def test_ten_confusion_matrix_shows_every_count_with_digit_labels(ten):
    fig = plot_confusion_matrix(ten)
    (image,) = images(fig)
    counts = ten.scores.test.confusion
    np.testing.assert_allclose(image.get_array(), counts / counts.sum(axis=1, keepdims=True))
    (ax,) = [a for a in fig.axes if a.get_xlabel()]
    texts = [int(t.get_text()) for t in ax.texts]
    assert texts == counts.ravel().tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(d) for d in range(10)]
    assert ax.get_ylabel() == "true digit" and ax.get_xlabel().startswith("predicted digit")


def test_ten_hardest_images_name_the_digit_and_the_prediction_wrong_ones_red(ten):
    fig = plot_hardest_digits(ten)
    rows, own, predicted = ten.hardest()
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    assert len(titles) == 10
    for title, row, p, guess in zip(titles, rows, own, predicted, strict=True):
        truth = ten.data.y[row]
        assert title.get_text() == f"a {truth}, called {guess}\nP({truth}) = {p:.2f}"
        assert (title.get_color() == "red") == (guess != truth)


def test_ten_training_figure_draws_the_loss_after_each_epoch(ten):
    (ax,) = plot_softmax_training(ten).axes
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, ten.fit.epochs + 1))
    np.testing.assert_array_equal(line.get_ydata(), ten.losses()[1:])
    assert list(TEN_FIGURES) == ["training.png", "weights.png", "confusion.png", "hardest.png"]
