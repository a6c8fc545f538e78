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
    rows of `frame` (the fit's rows, complete in spec.columns) at `params` (intercept first
    when the model has one) with covariance `cov`; the means are weighted by `counts`, the
    rows' frequency weights or trials, when given (the expanded rows' means)."""
    frame = frame[list(spec.columns)].reset_index(drop=True)
    levels = {column: variable_levels(spec, frame, column) for column in spec.columns}
    held = {
        column: (
            float(np.average(frame[column].to_numpy(dtype=float), weights=counts))
            if found is None
            else found[0]
        )
        for column, found in levels.items()
    }
    curves = []
    for column in spec.columns[:MAX_EFFECTS]:
        found = levels[column]
        if found is None:
            low, high = np.quantile(frame[column].to_numpy(dtype=float), QUANTILES)
            values: tuple[Any, ...] = tuple(np.linspace(low, high, GRID_POINTS).tolist())
        else:
            values = (found[0], *found[1])
        rows = grid_rows(spec, held, column, values)
        X = spec.design(rows)
        X = np.column_stack((np.ones(len(X)), X)) if spec.intercept else X
        others = {name: value for name, value in held.items() if name != column}
        curves.append(EffectCurve(column, found is not None, values,
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


__all__ = ["GRID_POINTS", "MAX_EFFECTS", "QUANTILES", "EffectCurve", "effect_curves", "grid_rows"]
