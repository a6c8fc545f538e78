"""Optimizers and mini-batches: each engine against torch.optim, DataLoader and hand sums."""

import re

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from logitlab.config import TrainConfig
from logitlab.engines import fit
from logitlab.engines.batch import fit_batch, shuffled_orders
from logitlab.errors import ConfigError, DivergenceError

OPTIMIZERS = ("sgd", "momentum", "adam")
LR = 0.1

# Five points, x = -1, -1, 1, 1, 1 with y = 0, 1, 0, 1, 1 (both labels at each x: not
# separable), from w = (0, 0): every logit is 0, p = 1/2, p - y = (1, -1, 1, -1, -1) / 2 and
# the BCE gradient (mean(p - y), mean((p - y) x)) = (-1/10, -1/10). (Not two symmetric
# points: there g0 = 0 exactly, and Adam turns float32's rounding of that zero into a step.)
FIVE_X = torch.tensor([[-1.0], [-1.0], [1.0], [1.0], [1.0]])
FIVE_Y = torch.tensor([[0.0], [1.0], [0.0], [1.0], [1.0]])


def bce_gradient(w):
    """The gradient of the mean BCE on the five points, in float64 by hand."""
    x, y = FIVE_X.double().numpy()[:, 0], FIVE_Y.double().numpy()[:, 0]
    r = 1 / (1 + np.exp(-(w[0] + w[1] * x))) - y
    return np.array([r.mean(), (r * x).mean()])


def textbook(optimizer, steps, *, momentum=0.9, nesterov=False, betas=(0.9, 0.999), eps=1e-8):
    """The parameters after each of `steps` steps, from the optimizers' textbook formulas."""
    w, buf, m, v, path = np.zeros(2), None, np.zeros(2), np.zeros(2), [np.zeros(2)]
    for t in range(1, steps + 1):
        g = bce_gradient(w)
        if optimizer == "sgd":
            w = w - LR * g
        elif optimizer == "momentum":
            buf = g if buf is None else momentum * buf + g
            w = w - LR * (g + momentum * buf if nesterov else buf)
        else:
            m = betas[0] * m + (1 - betas[0]) * g
            v = betas[1] * v + (1 - betas[1]) * g * g
            mhat, vhat = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
            w = w - LR * mhat / (np.sqrt(vhat) + eps)
        path.append(w)
    return np.array(path)


@pytest.mark.parametrize("engine", ["eager", "fused"])
@pytest.mark.parametrize(
    "optimizer, extra",
    [("sgd", {}), ("momentum", {}), ("momentum", {"nesterov": True}), ("adam", {}),
     ("adam", {"betas": (0.5, 0.9), "eps": 1e-3})],
)  # fmt: skip
def test_first_steps_follow_the_formulas(engine, optimizer, extra):
    cfg = TrainConfig(lr=LR, epochs=3, optimizer=optimizer, init=(0.0, 0.0), **extra)
    result = fit(FIVE_X, FIVE_Y, cfg, engine=engine)
    np.testing.assert_allclose(result.history.params, textbook(optimizer, 3, **extra), atol=1e-6)


