"""From a table to a design matrix with term names, and back again on new rows.

A formula ("grade ~ gpa + tuce + C(psi)") goes through formulaic, so C(), interactions,
I() and transforms such as np.log(x) mean what they mean in R, statsmodels and formulaic,
and the columns carry formulaic's names ("C(psi)[T.1]"). Target + features become such a
formula, odd column names in backticks. Text columns are one-hot coded against their first
level (treatment coding); the Design says so in plain notes.

The target's two values become y = 0/1: the success (`positive`) is chosen, or else the
larger of the two in sort order (1 over 0, True over False, "yes" over "no"). Rows with a
missing value in a used column are dropped and counted, or refused (missing="error").

Columns a fit cannot use are refused here, named by their terms: non-finite, constant,
duplicated, or a linear combination of the columns before them (collinear). The check is
one pass over the design: the Gram matrix of the standardised columns, factored column by
column (Cholesky), so a column whose variance the earlier ones explain is caught with them.

The ModelSpec keeps what rebuilds the same columns on new rows, JSON-safe: the right-hand
side, the levels of every categorical factor (formulaic's encoder state, of which the
categories are the source of truth) and the state of stateful transforms such as center().
A model file holds a spec as data (data.modelfile reads it through an allow-list).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import budget
from ..config import MAX_INT64, check_int, shown
from ..errors import ConfigError, DataError
from .tables import repeated

if TYPE_CHECKING:
    import pandas

#: How rows with a missing value in a used column are treated.
MISSING = ("drop", "error")
#: A categorical column with more levels than this is refused by default: each level is a
#: column of the design, and hundreds of them usually mean an identifier, not a factor.
DEFAULT_MAX_LEVELS = 50
#: A column is collinear when the columns before it (and the intercept) explain all but this
#: fraction of its variance: exact dependence leaves ~1e-15, real data far more.
COLLINEAR_TOL = 1e-10
#: Rows per block when the design is standardised and its Gram matrix accumulated.
CHUNK_ROWS = 1 << 16
INTERCEPT = "Intercept"
#: The kinds of factor a spec may give (formulaic's Factor.Kind values logitlab codes).
FACTOR_KINDS = ("numerical", "categorical")


@dataclass(frozen=True)
class ModelSpec:
    """What turns table rows into the design's columns, JSON-safe (to_dict/from_dict).

    formula: the model as written ("GRADE ~ GPA + C(PSI)"); rhs: formulaic's right-hand side,
    terms in column order; names: the design's columns (no intercept); factors: per factor
    expression its kind and, for categorical ones, its levels; transforms: the state of
    stateful transforms; columns: the table columns the right-hand side reads.
    """

    formula: str
    rhs: str
    names: tuple[str, ...]
    intercept: bool
    target: str
    positive: Any
    negative: Any
    factors: Mapping[str, Mapping[str, Any]]
    transforms: Mapping[str, Any]
    columns: tuple[str, ...]

    @property
    def levels(self) -> dict[str, list]:
        """The levels of each categorical factor, the first being the reference."""
        return {expr: list(f["levels"]) for expr, f in self.factors.items() if "levels" in f}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe record of the spec (from_dict reads it back)."""
        return {
            "formula": self.formula,
            "rhs": self.rhs,
            "names": list(self.names),
            "intercept": self.intercept,
            "target": self.target,
            "positive": self.positive,
            "negative": self.negative,
            "factors": {expr: dict(state) for expr, state in self.factors.items()},
            "transforms": dict(self.transforms),
            "columns": list(self.columns),
        }

    @classmethod
    def from_dict(cls, record: object) -> ModelSpec:
        """The spec of a to_dict() record; DataError naming the first field that is wrong.
        Its shape only: a model file's spec also passes data.modelfile's allow-list."""
        if not isinstance(record, Mapping):
            raise DataError(f"a model spec must be a JSON object, got {type(record).__name__}")
        want = {
            "formula": str, "rhs": str, "names": list, "intercept": bool, "target": str,
            "factors": dict, "transforms": dict, "columns": list,
        }  # fmt: skip
        for key, kind in want.items():
            if not isinstance(record.get(key), kind):
                raise DataError(f"model spec field {key!r} must be a {kind.__name__}")
        for key in ("names", "columns"):
            if not all(isinstance(item, str) for item in record[key]):
                raise DataError(f"model spec field {key!r} must list strings")
        for key in ("positive", "negative"):
            if not _is_scalar(record.get(key)):
                raise DataError(f"model spec field {key!r} must be a string, number or bool")
        factors = record["factors"]
        for expr, state in factors.items():
            _check_factor(expr, state)
        return cls(
            formula=record["formula"],
            rhs=record["rhs"],
            names=tuple(record["names"]),
            intercept=record["intercept"],
            target=record["target"],
            positive=record["positive"],
            negative=record["negative"],
            factors=factors,
            transforms=record["transforms"],
            columns=tuple(record["columns"]),
        )

    def design(self, frame: pandas.DataFrame) -> np.ndarray:
        """The design's columns (float64 n x k, no intercept) for new rows, coded as when
        the model was fitted; DataError for a missing column or value, or an unseen level."""
        return self.matrix(frame, missing="error")[0]

    def matrix(
        self, frame: pandas.DataFrame, *, missing: str = "error"
    ) -> tuple[np.ndarray, np.ndarray]:
        """design() that may drop rows with missing values: (X, positions of kept rows)."""
        frame = _check_frame(frame)
        missing = _check_missing(missing)
        _require_columns(frame, self.columns)
        kept, rows = _complete_rows(frame, self.columns, missing)
        for expr, state in self.factors.items():
            if "levels" in state:
                _check_levels(kept, expr, state["levels"], self.columns, rows)
        with warnings.catch_warnings():
            warnings.simplefilter("error", _mismatch_warning())
            try:
                with np.errstate(all="ignore"):
                    matrix = self._formulaic().get_model_matrix(kept)
            except _mismatch_warning() as warning:
                raise DataError(f"the table has {_first_line(warning)}") from None
            except Exception as exc:  # formulaic's evaluation and encoding errors
                raise DataError(f"cannot build the model's columns: {_first_line(exc)}") from None
        names = tuple(matrix.model_spec.column_names)
        expected = ((INTERCEPT,) if self.intercept else ()) + self.names
        if names != expected:
            raise DataError(
                f"the model's formula builds columns {shown(names)}, not its own {shown(expected)}"
            )
        x = np.asarray(matrix, dtype=np.float64)
        x = np.ascontiguousarray(x[:, 1:] if self.intercept else x)
        _check_finite(x, self.names, rows)
        return x, rows

    def _formulaic(self) -> Any:
        """formulaic's ModelSpec for these columns, its state rebuilt from the JSON record."""
        from formulaic import ModelSpec as FormulaicSpec
        from formulaic.parser.types import Factor

        encoder = {
            expr: (
                Factor.Kind(state["kind"]),
                {"categories": list(state["levels"])} if "levels" in state else {},
            )
            for expr, state in self.factors.items()
        }
        return FormulaicSpec(
            formula=self.rhs,
            na_action="ignore",
            output="numpy",
            encoder_state=encoder,
            transform_state={k: _from_json(v) for k, v in self.transforms.items()},
        )


