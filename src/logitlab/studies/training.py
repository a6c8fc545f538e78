"""A study's TrainConfig as the engines and the reports take it, in one place, and the one
record of a descent it ran (Descent).

Every study on the lecture's data (lecture, landscape, animation, sweep, Monte Carlo) trains
with one TrainConfig; these turn it into fit_batch's keywords, check it against the data
before any work, and put its settings in a report's words (the results files' record of
them is records.training_settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import DataConfig, TrainConfig, check_batch_size, check_point

if TYPE_CHECKING:
    import numpy as np

    from ..result import FitResult


@dataclass(frozen=True)
class ToMLE:
    """Where a descent on standardised columns lands against the MLE (the fit of a table):
    its parameters mapped back to the original scale (params, in the MLE's order), the
    largest |difference| from the MLE there (max_abs), that over the largest |MLE
    coefficient| (max_rel), the largest |difference| on the z-scores (max_abs_std) and in
    the MLE's standard errors (max_se)."""

    params: np.ndarray
    max_abs: float
    max_rel: float
    max_abs_std: float
    max_se: float


@dataclass(frozen=True)
class Descent:
    """One gradient descent a study ran, for its records and reports: the fit (`result`), on
    `loss` with `optimizer` from `start` (None: the initial net of the init seed), on the
    full batch or on mini-batches of `batch_size`; its wall time per epoch when the study
    measures it (the optimizers study), and, for a descent on standardised columns beside the
    MLE (the fit of a table), where it lands against the MLE (to_mle)."""

    loss: str
    result: FitResult
    optimizer: str = "sgd"
    start: tuple[float, ...] | None = None
    batch_size: int | None = None
    seconds_per_epoch: float | None = None
    to_mle: ToMLE | None = None

    @property
    def params(self) -> np.ndarray:
        """Intercept and coefficients where it landed, on the data's own scale (mapped back
        from the z-scores when it ran on them)."""
        return self.result.params if self.to_mle is None else self.to_mle.params

    @property
    def verdict(self) -> str:
        """'converged', 'not converged' or 'unstable' (FitResult.convergence)."""
        return self.result.convergence.verdict

    def __repr__(self) -> str:
        """One line, not the arrays: how it ran, where it landed and, beside an MLE, how far
        from it."""
        from ..display import numbers

        batch = "full batch" if self.batch_size is None else f"batches of {self.batch_size:,}"
        to_mle = ("" if self.to_mle is None else f"; max |coef - MLE| {self.to_mle.max_abs:.3g}"
                  f" ({self.to_mle.max_se:.3g} SE)")  # fmt: skip
        return (f"Descent({self.loss}, {self.optimizer}, {batch}: params="
                f"{numbers(self.params)}, {self.verdict} after {self.result.epochs:,} epochs"
                f"{to_mle})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: how it ran, its verdict and where it landed."""
        from ..display import html
        from ..result import INTERCEPT

        return html("descent.html", descent=self, names=(INTERCEPT, *self.result.names))


def batch_keywords(train: TrainConfig) -> dict[str, object]:
    """engines.batch.fit_batch's keywords for `train`: every setting but the loss, which a
    study sets per problem (as it may the lr, optimizer or batch size)."""
    return {
        "lr": train.lr,
        "epochs": train.epochs,
        "init_seed": train.init_seed,
        "engine": train.engine,
        "tol": train.tol,
        "init": train.init,
        **train.optimizer_settings(),
    }


def check_on_lecture_data(train: TrainConfig, data: DataConfig) -> None:
    """Refuse before any work what the lecture's data cannot take (ConfigError): a start
    that is not one point (w0, w1) whose logits stay in range on x in [-1, 1], or a batch
    of more than the n points."""
    if train.init is not None:
        check_point("start", train.init)
    check_batch_size(train.batch_size, data.n)


def optimizer_words(train: TrainConfig) -> str:
    """The optimizer as a report names it: 'SGD', 'SGD with momentum 0.9 (Nesterov)' or
    'Adam (betas 0.9, 0.999, eps 1e-08)'."""
    if train.optimizer == "momentum":
        return f"SGD with momentum {train.momentum:g}" + (" (Nesterov)" if train.nesterov else "")
    if train.optimizer == "adam":
        beta1, beta2 = train.betas
        return f"Adam (betas {beta1:g}, {beta2:g}, eps {train.eps:g})"
    return "SGD"


def epoch_words(train: TrainConfig) -> str:
    """What an epoch is: 'full-batch' or 'mini-batch (batches of 32, shuffle seed 0)'."""
    if train.batch_size is None:
        return "full-batch"
    return f"mini-batch (batches of {train.batch_size:,}, shuffle seed {train.shuffle_seed})"


def start_words(train: TrainConfig) -> str:
    """Where the fits start: "the lecture's start" or 'the start (1, -2)'."""
    if train.init is None:
        return "the lecture's start"
    return f"the start ({', '.join(f'{w:g}' for w in train.init)})"


def loop_code(train: TrainConfig, loss_names: Sequence[str]) -> str:
    """The training loop as a student would type it for these settings: the lecture's four
    steps on the full batch, or inside a DataLoader pass over mini-batches (week 6)."""
    if train.optimizer == "adam":
        beta1, beta2 = train.betas
        made = (f"torch.optim.Adam(net.parameters(), lr={train.lr:g}, betas=({beta1:g}, "
                f"{beta2:g}), eps={train.eps:g})")  # fmt: skip
    elif train.optimizer == "momentum":
        made = (f"torch.optim.SGD(net.parameters(), lr={train.lr:g}, momentum={train.momentum:g}"
                f"{', nesterov=True' if train.nesterov else ''})")  # fmt: skip
    else:
        made = f"torch.optim.SGD(net.parameters(), lr={train.lr:g})"
    x, y = ("X", "y") if train.batch_size is None else ("xb", "yb")
    steps = [
        f"u = net[:-1]({x}){' ' * (11 - len(x))}# 1. forward: logits, yhat = sigmoid(u) = net({x})",
        f"loss = loss_fn(u, {y}){' ' * (6 - len(y))}# 2. loss: {', '.join(loss_names)}",
        "loss.backward()          # 3. backward",
        "optimizer.step()         # 4. step ...",
        "optimizer.zero_grad()    #    ... and clear the gradients",
    ]
    lines = [f"optimizer = {made}"]
    if train.batch_size is None:
        lines += [f"for epoch in range({train.epochs}):", *(f"    {step}" for step in steps)]
    else:
        lines += [
            f"g = torch.Generator().manual_seed({train.shuffle_seed})",
            f"loader = DataLoader(TensorDataset(X, y), batch_size={train.batch_size}, "
            "shuffle=True, generator=g)",
            f"for epoch in range({train.epochs}):",
            "    for xb, yb in loader:  # one pass over the data, in a new order each epoch",
            *(f"        {step}" for step in steps),
        ]
    return "\n".join(lines)
