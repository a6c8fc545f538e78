"""What a fit returns — FitResult and History — and the one divergence rule.

This module imports nothing else of the package, and NumPy only when a rule runs, so every
layer (settings, engines, studies, records, reports, the web page) can depend on it without
pulling anything in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: The intercept's name in every table and record (the formula libraries' name for it).
INTERCEPT = "Intercept"

#: Past this |logit| (|u| = |w0 + x.w|) float32 arithmetic has lost the model: e^u overflows
#: float32 at 88.7, and sigmoid(u) has been exactly 0 or 1 since |u| ~ 17.
LOGIT_LIMIT = 88.0
#: A stable descent never raises the loss: a rise between recorded epochs larger than this
#: fraction (float32 rounding moves it by ~1e-6 at most) marks the run unstable.
RISE_TOL = 1e-3
#: Default convergence criterion: the gradient norm of the mean loss at the final parameters.
GRAD_TOL = 1e-4


def logit_bound(params: object, xmin: object, xmax: object) -> np.ndarray:
    """The largest |logit| the parameters give over the box xmin_j <= x_j <= xmax_j around
    the data, per row of params (xmin, xmax: one row for all rows, or one per row). Exact
    for one feature; an O(d) check, cheap every epoch."""
    import numpy as np

    params = np.asarray(params, dtype=float)
    w0, w = params[..., 0], params[..., 1:]
    ends = w * np.asarray(xmin, dtype=float), w * np.asarray(xmax, dtype=float)
    high = w0 + np.maximum(*ends).sum(axis=-1)
    low = w0 + np.minimum(*ends).sum(axis=-1)
    return np.maximum(np.abs(high), np.abs(low))


def largest_logit(params: object, xmin: object, xmax: object, x: object) -> np.ndarray:
    """The largest |logit| the parameters give on the data x (n x d), per row of params: the
    box bound (logit_bound) where it is within LOGIT_LIMIT, which costs O(d); the exact
    max_i |w0 + x_i.w| where the box is too coarse to tell (with many features the box's
    corners lie far from every row), which costs one pass over x."""
    import numpy as np

    params = np.asarray(params, dtype=float)
    rows = params.reshape(-1, params.shape[-1])
    with np.errstate(invalid="ignore", over="ignore"):
        bound = np.array(logit_bound(rows, xmin, xmax), dtype=float)
        coarse = np.isfinite(bound) & (bound > LOGIT_LIMIT)
        if np.any(coarse):
            w = rows[coarse]
            logits = w[:, :1] + w[:, 1:] @ np.asarray(x, dtype=float).reshape(-1, w.shape[1] - 1).T
            bound[coarse] = np.abs(logits).max(axis=1)
    return bound.reshape(params.shape[:-1])


def diverged(params: object, xmin: object, xmax: object, x: object) -> np.ndarray:
    """The divergence rule, one for every engine, per row of params: the parameters are not
    finite, or give a logit beyond LOGIT_LIMIT on a row of the data x (inside the box
    xmin..xmax that holds it)."""
    import numpy as np

    bound = largest_logit(params, xmin, xmax, x)
    return ~np.isfinite(bound) | (bound > LOGIT_LIMIT)


def unstable(loss: object) -> bool:
    """The instability rule: the recorded loss rose somewhere by more than RISE_TOL of itself
    (learning rate too large for the curvature: the descent overshoots and oscillates)."""
    import numpy as np

    loss = np.asarray(loss, dtype=float)
    with np.errstate(invalid="ignore"):
        return bool(np.any(np.diff(loss) > RISE_TOL * np.abs(loss[:-1])))


def default_names(d: int) -> tuple[str, ...]:
    """The names of d unnamed features: x1, ..., xd."""
    return tuple(f"x{j + 1}" for j in range(d))


@dataclass(frozen=True)
class History:
    """What happened each recorded epoch: loss[k] and the gradient norm grad_norm[k] at
    params[k], the parameters before step k (computed in the step, in float32).

    With mini-batches loss and grad_norm are still the full data's, at the parameters each
    epoch starts from.

    Parameters
    ----------
    loss : numpy.ndarray
        The loss at each recorded epoch's start.
    params : numpy.ndarray
        The parameters there, one more row than loss: its last row holds the final
        parameters. Columns: intercept first, then one per feature.
    grad_norm : numpy.ndarray
        The gradient norm of the mean loss there.
    step_loss : numpy.ndarray, optional
        The mini-batch loss of every step (the noisy curve a DataLoader loop prints), when
        it was asked for.
    """

    loss: np.ndarray
    params: np.ndarray
    grad_norm: np.ndarray
    step_loss: np.ndarray | None = None

    def __repr__(self) -> str:
        """One line, not the arrays: how many epochs, and the loss at the first and last."""
        if len(self.loss) == 0:
            return "History(0 epochs recorded)"
        return (f"History({len(self.loss):,} epochs recorded, loss {float(self.loss[0]):.4g} "
                f"-> {float(self.loss[-1]):.4g})")  # fmt: skip

    def _repr_html_(self) -> str:
        from .display import html

        return html("history.html", history=self)


@dataclass(frozen=True)
class Convergence:
    """Did the descent finish? Converged when the gradient norm of the mean loss at the final
    parameters is at most tol and the loss never rose (see unstable)."""

    grad_norm: float
    tol: float
    stable: bool
    stopped_early: bool = False

    @property
    def converged(self) -> bool:
        return self.stable and self.grad_norm <= self.tol

    @property
    def verdict(self) -> str:
        """'converged', 'unstable' or 'not converged', for tables and reports."""
        if not self.stable:
            return "unstable"
        return "converged" if self.converged else "not converged"


@dataclass(frozen=True)
class FitResult:
    """A finished gradient-descent fit: intercept, d coefficients with their feature names,
    the loss there, the epochs run, the history and the convergence verdict.

    Parameters
    ----------
    loss_name : str
        The loss minimized, 'bce' or 'mse'.
    intercept : float
        The fitted intercept w0.
    coef : numpy.ndarray
        The d fitted coefficients, one per feature.
    names : tuple of str
        The features' names.
    final_loss : float
        The loss at the final parameters.
    epochs : int
        The epochs run.
    history : History
        The recorded loss, parameters and gradient norms.
    convergence : Convergence
        The verdict: the final gradient norm against tol, and whether the loss never rose.
    engine : str, default 'eager'
        Who computed it, 'eager' or 'fused'.
    separation : str, optional
        How the classes are separated, when they are (then no MLE exists to converge to).
    """

    loss_name: str
    intercept: float
    coef: np.ndarray
    names: tuple[str, ...]
    final_loss: float
    epochs: int
    history: History
    convergence: Convergence
    engine: str = "eager"
    separation: str | None = None

    @classmethod
    def from_params(
        cls, params: np.ndarray, names: Sequence[str] | None = None, **fields: object
    ) -> FitResult:
        """Build from a parameter vector [intercept, coef_1, ..., coef_d].

        Parameters
        ----------
        params : numpy.ndarray
            [intercept, coef_1, ..., coef_d].
        names : sequence of str, optional
            The features' names, checked by the caller; default x1, ..., xd.
        **fields
            The other fields: loss_name, final_loss, epochs, history, convergence, ...

        Returns
        -------
        FitResult
            The result.
        """
        import numpy as np

        params = np.asarray(params, dtype=float)
        coef = params[1:].copy()
        return cls(
            intercept=float(params[0]),
            coef=coef,
            names=default_names(len(coef)) if names is None else tuple(names),
            **fields,  # type: ignore[arg-type]
        )

    @classmethod
    def from_descent(
        cls,
        history: History,
        names: Sequence[str] | None,
        *,
        loss_name: str,
        final_loss: float,
        grad_norm: float,
        epochs: int,
        planned: int,
        tol: float | None,
        engine: str,
    ) -> FitResult:
        """The one place a descent becomes a FitResult, whichever engine ran it.

        Parameters
        ----------
        history : History
            The descent's record; it ended at history's last parameters.
        names : sequence of str or None
            The features' names; None: x1, ..., xd.
        loss_name : str
            The loss minimized.
        final_loss : float
            The loss at the final parameters.
        grad_norm : float
            The gradient norm there.
        epochs : int
            The epochs run.
        planned : int
            The epochs asked for (more than epochs when it stopped early).
        tol : float or None
            What the verdict judges grad_norm against; None: GRAD_TOL. Its recorded loss is
            judged by the instability rule.
        engine : str
            Who computed it.

        Returns
        -------
        FitResult
            The fit and its verdict (Convergence).
        """
        import numpy as np

        convergence = Convergence(
            grad_norm=float(grad_norm),
            tol=GRAD_TOL if tol is None else tol,
            stable=not unstable(np.append(history.loss, final_loss)),
            stopped_early=bool(epochs < planned),
        )
        return cls.from_params(
            history.params[-1],
            names,
            loss_name=loss_name,
            final_loss=float(final_loss),
            epochs=int(epochs),
            history=history,
            convergence=convergence,
            engine=engine,
        )

    def __repr__(self) -> str:
        """One line, not the arrays: FitResult(loss='bce', epochs=10000, params=[-0.98, 4.91],
        final loss 0.2712, converged)."""
        from .display import numbers

        return (f"FitResult(loss={self.loss_name!r}, epochs={self.epochs}, "
                f"params={numbers(self.params)}, final loss {self.final_loss:.4g}, "
                f"{self.convergence.verdict})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the verdict, the final loss and the estimates by name."""
        from .display import html

        return html("fit.html", fit=self)

    @property
    def params(self) -> np.ndarray:
        """[intercept, coef_1, ..., coef_d]: the layout of History.params."""
        import numpy as np

        return np.concatenate(([self.intercept], self.coef))

    @property
    def converged(self) -> bool:
        """Whether the descent converged (Convergence.converged)."""
        return self.convergence.converged

    @property
    def n_features(self) -> int:
        """The number of features, d."""
        return len(self.coef)

    def coefficients(self) -> dict[str, float]:
        """Name -> value, intercept first.

        Returns
        -------
        dict of str to float
            The intercept (as "Intercept") and each coefficient by its feature's name.
        """
        return {
            INTERCEPT: self.intercept,
            **dict(zip(self.names, map(float, self.coef), strict=True)),
        }

    @property
    def w0(self) -> float:
        """The intercept, as the lecture calls it."""
        return self.intercept

    @property
    def w1(self) -> float:
        """The slope of a one-feature fit, as the lecture calls it."""
        if self.n_features != 1:
            raise AttributeError(f"w1 is the slope of a one-feature fit; this one has "
                                 f"{self.n_features} features: use coef")  # fmt: skip
        return float(self.coef[0])
