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

    Parameters
    ----------
    init_seed : int, default LECTURE_INIT_SEED
        The seed torch draws the starting weights under (the lecture's by default).
    in_features : int, default 1
        The number of inputs.

    Returns
    -------
    torch.nn.Sequential
        Sequential(Linear(in_features, 1), Sigmoid()).

    Raises
    ------
    ConfigError
        When the seed is negative or in_features is below 1.
    """
    check_int("init seed", init_seed, 0)
    check_int("in_features", in_features, 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        l1 = torch.nn.Linear(in_features=in_features, out_features=1, bias=True)
        a1 = torch.nn.Sigmoid()
        return torch.nn.Sequential(l1, a1)


def softmax_net(init_seed: int, in_features: int, classes: int) -> torch.nn.Sequential:
    """The course's next net, softmax regression: Sequential(Linear(in_features, classes),
    Softmax(dim=1)), its weights drawn under torch.manual_seed(init_seed) as lecture_net draws
    its own (in a forked RNG). logits() gives what CrossEntropyLoss takes."""
    check_int("init seed", init_seed, 0)
    check_int("in_features", in_features, 1)
    check_int("classes", classes, 2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        return torch.nn.Sequential(torch.nn.Linear(in_features, classes), torch.nn.Softmax(dim=1))


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
    """The lecture net's starting parameters [w0, w1, ...] as float32 NumPy values.

    Parameters
    ----------
    init_seed : int, default LECTURE_INIT_SEED
        The seed of the net's initialisation, as in lecture_net.
    in_features : int, default 1
        The number of inputs.

    Returns
    -------
    numpy.ndarray
        [w0, w1, ..., wd], float32, intercept first.
    """
    return flat_params(lecture_net(init_seed, in_features)).numpy()


def set_params(net: torch.nn.Sequential, params: np.ndarray | torch.Tensor) -> None:
    """Load [w0, w1, ..., wd] into the net's Linear layer."""
    layer = linear_layer(net)
    values = torch.as_tensor(np.asarray(params), dtype=layer.weight.dtype)
    with torch.no_grad():
        layer.bias.copy_(values[:1])
        layer.weight.copy_(values[1:].reshape(layer.weight.shape))


def sigmoid(u: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-u), written as (1 + tanh(u/2)) / 2 so it never overflows.

    Parameters
    ----------
    u : array_like
        Logits.

    Returns
    -------
    numpy.ndarray
        The probabilities, float64, of u's shape.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u, dtype=float)))


def probabilities(params: np.ndarray, x: np.ndarray | torch.Tensor) -> np.ndarray:
    """The model's probabilities sigmoid(w0 + x @ [w1..wd]) for parameters [w0, w1, ..., wd].

    Parameters
    ----------
    params : numpy.ndarray
        [w0, w1, ..., wd], intercept first.
    x : numpy.ndarray or torch.Tensor
        The inputs, n x d (or n values for one feature).

    Returns
    -------
    numpy.ndarray
        The n probabilities, float64, 1-D.
    """
    params = np.asarray(params, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    return sigmoid(params[0] + x @ params[1:])
