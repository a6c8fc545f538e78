import numpy as np
import pytest
import torch

from logitlab.errors import ConfigError
from logitlab.model import (
    flat_params,
    initial_params,
    lecture_net,
    logits,
    probabilities,
    set_params,
    softmax_net,
)


def test_initial_parameters_match_the_lecture():
    # The lecture prints w1 = -0.3467, w0 = -0.8470 after torch.manual_seed(43052).
    w0, w1 = initial_params()
    assert round(float(w0), 4) == -0.8470
    assert round(float(w1), 4) == -0.3467


def test_init_is_the_lectures_own_code():
    torch.manual_seed(43052)
    l1 = torch.nn.Linear(in_features=1, out_features=1, bias=True)
    assert torch.equal(flat_params(lecture_net()), torch.cat((l1.bias, l1.weight[0])).detach())


def test_building_a_net_leaves_global_rng_alone():
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    lecture_net(1)
    assert torch.equal(torch.rand(2), expected)


def test_softmax_net_is_the_courses_seeded_linear_layer():
    torch.manual_seed(5)
    expected = torch.nn.Linear(4, 10)
    net = softmax_net(5, 4, 10)
    assert [type(m) for m in net] == [torch.nn.Linear, torch.nn.Softmax]
    assert torch.equal(net[0].weight, expected.weight) and torch.equal(net[0].bias, expected.bias)
    x = torch.randn(6, 4)
    assert torch.allclose(torch.softmax(logits(net, x), dim=1), net(x))


def test_net_is_linear_then_sigmoid_and_logits_drop_the_sigmoid():
    net = lecture_net(in_features=3)
    assert [type(m) for m in net] == [torch.nn.Linear, torch.nn.Sigmoid]
    x = torch.randn(5, 3)
    assert torch.allclose(torch.sigmoid(logits(net, x)), net(x))


def test_set_params_and_probabilities_agree_with_the_net():
    net = lecture_net(in_features=2)
    set_params(net, np.array([0.5, -1.0, 2.0]))
    assert flat_params(net).tolist() == [0.5, -1.0, 2.0]
    x = torch.randn(6, 2)
    expected = net(x).detach().numpy()[:, 0]
    np.testing.assert_allclose(probabilities([0.5, -1.0, 2.0], x.numpy()), expected, rtol=1e-6)


def test_probabilities_do_not_overflow():
    p = probabilities([0.0, 1.0], np.array([[-1e4], [1e4]]))
    assert p.tolist() == [0.0, 1.0]


def test_bad_seed_is_rejected():
    with pytest.raises(ConfigError):
        lecture_net(-3)
