"""From a table to a Design: the target coded 0/1, the formula's columns checked, and the
ModelSpec that rebuilds the same columns on new rows.

The formula goes through data.formula (formulaic: C(), interactions, I() and transforms
mean what they mean in R and statsmodels, the columns carry formulaic's names); the columns
pass data.checks (missing values, kinds, level counts, finite, constant, duplicated,
collinear), each refusal naming its term.

The target's two values become y = 0/1: the success (`positive`) is chosen, or else the
larger of the two in sort order (1 over 0, True over False, "yes" over "no"). Rows with a
missing value in a used column are dropped and counted, or refused (missing="error").

The ModelSpec keeps what rebuilds the same columns on new rows, JSON-safe: the right-hand
side, the levels of every categorical factor (formulaic's encoder state, of which the
categories are the source of truth) and the state of stateful transforms such as center().
A model file holds a spec as data (data.modelfile reads it through an allow-list).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import budget
from ..config import ModelOptions, check_missing, shown
from ..errors import ConfigError, DataError
from ..result import INTERCEPT
from .checks import (
    check_columns,
    check_finite,
    check_frame,
    check_level_counts,
    check_levels,
    complete_rows,
    count_array,
    level_column,
    missing_counts,
    python_value,
    row_words,
    sorted_values,
    too_many_levels,
    value_text,
)
from .formula import (
    design_width,
    first_line,
    formula_text,
    materialize,
    mismatch_warning,
    parse_formula,
    require_columns,
    rhs_text,
    used_columns,
)

if TYPE_CHECKING:
    import pandas


@dataclass(frozen=True)
class ModelSpec:
    """What turns table rows into the design's columns, JSON-safe (a model file's record of it:
    data.modelfile.spec_record, spec_from_record).

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
        """The levels of each categorical factor, sorted (the reference is the first unless
        the formula chose another: `references`)."""
        return {expr: list(f["levels"]) for expr, f in self.factors.items() if "levels" in f}

    @property
    def references(self) -> dict[str, Any]:
        """The level each categorical factor is coded against: the one of its levels with no
        'expr[T.level]' column, which is the first unless the formula chose another
        (C(Pclass, Treatment(3)), C(Sex, Treatment('male'))). A factor coded without one (a
        0/1 column per level, or only inside interactions) is left out."""
        found = {}
        for expr, levels in self.levels.items():
            start = f"{expr}[T."
            coded = {n[len(start) : -1] for n in self.names if n.startswith(start) and n[-1] == "]"}
            rest = [level for level in levels if str(level) not in coded]
            if coded and len(rest) == 1:
                found[expr] = rest[0]
        return found

    def design(self, frame: pandas.DataFrame) -> np.ndarray:
        """The design's columns (float64 n x k, no intercept) for new rows, coded as when
        the model was fitted; DataError for a missing column or value, or an unseen level."""
        return self.matrix(frame, missing="error")[0]

    def matrix(
        self, frame: pandas.DataFrame, *, missing: str = "error"
    ) -> tuple[np.ndarray, np.ndarray]:
        """design() that may drop rows with missing values: (X, positions of kept rows)."""
        frame = check_frame(frame)
        missing = check_missing(missing)
        require_columns(frame, self.columns)
        kept, rows = complete_rows(frame, self.columns, missing)
        for expr, state in self.factors.items():
            if "levels" in state:
                check_levels(kept, expr, state["levels"], self.columns, rows)
        x, _ = self._columns(kept)
        check_finite(x, self.names, rows)
        return x, rows

    def code(self, frame: pandas.DataFrame, *, missing: str = "error") -> Coded:
        """The design's columns of every row of `frame` that can be coded as when the model
        was fitted, and for each other row why not, so that one bad row spoils no other: a
        missing value, a level the model has not seen, text where it reads a number, a term
        that is not finite (np.log(0)). missing="drop" leaves rows with a missing value out
        of both. DataError only for what no row can mend (a missing column)."""
        import pandas

        frame = check_frame(frame)
        missing = check_missing(missing)
        require_columns(frame, self.columns)
        used = frame[list(self.columns)]
        gaps = used.isna().to_numpy()
        dropped = gaps.any(axis=1) if missing == "drop" else np.zeros(len(frame), dtype=bool)
        refused = _Refusals(dropped)
        for j, name in enumerate(self.columns):
            refused.add(gaps[:, j], lambda i, name=name: f"{shown(name)} is missing")
        levels = {level_column(expr, self.columns): state["levels"]
                  for expr, state in self.factors.items() if "levels" in state}  # fmt: skip
        numbers = {}
        for name, column in used.items():
            if name in levels:
                unseen = ~column.isin(levels[name]).to_numpy()
                refused.add(unseen, lambda i, c=column, name=name: f"{shown(name)} is "
                            f"{_value(c.iloc[i])}, a level the model has not seen")  # fmt: skip
            elif pandas.api.types.infer_dtype(column, skipna=True) in TEXT_KINDS:
                numbers[name] = pandas.to_numeric(column, errors="coerce")
                text = (numbers[name].isna() & column.notna()).to_numpy()
                refused.add(text, lambda i, c=column, name=name: f"{shown(name)} is "
                            f"{_value(c.iloc[i])}, not a number")  # fmt: skip
        rows = np.flatnonzero(~refused.mask & ~dropped)
        x = np.empty((0, len(self.names)))
        if len(rows):
            used = used.assign(**numbers)  # text that is a number read as one
            kept, _ = complete_rows(used.iloc[rows], self.columns, "error")
            x, spec = self._columns(kept)
            bad = ~np.isfinite(x)
            for j in np.flatnonzero(bad.any(axis=0)):
                term = _reads(spec, j, self.columns)
                where = np.zeros(len(frame), dtype=bool)
                where[rows[bad[:, j]]] = True
                value = x[:, j]
                refused.add(where, lambda i, j=j, term=term, value=value: (
                    f"{shown(self.names[j])} is {value[np.searchsorted(rows, i)]:g} where "
                    f"{_values(used, term, i)}"))  # fmt: skip
            good = np.isfinite(x).all(axis=1)
            rows, x = rows[good], np.ascontiguousarray(x[good])
        positions = np.array(sorted(refused.reasons), dtype=np.int64)
        return Coded(x, rows, positions, tuple(refused.reasons[i] for i in positions))

    def _columns(self, kept: pandas.DataFrame) -> tuple[np.ndarray, Any]:
        """The design's columns (float64, C order, no intercept) of rows with every used
        value present, and formulaic's spec of them; DataError when formulaic cannot code
        them or builds other columns than the model's."""
        with warnings.catch_warnings():
            warnings.simplefilter("error", mismatch_warning())
            try:
                with np.errstate(all="ignore"):
                    matrix = self._formulaic().get_model_matrix(kept)
            except mismatch_warning() as warning:
                raise DataError(f"the table has {first_line(warning)}") from None
            except Exception as exc:  # formulaic's evaluation and encoding errors
                raise DataError(f"cannot build the model's columns: {first_line(exc)}") from None
        names = tuple(matrix.model_spec.column_names)
        expected = ((INTERCEPT,) if self.intercept else ()) + self.names
        if names != expected:
            raise DataError(
                f"the model's formula builds columns {shown(names)}, not its own {shown(expected)}"
            )
        x = np.asarray(matrix, dtype=np.float64)
        return np.ascontiguousarray(x[:, 1:] if self.intercept else x), matrix.model_spec

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


