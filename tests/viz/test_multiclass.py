"""viz.multiclass: the class probabilities' figure draws each class's curve as given, in
the style table's colour, named in the legend; a categorical variable as bars a level; the
softmax descent's figures draw its loss curve above the MLE's and each coefficient's
distance from the MLE in standard errors."""

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba

from logitlab.config import FitSettings, ModelOptions, TrainConfig
from logitlab.studies.multiclass import ClassCurves, fit_multiclass
from logitlab.viz.multiclass import descent_figures, plot_class_probabilities
from logitlab.viz.style import class_style


def softmax_curves(categorical: bool = False) -> ClassCurves:
    values = ("a", "b") if categorical else tuple(np.linspace(-2.0, 2.0, 7).tolist())
    eta = np.outer(np.arange(len(values)) - 1.0, [0.0, 1.0, -1.0, 0.5])
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    return ClassCurves("x", categorical, values, p, {"w": 1.5, "g": "lo"})


def test_each_class_is_a_line_of_its_probabilities_in_its_style():
    curves = softmax_curves()
    fig = plot_class_probabilities(curves, ["lo", "mid", "hi", "top"], "grade")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["lo", "mid", "hi", "top"]
    for k, line in enumerate(ax.get_lines()):
        np.testing.assert_array_equal(line.get_xdata(), curves.values)
        np.testing.assert_array_equal(line.get_ydata(), curves.p[:, k])
        assert to_rgba(line.get_color()) == to_rgba(class_style(k)[0])
    assert ax.get_ylim() == (0.0, 1.0) and ax.get_xlabel() == "x"
    title = fig.get_suptitle().replace("\n", " ")
    assert "each class of grade over x" in title and "w = 1.5, g = lo" in title
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["lo", "mid", "hi", "top"]


def test_a_categorical_variable_is_drawn_as_bars_a_level_reference_first():
    curves = softmax_curves(categorical=True)
    fig = plot_class_probabilities(curves, ["lo", "mid", "hi", "top"], "grade")
    ax = fig.axes[0]
    heights = np.array([[bar.get_height() for bar in c] for c in ax.containers]).T
    np.testing.assert_array_equal(heights, curves.p)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a (ref.)", "b"]


def test_classes_past_ten_colours_take_another_line_style():
    assert class_style(0) == ("C0", "-") and class_style(10) == ("C0", "--")
    assert len({class_style(k) for k in range(40)}) == 40


def test_the_descents_loss_curve_and_distances_in_standard_errors():
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    y = np.array(["a", "b", "c"])[
        (x + rng.normal(size=300) > 0) * 1 + (x + rng.normal(size=300) > 1)
    ]
    frame = pd.DataFrame({"x": x * 100.0, "y": y})
    settings = FitSettings(model=ModelOptions(formula="y ~ x", baseline="b"),
                           train=TrainConfig(epochs=25))  # fmt: skip
    run = fit_multiclass(frame, settings)
    d, mle = run.descent, run.mle
    figures = descent_figures(run)
    assert list(figures) == ["loss.png", "gd-vs-mle.png"]
    top, bottom = figures["loss.png"].axes
    np.testing.assert_array_equal(top.get_lines()[0].get_ydata(), d.losses())
    floor = -mle.llf / mle.nobs
    np.testing.assert_allclose(bottom.get_lines()[0].get_ydata(), d.losses() - floor,
                               rtol=1e-12)  # fmt: skip
    assert bottom.get_yscale() == "log"
    ax = figures["gd-vs-mle.png"].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "a: Intercept", "a: x", "c: Intercept", "c: x"]  # fmt: skip
    descent = next(line for line in ax.get_lines() if "cross-entropy" in line.get_label())
    want = (d.params - mle.params) / mle.bse  # equation after equation
    np.testing.assert_allclose(descent.get_xdata(), want.T.ravel(), rtol=1e-12)
    run = fit_multiclass(frame, FitSettings(model=ModelOptions(formula="y ~ x"), losses=()))
    assert descent_figures(run) == {}
