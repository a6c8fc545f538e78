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
#: Rows per block: the sums over rows are taken a block at a time, so the designs of changed
#: rows hold BLOCK_ROWS rows at a time, whatever the table's size.
BLOCK_ROWS = 65_536


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

    def __repr__(self) -> str:
        """One line, not the arrays: the effects' names and estimates, and the rows."""
        from ..display import names, numbers

        e = self.effects
        return (f"Margins({len(self.variables)} effects over {self.rows:,} rows: "
                f"{names(e.names, 3)}, dy/dx={numbers(e.estimate, 4)})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the average marginal effects' table."""
        from ..display import html

        return html("margins.html", margins=self)

    def of(self, variable: str) -> list[dict[str, Any]]:
        """The rows of one variable (records())."""
        return [r for r in self.records() if r["variable"] == variable]


def average_margins(
    spec: ModelSpec,
    frame: pandas.DataFrame,
    params: np.ndarray,
    cov: np.ndarray,
    *,
    design: np.ndarray | None = None,
    alpha: float = 0.05,
) -> Margins:
    """The average marginal effect of every variable the model reads, over the rows of
    `frame` (the fit's training rows, complete in spec.columns), at `params` (intercept
    first when the model has one) with covariance `cov`; `design`, if given, is those rows'
    design (spec.design of them, kept from the fit). See the module's docstring."""
    frame = frame[list(spec.columns)].reset_index(drop=True)
    params = np.asarray(params, dtype=float)
    reads = _terms_reading(spec)
    plan, variables, contrasts = [], [], []
    for column in spec.columns:
        levels = _discrete_levels(spec, frame, column, reads[column])
        unit = None if levels is not None else _unit_column(spec, column, reads[column])
        scale = None
        if levels is None and unit is None:
            scale = float(np.mean(np.abs(frame[column].to_numpy(dtype=float)))) or 1.0
        plan.append((column, levels, unit, scale))
        others = [""] if levels is None else [f"{v} vs {levels[0]}" for v in levels[1]]
        variables += [column] * len(others)
        contrasts += others
    n = len(frame)
    sums, J = np.zeros(len(variables)), np.zeros((len(variables), len(params)))
    for start in range(0, n, BLOCK_ROWS):
        block = frame.iloc[start : start + BLOCK_ROWS]
        X = (
            _design(spec, block)
            if design is None
            else _ones(spec, design[start : start + BLOCK_ROWS])
        )
        _add_block(spec, block, X, params, plan, sums, J)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J / n, cov, J / n), 0.0))
    names = tuple(f"{v} ({c})" if c else v for v, c in zip(variables, contrasts, strict=True))
    effects = wald(names, sums / n, se, "dy/dx", alpha)
    return Margins(tuple(variables), tuple(contrasts), effects, n)


def _add_block(spec: ModelSpec, block: pandas.DataFrame, X: np.ndarray, params: np.ndarray,
               plan: list, sums: np.ndarray, J: np.ndarray) -> None:  # fmt: skip
    """Add one block of rows' sums to each effect (sums) and to its Jacobian (J)."""
    p = sigmoid(X @ params)
    w = p * (1.0 - p)
    curvature = (w * (1.0 - 2.0 * p)) @ X  # d sum(w) / d params
    i = 0
    for column, levels, unit, scale in plan:
        if levels is None:
            if unit is not None:  # dX/dx is the unit vector: statsmodels' dydx
                sums[i] += params[unit] * w.sum()
                J[i] += params[unit] * curvature
                J[i, unit] += w.sum()
            else:
                D = _derivative(spec, block, column, scale, X)
                slope = D @ params  # dlogit/dx per row
                sums[i] += w @ slope
                J[i] += w @ D + (w * (1.0 - 2.0 * p) * slope) @ X
            i += 1
            continue
        reference, others = levels
        X0 = _design(spec, _set(block, column, reference))
        p0 = sigmoid(X0 @ params)
        g0 = (p0 * (1.0 - p0)) @ X0
        for level in others:
            X1 = _design(spec, _set(block, column, level))
            p1 = sigmoid(X1 @ params)
            sums[i] += np.sum(p1 - p0)
            J[i] += (p1 * (1.0 - p1)) @ X1 - g0
            i += 1


