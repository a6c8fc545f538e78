import pytest
import torch
import torch.nn.functional as F

from logitlab.errors import ConfigError
from logitlab.losses import bce, get_loss, lecture_bce, mse


@pytest.fixture
def unsaturated():
    g = torch.Generator().manual_seed(1)
    u = torch.randn(500, 1, generator=g) * 3
    y = torch.bernoulli(torch.full((500, 1), 0.4), generator=g)
    return u, y


def test_bce_equals_torch_and_the_lectures_formula(unsaturated):
    u, y = unsaturated
    yhat = torch.sigmoid(u)
    assert torch.allclose(bce(u, y), F.binary_cross_entropy(yhat, y), rtol=1e-5)
    assert torch.allclose(bce(u, y), lecture_bce(yhat, y), rtol=1e-5)


def test_bce_gradient_equals_the_lectures(unsaturated):
    u, y = unsaturated
    a = u.clone().requires_grad_()
    b = u.clone().requires_grad_()
    bce(a, y).backward()
    lecture_bce(torch.sigmoid(b), y).backward()
    assert torch.allclose(a.grad, b.grad, atol=1e-7)


def test_bce_stays_finite_where_the_sigmoid_saturates():
    u = torch.tensor([[40.0], [-40.0], [200.0]])
    y = torch.tensor([[0.0], [1.0], [0.0]])
    assert not torch.isfinite(lecture_bce(torch.sigmoid(u), y))  # the lecture's formula breaks
    value = bce(u, y)
    assert torch.isfinite(value)
    # -log(sigmoid(-u)) = u for large u: the exact value is mean(40, 40, 200).
    assert value.item() == pytest.approx(280 / 3, rel=1e-6)
    u.requires_grad_()
    bce(u, y).backward()
    assert torch.isfinite(u.grad).all()


def test_mse_equals_torch(unsaturated):
    u, y = unsaturated
    assert torch.allclose(mse(u, y), F.mse_loss(torch.sigmoid(u), y))


def test_loss_by_name():
    assert get_loss("bce") is bce and get_loss("mse") is mse
    with pytest.raises(ConfigError, match="one of bce, mse"):
        get_loss("l1")


def test_bce_is_the_courses_bce_with_logits_loss(unsaturated):
    """losses.bce is torch.nn.BCEWithLogitsLoss (the week-6 idiom): the lecture's formula on
    sigmoid(u), value and gradient."""
    u, y = unsaturated
    assert isinstance(bce, torch.nn.BCEWithLogitsLoss)
    a, b = u.clone().requires_grad_(), u.clone().requires_grad_()
    ours, lectures = bce(a, y), lecture_bce(torch.sigmoid(b), y)
    assert ours.item() == pytest.approx(lectures.item(), rel=1e-6)
    ours.backward()
    lectures.backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-8)