@dataclass(frozen=True)
class Design:
    """A validated design: X (float64 n x k, no intercept column), y (float64 0/1), the
    formula's term names, whether the model has an intercept, the target's coding, the
    positions of the kept rows in the input frame, the count of dropped rows, plain notes
    on the coding, and the spec that rebuilds the columns on new rows."""

    X: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    intercept: bool
    target: str
    positive: Any
    negative: Any
    rows: np.ndarray
    dropped: int
    coding: tuple[str, ...]
    spec: ModelSpec

    @property
    def formula(self) -> str:
        return self.spec.formula


def build_design(
    frame: pandas.DataFrame,
    *,
    formula: str | None = None,
    target: str | None = None,
    features: Sequence[str] | None = None,
    positive: object = None,
    missing: str = "drop",
    max_levels: int = DEFAULT_MAX_LEVELS,
) -> Design:
    """The design of `formula` ("y ~ a + C(b)", target on the left), or of `target` and
    `features` (default: every other column), on the rows of `frame` with no missing value
    in a used column. `positive` is the target's success value (default: the larger of its
    two values in sort order). ConfigError for settings, DataError for data a fit cannot
    use (each message one line, naming the column or term)."""
    frame = _check_frame(frame)
    missing = _check_missing(missing)
    max_levels = check_int("max_levels", max_levels, 1, MAX_INT64)
    formula = _formula_text(frame, formula, target, features)
    target, rhs = _parse(formula, frame)
    used = _used_columns(rhs, frame, target)
    _require_columns(frame, (target, *used))
    kept, rows = _complete_rows(frame, (target, *used), missing)
    y, positive, negative = _code_target(kept[target], target, positive)
    levels = _check_level_counts(kept, rhs, used, max_levels)
    cost = budget.design(len(kept), design_width(rhs, levels))
    budget.check(cost, "coding this table", budget.FEWER_TABLE)
    matrix = _materialize(rhs, kept[list(used)])
    spec = coded_spec(
        matrix.model_spec,
        formula=formula,
        target=target,
        positive=positive,
        negative=negative,
        columns=used,
        max_levels=max_levels,
    )
    all_names = tuple(matrix.model_spec.column_names)
    x = np.asarray(matrix, dtype=np.float64)
    x = np.ascontiguousarray(x[:, [i for i, n in enumerate(all_names) if n != INTERCEPT]])
    _check_finite(x, spec.names, rows)
    check_columns(x, spec.names, spec.intercept)
    coding = _coding_notes(spec, kept, used)
    return Design(
        X=x,
        y=y,
        names=spec.names,
        intercept=spec.intercept,
        target=target,
        positive=positive,
        negative=negative,
        rows=rows,
        dropped=len(frame) - len(rows),
        coding=coding,
        spec=spec,
    )


