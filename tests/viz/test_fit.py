"""Figures of a fitted table: what each draws, checked against statsmodels and scikit-learn."""

import numpy as np
import pytest
import statsmodels.api as sm
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score, roc_curve

from logitlab.config import TrainConfig
from logitlab.errors import DataError
from logitlab.stats import mle
from logitlab.stats.metrics import prediction_metrics
from logitlab.studies.fit import fit_table
from logitlab.viz import fit as vf

SPECTOR = ("GPA", "TUCE", "PSI")


@pytest.fixture(scope="module")
def spector():
    data = sm.datasets.spector.load_pandas().data
    X, y = data[list(SPECTOR)].to_numpy(dtype=float), data["GRADE"].to_numpy(dtype=float)
    reference = sm.Logit(y, sm.add_constant(X)).fit(disp=0)
    return X, y, mle.fit(X, y, names=SPECTOR), reference


@pytest.fixture(scope="module")
def thirty():
    """30 terms with long names, some longer than the figures show whole."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 30))
    y = (rng.random(400) < 1 / (1 + np.exp(-X @ rng.normal(scale=0.4, size=30)))).astype(float)
    names = tuple(f"worst concave points measurement number {j:02d}" for j in range(30))
    return mle.fit(X, y, names=names)


def tick_texts(labels):
    return [t.get_text() for t in labels]


def overlapping(fig: Figure, labels) -> bool:
    """True if two tick labels' boxes overlap or one sticks out of the figure."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [t.get_window_extent(renderer) for t in labels if t.get_text()]
    inside = all(b.x0 >= 0 and b.y0 >= 0 and b.x1 <= fig.bbox.x1 for b in boxes)
    pairs = any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    return pairs or not inside


def test_forest_plot_draws_statsmodels_odds_ratios(spector):
    _, _, result, reference = spector
    fig = vf.plot_odds_ratios(result)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert tick_texts(ax.get_yticklabels()) == list(SPECTOR)  # the intercept is no ratio
    points = next(line for line in ax.get_lines() if line.get_marker() == "s")
    np.testing.assert_allclose(points.get_xdata(), np.exp(reference.params[1:]), rtol=1e-6)
    assert any(list(line.get_xdata()) == [1.0, 1.0] for line in ax.get_lines())  # no effect
    low, high = np.exp(reference.conf_int()[1:]).T
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], low, rtol=1e-6)
    np.testing.assert_allclose([s[1][0] for s in segments], high, rtol=1e-6)
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith(f"{np.exp(reference.params[1]):.3g} [")
    assert ax.get_xlabel() and ax.get_title() and fig.legends


def test_forest_plot_marks_intervals_past_the_cap(spector):
    _, _, result, _ = spector
    wide = type(result)(**{**result.__dict__, "se": result.se * np.array([1, 1, 1, 1e3])})
    ax = vf.plot_odds_ratios(wide).axes[0]
    arrows = {line.get_marker(): line.get_ydata().tolist() for line in ax.get_lines()
              if line.get_marker() in ("<", ">")}  # fmt: skip
    assert arrows == {"<": [2], ">": [2]}  # PSI's interval runs off both ends


def test_thirty_long_names_do_not_overlap(thirty):
    for fig in (vf.plot_odds_ratios(thirty), vf.plot_gd_vs_mle(thirty, {"bce": thirty.params})):
        labels = fig.axes[0].get_yticklabels()
        assert len(labels) >= 30 and not overlapping(fig, labels)
        assert all(len(t.get_text()) <= vf.NAME_CHARS for t in labels)


def test_overlap_check_can_fail(thirty):
    fig = vf.plot_odds_ratios(thirty)
    fig.set_size_inches(8.5, 3)  # 30 rows squeezed into 3 inches must collide
    assert overlapping(fig, fig.axes[0].get_yticklabels())


def test_short_name_keeps_both_ends():
    name = "an interaction term: worst fractal dimension:C(region)[T.north-east]"
    short = vf.short_name(name)
    assert len(short) == vf.NAME_CHARS and short.startswith("an interaction")
    assert short.endswith("[T.north-east]") and "…" in short
    assert vf.short_name("GPA") == "GPA"


