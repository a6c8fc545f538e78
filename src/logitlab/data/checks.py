"""Checks at the edge of every fit: a design matrix, labels and feature names the model can
use, and the columns of a table a formula reads.

Columns a fit cannot use are refused here, named by their terms: non-finite, constant,
duplicated, or a linear combination of the columns before them (collinear). The checks cost
about one pass over the design, as a fit's pass does: finite values by one reduction (the
sum of squares), and the columns by their Gram matrix X'X (one BLAS product, or the one a
fit's first pass computes anyway), factored (Cholesky) with a bound on its rounding. Only
when that cannot vouch for every column are they looked at value by value, to name the
first bad row or column exactly as before. A table's used columns are checked before any
is coded: rows with a missing value, the kinds of value a column holds, the levels of a
categorical one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..config import FLOAT32_MAX, listed
from ..errors import DataError
from ..result import default_names
from .formula import categorical_columns, quote

if TYPE_CHECKING:
    import pandas

#: A column is collinear when the columns before it (and the intercept) explain all but this
#: fraction of its variance: exact dependence leaves ~1e-15, real data far more.
COLLINEAR_TOL = 1e-10
#: Rows per block when the design is standardised and its Gram matrix accumulated.
CHUNK_ROWS = 1 << 16


def as_design(x: object, name: str = "X") -> torch.Tensor:
    """Check a design matrix (n x d array or tensor; a 1-D input is one feature) -> float32
    (a copy, so a read-only input is fine). NumPy converts: torch.tensor(array,
    dtype=torch.float32) took 30 ms on 1,797 x 64 values, NumPy 0.2 ms. A float32 array or
    tensor is checked as it is and copied once, without a float64 copy between (77 -> 20 ms
    at 10**6 x 10)."""
    single = (isinstance(x, np.ndarray) and x.dtype == np.float32) or (
        isinstance(x, torch.Tensor) and x.dtype == torch.float32
    )
    array = design_array(x, name, np.float32 if single else float)
    return torch.from_numpy(np.array(array, dtype=np.float32, order="C"))


def numeric_array(value: object, name: str, what: str, dtype: type = float) -> np.ndarray:
    """Any array-like (list, NumPy array, tensor on any device) as float64 (or `dtype`), or
    DataError saying `name` must be `what` (ragged lists, text, complex or huge Python ints).
    No copy when the value already is such an array."""
    try:
        data = value.detach().cpu() if isinstance(value, torch.Tensor) else value
        return np.asarray(data, dtype=dtype)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        raise DataError(f"{name} must be {what}") from None


def design_array(x: object, name: str = "X", dtype: type = float) -> np.ndarray:
    """as_design's checks, kept in float64 for exact statistics (the MLE reference; float32
    for as_design's float32 input). Values must be finite and within float32's range, which
    every engine computes in: one reduction says so (within), and only when it cannot are
    the values looked at one by one, to say what is wrong."""
    array = numeric_array(x, name, "a numeric array or tensor (n x d, or n for one feature)", dtype)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise DataError(f"{name} must be an n x d array with n, d >= 1, got shape {array.shape}")
    if within(array, FLOAT32_MAX):
        return array
    if not np.all(np.isfinite(array)):
        raise DataError(f"{name} contains NaN or infinite values")
    if np.abs(array).max() > FLOAT32_MAX:
        raise DataError(
            f"{name} holds values beyond float32's range (|value| <= {FLOAT32_MAX:.8g}), "
            f"up to {np.abs(array).max():.4g}"
        )
    return array


def within(x: np.ndarray, limit: float) -> bool:
    """True when every value of x is finite with |value| <= limit, known from one reduction
    and no temporary array: the sum of squares by BLAS when x is contiguous (NaN and inf
    carry through it; a sum <= limit^2 / 2 bounds every value whatever the rounding), else
    the minimum and maximum. False may be a false alarm (squares that overflow): the caller
    then looks value by value, which the slow path costs only when something is wrong."""
    if x.size == 0:
        return True
    if x.flags.c_contiguous or x.flags.f_contiguous:
        flat = x.ravel(order="K")
        total = float(np.vdot(flat, flat))
        return math.isfinite(total) and total <= limit * limit / 2
    low, high = float(x.min()), float(x.max())
    return math.isfinite(low) and math.isfinite(high) and -limit <= low and high <= limit


def as_labels(y: object, n: int) -> torch.Tensor:
    """Check labels: n values, each 0 or 1 -> float32 column n x 1 (a copy: the caller's
    array may be read-only, as pandas and statsmodels hand them out)."""
    return torch.from_numpy(np.ascontiguousarray(label_array(y, n), dtype=np.float32)).reshape(n, 1)


def label_array(y: object, n: int) -> np.ndarray:
    """as_labels' checks, as a float64 vector of length n."""
    array = numeric_array(y, "y", "a numeric array of 0/1 labels")
    array = array.reshape(-1) if array.ndim == 2 and 1 in array.shape else array
    if array.ndim != 1 or array.shape[0] != n:
        raise DataError(f"y must hold one label per row of X ({n}), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise DataError("y contains NaN or infinite values")
    other = np.unique(array[(array != 0) & (array != 1)])
    if len(other):
        shown = ", ".join(f"{v:g}" for v in other[:3]) + (", ..." if len(other) > 3 else "")
        raise DataError(f"y must hold only 0 and 1, got {shown}")
    return array


def count_array(
    values: object, n: int, name: str, minimum: int = 0, rows: np.ndarray | None = None
) -> np.ndarray:
    """Whole numbers >= minimum, one per row, as float64: frequency weights, trials and
    successes, which count rows or trials. DataError naming `name` and the first bad value's
    row (row_words of its table position when `rows` maps to them, else its index)."""
    array = numeric_array(values, name, f"a numeric array of whole numbers >= {minimum}")
    array = array.reshape(-1) if array.ndim == 2 and 1 in array.shape else array
    if array.ndim != 1 or array.shape[0] != n:
        raise DataError(f"{name} must hold one value per row of X ({n}), got shape {array.shape}")
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(array) & (array >= minimum) & (array == np.round(array)))
    if bad.any():
        i = int(np.argmax(bad))
        where = f"index {i:,}" if rows is None else row_words(int(rows[i]))
        raise DataError(f"{name} must hold whole numbers >= {minimum}: {where} holds {array[i]:g}")
    return array


