import numpy as np
import pytest
import torch

from logitlab.config import TrainConfig
from logitlab.engines import fit
from logitlab.errors import DivergenceError
from logitlab.model import lecture_net
from logitlab.result import LOGIT_LIMIT


def lecture_loop(x, y, epochs):
    """A plain copy of the lecture's code (its net, its loss formula, its four steps)."""
    torch.manual_seed(43052)
    l1 = torch.nn.Linear(in_features=1, out_features=1, bias=True)
    a1 = torch.nn.Sigmoid()
    net = torch.nn.Sequential(l1, a1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    for _ in range(epochs):
        yhat = net(x)
        loss = -torch.mean(y * torch.log(yhat) + (1 - y) * torch.log(1 - yhat))
        loss.backward()
        optimizer.step()
        net.zero_grad()
    return np.array([l1.bias.item(), l1.weight.item()])


def fisher_se(x, w0, w1):
    """Standard errors of the MLE at the truth: sqrt(diag(I^-1)), I = X' diag(p(1-p)) X."""
    design = np.column_stack([np.ones(len(x)), x.double().numpy()[:, 0]])
    p = 1 / (1 + np.exp(-(design @ [w0, w1])))
    info = design.T @ (design * (p * (1 - p))[:, None])
    return np.sqrt(np.diag(np.linalg.inv(info)))


@pytest.fixture(scope="module")
def fits(eager_fits):
    return eager_fits


def test_training_reproduces_the_lectures_loop(lecture_data, fits):
    expected = lecture_loop(lecture_data.x, lecture_data.y, 10_000)
    np.testing.assert_allclose(fits["bce"].params, expected, atol=1e-5)


def test_bce_lands_near_the_truth(lecture_data, fits):
    # The BCE fit estimates the MLE, whose sampling sd at n=2000 is the Fisher se
    # (about 0.08 for w0 and 0.26 for w1): 4 se is far beyond chance.
    se = fisher_se(lecture_data.x, -1.0, 5.0)
    error = np.abs(fits["bce"].params - [-1.0, 5.0])
    assert np.all(error < 4 * se), (error, se)


def test_bce_is_nearer_the_truth_than_mse(fits):
    distance = {k: np.linalg.norm(r.params - [-1.0, 5.0]) for k, r in fits.items()}
    assert distance["bce"] < distance["mse"]


def test_history_records_every_epoch(fits):
    result = fits["bce"]
    assert result.history.loss.shape == (10_000,)
    assert result.history.params.shape == (10_001, 2)
    np.testing.assert_allclose(result.history.params[0], [-0.8470, -0.3467], atol=1e-4)
    np.testing.assert_array_equal(result.history.params[-1], result.params)
    # Full-batch GD on a convex loss with a small step never goes up.
    assert np.all(np.diff(result.history.loss) <= 1e-6)
    assert result.final_loss <= result.history.loss[-1]


def test_both_losses_start_from_the_same_point(fits):
    np.testing.assert_array_equal(fits["bce"].history.params[0], fits["mse"].history.params[0])


def test_fit_trains_a_given_net_in_place(lecture_data):
    net = lecture_net()
    result = fit(lecture_data.x, lecture_data.y, TrainConfig(epochs=5), net=net)
    assert net[0].bias.item() == pytest.approx(result.w0)


def test_divergence_names_the_loss_and_epoch(lecture_data):
    with pytest.raises(DivergenceError, match=r"bce loss diverged at epoch \d+") as info:
        fit(lecture_data.x, lecture_data.y, TrainConfig(lr=1e6, epochs=100))
    assert info.value.epoch == 1  # the first step already throws the logits past float32
    assert not np.isfinite(info.value.value) or info.value.value > LOGIT_LIMIT


def test_one_step_per_batch_and_the_lectures_loop_on_the_full_batch(lecture_data):
    """train() takes one step per batch: the full batch [(x, y)] is the lecture's loop, a
    DataLoader of batch 300 gives ceil(2000 / 300) = 7 steps an epoch."""
    from torch.utils.data import DataLoader, TensorDataset

    from logitlab.losses import bce
    from logitlab.train import train

    x, y = lecture_data.x, lecture_data.y
    net = lecture_net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    assert len(list(train(net, [(x, y)], bce, optimizer, 3))) == 3
    loader = DataLoader(TensorDataset(x, y), batch_size=300, shuffle=True)
    assert len(list(train(net, loader, bce, optimizer, 2))) == 14
    np.testing.assert_allclose(
        fit(x, y, TrainConfig(epochs=200, engine="eager")).params,
        lecture_loop(x, y, 200),
        atol=1e-6,
    )


def test_training_starts_at_init(lecture_data):
    cfg = TrainConfig(epochs=3, init=(0.5, -2.0), engine="eager")
    result = fit(lecture_data.x, lecture_data.y, cfg)
    np.testing.assert_array_equal(result.history.params[0], [0.5, -2.0])
    net = lecture_net()
    fit(lecture_data.x, lecture_data.y, cfg, net=net)  # init wins over the net's own start
    assert net[0].bias.item() == pytest.approx(result.w0)
