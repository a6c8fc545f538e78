"""The formula adapter: a model written as a formula ("grade ~ gpa + tuce + C(psi)"), or as a
target and features, read by formulaic into its terms, the table columns they read and the
model matrix they make.

formulaic gives C(), interactions, I() and transforms such as np.log(x) the meaning they have
in R, statsmodels and formulaic, and the columns formulaic's names ("C(psi)[T.1]"). Target +
features become such a formula, odd column names in backticks. Text columns are one-hot
coded against their first level (treatment coding).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import ModelOptions, check_features, listed, shown
from ..errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas


def quote(name: str) -> str:
    """A column name as a formula term: plain when it is a Python name, else in backticks."""
    import keyword

    if name.isidentifier() and not keyword.iskeyword(name):
        return name
    if "`" in name:
        raise DataError(f"column {name!r} has a backtick in its name, which a formula cannot quote")
    return f"`{name}`"


def formula_text(
    frame: pandas.DataFrame,
    formula: str | None,
    target: str | None,
    features: Sequence[str] | None,
) -> str:
    """The formula to use: the one given, or target ~ features written out (default: every
    other column). The options are checked as config.ModelOptions checks them, then against
    the table's columns."""
    model = ModelOptions(formula=formula, target=target, features=features)
    if model.formula is not None:
        return model.formula.strip()
    target = model.target
    if target is None:
        raise ConfigError("give a formula ('y ~ a + b') or the target column")
    require_columns(frame, (target,))
    features = model.features
    if features is None:
        features = check_features([c for c in frame.columns if c != target], target)
    require_columns(frame, features)
    return f"{quote(target)} ~ " + " + ".join(quote(f) for f in features)


def model_columns(
    columns: Sequence[str],
    *,
    formula: str | None = None,
    target: str | None = None,
    features: Sequence[str] | None = None,
) -> tuple[str, ...]:
    """The columns a model reads from a table with these `columns`: its target, then the
    others in table order; ConfigError and DataError as build_design for a formula, target
    or features that do not fit them. So a caller reads only these from a file."""
    import pandas

    empty = pandas.DataFrame(columns=list(columns))
    formula = formula_text(empty, formula, target, features)
    target, rhs = parse_formula(formula, empty)
    return (target, *used_columns(rhs, empty, target))


def parse_formula(formula: str, frame: pandas.DataFrame) -> tuple[str, Any]:
    """(target column, formulaic right-hand side) of 'target ~ terms'; ConfigError with
    formulaic's reason when it does not parse."""
    from formulaic import Formula
    from formulaic.formula import SimpleFormula

    try:
        parsed = Formula(formula)
    except Exception as exc:  # formulaic's parser errors
        raise ConfigError(f"formula {shown(formula)} does not parse: {first_line(exc)}") from None
    lhs, rhs = getattr(parsed, "lhs", None), getattr(parsed, "rhs", None)
    if not isinstance(lhs, SimpleFormula) or not isinstance(rhs, SimpleFormula):
        raise ConfigError(f"formula must read 'target ~ terms', got {shown(formula)}")
    factors = [factor for term in lhs for factor in term.factors]
    if len(factors) != 1 or factors[0].eval_method.value != "lookup":
        raise ConfigError(
            f"the left of the formula must be one column, the target, got {shown(str(lhs))}"
        )
    target = factors[0].expr
    require_columns(frame, (target,))
    if any(target in factor_names(factor) for term in rhs for factor in term.factors):
        raise ConfigError(f"the target {target!r} cannot also be on the right of the formula")
    return target, rhs


def rhs_text(rhs: Any, intercept: bool) -> str:
    """formulaic's right-hand side written so that it parses back to the same terms: column
    names quoted, Python factors in braces (str() of a formula quotes neither)."""

    def factor(f: Any) -> str:
        method = f.eval_method.value
        return (
            quote(f.expr)
            if method == "lookup"
            else f"{{{f.expr}}}"
            if method == "python"
            else f.expr
        )

    terms = [":".join(factor(f) for f in term.factors) for term in rhs]
    return " + ".join(terms) + ("" if intercept else " - 1")


