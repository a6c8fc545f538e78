"""Average marginal effects per variable, not per design column: `I(Age**2)` and
`Sex:C(Pclass)` are columns of the design, Age and Sex are the variables a reader asks about.

For a numeric variable the effect is the average over the rows of dP/dx, differentiating
through every term that reads it (Stata's `margins, dydx()`, Python's marginaleffects); for
a categorical (or true/false) variable, the average discrete change in P from its reference
level to each other level, every row set to the one and then the other. The design of a
changed row comes from the fit's own ModelSpec (data.design), so any formula the fit took is
differentiated as it was coded. Delta-method standard errors from the Jacobian in the
parameters, which is exact here: only the design's derivative in x is numerical (a central
difference, needed only for variables inside a transform or an interaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.design import ModelSpec
from ..data.formula import factor_names
from ..errors import DataError
from ..model import sigmoid
from ..result import INTERCEPT
from .inference import Effects, wald

if TYPE_CHECKING:
    import pandas

#: The central difference's relative step: eps^(1/3) balances truncation (h^2) and rounding
#: (eps / h), leaving ~1e-10 of relative error in dP/dx.
STEP = float(np.finfo(float).eps ** (1.0 / 3.0))


@dataclass(frozen=True)
class Margins:
    """One row per numeric variable (dP/dx) and per non-reference level of a categorical one
    (the discrete change from the reference level), in the table's column order. `effects`
    holds estimates with delta-method SE, z, p and intervals; `variables` each row's column,
    `contrasts` "" for a numeric variable or "level vs reference"; `rows` the rows averaged."""

    variables: tuple[str, ...]
    contrasts: tuple[str, ...]
    effects: Effects
    rows: int

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per row: variable, kind, contrast and the statistics."""
        stats = self.effects.rows().values()
        return [
            {
                "variable": variable,
                "kind": "discrete change" if contrast else "dP/dx",
                "contrast": contrast or None,
                **row,
            }
            for variable, contrast, row in zip(self.variables, self.contrasts, stats, strict=True)
        ]

    def of(self, variable: str) -> list[dict[str, Any]]:
        """The rows of one variable (records())."""
        return [r for r in self.records() if r["variable"] == variable]


def average_margins(
    spec: ModelSpec,
    frame: pandas.DataFrame,
    params: np.ndarray,
    cov: np.ndarray,
    alpha: float = 0.05,
) -> Margins:
    """The average marginal effect of every variable the model reads, over the rows of
    `frame` (the fit's training rows, complete in spec.columns), at `params` (intercept
    first when the model has one) with covariance `cov`. See the module's docstring."""
    frame = frame[list(spec.columns)].reset_index(drop=True)
    params = np.asarray(params, dtype=float)
    X = _design(spec, frame)
    p = sigmoid(X @ params)
    w = p * (1.0 - p)
    n = len(frame)
    variables, contrasts, estimates, jacobians = [], [], [], []
    reads = _terms_reading(spec)
    for column in spec.columns:
        levels = _discrete_levels(spec, frame, column, reads[column])
        if levels is None:
            D = _derivative(spec, frame, column, reads[column], X)
            slope = D @ params  # dlogit/dx per row
            estimates.append(float(np.mean(w * slope)))
            jacobians.append((w @ D + (w * (1.0 - 2.0 * p) * slope) @ X) / n)
            variables.append(column)
            contrasts.append("")
            continue
        reference, others = levels
        X0 = _design(spec, _set(frame, column, reference))
        p0 = sigmoid(X0 @ params)
        w0 = (p0 * (1.0 - p0)) @ X0
        for level in others:
            X1 = _design(spec, _set(frame, column, level))
            p1 = sigmoid(X1 @ params)
            estimates.append(float(np.mean(p1 - p0)))
            jacobians.append(((p1 * (1.0 - p1)) @ X1 - w0) / n)
            variables.append(column)
            contrasts.append(f"{level} vs {reference}")
    J = np.array(jacobians).reshape(len(estimates), len(params))
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, cov, J), 0.0))
    names = tuple(f"{v} ({c})" if c else v for v, c in zip(variables, contrasts, strict=True))
    effects = wald(names, np.array(estimates), se, "dy/dx", alpha)
    return Margins(tuple(variables), tuple(contrasts), effects, n)


def _design(spec: ModelSpec, frame: pandas.DataFrame) -> np.ndarray:
    """The model's columns for these rows, the intercept's first when it has one."""
    X = spec.design(frame)
    return np.column_stack((np.ones(len(X)), X)) if spec.intercept else X


def _set(frame: pandas.DataFrame, column: str, values: object) -> pandas.DataFrame:
    changed = frame.copy()
    changed[column] = values
    return changed


def _terms_reading(spec: ModelSpec) -> dict[str, list[Any]]:
    """Per table column, formulaic's terms (of the right-hand side) that read it."""
    from formulaic import Formula

    found: dict[str, list[Any]] = {column: [] for column in spec.columns}
    for term in Formula(spec.rhs):
        for column in {name for factor in term.factors for name in factor_names(factor)}:
            if column in found:
                found[column].append(term)
    return found


def terms_reading(spec: ModelSpec, column: str) -> list[str]:
    """The design's terms that read a table column, as formulaic writes them ('Age',
    'I(Age ** 2)', 'Sex:C(Pclass)')."""
    return [str(term) for term in _terms_reading(spec)[column]]


def _discrete_levels(
    spec: ModelSpec, frame: pandas.DataFrame, column: str, terms: list[Any]
) -> tuple[Any, list[Any]] | None:
    """(reference, other levels) of a column read as categorical (by some factor of its
    terms) or holding true/false; None for a numeric column."""
    for term in terms:
        for factor in term.factors:
            state = spec.factors.get(factor.expr, {})
            if "levels" in state and column in factor_names(factor):
                levels = list(state["levels"])
                reference = spec.references.get(factor.expr, levels[0])
                return reference, [v for v in levels if v != reference]
    if frame[column].dtype == bool:
        return False, [True]
    return None


def _derivative(
    spec: ModelSpec, frame: pandas.DataFrame, column: str, terms: list[Any], X: np.ndarray
) -> np.ndarray:
    """dX/dx per row (n x columns of X): exact for a column that enters only as itself (a
    unit vector), else a central difference of the rebuilt design (a forward one where the
    step back leaves the transform's domain, e.g. sqrt at 0)."""
    names = ((INTERCEPT,) if spec.intercept else ()) + spec.names
    if len(terms) == 1 and str(terms[0]) == column and column in names:
        D = np.zeros_like(X)
        D[:, names.index(column)] = 1.0
        return D
    x = frame[column].to_numpy(dtype=float)
    scale = float(np.mean(np.abs(x))) or 1.0
    up = x + STEP * np.where(x != 0, np.abs(x), scale)
    high = _design(spec, _set(frame, column, up))
    down = x - (up - x)
    try:
        low = _design(spec, _set(frame, column, down))
    except DataError:
        low, down = X, x
    return (high - low) / (up - down)[:, None]


__all__ = ["STEP", "Margins", "average_margins", "terms_reading"]
