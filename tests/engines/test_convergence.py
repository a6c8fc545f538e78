"""Every engine judges a run the same way: where it diverged, whether it was stable, whether
it converged, and when it may stop early."""

import warnings

import numpy as np
import pytest
import torch

from logitlab.config import TrainConfig
from logitlab.engines import fit
from logitlab.engines.batch import fit_batch
from logitlab.errors import DivergenceError, SeparationWarning
from logitlab.losses import mean_gradient
from logitlab.records import to_record
from logitlab.result import GRAD_TOL, LOGIT_LIMIT

ENGINES = ["eager", "fused"]


def test_the_lecture_bce_fit_converged_and_mse_did_not(eager_fits, lecture_data):
    bce, mse = eager_fits["bce"].convergence, eager_fits["mse"].convergence
    assert bce.converged and bce.grad_norm <= GRAD_TOL
    assert not mse.converged and mse.verdict == "not converged" and mse.grad_norm > 10 * GRAD_TOL
    x, y = lecture_data.x.numpy(), lecture_data.y.numpy()
    reference = np.linalg.norm(mean_gradient("mse", eager_fits["mse"].params, x, y))
    assert mse.grad_norm == pytest.approx(reference)


@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.parametrize("every", [1, 7, 10_000])
def test_batch_divergence_is_reported_at_the_true_epoch(lecture_data, loss, every):
    with pytest.raises(DivergenceError) as info:
        fit(lecture_data.x, lecture_data.y, TrainConfig(loss=loss, lr=1e6), engine="eager")
    for engine in ENGINES:
        batch = fit_batch(lecture_data.x, lecture_data.y, loss=loss, lr=1e6, record_every=every,
                          engine=engine)  # fmt: skip
        assert batch.diverged_at[0] == info.value.epoch == 1
        assert batch.diverged_value[0] == pytest.approx(info.value.value, rel=1e-4)
        assert batch.diverged_value[0] > LOGIT_LIMIT


def test_mse_cannot_hide_a_divergence(lecture_data):
    # MSE's loss is at most 1, so a rule on the loss alone never fires; the logits do.
    for engine in ENGINES:
        with pytest.raises(DivergenceError, match="mse loss diverged at epoch 1"):
            fit(lecture_data.x, lecture_data.y, TrainConfig(loss="mse", lr=1e6), engine=engine)


@pytest.mark.parametrize("lr", [20.0, 50.0, 100.0])
def test_an_oscillating_descent_is_named_unstable_by_both_engines(lecture_data, lr):
    cfg = TrainConfig(lr=lr, epochs=2000)
    verdicts = {fit(lecture_data.x, lecture_data.y, cfg, engine=e).convergence.verdict
                for e in ENGINES}  # fmt: skip
    assert verdicts == {"unstable"}


def test_a_sweep_sees_instability_with_a_sparse_history(lecture_data):
    batch = fit_batch(lecture_data.x, lecture_data.y, lr=[0.5, 20.0], epochs=2000,
                      record_every=20)  # fmt: skip
    assert list(batch.stable) == [True, False]
    assert list(batch.converged) == [True, False]


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_early_stopping_agrees_across_engines(lecture_data, loss):
    cfg = TrainConfig(loss=loss, lr=1.0, tol=1e-5)
    eager, fused = (fit(lecture_data.x, lecture_data.y, cfg, engine=e) for e in ENGINES)
    assert eager.epochs == fused.epochs < cfg.epochs
    assert eager.convergence.stopped_early and eager.converged and fused.converged
    assert eager.history.loss.shape == (eager.epochs,)
    assert eager.history.params.shape == fused.history.params.shape == (eager.epochs + 1, 2)
    np.testing.assert_allclose(fused.params, eager.params, rtol=1e-4)
    assert fused.convergence.grad_norm <= cfg.tol


def test_a_batch_stops_each_fit_on_its_own(lecture_data):
    batch = fit_batch(lecture_data.x, lecture_data.y, lr=[0.05, 1.0], tol=1e-4, record_every=3)
    assert batch.epochs_run[1] < batch.epochs_run[0] <= 10_000
    fast = batch.result(1)
    assert fast.epochs == batch.epochs_run[1]
    assert len(fast.history.loss) == -(-fast.epochs // 3)
    assert np.all(np.isfinite(fast.history.loss)) and fast.converged


def test_separable_data_warn_and_are_recorded():
    x = torch.linspace(-1, 1, 200).reshape(-1, 1)
    with pytest.warns(SeparationWarning, match="complete separation: 1\\*x1 is > 0"):
        result = fit(x, (x > 0).float(), TrainConfig(epochs=200))
    assert "complete separation" in result.separation
    assert to_record(result)["separation"] == result.separation
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overlapping classes: no warning
        assert fit(x, (x > 0.5).float() * (x < 0.8), TrainConfig(epochs=5)).separation is None


def test_a_negative_leading_term_reads_as_a_sign():
    x = torch.linspace(-1, 1, 200).reshape(-1, 1)
    with pytest.warns(SeparationWarning, match=r"separation: -1\*x1 is > 0"):
        fit(x, (x < 0).float(), TrainConfig(epochs=5))


def test_a_vanishing_gradient_does_not_stop_a_fit_without_tol(lecture_data):
    # Far out on MSE's plateau the float32 gradient can be exactly 0: without tol the lecture
    # runs every epoch anyway, on both engines.
    cfg = TrainConfig(loss="mse", epochs=300)
    for engine in ENGINES:
        net_start = [60.0, 20.0]
        batch = fit_batch(lecture_data.x, lecture_data.y, loss="mse", init=net_start,
                          epochs=cfg.epochs, engine=engine)  # fmt: skip
        assert batch.epochs_run[0] == cfg.epochs


def one_hot_rows(d: int = 64, copies: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Rows that each ink one of d features (like a pixel), labels 1 for even features."""
    x = np.tile(np.eye(d, dtype=np.float32), (copies, 1))
    y = np.tile((np.arange(d) % 2 == 0).astype(np.float32), copies)
    return x, y


@pytest.mark.parametrize("engine", ENGINES)
def test_many_features_are_judged_on_the_rows_not_the_box(engine):
    # Adam pushes every weight by ~lr a step: after 300 epochs the box's corner (every
    # feature at 1) has a logit far past the limit, but no row inks more than one feature.
    x, y = one_hot_rows()
    cfg = TrainConfig(optimizer="adam", lr=0.2, epochs=300, init=(0.0,) * 65)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        result = fit(x, y, cfg, engine=engine)
    box = abs(result.intercept) + np.abs(result.coef).sum()
    rows = np.abs(result.intercept + x @ result.coef).max()
    assert box > LOGIT_LIMIT > rows  # the old box rule would have stopped this run
    assert result.epochs == 300


def test_a_row_past_the_limit_diverges_alike_with_many_features():
    x, y = one_hot_rows()
    x[0, 0] = 60.0  # one row (label 1) whose logit does run away
    cfg = TrainConfig(optimizer="adam", lr=0.2, epochs=300, init=(0.0,) * 65)
    errors = []
    for engine in ENGINES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            with pytest.raises(DivergenceError) as info:
                fit(x, y, cfg, engine=engine)
        errors.append(info.value)
    assert errors[0].epoch == errors[1].epoch
    assert errors[0].value > LOGIT_LIMIT
    assert errors[1].value == pytest.approx(errors[0].value, rel=1e-4)