def used_columns(rhs: Any, frame: pandas.DataFrame, target: str) -> tuple[str, ...]:
    """The table columns the right-hand side reads, in table order; DataError for a name
    that is neither a column nor one of formulaic's (C, I, np, center, ...)."""
    from formulaic.transforms import TRANSFORMS

    needed = {name for term in rhs for factor in term.factors for name in factor_names(factor)}
    unknown = sorted(needed - set(frame.columns) - set(TRANSFORMS))
    if unknown:
        require_columns(frame, unknown)
    return tuple(c for c in frame.columns if c in needed and c != target)


def factor_names(factor: Any) -> set[str]:
    """The names a factor reads as values, whole (`x.1` reads the column 'x.1', not 'x').
    A column factor reads itself. formulaic's required_variables misses the arguments of
    stateful transforms (center(b) reads b) and cuts a quoted dotted name at its dot, so a
    Python factor is read here: every name in the expression not called as a function (np
    in np.log is one: used_columns sets formulaic's names aside)."""
    import ast

    from formulaic.utils.code import sanitize_variable_names

    method = factor.eval_method.value
    if method == "lookup":
        return {factor.expr}
    if method != "python":
        return {str(v) for v in factor.required_variables if "value" in v.roles}
    aliases: dict[str, str] = {}
    try:
        tree = ast.parse(sanitize_variable_names(factor.expr, {}, aliases), mode="eval")
    except SyntaxError:  # formulaic's evaluation will say what is wrong
        return {str(v) for v in factor.required_variables if "value" in v.roles}
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {
        aliases.get(node.id, node.id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and id(node) not in called
    }


def categorical_columns(rhs: Any) -> set[str]:
    """The columns named inside C(): categorical whatever their type."""
    return {
        name
        for term in rhs
        for factor in term.factors
        if factor.expr.startswith("C(")
        for name in factor_names(factor)
    }


def require_columns(frame: pandas.DataFrame, names: Sequence[str]) -> None:
    """DataError naming every name that is not a column, with the columns (config.listed:
    all of them, or the first ten and how many more)."""
    missing = [name for name in dict.fromkeys(names) if name not in frame.columns]
    if missing:
        raise DataError(f"no column{'s' * (len(missing) > 1)} {listed(missing)} in the table; "
                        f"its columns are {listed([str(c) for c in frame.columns])}")  # fmt: skip


def design_width(rhs: Any, levels: Mapping[str, int]) -> int:
    """About the columns the right-hand side codes, the intercept's included, from the
    `levels` of each categorical column (before coding them, which this bounds): per term
    the product of its factors' widths, a factor as wide as the most levels it reads."""

    def width(factor: Any) -> int:
        return max((levels.get(name, 1) for name in factor_names(factor)), default=1)

    return sum(math.prod(width(factor) for factor in term.factors) for term in rhs)


def materialize(rhs: Any, frame: pandas.DataFrame) -> Any:
    """formulaic's model matrix of the right-hand side (float64, every row kept)."""
    try:
        with np.errstate(all="ignore"):  # np.log(0) and such: refused, named, after
            return rhs.get_model_matrix(frame, na_action="ignore", output="numpy")
    except Exception as exc:  # formulaic's evaluation and encoding errors
        raise DataError(f"cannot build the formula's columns: {first_line(exc)}") from None


def mismatch_warning() -> type[Warning]:
    from formulaic.errors import DataMismatchWarning

    return DataMismatchWarning


def first_line(exc: BaseException) -> str:
    """An exception's message on one line, without formulaic's terminal colours."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m|[⧛⧚]", "", str(exc)).strip().splitlines()
    line = text[0].strip() if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."
