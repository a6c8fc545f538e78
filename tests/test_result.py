"""FitResult for any number of features, and the one divergence rule."""

import json

import numpy as np
import pytest
import torch

from logitlab.config import TrainConfig
from logitlab.engines import fit
from logitlab.engines.batch import fit_batch
from logitlab.errors import DataError
from logitlab.records import json_safe, to_record
from logitlab.result import (
    GRAD_TOL,
    INTERCEPT,
    LOGIT_LIMIT,
    RISE_TOL,
    Convergence,
    FitResult,
    History,
    diverged,
    largest_logit,
    logit_bound,
    unstable,
)
from logitlab.stats import mle

NAMES = ("age", "income", "smoker")


@pytest.fixture(scope="module")
def three_features():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(400, 3, generator=gen)
    y = torch.bernoulli(
        torch.sigmoid(0.3 + x @ torch.tensor([[1.0], [-2.0], [0.5]])), generator=gen
    )
    return x, y


@pytest.mark.parametrize("engine", ["eager", "fused"])
def test_a_fit_carries_intercept_coef_and_names(three_features, engine):
    x, y = three_features
    result = fit(x, y, TrainConfig(lr=0.5, epochs=300), names=NAMES, engine=engine)
    assert result.names == NAMES and result.coef.shape == (3,)
    assert result.params[0] == result.intercept
    np.testing.assert_array_equal(result.params[1:], result.coef)
    assert list(result.coefficients()) == [INTERCEPT, *NAMES]
    with pytest.raises(AttributeError, match="one-feature"):
        _ = result.w1


def test_unnamed_features_are_x1_to_xd(three_features):
    x, y = three_features
    assert fit(x, y, TrainConfig(epochs=5)).names == ("x1", "x2", "x3")


@pytest.mark.parametrize(
    ("names", "words"),
    [(("a", "b"), "one name per feature"), (("a", "a", "b"), "differ")],
)
def test_bad_names_are_data_errors(three_features, names, words):
    x, y = three_features
    with pytest.raises(DataError, match=words):
        fit(x, y, TrainConfig(epochs=5), names=names)


def test_records_key_coefficients_by_name(three_features):
    x, y = three_features
    result = fit(x, y, TrainConfig(lr=0.5, epochs=3000), names=NAMES)
    record = to_record(result)
    assert list(record["coef"]) == [INTERCEPT, *NAMES]
    assert "w0" not in record  # the lecture's names only for one feature
    reference = mle.fit(x, y, names=NAMES)
    mle_record = to_record(reference)
    assert list(mle_record["coef"]) == list(mle_record["se"]) == [INTERCEPT, *NAMES]
    for name in (INTERCEPT, *NAMES):  # 3,000 epochs of BCE descent reach the MLE
        assert record["coef"][name] == pytest.approx(mle_record["coef"][name], abs=2e-3)
    json.dumps(json_safe(record), allow_nan=False)


def test_batch_rows_name_every_coefficient(three_features):
    x, y = three_features
    batch = fit_batch(x, y, lr=[0.1, 1e7], epochs=50, names=NAMES, engine="eager")
    good, bad = to_record(batch)
    assert [k for k in good if k in (INTERCEPT, *NAMES)] == [INTERCEPT, *NAMES]
    assert bad["diverged_at"] > 0 and np.isnan(bad["age"])
    assert json_safe(bad)["age"] is None


def test_mle_summary_prints_one_row_per_coefficient(three_features):
    x, y = three_features
    long_names = ("a_rather_long_feature_name", "income", "smoker")
    table = mle.fit(x, y, names=long_names).summary()
    rows = [
        line
        for line in table.splitlines()
        if line.split()[:1] in ([INTERCEPT], *[[n] for n in long_names])
    ]
    assert len(rows) == 4
    assert len({len(line) for line in rows}) == 1  # columns stay aligned whatever the names


def test_divergence_rule_bounds_the_logits():
    xmin, xmax = np.array([-1.0, 0.0]), np.array([1.0, 2.0])
    params = np.array(
        [[1.0, 2.0, 3.0], [np.nan, 0.0, 0.0], [0.0, np.inf, 0.0], [8.0, 0.0, LOGIT_LIMIT / 2]]
    )
    # u = 1 + 2 x1 + 3 x2 over the box reaches 1 + 2 + 6 at (1, 2), and -1 at (-1, 0)
    np.testing.assert_array_equal(logit_bound(params[:1], xmin, xmax), [9.0])
    corners = np.array([[-1.0, 0.0], [1.0, 2.0]])  # data on the box's corners: exact = box
    np.testing.assert_array_equal(diverged(params, xmin, xmax, corners), [False, True, True, True])
    assert not diverged([LOGIT_LIMIT, 0.0, 0.0], xmin, xmax, corners)


def test_many_features_are_judged_on_the_rows_not_the_box():
    # 64 features, each row inked in one of them: the box's corner (all 1) has logit 64 * 2,
    # past the limit, but no row comes near it
    x = np.eye(64)
    params = np.r_[0.0, np.full(64, 2.0)]
    assert logit_bound(params, x.min(axis=0), x.max(axis=0)) == 128.0
    assert largest_logit(params, x.min(axis=0), x.max(axis=0), x) == 2.0
    assert not diverged(params, x.min(axis=0), x.max(axis=0), x)
    params[5] = 100.0  # now row 4 has a logit of 100
    assert diverged(params, x.min(axis=0), x.max(axis=0), x)


