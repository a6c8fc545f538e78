"""Effect curves: the predicted probability over one variable, the model's other variables
held at their means (numeric) or reference levels (categorical, true/false), with the
delta method's confidence band (stats.inference.predicted_interval), the pictures R's
`effects` and Python's marginaleffects (plot_predictions) draw.

The design of each grid row is built by the fit's own ModelSpec (data.design), so any
formula the fit took (interactions, I(x**2), np.log(x)) is evaluated as it was coded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.design import ModelSpec
from .inference import Predicted, predicted_interval
from .margins import variable_levels

if TYPE_CHECKING:
    import pandas

#: Curves drawn at most: the first variables of the formula, one panel each.
MAX_EFFECTS = 6
#: Points of a numeric variable's curve, evenly spaced between these quantiles of its
#: observed values (the tails' few rows would stretch the axis over little data).
GRID_POINTS = 100
QUANTILES = (0.01, 0.99)


@dataclass(frozen=True)
class EffectCurve:
    """The probability over one variable: its values (a grid, or the levels, reference
    first), each with the predicted probability and band; `held` the other variables'
    values in every row (mean or reference level)."""

    variable: str
    categorical: bool
    values: tuple[Any, ...]
    predicted: Predicted
    held: dict[str, Any]

    def __repr__(self) -> str:
        """One line, not the arrays: the variable's values, the probability over them and
        which variables are held."""
        from ..display import names, numbers

        p = self.predicted.p
        over = (f"levels {names(self.values)}: P={numbers(p)}" if self.categorical else
                f"{len(self.values)} values {self.values[0]:.4g} to {self.values[-1]:.4g}: P "
                f"{p[0]:.4g} to {p[-1]:.4g}")  # fmt: skip
        held = f"; held: {names(self.held, 3)}" if self.held else ""
        return (f"EffectCurve({self.variable!r}, {over}, {100 * self.predicted.level:g}% "
                f"band{held})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the probability and its band at each value, and what is held."""
        from ..display import html, number

        pr = self.predicted
        rows = [[v if self.categorical else number(v), number(p), f"[{number(a)}, {number(b)}]"]
                for v, p, a, b in zip(self.values, pr.p, pr.low, pr.high, strict=True)]  # fmt: skip
        # a mean held, or a level as it is
        held = [[name, number(value) if isinstance(value, float) else value]
                for name, value in self.held.items()]  # fmt: skip
        return html("effect.html", curve=self, rows=rows, held=held)


@dataclass(frozen=True)
class EffectGrid:
    """Where each variable's curve runs, `values`: GRID_POINTS between QUANTILES of its
    observed values, or its levels, the reference first (those in `categorical`); and
    `held`, each variable's value in the other curves' rows (mean or reference level)."""

    held: dict[str, Any]
    values: dict[str, tuple[Any, ...]]
    categorical: frozenset[str]

    def rows(self, spec: ModelSpec, column: str) -> pandas.DataFrame:
        """The table rows of `column`'s curve (grid_rows)."""
        return grid_rows(spec, self.held, column, self.values[column])


def effect_grid(
    spec: ModelSpec, frame: pandas.DataFrame, counts: np.ndarray | None = None
) -> EffectGrid:
    """The grid of every variable the model reads, over the rows of `frame` (the fit's rows,
    complete in spec.columns); the means are weighted by `counts`, the rows' frequency
    weights or trials, when given (the expanded rows' means)."""
    frame = frame[list(spec.columns)].reset_index(drop=True)
    levels = {column: variable_levels(spec, frame, column) for column in spec.columns}
    held, values = {}, {}
    for column, found in levels.items():
        if found is None:
            numbers = frame[column].to_numpy(dtype=float)
            held[column] = float(np.average(numbers, weights=counts))
            low, high = np.quantile(numbers, QUANTILES)
            values[column] = tuple(np.linspace(low, high, GRID_POINTS).tolist())
        else:
            held[column], values[column] = found[0], (found[0], *found[1])
    categorical = frozenset(column for column, found in levels.items() if found is not None)
    return EffectGrid(held, values, categorical)


def effect_curves(
    spec: ModelSpec,
    frame: pandas.DataFrame,
    params: np.ndarray,
    cov: np.ndarray,
    *,
    level: float = 0.95,
    counts: np.ndarray | None = None,
) -> list[EffectCurve]:
    """The effect curve of each of the first MAX_EFFECTS variables the model reads, over the
    rows of `frame` (the fit's rows, complete in spec.columns: effect_grid, with `counts`)
    at `params` (intercept first when the model has one) with covariance `cov`."""
    grid = effect_grid(spec, frame, counts)
    curves = []
    for column in spec.columns[:MAX_EFFECTS]:
        X = spec.design(grid.rows(spec, column))
        X = np.column_stack((np.ones(len(X)), X)) if spec.intercept else X
        others = {name: value for name, value in grid.held.items() if name != column}
        curves.append(EffectCurve(column, column in grid.categorical, grid.values[column],
                                  predicted_interval(X, params, cov, level), others))  # fmt: skip
    return curves


def grid_rows(
    spec: ModelSpec, held: dict[str, Any], column: str, values: tuple[Any, ...]
) -> pandas.DataFrame:
    """The table rows of a curve: every column at its held value, `column` at each of
    `values` (one row each)."""
    import pandas

    rows = pandas.DataFrame({name: [value] * len(values) for name, value in held.items()})
    rows[column] = list(values)
    return rows[list(spec.columns)]


__all__ = [
    "GRID_POINTS",
    "MAX_EFFECTS",
    "QUANTILES",
    "EffectCurve",
    "EffectGrid",
    "effect_curves",
    "effect_grid",
    "grid_rows",
]
