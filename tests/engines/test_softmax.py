"""Softmax regression by gradient descent: the eager engine against the course's loop written
by hand (torch.nn.Linear, CrossEntropyLoss, torch.optim, DataLoader), the fused engine against
the eager one, K = 2 against the binary engine, the gradient against finite differences."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from logitlab.config import TrainConfig
from logitlab.engines import fit
from logitlab.engines.softmax import SoftmaxFit, fit_softmax
from logitlab.errors import ConfigError, DataError, DivergenceError
from logitlab.losses import mean_gradient
from logitlab.model import probabilities, softmax_net

K, D, N = 3, 2, 300
ENGINES = ("eager", "fused")


@pytest.fixture(scope="module")
def three():
    """N points of D features in K classes drawn from a softmax model (not separable)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(N, D)).astype(np.float32)
    u = x @ np.array([[1.5, -1.0, 0.0], [0.5, 1.0, -1.5]]) + np.array([0.2, -0.1, 0.0])
    p = np.exp(u) / np.exp(u).sum(axis=1, keepdims=True)
    codes = np.array([rng.choice(K, p=row) for row in p])
    return x, codes


def course_loop(x, codes, cfg):
    """The course's loop by hand: (weight, bias, loss at each epoch's start)."""
    torch.manual_seed(cfg.init_seed)
    model = torch.nn.Linear(x.shape[1], K)
    loss_fn = torch.nn.CrossEntropyLoss()
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    else:
        momentum = cfg.momentum if cfg.optimizer == "momentum" else 0
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=momentum)
    xt, yt = torch.from_numpy(x), torch.from_numpy(codes)
    loader = [(xt, yt)]
    if cfg.batch_size is not None:
        gen = torch.Generator().manual_seed(cfg.shuffle_seed)
        loader = DataLoader(TensorDataset(xt, yt), batch_size=cfg.batch_size, shuffle=True,
                            generator=gen)  # fmt: skip
    losses = []
    for _ in range(cfg.epochs):
        with torch.no_grad():
            losses.append(loss_fn(model(xt), yt).item())
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.weight.detach().numpy(), model.bias.detach().numpy(), np.array(losses)


@pytest.mark.parametrize(
    "settings",
    [{"optimizer": "sgd", "lr": 0.5}, {"optimizer": "adam", "lr": 0.05},
     {"optimizer": "momentum", "lr": 0.1, "batch_size": 64, "shuffle_seed": 4}],
    ids=["sgd", "adam", "momentum-minibatch"],
)  # fmt: skip
def test_eager_is_the_course_loop(three, settings, assert_ulps):
    x, codes = three
    cfg = TrainConfig(epochs=10 if "batch_size" in settings else 30, **settings)
    result = fit_softmax(x, codes, K, cfg, engine="eager")
    weight, bias, losses = course_loop(x, codes, cfg)
    assert isinstance(result, SoftmaxFit) and result.engine == "eager"
    assert result.epochs == cfg.epochs == len(result.loss)
    assert result.weight.shape == (K, D) and result.bias.shape == (K,)
    assert_ulps(result.weight, weight, precision=np.float32)
    assert_ulps(result.bias, bias, precision=np.float32)
    assert_ulps(result.loss, losses, precision=np.float32)
    assert losses[-1] < losses[0]


def test_probabilities_are_the_softmax_of_the_logits(three):
    x, codes = three
    result = fit_softmax(x, codes, K, TrainConfig(lr=0.5, epochs=20), engine="eager")
    logits = result.decision_function(x)
    np.testing.assert_allclose(logits, x.astype(float) @ result.weight.T + result.bias,
                               rtol=1e-12)  # fmt: skip
    p = result.probabilities(x)
    reference = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
    np.testing.assert_allclose(p, reference, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    loss = -np.mean(np.log(p[np.arange(N), codes]))
    assert result.final_loss == pytest.approx(loss, rel=1e-5)


def cross_entropy(weight, bias, x, codes):
    """The mean cross-entropy in float64, by log-sum-exp."""
    u = x @ weight.T + bias
    top = u.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(u - top).sum(axis=1))
    return np.mean(lse - u[np.arange(len(codes)), codes])


