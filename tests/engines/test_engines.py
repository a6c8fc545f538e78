"""The fused and batched engines against the eager reference: same math, same answers."""

import warnings

import numpy as np
import pytest
import torch

import logitlab.engines.resolve as resolve
from logitlab import LogisticRegressionGD
from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.engines import fit
from logitlab.engines.batch import fit_batch
from logitlab.errors import ConfigError, DivergenceError
from logitlab.model import initial_params, lecture_net


@pytest.fixture(scope="module")
def lecture_fits(lecture_data, eager_fits):
    """The lecture's 10,000-epoch fit for both losses, on both engines."""
    fused = {
        (loss, "fused"): fit(lecture_data.x, lecture_data.y, TrainConfig(loss=loss), engine="fused")
        for loss in ("bce", "mse")
    }
    return fused | {(loss, "eager"): result for loss, result in eager_fits.items()}


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_fused_ends_where_eager_ends(lecture_fits, loss):
    eager, fused = lecture_fits[loss, "eager"], lecture_fits[loss, "fused"]
    assert (eager.engine, fused.engine) == ("eager", "fused")
    np.testing.assert_allclose(fused.params, eager.params, rtol=1e-4)
    assert fused.final_loss == pytest.approx(eager.final_loss, rel=1e-4)


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_fused_history_matches_eager_every_epoch(lecture_fits, loss):
    eager, fused = lecture_fits[loss, "eager"].history, lecture_fits[loss, "fused"].history
    assert fused.loss.shape == eager.loss.shape == (10_000,)
    assert fused.params.shape == eager.params.shape == (10_001, 2)
    np.testing.assert_allclose(fused.loss, eager.loss, rtol=1e-4)
    np.testing.assert_allclose(fused.params, eager.params, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(fused.params[0], initial_params())


def test_several_features_agree_with_eager():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(300, 3, generator=gen)
    y = torch.bernoulli(torch.sigmoid(x @ torch.tensor([[1.0], [-2.0], [0.5]])), generator=gen)
    for loss in ("bce", "mse"):
        cfg = TrainConfig(loss=loss, lr=0.3, epochs=500)
        fused, eager = (fit(x, y, cfg, engine=e) for e in ("fused", "eager"))
        np.testing.assert_allclose(fused.params, eager.params, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(fused.history.loss, eager.history.loss, rtol=1e-4)


def test_fused_trains_a_given_net_in_place(lecture_data):
    net = lecture_net()
    result = fit(lecture_data.x, lecture_data.y, TrainConfig(epochs=50), net=net, engine="fused")
    assert net[0].bias.item() == pytest.approx(result.w0)
    assert net[0].weight.item() == pytest.approx(result.w1)


def test_fused_diverges_like_eager(lecture_data):
    cfg = TrainConfig(lr=1e6, epochs=100)
    errors = []
    for engine in ("eager", "fused"):
        with pytest.raises(DivergenceError) as info:
            fit(lecture_data.x, lecture_data.y, cfg, engine=engine)
        errors.append(info.value)
    assert errors[0].epoch == errors[1].epoch
    assert errors[1].value == pytest.approx(errors[0].value, rel=1e-4)


@pytest.fixture(scope="module")
def draws():
    """Three small data sets sharing x, as the Monte Carlo study draws them."""
    sets = [simulate(n=200, seed=s) for s in (1, 2, 3)]
    return sets[0].x, torch.stack([d.y[:, 0] for d in sets])


def test_a_batch_equals_its_fits_one_by_one(draws, assert_ulps):
    x, ys = draws
    settings = {
        "loss": ["bce", "mse", "bce", "mse"],
        "lr": [0.05, 0.5, 1.0, 0.05],
        "init": [initial_params(), [0.0, 0.0], [1.0, -1.0], initial_params(7)],
        "data": [0, 1, 2, 2],
    }
    batch = fit_batch(x, ys, **settings, epochs=400, record_every=1)
    assert batch.ok.all() and batch.engine == "fused"
    for b in range(4):
        net = lecture_net()
        net[0].bias.data[:] = float(settings["init"][b][0])
        net[0].weight.data[:] = float(settings["init"][b][1])
        cfg = TrainConfig(loss=settings["loss"][b], lr=settings["lr"][b], epochs=400)
        one = fit(x, ys[settings["data"][b]][:, None], cfg, net=net, engine="fused")
        assert_ulps(batch.params[b], one.params, precision=np.float32)
        assert_ulps(batch.history_loss[b], one.history.loss, precision=np.float32)
        assert_ulps(batch.result(b).history.params, one.history.params, precision=np.float32)


def test_batched_engines_agree_and_record_every_kth_epoch(draws):
    x, ys = draws
    kwargs = {"loss": ["bce", "mse"], "lr": 0.5, "data": [0, 2], "epochs": 250}
    full = fit_batch(x, ys, **kwargs, record_every=1)
    sparse = fit_batch(x, ys, **kwargs, record_every=10)
    eager = fit_batch(x, ys, **kwargs, record_every=10, engine="eager")
    np.testing.assert_array_equal(sparse.record_epochs, np.arange(0, 250, 10))
    np.testing.assert_array_equal(sparse.history_loss, full.history_loss[:, ::10])
    np.testing.assert_array_equal(sparse.history_params[:, :-1], full.history_params[:, :-1:10])
    np.testing.assert_array_equal(sparse.params, full.params)
    np.testing.assert_allclose(eager.history_loss, sparse.history_loss, rtol=1e-4)
    np.testing.assert_allclose(eager.params, sparse.params, rtol=1e-4)


@pytest.mark.parametrize("engine", ["fused", "eager"])
def test_one_diverging_fit_does_not_spoil_the_others(draws, engine, assert_ulps):
    x, ys = draws
    lrs = [0.05, 1e7, 0.5]
    batch = fit_batch(x, ys, lr=lrs, data=[0, 1, 2], epochs=60, engine=engine)
    assert batch.ok.tolist() == [True, False, True]
    ((index, error),) = batch.errors()
    with pytest.raises(DivergenceError) as info:
        fit(x, ys[1][:, None], TrainConfig(lr=1e7, epochs=60), engine="eager")
    assert index == 1 and error.epoch == info.value.epoch == batch.diverged_at[1]
    assert np.isnan(batch.params[1]).all()
    with pytest.raises(DivergenceError):
        batch.result(1)
    for b in (0, 2):
        alone = fit(x, ys[b][:, None], TrainConfig(lr=lrs[b], epochs=60), engine=engine)
        assert_ulps(batch.params[b], alone.params, precision=np.float32)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"lr": [0.1, -1]}, "lr must be a finite number > 0"),
        ({"loss": ["bce", "hinge"]}, "loss must be one of bce, mse"),
        ({"lr": [0.1, 0.2], "loss": ["bce", "mse", "bce"]}, "single or of one length"),
        ({"data": 5}, "below the number of data sets"),
        ({"engine": "warp"}, "engine must be one of auto, eager, fused"),
        ({"epochs": 0}, r"epochs must be an integer from 1 to 10\*\*7"),
        ({"init": [0.0]}, "init must hold 2 values"),
    ],
)
def test_bad_batch_settings_are_config_errors(draws, kwargs, words):
    x, ys = draws
    with pytest.raises(ConfigError, match=words):
        fit_batch(x, ys, **kwargs)