def _design(spec: ModelSpec, frame: pandas.DataFrame) -> np.ndarray:
    """The model's columns for these rows, the intercept's first when it has one."""
    return _ones(spec, spec.design(frame))


def _ones(spec: ModelSpec, X: np.ndarray) -> np.ndarray:
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


def variable_levels(
    spec: ModelSpec, frame: pandas.DataFrame, column: str
) -> tuple[Any, list[Any]] | None:
    """(reference, other levels) of a table column the model reads as categorical or that
    holds true/false, as the margins contrast them; None for a numeric column."""
    return _discrete_levels(spec, frame, column, _terms_reading(spec)[column])


def design_variables(spec: ModelSpec) -> dict[str, tuple[str, ...]]:
    """Per design column (spec.names), the table columns it reads: 'I(Age ** 2)' reads
    Age, 'Sex[T.male]:C(Pclass)[T.2]' Sex and Pclass."""
    found: dict[str, tuple[str, ...]] = {}
    for term, columns in _term_columns(spec):
        reads = {name for factor in term.factors for name in factor_names(factor)}
        for j in columns:
            found[spec.names[j]] = tuple(c for c in spec.columns if c in reads)
    return found


def term_columns(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    """Per term of the right-hand side as formulaic writes it ('C(Pclass)', 'Sex:C(Pclass)';
    not the intercept), the positions of its columns in spec.names."""
    return {str(term): columns for term, columns in _term_columns(spec)}


def droppable_terms(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    """term_columns of the terms R's drop1 drops (drop.scope): those whose factors are not
    all in a higher-order term present ('a' and 'b' are kept by 'a:b', 'a:b' is not)."""
    pairs = _term_columns(spec)
    factors = [{f.expr for f in term.factors} for term, _ in pairs]
    return {str(term): columns for (term, columns), mine in zip(pairs, factors, strict=True)
            if not any(mine < other for other in factors)}  # fmt: skip


def _term_columns(spec: ModelSpec) -> list[tuple[Any, tuple[int, ...]]]:
    """formulaic's terms with design columns, in formula order, each with the positions of
    its columns in spec.names: a term's columns are named by its factors in order, joined by
    ':', a categorical factor's followed by its level in [...]."""
    import re

    from formulaic import Formula

    taken: set[int] = set()
    found = {}
    terms = list(Formula(spec.rhs))
    for term in sorted(terms, key=lambda t: -len(t.factors)):  # a:b before a
        pattern = ":".join(
            re.escape(factor.expr)
            + (r"\[.*\]" if "levels" in spec.factors.get(factor.expr, {}) else "")
            for factor in term.factors
        )
        columns = tuple(j for j, name in enumerate(spec.names)
                        if j not in taken and re.fullmatch(pattern, name))  # fmt: skip
        taken.update(columns)
        found[id(term)] = columns
    return [(term, found[id(term)]) for term in terms if found[id(term)]]


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


def _unit_column(spec: ModelSpec, column: str, terms: list[Any]) -> int | None:
    """The position in [intercept, design] of a column that enters only as itself (one
    term, the column's own name), where dX/dx is a unit vector; None otherwise."""
    names = ((INTERCEPT,) if spec.intercept else ()) + spec.names
    if len(terms) == 1 and str(terms[0]) == column and column in names:
        return names.index(column)
    return None


def _derivative(
    spec: ModelSpec, block: pandas.DataFrame, column: str, scale: float, X: np.ndarray
) -> np.ndarray:
    """dX/dx per row by a central difference of the rebuilt design, a step of STEP x |x|
    (x != 0) or STEP x scale; a forward one where the step back leaves the transform's
    domain (sqrt at 0)."""
    x = block[column].to_numpy(dtype=float)
    up = x + STEP * np.where(x != 0, np.abs(x), scale)
    high = _design(spec, _set(block, column, up))
    down = x - (up - x)
    try:
        low = _design(spec, _set(block, column, down))
    except DataError:
        low, down = X, x
    return (high - low) / (up - down)[:, None]


__all__ = [
    "BLOCK_ROWS",
    "STEP",
    "Margins",
    "average_margins",
    "design_variables",
    "terms_reading",
    "variable_levels",
]