@pytest.mark.parametrize("engine", ENGINES)
def test_the_step_is_the_gradient_by_finite_differences(three, engine):
    """One SGD step of lr 1 from the seeded start moves the parameters by minus the
    gradient, which central differences of the float64 loss give to ~1e-9."""
    x, codes = three
    layer = softmax_net(0, D, K)[0]
    w0, b0 = layer.weight.detach().double().numpy(), layer.bias.detach().double().numpy()
    result = fit_softmax(x, codes, K, TrainConfig(lr=1.0, epochs=1, init_seed=0), engine=engine)
    xd, h = x.astype(float), 1e-6
    numeric = np.zeros((K, D + 1))
    for k in range(K):
        for j in range(D + 1):
            step = np.zeros((K, D + 1))
            step[k, j] = h
            plus = cross_entropy(w0 + step[:, 1:], b0 + step[:, 0], xd, codes)
            minus = cross_entropy(w0 - step[:, 1:], b0 - step[:, 0], xd, codes)
            numeric[k, j] = (plus - minus) / (2 * h)
    np.testing.assert_allclose(b0 - result.bias, numeric[:, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w0 - result.weight, numeric[:, 1:], rtol=1e-5, atol=1e-6)


def test_two_classes_have_the_binary_gradient(lecture_data):
    """K = 2: the binary logit is the difference of the two logits, u1 - u0 (class 1 is the
    binary model's y = 1). The cross-entropy's gradient is then minus and plus the binary
    BCE's gradient g at params (b1 - b0, w1 - w0): rows (-g, g), in float64 to 1e-12."""
    x, y = lecture_data.x.double(), lecture_data.y[:, 0].long()
    layer = softmax_net(3, 1, 2)[0].double()
    torch.nn.CrossEntropyLoss()(layer(x), y).backward()
    diff = torch.cat((layer.bias[1:] - layer.bias[:1], layer.weight[1] - layer.weight[0]))
    g = mean_gradient("bce", diff.detach().numpy(), x.numpy(), y.numpy())
    grad = torch.column_stack((layer.bias.grad, layer.weight.grad)).numpy()
    np.testing.assert_allclose(grad, np.stack((-g, g)), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ENGINES)
def test_two_classes_descend_as_the_binary_engine(lecture_data, engine):
    """By that identity an SGD step of lr moves u1 - u0 by -2 lr g: softmax SGD at lr is the
    binary SGD at 2 lr from the difference of the two start rows. After 500 epochs both give
    the same probabilities within float32's drift (1e-5)."""
    x, y = lecture_data.x, lecture_data.y
    start = softmax_net(0, 1, 2)[0]
    w, b = start.weight.detach().double().numpy(), start.bias.detach().double().numpy()
    init = (b[1] - b[0], w[1, 0] - w[0, 0])
    cfg = TrainConfig(lr=0.1, epochs=500, init_seed=0)
    soft = fit_softmax(x, y[:, 0], 2, cfg, engine=engine)
    binary = fit(x, y, TrainConfig(lr=0.2, epochs=500, init=init), engine=engine)
    np.testing.assert_allclose(soft.probabilities(x)[:, 1], probabilities(binary.params, x),
                               atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(soft.loss, binary.history.loss, rtol=1e-5)


@pytest.mark.parametrize("engine", ENGINES)
def test_tol_stops_early(three, engine):
    x, codes = three
    result = fit_softmax(x, codes, K, TrainConfig(lr=0.5, epochs=2000, tol=1e-2), engine=engine)
    assert 1 < result.epochs < 2000 and result.loss.shape == (result.epochs,)
    longer = fit_softmax(x, codes, K, TrainConfig(lr=0.5, epochs=result.epochs - 1),
                         engine=engine)  # fmt: skip
    assert result.loss[-1] < longer.loss[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_huge_step_diverges(three, engine):
    x, codes = three
    with pytest.raises(DivergenceError) as info:
        fit_softmax(x * 1e30, codes, K, TrainConfig(lr=1e10, epochs=50), engine=engine)
    assert info.value.loss == "cross-entropy" and 1 <= info.value.epoch <= 50
    assert "\n" not in str(info.value)


def test_fused_diverges_as_eager(three):
    x, codes = three
    cfg = TrainConfig(lr=1e10, epochs=50)
    errors = []
    for engine in ENGINES:
        with pytest.raises(DivergenceError) as info:
            fit_softmax(x * 1e30, codes, K, cfg, engine=engine)
        errors.append(info.value)
    assert errors[0].epoch == errors[1].epoch
    assert (np.isnan(errors[0].value) and np.isnan(errors[1].value)) or errors[1].value == (
        pytest.approx(errors[0].value, rel=1e-4)
    )


@pytest.mark.parametrize(
    "settings",
    [{"optimizer": "sgd", "lr": 0.5}, {"optimizer": "momentum", "lr": 0.1},
     {"optimizer": "momentum", "lr": 0.1, "nesterov": True}, {"optimizer": "adam", "lr": 0.02},
     {"optimizer": "sgd", "lr": 0.5, "batch_size": 64, "shuffle_seed": 2},
     {"optimizer": "momentum", "lr": 0.1, "batch_size": 50},
     {"optimizer": "adam", "lr": 0.02, "batch_size": 64, "shuffle_seed": 5}],
    ids=["sgd", "momentum", "nesterov", "adam", "sgd-64", "momentum-50", "adam-64"],
)  # fmt: skip
def test_fused_equals_eager(three, settings):
    """The binary engines' tolerances: losses and parameters to 1e-4 (parameters with a 1e-6
    floor), over 200 full-batch epochs or 20 of mini-batches (64 leaves a last batch of 44)."""
    x, codes = three
    cfg = TrainConfig(epochs=20 if "batch_size" in settings else 200, **settings)
    eager, fused = (fit_softmax(x, codes, K, cfg, engine=e) for e in ENGINES)
    assert (eager.engine, fused.engine) == ENGINES and fused.epochs == eager.epochs == cfg.epochs
    np.testing.assert_allclose(fused.loss, eager.loss, rtol=1e-4)
    np.testing.assert_allclose(fused.weight, eager.weight, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fused.bias, eager.bias, rtol=1e-4, atol=1e-6)
    assert fused.final_loss == pytest.approx(eager.final_loss, rel=1e-4)
    assert eager.loss[-1] < 0.9 * eager.loss[0]


@pytest.mark.parametrize("batch_size", [None, 64])
def test_fused_blocks_do_not_change_the_numbers(three, monkeypatch, batch_size):
    """Blocks of one epoch (so a signal is heard after each) give the bits of one block."""
    x, codes = three
    cfg = TrainConfig(optimizer="adam", lr=0.02, epochs=7, batch_size=batch_size)
    whole = fit_softmax(x, codes, K, cfg, engine="fused")
    monkeypatch.setattr("logitlab.stopping.BLOCK_VALUES", 1)
    split = fit_softmax(x, codes, K, cfg, engine="fused")
    np.testing.assert_array_equal(split.weight, whole.weight)
    np.testing.assert_array_equal(split.loss, whole.loss)


@pytest.mark.parametrize(
    "args, config, error, words",
    [
        ((K,), TrainConfig(loss="mse"), ConfigError, "cross-entropy"),
        ((K,), TrainConfig(init=(0.0, 1.0, 2.0)), ConfigError, "init"),
        ((1,), None, ConfigError, "classes must be an integer from 2"),
        ((2,), None, DataError, "codes must be below the number of classes (2)"),
        ((K,), TrainConfig(batch_size=N + 1), ConfigError, "batch size"),
        ((K,), "adam", ConfigError, "config must be a TrainConfig"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_in_one_line(three, args, config, error, words):
    x, codes = three
    with pytest.raises(error) as info:
        fit_softmax(x, codes, *args, config, engine="eager")
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "x, codes, words",
    [
        ([[0.0], [1.0]], [0, 1.5], "codes must hold whole numbers >= 0"),
        ([[0.0], [1.0]], [0, -1], "codes must hold whole numbers >= 0"),
        ([[0.0], [1.0]], [0, 1, 2], "one value per row"),
        ([[0.0], [np.nan]], [0, 1], "NaN"),
        ([["a"], ["b"]], [0, 1], "x must be"),
    ],
)
def test_bad_data_is_refused_in_one_line(x, codes, words):
    with pytest.raises(DataError) as info:
        fit_softmax(x, codes, 3, engine="eager")
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_beyond_the_budget_is_refused_before_it_starts(engine):
    """10**7 epochs over 200,000 x 50 in 10 classes would take days (the fused engine's
    ~12 ms an epoch too), yet keep only a loss an epoch (120 MB, not refused for memory)."""
    x = np.zeros((200_000, 50), dtype=np.float32)
    with pytest.raises(ConfigError, match="would take") as info:
        fit_softmax(x, np.arange(200_000) % 10, 10, TrainConfig(epochs=10**7), engine=engine)
    assert "\n" not in str(info.value)