#: What pandas infers for a column holding text: in a column the model reads as numbers, the
#: values that are not numbers are refused row by row (ModelSpec.code).
TEXT_KINDS = ("string", "mixed", "mixed-integer")


@dataclass(frozen=True)
class Coded:
    """New rows coded by ModelSpec.code: the design's columns X (float64, no intercept) of
    the rows that could be coded and their positions in the frame (rows); the positions of
    the others (refused) and why, one phrase each naming the column and its value."""

    X: np.ndarray
    rows: np.ndarray
    refused: np.ndarray
    reasons: tuple[str, ...]


class _Refusals:
    """The rows refused so far and why, each for its first fault in the model's column
    order; rows `ignored` (left out for a missing value) are never refused."""

    def __init__(self, ignored: np.ndarray) -> None:
        self.mask = np.zeros(len(ignored), dtype=bool)
        self.ignored = ignored
        self.reasons: dict[int, str] = {}

    def add(self, where: np.ndarray, reason: Callable[[int], str]) -> None:
        fresh = where & ~self.mask & ~self.ignored
        for i in np.flatnonzero(fresh):
            self.reasons[int(i)] = reason(int(i))
        self.mask |= fresh


def _reads(spec: Any, j: int, columns: Sequence[str]) -> list[str]:
    """The table columns design column j (no intercept) reads, from formulaic's spec."""
    j += INTERCEPT in spec.column_names
    term = next(t for t, indices in spec.term_indices.items() if j in indices)
    read = {str(v) for v in spec.term_variables[term]}
    return [c for c in columns if c in read]


