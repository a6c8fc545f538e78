"""Softmax regression by gradient descent: K classes, torch.nn.Linear(d, K) and
CrossEntropyLoss, the course's step after 3-vs-7.

The eager engine is the course's loop written out (logitlab.train's four steps on
softmax_net, torch.optim's optimizer, DataLoader's mini-batches); the fused engine computes the
same descent in compiled kernels (engines.fused).

The divergence rule differs from the binary one on purpose: cross-entropy is computed from the
logits by log-sum-exp, which stays finite however large the logits grow (float32's 88 bounds
exp, not the log-sum-exp of logits shifted by their largest). So a softmax descent diverges
only when its parameters or its loss stop being finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config import TrainConfig
from ..errors import ConfigError, DataError
from .resolve import resolve_engine

if TYPE_CHECKING:
    import torch

#: The loss's name in messages (a DivergenceError's).
CROSS_ENTROPY = "cross-entropy"
#: The fused engine's multiply-adds counted as one of stopping.per_block's values: BLAS does
#: them in float32 vector lanes, ~0.04 ns each (an epoch of batches of 64 of the ten digits,
#: 3.5 M, in 0.15 ms), where stopping.BLOCK_VALUES allows ~12 ns a value; eight to a value
#: still leaves a block of epochs ~30 times shorter than the ~50 ms it bounds.
SGEMM_LANES = 8


@dataclass(frozen=True)
class SoftmaxFit:
    """A softmax regression fitted by gradient descent.

    Parameters
    ----------
    weight : numpy.ndarray
        K x d, torch.nn.Linear(d, K).weight: row k holds class k's slopes.
    bias : numpy.ndarray
        K values, the Linear layer's bias.
    loss : numpy.ndarray
        The full data's mean cross-entropy at the start of each epoch run.
    final_loss : float
        The mean cross-entropy at the final parameters.
    epochs : int
        The epochs run (fewer than asked when the gradient norm met tol).
    engine : str
        Who computed it, 'eager' or 'fused'.
    """

    weight: np.ndarray
    bias: np.ndarray
    loss: np.ndarray
    final_loss: float
    epochs: int
    engine: str

    def decision_function(self, x: object) -> np.ndarray:
        """The logits x W' + b, one column per class.

        Parameters
        ----------
        x : array_like
            n x d inputs (1-D: one feature).

        Returns
        -------
        numpy.ndarray
            n x K logits, float64.

        Raises
        ------
        DataError
            When x cannot be used or has another number of features than the fit.
        """
        from ..data.checks import design_array

        x = design_array(x, "x")
        if x.shape[1] != self.weight.shape[1]:
            raise DataError(f"x has {x.shape[1]} features but the fit takes {self.weight.shape[1]}")
        return x @ self.weight.T + self.bias

    def probabilities(self, x: object) -> np.ndarray:
        """The class probabilities, the softmax of the logits.

        Parameters
        ----------
        x : array_like
            n x d inputs.

        Returns
        -------
        numpy.ndarray
            n x K probabilities, float64; each row sums to 1.
        """
        from scipy.special import softmax

        return softmax(self.decision_function(x), axis=1)


def fit_softmax(
    x: object,
    codes: object,
    classes: int,
    config: TrainConfig | None = None,
    *,
    engine: str | None = None,
    progress: bool = False,
) -> SoftmaxFit:
    """Fit softmax regression, Linear(d, K) under CrossEntropyLoss, by gradient descent.

    The start is torch.nn.Linear(d, K) drawn under torch.manual_seed(config.init_seed) (the
    lecture net's way); each step is config's torch.optim optimizer on the full batch or on
    DataLoader's mini-batches (config.batch_size, shuffle_seed). With config.tol the fit stops
    after an epoch that starts with a gradient norm at most tol. x is used as float32, as
    every engine does.

    Parameters
    ----------
    x : array_like
        n x d inputs (a tensor, NumPy array or nested list; 1-D is one feature).
    codes : array_like
        n class codes, whole numbers from 0 to classes - 1.
    classes : int
        K, the number of classes, at least 2.
    config : TrainConfig, optional
        The optimizer, step, epochs, batches and seeds; TrainConfig() when None. Its loss
        must be 'bce', the cross-entropy (MSE is not defined here), and init None (the
        start is the seeded Linear layer's).
    engine : {'auto', 'eager', 'fused'}, optional
        Who computes it (default config.engine): the same math either way.
    progress : bool, default False
        Draw a progress bar over the epochs.

    Returns
    -------
    SoftmaxFit
        The weights, the biases and the loss at the start of each epoch.

    Raises
    ------
    ConfigError
        When config is not a TrainConfig, asks for MSE or a start, or the number of
        classes, the batch size or the engine is not allowed, or the run would exceed the
        memory or time limits.
    DataError
        When x or codes cannot be used.
    DivergenceError
        When the parameters or the loss stop being finite.
    """
    from .. import budget
    from ..config import check_batch_size, check_int
    from ..data.checks import as_design, count_array

    cfg = TrainConfig() if config is None else config
    if not isinstance(cfg, TrainConfig):
        raise ConfigError(f"config must be a TrainConfig, got {type(cfg).__name__}")
    if cfg.loss != "bce":
        raise ConfigError(f"softmax regression minimizes the cross-entropy (loss 'bce'); loss "
                          f"{cfg.loss!r} is not defined for K classes")  # fmt: skip
    if cfg.init is not None:
        raise ConfigError("init is a start of the two-class model; softmax regression starts "
                          "from Linear(d, K) drawn under init_seed")  # fmt: skip
    chosen = resolve_engine(cfg.engine if engine is None else engine)
    classes = check_int("classes", classes, 2)
    x = as_design(x, "x")
    n, d = x.shape
    labels = count_array(codes, n, "codes")
    if (top := int(labels.max())) >= classes:
        i = int(np.argmax(labels >= classes))
        raise DataError(f"codes must be below the number of classes ({classes}): index {i:,} "
                        f"holds {top if labels[i] == top else int(labels[i])}")  # fmt: skip
    check_batch_size(cfg.batch_size, n)
    steps = 1 if cfg.batch_size is None else -(-n // cfg.batch_size)
    budget.check(budget.softmax(n, d, classes, cfg.epochs, engine=chosen, steps=steps))
    import torch

    y = torch.from_numpy(labels.astype(np.int64))
    run = _fit_fused if chosen == "fused" else _fit_eager
    return run(x, y, classes, cfg, progress=bool(progress))


def _fit_eager(
    x: torch.Tensor, y: torch.Tensor, classes: int, cfg: TrainConfig, *, progress: bool
) -> SoftmaxFit:
    """The course's loop: softmax_net, CrossEntropyLoss and config's torch.optim optimizer
    through logitlab.train, the loss at each epoch's start recorded (by the step itself on
    the full batch, else by a full forward pass) and the divergence rule checked each epoch."""
    import torch
    from tqdm import tqdm

    from ..model import linear_layer, logits, softmax_net
    from ..train import train
    from .eager import full_values, grad_norm, make_batches, make_optimizer, threads_for

    net = softmax_net(cfg.init_seed, x.shape[1], classes)
    layer = linear_layer(net)
    # Live NumPy views of the parameters, which the optimizer updates in place.
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = make_optimizer(net.parameters(), cfg)
    batches = make_batches(x, y, cfg)
    per_epoch, full = len(batches), cfg.batch_size is None
    losses = np.empty(cfg.epochs)
    ran, epoch = cfg.epochs, 0
    with threads_for(x, cfg.batch_size), tqdm(total=cfg.epochs, desc="softmax fit", unit="epoch",
                                   disable=not progress) as bar:  # fmt: skip
        if not full:
            losses[0], norm = full_values(net, x, y, loss_fn)
        for step, loss in enumerate(train(net, batches, loss_fn, optimizer, cfg.epochs)):
            if full:
                losses[epoch], norm = loss.item(), grad_norm(layer)
            if (step + 1) % per_epoch:
                continue
            bar.update()
            _check(weight, bias, x, losses[epoch], epoch)
            if cfg.tol is not None and norm <= cfg.tol:
                ran = epoch + 1
                break
            epoch += 1
            if not full and epoch < cfg.epochs:
                losses[epoch], norm = full_values(net, x, y, loss_fn)
        with torch.no_grad():
            final_loss = float(loss_fn(logits(net, x), y))
    _check(weight, bias, x, final_loss, ran)
    return SoftmaxFit(weight=weight.astype(float), bias=bias.astype(float), loss=losses[:ran],
                      final_loss=final_loss, epochs=ran, engine="eager")  # fmt: skip


def _check(weight: np.ndarray, bias: np.ndarray, x: object, loss: float, epoch: int) -> None:
    """The softmax divergence rule once epoch `epoch` (0-based) has run: a non-finite loss
    where it started means the step before it diverged (epoch, 1-based; 1 for the start);
    non-finite parameters after it mean its own step did (epoch + 1). engines.fused's
    descend_softmax applies the same rule."""
    if not np.isfinite(loss):
        _diverge(weight, bias, x, max(epoch, 1))
    if not (np.all(np.isfinite(weight)) and np.all(np.isfinite(bias))):
        _diverge(weight, bias, x, epoch + 1)


def _diverge(weight: np.ndarray, bias: np.ndarray, x: object, epoch: int) -> None:
    """Raise the DivergenceError of a softmax descent, with its largest logit on the data."""
    from ..errors import DivergenceError

    with np.errstate(all="ignore"):
        u = np.asarray(x, dtype=float) @ weight.T.astype(float) + bias
        value = float(np.max(np.abs(u))) if np.all(np.isfinite(u)) else float("nan")
    raise DivergenceError(CROSS_ENTROPY, epoch, value)


def _fit_fused(
    x: torch.Tensor, y: torch.Tensor, classes: int, cfg: TrainConfig, *, progress: bool
) -> SoftmaxFit:
    """The same descent in engines.fused's compiled kernels, from softmax_net's start, over
    the DataLoader's orders (engines.batch.shuffled_orders), in blocks bounded by
    stopping.per_block with signals held in each, so Ctrl-C stops a long fit between two."""
    from tqdm import tqdm

    from ..config import OPTIMIZERS
    from ..model import softmax_net
    from ..stopping import per_block, signals_held
    from . import fused
    from .batch import MINIBATCH_COST, PERM_BLOCK, STEP_VALUES, shuffled_orders

    n, d = x.shape
    layer = softmax_net(cfg.init_seed, d, classes)[0]
    start = (layer.weight.detach().numpy().ravel(), layer.bias.detach().numpy())
    w = np.concatenate(start).astype(np.float32)  # the K x d weight row by row, then the biases
    m, v, t = np.zeros_like(w), np.zeros_like(w), np.zeros(1, dtype=np.int64)
    batch = n if cfg.batch_size is None else cfg.batch_size
    minibatch = batch < n
    rows, codes = np.ascontiguousarray(x.numpy()), y.numpy()
    cols = fused.softmax_columns(rows)
    losses = np.full(cfg.epochs, np.nan, dtype=np.float32)
    tol2 = -1.0 if cfg.tol is None else cfg.tol * cfg.tol  # -1: never
    passes = MINIBATCH_COST if minibatch else 1
    steps = -(-n // batch)
    block = per_block(passes * n * (d + 1) * classes // SGEMM_LANES + steps * STEP_VALUES)
    if minibatch:
        block = min(block, max(1, PERM_BLOCK // n))
    orders = shuffled_orders(n, cfg.shuffle_seed)
    no_orders = np.zeros((0, n), dtype=np.int64)
    settings = (cfg.momentum, cfg.nesterov, *cfg.betas, cfg.eps)
    ran, at = cfg.epochs, 0
    with tqdm(total=cfg.epochs, desc="softmax fit", unit="epoch", disable=not progress) as bar:
        for first in range(0, cfg.epochs, block):
            stop = min(first + block, cfg.epochs)
            perms = np.stack([next(orders) for _ in range(first, stop)]) if minibatch else no_orders
            with signals_held():
                at, done, ended = fused.descend_softmax(
                    rows, cols, codes, classes, OPTIMIZERS.index(cfg.optimizer), cfg.lr, *settings,
                    batch, perms, w, m, v, t, first, stop, losses, tol2)  # fmt: skip
            bar.update(done - first)
            if at or ended:
                ran = done
                break
    weight, bias = w[: classes * d].reshape(classes, d), w[classes * d :]
    if at:
        _diverge(weight, bias, x, at)
    final_loss = float(fused.softmax_loss(rows, cols, codes, w, classes))
    _check(weight, bias, x, final_loss, ran)
    return SoftmaxFit(weight=weight.astype(float), bias=bias.astype(float),
                      loss=losses[:ran].astype(float), final_loss=final_loss, epochs=ran,
                      engine="fused")  # fmt: skip
