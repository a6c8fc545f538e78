"""BCE and MSE by name: in torch for training (both taking logits, so BCE never saturates to
NaN/inf), and in NumPy as the reference value, gradient and Hessian per point.

For the model yhat = p = sigmoid(u), each loss is a mean over points of l(u_i, y_i):
BCE: l = log(1 + e^u) - y u,  l' = p - y,  l'' = p(1 - p) >= 0 (convex);
MSE: l = (y - p)^2,  l' = 2 (p - y) p (1 - p),
     l'' = 2 p (1 - p) [p (1 - p) + (p - y)(1 - 2p)], which takes both signs (not convex).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .config import check_loss
from .model import sigmoid

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: (u, y) -> per-point loss l(u, y) and its first and second derivatives in u.
Derivatives = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


#: The course's week-6 idiom: torch.nn.BCEWithLogitsLoss, the mean BCE
#: -(1/n) sum(y log yhat + (1-y) log(1-yhat)) with yhat = sigmoid(logits), computed by
#: log-sum-exp from the logits: equal to the lecture's formula (lecture_bce, below) wherever
#: that is finite, and still finite where sigmoid rounds to 0 or 1.
bce: LossFn = torch.nn.BCEWithLogitsLoss()


def mse(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(1/n) sum (y - yhat)^2: the homework's loss, the wrong one for Bernoulli data.

    Parameters
    ----------
    logits : torch.Tensor
        The model's logits u; yhat = sigmoid(u).
    y : torch.Tensor
        The 0/1 labels, of the logits' shape.

    Returns
    -------
    torch.Tensor
        The mean squared error, a scalar.
    """
    return torch.mean((y - torch.sigmoid(logits)) ** 2)


def lecture_bce(yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The lecture's BCE written on probabilities, kept to show where it breaks (log 0)."""
    return -torch.mean(y * torch.log(yhat) + (1 - y) * torch.log(1 - yhat))


LOSS_FUNCTIONS: dict[str, LossFn] = {"bce": bce, "mse": mse}


def get_loss(name: str) -> LossFn:
    """The loss function called `name` ('bce' or 'mse')."""
    return LOSS_FUNCTIONS[check_loss("loss", name)]


def bce_derivatives(u: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BCE per point and its first two derivatives in the logit u."""
    p = sigmoid(u)
    return np.logaddexp(0.0, u) - y * u, p - y, p * (1.0 - p)


def mse_derivatives(u: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MSE per point and its first two derivatives in the logit u."""
    p = sigmoid(u)
    slope = p * (1.0 - p)
    return (y - p) ** 2, 2.0 * (p - y) * slope, 2.0 * slope * (slope + (p - y) * (1.0 - 2.0 * p))


DERIVATIVES: dict[str, Derivatives] = {"bce": bce_derivatives, "mse": mse_derivatives}


def get_derivatives(name: str) -> Derivatives:
    """The NumPy reference derivatives of the loss called `name`."""
    return DERIVATIVES[check_loss("loss", name)]


def mean_gradient(name: str, params: object, x: object, y: object) -> np.ndarray:
    """The gradient of the mean loss at params [w0, w1, ..., wd], in float64: the reference
    every engine's convergence verdict uses."""
    params = np.asarray(params, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    _, slope, _ = get_derivatives(name)(params[0] + x @ params[1:], np.asarray(y, float).ravel())
    return np.concatenate(([slope.mean()], slope @ x / len(slope)))
