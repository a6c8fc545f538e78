"""viz.multiclass: the class probabilities' figure draws each class's curve as given, in
the style table's colour, named in the legend; a categorical variable as bars a level."""

import numpy as np
from matplotlib.colors import to_rgba

from logitlab.studies.multiclass import ClassCurves
from logitlab.viz.multiclass import plot_class_probabilities
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
