"""The eager engine: the lecture's loop (logitlab.train) with the recording and the checks
around it — the history, the progress bar, the divergence rule, early stopping and the
convergence verdict."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from tqdm.auto import tqdm

from ..config import TrainConfig
from ..data.checks import check_names
from ..errors import DivergenceError
from ..losses import get_loss, mean_gradient
from ..model import lecture_net, linear_layer, logits
from ..result import GRAD_TOL, Convergence, FitResult, History, diverged, logit_bound, unstable
from ..train import train

#: Below this many input values a tensor op is too small to share among threads: the
#: hand-off costs more than the work (the lecture's 2,000 x 1 ran up to 5x slower on 2 cores).
SMALL_PROBLEM = 100_000


@contextmanager
def threads_for(x: torch.Tensor) -> Iterator[None]:
    """Run small problems on one thread, restoring torch's thread count afterwards."""
    before = torch.get_num_threads()
    if x.numel() < SMALL_PROBLEM and before > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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

    Raises DivergenceError at the first epoch whose step breaks the divergence rule; stops
    early once the gradient norm is at most cfg.tol (when set).
    """
    names = check_names(names, x.shape[1])
    net = net if net is not None else lecture_net(cfg.init_seed, x.shape[1])
    loss_fn = get_loss(cfg.loss)
    optimizer = torch.optim.SGD(net.parameters(), lr=cfg.lr)
    xmin, xmax = x.amin(dim=0).double().numpy(), x.amax(dim=0).double().numpy()
    losses, grads = np.empty(cfg.epochs), np.empty(cfg.epochs)
    params = np.empty((cfg.epochs + 1, x.shape[1] + 1))
    # Live NumPy views of the parameters (SGD updates them in place): recording is a copy.
    layer = linear_layer(net)
    bias, weight = layer.bias.detach().numpy(), layer.weight.detach().numpy()
    params[0, 0], params[0, 1:] = bias[0], weight[0]
    ran = cfg.epochs
    with threads_for(x):
        steps = train(net, x, y, loss_fn, optimizer, cfg.epochs)
        bar = tqdm(steps, total=cfg.epochs, desc=f"{cfg.loss} fit", unit="epoch",
                   disable=not progress)  # fmt: skip
        for epoch, loss in enumerate(bar):
            losses[epoch], grads[epoch] = loss.item(), _grad_norm(layer)
            params[epoch + 1, 0], params[epoch + 1, 1:] = bias[0], weight[0]
            if diverged(params[epoch + 1], xmin, xmax):
                bound = logit_bound(params[epoch + 1], xmin, xmax)
                raise DivergenceError(cfg.loss, epoch + 1, bound)
            if cfg.tol is not None and grads[epoch] <= cfg.tol:
                ran = epoch + 1
                break
        with torch.no_grad():
            final_loss = float(loss_fn(logits(net, x), y))
    losses, grads, params = losses[:ran], grads[:ran], params[: ran + 1]
    gradient = mean_gradient(cfg.loss, params[-1], x.numpy(), y.numpy())
    convergence = Convergence(
        grad_norm=float(np.linalg.norm(gradient)),
        tol=GRAD_TOL if cfg.tol is None else cfg.tol,
        stable=not unstable(np.append(losses, final_loss)),
        stopped_early=ran < cfg.epochs,
    )
    return FitResult.from_params(
        params[-1],
        names,
        loss_name=cfg.loss,
        final_loss=final_loss,
        epochs=ran,
        history=History(loss=losses, params=params, grad_norm=grads),
        convergence=convergence,
        engine="eager",
    )


def _grad_norm(layer: torch.nn.Linear) -> float:
    """The norm of the gradient the last step used (still held in .grad)."""
    return float(torch.sqrt(layer.bias.grad.square().sum() + layer.weight.grad.square().sum()))
