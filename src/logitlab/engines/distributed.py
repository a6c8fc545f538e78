"""Gradient descent on several workers: each holds some rows, all hold the same parameters.

A step needs the gradient of the mean loss over the step's rows. Each worker computes the
sum over the rows it holds; one all_reduce (Collective.sum) adds the sums; every worker
divides by the batch's global size and takes the same optimizer step, so the parameters stay
identical everywhere without ever being sent. Per step that is d + 2 numbers, whatever n is.

Mini-batches are the ones a single process would see: the global batch order is the
DataLoader's on all n rows (engines.batch.shuffled_orders), the workers' rows counted in rank
order; each worker takes the rows of each global batch that live in its shard (maybe none).
So descend() on K workers equals logitlab.fit() on the rows stacked in rank order, to
float32 rounding, for both engines:

- ``fused``: the sums by compiled kernels (engines.fused), the step by fused's update;
- ``eager``: the lecture's net under torch's DistributedDataParallel. DDP averages the
  workers' gradients, so each worker's loss is its rows' loss SUM times world / batch size:
  the average is then the batch's mean loss gradient, even when the workers hold different
  numbers of the batch's rows. torch's DistributedSampler is not used: it deals global
  indexes round-robin, padding with repeats, so it needs every row on every worker and
  counts some rows twice; here a worker holds only its shard.

History, convergence and divergence are judged as in one process (result.py), on values
joined across workers: the full data's loss and gradient at each epoch's start, the largest
|logit| over every worker's rows.

descend_replicated() is the other case, the one DistributedSampler is made for: every worker
can read the whole data set (in memory or on a shared disk), so the sampler deals the rows.
"""

from __future__ import annotations

__all__ = ["descend", "descend_replicated"]

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import budget
from ..config import OPTIMIZERS, TrainConfig, check_batch_size, check_start, shown
from ..data.checks import check_names, design_array, label_array, numeric_array
from ..errors import ConfigError, DataError, DivergenceError, LogitlabError
from ..losses import get_derivatives
from ..model import initial_params
from ..result import (
    LOGIT_LIMIT,
    FitResult,
    History,
    largest_logit,
    logit_bound,
)
from .collective import Collective, Local
from .resolve import fused_available, resolve_engine


def descend(
    Z: np.ndarray,
    y: np.ndarray,
    config: TrainConfig,
    group: Collective,
    *,
    names: Sequence[str] | None = None,
) -> FitResult:
    """Fit the lecture's net by gradient descent on the rows of every worker in `group`:
    this worker holds Z (n_local x d, n_local may be 0) and its labels y. Every worker gets
    the same FitResult, equal (to float32 rounding) to logitlab.fit on all workers' rows
    stacked in rank order with the same config. config.engine picks fused or eager.
    A bad input on any worker raises the same error on every worker; DivergenceError as
    fit() raises it."""
    shard = _Shard.join(Z, y, config, group)
    names = check_names(names, shard.d)
    cfg = config
    start = initial_params(cfg.init_seed, shard.d) if cfg.init is None else cfg.init
    start = np.asarray(start, dtype=float)
    engine = resolve_engine(cfg.engine)
    if engine == "fused":
        steps = _FusedSteps(shard, start, cfg)
    else:
        steps = _EagerSteps(shard, start, cfg, shard.group)
    full = cfg.batch_size is None
    size = shard.n if full else cfg.batch_size
    per_epoch = math.ceil(shard.n / size)
    if not full:
        from .batch import shuffled_orders

        orders = shuffled_orders(shard.n, cfg.shuffle_seed)
    losses, grads = np.empty(cfg.epochs), np.empty(cfg.epochs)
    params = np.empty((cfg.epochs + 1, shard.d + 1))
    params[0] = steps.params()
    ran = cfg.epochs
    for epoch in range(cfg.epochs):
        if full:
            losses[epoch], grads[epoch] = steps.step(None, shard.n)
        else:
            losses[epoch], grads[epoch] = shard.values(cfg.loss, params[epoch])
            order = next(orders)
            for s in range(per_epoch):
                batch = order[s * size : (s + 1) * size]
                steps.step(shard.local(batch), len(batch))
        params[epoch + 1] = steps.params()
        if _ended(shard, cfg, epoch, params[epoch + 1], grads[epoch]):
            ran = epoch + 1
            break
    return _result(shard, cfg, names, engine, losses[:ran], grads[:ran], params[: ran + 1])


