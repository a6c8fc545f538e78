"""Why not MSE: the plateau really stalls MSE, convergence counts, and the figures."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from logitlab.config import PLATEAU_START, TrainConfig
from logitlab.records import to_record
from logitlab.stats import mle
from logitlab.studies.why import analyse, epochs_within, race
from logitlab.viz import why as whyplots


@pytest.mark.parametrize(
    ("distance", "tol", "expected"),
    [
        ([5.0, 1.0, 0.5, 0.05, 0.01], 0.1, 3),
        ([5.0, 0.05, 0.5, 0.05, 0.01], 0.1, 3),  # must stay within, not just touch
        ([0.01, 0.02], 0.1, 0),
        ([5.0, 1.0, 0.5], 0.1, None),
    ],
)
def test_epochs_within(distance, tol, expected):
    assert epochs_within(np.array(distance), tol) == expected


def test_plateau_start_stalls_mse_while_bce_recovers(lecture_data):
    epochs = 4000
    result = race(lecture_data, PLATEAU_START, TrainConfig(epochs=epochs))
    target = mle.fit(lecture_data.x, lecture_data.y).coef
    mse, bce = result.fits["mse"], result.fits["bce"]
    assert result.grad_norms["mse"].max() < 1e-3  # tiny all the way: the plateau
    assert np.linalg.norm(mse.params - PLATEAU_START) < 0.1
    assert np.linalg.norm(mse.params - target) > 15
    assert result.grad_norms["bce"][0] > 0.5
    assert np.linalg.norm(bce.params - target) < 0.5


@pytest.fixture(scope="module")
def small_analysis(lecture_data):
    return analyse(lecture_data, [-1.0, 5.0], TrainConfig(epochs=300), grid_size=15)


def test_analysis_summary_numbers(small_analysis):
    summary = to_record(small_analysis)
    assert summary["mle"]["w1"] == pytest.approx(small_analysis.mle.coef[1])
    bce = small_analysis.lecture.fits["bce"]
    assert summary["lecture_start"]["bce"]["w0"] == bce.w0
    assert summary["lecture_start"]["start"] == pytest.approx(bce.history.params[0].tolist())
    assert summary["min_hessian_eigenvalue"]["bce"] >= 0
    assert summary["epochs_to_mle"]["mse"]["0.001"] is None  # 300 epochs are not enough


@pytest.mark.parametrize("name", sorted(whyplots.FIGURES))
def test_figures_are_built(small_analysis, name):
    function, caption = whyplots.FIGURES[name]
    fig = function(small_analysis)
    assert isinstance(fig, Figure) and fig.axes and caption


def test_mse_minimum_in_summary(small_analysis):
    floor = to_record(small_analysis)["mse_minimum"]
    gap = np.hypot(
        floor["w0"] - small_analysis.mle.coef[0], floor["w1"] - small_analysis.mle.coef[1]
    )
    assert floor["distance_to_mle"] == pytest.approx(gap)
