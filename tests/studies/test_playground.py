"""The playground's studies: each loss fitted as fit_batch fits it, side by side, with the
trajectory's stride and the distance to the MLE; the 2-D view's fit of the chosen transforms
against fit_batch, torch's loop and statsmodels' MLE, its accuracy and its sentence; its L2
fit against stats.penalized and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

from logitlab import fit
from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.data.simulated import simulate_plane
from logitlab.engines.batch import fit_batch
from logitlab.errors import ConfigError
from logitlab.model import probabilities
from logitlab.stats.mle import fit as fit_mle
from logitlab.stats.penalized import fit as fit_penalized
from logitlab.studies.playground import (
    PlaneSettings,
    PlaygroundSettings,
    penalty_sentence,
    plane_design,
    plane_features,
    plane_sentence,
    run_plane,
    run_playground,
    trajectory_stride,
)


@pytest.mark.parametrize(("epochs", "frames", "every"), [(10_000, 200, 51), (100, 200, 1),
                                                          (1000, 10, 101), (12, 3, 5)])  # fmt: skip
def test_the_stride_is_odd_and_keeps_at_most_frames_points(epochs, frames, every):
    assert trajectory_stride(epochs, frames) == every
    assert every % 2 == 1 and -(-epochs // every) <= frames


def test_each_loss_is_fit_batchs_fit_with_its_distance_to_the_mle():
    data = simulate(300, -1.0, 5.0, 7)
    x, y = np.asarray(data.x, dtype=float).ravel(), np.asarray(data.y, dtype=float).ravel()
    train = TrainConfig(lr=0.5, epochs=300, optimizer="momentum")
    mle = fit_mle(x, y, names=("x",))
    ends = (np.asarray(mle.params, dtype=float), np.asarray(mle.bse, dtype=float))
    run = run_playground(x, y, "x", PlaygroundSettings(train, ("bce", "mse"), 7), ends)
    batch = fit_batch(x[:, None], y, loss=["bce", "mse"], lr=0.5, epochs=300, record_every=7,
                      optimizer="momentum")  # fmt: skip
    assert list(run.fits) == ["bce", "mse"] and run.every == 7 and run.seconds > 0
    for b, loss in enumerate(("bce", "mse")):
        np.testing.assert_array_equal(run.fits[loss].params, batch.params[b])
        gap = batch.params[b] - ends[0]
        assert run.distance[loss]["se"] == pytest.approx(float((np.abs(gap) / ends[1]).max()))
        assert run.distance[loss]["euclid"] == pytest.approx(float(np.linalg.norm(gap)))


def test_without_an_mle_there_is_no_distance():
    x, y = np.array([-1.0, 0.0, 1.0, 2.0]), np.array([0.0, 1.0, 0.0, 1.0])
    run = run_playground(x, y, "x", PlaygroundSettings(TrainConfig(epochs=5), ("bce",), 1))
    assert run.distance == {"bce": None}


# --- the 2-D view's study -------------------------------------------------------------------


def plane(shape="xor", features=("x1", "x2"), n=200, seed=3, lam=0.0, **train):
    """run_plane of a data set, its inputs, L2 penalty and training (SGD lr 0.1, 500 epochs by
    default)."""
    cfg = TrainConfig(**({"lr": 0.1, "epochs": 500} | train))
    return run_plane(PlaneSettings(shape, n, seed, features, cfg, 11, lam))


def test_the_2d_fit_is_fit_batchs_fit_of_the_chosen_transforms():
    run = plane(features=("x1x2", "sinx2", "x1sq"), optimizer="momentum")
    data = simulate_plane("xor", 200, 3)
    x1, x2 = (data.x[:, j].double().numpy() for j in (0, 1))
    design = np.column_stack((x1**2, x1 * x2, np.sin(x2)))  # the table's order, not the clicks'
    assert run.settings.features == ("x1sq", "x1x2", "sinx2")
    batch = fit_batch(design, run.y, loss="bce", lr=0.1, epochs=500, optimizer="momentum",
                      record_every=11, names=("x1sq", "x1x2", "sinx2"))  # fmt: skip
    np.testing.assert_array_equal(run.fit.params, batch.params[0])
    np.testing.assert_array_equal(run.fit.history.params, batch.result(0).history.params)
    np.testing.assert_array_equal(run.x, data.x.double().numpy())


def test_the_2d_fit_agrees_with_torchs_eager_loop():
    run = plane("blobs", ("x1", "x2", "x1x2"), lr=0.2, epochs=150)
    eager = fit(plane_design(run.x, run.settings.features), run.y,
                TrainConfig(lr=0.2, epochs=150), engine="eager")  # fmt: skip
    np.testing.assert_allclose(run.fit.params, eager.params, rtol=1e-4, atol=1e-5)


def test_the_mle_is_statsmodels_and_a_long_descent_reaches_it():
    run = plane("noise", ("x1", "x2", "x1sq"), n=500, optimizer="adam", lr=0.05, epochs=4000)
    design = plane_design(run.x, run.settings.features)
    reference = sm.Logit(run.y, sm.add_constant(design)).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(run.mle.params, reference.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(run.mle.se, reference.bse, rtol=1e-6)
    assert run.mle_note == "" and run.fit.separation is None
    np.testing.assert_allclose(run.fit.params, reference.params, atol=0.02)


def test_xor_fails_with_a_line_and_is_solved_with_the_cross_term():
    line, cross = plane(), plane(features=("x1", "x2", "x1x2"), epochs=2000)
    assert line.line_accuracy is None and line.sentence == ""
    assert line.accuracy[-1] < 0.6 and cross.accuracy[-1] > 0.95
    assert cross.line_accuracy == pytest.approx(float(line.accuracy[-1]), abs=1e-12)
    assert not cross.line_separable
    assert cross.sentence == (
        f"The classes of XOR are not separable by a line: x1, x2 alone reach "
        f"{line.accuracy[-1]:.0%} accuracy; with x1·x2 added, {cross.accuracy[-1]:.0%}."
    )


def test_the_accuracy_is_the_share_on_the_right_side_of_p_one_half():
    run = plane("circles", ("x1sq", "x2sq"), n=300)
    design = plane_design(run.x, run.settings.features)
    for k in (0, len(run.accuracy) // 2, -1):
        p = probabilities(run.fit.history.params[k], design)
        assert run.accuracy[k] == np.mean((p > 0.5) == (run.y == 1))
    assert len(run.accuracy) == len(run.fit.history.params)


def test_separated_data_have_no_mle_and_say_why():
    run = plane("circles", ("x1sq", "x2sq"), n=40)
    assert run.mle is None and run.mle_note.startswith("no MLE: complete separation")
    assert run.fit.separation is not None and run.fit.separation in run.mle_note


@pytest.mark.parametrize(
    ("features", "accuracy", "line", "separable", "sentence"),
    [(("x1", "x2"), 0.9, None, False, ""),
     (("x1", "x2", "x1sq"), 0.95, 0.951, True,
      "A line does as well on the two blobs: x1, x2 alone reach 95% accuracy; with x1² added, "
      "95%."),
     (("x1", "x2", "x1sq"), 0.97, 0.97, False,
      "A line does as well on the two blobs: x1, x2 alone reach 97% accuracy; with x1² added, "
      "97%."),
     (("x1x2", "sinx1"), 0.9, 0.5, False,
      "The classes of the two blobs are not separable by a line: x1, x2 alone reach 50% "
      "accuracy; with x1·x2, sin(x1) instead, 90%.")],
)  # fmt: skip
def test_the_sentence_follows_the_numbers(features, accuracy, line, separable, sentence):
    assert plane_sentence("blobs", features, accuracy, line, separable) == sentence


@pytest.mark.parametrize("bad", [(), ("x1", "x1"), ("x3",), "x1x3"])
def test_the_inputs_are_distinct_names_of_the_table(bad):
    with pytest.raises(ConfigError, match="features must be distinct names among x1, x2"):
        plane_features(bad)
    assert plane_features("x2") == ("x2",)


def test_a_start_must_give_one_value_per_input():
    with pytest.raises(ConfigError, match="init must hold 4 numbers"):
        plane(features=("x1", "x2", "x1x2"), init=(0.0, 1.0))


# --- the 2-D view's L2 penalty --------------------------------------------------------------


def sklearn_l2(design: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """glmnet's l2 objective by scikit-learn: C = 1/(n lam) on columns standardized by their
    population SD, the coefficients mapped back to the original scale (intercept first)."""
    mean, sd = design.mean(axis=0), design.std(axis=0)
    model = LogisticRegression(C=1 / (len(y) * lam), tol=1e-12, max_iter=10_000)
    model.fit((design - mean) / sd, y)
    coef = model.coef_[0] / sd
    return np.concatenate(([model.intercept_[0] - coef @ mean], coef))


@pytest.mark.parametrize(("shape", "features", "lam"),
                         [("blobs", ("x1", "x2"), 0.1), ("xor", ("x1", "x2", "x1x2"), 0.003),
                          ("circles", ("x1sq", "x2sq"), 1.0)])  # fmt: skip
def test_the_l2_fit_is_stats_penalized_and_scikit_learns(shape, features, lam):
    run = plane(shape, features, n=300, lam=lam, epochs=200)
    design = plane_design(run.x, run.settings.features)
    ours = fit_penalized(design, run.y, lam)
    np.testing.assert_array_equal(run.l2.params, ours.params)  # the same code, one process
    assert run.l2.lam == lam and run.l2.objective == ours.objective and run.l2.converged
    np.testing.assert_allclose(run.l2.params, sklearn_l2(design, run.y, lam), rtol=1e-6,
                               atol=1e-6)  # fmt: skip
    p = probabilities(run.l2.params, design)
    assert run.l2_accuracy == np.mean((p > 0.5) == (run.y == 1))
    # the descent is not penalized: the same training as without lam
    unpenalized = plane(shape, features, n=300, epochs=200)
    np.testing.assert_array_equal(run.fit.params, unpenalized.fit.params)


def test_the_penalty_shrinks_and_its_sentence_says_by_how_much():
    off, on = plane("blobs", n=300), plane("blobs", n=300, lam=0.1)
    assert off.l2 is None and off.l2_accuracy is None and off.l2_sentence == ""
    before, after = np.linalg.norm(on.mle.params[1:]), np.linalg.norm(on.l2.params[1:])
    assert after < before / 2
    design = plane_design(on.x, on.settings.features)
    was = np.mean((probabilities(on.mle.params, design) > 0.5) == (on.y == 1))
    assert on.l2_sentence == (
        f"λ = 0.1 shrinks the coefficients' size (their length, the intercept aside) from "
        f"{before:.3g} (the MLE) to {after:.3g}; accuracy {was:.0%} → {on.l2_accuracy:.0%}."
    )
    separated = plane("circles", ("x1sq", "x2sq"), n=40, lam=0.01)  # no MLE: the descent's
    assert separated.mle is None and "(the descent)" in separated.l2_sentence
    said = penalty_sentence(0.5, (np.array([0.0, 3.0, 4.0]), "the MLE"),
                            np.array([1.0, 0.6, 0.8]), 0.981, 0.954)  # fmt: skip
    assert said == ("λ = 0.5 shrinks the coefficients' size (their length, the intercept aside) "
                    "from 5 (the MLE) to 1; accuracy 98% → 95%.")  # fmt: skip


def test_the_runs_show_one_line_and_an_escaped_card():
    data = simulate(300, -1.0, 5.0, 7)
    x, y = np.asarray(data.x, dtype=float).ravel(), np.asarray(data.y, dtype=float).ravel()
    mle = fit_mle(x, y, names=("x",))
    ends = (np.asarray(mle.params, dtype=float), np.asarray(mle.bse, dtype=float))
    settings = PlaygroundSettings(TrainConfig(lr=0.5, epochs=100), ("bce", "mse"), 7)
    run = run_playground(x, y, "<b>x", settings, ends)
    line = repr(run)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    for loss, ended in run.fits.items():
        w0, w1 = ended.params
        assert (f"{loss} [{w0:.4g}, {w1:.4g}] {ended.convergence.verdict}, "
                f"{run.distance[loss]['se']:.3g} SE from the MLE") in line  # fmt: skip
    card = run._repr_html_()
    assert "<b>" not in card and "<th>&lt;b&gt;x</th>" in card
    d = run.distance["mse"]
    assert f"<td>{d['se']:.4f}</td><td>{d['euclid']:.4f}</td>" in card
    moved = plane(features=("x1", "x2", "x1x2"), lam=0.1, epochs=100)
    line = repr(moved)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert line.startswith("PlaneRun(xor, 200 points, inputs x1, x2, x1x2: ")
    assert f"accuracy {moved.accuracy[-1]:.3f}" in line
    assert f"L2 accuracy {moved.l2_accuracy:.3f}" in line
    card = moved._repr_html_()
    assert f"<td>a line (x1, x2 alone)</td><td>{moved.line_accuracy:.4f}</td>" in card
    assert moved.sentence in card.replace("&#39;", "'")
