"""Engines: the same gradient descent, computed different ways behind one fit().

- ``eager``: the lecture's four steps with torch autograd, torch.optim and DataLoader
  (logitlab.train), the reference;
- ``fused``: the gradient, the optimizers' updates and the whole epoch loop (mini-batches
  in the DataLoader's order) compiled by Numba (logitlab.engines.fused), about two orders
  of magnitude faster;
- ``auto``: fused when Numba is installed (the ``fast`` extra), else eager, saying so once.

Many fits at once, spread over the cores: logitlab.engines.batch.fit_batch. Softmax
regression (K classes, Linear(d, K) and CrossEntropyLoss) on either engine:
logitlab.engines.softmax.fit_softmax.
This module stays light (no Numba, no torch until fit() runs).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import ENGINES
from .resolve import fused_available, resolve_engine

if TYPE_CHECKING:
    import numpy as np
    import torch

    from ..config import TrainConfig
    from ..result import FitResult

__all__ = ["ENGINES", "fit", "fused_available", "resolve_engine"]


def fit(
    x: object,
    y: object,
    config: TrainConfig | None = None,
    *,
    net: torch.nn.Sequential | None = None,
    names: Sequence[str] | None = None,
    progress: bool | Callable[[int, np.ndarray], None] = False,
    engine: str | None = None,
    record_steps: bool = False,
) -> FitResult:
    """Fit the lecture's net to (x, y) by gradient descent, with config's optimizer, on the
    full batch or on mini-batches (config.batch_size, at most n).

    Both inputs are checked (logitlab.data.checks) and used as float32. A fit whose history
    would not fit in memory is refused first (logitlab.budget). Separable data give a
    SeparationWarning, recorded as result.separation: the coefficients then only grow with
    the epochs.

    Parameters
    ----------
    x : array_like
        n x d inputs (a tensor, NumPy array or nested list; 1-D is one feature).
    y : array_like
        n labels 0/1 (n or n x 1).
    config : TrainConfig, optional
        The loss, optimizer, step, epochs, batches and start; TrainConfig() when None.
    net : torch.nn.Sequential, optional
        The net to train, in place; by default the lecture's network initialised under
        config.init_seed. It starts from config.init when that is given (whose logits must
        stay within result.LOGIT_LIMIT on x).
    names : sequence of str, optional
        The d features' names (default x1, ..., xd).
    progress : bool or callable, default False
        True draws the eager loop's progress bar (the compiled one takes milliseconds on the
        lecture's data); a callable is called as progress(epochs_done, params) after each
        block of the compiled loop's epochs (fit_batch's), the eager loop then drawing its bar.
    engine : {'auto', 'eager', 'fused'}, optional
        Who computes it (default config.engine): the same math either way, the eager loop or
        the compiled one.
    record_steps : bool, default False
        Keep each step's batch loss in result.history.step_loss.

    Returns
    -------
    FitResult
        The fitted parameters, the loss history and the separation found, if any.

    Raises
    ------
    ConfigError
        When config is not a TrainConfig, net has no Linear layer, or the batch size, start
        or engine is not allowed.
    DataError
        When x or y cannot be used, or net takes another number of features than x has.
    DivergenceError
        When a step takes a logit beyond float32's range (result.diverged).
    """
    from .. import budget
    from ..config import TrainConfig, check_batch_size, check_start
    from ..data.checks import as_design, as_labels, check_names
    from ..data.separation import separation_of
    from ..errors import ConfigError, DataError, SeparationWarning

    cfg = TrainConfig() if config is None else config
    if not isinstance(cfg, TrainConfig):
        raise ConfigError(f"config must be a TrainConfig, got {type(cfg).__name__}")
    chosen = resolve_engine(cfg.engine if engine is None else engine)
    x = as_design(x, "x")
    y = as_labels(y, x.shape[0])
    names = check_names(names, x.shape[1])
    if net is not None and (inputs := _inputs(net)) != x.shape[1]:
        raise DataError(f"net takes {inputs} features but x has {x.shape[1]}")
    n, d = x.shape
    check_batch_size(cfg.batch_size, n)
    if cfg.init is not None:
        check_start(cfg.init, x.abs().amax(dim=0).double().tolist())
    steps = 1 if cfg.batch_size is None else -(-n // cfg.batch_size)
    budget.check(budget.fit(n, d, cfg.epochs, engine=chosen, steps=steps,
                            record_steps=record_steps))  # fmt: skip
    separated = separation_of(x.numpy(), y.numpy(), names)
    if separated is not None:
        warnings.warn(f"gradient descent on separable data: {separated}", SeparationWarning,
                      stacklevel=2)  # fmt: skip
    if chosen == "fused":
        from .batch import fit_fused

        result = fit_fused(x, y, cfg, net=net, names=names, record_steps=record_steps,
                           progress=progress if callable(progress) else None)  # fmt: skip
    else:
        from .eager import fit_eager

        result = fit_eager(x, y, cfg, net=net, names=names, progress=bool(progress),
                           record_steps=record_steps)  # fmt: skip
    return replace(result, separation=separated)


def _inputs(net: object) -> int:
    """How many features the net's Linear layer takes."""
    from ..errors import ConfigError
    from ..model import linear_layer

    try:
        return linear_layer(net).in_features  # type: ignore[arg-type]
    except (StopIteration, TypeError):
        raise ConfigError(
            "net must be a torch.nn.Sequential with a Linear layer, as lecture_net() builds"
        ) from None
