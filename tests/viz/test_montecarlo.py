"""The Monte Carlo figures: shared bins for every loss, the MLE's standard error drawn."""

import numpy as np
import pytest
from markupsafe import escape

from logitlab.config import DataConfig, LectureConfig, MonteCarloConfig, TrainConfig
from logitlab.studies.montecarlo import run_montecarlo
from logitlab.viz.montecarlo import common_bins, plot_estimates, plot_histograms


@pytest.fixture(scope="module")
def study():
    lecture = LectureConfig(data=DataConfig(n=200), training=TrainConfig(epochs=300))
    return run_montecarlo(MonteCarloConfig(lecture=lecture, reps=30))


def bars(ax, color):
    """The x edges of the histogram bars drawn in one colour."""
    from matplotlib.colors import to_rgba

    patches = [p for p in ax.patches if to_rgba(p.get_facecolor())[:3] == to_rgba(color)[:3]]
    return np.array([p.get_x() for p in patches] + [patches[-1].get_x() + patches[-1].get_width()])


def test_every_loss_uses_the_same_bins(study):
    """Each loss once got its own 40 bins: bars of different widths, not comparable."""
    fig = plot_histograms(study)
    for ax, column in zip(fig.axes, (0, 1), strict=True):
        bce, mse = bars(ax, "C1"), bars(ax, "C2")
        np.testing.assert_allclose(bce, mse)
        expected = common_bins([study.estimates(loss)[:, column] for loss in ("bce", "mse")])
        np.testing.assert_allclose(bce, expected)


def test_the_mle_standard_error_is_drawn_beside_each_sd(study):
    fig = plot_histograms(study)
    summary = study.summary()
    for ax, name, se in zip(fig.axes, ("w0", "w1"), study.expected_se, strict=True):
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert f"MLE theory: s.e. {se:.3g}" in texts
        for loss in ("bce", "mse"):
            assert f"{loss.upper()}: sd {summary[loss][name]['sd']:.3g}" in texts
        (curve,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("MLE")]
        x, y = curve.get_xdata(), curve.get_ydata()
        truth = study.truth[("w0", "w1").index(name)]
        assert x[np.argmax(y)] == pytest.approx(truth, abs=(x[-1] - x[0]) / 200)
        assert x[0] <= truth - 3.9 * se and x[-1] >= truth + 3.9 * se  # the whole curve
        # a normal density scaled to counts per bin: its area is reps x bin width
        values = [study.estimates(loss)[:, ("w0", "w1").index(name)] for loss in ("bce", "mse")]
        edges = common_bins(values)
        assert np.trapezoid(y, x) == pytest.approx(30 * (edges[1] - edges[0]), rel=0.01)


def test_common_bins_cover_every_value_and_survive_nothing():
    a, b = np.array([0.0, 1.0, 2.0]), np.array([5.0, np.nan])
    edges = common_bins([a, b])
    assert edges[0] == 0.0 and edges[-1] == 5.0 and len(edges) >= 6
    assert np.all(np.diff(edges) > 0)
    assert len(common_bins([np.zeros(0), np.zeros(0)])) >= 2


def test_estimates_scatter_keeps_its_key_visible(study):
    (ax,) = plot_estimates(study).axes
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["BCE", "MSE", "truth"]
    assert all(h.get_alpha() in (None, 1) for h in legend.legend_handles)


def test_report_puts_the_mle_standard_error_beside_the_sd(study, tmp_path):
    from logitlab.report.montecarlo import write_montecarlo
    from logitlab.studies.montecarlo import findings

    write_montecarlo(study, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "<th>sd</th><th>MLE SE</th>" in page
    for se in study.expected_se:
        assert f"<td>{se:.4f}</td>" in page
    for sentence in findings(study):
        assert escape(sentence) in page
    assert '<meta name="viewport"' in page and "https://" not in page


def test_histograms_survive_an_undefined_standard_error(study):
    """Saturated truths make the information matrix singular: no curve, still a figure."""
    from dataclasses import replace

    fig = plot_histograms(replace(study, expected_se=np.array([np.inf, np.nan])))
    for ax in fig.axes:
        assert not [ln for ln in ax.get_lines() if ln.get_label().startswith("MLE")]
