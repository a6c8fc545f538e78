"""Training as the lecture writes it: the four steps, in plain PyTorch.

for epoch in range(epochs):
    1. forward      yhat = net(X)   (we keep the logits: yhat = sigmoid(logits))
    2. loss         loss = bce(logits, y)
    3. backward     loss.backward()
    4. step         optimizer.step(); optimizer.zero_grad()
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from .config import TrainConfig
from .engines import resolve_engine
from .errors import DivergenceError
from .losses import get_loss
from .model import lecture_net, linear_layer, logits

#: A loss that grows past this multiple of its starting value has diverged, even if finite:
#: BCE from logits stays finite however large the step (lr=1e6 ends near 5e3, not inf).
DIVERGENCE_FACTOR = 1e3


@dataclass(frozen=True)
class History:
    """What happened each epoch: loss[k] at params[k], the parameters before step k.

    params has one more row than loss: its last row holds the final parameters.
    Columns of params: intercept first, [w0, w1, ..., wd].
    """

    loss: np.ndarray
    params: np.ndarray


@dataclass(frozen=True)
class FitResult:
    """A finished fit: the final parameters, the loss there, and the history."""

    loss_name: str
    params: np.ndarray
    final_loss: float
    epochs: int
    history: History
    engine: str = "eager"

    @property
    def w0(self) -> float:
        return float(self.params[0])

    @property
    def w1(self) -> float:
        return float(self.params[1])


def check_loss_value(loss_name: str, epoch: int, value: float, start: float) -> None:
    """Raise DivergenceError if the loss is non-finite or far above where it started."""
    if not math.isfinite(value) or value > DIVERGENCE_FACTOR * max(start, 1e-12):
        raise DivergenceError(loss_name, epoch, value)


def fit(
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig | None = None,
    *,
    net: torch.nn.Sequential | None = None,
    progress: bool = False,
    engine: str | None = None,
) -> FitResult:
    """Fit the lecture's net to (x, y) by full-batch gradient descent.

    x is n x d, y is n x 1 of 0/1 (float32 tensors). `net` defaults to the lecture's network
    initialised under config.init_seed; it is trained in place. `engine` ('auto', 'eager' or
    'fused'; default config.engine, 'auto') picks who computes it: the same math either way,
    the eager loop below or the compiled one in logitlab.engines.fused (which takes
    milliseconds, so `progress` draws a bar only for the eager loop).
    """
    cfg = config or TrainConfig()
    if resolve_engine(cfg.engine if engine is None else engine) == "fused":
        from .engines.batch import fit_fused

        return fit_fused(x, y, cfg, net=net)
    return _fit_eager(x, y, cfg, net=net, progress=progress)


def _fit_eager(
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: TrainConfig,
    *,
    net: torch.nn.Sequential | None = None,
    progress: bool = False,
) -> FitResult:
    """The lecture's way: its net, torch autograd and torch.optim.SGD, four steps an epoch."""
    net = net if net is not None else lecture_net(cfg.init_seed, x.shape[1])
    loss_fn = get_loss(cfg.loss)
    optimizer = torch.optim.SGD(net.parameters(), lr=cfg.lr)
    losses = np.empty(cfg.epochs)
    params = np.empty((cfg.epochs + 1, x.shape[1] + 1))
    # Live NumPy views of the parameters (SGD updates them in place): recording is a copy.
    layer = linear_layer(net)
    bias, weight = layer.bias.detach().numpy(), layer.weight.detach().numpy()
    epochs = tqdm(range(cfg.epochs), desc=f"{cfg.loss} fit", unit="epoch", disable=not progress)
    for epoch in epochs:
        params[epoch, 0], params[epoch, 1:] = bias[0], weight[0]
        ## 1. forward
        u = logits(net, x)
        ## 2. loss
        loss = loss_fn(u, y)
        ## 3. backward
        loss.backward()
        ## 4. step, then clear the gradients
        optimizer.step()
        optimizer.zero_grad()

        losses[epoch] = loss.item()
        check_loss_value(cfg.loss, epoch + 1, losses[epoch], losses[0])
    params[cfg.epochs, 0], params[cfg.epochs, 1:] = bias[0], weight[0]
    with torch.no_grad():
        final_loss = float(loss_fn(logits(net, x), y))
    check_loss_value(cfg.loss, cfg.epochs, final_loss, losses[0])
    return FitResult(
        loss_name=cfg.loss,
        params=params[cfg.epochs].copy(),
        final_loss=final_loss,
        epochs=cfg.epochs,
        history=History(loss=losses, params=params),
    )
