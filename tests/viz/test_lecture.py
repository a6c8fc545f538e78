"""The figures: right artists, labels and legends, and no pyplot state anywhere."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from logitlab.data import Dataset, simulate
from logitlab.errors import ConfigError, DataError
from logitlab.model import initial_params, probabilities
from logitlab.viz.lecture import (
    binned_proportions,
    plot_data,
    plot_fit,
    plot_loss_history,
    point_alpha,
)


@pytest.fixture(scope="module")
def data() -> Dataset:
    return simulate(n=200)


def legend_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def truth_line(ax, data: Dataset):
    """The one red dashed line, checked to trace pi(x) from left to right."""
    red = [
        line
        for line in ax.get_lines()
        if line.get_linestyle() == "--" and to_rgba(line.get_color()) == to_rgba("r")
    ]
    assert len(red) == 1
    order = np.argsort(data.x[:, 0].numpy(), kind="stable")
    np.testing.assert_allclose(red[0].get_xdata(), data.x[:, 0].numpy()[order])
    np.testing.assert_allclose(red[0].get_ydata(), data.pi[:, 0].numpy()[order])
    return red[0]


def labelled_lines(ax, labels) -> list:
    """The lines carrying these legend labels, in drawing order (not the error bars' lines)."""
    return [line for line in ax.get_lines() if line.get_label() in labels]


def shuffled(data: Dataset, seed: int = 0) -> Dataset:
    """The same points in a random file order."""
    perm = np.random.default_rng(seed).permutation(data.n)
    return Dataset(x=data.x[perm], pi=data.pi[perm], y=data.y[perm])


def test_plot_data(data: Dataset) -> None:
    fig = plot_data(data)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    points = ax.collections[0]
    assert isinstance(points, PathCollection)
    assert len(points.get_offsets()) == data.n
    assert points.get_alpha() == pytest.approx(point_alpha(200)) == pytest.approx(0.5)
    truth_line(ax, data)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert legend_labels(ax) == [
        "observed y (0/1)",
        "true π(x)",
        "share of y = 1 in 8 bins of x (95% interval)",
    ]


def test_point_alpha_scales_with_n():
    """The lecture's 0.05 at n = 2,000; small data stay visible, huge data do not blacken."""
    assert point_alpha(2000) == pytest.approx(0.05)
    assert point_alpha(50) > point_alpha(200) > point_alpha(2000) > point_alpha(20_000) > 0
    assert point_alpha(5) <= 0.6 and point_alpha(10**7) >= 0.01
    lecture = plot_data(simulate(n=2000)).axes[0].collections[0]
    assert lecture.get_alpha() == pytest.approx(0.05)


def test_binned_proportions_are_shares_with_wilson_intervals():
    x = np.array([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.0])  # unsorted on purpose
    y = (x >= 0.5).astype(float)
    bins = binned_proportions(x, y, bins=2)
    np.testing.assert_allclose(bins.x, [0.2, 0.7])
    np.testing.assert_allclose(bins.share, [0.0, 1.0])
    np.testing.assert_array_equal(bins.count, [5, 5])
    # Wilson 95% upper bound for 0 of 5: z^2 / (n + z^2)
    z2 = 1.959963984540054**2
    np.testing.assert_allclose(bins.high[0], z2 / (5 + z2))
    np.testing.assert_allclose(bins.low[1], 5 / (5 + z2))
    assert bins.low[0] == 0 and bins.high[1] == 1
    mixed = binned_proportions(np.arange(40.0), np.tile([0.0, 1.0, 1.0, 1.0], 10), bins=5)
    np.testing.assert_allclose(mixed.share, 0.75)
    assert np.all((mixed.low < 0.75) & (mixed.high > 0.75))
    three = binned_proportions(np.arange(4.0), [1.0, 1.0, 0.0, 1.0], bins=1)
    centre = (0.75 + z2 / 8) / (1 + z2 / 4)
    half = np.sqrt(z2) / (1 + z2 / 4) * np.sqrt(0.75 * 0.25 / 4 + z2 / 64)
    np.testing.assert_allclose([three.low[0], three.high[0]], [centre - half, centre + half])


def test_data_figure_shows_the_binned_shares(data: Dataset):
    (ax,) = plot_data(data).axes
    bins = binned_proportions(data.x.numpy(), data.y.numpy())
    (container,) = ax.containers
    assert container.get_label() == "share of y = 1 in 8 bins of x (95% interval)"
    marks = container.lines[0]
    np.testing.assert_allclose(marks.get_xdata(), bins.x)
    np.testing.assert_allclose(marks.get_ydata(), bins.share)
    assert len(bins.x) == 8 and np.all(np.diff(bins.x) > 0)


def test_plot_fit_draws_each_curve(data: Dataset) -> None:
    x = data.x.numpy()
    curves = {
        "BCE fit": probabilities(np.array([-1.0, 5.0]), x),
        "MSE fit": probabilities(np.array([-0.8, 4.0]), x),
    }
    fig = plot_fit(data, curves, "Truth and the fits")
    (ax,) = fig.axes
    assert ax.get_title() == "Truth and the fits"
    assert ax.collections[0].get_alpha() == pytest.approx(point_alpha(data.n, 0.5))
    truth_line(ax, data)
    fitted = labelled_lines(ax, set(curves))
    for line, (label, curve) in zip(fitted, curves.items(), strict=True):
        assert line.get_label() == label
        np.testing.assert_allclose(line.get_ydata(), curve)
        assert to_rgba(line.get_color()) not in (to_rgba("r"), to_rgba("C0"))
    assert fitted[0].get_color() != fitted[1].get_color()
    assert legend_labels(ax)[:4] == ["observed y (0/1)", "true π(x)", "BCE fit", "MSE fit"]


def test_plot_fit_draws_left_to_right_whatever_the_file_order(data: Dataset):
    """Unsorted x once zig-zagged the curves across the axes."""
    mixed = shuffled(data)
    x = mixed.x.numpy()
    curve = probabilities(np.array([-1.0, 5.0]), x)
    (ax,) = plot_fit(mixed, {"BCE fit": curve}, "t").axes
    truth_line(ax, mixed)
    (line,) = labelled_lines(ax, {"BCE fit"})
    assert np.all(np.diff(line.get_xdata()) >= 0)
    np.testing.assert_allclose(line.get_ydata(), np.sort(curve))  # increasing in x here
    bins = binned_proportions(x, mixed.y.numpy())
    np.testing.assert_allclose(bins.share, binned_proportions(data.x, data.y).share)


def test_a_fit_on_the_truth_stays_visible_and_the_mle_is_drawn(data: Dataset):
    """Fits are wide bands under the thin dashed truth; the MLE is a dotted line on top."""
    x = data.x.numpy()
    bce = data.pi[:, 0].numpy()  # a fit exactly on the truth
    mle = probabilities(np.array([-0.98, 4.9]), x)
    (ax,) = plot_fit(data, {"BCE fit": bce, "MSE fit": bce * 0.9}, "t", mle=mle).axes
    truth = truth_line(ax, data)
    fit, other = labelled_lines(ax, {"BCE fit", "MSE fit"})
    (dotted,) = labelled_lines(ax, {"MLE"})
    assert fit.get_linewidth() >= 2.5 * truth.get_linewidth()
    assert truth.get_zorder() > fit.get_zorder() > other.get_zorder()
    assert dotted.get_linestyle() == ":" and dotted.get_zorder() > fit.get_zorder()
    assert dotted.get_linewidth() < fit.get_linewidth()
    np.testing.assert_allclose(dotted.get_ydata(), mle)
    assert "MLE" in legend_labels(ax)


def test_plot_fit_without_truth(data: Dataset) -> None:
    unknown = Dataset(x=data.x, pi=None, y=data.y)
    curve = probabilities(initial_params(), data.x.numpy())
    (ax,) = plot_fit(unknown, {"untrained net": curve}, "Before training").axes
    assert len(labelled_lines(ax, {"untrained net"})) == 1
    assert not [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert legend_labels(ax)[:2] == ["observed y (0/1)", "untrained net"]


def test_plot_fit_rejects_a_curve_of_the_wrong_length(data: Dataset) -> None:
    with pytest.raises(DataError, match="'short'"):
        plot_fit(data, {"short": np.zeros(data.n - 1)}, "t")


def test_plot_loss_history_one_column_per_loss() -> None:
    histories = {"bce": np.linspace(0.9, 0.5, 50), "mse": np.linspace(0.3, 0.2, 50)}
    fig = plot_loss_history(histories)
    assert len(fig.axes) == 4  # the loss above, its distance to the floor below
    for ax, (name, loss) in zip(fig.axes[:2], histories.items(), strict=True):
        (line,) = ax.get_lines()
        np.testing.assert_allclose(line.get_xdata(), np.arange(50))
        np.testing.assert_allclose(line.get_ydata(), loss)
        assert name.upper() in ax.get_title() and name.upper() in ax.get_ylabel()
    for ax in fig.axes[2:]:
        assert ax.get_xlabel() == "epoch"
    assert fig.axes[0].get_shared_x_axes().joined(fig.axes[0], fig.axes[3])
    assert len(plot_loss_history({"bce": histories["bce"]}).axes) == 2


def test_loss_history_shows_the_late_epochs_on_a_log_scale() -> None:
    """A linear axis flattened everything after the first steps: the distance to the minimum
    on a log axis keeps a slow approach visible."""
    epochs = np.arange(10_000)
    bce = 0.32 + 0.45 * np.exp(-epochs / 700)
    fig = plot_loss_history({"bce": bce}, floors={"bce": 0.32})
    top, bottom = fig.axes
    assert top.get_yscale() == "linear" and bottom.get_yscale() == "log"
    (gap,) = bottom.get_lines()
    np.testing.assert_allclose(gap.get_ydata(), bce - 0.32)
    assert "minimum" in bottom.get_ylabel()
    # without a known minimum, the last value serves (and is left out: it is 0 from itself)
    (gap,) = plot_loss_history({"bce": bce}).axes[1].get_lines()
    np.testing.assert_allclose(gap.get_ydata(), bce[:-1] - bce[-1])
    # a loss below the floor (rounding) leaves a gap, not a crash or a fake dive
    (gap,) = plot_loss_history({"bce": bce}, floors={"bce": 0.5}).axes[1].get_lines()
    assert np.isnan(gap.get_ydata()[-1])


def test_plot_loss_history_needs_a_history() -> None:
    with pytest.raises(ConfigError):
        plot_loss_history({})


def test_no_pyplot_state() -> None:
    """A fresh interpreter: importing and plotting leaves pyplot unimported, no backend set."""
    code = (
        "import sys, matplotlib\n"
        "import logitlab.viz.lecture as p\n"
        "from logitlab.data import simulate\n"
        "p.plot_data(simulate(n=50))\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert matplotlib.rcParams._get_backend_or_none() is None, 'backend set'\n"
        "import matplotlib.pyplot as plt\n"
        "assert plt.get_fignums() == [], plt.get_fignums()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr


def test_colors_pin_a_curve_by_label():
    data = simulate(n=50)
    curve = np.full(50, 0.5)
    fig = plot_fit(data, {"MSE fit": curve}, "t", colors={"MSE fit": "C2"})
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "MSE fit"]
    assert line.get_color() == "C2"
