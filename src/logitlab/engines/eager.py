"""The eager engine: the lecture's loop (logitlab.train) with the recording and the checks
around it — the history, the progress bar and the divergence rule."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ..config import TrainConfig
from ..data.checks import check_names
from ..errors import DivergenceError
from ..losses import get_loss
from ..model import lecture_net, linear_layer, logits
from ..result import FitResult, History, diverged
from ..train import train


def fit_eager(
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: TrainConfig,
    *,
    net: torch.nn.Sequential | None = None,
    names: Sequence[str] | None = None,
    progress: bool = False,
) -> FitResult:
    """The lecture's way: its net, torch autograd and torch.optim.SGD, four steps an epoch.

    Raises DivergenceError at the first epoch whose loss breaks the divergence rule.
    """
    names = check_names(names, x.shape[1])
    net = net if net is not None else lecture_net(cfg.init_seed, x.shape[1])
    loss_fn = get_loss(cfg.loss)
    optimizer = torch.optim.SGD(net.parameters(), lr=cfg.lr)
    losses = np.empty(cfg.epochs)
    params = np.empty((cfg.epochs + 1, x.shape[1] + 1))
    # Live NumPy views of the parameters (SGD updates them in place): recording is a copy.
    layer = linear_layer(net)
    bias, weight = layer.bias.detach().numpy(), layer.weight.detach().numpy()
    params[0, 0], params[0, 1:] = bias[0], weight[0]
    steps = train(net, x, y, loss_fn, optimizer, cfg.epochs)
    bar = tqdm(steps, total=cfg.epochs, desc=f"{cfg.loss} fit", unit="epoch", disable=not progress)
    for epoch, loss in enumerate(bar):
        losses[epoch] = loss.item()
        params[epoch + 1, 0], params[epoch + 1, 1:] = bias[0], weight[0]
        if diverged(losses[epoch], losses[0]):
            raise DivergenceError(cfg.loss, epoch + 1, losses[epoch])
    with torch.no_grad():
        final_loss = float(loss_fn(logits(net, x), y))
    if diverged(final_loss, losses[0]):
        raise DivergenceError(cfg.loss, cfg.epochs, final_loss)
    return FitResult.from_params(
        params[cfg.epochs],
        names,
        loss_name=cfg.loss,
        final_loss=final_loss,
        epochs=cfg.epochs,
        history=History(loss=losses, params=params),
        engine="eager",
    )
