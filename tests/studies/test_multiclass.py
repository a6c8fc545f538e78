"""studies.multiclass: how a fit of three classes or more shows itself in a notebook, its
class probabilities over one variable (the report's picture): each point equals
MNLogitResult.predict of the row built by hand, the others at the fitted rows' means or
reference levels, and the classes' probabilities add up to 1; and the softmax descent beside
the MLE: it lands on statsmodels' MNLogit, its mapping to the baseline parametrisation
keeps its probabilities, its verdict's gradient is torch's, and what it cannot take is
refused or said."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import torch
from markupsafe import escape
from sklearn.datasets import load_iris

from logitlab.config import FitSettings, ModelOptions, TrainConfig
from logitlab.errors import ConfigError
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
            f"{e.rows} held-out rows; softmax descent {run.descent.verdict})") in line  # fmt: skip
    card = run._repr_html_()
    assert "<b>" not in card and "species ~ `&lt;b&gt;sl`" in card
    assert f"fitted on {int((~run.held_out).sum())}." in card
    assert f"<td>&lt;b&gt;sl</td><td>{mle.params[1, 1]:.4f}</td><td>{mle.bse[1, 1]:.4f}" in card
    for c, p, r in zip(mle.classes, e.precision, e.recall, strict=True):
        assert f"<td>{c}</td><td>{p:.4f}</td><td>{r:.4f}</td>" in card
    assert f"accuracy {e.accuracy:.4f}, log-loss {e.log_loss:.4f}" in card
    assert card.count("<div") == 1 and np.isfinite(e.auc_ovr)
    c = run.descent.convergence
    assert (f"{c.verdict} (|gradient| {c.grad_norm:.2g} ≤ tol {c.tol:.2g}) after "
            f"{run.descent.fit.epochs:,} epochs; mapped back as W_k − W_baseline"
            ) in card  # fmt: skip


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


@pytest.fixture(scope="module")
def simulated():
    """K = 3 classes drawn from a softmax of two columns on scales 1,000 times apart and a
    factor: raw descent on them would crawl, so the z-scores matter."""
    rng = np.random.default_rng(7)
    n = 400
    x1, x2, g = rng.normal(50, 10, n), rng.normal(0, 0.01, n), rng.choice(["a", "b"], n)
    eta = np.column_stack((np.zeros(n), -4 + 0.08 * x1 + 60 * x2 + 0.5 * (g == "b"),
                           3 - 0.05 * x1 - 80 * x2))  # fmt: skip
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(["lo", "mid", "hi"], p=row) for row in p])
    return pd.DataFrame({"x1": x1, "x2": x2, "g": g, "y": y})


def softmax_run(frame, engine="fused", **keywords):
    train = TrainConfig(epochs=keywords.pop("epochs", 3000), tol=keywords.pop("tol", 1e-6),
                        engine=engine)  # fmt: skip
    model = ModelOptions(formula="y ~ x1 + x2 + C(g)", baseline=keywords.pop("baseline", None))
    return fit_multiclass(frame, FitSettings(model=model, train=train, **keywords))


@pytest.mark.parametrize("engine", ["fused", "eager"])
def test_the_softmax_descent_lands_on_statsmodels_mnlogit(simulated, engine):
    run = softmax_run(simulated, engine)
    d, classes = run.descent, list(run.mle.classes)
    assert classes == ["hi", "lo", "mid"] and run.mle.baseline == "hi"
    codes = [classes.index(v) for v in simulated["y"]]  # 0, the baseline, first
    exog = np.column_stack((np.ones(len(simulated)), run.design.X))
    reference = sm.MNLogit(codes, exog).fit(disp=0, tol=1e-12)
    assert d.params.shape == reference.params.shape == (4, 2)
    in_se = np.abs(d.params - reference.params) / reference.bse
    assert in_se.max() < 1e-3  # measured 3.2e-5 on both engines (tol 1e-6 met in 52 epochs)
    assert d.to_mle.max_se == pytest.approx(in_se.max(), rel=1e-4)
    assert d.verdict == "converged" and d.convergence.stopped_early
    assert d.fit.engine == engine and d.fit.epochs < 3000
    # the loss curve: from the seeded start down to the MLE's mean cross-entropy
    losses = d.losses()
    assert len(losses) == d.fit.epochs + 1 and losses[0] > losses[-1]
    assert losses[-1] == pytest.approx(-run.mle.llf / run.mle.nobs, rel=1e-6)


def test_the_mapped_coefficients_give_the_descents_own_probabilities(simulated, assert_ulps):
    run = softmax_run(simulated, baseline="mid", epochs=40, test_size=0.25)
    d, X = run.descent, run.design.X[~run.held_out]
    assert d.verdict == "not converged" and d.fit.epochs == 40  # far from the MLE: any point
    Z = (X - d.scaling.mean) / d.scaling.scale
    mapped = replace(run.mle, params=d.params).predict(X)  # baseline form, original scale
    assert_ulps(mapped, d.fit.probabilities(Z), precision=np.float64)  # measured 1.5 ulps
    # equation k is W_k - W_baseline: each column against the baseline's, classes in order
    weights = np.vstack((d.fit.bias, d.fit.weight.T))
    hi, lo, mid = (weights[:, k] for k in range(3))  # mle.classes' order
    standard = np.apply_along_axis(d.scaling.to_standard, 0, d.params)
    assert run.mle.equations == ("hi", "lo")
    np.testing.assert_allclose(standard, np.column_stack((hi - mid, lo - mid)), rtol=1e-12,
                               atol=1e-12)  # fmt: skip


def test_the_verdicts_gradient_is_torchs(simulated):
    run = softmax_run(simulated, epochs=30)
    d = run.descent
    X = run.design.X
    Z = torch.tensor((X - d.scaling.mean) / d.scaling.scale)
    layer = torch.nn.Linear(Z.shape[1], 3, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(d.fit.weight))
        layer.bias.copy_(torch.tensor(d.fit.bias))
    codes = torch.tensor([list(run.mle.classes).index(v) for v in run.labels])
    torch.nn.CrossEntropyLoss()(layer(Z), codes).backward()
    norm = torch.cat((layer.weight.grad.ravel(), layer.bias.grad)).norm().item()
    assert d.convergence.grad_norm == pytest.approx(norm, rel=1e-10)
    assert d.convergence.tol == 1e-6 and not d.convergence.stopped_early


@pytest.mark.parametrize(
    ("keywords", "words"),
    [
        ({"losses": ("mse",)}, "loss mse asks for a descent on MSE, which is not defined"),
        ({"losses": ("bce", "mse")}, "loss both asks for a descent on MSE"),
        ({"train": TrainConfig(init=(0.0, 1.0))}, "start is a point of the two-class descent"),
    ],
)
def test_what_the_softmax_descent_cannot_take_is_refused(simulated, keywords, words):
    settings = FitSettings(model=ModelOptions(formula="y ~ x1"), **keywords)
    with pytest.raises(ConfigError, match=words):
        fit_multiclass(simulated, settings)


@pytest.mark.parametrize(
    ("formula", "losses", "words"),
    [
        ("y ~ x1", (), "no gradient descent was asked for (no loss given)"),
        ("y ~ x1 - 1", ("bce",), "this model has no intercept, so there is no descent"),
    ],
)
def test_no_descent_is_said(simulated, formula, losses, words):
    run = fit_multiclass(simulated, FitSettings(model=ModelOptions(formula=formula),
                                                losses=losses))  # fmt: skip
    assert run.descent is None and words in run.note
    assert run.summary().endswith(run.note) and "softmax descent" not in repr(run)
    assert f"{escape(run.note)}.</p>" in run._repr_html_()
