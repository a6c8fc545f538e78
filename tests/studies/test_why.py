"""Why not MSE: the plateau really stalls MSE, convergence counts, and the figures."""

import numpy as np
import pytest
from matplotlib.colors import LogNorm
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
    target = mle.fit(lecture_data.x, lecture_data.y).params
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
    assert summary["mle"]["w1"] == pytest.approx(small_analysis.mle.params[1])
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
        floor["w0"] - small_analysis.mle.params[0], floor["w1"] - small_analysis.mle.params[1]
    )
    assert floor["distance_to_mle"] == pytest.approx(gap)


# --- the figures, read from their artists ---------------------------------------------------


def lines_labelled(ax, label):
    return [line for line in ax.get_lines() if line.get_label() == label]


def colorbars(fig):
    """The colour bars of a figure, by the axes they are drawn for."""
    return [ax._colorbar for ax in fig.axes if hasattr(ax, "_colorbar")]


def test_landscapes_have_colour_scales_a_legend_and_every_mark(small_analysis):
    why = small_analysis
    fig = whyplots.plot_landscapes(why)
    bars = colorbars(fig)
    assert [bar.ax.get_ylabel() for bar in bars] == ["BCE loss (log scale)", "MSE loss (log scale)"]
    assert all(isinstance(bar.mappable.norm, LogNorm) for bar in bars)
    (legend,) = fig.legends  # one legend for the figure, not a tiny one in one panel
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [
        "gradient descent on BCE",
        "gradient descent on MSE",
        "start",
        "MSE's own minimum",
        "MLE (maximum likelihood)",
        "truth",
    ]
    assert min(t.get_fontsize() for t in legend.get_texts()) >= 10
    panels = [ax for ax in fig.axes if ax.get_title().endswith("loss landscape")]
    assert len(panels) == 2
    for ax in panels:
        bce, mse = (lines_labelled(ax, f"gradient descent on {n}")[0] for n in ("BCE", "MSE"))
        assert bce.get_linewidth() > mse.get_linewidth() and bce.get_linestyle() == "-"
        assert mse.get_linestyle() != "-" and mse.get_zorder() >= bce.get_zorder()
        (minimum,) = lines_labelled(ax, "MSE's own minimum")
        np.testing.assert_allclose(minimum.get_xydata()[0], why.mse_minimum)
        (truth,) = lines_labelled(ax, "truth")
        (mle_mark,) = lines_labelled(ax, "MLE (maximum likelihood)")
        np.testing.assert_allclose(mle_mark.get_xydata()[0], why.mle.params)
        assert mle_mark.get_markerfacecolor() == "none"  # a ring: the star shows through
        assert truth.get_zorder() > mle_mark.get_zorder()
        (inset,) = ax.child_axes  # the end of the descent, magnified
        (x0, x1), (y0, y1) = inset.get_xlim(), inset.get_ylim()
        for point in (why.truth, why.mle.params, why.mse_minimum):
            assert x0 < point[0] < x1 and y0 < point[1] < y1
        assert x1 - x0 < (ax.get_xlim()[1] - ax.get_xlim()[0]) / 3


def test_surface_paths_are_drawn_over_the_surfaces(small_analysis):
    fig = whyplots.plot_surfaces(small_analysis)
    for ax in fig.axes:
        assert ax.computed_zorder is False  # no depth sorting that buried the path
        (surface,) = ax.collections
        (path,) = lines_labelled(ax, "gradient-descent path")
        assert path.get_zorder() > surface.get_zorder()


def test_bce_curvature_is_coloured_not_white(small_analysis):
    """On a linear scale BCE's small positive eigenvalues were all drawn white, like 0."""
    fig = whyplots.plot_curvature(small_analysis)
    bce = next(ax for ax in fig.axes if ax.get_title().startswith("BCE"))
    (mesh,) = bce.collections
    shade = np.asarray(mesh.norm(mesh.get_array()))
    assert np.all(shade > 0.5)  # every cell on the convex (blue) side
    assert np.mean(shade < 0.55) < 0.05  # and hardly any indistinguishable from 0
    assert len(colorbars(fig)) == 1 and fig.legends


def test_plateau_keeps_its_legends_off_the_curves(small_analysis):
    fig = whyplots.plot_plateau(small_analysis)
    left, right = (ax for ax in fig.axes if ax.get_title() and ax.get_legend())
    for ax in (left, right):
        legend = ax.get_legend()
        assert legend.get_bbox_to_anchor().y0 < ax.bbox.y0  # under the axes
        assert min(t.get_fontsize() for t in legend.get_texts()) >= 10
    assert len(colorbars(fig)) == 1


def test_plateau_words_follow_the_numbers():
    from logitlab.config import DataConfig, LandscapeConfig
    from logitlab.studies.why import run_landscape

    data, train = DataConfig(n=300), TrainConfig(epochs=300)
    far = run_landscape(LandscapeConfig(data=data, train=train, plateau_start=(60, 20),
                                        grid_size=9))  # fmt: skip
    assert far.plateau_outcome("mse") == "stalls"
    assert far.plateau_outcome("bce").startswith("ends ")  # 300 epochs do not get it home
    title = whyplots.plot_plateau(far).axes[0].get_title()
    assert "MSE stalls" in title and "walks to the MLE" not in title


def test_a_start_beyond_the_logit_limit_is_refused():
    from logitlab.config import LandscapeConfig
    from logitlab.errors import ConfigError

    with pytest.raises(ConfigError, match=r"plateau start must keep the logits .* \+-88"):
        LandscapeConfig(plateau_start=(1e6, 1e6))


def test_the_analysis_shows_one_line_and_a_card_of_where_each_path_ended(small_analysis):
    why = small_analysis
    text = repr(why)
    assert "\n" not in text and len(text) < 250
    mle_params, minimum = why.mle.params, why.mse_minimum
    assert text.startswith(f"WhyNotMSE({why.data.n:,} points, MLE [{mle_params[0]:.4g}, "
                           f"{mle_params[1]:.4g}], MSE's minimum [{minimum[0]:.4g}, "
                           f"{minimum[1]:.4g}]; lecture start: bce ")  # fmt: skip
    plateau_mse = why.plateau.fits["mse"].convergence.verdict
    assert text.endswith(f", mse {plateau_mse})")
    card = why._repr_html_()
    assert "<th>Intercept</th><th>x</th>" in card
    assert f"<td>MSE from the plateau start</td><td>{why.plateau.fits['mse'].params[0]:.4f}" in card
    assert f"<td>maximum likelihood</td><td>{mle_params[0]:.4f}</td>" in card
