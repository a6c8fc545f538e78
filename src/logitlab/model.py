"""The lecture's network, Sequential(Linear, Sigmoid), with its seeded initialisation; its
parameters in and out; and the one sigmoid every NumPy computation of the package uses."""

from __future__ import annotations

import numpy as np
import torch

from .config import LECTURE_INIT_SEED, check_int


def lecture_net(init_seed: int = LECTURE_INIT_SEED, in_features: int = 1) -> torch.nn.Sequential:
    """Build the lecture's net exactly as it does, under torch.manual_seed(init_seed).

    The seed is applied inside a forked RNG so building a net never disturbs the caller's
    global random state. With the default seed: w1 = -0.3467, w0 = -0.8470.
    """
    check_int("init seed", init_seed, 0)
    check_int("in_features", in_features, 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        l1 = torch.nn.Linear(in_features=in_features, out_features=1, bias=True)
        a1 = torch.nn.Sigmoid()
        return torch.nn.Sequential(l1, a1)


def logits(net: torch.nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """The net without its final Sigmoid: yhat = sigmoid(logits(net, x))."""
    return net[:-1](x)


def linear_layer(net: torch.nn.Sequential) -> torch.nn.Linear:
    """The net's Linear layer (the one holding w0 and w1)."""
    return next(m for m in net if isinstance(m, torch.nn.Linear))


def flat_params(net: torch.nn.Sequential) -> torch.Tensor:
    """Parameters as one vector, intercept first: [w0, w1, ..., wd] (a detached copy)."""
    layer = linear_layer(net)
    return torch.cat((layer.bias.detach(), layer.weight.detach().reshape(-1)))


def initial_params(init_seed: int = LECTURE_INIT_SEED, in_features: int = 1) -> np.ndarray:
    """The lecture net's starting parameters [w0, w1, ...] as float32 NumPy values."""
    return flat_params(lecture_net(init_seed, in_features)).numpy()


def set_params(net: torch.nn.Sequential, params: np.ndarray | torch.Tensor) -> None:
    """Load [w0, w1, ..., wd] into the net's Linear layer."""
    layer = linear_layer(net)
    values = torch.as_tensor(np.asarray(params), dtype=layer.weight.dtype)
    with torch.no_grad():
        layer.bias.copy_(values[:1])
        layer.weight.copy_(values[1:].reshape(layer.weight.shape))


def sigmoid(u: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-u), written as (1 + tanh(u/2)) / 2 so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u, dtype=float)))


def probabilities(params: np.ndarray, x: np.ndarray | torch.Tensor) -> np.ndarray:
    """sigmoid(w0 + x @ [w1..wd]) for parameters [w0, w1, ..., wd], as a 1-D NumPy array."""
    params = np.asarray(params, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    return sigmoid(params[0] + x @ params[1:])