def coded_spec(
    coded: Any,
    *,
    formula: str,
    target: str,
    positive: Any,
    negative: Any,
    columns: tuple[str, ...],
    max_levels: int,
) -> ModelSpec:
    """The ModelSpec of a formula whose right-hand side formulaic has coded on some rows
    (`coded`: its ModelSpec, holding the column names, each factor's levels and the
    transforms' state): build_design codes the table, a sharded design a few rows holding
    every agreed level. ConfigError when no term but the intercept is left, DataError for a
    factor with more than max_levels levels."""
    all_names = tuple(coded.column_names)
    intercept = INTERCEPT in all_names
    names = tuple(n for n in all_names if n != INTERCEPT)
    if not names:
        raise ConfigError(f"formula must have a term besides the intercept, got {shown(formula)}")
    levels = _levels(coded.encoder_state)
    for expr, values in levels.items():
        if len(values) > max_levels:
            raise DataError(_too_many_levels(expr, len(values), max_levels))
    return ModelSpec(
        formula=formula,
        rhs=_rhs_text(coded.formula, intercept),
        names=names,
        intercept=intercept,
        target=target,
        positive=positive,
        negative=negative,
        factors={
            expr: {"kind": kind.value, **({"levels": levels[expr]} if expr in levels else {})}
            for expr, (kind, _) in coded.encoder_state.items()
        },
        transforms={k: _to_json(v, k) for k, v in coded.transform_state.items()},
        columns=columns,
    )


# --- settings and the formula ----------------------------------------------------------


