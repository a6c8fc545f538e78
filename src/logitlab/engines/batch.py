"""Many independent fits at once: different data draws, learning rates, starts or losses.

fit_batch() takes one or more data sets and, per problem, a loss, a step and a start; it runs
them on the fused engine spread over the cores (or one by one on the eager engine) and returns
a BatchResult. A problem that diverges is reported on its own row (which problem, which epoch)
and leaves the others alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import torch
from tqdm import tqdm

from .. import budget
from ..config import (
    FLOAT32_MAX,
    LECTURE_INIT_SEED,
    MAX_EPOCHS,
    MAX_SEED,
    OPTIMIZERS,
    TrainConfig,
    check_batch_size,
    check_int,
    check_logits,
    check_loss,
    check_optimizer,
)
from ..data.checks import check_names, design_array, label_array, numeric_array
from ..errors import ConfigError, DataError, DivergenceError
from ..losses import mean_gradient
from ..model import flat_params, initial_params, lecture_net, set_params
from ..result import GRAD_TOL, LOGIT_LIMIT, Convergence, FitResult, History, largest_logit, unstable
from ..stopping import per_block, signals_held
from .eager import fit_eager
from .resolve import resolve_engine


@dataclass(frozen=True)
class BatchResult:
    """B fits side by side; row b of every array belongs to problem b.

    A diverged problem holds NaN where its results would be; the rule it broke is
    result.diverged's, the same in every engine.

    Parameters
    ----------
    losses : tuple of str
        Each problem's loss, 'bce' or 'mse'.
    lr : numpy.ndarray
        Each problem's step size, B values.
    data : numpy.ndarray
        Which data set each problem was fitted to, B indices.
    params : numpy.ndarray
        The final parameters, B x (1 + d), intercept first.
    final_loss : numpy.ndarray
        The loss at the final parameters, B values.
    history_loss : numpy.ndarray
        [b, k]: the loss at history_params[b, k].
    history_params : numpy.ndarray
        [b, k]: the parameters before epoch k * record_every; [b, -1] the final ones.
    history_grad : numpy.ndarray
        [b, k]: the gradient norm at history_params[b, k].
    diverged_at : numpy.ndarray
        0 for a problem that did not diverge, else the 1-based epoch whose step did.
    diverged_value : numpy.ndarray
        A diverged problem's largest logit in size.
    epochs_run : numpy.ndarray
        The epochs each problem ran: fewer than epochs when it met tol early (its history
        NaN after that).
    grad_norm, stable : numpy.ndarray
        Each fit's final gradient norm and stability: its convergence verdict.
    tol : float
        The gradient norm a converged fit is within.
    epochs : int
        The epochs asked for.
    record_every : int
        The epochs between two recorded points of the history.
    engine : str
        Who computed it, 'fused' or 'eager'.
    names : tuple of str
        The d features' names.
    optimizers : tuple of str, default ()
        How each problem stepped: 'sgd', 'momentum' or 'adam'.
    batch_size : tuple of int or None, default ()
        Each problem's mini-batch size (None: the full batch).
    steps_per_epoch : numpy.ndarray, optional
        Each problem's steps in an epoch.
    step_loss : numpy.ndarray, optional
        When record_steps: [b] the batch loss of each step, epoch after epoch,
        steps_per_epoch[b] of them an epoch (NaN where it did not run).
    """

    losses: tuple[str, ...]
    lr: np.ndarray
    data: np.ndarray
    params: np.ndarray
    final_loss: np.ndarray
    history_loss: np.ndarray
    history_params: np.ndarray
    history_grad: np.ndarray
    diverged_at: np.ndarray
    diverged_value: np.ndarray
    epochs_run: np.ndarray
    grad_norm: np.ndarray
    stable: np.ndarray
    tol: float
    epochs: int
    record_every: int
    engine: str
    names: tuple[str, ...]
    optimizers: tuple[str, ...] = ()
    batch_size: tuple[int | None, ...] = ()
    steps_per_epoch: np.ndarray | None = None
    step_loss: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.losses)

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of the problems that did not diverge."""
        return self.diverged_at == 0

    @property
    def converged(self) -> np.ndarray:
        """Boolean mask of the fits that converged (see result.Convergence)."""
        with np.errstate(invalid="ignore"):
            return self.ok & self.stable & (self.grad_norm <= self.tol)

    def convergence(self, b: int) -> Convergence:
        """Problem b's convergence verdict.

        Parameters
        ----------
        b : int
            The problem's row, from 0 to B - 1.

        Returns
        -------
        Convergence
            Its gradient norm against tol, its stability and whether it stopped early.
        """
        return Convergence(
            grad_norm=float(self.grad_norm[b]),
            tol=self.tol,
            stable=bool(self.stable[b]),
            stopped_early=bool(self.epochs_run[b] < self.epochs),
        )

    @property
    def record_epochs(self) -> np.ndarray:
        """The epochs whose loss and parameters were recorded (history_loss columns)."""
        return np.arange(0, self.epochs, self.record_every)

    def error(self, b: int) -> DivergenceError | None:
        """Problem b's divergence as the eager engine would raise it, or None.

        Parameters
        ----------
        b : int
            The problem's row.

        Returns
        -------
        DivergenceError or None
            The error, not raised; None when problem b did not diverge.
        """
        if self.diverged_at[b] == 0:
            return None
        return DivergenceError(self.losses[b], int(self.diverged_at[b]), self.diverged_value[b])

    def errors(self) -> list[tuple[int, DivergenceError]]:
        """(problem, error) for every problem that diverged.

        Returns
        -------
        list of (int, DivergenceError)
            The diverged problems' rows and errors, in row order.
        """
        return [(b, err) for b in range(len(self)) if (err := self.error(b)) is not None]

    def verdicts(self) -> list[str]:
        """Each problem's verdict, in row order.

        Returns
        -------
        list of str
            'converged', 'not converged', 'unstable' or 'diverged', one per problem.
        """
        return [self.convergence(b).verdict if self.ok[b] else "diverged" for b in range(len(self))]

    def tally(self) -> dict[str, dict[str, int]]:
        """How the fits of each loss ended.

        Returns
        -------
        dict of str to dict of str to int
            Loss -> verdict -> how many of its problems got it (verdicts nobody got left out).
        """
        counts: dict[str, dict[str, int]] = {}
        for loss, verdict in zip(self.losses, self.verdicts(), strict=True):
            counts.setdefault(loss, {}).setdefault(verdict, 0)
            counts[loss][verdict] += 1
        return counts

    def tally_words(self) -> str:
        """The tally in a line, for a repr or a report.

        Returns
        -------
        str
            Per loss, how many of its fits ended how: 'bce 2 converged, 1 diverged; mse 3
            converged'.
        """
        return "; ".join(f"{loss} {', '.join(f'{n} {v}' for v, n in verdicts.items())}"
                         for loss, verdicts in self.tally().items())  # fmt: skip

    def __repr__(self) -> str:
        """One line, not the arrays: how many fits of which loss, and how they ended."""
        return (f"BatchResult({len(self):,} fits of {len(self.names)} feature(s), up to "
                f"{self.epochs:,} epochs on {self.engine}: {self.tally_words()})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: per loss, how many fits ended how."""
        from ..display import html

        return html("batch.html", batch=self, tally=self.tally())

    def result(self, b: int) -> FitResult:
        """Problem b as a FitResult.

        Parameters
        ----------
        b : int
            Which problem.

        Returns
        -------
        FitResult
            Its parameters and history, as fit() would have returned them.

        Raises
        ------
        DivergenceError
            When problem b diverged.
        """
        if (err := self.error(b)) is not None:
            raise err
        kept = _recorded(int(self.epochs_run[b]), self.record_every)
        params = self.history_params[b]
        steps = None
        if self.step_loss is not None:
            steps = self.step_loss[b, : int(self.epochs_run[b] * self.steps_per_epoch[b])]
        history = History(
            loss=self.history_loss[b, :kept],
            params=np.vstack((params[:kept], params[-1:])),
            grad_norm=self.history_grad[b, :kept],
            step_loss=steps,
        )
        return FitResult.from_descent(history, self.names, loss_name=self.losses[b],
                                      final_loss=self.final_loss[b], grad_norm=self.grad_norm[b],
                                      epochs=self.epochs_run[b], planned=self.epochs,
                                      tol=self.tol, engine=self.engine)  # fmt: skip


#: The settings fit_batch takes per problem: one value for every problem, or a sequence of B.
PER_PROBLEM = ("loss", "lr", "init", "optimizer", "batch_size")
#: The settings a keyword of fit_batch may set: TrainConfig's fields.
TRAIN_FIELDS = frozenset(f.name for f in fields(TrainConfig))


def fit_batch(
    x: object,
    y: object,
    config: TrainConfig | None = None,
    *,
    data: int | Sequence[int] = 0,
    record_every: int = 1,
    record_steps: bool = False,
    names: Sequence[str] | None = None,
    progress: bool | Progress = False,
    **settings: object,
) -> BatchResult:
    """Fit B problems by gradient descent and return them side by side.

    Every mini-batch problem sees the batches in the order DataLoader(shuffle=True) gives
    under torch.Generator().manual_seed(shuffle_seed). A fit stops early after an epoch that
    starts with a gradient norm at most tol (default: never; the convergence verdict then
    uses result.GRAD_TOL).

    Parameters
    ----------
    x : array_like
        One data set's n x d inputs, or m stacked data sets (m x n x d).
    y : array_like
        Their labels, n or m x n.
    config : TrainConfig, optional
        The training settings; TrainConfig() when None.
    data : int or sequence of int, default 0
        Which data set each problem is fitted to: one for all, or B of them.
    record_every : int, default 1
        The epochs between two recorded points of loss and parameters (1 keeps the whole
        history; memory grows as B * epochs / record_every).
    record_steps : bool, default False
        Record each step's batch loss too.
    names : sequence of str, optional
        The d features' names (default x1, ..., xd).
    progress : bool or callable, default False
        True draws a bar; a callable is called as progress(epochs_done, params) (params:
        B x (1+d), a copy) after each block of at most ~1/PROGRESS_BLOCKS of the epochs on the
        fused engine (after each fit on the eager one), and an exception it raises stops the
        fit and propagates: how a server reports a long run and cancels it. The results are
        the same with or without it.
    **settings
        A keyword named as one of TrainConfig's fields replaces that setting. Those of
        PER_PROBLEM may differ per problem, as one value for all or a sequence of B: loss,
        lr, init (a start [w0, w1, ...]; default the lecture net's under init_seed),
        optimizer and batch_size (None: the full batch; else at most n). The rest are shared.

    Returns
    -------
    BatchResult
        The B fits, row b for problem b; a diverged problem is reported on its own row.

    Raises
    ------
    ConfigError
        When config is not a TrainConfig or a setting is not allowed.
    DataError
        When x or y cannot be used.
    """
    cfg = TrainConfig() if config is None else config
    if not isinstance(cfg, TrainConfig):
        raise ConfigError(f"config must be a TrainConfig, got {type(cfg).__name__}")
    for name in settings.keys() - TRAIN_FIELDS:
        raise TypeError(f"fit_batch() got an unexpected keyword argument {name!r}")
    per_problem = {name: settings.pop(name, getattr(cfg, name)) for name in PER_PROBLEM}
    xs, ys = _stack(x, y)
    cfg = replace(cfg, **settings)  # the shared settings, checked in TrainConfig's words
    every = check_int("record_every", record_every, 1, MAX_EPOCHS)
    names = check_names(names, xs.shape[2])
    plan = _plan(**per_problem, data=data, xs=xs, init_seed=cfg.init_seed)
    m, n, d = xs.shape
    steps = _steps_per_epoch(plan[5], n)
    chosen = resolve_engine(cfg.engine)
    cost = budget.fit(n, d, cfg.epochs, every=every, problems=len(plan[0]), datasets=m,
                      engine=chosen, steps=int(steps.max()),
                      record_steps=bool(record_steps))  # fmt: skip
    budget.check(cost)
    run = _run_fused if chosen == "fused" else _run_eager
    out = run(xs, ys, *plan, shared=cfg, every=every, record_steps=bool(record_steps),
              progress=progress)  # fmt: skip
    tol = GRAD_TOL if cfg.tol is None else cfg.tol
    return _finish(xs, ys, *plan, out, cfg.epochs, every, names, tol)


def fit_fused(
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: TrainConfig,
    *,
    net: torch.nn.Sequential | None = None,
    names: Sequence[str] | None = None,
    record_steps: bool = False,
    progress: Progress | None = None,
) -> FitResult:
    """fit() on the fused engine: same FitResult, same DivergenceError, same net update.
    The start: cfg.init, else the net's parameters, else the lecture net's. `progress` as
    fit_batch's callable."""
    start = cfg.init
    if start is None and net is not None:
        start = flat_params(net).numpy()
    batch = fit_batch(x, y, cfg, init=start, engine="fused", names=names,
                      record_steps=record_steps, progress=progress or False)  # fmt: skip
    result = batch.result(0)
    if net is not None:
        set_params(net, result.params)
    return result


def _stack(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate one or m data sets -> x as m x n x d, y as m x n, float32.

    x is n x d (shared by every label set) or m x n x d; y is n (or n x 1) or m x n. Each
    data set passes the checks of every fit (logitlab.data.checks).
    """
    x3 = numeric_array(x, "x", "a numeric array or tensor (n x d, or m x n x d)")
    y2 = numeric_array(y, "y", "a numeric array of 0/1 labels (n, or m x n)")
    if y2.ndim < 2 or y2.shape[1] == 1:
        y2 = y2.reshape(1, -1)
    if x3.ndim > 3 or (x3.ndim == 3 and 0 in x3.shape):
        raise DataError(f"x must be n x d or m x n x d with m, n, d >= 1, got shape {x3.shape}")
    sets = list(x3) if x3.ndim == 3 else [x3]
    name = "x[{}]" if x3.ndim == 3 else "x"
    xs = [design_array(xi, name.format(i)).astype(np.float32) for i, xi in enumerate(sets)]
    if len(xs) not in (1, len(y2)):
        raise DataError(f"got {len(xs)} input sets but {len(y2)} label sets")
    xs = xs * len(y2) if len(xs) == 1 else xs
    ys = [label_array(yi, len(xi)).astype(np.float32) for xi, yi in zip(xs, y2, strict=True)]
    return np.stack(xs), np.stack(ys)


def _column(value: object) -> list:
    """A per-problem setting as a list: one value (a scalar or text), or a sequence."""
    if isinstance(value, str | bytes):
        return [value]
    try:
        return list(value)  # type: ignore[call-overload]
    except TypeError:  # a scalar: one value for every problem
        return [value]


def _plan(
    loss: object,
    lr: object,
    init: object,
    data: object,
    optimizer: object,
    batch_size: object,
    xs: np.ndarray,
    init_seed: object,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, tuple[str, ...], tuple]:
    """Broadcast the per-problem settings to one length B and validate every value: each
    start must be finite and keep its logits within float32's range on its data set, each
    batch size at most n."""
    m, n, d = xs.shape
    init_seed = check_int("init seed", init_seed, 0, MAX_SEED)
    columns = {
        "loss": _column(loss),
        "lr": _column(lr),
        "data": _column(data),
        "optimizer": _column(optimizer),
        "batch_size": _column(batch_size),
    }
    try:
        starts = initial_params(init_seed, d) if init is None else np.asarray(init, dtype=float)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        raise ConfigError(f"init must be numbers, {d + 1} per problem ([w0, w1, ...])") from None
    if starts.shape[-1:] != (d + 1,) or starts.ndim not in (1, 2):
        raise ConfigError(f"init must hold {d + 1} values per problem, got shape {starts.shape}")
    columns["init"] = list(np.atleast_2d(starts))
    sizes = {len(v) for v in columns.values()} - {1}
    if len(sizes) > 1 or 0 in sizes:
        lengths = ", ".join(f"{k}: {len(v)}" for k, v in columns.items())
        raise ConfigError(f"per-problem settings must be single or of one length ({lengths})")
    size = max(sizes, default=1)
    full = {k: v * size if len(v) == 1 else v for k, v in columns.items()}
    losses = tuple(check_loss("loss", v) for v in full["loss"])
    lrs = np.array([TrainConfig(lr=v).lr for v in full["lr"]])
    index = np.array([check_int("data", v, 0) for v in full["data"]], dtype=np.int64)
    if np.any(index >= m):
        raise ConfigError(f"data indexes must be below the number of data sets ({m})")
    optimizers = tuple(check_optimizer(v) for v in full["optimizer"])
    batches = tuple(check_batch_size(v, n) for v in full["batch_size"])
    starts = np.array(full["init"], dtype=float)
    if not np.all(np.isfinite(starts)):
        raise ConfigError("init must be finite numbers")
    xmax = np.abs(xs).max(axis=1).astype(float)  # m x d
    bound = np.abs(starts[:, 0]) + np.sum(np.abs(starts[:, 1:]) * xmax[index], axis=1)
    for b in np.flatnonzero(~(bound <= FLOAT32_MAX))[:1]:
        check_logits(f"init of problem {b}", starts[b].tolist(), xmax[index[b]].tolist())
    return losses, lrs, index, starts, optimizers, batches


#: What fit_batch calls after each block of epochs: progress(epochs_done, params).
Progress = Callable[[int, np.ndarray], None]
#: A progress callable is called at least this many times a fit (fewer for fewer epochs).
PROGRESS_BLOCKS = 50


def _steps_per_epoch(batches: Sequence[int | None], n: int) -> np.ndarray:
    """Steps each problem takes an epoch: 1 for the full batch, else ceil(n / batch size)."""
    return np.array([1 if b is None else -(-n // b) for b in batches], dtype=np.int64)


#: Recorded points a study keeps per fit: enough for the instability rule to see a rise.
STUDY_POINTS = 100


def history_stride(epochs: int) -> int:
    """The record_every that keeps about STUDY_POINTS points of a long fit's history. It is
    odd, so a descent that overshoots back and forth every other epoch (the usual way a too
    large step fails) shows as a rise on the record."""
    return max(1, epochs // STUDY_POINTS) | 1


def _recorded(epochs_run: int, every: int) -> int:
    """How many history rows (before-epoch parameters) a fit of epochs_run epochs recorded."""
    return math.ceil(epochs_run / every)


def _ran_items(ran: np.ndarray, every: int, rows: int) -> list[tuple[int, int]]:
    """The history items b * rows + k worth a pass over the data, as merged ranges: each
    problem's recorded epochs that ran, and its final row. The rows after a stop at tol hold
    NaN (their loss stays NaN); a pass for each of them cost as much as the epochs saved (a
    1,000,000-row descent that met tol at epoch 9 of 3,000: 136 s of its 160 s)."""
    ranges: list[tuple[int, int]] = []
    for b, count in enumerate(ran.tolist()):
        start = b * rows
        for lo, hi in ((start, start + _recorded(count, every)), (start + rows - 1, start + rows)):
            if ranges and ranges[-1][1] >= lo:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
            elif hi > lo:
                ranges.append((lo, hi))
    return ranges


def _empty(size: int, d: int, epochs: int, every: int, steps: int) -> dict[str, np.ndarray]:
    """NaN-filled output arrays for `size` problems (`steps` step losses each)."""
    rows = _recorded(epochs, every)
    return {
        "step_loss": np.full((size, steps), np.nan),
        "history_loss": np.full((size, rows + 1), np.nan),
        "history_params": np.full((size, rows + 1, d + 1), np.nan),
        "history_grad": np.full((size, rows), np.nan),
        "at": np.zeros(size, dtype=np.int64),
        "value": np.full(size, np.nan),
        "ran": np.full(size, epochs, dtype=np.int64),
    }


def _run_eager(xs, ys, losses, lrs, index, starts, optimizers, batches, *, shared, every,
               record_steps, progress) -> dict:  # fmt: skip
    """One eager fit after another: slow, but needs only torch, and is the reference."""
    size, (_, n, d), epochs = len(losses), xs.shape, shared.epochs
    per_epoch = _steps_per_epoch(batches, n)
    out = _empty(size, d, epochs, every, epochs * int(per_epoch.max()) if record_steps else 0)
    report, current = (progress if callable(progress) else None), starts.copy()
    quiet = report is not None or not progress
    for b in tqdm(range(size), desc="eager fits", unit="fit", disable=quiet):
        net = lecture_net(LECTURE_INIT_SEED, d)
        set_params(net, starts[b])
        x, y = torch.from_numpy(xs[index[b]]), torch.from_numpy(ys[index[b]])[:, None]
        cfg = replace(shared, loss=losses[b], lr=lrs[b], optimizer=optimizers[b],
                      batch_size=batches[b], init=None)  # the net holds the start  # fmt: skip
        try:
            res = fit_eager(x, y, cfg, net=net, record_steps=record_steps)
        except DivergenceError as err:
            out["at"][b], out["value"][b] = err.epoch, err.value
            continue
        kept = _recorded(res.epochs, every)
        out["ran"][b] = res.epochs
        out["history_loss"][b, :kept] = res.history.loss[::every]
        out["history_loss"][b, -1] = res.final_loss
        out["history_params"][b, :kept] = res.history.params[:-1:every]
        out["history_grad"][b, :kept] = res.history.grad_norm[::every]
        out["history_params"][b, -1] = res.params
        if record_steps:
            out["step_loss"][b, : len(res.history.step_loss)] = res.history.step_loss
        if report is not None:  # each fit is a block: the finished ones at their end
            current[b] = res.params
            report(epochs, current.copy())
    out["engine"] = "eager"
    return out


#: Shuffled indexes precomputed at a time (int64): 4 million, 32 MB, whatever n and epochs.
PERM_BLOCK = 4_000_000
#: A mini-batch epoch costs about this many full-batch ones (the full gradient where it
#: starts, the gathers, a step per batch), plus STEP_VALUES per step (stopping.per_block).
MINIBATCH_COST = 4
STEP_VALUES = 64


def shuffled_orders(n: int, seed: int) -> Iterator[np.ndarray]:
    """The order in which DataLoader(TensorDataset(...), shuffle=True, generator=g) with
    g = torch.Generator().manual_seed(seed) visits n points, epoch after epoch. Each epoch
    its iterator first draws a base seed for workers from g (one int64), then its
    RandomSampler draws torch.randperm(n, generator=g), and once exhausted one more
    randperm(n) for the sample count's remainder (n % n = 0 points, but g moves on)."""
    g = torch.Generator().manual_seed(seed)
    while True:
        torch.empty((), dtype=torch.int64).random_(generator=g)
        order = torch.randperm(n, generator=g)
        torch.randperm(n, generator=g)
        yield order.numpy()


def _run_fused(xs, ys, losses, lrs, index, starts, optimizers, batches, *, shared, every,
               record_steps, progress) -> dict:  # fmt: skip
    """The compiled engine: blocks of epochs (the mini-batch orders of a block computed
    first, shared by every problem), each spread over the cores in chunks of problems (for
    the progress bar); then every recorded loss. Every compiled call is bounded by
    stopping.per_block and runs with signals held, so Ctrl-C or SIGTERM stops a long fit
    between two calls; the blocks carry all state, so the numbers do not depend on them."""
    from . import fused

    size, (_, n, d), epochs = len(losses), xs.shape, shared.epochs
    per_epoch = _steps_per_epoch(batches, n)
    out = _empty(size, d, epochs, every, epochs * int(per_epoch.max()) if record_steps else 0)
    params = out["history_params"].astype(np.float32)
    grads = out["history_grad"].astype(np.float32)
    steps = out["step_loss"].astype(np.float32)
    x32 = np.ascontiguousarray(xs.transpose(0, 2, 1))  # feature-major: m x d x n
    xlim = np.stack((xs.min(axis=1), xs.max(axis=1)), axis=1)  # m x 2 x d: the data's box
    bce = np.array([name == "bce" for name in losses])
    kind = np.array([OPTIMIZERS.index(name) for name in optimizers], dtype=np.int64)
    batch = np.array([n if b is None else b for b in batches], dtype=np.int64)
    minibatch = batch < n
    w = starts.astype(np.float32)
    m, v = np.zeros_like(w), np.zeros_like(w)
    t = np.zeros((size, 1), dtype=np.int64)
    out["ran"][:] = 0
    ended = np.zeros(size, dtype=np.bool_)
    tol = shared.tol
    tol2 = -1.0 if tol is None else tol * tol  # -1: never (a gradient can be exactly 0)
    chunk = max(8, math.ceil(size / 50))
    block = max(1, PERM_BLOCK // n) if minibatch.any() else epochs
    epoch = n * (d + 1) * (MINIBATCH_COST if minibatch.any() else 1)
    block = min(block, per_block(min(chunk, size) * (epoch + int(per_epoch.max()) * STEP_VALUES)))
    report = progress if callable(progress) else None
    if report is not None:  # bounded blocks, so the caller hears of the run (and may stop it)
        block = min(block, -(-epochs // PROGRESS_BLOCKS))
    orders = shuffled_orders(n, shared.shuffle_seed)
    blocks = range(0, epochs, block)
    settings = (shared.momentum, shared.nesterov, *shared.betas, shared.eps)
    # Hand out problems one at a time, so a core slowed by another process holds up no one.
    quiet = report is not None or not progress
    with tqdm(total=size, desc="fits", unit="fit", disable=quiet) as bar, \
            fused.parallel_chunksize(1):  # fmt: skip
        for first in blocks:
            stop = min(first + block, epochs)
            perms = np.zeros((0, n), dtype=np.int64)
            if minibatch.any():
                perms = np.stack([next(orders) for _ in range(first, stop)])
            for lo in range(0, size, chunk):
                hi = min(lo + chunk, size)
                with signals_held():
                    fused.descend_many(x32, ys, index[lo:hi], bce[lo:hi], kind[lo:hi],
                                       lrs[lo:hi], *settings, batch[lo:hi], perms, w[lo:hi],
                                       m[lo:hi], v[lo:hi], t[lo:hi], first, stop, every,
                                       params[lo:hi], grads[lo:hi], steps[lo:hi], xlim,
                                       LOGIT_LIMIT, tol2, out["at"][lo:hi],
                                       out["ran"][lo:hi], ended[lo:hi])  # fmt: skip
                bar.update((hi - lo) / len(blocks))
            if report is not None:
                report(stop, w.astype(float))
            if np.all(ended | (out["at"] > 0)):  # every fit met tol or diverged: no block left
                break
    loss = np.full(params.shape[:2], np.nan, dtype=np.float32)
    items = per_block(2 * n * (d + 1))  # a loss and a gradient at each recorded point
    for lo, hi in _ran_items(out["ran"], every, loss.shape[1]):
        for first in range(lo, hi, items):
            with signals_held():
                fused.history_values(x32, ys, index, bce, params, loss, grads, minibatch,
                                     first, min(first + items, hi))  # fmt: skip
    out["history_loss"], out["history_params"] = loss.astype(float), params.astype(float)
    out["history_grad"], out["step_loss"] = grads.astype(float), steps.astype(float)
    for b in np.flatnonzero(out["at"] > 0):  # w holds the parameters that broke the rule
        box = xlim[index[b]]
        out["value"][b] = largest_logit(w[b], box[0], box[1], xs[index[b]])
    out["engine"] = "fused"
    return out


def _finish(xs, ys, losses, lrs, index, starts, optimizers, batches, out, epochs, every, names,
            tol) -> BatchResult:  # fmt: skip
    """NaN out the results of diverged problems, judge convergence, assemble the BatchResult."""
    loss, params, at, ran = out["history_loss"], out["history_params"], out["at"], out["ran"]
    ok = at == 0
    loss[~ok], params[~ok], out["history_grad"][~ok] = np.nan, np.nan, np.nan
    grad_norm, stable = np.full(len(losses), np.nan), np.zeros(len(losses), dtype=bool)
    for b in np.flatnonzero(ok):
        gradient = mean_gradient(losses[b], params[b, -1], xs[index[b]], ys[index[b]])
        grad_norm[b] = np.linalg.norm(gradient)
        stable[b] = not unstable(np.append(loss[b, : _recorded(ran[b], every)], loss[b, -1]))
    return BatchResult(
        losses=losses,
        lr=lrs,
        data=index,
        params=params[:, -1].copy(),
        final_loss=loss[:, -1].copy(),
        history_loss=loss[:, :-1],
        history_params=params,
        history_grad=out["history_grad"],
        diverged_at=at,
        diverged_value=out["value"],
        epochs_run=ran,
        grad_norm=grad_norm,
        stable=stable,
        tol=tol,
        epochs=epochs,
        record_every=every,
        engine=out["engine"],
        names=names,
        optimizers=optimizers,
        batch_size=batches,
        steps_per_epoch=_steps_per_epoch(batches, xs.shape[1]),
        step_loss=out["step_loss"] if out["step_loss"].shape[1] else None,
    )