def test_the_bound_is_exact_for_one_feature_far_from_zero():
    # x in [90, 110], u = -100 + x: the logits span [-10, 10], whatever the offset
    x = np.linspace(90, 110, 21)
    assert logit_bound([-100.0, 1.0], [90.0], [110.0]) == np.max(np.abs(-100 + x))
    assert not diverged([-100.0, 1.0], [90.0], [110.0], x[:, None])


def test_instability_is_a_rise_of_the_loss():
    assert not unstable([0.7, 0.5, 0.4, 0.4 * (1 + RISE_TOL / 2)])
    assert unstable([0.7, 0.5, 0.6, 0.3])
    assert Convergence(grad_norm=1e-5, tol=1e-4, stable=False).verdict == "unstable"
    assert Convergence(grad_norm=1e-3, tol=1e-4, stable=True).verdict == "not converged"
    assert Convergence(grad_norm=1e-5, tol=1e-4, stable=True).converged


def test_from_params_defaults_the_names():
    history = History(loss=np.zeros(1), params=np.zeros((2, 3)), grad_norm=np.zeros(1))
    convergence = Convergence(grad_norm=0.0, tol=GRAD_TOL, stable=True)
    result = FitResult.from_params(
        [1.0, 2.0, 3.0],
        loss_name="bce",
        final_loss=0.1,
        epochs=1,
        history=history,
        convergence=convergence,
    )
    assert result.names == ("x1", "x2") and result.w0 == 1.0


def test_from_descent_judges_the_descent_in_one_place():
    params = np.array([[0.0, 0.0], [1.0, 2.0], [1.5, 2.5]])
    history = History(loss=np.array([0.7, 0.5]), params=params, grad_norm=np.array([1.0, 0.5]))
    result = FitResult.from_descent(history, None, loss_name="bce", final_loss=0.4,
                                    grad_norm=1e-5, epochs=2, planned=5, tol=None,
                                    engine="eager")  # fmt: skip
    assert result.intercept == 1.5 and result.coef.tolist() == [2.5] and result.names == ("x1",)
    assert result.converged and result.convergence.stopped_early is True
    assert result.convergence.tol == GRAD_TOL
    rising = FitResult.from_descent(history, ("a",), loss_name="mse", final_loss=0.9,
                                    grad_norm=1e-5, epochs=2, planned=2, tol=1e-3,
                                    engine="fused")  # fmt: skip
    assert rising.convergence.verdict == "unstable" and not rising.convergence.stopped_early


# --- what a notebook shows: a short repr and an HTML card ----------------------------------


def _descent(d: int, names=None, epochs=10_000) -> FitResult:
    """A finished descent of d features (its history a few recorded epochs long)."""
    params = np.random.default_rng(d).normal(size=(4, d + 1))
    history = History(loss=np.array([0.69, 0.41, 0.3]), params=params,
                      grad_norm=np.array([0.5, 0.1, 2e-5]))  # fmt: skip
    return FitResult.from_descent(history, names, loss_name="bce", final_loss=0.2712,
                                  grad_norm=2e-5, epochs=epochs, planned=epochs, tol=None,
                                  engine="eager")  # fmt: skip


def test_a_fit_result_repr_is_one_short_line_with_its_numbers():
    result = _descent(1)
    text = repr(result)
    assert "\n" not in text and len(text) < 120
    assert text.startswith("FitResult(loss='bce', epochs=10000, params=[")
    assert f"{result.intercept:.4g}, {result.w1:.4g}]" in text
    assert "final loss 0.2712" in text and text.endswith("converged)")


def test_a_fit_result_repr_stays_short_with_many_features():
    result = _descent(300)
    text = repr(result)
    assert "\n" not in text and len(text) < 160
    assert "… 295 more]" in text  # 301 parameters, the first 6 listed
    assert f"{result.coef[4]:.4g}, … " in text


def test_a_fit_result_card_names_every_term_escaped():
    result = _descent(2, names=("<b>", "a & b"))
    page = result._repr_html_()
    assert "&lt;b&gt;" in page and "<b>" not in page and "a &amp; b" in page
    assert "<td>Intercept</td>" in page
    assert f"<td>{result.coef[1]:.4f}</td>" in page
    assert "converged (|gradient| 2e-05 ≤ tol 0.0001) after 10,000 epochs" in page
    assert "final loss 0.2712" in page


def test_a_history_repr_gives_its_length_and_its_loss_at_both_ends():
    history = _descent(1).history
    assert repr(history) == "History(3 epochs recorded, loss 0.69 -> 0.3)"
    assert "3 recorded epochs: loss 0.6900 → 0.3000" in history._repr_html_()
    empty = History(loss=np.zeros(0), params=np.zeros((1, 2)), grad_norm=np.zeros(0))
    assert repr(empty) == "History(0 epochs recorded)"
    assert "0 recorded epochs." in empty._repr_html_()