def _check_frame(frame: object) -> pandas.DataFrame:
    """A DataFrame with rows and distinct column names (a name picks one column)."""
    import pandas

    if not isinstance(frame, pandas.DataFrame):
        raise DataError(f"the table must be a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise DataError("the table has no rows")
    twice = frame.columns[frame.columns.duplicated()].unique()
    if len(twice):
        raise DataError(f"the table has more than one column named {', '.join(map(repr, twice))}")
    return frame


def _check_missing(missing: object) -> str:
    if missing not in MISSING:
        raise ConfigError(f"missing must be one of {', '.join(MISSING)}, got {shown(missing)}")
    return str(missing)


def quote(name: str) -> str:
    """A column name as a formula term: plain when it is a Python name, else in backticks."""
    import keyword

    if name.isidentifier() and not keyword.iskeyword(name):
        return name
    if "`" in name:
        raise DataError(f"column {name!r} has a backtick in its name, which a formula cannot quote")
    return f"`{name}`"


def _formula_text(
    frame: pandas.DataFrame,
    formula: str | None,
    target: str | None,
    features: Sequence[str] | None,
) -> str:
    """The formula to use: the one given, or target ~ features written out."""
    if formula is not None:
        if target is not None or features is not None:
            raise ConfigError("give either a formula or a target (and features), not both")
        if not isinstance(formula, str) or not formula.strip():
            raise ConfigError(f"formula must be a text like 'y ~ a + b', got {shown(formula)}")
        return formula.strip()
    if target is None:
        raise ConfigError("give a formula ('y ~ a + b') or the target column")
    if not isinstance(target, str):
        raise ConfigError(f"target must be a column name, got {shown(target)}")
    _require_columns(frame, (target,))
    if features is None:
        features = [c for c in frame.columns if c != target]
    elif isinstance(features, str):
        features = [features]
    features = list(features)
    if not features or not all(isinstance(f, str) for f in features):
        raise ConfigError(f"features must be one or more column names, got {shown(features)}")
    if target in features:
        raise ConfigError(f"the target {target!r} cannot also be a feature")
    twice = repeated(features)
    if twice:
        raise ConfigError(f"features name {', '.join(twice)} more than once")
    _require_columns(frame, features)
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
    formula = _formula_text(empty, formula, target, features)
    target, rhs = _parse(formula, empty)
    return (target, *_used_columns(rhs, empty, target))


def _parse(formula: str, frame: pandas.DataFrame) -> tuple[str, Any]:
    """(target column, formulaic right-hand side) of 'target ~ terms'; ConfigError with
    formulaic's reason when it does not parse."""
    from formulaic import Formula
    from formulaic.formula import SimpleFormula

    try:
        parsed = Formula(formula)
    except Exception as exc:  # formulaic's parser errors
        raise ConfigError(f"formula {shown(formula)} does not parse: {_first_line(exc)}") from None
    lhs, rhs = getattr(parsed, "lhs", None), getattr(parsed, "rhs", None)
    if not isinstance(lhs, SimpleFormula) or not isinstance(rhs, SimpleFormula):
        raise ConfigError(f"formula must read 'target ~ terms', got {shown(formula)}")
    factors = [factor for term in lhs for factor in term.factors]
    if len(factors) != 1 or factors[0].eval_method.value != "lookup":
        raise ConfigError(
            f"the left of the formula must be one column, the target, got {shown(str(lhs))}"
        )
    target = factors[0].expr
    _require_columns(frame, (target,))
    if any(target in _factor_names(factor) for term in rhs for factor in term.factors):
        raise ConfigError(f"the target {target!r} cannot also be on the right of the formula")
    return target, rhs


def _rhs_text(rhs: Any, intercept: bool) -> str:
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


def _used_columns(rhs: Any, frame: pandas.DataFrame, target: str) -> tuple[str, ...]:
    """The table columns the right-hand side reads, in table order; DataError for a name
    that is neither a column nor one of formulaic's (C, I, np, center, ...)."""
    from formulaic.transforms import TRANSFORMS

    needed = {name for term in rhs for factor in term.factors for name in _factor_names(factor)}
    unknown = sorted(needed - set(frame.columns) - set(TRANSFORMS))
    if unknown:
        _require_columns(frame, unknown)
    return tuple(c for c in frame.columns if c in needed and c != target)


def _factor_names(factor: Any) -> set[str]:
    """The names a factor reads as values. formulaic's required_variables misses the
    arguments of stateful transforms (center(b) reads b), so Python factors are also read
    here: every name in the expression that is not called as a function."""
    import ast

    from formulaic.utils.code import sanitize_variable_names

    names = {str(v.root) for v in factor.required_variables if "value" in v.roles}
    if factor.eval_method.value == "python":
        aliases: dict[str, str] = {}
        try:
            tree = ast.parse(sanitize_variable_names(factor.expr, {}, aliases), mode="eval")
        except SyntaxError:
            return names  # formulaic's evaluation will say what is wrong
        called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        names |= {
            aliases.get(node.id, node.id)
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and id(node) not in called
        }
    return names


def _require_columns(frame: pandas.DataFrame, names: Sequence[str]) -> None:
    """DataError naming the first name that is not a column, with (some of) the columns."""
    columns = [str(c) for c in frame.columns]
    for name in names:
        if name not in frame.columns:
            listed = ", ".join(map(repr, columns[:8])) + (
                f", ... ({len(columns)} in all)" if len(columns) > 8 else ""
            )
            raise DataError(f"no column {name!r} in the table; its columns are {listed}")


# --- rows, target, levels ----------------------------------------------------------------


def _complete_rows(
    frame: pandas.DataFrame, columns: Sequence[str], missing: str
) -> tuple[pandas.DataFrame, np.ndarray]:
    """The rows with every used column present, as plain columns (_plain), and their
    positions; DataError when a value is missing and missing="error", or when no row is left."""
    columns = list(dict.fromkeys(columns))
    gaps = frame[columns].isna().to_numpy()
    absent = gaps.any(axis=1)
    if not absent.any():
        return _plain(frame[columns]), np.arange(len(frame))
    if missing == "error":
        col = int(np.flatnonzero(gaps.any(axis=0))[0])
        count = int(gaps[:, col].sum())
        first = int(np.flatnonzero(gaps[:, col])[0])
        raise DataError(
            f"column {columns[col]!r} has {count} missing value(s), the first in row {first}; "
            "drop those rows (missing='drop') or fill them in"
        )
    rows = np.flatnonzero(~absent)
    if len(rows) == 0:
        worst = columns[int(gaps.sum(axis=0).argmax())]
        raise DataError(
            f"every row has a missing value in a used column (most in {worst!r}): no data left"
        )
    return _plain(frame[columns].iloc[rows]), rows


def _plain(frame: pandas.DataFrame) -> pandas.DataFrame:
    """The used columns, without missing values, as formulaic codes them: a nullable or
    Arrow-backed column (convert_dtypes(), Parquet's) becomes the NumPy column of its values
    (Int64 -> int64, boolean -> bool, string -> object); decimals become float64, and
    true/false read with gaps (objects) bool, as they are read without. A column of
    anything but numbers, true/false or text (bytes, dates, lists, records) is refused by
    name here, before any work: no formula codes it, and no JSON record holds it."""
    import pandas

    changed = {}
    for name in frame.columns:
        column, dtype = frame[name], frame[name].dtype
        if getattr(dtype, "na_value", None) is pandas.NA:
            values = column.to_numpy(dtype=dtype.numpy_dtype if dtype.kind in "biuf" else object)
            column = changed[name] = pandas.Series(values, index=column.index, name=name)
        elif pandas.api.types.is_object_dtype(dtype):
            kind = pandas.api.types.infer_dtype(column, skipna=True)
            if kind in OBJECT_KINDS:
                column = changed[name] = column.astype(OBJECT_KINDS[kind])
        check_kind(column, name)
    return frame.assign(**changed) if changed else frame


#: Object columns of one kind of value, and the NumPy type they are read as.
OBJECT_KINDS = {"decimal": np.float64, "boolean": np.bool_}
#: What a used column may hold, as pandas infers the kind of its values ("mixed": text and
#: numbers, unless a value is of another kind; then that value's type decides).
ALLOWED_KINDS = ("integer", "floating", "mixed-integer-float", "decimal", "boolean", "string",
                 "mixed-integer", "mixed", "empty")  # fmt: skip
#: How a refused kind is named in a message.
KIND_WORDS = {
    "bytes": "bytes (binary data)",
    "datetime64": "dates or times", "datetime": "dates or times", "date": "dates",
    "time": "times of day", "timedelta64": "durations", "timedelta": "durations",
    "period": "periods (dates)", "interval": "intervals", "complex": "complex numbers",
    "ndarray": "lists", "list": "lists", "tuple": "lists", "dict": "records (structs)",
}  # fmt: skip


def check_kind(column: pandas.Series, name: str) -> None:
    """DataError naming a column that holds anything but numbers, true/false or text; a
    categorical column is judged by its categories (build_design and the scan of a table
    in shares both ask)."""
    import pandas

    values = column.cat.categories if isinstance(column.dtype, pandas.CategoricalDtype) else column
    kind = pandas.api.types.infer_dtype(values, skipna=True)
    if kind == "mixed":
        odd = next((v for v in values if not isinstance(v, str | int | float | np.number)), None)
        kind = kind if odd is None else type(odd).__name__
    if kind not in ALLOWED_KINDS:
        raise DataError(
            f"column {name!r} holds {KIND_WORDS.get(kind, f'{kind} values')}, which a model "
            "cannot use: its columns hold numbers, true/false or text; convert it or leave it out"
        )


def _python(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (JSON-safe)."""
    return value.item() if isinstance(value, np.generic) else value


def _value_text(value: Any) -> str:
    """A value for a message: floats to 6 digits, others as repr."""
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _sorted(values: Sequence[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # mixed kinds: by their text
        return sorted(values, key=str)


def _code_target(
    column: pandas.Series, target: str, positive: object
) -> tuple[np.ndarray, Any, Any]:
    """y = 1 where the target holds the success value, else 0; (y, success, failure)."""
    import pandas

    values = _sorted([_python(v) for v in pandas.unique(column)])
    if len(values) != 2:
        listed = ", ".join(map(_value_text, values[:5])) + (", ..." if len(values) > 5 else "")
        raise DataError(
            f"target {target!r} must take exactly two values, got {len(values)}: {listed}"
        )
    success = values[1] if positive is None else _match(positive, values, target)
    failure = values[0] if success == values[1] else values[1]
    y = (column.to_numpy() == success).astype(np.float64)
    return y, success, failure


def _match(positive: object, values: list[Any], target: str) -> Any:
    """The target value `positive` stands for: itself, or its text (as typed on a command
    line: "1" for 1.0, "true" for True, "Yes" for "yes")."""
    text = str(positive).strip()
    for same in (
        lambda v: type(v) is type(positive) and v == positive,
        lambda v: str(v) == text,
        lambda v: str(v).casefold() == text.casefold(),
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and _number(text) == v,
    ):
        found = [v for v in values if same(v)]
        if len(found) == 1:
            return found[0]
    raise DataError(
        f"positive must be {values[0]!r} or {values[1]!r} (the values of the target "
        f"{target!r}), got {shown(positive)}"
    )


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _too_many_levels(what: str, count: int, max_levels: int) -> str:
    return (
        f"{what} has {count} levels, more than max_levels={max_levels} (each level is a column); "
        "raise max_levels if it really is a factor"
    )


def _check_level_counts(
    frame: pandas.DataFrame, rhs: Any, used: Sequence[str], max_levels: int
) -> dict[str, int]:
    """Refuse a categorical column with too many levels before any column is coded: text
    columns, and the columns named inside C(). The levels of each such column."""
    import pandas

    in_c = {
        v
        for term in rhs
        for factor in term.factors
        if factor.expr.startswith("C(")
        for v in _factor_names(factor)
    }
    counts = {}
    for name in used:
        series = frame[name]
        if name in in_c or not (
            pandas.api.types.is_numeric_dtype(series) or pandas.api.types.is_bool_dtype(series)
        ):
            count = counts[name] = series.nunique()
            if count > max_levels:
                raise DataError(_too_many_levels(f"column {name!r}", count, max_levels))
    return counts


def design_width(rhs: Any, levels: Mapping[str, int]) -> int:
    """About the columns the right-hand side codes, the intercept's included, from the
    `levels` of each categorical column (before coding them, which this bounds): per term
    the product of its factors' widths, a factor as wide as the most levels it reads."""

    def width(factor: Any) -> int:
        return max((levels.get(name, 1) for name in _factor_names(factor)), default=1)

    return sum(math.prod(width(factor) for factor in term.factors) for term in rhs)


def _levels(encoder_state: Mapping[str, Any]) -> dict[str, list]:
    """The categories of each categorical factor, as JSON-safe values."""
    return {
        expr: [_python(v) for v in state["categories"]]
        for expr, (kind, state) in encoder_state.items()
        if kind.value == "categorical" and "categories" in state
    }


def _materialize(rhs: Any, frame: pandas.DataFrame) -> Any:
    """formulaic's model matrix of the right-hand side (float64, every row kept)."""
    try:
        with np.errstate(all="ignore"):  # np.log(0) and such: refused, named, after
            return rhs.get_model_matrix(frame, na_action="ignore", output="numpy")
    except Exception as exc:  # formulaic's evaluation and encoding errors
        raise DataError(f"cannot build the formula's columns: {_first_line(exc)}") from None


def _check_levels(
    frame: pandas.DataFrame, expr: str, levels: list, columns: Sequence[str], rows: np.ndarray
) -> None:
    """Refuse (naming the column) a value of a categorical column that the model has not
    seen, when the factor is the column itself or C(column, ...)."""
    for name in columns:
        q = quote(name) if "`" not in name else name
        if expr in (name, f"C({q})") or expr.startswith(f"C({q},"):
            unseen = ~frame[name].isin(levels).to_numpy()
            if unseen.any():
                new = _sorted({_python(v) for v in frame[name][unseen]})
                raise DataError(
                    f"column {name!r} has level(s) the model has not seen: "
                    f"{', '.join(map(repr, new[:5]))} (first in row {rows[unseen.argmax()]}); "
                    f"it knows {', '.join(map(repr, levels[:10]))}"
                )


def _mismatch_warning() -> type[Warning]:
    from formulaic.errors import DataMismatchWarning

    return DataMismatchWarning


# --- the columns ---------------------------------------------------------------------------


def _check_finite(x: np.ndarray, names: Sequence[str], rows: np.ndarray) -> None:
    """DataError naming the first term that is NaN or infinite somewhere (np.log(0) ...)."""
    bad = ~np.isfinite(x)
    if bad.any():
        col = int(np.flatnonzero(bad.any(axis=0))[0])
        first = rows[int(np.flatnonzero(bad[:, col])[0])]
        raise DataError(
            f"term {names[col]!r} is NaN or infinite in {int(bad[:, col].sum())} row(s), "
            f"the first being row {first} of the table"
        )


def check_columns(x: np.ndarray, names: Sequence[str], intercept: bool) -> None:
    """Refuse, by name, a constant, duplicated or collinear column of the design x (n x k,
    no intercept column; with an intercept, a constant column duplicates it)."""
    k = x.shape[1]
    low, high = x.min(axis=0), x.max(axis=0)
    for j in range(k):
        if low[j] == high[j] and (intercept or low[j] == 0):
            what = "the intercept's" if intercept else "no"
            raise DataError(
                f"term {names[j]!r} is constant ({low[j]:g} in every row): it carries {what} "
                "information; leave it out"
            )
    seen: dict[bytes, int] = {}
    for j in range(k):
        key = np.ascontiguousarray(x[:, j]).tobytes()
        if key in seen:
            raise DataError(f"terms {names[seen[key]]!r} and {names[j]!r} are the same column")
        seen[key] = j
    _check_collinear(x, names, intercept)


def _gram(x: np.ndarray, intercept: bool) -> np.ndarray:
    """The correlation-like Gram matrix of x's columns, centred when the model has an
    intercept (which then takes up the mean), scaled to unit diagonal; one pass in blocks."""
    n, k = x.shape
    mean = x.mean(axis=0) if intercept else np.zeros(k)
    gram = np.zeros((k, k))
    for start in range(0, n, CHUNK_ROWS):
        block = x[start : start + CHUNK_ROWS] - mean
        gram += block.T @ block
    scale = np.sqrt(np.diag(gram))
    return gram / np.outer(scale, scale)


def _check_collinear(x: np.ndarray, names: Sequence[str], intercept: bool) -> None:
    """Factor the Gram matrix column by column; a column whose unexplained variance falls
    below COLLINEAR_TOL is named with the earlier columns that explain it."""
    gram = _gram(x, intercept)
    k = len(names)
    basis: list[int] = []
    chol = np.zeros((k, k))
    for j in range(k):
        m = len(basis)
        w = np.linalg.solve(chol[:m, :m], gram[basis, j]) if m else np.zeros(0)
        rest = gram[j, j] - w @ w
        if rest <= COLLINEAR_TOL:
            coef = np.linalg.solve(chol[:m, :m].T, w) if m else np.zeros(0)
            big = np.abs(coef) > 1e-6 * max(np.abs(coef).max(initial=0.0), 1e-300)
            partners = [names[basis[i]] for i in np.flatnonzero(big)]
            with_ = ", ".join(repr(p) for p in partners) + (
                " and the intercept" if intercept else ""
            )
            raise DataError(
                f"term {names[j]!r} is collinear with {with_}: a linear combination of them "
                f"(all but {max(rest, 0):.1e} of its variance); leave one out"
            )
        chol[m, :m] = w
        chol[m, m] = math.sqrt(rest)
        basis.append(j)


# --- notes and JSON ----------------------------------------------------------------------


def _coding_notes(spec: ModelSpec, frame: pandas.DataFrame, used: Sequence[str]) -> tuple[str, ...]:
    """Plain sentences on how the target and each non-numeric factor became numbers."""
    import pandas

    notes = [f"{spec.target}: success is {spec.positive!r} (coded 1), {spec.negative!r} is 0"]
    for expr, levels in spec.levels.items():
        listed = ", ".join(map(repr, levels[:10])) + (", ..." if len(levels) > 10 else "")
        first = levels[0]
        full = any(n.startswith(f"{expr}[{first}]") or f":{expr}[{first}]" in n for n in spec.names)
        how = "a 0/1 column per level" if full else f"0/1 columns against its first level {first!r}"
        notes.append(f"{expr}: categorical, {how} (levels {listed})")
    for name in used:
        if pandas.api.types.is_bool_dtype(frame[name]) and name in spec.factors:
            notes.append(f"{name}: true/false as 1/0")
    return tuple(notes)


def _to_json(value: Any, where: str) -> Any:
    """Transform state as JSON values: arrays become {"ndarray": [...], "dtype": ...}."""
    if isinstance(value, np.ndarray):
        return {"ndarray": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _to_json(v, where) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v, where) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise DataError(f"the state of {where} ({type(value).__name__}) cannot be saved as JSON")


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"ndarray", "dtype"}:
            return np.asarray(value["ndarray"], dtype=np.dtype(value["dtype"]))
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _first_line(exc: BaseException) -> str:
    """An exception's message on one line, without formulaic's terminal colours."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m|[⧛⧚]", "", str(exc)).strip().splitlines()
    line = text[0].strip() if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def _is_scalar(value: object) -> bool:
    """A JSON string, number or bool: what a level or a target's value may be."""
    return isinstance(value, str | int | float | bool)


def _check_factor(expr: str, state: object) -> None:
    """A spec's factor gives its kind and, when categorical, its levels: a flat list."""
    kinds = " or ".join(FACTOR_KINDS)
    if not isinstance(state, dict) or state.get("kind") not in FACTOR_KINDS:
        raise DataError(f"model spec factor {shown(expr)} must give its kind, {kinds}")
    categorical = state["kind"] == "categorical"
    levels = state.get("levels")
    if set(state) != {"kind", *(("levels",) if categorical else ())} or (
        categorical and not (isinstance(levels, list) and all(map(_is_scalar, levels)))
    ):
        raise DataError(
            f"model spec factor {shown(expr)} must give its kind"
            + (" and its levels, a list of values" if categorical else " alone")
        )
