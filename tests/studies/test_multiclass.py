"""studies.multiclass: how a fit of three classes or more shows itself in a notebook, and its
class probabilities over one variable (the report's picture): each point equals
MNLogitResult.predict of the row built by hand, the others at the fitted rows' means or
reference levels, and the classes' probabilities add up to 1."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from logitlab.config import FitSettings, ModelOptions
from logitlab.stats.effects import GRID_POINTS, QUANTILES
from logitlab.studies.multiclass import fit_multiclass


def test_repr_is_one_short_line_and_the_card_escapes_names():
    data = load_iris(as_frame=True)
    frame = pd.DataFrame({"<b>sl": data.frame.iloc[:, 0],
                          "species": data.target_names[data.target]})  # fmt: skip
    settings = FitSettings(model=ModelOptions(formula="species ~ `<b>sl`"), test_size=0.2)
    run = fit_multiclass(frame, settings)
    e, mle = run.evaluation, run.mle
    line = repr(run)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert (f"{run.design.rows_used} rows: 3 classes against 'setosa', llf {mle.llf:.4g}, "
            f"converged in {mle.iterations} iterations; accuracy {e.accuracy:.3f} on "
            f"{e.rows} held-out rows)") in line  # fmt: skip
    card = run._repr_html_()
    assert "<b>" not in card and "species ~ `&lt;b&gt;sl`" in card
    assert f"fitted on {int((~run.held_out).sum())}." in card
    assert f"<td>&lt;b&gt;sl</td><td>{mle.params[1, 1]:.4f}</td><td>{mle.bse[1, 1]:.4f}" in card
    for c, p, r in zip(mle.classes, e.precision, e.recall, strict=True):
        assert f"<td>{c}</td><td>{p:.4f}</td><td>{r:.4f}</td>" in card
    assert f"accuracy {e.accuracy:.4f}, log-loss {e.log_loss:.4f}" in card
    assert card.count("<div") == 1 and np.isfinite(e.auc_ovr)


@pytest.fixture(scope="module")
def iris():
    data = load_iris(as_frame=True)
    frame = pd.DataFrame({"sl": data.frame.iloc[:, 0], "sw": data.frame.iloc[:, 1],
                          "species": data.target_names[data.target]})  # fmt: skip
    rng = np.random.default_rng(3)
    frame["g"] = rng.choice(["lo", "mid", "hi"], len(frame))
    frame["z"] = rng.normal(size=len(frame))  # noise: sw and sl together split setosa off
    return frame


def test_the_curves_are_the_fits_predictions_at_rows_built_by_hand(iris, assert_ulps):
    settings = FitSettings(model=ModelOptions(formula="species ~ C(g) + sw + z"), test_size=0.3,
                           split_seed=2)  # fmt: skip
    run = fit_multiclass(iris, settings)
    curves = run.curves
    assert curves.variable == "sw" and not curves.categorical  # the first numeric variable
    fitted = iris.iloc[run.design.rows[~run.held_out]]
    assert len(fitted) == 105
    low, high = np.quantile(fitted["sw"], QUANTILES)
    assert len(curves.values) == GRID_POINTS
    np.testing.assert_allclose([curves.values[0], curves.values[-1]], [low, high], rtol=1e-15)
    mean = fitted["z"].mean()
    assert curves.held == {"g": "hi", "z": pytest.approx(mean, rel=1e-14)}
    for k in (0, 37, GRID_POINTS - 1):
        by_name = {"C(g)[T.lo]": 0.0, "C(g)[T.mid]": 0.0, "sw": curves.values[k], "z": mean}
        row = np.array([[by_name[name] for name in run.mle.names[1:]]])
        assert_ulps(curves.p[k], run.mle.predict(row)[0], precision=np.float64)
    assert curves.p.shape == (GRID_POINTS, 3)
    np.testing.assert_allclose(curves.p.sum(axis=1), 1.0, rtol=0, atol=1e-15)


def test_a_categorical_variable_gives_one_point_a_level_reference_first(iris, assert_ulps):
    run = fit_multiclass(iris, FitSettings(model=ModelOptions(formula="species ~ C(g)")))
    curves = run.curves
    assert curves.variable == "g" and curves.categorical and curves.held == {}
    assert curves.values == ("hi", "lo", "mid")
    rows = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # C(g)[T.lo], C(g)[T.mid]
    assert_ulps(curves.p, run.mle.predict(rows), precision=np.float64)
    # with one factor, each level's probabilities are its rows' class shares (the MLE)
    shares = pd.crosstab(iris["g"], iris["species"], normalize="index").loc[["hi", "lo", "mid"]]
    np.testing.assert_allclose(curves.p, shares.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(curves.p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