def check_names(names: Sequence[str] | None, d: int) -> tuple[str, ...]:
    """d distinct feature names (default x1, ..., xd)."""
    if names is None:
        return default_names(d)
    if isinstance(names, str):
        names = (names,)
    names = tuple(str(name) for name in names)
    if len(names) != d:
        raise DataError(f"names must give one name per feature ({d}), got {len(names)}")
    if len(set(names)) != d:
        raise DataError(f"feature names must differ from each other, got {names}")
    return names


def check_frame(frame: object) -> pandas.DataFrame:
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


def complete_rows(
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
            f"column {columns[col]!r} has {count} missing value(s), the first in "
            f"{row_words(first)}; drop those rows (--missing drop) or fill them in"
        )
    rows = np.flatnonzero(~absent)
    if len(rows) == 0:
        worst = columns[int(gaps.sum(axis=0).argmax())]
        raise DataError(
            f"every row has a missing value in a used column (most in {worst!r}): no data left"
        )
    return _plain(frame[columns].iloc[rows]), rows


def missing_counts(frame: pandas.DataFrame, columns: Sequence[str]) -> dict[str, int]:
    """The missing values of each used column that has some, most first: why rows were
    dropped (a row may miss several)."""
    counts = frame[list(dict.fromkeys(columns))].isna().sum()
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    return {str(k): int(v) for k, v in counts.items()}