def test_unknown_engine_lists_the_allowed_ones(lecture_data):
    with pytest.raises(ConfigError, match="engine must be one of auto, eager, fused"):
        fit(lecture_data.x, lecture_data.y, TrainConfig(epochs=1), engine="gpu")
    model = LogisticRegressionGD(engine="gpu")  # stored as given, checked by fit
    with pytest.raises(ConfigError, match="auto, eager, fused"):
        model.fit(lecture_data.x, lecture_data.y[:, 0])


def test_auto_falls_back_to_eager_once_without_numba(lecture_data, monkeypatch):
    monkeypatch.setattr(resolve, "fused_available", lambda: False)
    monkeypatch.setattr(resolve, "_warned", [])
    cfg = TrainConfig(epochs=3)
    with pytest.warns(RuntimeWarning, match="numba is not installed"):
        assert fit(lecture_data.x, lecture_data.y, cfg).engine == "eager"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit(lecture_data.x, lecture_data.y, cfg).engine == "eager"
    with pytest.raises(ConfigError, match="needs numba"):
        fit(lecture_data.x, lecture_data.y, cfg, engine="fused")


def test_auto_is_fused_when_numba_is_there(lecture_data):
    assert resolve.fused_available()
    assert fit(lecture_data.x, lecture_data.y, TrainConfig(epochs=3)).engine == "fused"


def test_estimator_passes_its_engine_on(lecture_data):
    x, y = lecture_data.x.numpy(), lecture_data.y.numpy()[:, 0]
    models = [LogisticRegressionGD(epochs=300, engine=e).fit(x, y) for e in ("eager", "fused")]
    assert [m.result_.engine for m in models] == ["eager", "fused"]
    np.testing.assert_allclose(models[0].coef_, models[1].coef_, rtol=1e-4)