def descend_replicated(
    x: np.ndarray,
    y: np.ndarray,
    config: TrainConfig,
    group: Collective,
    *,
    names: Sequence[str] | None = None,
) -> FitResult:
    """Fit the lecture's net by mini-batches when EVERY worker holds all the rows x (n x d)
    and labels y: torch's own recipe, DistributedDataParallel (gloo) over the batches of a
    DistributedSampler (shuffle_seed, set_epoch each epoch), config.batch_size / world rows
    a worker per step. Unlike descend(), which needs no worker to hold every row and takes
    one process's batches, this is what a torch user writes: the sampler pads to a multiple
    of world with repeated rows, and a step's gradient is the mean of the workers' batch
    means. Every worker gets the same FitResult (eager engine; history as descend's)."""
    shard = _Shard.join(x, y, config, Local())  # every worker holds every row: nothing to join
    cfg, world = config, group.world
    if cfg.batch_size is None or cfg.batch_size % world:
        raise ConfigError(
            f"batch_size must be a multiple of the {world} workers, got {shown(cfg.batch_size)}"
        )
    if cfg.engine == "fused":
        raise ConfigError("descend_replicated runs the eager engine: engine must be auto or eager")
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    names = check_names(names, shard.d)
    start = initial_params(cfg.init_seed, shard.d) if cfg.init is None else cfg.init
    steps = _EagerSteps(shard, np.asarray(start, dtype=float), cfg, group)
    rows = TensorDataset(steps.x, steps.y)
    sampler = DistributedSampler(rows, num_replicas=world, rank=group.rank, shuffle=True,
                                 seed=cfg.shuffle_seed, drop_last=False)  # fmt: skip
    batches = DataLoader(rows, batch_size=cfg.batch_size // world, sampler=sampler)
    losses, grads = np.empty(cfg.epochs), np.empty(cfg.epochs)
    params = np.empty((cfg.epochs + 1, shard.d + 1))
    params[0] = steps.params()
    ran = cfg.epochs
    for epoch in range(cfg.epochs):
        losses[epoch], grads[epoch] = shard.values(cfg.loss, params[epoch])
        sampler.set_epoch(epoch)
        for xb, yb in batches:  # the same number of rows on every worker: each its mean
            steps.step_on(xb, yb, world * len(xb))
        params[epoch + 1] = steps.params()
        if _ended(shard, cfg, epoch, params[epoch + 1], grads[epoch]):
            ran = epoch + 1
            break
    return _result(shard, cfg, names, "eager", losses[:ran], grads[:ran], params[: ran + 1])


def _ended(shard: _Shard, cfg: TrainConfig, epoch: int, params: np.ndarray, grad: float) -> bool:
    """After an epoch that ended at params, having started with gradient norm grad: raise
    DivergenceError by fit()'s rule, or say whether early stopping (cfg.tol) ends the fit."""
    largest = shard.largest_logit(params)
    if not largest <= LOGIT_LIMIT:  # also true for NaN
        raise DivergenceError(cfg.loss, epoch + 1, largest)
    return cfg.tol is not None and grad <= cfg.tol


def _result(
    shard: _Shard,
    cfg: TrainConfig,
    names: list[str],
    engine: str,
    losses: np.ndarray,
    grads: np.ndarray,
    params: np.ndarray,
) -> FitResult:
    """The FitResult of a descent that ran len(losses) epochs, judged on all rows (result.py)."""
    final_loss, final_grad = shard.values(cfg.loss, params[-1])
    history = History(loss=losses, params=params, grad_norm=grads)
    return FitResult.from_descent(history, names, loss_name=cfg.loss, final_loss=final_loss,
                                  grad_norm=final_grad, epochs=len(losses), planned=cfg.epochs,
                                  tol=cfg.tol, engine=engine)  # fmt: skip


@dataclass(frozen=True)
class _Shard:
    """This worker's rows (x: n_local x d float64, y) and what the workers agreed on: the
    total n, where this shard starts in rank order, and the box around all rows."""

    x: np.ndarray
    y: np.ndarray
    n: int
    offset: int
    xmin: np.ndarray
    xmax: np.ndarray
    group: Collective

    @property
    def d(self) -> int:
        return self.x.shape[1]

    @classmethod
    def join(cls, Z: object, y: object, cfg: object, group: Collective) -> _Shard:
        """Check the local rows, then agree with the other workers (one gather) before any
        collective that could wait for a worker that has given up: every worker raises the
        first error any worker found."""
        found: LogitlabError | None = None
        x = ys = None
        try:
            x, ys = _rows(Z, y, cfg)
            budget.check(budget.fit(len(x), x.shape[1], cfg.epochs), "this worker's fit")
        except LogitlabError as exc:
            found = exc
        summary = None if found else (len(x), x.shape[1], x.min(axis=0, initial=np.inf),
                                      x.max(axis=0, initial=-np.inf))  # fmt: skip
        shared = group.gather((found, summary))
        errors = [err for err, _ in shared if err is not None]
        if errors:
            raise errors[0]
        sizes, widths = [s[0] for _, s in shared], {s[1] for _, s in shared}
        if len(widths) > 1:
            raise DataError(
                f"the workers' rows have different numbers of features ({sorted(widths)}); "
                "every worker must build the same columns"
            )
        if sum(sizes) == 0:
            raise DataError("the workers hold no rows between them: give at least one")
        xmin = np.min([s[2] for _, s in shared], axis=0)
        xmax = np.max([s[3] for _, s in shared], axis=0)
        n = sum(sizes)
        check_batch_size(cfg.batch_size, n)
        if cfg.init is not None:
            check_start(cfg.init, np.maximum(-xmin, xmax).tolist())
        return cls(x, ys, n, sum(sizes[: group.rank]), xmin, xmax, group)

    def local(self, batch: np.ndarray) -> np.ndarray:
        """The positions in this shard of the global rows `batch` that it holds, in order."""
        mine = (batch >= self.offset) & (batch < self.offset + len(self.x))
        return batch[mine] - self.offset

    def values(self, loss: str, params: np.ndarray) -> tuple[float, float]:
        """The mean loss over all workers' rows at params, and its gradient's norm (float64,
        the reference of losses.py): local sums, one all_reduce."""
        sums = np.zeros(self.d + 2)
        if len(self.x):
            value, slope, _ = get_derivatives(loss)(params[0] + self.x @ params[1:], self.y)
            sums[0], sums[1], sums[2:] = value.sum(), slope.sum(), slope @ self.x
        total = self.group.sum(sums) / self.n
        return float(total[0]), float(np.linalg.norm(total[1:]))

    def largest_logit(self, params: np.ndarray) -> float:
        """result.largest_logit over every worker's rows: the box bound, the same on every
        worker, while it decides; else each worker's largest over its rows, gathered."""
        bound = float(logit_bound(params, self.xmin, self.xmax))
        if not (np.isfinite(bound) and bound > LOGIT_LIMIT):
            return bound
        mine = float(largest_logit(params, self.xmin, self.xmax, self.x)) if len(self.x) else 0.0
        return float(np.max(self.group.gather(mine)))


def _rows(Z: object, y: object, cfg: object) -> tuple[np.ndarray, np.ndarray]:
    """This worker's rows checked as every fit checks them (data.checks), allowing none."""
    if not isinstance(cfg, TrainConfig):
        raise ConfigError(f"config must be a TrainConfig, got {type(cfg).__name__}")
    array = numeric_array(Z, "Z", "a numeric array (n x d)")
    if array.ndim == 2 and array.shape[0] == 0 and array.shape[1] >= 1:
        return array, label_array(np.reshape(numeric_array(y, "y", "0/1 labels"), -1), 0)
    x = design_array(array, "Z")
    return x, label_array(y, len(x))


class _FusedSteps:
    """Steps by the fused engine's kernels: this worker's gradient sum over the batch's
    rows it holds, joined with the other workers' in one all_reduce, then fused's update."""

    def __init__(self, shard: _Shard, start: np.ndarray, cfg: TrainConfig) -> None:
        from . import fused

        self.fused, self.shard, self.cfg = fused, shard, cfg
        self.x = np.ascontiguousarray(shard.x.T, dtype=np.float32)  # feature-major, d x n
        self.y = shard.y.astype(np.float32)
        self.w = start.astype(np.float32)
        self.m, self.v = np.zeros_like(self.w), np.zeros_like(self.w)
        self.t = 0

    def params(self) -> np.ndarray:
        return self.w.astype(float)

    def step(self, rows: np.ndarray | None, size: int) -> tuple[float, float]:
        """One step on the global batch of `size` rows, of which this worker holds `rows`
        (None: all of its rows). Returns the batch's mean loss and gradient norm before it."""
        x, y = self.x, self.y
        if rows is not None:
            x, y = np.empty((len(x), len(rows)), np.float32), np.empty(len(rows), np.float32)
            self.fused._gather(self.x, self.y, rows, x, y)
        sums = np.zeros(len(self.w) + 1)
        _sums(self.cfg.loss == "bce", x, y, self.w, sums)
        total = self.shard.group.sum(sums) / size
        g = total[:-1].astype(np.float32)
        cfg = self.cfg
        self.fused._update(OPTIMIZERS.index(cfg.optimizer), self.w, g, self.m, self.v, self.t,
                           cfg.lr, cfg.momentum, cfg.nesterov, *cfg.betas, cfg.eps)  # fmt: skip
        self.t += 1
        return float(total[-1]), float(np.linalg.norm(g))


if fused_available():  # the kernel of _FusedSteps (Numba is the fast extra)
    from numba import njit

    from .fused import JIT, fill_logits, mean_bce, mean_mse, residuals_bce, residuals_mse

    @njit(**JIT)
    def _sums(bce: bool, x: np.ndarray, y: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
        """out = the gradient of the loss summed over the rows of x (d x k) at w, then the
        loss summed over them: float32 sums, as the fused engine computes its means."""
        k = y.shape[0]
        u, r = np.empty(k, np.float32), np.empty(k, np.float32)
        fill_logits(x, w, u)
        out[0] = residuals_bce(y, u, r) if bce else residuals_mse(y, u, r)
        for j in range(x.shape[0]):
            gj = np.float32(0)
            for i in range(k):
                gj += r[i] * x[j, i]
            out[j + 1] = gj
        if k > 0:
            out[-1] = (mean_bce(u, y) if bce else mean_mse(u, y)) * np.float32(k)


class _EagerSteps:
    """Steps by the lecture's net and a torch.optim optimizer, the gradients averaged by
    DistributedDataParallel (gloo) over the workers of `group` when there are several."""

    def __init__(
        self, shard: _Shard, start: np.ndarray, cfg: TrainConfig, group: Collective
    ) -> None:
        import torch

        from ..losses import get_loss
        from ..model import lecture_net, linear_layer, set_params
        from .eager import make_optimizer

        net = lecture_net(cfg.init_seed, shard.d)
        set_params(net, start)
        self.layer = linear_layer(net)
        body = net[:-1]  # the logits: Sequential(Linear), sharing the net's parameters
        if group.world > 1:
            body = torch.nn.parallel.DistributedDataParallel(body)
        self.model, self.group, self.loss_fn = body, group, get_loss(cfg.loss)
        self.optimizer = make_optimizer(body.parameters(), cfg)
        self.x = torch.tensor(shard.x, dtype=torch.float32)
        self.y = torch.tensor(shard.y, dtype=torch.float32)[:, None]

    def params(self) -> np.ndarray:
        return np.concatenate((self.layer.bias.detach().numpy(),
                               self.layer.weight.detach().numpy()[0])).astype(float)  # fmt: skip

    def step(self, rows: np.ndarray | None, size: int) -> tuple[float, float]:
        """As _FusedSteps.step, by autograd (step_on on the rows this worker holds)."""
        import torch

        x, y = self.x, self.y
        if rows is not None:
            index = torch.from_numpy(rows)
            x, y = x[index], y[index]
        mine, grad = self.step_on(x, y, size)
        return float(self.group.sum(np.array([mine]))[0] / size), grad

    def step_on(self, x: object, y: object, size: int) -> tuple[float, float]:
        """One step: the loss of this worker's rows x, y, summed, times world / size, so
        DDP's average over the workers is the mean gradient over a batch of `size` rows.
        Returns the summed loss and the step's gradient norm."""
        import torch

        u = self.model(x)
        mine = self.loss_fn(u, y) * len(x) if len(x) else u.sum()
        (mine * (self.group.world / size)).backward()
        self.optimizer.step()
        grads = torch.cat((self.layer.bias.grad, self.layer.weight.grad[0]))
        self.optimizer.zero_grad()
        return mine.item(), float(grads.double().norm())