def _values(frame: pandas.DataFrame, columns: Sequence[str], i: int) -> str:
    """Row i's values of `columns` in a phrase: "'a' is 0, 'b' is -1"."""
    return ", ".join(f"{shown(c)} is {_value(frame[c].iloc[i])}" for c in columns)


def _value(value: Any) -> str:
    """A table's value in a phrase: a number as written, anything else shown()."""
    value = python_value(value)
    return value_text(value) if isinstance(value, float) else shown(value)


@dataclass(frozen=True)
class Design:
    """A validated design: X (float64 n x k, no intercept column), y (float64 0/1), the
    formula's term names, whether the model has an intercept, the target's coding, the
    positions of the kept rows in the input frame, the count of dropped rows, plain notes
    on the coding, the spec that rebuilds the columns on new rows, and the missing values
    of each used column that has some (why rows were dropped)."""

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
    missing: Mapping[str, int] = field(default_factory=dict)
    #: Each row's frequency weight (model.weights) or binomial trials (model.trials, y then
    #: holding its successes); None without.
    weights: np.ndarray | None = None
    trials: np.ndarray | None = None

    @property
    def formula(self) -> str:
        return self.spec.formula

    @property
    def rows_used(self) -> int:
        """How many rows the design holds (data.shards.ShardedDesign has the same count)."""
        return len(self.rows)


def build_design(
    frame: pandas.DataFrame, model: ModelOptions | None = None, **options: object
) -> Design:
    """The design of `model`: its formula ("y ~ a + C(b)", target on the left), or its
    target and features (default: every other column), on the rows of `frame` with no
    missing value in a used column.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    model : ModelOptions, optional
        The formula or target and features, the positive value (the target's success;
        default the larger of its two values in sort order), the missing-value rule and the
        largest number of levels.
    **options
        Keywords named as ModelOptions' fields replace them: build_design(frame, target="y").

    Returns
    -------
    Design
        X (float64 n x k, no intercept column), y (0/1), the term names, the target's
        coding, the kept rows and the spec that rebuilds the columns on new rows.

    Raises
    ------
    ConfigError
        For settings outside what is allowed.
    DataError
        For data a fit cannot use; each message one line, naming the column or term.
    """
    frame = check_frame(frame)
    model = ModelOptions.of(model, **options)  # checked whole: ModelOptions.__post_init__
    missing, max_levels = model.missing, model.max_levels
    counted = tuple(c for c in (model.weights, model.trials) if c is not None)
    features = model.features
    if features is None and model.formula is None and counted:  # every column but these
        features = [c for c in frame.columns if c != model.target and c not in counted]
    formula = formula_text(frame, model.formula, model.target, features)
    target, rhs = parse_formula(formula, frame)
    used = used_columns(rhs, frame, target)
    require_columns(frame, (target, *used, *counted))
    kept, rows = complete_rows(frame, (target, *used, *counted), missing)
    if model.trials is None:
        y, positive, negative = _code_target(kept[target], target, model.positive)
    else:
        y = success_column(kept, target, model.trials, rows)
        positive, negative = "success", "failure"
    levels = check_level_counts(kept, rhs, used, max_levels)
    cost = budget.design(len(kept), design_width(rhs, levels))
    budget.check(cost, "coding this table", budget.FEWER_TABLE)
    matrix = materialize(rhs, kept[list(used)])
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
    # formulaic's matrix (C order) without the intercept's column: NumPy's take gives it in
    # F order, which every fit reads as it is or copies itself (a C-ordered copy here cost
    # 0.17 s at 10**6 x 10, and the MLE's passes read either layout as fast)
    x = np.asarray(matrix, dtype=np.float64)
    x = x[:, [i for i, n in enumerate(all_names) if n != INTERCEPT]]
    check_finite(x, spec.names, rows)
    check_columns(x, spec.names, spec.intercept)
    coding = counted_notes(coding_notes(spec, kept, used), target, model)
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
        missing=missing_counts(frame, (target, *used, *counted)) if len(rows) < len(frame) else {},
        weights=None if model.weights is None else count_column(kept, model.weights, rows),
        trials=None if model.trials is None else count_column(kept, model.trials, rows, "trials"),
    )