def missing_words(dropped: int, missing: Mapping[str, int], most: int = 10) -> str:
    """How many rows were dropped for a missing value, and in which columns: '179 rows
    dropped for a missing value (177 in 'Age', 2 in 'Embarked')'; the first `most` columns
    and how many more."""
    if not dropped:
        return "no row dropped for a missing value"
    where = [f"{count:,} in {name!r}" for name, count in missing.items()]
    more = f" and {len(where) - most:,} more columns" if len(where) > most else ""
    rows = "row" if dropped == 1 else "rows"
    return f"{dropped:,} {rows} dropped for a missing value ({', '.join(where[:most])}{more})"


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


def python_value(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (JSON-safe)."""
    return value.item() if isinstance(value, np.generic) else value


def value_text(value: Any) -> str:
    """A value for a message: floats to 6 digits, others as repr."""
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def row_words(position: int) -> str:
    """A row given by its position from 0 as a spreadsheet counts it, from 1, with the line
    of a file that holds it below a header: 'row 8 (line 9 of its file)'."""
    return f"row {position + 1:,} (line {position + 2:,} of its file)"


def sorted_values(values: Sequence[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # mixed kinds: by their text
        return sorted(values, key=str)


def too_many_levels(what: str, count: int, max_levels: int) -> str:
    return (
        f"{what} has {count} levels, more than --max-levels {max_levels} (each level is a "
        "column); raise --max-levels if it really is a factor"
    )


def check_level_counts(
    frame: pandas.DataFrame, rhs: Any, used: Sequence[str], max_levels: int
) -> dict[str, int]:
    """Refuse a categorical column with too many levels before any column is coded: text
    columns, and the columns named inside C(). The levels of each such column."""
    import pandas

    in_c = categorical_columns(rhs)
    counts = {}
    for name in used:
        series = frame[name]
        if name in in_c or not (
            pandas.api.types.is_numeric_dtype(series) or pandas.api.types.is_bool_dtype(series)
        ):
            count = counts[name] = series.nunique()
            if count > max_levels:
                raise DataError(too_many_levels(f"column {name!r}", count, max_levels))
    return counts


def level_column(expr: str, columns: Sequence[str]) -> str | None:
    """The column a categorical factor codes as it is, when the factor is the column itself
    or C(column, ...); None for any other factor."""
    for name in columns:
        q = quote(name) if "`" not in name else name
        if expr in (name, f"C({q})") or expr.startswith(f"C({q},"):
            return name
    return None


def check_levels(
    frame: pandas.DataFrame, expr: str, levels: list, columns: Sequence[str], rows: np.ndarray
) -> None:
    """Refuse (naming the column) a value of a categorical column that the model has not
    seen, when the factor is the column itself or C(column, ...)."""
    name = level_column(expr, columns)
    if name is None:
        return
    unseen = ~frame[name].isin(levels).to_numpy()
    if unseen.any():
        new = sorted_values({python_value(v) for v in frame[name][unseen]})
        raise DataError(
            f"column {name!r} has level(s) the model has not seen: {listed(new)} "
            f"(first in {row_words(rows[unseen.argmax()])}); it knows {listed(levels)}"
        )


def check_finite(x: np.ndarray, names: Sequence[str], rows: np.ndarray) -> None:
    """DataError naming the first term that is NaN or infinite somewhere (np.log(0) ...);
    value by value only when one reduction says a value is not finite."""
    if within(x, math.inf):
        return
    bad = ~np.isfinite(x)
    if bad.any():
        col = int(np.flatnonzero(bad.any(axis=0))[0])
        first = rows[int(np.flatnonzero(bad[:, col])[0])]
        raise DataError(
            f"term {names[col]!r} is NaN or infinite in {int(bad[:, col].sum())} row(s), "
            f"the first being {row_words(first)}"
        )


def check_columns(
    x: np.ndarray, names: Sequence[str], intercept: bool, gram: np.ndarray | None = None
) -> None:
    """Refuse, by name, a constant, duplicated or collinear column of the design x (n x k,
    no intercept column; with an intercept, a constant column duplicates it). `gram` is the
    design's design_gram when the caller has it (a fit's first pass sums it anyway); else it
    is computed here. Columns it vouches for (independent) are not read again."""
    if gram is None:
        gram = design_gram(x, intercept)
    if not independent(gram, len(x), intercept):
        refuse_dependent(x, names, intercept)


def design_gram(x: np.ndarray, intercept: bool) -> np.ndarray:
    """The Gram matrix of the design [1 x] (the intercept's row and column first: n, the
    column sums, x'x) or, without an intercept, x'x; one BLAS product and one sum."""
    squares = x.T @ x
    if not intercept:
        return squares
    sums = column_sums(x)
    return np.block([[np.array([[float(len(x))]]), sums[None, :]], [sums[:, None], squares]])


def column_sums(x: np.ndarray, rows: int = 1024) -> np.ndarray:
    """x.sum(axis=0) at the speed of a flat sum: NumPy adds a C-ordered n x k array row by
    row, k values at a time (42 ms at 10**6 x 10 against 11 ms for x.sum()), so the rows
    are summed `rows` at a time as one long row, then folded."""
    n, k = x.shape
    whole = n // rows * rows
    if not x.flags.c_contiguous or whole == 0 or k == 0:
        return x.sum(axis=0)
    folded = x[:whole].reshape(-1, rows * k).sum(axis=0).reshape(rows, k).sum(axis=0)
    return folded + x[whole:].sum(axis=0)


def independent(gram: np.ndarray, n: int, intercept: bool) -> bool:
    """True when design_gram `gram` of n rows shows every column far from constant,
    duplicated and collinear: each column's variance left unexplained by the earlier ones
    (and the intercept) exceeds COLLINEAR_TOL by four times the most that rounding can move
    it, here or in refuse_dependent's centred sums, which then refuses nothing. False: ask
    refuse_dependent. The bound: any sum of n products is within (n + 4k) eps sqrt(x_i'x_i
    x_j'x_j) of the true one (twice over for safety), and centring by the sums and scaling
    to a unit diagonal multiply it by rho_i rho_j, rho^2 = x'x / centred x'x (1 + mean^2 /
    variance); a column's unexplained share moves by at most slack (rho . |[-coef, 1]|)^2,
    coef its regression on the earlier columns."""
    gram = np.asarray(gram, dtype=float)
    if not np.all(np.isfinite(gram)):
        return False
    if intercept:
        squares = gram[1:, 1:]
        centred = squares - np.outer(gram[0, 1:], gram[0, 1:]) / gram[0, 0]
    else:
        squares = centred = gram
    k = len(centred)
    eps, tiny = np.finfo(float).eps, np.finfo(float).tiny
    slack = 4.0 * (n + 4 * k) * eps
    size, variance = np.diag(squares), np.diag(centred)
    if not np.all(size > n * tiny / eps):  # squares near underflow round beyond the bound
        return False
    if not np.all(variance > 4 * slack * size):  # constant (or all-zero) columns fail here
        return False
    rho = np.sqrt(size / variance)
    scale = np.sqrt(variance)
    try:
        lower = np.linalg.cholesky(centred / np.outer(scale, scale))
    except np.linalg.LinAlgError:
        return False
    rest = np.diag(lower) ** 2
    inverse = np.linalg.inv(lower)  # row j is [-coef_j, 1, 0...] / sqrt(rest_j)
    reach = np.abs(inverse) @ rho / np.abs(np.diag(inverse))
    bound = slack * (reach**2 + rest * rho**2) / (1 - slack * rho**2)
    return bool(np.all(rest > COLLINEAR_TOL + 4 * bound))


def refuse_dependent(x: np.ndarray, names: Sequence[str], intercept: bool) -> None:
    """check_columns value by value: the first constant column, then the first duplicated
    one (bytes equal), then the first collinear one, named; what independent cannot vouch
    for is decided here."""
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