def test_roc_is_scikit_learns_curve(spector):
    _, y, _, reference = spector
    p = reference.predict()
    fig = vf.plot_roc({"training rows": prediction_metrics(y, p)})
    ax = fig.axes[0]
    fpr, tpr, _ = roc_curve(y, p)
    curve = ax.get_lines()[1]
    np.testing.assert_allclose(curve.get_xdata(), fpr)
    np.testing.assert_allclose(curve.get_ydata(), tpr)
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1]  # the chance diagonal
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"AUC {roc_auc_score(y, p):.3f} (n = 32)" in legend[1]
    assert "false-positive rate" in ax.get_xlabel() and "true-positive" in ax.get_ylabel()


def test_roc_marks_the_largest_youden_j_of_the_set_asked(spector):
    _, y, _, reference = spector
    p = reference.predict()
    curves = {"held-out rows": prediction_metrics(y, p), "training rows": prediction_metrics(y, p)}
    fig = vf.plot_roc(curves, marked="held-out rows")
    fpr, tpr, thresholds = roc_curve(y, p)
    best = int(np.argmax(tpr - fpr))  # the reference: scikit-learn's curve, J by hand
    points = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert len(points) == 1  # one set marked, not both
    np.testing.assert_allclose(points[0].get_xdata(), [fpr[best]], atol=1e-15)
    np.testing.assert_allclose(points[0].get_ydata(), [tpr[best]], atol=1e-15)
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    j = tpr[best] - fpr[best]
    assert f"largest Youden's J {j:.3f} at threshold {thresholds[best]:.3g}" in legend


def test_roc_of_one_class_says_why_it_has_no_curve():
    fig = vf.plot_roc({"held-out rows": prediction_metrics([1, 1, 1], [0.2, 0.6, 0.9])})
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "ROC AUC is undefined: every row has y = 1" in legend[1]


def test_calibration_points_carry_their_counts(spector):
    _, y, _, reference = spector
    metrics = prediction_metrics(y, reference.predict())
    ax = vf.plot_calibration({"training rows": metrics}).axes[0]
    points = ax.get_lines()[1]
    np.testing.assert_allclose(points.get_xdata(), metrics.calibration.predicted)
    assert sum(int(t.get_text()) for t in ax.texts) == len(y)


def test_confusion_image_shows_counts_and_row_shares():
    y = np.array([0, 0, 0, 0, 1, 1, 1.0])
    p = np.array([0.1, 0.2, 0.7, 0.3, 0.9, 0.4, 0.8])
    fig = vf.plot_confusion(prediction_metrics(y, p), classes=("no", "yes"))
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), [[3 / 4, 1 / 4], [1 / 3, 2 / 3]])
    cells = [t.get_text().split("\n")[0] for t in ax.texts]
    assert cells == ["3", "1", "1", "2"]
    assert tick_texts(ax.get_xticklabels()) == ["no", "yes"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"


def test_gd_against_mle_in_standard_errors(spector):
    _, _, result, reference = spector
    shifted = reference.params + np.array([1.0, -0.5, 0.0, 2.0]) * reference.bse
    ax = vf.plot_gd_vs_mle(result, {"bce": reference.params, "mse": shifted}).axes[0]
    bce, mse = (line for line in ax.get_lines() if line.get_marker() in ("o", "D"))
    np.testing.assert_allclose(bce.get_xdata(), 0.0, atol=1e-6)
    np.testing.assert_allclose(mse.get_xdata(), [1.0, -0.5, 0.0, 2.0], atol=1e-6)
    assert tick_texts(ax.get_yticklabels()) == ["Intercept", *SPECTOR]
    legend = [t.get_text() for t in ax.figure.legends[0].get_texts()]
    assert "gradient descent on BCE" in legend and "gradient descent on MSE" in legend


def test_gd_against_mle_refuses_a_wrong_length(spector):
    with pytest.raises(DataError, match="the bce fit has 2 coefficients; the MLE has 4"):
        vf.plot_gd_vs_mle(spector[2], {"bce": [0.0, 1.0]})


def test_confusion_labels_of_long_class_names_do_not_overlap():
    metrics = prediction_metrics([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.6])
    fig = vf.plot_confusion(metrics, classes=("diagnosis = benign", "diagnosis = malignant"))
    assert not overlapping(fig, fig.axes[0].get_xticklabels())


def test_the_figures_draw_intervals_at_the_fit_s_level(spector):
    from dataclasses import replace

    _, _, result, reference = spector
    at_90 = replace(result, conf_level=0.9)
    fig = vf.plot_odds_ratios(at_90)
    ax = fig.axes[0]
    low, high = np.exp(reference.conf_int(alpha=0.1)[1:]).T
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], low, rtol=1e-6)
    np.testing.assert_allclose([s[1][0] for s in segments], high, rtol=1e-6)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "90% interval" in legend and "90% intervals" in ax.get_title()
    ax = vf.plot_gd_vs_mle(at_90, {"bce": reference.params}).axes[0]
    band = ax.patches[0]  # a Rectangle from x to x + width
    from scipy.stats import norm

    ends = [band.get_x(), band.get_x() + band.get_width()]
    np.testing.assert_allclose(ends, [-norm.ppf(0.95), norm.ppf(0.95)], rtol=1e-12)
    legend = [t.get_text() for t in ax.figure.legends[0].get_texts()]
    assert "MLE 90% interval" in legend


