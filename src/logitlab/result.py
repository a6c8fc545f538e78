"""What a fit returns — FitResult and History — and the one divergence rule.

This module imports nothing else of the package, so every layer (engines, studies, records,
reports, the web page) can depend on it without pulling anything else in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The intercept's name in every table and record (the formula libraries' name for it).
INTERCEPT = "Intercept"

#: A loss that grows past this multiple of its starting value has diverged, even if finite:
#: BCE from logits stays finite however large the step (lr=1e6 ends near 5e3, not inf).
DIVERGENCE_FACTOR = 1e3


def diverged(loss: object, start: object) -> np.ndarray:
    """The divergence rule, elementwise: a loss is diverged when it is not finite or is above
    DIVERGENCE_FACTOR times the loss where training started."""
    loss, start = np.asarray(loss, dtype=float), np.asarray(start, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(loss) | (loss > DIVERGENCE_FACTOR * np.maximum(start, 1e-12))


def default_names(d: int) -> tuple[str, ...]:
    """The names of d unnamed features: x1, ..., xd."""
    return tuple(f"x{j + 1}" for j in range(d))


@dataclass(frozen=True)
class History:
    """What happened each recorded epoch: loss[k] at params[k], the parameters before step k.

    params has one more row than loss: its last row holds the final parameters.
    Columns of params: intercept first, then one per feature.
    """

    loss: np.ndarray
    params: np.ndarray


@dataclass(frozen=True)
class FitResult:
    """A finished gradient-descent fit: intercept, d coefficients with their feature names,
    the loss there, and the history."""

    loss_name: str
    intercept: float
    coef: np.ndarray
    names: tuple[str, ...]
    final_loss: float
    epochs: int
    history: History
    engine: str = "eager"

    @classmethod
    def from_params(
        cls, params: np.ndarray, names: Sequence[str] | None = None, **fields: object
    ) -> FitResult:
        """Build from a parameter vector [intercept, coef_1, ..., coef_d] (names checked by
        the caller; default x1, ..., xd)."""
        params = np.asarray(params, dtype=float)
        coef = params[1:].copy()
        return cls(
            intercept=float(params[0]),
            coef=coef,
            names=default_names(len(coef)) if names is None else tuple(names),
            **fields,  # type: ignore[arg-type]
        )

    @property
    def params(self) -> np.ndarray:
        """[intercept, coef_1, ..., coef_d]: the layout of History.params."""
        return np.concatenate(([self.intercept], self.coef))

    @property
    def n_features(self) -> int:
        return len(self.coef)

    def coefficients(self) -> dict[str, float]:
        """Name -> value, intercept first."""
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
