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
from logitlab.viz.lecture import plot_data, plot_fit, plot_loss_history


@pytest.fixture(scope="module")
def data() -> Dataset:
    return simulate(n=200)


def legend_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def truth_line(ax, data: Dataset):
    """The one red dashed line, checked to trace pi(x)."""
    red = [
        line
        for line in ax.get_lines()
        if line.get_linestyle() == "--" and to_rgba(line.get_color()) == to_rgba("r")
    ]
    assert len(red) == 1
    np.testing.assert_allclose(red[0].get_ydata(), data.pi[:, 0].numpy())
    return red[0]


def test_plot_data(data: Dataset) -> None:
    fig = plot_data(data)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    (points,) = ax.collections
    assert isinstance(points, PathCollection)
    assert len(points.get_offsets()) == data.n
    assert points.get_alpha() == pytest.approx(0.05)
    assert len(ax.get_lines()) == 1
    truth_line(ax, data)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert legend_labels(ax) == ["observed y (0/1)", "true π(x)"]


def test_plot_fit_draws_each_curve(data: Dataset) -> None:
    x = data.x.numpy()
    curves = {
        "BCE fit": probabilities(np.array([-1.0, 5.0]), x),
        "MSE fit": probabilities(np.array([-0.8, 4.0]), x),
    }
    fig = plot_fit(data, curves, "Truth and the fits")
    (ax,) = fig.axes
    assert ax.get_title() == "Truth and the fits"
    assert 0.01 <= ax.collections[0].get_alpha() <= 0.05
    assert len(ax.get_lines()) == 3
    truth = truth_line(ax, data)
    fitted = [line for line in ax.get_lines() if line is not truth]
    for line, (label, curve) in zip(fitted, curves.items(), strict=True):
        assert line.get_label() == label
        np.testing.assert_allclose(line.get_ydata(), curve)
        assert to_rgba(line.get_color()) not in (to_rgba("r"), to_rgba("C0"))
    assert fitted[0].get_color() != fitted[1].get_color()
    assert legend_labels(ax) == ["observed y (0/1)", "true π(x)", "BCE fit", "MSE fit"]


def test_plot_fit_without_truth(data: Dataset) -> None:
    unknown = Dataset(x=data.x, pi=None, y=data.y)
    curve = probabilities(initial_params(), data.x.numpy())
    (ax,) = plot_fit(unknown, {"untrained net": curve}, "Before training").axes
    assert [line.get_label() for line in ax.get_lines()] == ["untrained net"]
    assert legend_labels(ax) == ["observed y (0/1)", "untrained net"]


def test_plot_fit_rejects_a_curve_of_the_wrong_length(data: Dataset) -> None:
    with pytest.raises(DataError, match="'short'"):
        plot_fit(data, {"short": np.zeros(data.n - 1)}, "t")


def test_plot_loss_history_one_panel_per_loss() -> None:
    histories = {"bce": np.linspace(0.9, 0.5, 50), "mse": np.linspace(0.3, 0.2, 50)}
    fig = plot_loss_history(histories)
    assert len(fig.axes) == 2
    for ax, (name, loss) in zip(fig.axes, histories.items(), strict=True):
        (line,) = ax.get_lines()
        np.testing.assert_allclose(line.get_xdata(), np.arange(50))
        np.testing.assert_allclose(line.get_ydata(), loss)
        assert ax.get_xlabel() == "epoch"
        assert name.upper() in ax.get_title() and name.upper() in ax.get_ylabel()
    assert fig.axes[0].get_shared_x_axes().joined(fig.axes[0], fig.axes[1])
    assert len(plot_loss_history({"bce": histories["bce"]}).axes) == 1


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