def test_a_table_fit_gives_its_reports_figures_by_name():
    split = fit_table("spector", test_size=0.25, train=TrainConfig(epochs=50))
    figures = vf.table_figures(split)
    assert list(figures) == ["odds-ratios.png", "roc.png", "calibration.png", "confusion.png",
                             "effects.png", "gd-vs-mle.png"]  # fmt: skip
    assert all(isinstance(f, Figure) for f in figures.values())
    assert "held-out rows" in figures["confusion.png"].get_suptitle()
    alone = fit_table("spector", losses=())
    assert list(vf.table_figures(alone)) == ["odds-ratios.png", "roc.png", "calibration.png",
                                             "confusion.png", "effects.png"]  # fmt: skip
    assert "training rows" in vf.table_figures(alone)["confusion.png"].get_suptitle()


def test_the_effect_plot_draws_each_curve_band_and_level_bar():
    import pandas as pd

    from logitlab.data.design import build_design
    from logitlab.stats.effects import effect_curves

    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=200), "g": rng.choice(["a", "b"], 200),
                          "y": rng.integers(0, 2, 200)})  # fmt: skip
    design = build_design(frame, formula="y ~ x + C(g)")
    fit = mle.fit(design.X, design.y, names=design.names)
    curves = effect_curves(design.spec, frame, fit.params, fit.cov, level=0.9)
    fig = vf.plot_effects(curves, success="y = 1", level=0.9)
    x_axes, g_axes = fig.axes  # two panels, one row
    (line,) = x_axes.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), curves[0].values)
    np.testing.assert_array_equal(line.get_ydata(), curves[0].predicted.p)
    band = x_axes.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(curves[0].predicted.low.min())
    assert band.max() == pytest.approx(curves[0].predicted.high.max())
    assert [t.get_text() for t in g_axes.get_xticklabels()] == ["a (ref.)", "b"]
    points = g_axes.get_lines()[0]
    np.testing.assert_array_equal(points.get_ydata(), curves[1].predicted.p)
    assert "with its 90% confidence band" in " ".join(fig.get_suptitle().split())
    FigureCanvasAgg(fig).draw()
    unknown = effect_curves(design.spec, frame, fit.params, np.full_like(fit.cov, np.nan))
    assert "(no band: no covariance)" in vf.plot_effects(unknown, success="y = 1",
                                                         level=0.9).get_suptitle()  # fmt: skip
    with pytest.raises(DataError, match="at least one variable"):
        vf.plot_effects([], success="y = 1", level=0.95)