def count_column(
    kept: pandas.DataFrame, column: str, rows: np.ndarray, kind: str = "weights"
) -> np.ndarray:
    """The weights (whole numbers >= 0) or trials (>= 1) of a column, refused naming its
    first bad row (`rows`: the kept rows' positions in their file; a table in shares checks
    each chunk with them)."""
    minimum = 1 if kind == "trials" else 0
    return count_array(kept[column].to_numpy(), len(kept), f"{kind} column {column!r}",
                       minimum, rows)  # fmt: skip


def success_column(
    kept: pandas.DataFrame, target: str, trials: str, rows: np.ndarray
) -> np.ndarray:
    """The target as counts of successes, each at most its row's trials."""
    y = count_array(kept[target].to_numpy(), len(kept), f"target {target!r}", 0, rows)
    above = y > count_column(kept, trials, rows, "trials")
    if above.any():
        i = int(np.argmax(above))
        raise DataError(
            f"target {target!r} counts successes out of the trials in {trials!r}, but "
            f"{row_words(int(rows[i]))} holds {y[i]:g} successes out of "
            f"{kept[trials].iloc[i]:g} trials"
        )
    return y


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
            raise DataError(too_many_levels(expr, len(values), max_levels))
    return ModelSpec(
        formula=formula,
        rhs=rhs_text(coded.formula, intercept),
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


# --- target and levels -------------------------------------------------------------------


def _code_target(
    column: pandas.Series, target: str, positive: object
) -> tuple[np.ndarray, Any, Any]:
    """y = 1 where the target holds the success value, else 0; (y, success, failure)."""
    import pandas

    values = sorted_values([python_value(v) for v in pandas.unique(column)])
    if len(values) != 2:
        listed = ", ".join(map(value_text, values[:5])) + (", ..." if len(values) > 5 else "")
        raise DataError(
            f"target {target!r} must take exactly two values, got {len(values)}: {listed}"
        )
    success = values[1] if positive is None else match_positive(positive, values, target)
    failure = values[0] if success == values[1] else values[1]
    y = (column.to_numpy() == success).astype(np.float64)
    return y, success, failure


def match_positive(positive: object, values: list[Any], target: str) -> Any:
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


def _levels(encoder_state: Mapping[str, Any]) -> dict[str, list]:
    """The categories of each categorical factor, as JSON-safe values."""
    return {
        expr: [python_value(v) for v in state["categories"]]
        for expr, (kind, state) in encoder_state.items()
        if kind.value == "categorical" and "categories" in state
    }


# --- notes and JSON ----------------------------------------------------------------------


def counted_notes(coding: tuple[str, ...], target: str, model: ModelOptions) -> tuple[str, ...]:
    """The coding notes of rows that stand for many: trials replace the target's note,
    weights add one (build_design and a table in shares say the same)."""
    if model.trials is not None:
        coding = (f"{target}: successes out of the trials in {model.trials!r} (grouped "
                  "binomial rows)", *coding[1:])  # fmt: skip
    if model.weights is not None:
        coding = (*coding, f"{model.weights}: frequency weights, each row counted that many times")
    return coding


def coding_notes(spec: ModelSpec, frame: pandas.DataFrame, used: Sequence[str]) -> tuple[str, ...]:
    """Plain sentences on how the target and each non-numeric factor became numbers."""
    import pandas

    notes = [f"{spec.target}: success is {spec.positive!r} (coded 1), {spec.negative!r} is 0"]
    for expr, levels in spec.levels.items():
        listed = ", ".join(map(repr, levels[:10])) + (", ..." if len(levels) > 10 else "")
        reference = spec.references.get(expr)
        if reference is not None:
            which = "first level" if reference == levels[0] else "level"
            how = f"0/1 columns against its {which} {reference!r}"
        elif any(n.startswith(f"{expr}[{levels[0]}]") or f":{expr}[{levels[0]}]" in n
                 for n in spec.names):  # fmt: skip
            how = "a 0/1 column per level"
        else:
            how = "columns of the formula's contrasts"
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
