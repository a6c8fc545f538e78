"""Effect curves against statsmodels: each grid point is the row built by hand (the variable
at its value, the others at their means or reference levels) predicted by statsmodels' GLM
of the same formula, its get_prediction(which="linear") interval through the link."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from logitlab.data.design import build_design
from logitlab.model import probabilities
from logitlab.stats import mle
from logitlab.stats.effects import GRID_POINTS, MAX_EFFECTS, effect_curves

FORMULA = "y ~ np.log(x) + C(g) * z + I(z ** 2) + t"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({"x": rng.uniform(1, 5, n), "g": rng.choice(["a", "b", "c"], n),
                          "z": rng.normal(size=n), "t": rng.random(n) < 0.5})  # fmt: skip
    eta = -1 + 0.9 * np.log(frame.x) + 0.6 * frame.z * (frame.g == "b") + 0.3 * frame.z**2
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    design = build_design(frame, formula=FORMULA)
    fit = mle.fit(design.X, design.y, intercept=True, names=design.names, tol=1e-12)
    return frame, design, fit


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_each_point_is_statsmodels_prediction_of_the_row_built_by_hand(data, level):
    frame, design, fit = data
    curves = effect_curves(design.spec, frame, fit.params, fit.cov, level=level)
    assert [c.variable for c in curves] == ["x", "g", "z", "t"]
    assert [len(c.values) for c in curves] == [GRID_POINTS, 3, GRID_POINTS, 2]
    held = {"x": frame.x.mean(), "g": "a", "z": frame.z.mean(), "t": False}
    result = smf.glm(FORMULA, frame, family=sm.families.Binomial()).fit(tol=1e-12)
    for curve in curves:
        assert curve.held == {k: v for k, v in held.items() if k != curve.variable}
        rows = pd.DataFrame([{**held, curve.variable: value} for value in curve.values])
        want = result.get_prediction(rows, which="linear").conf_int(alpha=1 - level)
        ends = sm.families.links.Logit().inverse(want)
        np.testing.assert_allclose(curve.predicted.low, ends[:, 0], rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(curve.predicted.high, ends[:, 1], rtol=1e-7, atol=1e-10)
        direct = probabilities(fit.params, design.spec.design(rows[list(design.spec.columns)]))
        np.testing.assert_allclose(curve.predicted.p, direct, rtol=1e-12, atol=1e-15)


def test_a_numeric_grid_spans_the_1st_to_99th_percentile_and_levels_start_at_the_reference(
    data,
):
    frame, design, fit = data
    x, g = effect_curves(design.spec, frame, fit.params, fit.cov)[:2]
    assert x.values[0] == pytest.approx(np.quantile(frame.x, 0.01), rel=1e-12)
    assert x.values[-1] == pytest.approx(np.quantile(frame.x, 0.99), rel=1e-12)
    assert g.values == ("a", "b", "c") and g.categorical and not x.categorical


def test_counts_weigh_the_means_and_only_the_first_variables_get_a_curve():
    rng = np.random.default_rng(4)
    n = 200
    columns = {f"v{i}": rng.normal(size=n) for i in range(MAX_EFFECTS + 2)}
    frame = pd.DataFrame({**columns, "y": rng.integers(0, 2, n)})
    design = build_design(frame, formula="y ~ " + " + ".join(columns))
    fit = mle.fit(design.X, design.y, intercept=True, names=design.names)
    counts = rng.integers(1, 4, n).astype(float)
    curves = effect_curves(design.spec, frame, fit.params, fit.cov, counts=counts)
    assert [c.variable for c in curves] == list(columns)[:MAX_EFFECTS]
    assert curves[0].held["v1"] == pytest.approx(np.repeat(frame.v1, counts.astype(int)).mean())


def test_a_curve_shows_one_line_and_an_escaped_card(data):
    frame, design, fit = data
    frame = frame.assign(g=frame.g.replace({"a": "<b>a"}))
    design = build_design(frame, formula=FORMULA)
    fit = mle.fit(design.X, design.y, intercept=True, names=design.names)
    x, g, _, t = effect_curves(design.spec, frame, fit.params, fit.cov)
    for curve in (x, g, t):
        line = repr(curve)
        assert "\n" not in line and len(line) < 200 and "array" not in line
    p = x.predicted.p
    assert repr(x) == (f"EffectCurve('x', {GRID_POINTS} values {x.values[0]:.4g} to "
                       f"{x.values[-1]:.4g}: P {p[0]:.4g} to {p[-1]:.4g}, 95% band; held: "
                       "'g', 'z', 't')")  # fmt: skip
    assert repr(g).startswith("EffectCurve('g', levels '<b>a', 'b', 'c': P=[")
    card = g._repr_html_()
    low, high = g.predicted.low[0], g.predicted.high[0]
    assert "<b>" not in card and (f"<td>&lt;b&gt;a</td><td>{g.predicted.p[0]:.4f}</td>"
                                  f"<td>[{low:.4f}, {high:.4f}]</td>") in card  # fmt: skip
    assert "<td>t</td><td>False</td>" in g._repr_html_()
    assert f"<td>x</td><td>{frame.x.mean():.4f}</td>" in t._repr_html_()
    assert "<td>g</td><td>&lt;b&gt;a</td>" in t._repr_html_()