def test_first_steps_by_hand():
    """The numbers a student can check: SGD and momentum first move by -lr g = (0.01, 0.01);
    Adam's first step is -lr sign(g) (m_hat / sqrt(v_hat) = g / |g|) = (0.1, 0.1)."""
    assert bce_gradient([0.0, 0.0]) == pytest.approx([-0.1, -0.1])
    for optimizer, first in (("sgd", 0.01), ("momentum", 0.01), ("adam", 0.1)):
        np.testing.assert_allclose(textbook(optimizer, 1)[1], [first, first], atol=1e-9)
    # Momentum's second step adds 0.9 of the first gradient to the second one.
    g = bce_gradient([0.01, 0.01])
    expected = 0.01 - LR * (0.9 * np.array([-0.1, -0.1]) + g)
    np.testing.assert_allclose(textbook("momentum", 2)[2], expected, atol=1e-12)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_eager_runs_torch_optim_itself(lecture_data, optimizer, assert_ulps):
    """The eager engine equals a plain week-6 loop: torch.optim, BCEWithLogitsLoss,
    TensorDataset and a seeded DataLoader, written out here independently."""
    cfg = TrainConfig(optimizer=optimizer, batch_size=500, shuffle_seed=7, epochs=4, lr=0.05)
    ours = fit(lecture_data.x, lecture_data.y, cfg, engine="eager")
    torch.manual_seed(43052)
    layer = torch.nn.Linear(1, 1)
    opt = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.05),
        "momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
        "adam": lambda p: torch.optim.Adam(p, lr=0.05),
    }[optimizer](layer.parameters())
    loader = DataLoader(TensorDataset(lecture_data.x, lecture_data.y), batch_size=500,
                        shuffle=True, generator=torch.Generator().manual_seed(7))  # fmt: skip
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(4):
        for xb, yb in loader:
            loss = loss_fn(layer(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
    expected = [layer.bias.item(), layer.weight.item()]
    assert_ulps(ours.params, expected, precision=np.float32)


def test_shuffled_orders_are_the_dataloaders(lecture_data):
    n = 103
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=10, shuffle=True,
                        generator=torch.Generator().manual_seed(5))  # fmt: skip
    orders = shuffled_orders(n, 5)
    for _ in range(3):
        seen = torch.cat([batch for (batch,) in loader]).numpy()
        np.testing.assert_array_equal(next(orders), seen)
    assert sorted(seen) == list(range(n))


@pytest.fixture(scope="module")
def full_batch_fits(lecture_data, eager_fits):
    """10,000 full-batch epochs of every optimizer and loss on both engines."""
    fits = {}
    for optimizer in OPTIMIZERS:
        for loss in ("bce", "mse"):
            cfg = TrainConfig(loss=loss, optimizer=optimizer)
            eager = eager_fits[loss] if optimizer == "sgd" else None
            if eager is None:
                eager = fit(lecture_data.x, lecture_data.y, cfg, engine="eager")
            fused = fit(lecture_data.x, lecture_data.y, cfg, engine="fused")
            fits[optimizer, loss] = eager, fused
    return fits


@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_fused_equals_eager_after_10000_full_batch_epochs(full_batch_fits, optimizer, loss):
    """Every loss and parameter of the 10,000 epochs agree to 1e-4 — except Adam's parameters
    once it reaches its late oscillation (see ADAM_CALM), within its amplitude."""
    eager, fused = full_batch_fits[optimizer, loss]
    assert fused.history.params.shape == eager.history.params.shape == (10_001, 2)
    np.testing.assert_allclose(fused.history.loss, eager.history.loss, rtol=1e-4)
    assert fused.final_loss == pytest.approx(eager.final_loss, rel=1e-4)
    calm = ADAM_CALM if optimizer == "adam" else 10_001
    np.testing.assert_allclose(fused.history.params[:calm], eager.history.params[:calm],
                               rtol=1e-4, atol=1e-6)  # fmt: skip
    np.testing.assert_allclose(fused.history.params, eager.history.params, atol=ADAM_SWING)


#: Adam at lr 0.05 converges until its second moment v has decayed so far that lr / sqrt(v)
#: overshoots the curvature: from about epoch 8,000 on it oscillates around the minimum
#: (float64 too), and the gradients there are at float32's rounding level, which Adam
#: normalises into steps of ~lr. Each float32 run then swings around the minimum out of phase
#: with the float64 one (measured: up to 0.014 apart in w0, eager and fused alike), so the
#: parameters agree to 1e-4 only before it, and to the swing's size after; the losses, flat
#: at the minimum, still agree to 1e-4.
ADAM_CALM = 7_500
ADAM_SWING = 0.03


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_adams_late_oscillation_is_real_and_both_engines_track_float64(
    lecture_data, full_batch_fits, loss
):
    torch.manual_seed(43052)
    layer = torch.nn.Linear(1, 1).double()
    opt = torch.optim.Adam(layer.parameters(), lr=0.05)
    x, y = lecture_data.x.double(), lecture_data.y.double()
    path = []
    for _ in range(10_000):
        u = layer(x)
        value = (
            torch.nn.functional.binary_cross_entropy_with_logits(u, y)
            if loss == "bce"
            else torch.mean((y - torch.sigmoid(u)) ** 2)
        )
        value.backward()
        opt.step()
        opt.zero_grad()
        path.append([layer.bias.item(), layer.weight.item()])
    path = np.array(path)
    steps = np.abs(np.diff(path[:, 0]))
    assert steps[4000:6000].max() < 1e-6 < steps[9000:].max()  # calm, then oscillating
    for result in full_batch_fits["adam", loss]:
        ours = result.history.params[1:]
        np.testing.assert_allclose(ours[:ADAM_CALM], path[:ADAM_CALM], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ours, path, atol=ADAM_SWING)


def test_the_optimizers_end_where_they_should(full_batch_fits):
    """BCE is convex: every optimizer ends at the same minimum; momentum and Adam get
    there with a smaller gradient than plain SGD in the same epochs."""
    ends = [full_batch_fits[o, "bce"][0] for o in OPTIMIZERS]
    np.testing.assert_allclose(ends[1].params, ends[2].params, atol=1e-3)
    assert ends[1].convergence.grad_norm < ends[0].convergence.grad_norm
    assert ends[2].convergence.grad_norm < ends[0].convergence.grad_norm


#: Mini-batch runs: eager pays DataLoader's ~15 ms an epoch at batch 32, so fewer epochs.
MINI_EPOCHS = {256: 60, 32: 15}


@pytest.mark.parametrize("batch_size", [256, 32])
@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_fused_equals_eager_on_mini_batches(lecture_data, optimizer, loss, batch_size):
    cfg = TrainConfig(loss=loss, optimizer=optimizer, batch_size=batch_size, shuffle_seed=3,
                      epochs=MINI_EPOCHS[batch_size])  # fmt: skip
    eager, fused = (
        fit(lecture_data.x, lecture_data.y, cfg, engine=e, record_steps=True)
        for e in ("eager", "fused")
    )
    steps = cfg.epochs * -(-2000 // batch_size)
    assert fused.history.step_loss.shape == eager.history.step_loss.shape == (steps,)
    np.testing.assert_allclose(fused.history.step_loss, eager.history.step_loss, rtol=1e-4)
    np.testing.assert_allclose(fused.history.params, eager.history.params, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fused.history.loss, eager.history.loss, rtol=1e-4)
    np.testing.assert_allclose(fused.history.grad_norm, eager.history.grad_norm, rtol=1e-2,
                               atol=1e-5)  # fmt: skip
    assert fused.final_loss == pytest.approx(eager.final_loss, rel=1e-4)


def test_mini_batch_history_is_the_full_datas(lecture_data):
    """The epoch history holds the full data's loss where each epoch starts; the steps hold
    their batches' losses, whose mean over an epoch is near (not at) it once the descent
    slows down."""
    cfg = TrainConfig(optimizer="adam", batch_size=100, epochs=40, engine="fused")
    result = fit(lecture_data.x, lecture_data.y, cfg, record_steps=True)
    start = TrainConfig(epochs=1, lr=1e-30, engine="fused")  # a step that moves nothing
    assert result.history.loss[0] == pytest.approx(
        fit(lecture_data.x, lecture_data.y, start).history.loss[0], rel=1e-6
    )
    steps = result.history.step_loss.reshape(40, 20)
    assert not np.allclose(steps[:, 0], steps[:, 1], rtol=1e-3)  # batches differ
    np.testing.assert_allclose(steps.mean(axis=1)[20:], result.history.loss[20:], rtol=0.05)


def test_full_batch_steps_are_the_epochs(lecture_data):
    cfg = TrainConfig(optimizer="momentum", epochs=20, engine="fused")
    result = fit(lecture_data.x, lecture_data.y, cfg, record_steps=True)
    np.testing.assert_allclose(result.history.step_loss, result.history.loss, rtol=1e-6)
    assert fit(lecture_data.x, lecture_data.y, cfg).history.step_loss is None


def test_one_batch_call_sweeps_optimizers_and_batch_sizes(lecture_data):
    optimizers = ["sgd", "adam", "momentum", "adam"]
    sizes = [None, 64, 256, None]
    batch = fit_batch(lecture_data.x, lecture_data.y, loss=["bce", "mse", "bce", "mse"],
                      optimizer=optimizers, batch_size=sizes, epochs=30, shuffle_seed=2,
                      engine="fused", record_steps=True)  # fmt: skip
    assert batch.optimizers == tuple(optimizers) and batch.batch_size == tuple(sizes)
    assert list(batch.steps_per_epoch) == [1, 32, 8, 1]
    for b, (optimizer, size) in enumerate(zip(optimizers, sizes, strict=True)):
        cfg = TrainConfig(loss=batch.losses[b], optimizer=optimizer, batch_size=size,
                          shuffle_seed=2, epochs=30, engine="eager")  # fmt: skip
        alone = fit(lecture_data.x, lecture_data.y, cfg, record_steps=True)
        np.testing.assert_allclose(batch.result(b).history.params, alone.history.params,
                                   rtol=1e-4, atol=1e-6)  # fmt: skip
        np.testing.assert_allclose(batch.result(b).history.step_loss, alone.history.step_loss,
                                   rtol=1e-4)  # fmt: skip


def test_fused_epochs_go_in_blocks(lecture_data, monkeypatch):
    """Long mini-batch runs replay the shuffled orders a block of epochs at a time: the
    answer does not depend on the block size."""
    import logitlab.engines.batch as batch_module

    cfg = TrainConfig(optimizer="adam", batch_size=300, epochs=7, engine="fused")
    whole = fit(lecture_data.x, lecture_data.y, cfg)
    monkeypatch.setattr(batch_module, "PERM_BLOCK", 2 * 2000)  # two epochs a block
    blocks = fit(lecture_data.x, lecture_data.y, cfg)
    np.testing.assert_array_equal(blocks.history.params, whole.history.params)


def test_tol_stops_mini_batches_at_the_same_epoch(lecture_data):
    cfg = TrainConfig(optimizer="adam", batch_size=500, epochs=400, tol=2e-3, lr=0.05)
    eager, fused = (fit(lecture_data.x, lecture_data.y, cfg, engine=e) for e in ("eager", "fused"))
    assert eager.epochs == fused.epochs < 400
    assert eager.convergence.stopped_early and fused.convergence.stopped_early
    assert fused.history.grad_norm[-1] <= 2e-3 < fused.history.grad_norm[-2]


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_a_too_large_step_diverges_alike(lecture_data, optimizer):
    cfg = TrainConfig(optimizer=optimizer, lr=1e4, epochs=50)
    epochs = []
    for engine in ("eager", "fused"):
        with pytest.raises(DivergenceError) as info:
            fit(lecture_data.x, lecture_data.y, cfg, engine=engine)
        epochs.append(info.value.epoch)
    assert epochs[0] == epochs[1]


@pytest.mark.parametrize(
    "cfg, words",
    [
        ({"batch_size": 2001}, "batch size must be an integer from 1 to n, the number of "
                               "points (2000)"),
        ({"init": (1.0, 2.0, 3.0)}, "init must hold 2 numbers (w0 and one per feature), got 3"),
        ({"init": (50.0, 50.0)}, "init must keep the logits w0 + w1 x within +-88"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("engine", ["eager", "fused"])
def test_fit_refuses_what_only_the_data_decide(lecture_data, cfg, words, engine):
    with pytest.raises(ConfigError) as info:
        fit(lecture_data.x, lecture_data.y, TrainConfig(**cfg), engine=engine)
    assert "\n" not in str(info.value) and words in str(info.value)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"optimizer": ["sgd", "lbfgs"]}, "optimizer must be one of sgd, momentum, adam"),
        ({"batch_size": [None, 0]}, "batch size must be an integer from 1 to n"),
        ({"batch_size": 5000}, "batch size must be an integer from 1 to n"),
        ({"betas": (0.9, 1.5)}, "beta2 must be a number from 0 up to (not including) 1"),
        ({"eps": 0}, "eps must be a finite number > 0"),
        ({"momentum": 1}, "momentum must be a number from 0 up to (not including) 1"),
    ],
)
def test_fit_batch_refuses_bad_optimizer_settings(lecture_data, kwargs, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        fit_batch(lecture_data.x, lecture_data.y, epochs=2, **kwargs)
