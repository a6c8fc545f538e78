"""BCE and MSE for the logistic model, both taking logits so BCE never saturates to NaN/inf."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .config import check_loss

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def bce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """-(1/n) sum(y log yhat + (1-y) log(1-yhat)) with yhat = sigmoid(logits).

    Computed with log-sum-exp from the logits: equal to the lecture's formula wherever that is
    finite, and still finite where sigmoid rounds to 0 or 1.
    """
    return F.binary_cross_entropy_with_logits(logits, y)


def mse(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(1/n) sum (y - yhat)^2: the homework's loss, the wrong one for Bernoulli data."""
    return torch.mean((y - torch.sigmoid(logits)) ** 2)


def lecture_bce(yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The lecture's BCE written on probabilities, kept to show where it breaks (log 0)."""
    return -torch.mean(y * torch.log(yhat) + (1 - y) * torch.log(1 - yhat))


LOSS_FUNCTIONS: dict[str, LossFn] = {"bce": bce, "mse": mse}


def get_loss(name: str) -> LossFn:
    """The loss function called `name` ('bce' or 'mse')."""
    return LOSS_FUNCTIONS[check_loss("loss", name)]
