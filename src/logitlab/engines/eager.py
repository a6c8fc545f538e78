"""The eager engine: the lecture's loop (logitlab.train) with torch.optim's optimizers and
DataLoader's mini-batches, and the recording and the checks around it — the history, the
progress bar, the divergence rule, early stopping and the convergence verdict."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

from ..config import TrainConfig, check_batch_size
from ..data.checks import check_names
from ..errors import DivergenceError
from ..losses import LossFn, get_loss, mean_gradient
from ..model import lecture_net, linear_layer, logits, set_params
from ..result import FitResult, History, diverged, largest_logit
from ..train import Batches, train

#: Below this many input values a tensor op is too small to share among threads: the
#: hand-off costs more than the work (the lecture's 2,000 x 1 ran up to 5x slower on 2 cores).
SMALL_PROBLEM = 100_000


@contextmanager
def threads_for(x: torch.Tensor, batch_size: int | None = None) -> Iterator[None]:
    """Run small problems on one thread, restoring torch's thread count afterwards. A step's
    problem is its batch: mini-batches of a large x still run on one thread (on two, the ten
    digits' batches of 64 took 25 s for 20 epochs where one took 1 s)."""
    before = torch.get_num_threads()
    rows = x.shape[0] if batch_size is None else min(batch_size, x.shape[0])
    if rows * x[:1].numel() < SMALL_PROBLEM and before > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_optimizer(params: Iterable[torch.Tensor], cfg: TrainConfig) -> torch.optim.Optimizer:
    """The torch.optim optimizer cfg names, with its settings: what a student would write."""
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)
    if cfg.optimizer == "momentum":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    return torch.optim.SGD(params, lr=cfg.lr)


def make_batches(x: torch.Tensor, y: torch.Tensor, cfg: TrainConfig) -> Batches:
    """The full batch [(x, y)] (the lecture's loop), or the course's mini-batches:
    DataLoader(TensorDataset(x, y), shuffle=True) under a generator seeded shuffle_seed."""
    if cfg.batch_size is None:
        return [(x, y)]
    check_batch_size(cfg.batch_size, x.shape[0])
    generator = torch.Generator().manual_seed(cfg.shuffle_seed)
    return DataLoader(TensorDataset(x, y), batch_size=cfg.batch_size, shuffle=True,
                      generator=generator)  # fmt: skip


def fit_eager(
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: TrainConfig,
    *,
    net: torch.nn.Sequential | None = None,
    names: Sequence[str] | None = None,
    progress: bool = False,
    record_steps: bool = False,
) -> FitResult:
    """The lecture's way: its net, torch autograd and a torch.optim optimizer, four steps a
    batch. The net starts at cfg.init when given (else as given, or the lecture's).

    History: the full-batch loss and gradient norm at the parameters each epoch starts from
    (with mini-batches computed apart, as the steps see only their batch); the loss of every
    step in history.step_loss when record_steps. Raises DivergenceError at the first epoch
    that ends beyond the divergence rule; stops early after an epoch that started with a
    gradient norm at most cfg.tol (when set).
    """
    names = check_names(names, x.shape[1])
    net = net if net is not None else lecture_net(cfg.init_seed, x.shape[1])
    if cfg.init is not None:
        set_params(net, np.asarray(cfg.init))
    loss_fn = get_loss(cfg.loss)
    optimizer = make_optimizer(net.parameters(), cfg)
    batches = make_batches(x, y, cfg)
    per_epoch, full = len(batches), cfg.batch_size is None
    xmin, xmax = x.amin(dim=0).double().numpy(), x.amax(dim=0).double().numpy()
    rows = x.numpy()
    losses, grads = np.empty(cfg.epochs), np.empty(cfg.epochs)
    params = np.empty((cfg.epochs + 1, x.shape[1] + 1))
    step_loss = np.full(cfg.epochs * per_epoch if record_steps else 0, np.nan)
    # Live NumPy views of the parameters (the optimizer updates them in place): a copy records.
    layer = linear_layer(net)
    bias, weight = layer.bias.detach().numpy(), layer.weight.detach().numpy()
    params[0, 0], params[0, 1:] = bias[0], weight[0]
    ran, epoch = cfg.epochs, 0
    with threads_for(x, cfg.batch_size):
        if not full:
            losses[0], grads[0] = full_values(net, x, y, loss_fn)
        steps = train(net, batches, loss_fn, optimizer, cfg.epochs)
        bar = tqdm(total=cfg.epochs, desc=f"{cfg.loss} fit", unit="epoch", disable=not progress)
        for step, loss in enumerate(steps):
            if record_steps:
                step_loss[step] = loss.item()
            if full:
                losses[epoch], grads[epoch] = loss.item(), grad_norm(layer)
            if (step + 1) % per_epoch:
                continue
            params[epoch + 1, 0], params[epoch + 1, 1:] = bias[0], weight[0]
            bar.update()
            if diverged(params[epoch + 1], xmin, xmax, rows):
                bound = largest_logit(params[epoch + 1], xmin, xmax, rows)
                raise DivergenceError(cfg.loss, epoch + 1, float(bound))
            if cfg.tol is not None and grads[epoch] <= cfg.tol:
                ran = epoch + 1
                break
            epoch += 1
            if not full and epoch < cfg.epochs:
                losses[epoch], grads[epoch] = full_values(net, x, y, loss_fn)
        bar.close()
        with torch.no_grad():
            final_loss = float(loss_fn(logits(net, x), y))
    losses, grads, params = losses[:ran], grads[:ran], params[: ran + 1]
    gradient = mean_gradient(cfg.loss, params[-1], x.numpy(), y.numpy())
    history = History(loss=losses, params=params, grad_norm=grads,
                      step_loss=step_loss[: ran * per_epoch] if record_steps else None)  # fmt: skip
    return FitResult.from_descent(history, names, loss_name=cfg.loss, final_loss=final_loss,
                                  grad_norm=np.linalg.norm(gradient), epochs=ran,
                                  planned=cfg.epochs, tol=cfg.tol, engine="eager")  # fmt: skip


def grad_norm(layer: torch.nn.Linear) -> float:
    """The norm of the gradient the last step used (still held in .grad)."""
    return float(torch.sqrt(layer.bias.grad.square().sum() + layer.weight.grad.square().sum()))


def full_values(
    net: torch.nn.Sequential, x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn
) -> tuple[float, float]:
    """The full-data loss and gradient norm at the net's parameters, by autograd, leaving
    the optimizer's .grad alone (a mini-batch step sees only its batch)."""
    layer = linear_layer(net)
    loss = loss_fn(logits(net, x), y)
    gb, gw = torch.autograd.grad(loss, (layer.bias, layer.weight))
    return loss.item(), float(torch.sqrt(gb.square().sum() + gw.square().sum()))
