"""A table too big for one process: Parquet or CSV files read in shares, in bounded chunks,
and the formula's coding agreed by every worker before a fit.

DATA is a folder of .parquet (or .csv) files or one .parquet file. The units of work are
Parquet row groups (their row counts come from the files' metadata, no data is read) or
whole CSV files (weighed by their size). `share(rank, world)` gives each worker a
contiguous run of units with about its part of the rows, so the workers' rows, concatenated
in rank order, are the table's rows in order; a worker may get none. `chunks()` reads a
share at most `chunk_rows` rows at a time: memory is bounded by the chunk (and one row
group's encoded column pages), not by the table. A fit's passes read through
ShardedDesign.passes(), which keeps the coded chunks after the first pass when a worker's
fit within a bound the caller gives, so formulaic codes each chunk once, not every pass.

agree_design() is the sharded build_design(): every worker scans its share once for the
target's values, each column's kind and categorical levels and the missing values; the
workers combine these, and every worker then builds the SAME ModelSpec from the agreed,
sorted union of levels, so a level seen in one worker's share only still gets its column
everywhere. Transforms whose state needs every row (center(), scale(), poly() ...) are
refused. How the workers share their scans is the caller's: a `gather` (Gather) that runs
the scan on every worker and hands every worker all of them, or raises on all the first
worker's mistake, never a hang in the next collective (engines.collective.gathered; data
knows nothing of workers). Without one, the scan is this process's alone.

The scan also checks and sums a weights or trials column (as build_design checks them,
naming the file and the row), keeps a target of three values or more as its classes (coded
baseline-or-not in the spec, as studies.multiclass codes it in memory), and refuses a CSV
column that the in-memory reader would take for dates in the same words.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .. import budget
from ..config import MAX_INT64, ModelOptions, check_int
from ..errors import ConfigError, DataError, message_line
from .checks import (
    check_finite,
    check_kind,
    python_value,
    sorted_values,
    too_many_levels,
    value_text,
)
from .design import (
    ModelSpec,
    coded_spec,
    coding_notes,
    count_column,
    counted_notes,
    match_positive,
    success_column,
)
from .formula import (
    categorical_columns,
    design_width,
    formula_text,
    materialize,
    parse_formula,
    require_columns,
    used_columns,
)
from .tables import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    TableFormat,
    file_size,
    parquet_chunks,
    table_size,
    text_chunks,
)

if TYPE_CHECKING:
    import pandas

#: Rows a chunk holds by default: 10**6 rows x 20 float64 columns is 160 MB.
CHUNK_ROWS = 1_000_000
#: The kinds of column a scan tells apart (pandas' types of a chunk's column).
KIND_TEXT, KIND_BOOL, KIND_INT, KIND_FLOAT = "text", "bool", "int", "float"
#: Rows laid from Arrow's columns into X at a time: the block being written stays in cache.
COPY_ROWS = 1 << 12

T = TypeVar("T")
#: Runs a piece of work on every worker and returns every worker's result, in rank order, on
#: every worker; a LogitlabError on any worker is raised on all (the first rank's).
Gather = Callable[[Callable[[], T]], list[T]]


# --- the files and their units -----------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One unit of work: a Parquet row group (group >= 0) or a whole CSV file (group -1);
    rows from the metadata (-1 for CSV, unknown until read), weight what balances shares."""

    path: Path
    group: int
    rows: int
    weight: int


@dataclass(frozen=True)
class Shards:
    """The files of DATA, cut into units; `units` are this worker's (all of them until
    share() is called)."""

    source: Path
    kind: str  # "parquet" or "csv"
    columns: tuple[str, ...]
    units: tuple[Unit, ...]
    #: The columns as the files declare them ("x: double"; for CSV just the names).
    schema: tuple[str, ...] = ()

    @property
    def rows(self) -> int | None:
        """The rows of these units from the metadata (None for CSV: not known until read)."""
        return None if self.kind == "csv" else sum(u.rows for u in self.units)

    def share(self, rank: int, world: int) -> Shards:
        """Worker `rank` of `world`'s units: contiguous, in file order, balanced by weight
        (rows; bytes for CSV). A unit goes to the worker whose part of the total its middle
        falls in, so shares differ by at most one unit's rows; a worker may get none."""
        world = check_int("world", world, 1)
        rank = check_int("rank", rank, 0, world - 1)
        total = sum(u.weight for u in self.units) or 1
        mine, before = [], 0
        for unit in self.units:
            owner = min(int((before + unit.weight / 2) * world // total), world - 1)
            before += unit.weight
            if owner == rank:
                mine.append(unit)
        return Shards(self.source, self.kind, self.columns, tuple(mine), self.schema)

    def estimated_rows(self) -> int:
        """rows, and for CSV their bytes at the rows a byte of the first file holds
        (data.tables.table_size): for a budget, before any is read."""
        if self.rows is not None or not self.units:
            return self.rows or 0
        first = self.units[0].path
        per_byte = table_size(first).rows / max(file_size(first), 1)
        return math.ceil(per_byte * sum(u.weight for u in self.units))

    def by_file(self) -> Iterator[Shards]:
        """These units a file at a time, in order: a file's rows counted on their own."""
        from itertools import groupby

        for _, units in groupby(self.units, key=lambda unit: unit.path):
            yield Shards(self.source, self.kind, self.columns, tuple(units), self.schema)

    def files(self) -> dict[Path, list[int]]:
        """Each file of these units, in order, with its row groups (-1 for CSV): one pass
        over the units, as a folder may hold 10**4 files."""
        groups: dict[Path, list[int]] = {}
        for unit in self.units:
            groups.setdefault(unit.path, []).append(unit.group)
        return groups

    def chunks(
        self, columns: Sequence[str] | None = None, chunk_rows: int = CHUNK_ROWS
    ) -> Iterator[pandas.DataFrame]:
        """Frames of at most chunk_rows rows of `columns` (default all), from these units in
        order; DataError naming the file when one cannot be read."""
        chunk_rows = check_int("chunk_rows", chunk_rows, 1, MAX_INT64)
        columns = list(self.columns if columns is None else columns)
        for path, groups in self.files().items():  # each file opened once
            try:
                yield from _read_file(self.kind, path, groups, columns, chunk_rows)
            except DataError:
                raise
            except Exception as exc:  # pyarrow's and pandas' read errors
                raise DataError(f"cannot read {path}: {message_line(exc)}") from None


def open_shards(data: str | Path) -> Shards:
    """The units of DATA: a folder of .parquet/.pq or .csv files (one kind; listed as
    _table_files lists them) or one Parquet file. DataError, one line naming the file, for a
    missing path, an empty folder, mixed or unknown formats, an unreadable file or one that
    is not a regular file, files whose columns differ, or no rows at all."""
    path = Path(data)
    if path.is_dir():
        files = _table_files(path)
        if not files:
            raise DataError(f"{path} is an empty folder: it needs .parquet or .csv files")
    else:
        file_size(path)
        files = [path]
    kinds = {file: _kind(file) for file in files}
    if len(set(kinds.values())) > 1:
        odd = next(f for f in files if kinds[f] != kinds[files[0]])
        raise DataError(
            f"{path} mixes formats: {files[0].name} is {kinds[files[0]]}, {odd} is {kinds[odd]}; "
            "a folder must hold Parquet files only or CSV files only"
        )
    kind = kinds[files[0]]
    if not path.is_dir() and kind != "parquet":
        raise DataError(f"{path} must be a Parquet file or a folder of files, not one CSV file")
    read = _parquet_units if kind == "parquet" else _csv_units
    columns, units = None, []
    for file in files:
        names, found = read(file)
        if columns is None:
            columns, first = names, file
        elif names != columns:
            raise DataError(_mismatch(file, names, first, columns))
        units += found
    if kind == "parquet" and sum(u.rows for u in units) == 0:
        raise DataError(f"{path} holds no rows")
    names = tuple(c.split(": ")[0] for c in columns) if kind == "parquet" else columns
    return Shards(path, kind, names, tuple(units), columns)


def _table_files(folder: Path) -> list[Path]:
    """The files under folder, in path order, as Spark and Arrow list a dataset: a name
    starting with '.' or '_' is skipped with all it holds (_SUCCESS, _temporary/,
    .ipynb_checkpoints/: a job's leftovers, or its output still being written, would count
    rows twice). Whatever else is there is read, or refused (DataError naming it): a folder
    named like a table file, a link to a folder (not followed), a dangling link, a pipe.
    Walked with a stack of its own, so that no depth of folders exhausts Python's."""
    files: list[Path] = []
    pending = [iter(_entries(folder))]
    while pending:
        entry = next(pending[-1], None)
        if entry is None:
            pending.pop()
            continue
        path = Path(entry.path)
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir(follow_symlinks=False):
            if path.suffix.lower() in PARQUET_SUFFIXES + CSV_SUFFIXES:
                raise DataError(f"{path} is a folder, not a table file: rename it or move it out")
            pending.append(iter(_entries(path)))
        elif entry.is_symlink() and entry.is_dir():
            raise DataError(f"{path} is a link to a folder, which is not followed: give the folder")
        else:
            file_size(path)
            files.append(path)
    return files


def _entries(folder: Path) -> list[os.DirEntry]:
    """A folder's entries sorted by name, or DataError naming it."""
    try:
        return sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        raise DataError(f"cannot read {folder}: {exc.strerror or exc}") from None


def _kind(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise DataError(f"{file} is neither Parquet (.parquet, .pq) nor CSV (.csv)")


def _parquet_units(file: Path) -> tuple[tuple[str, ...], list[Unit]]:
    """The file's columns (with their Arrow types) and one unit per row group."""
    import pyarrow
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(file)
        schema = meta.schema_arrow
        groups = [meta.metadata.row_group(i).num_rows for i in range(meta.num_row_groups)]
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{file} is not a Parquet table: {message_line(exc)}") from None
    columns = tuple(f"{field.name}: {field.type}" for field in schema)
    return columns, [Unit(file, g, rows, rows) for g, rows in enumerate(groups) if rows]


def _csv_units(file: Path) -> tuple[tuple[str, ...], list[Unit]]:
    """The file's header and one unit for the whole file, weighed by its size."""
    import pandas

    try:
        header = pandas.read_csv(file, nrows=0)
    except pandas.errors.EmptyDataError:
        raise DataError(f"{file} is empty: a table needs a header row and data rows") from None
    except (pandas.errors.ParserError, ValueError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{file} is not a readable CSV table: {message_line(exc)}") from None
    return tuple(map(str, header.columns)), [Unit(file, -1, -1, file.stat().st_size)]


def _mismatch(file: Path, names: tuple, first: Path, columns: tuple) -> str:
    """Which column differs between two files (name or type)."""
    for i, (a, b) in enumerate(zip(columns, names, strict=False)):
        if a != b:
            return f"{file} has column {i + 1} '{b}', but {first} has '{a}': files must match"
    return f"{file} has {len(names)} columns, but {first} has {len(columns)}: files must match"


def _read_file(
    kind: str, path: Path, groups: list[int], columns: list[str], chunk_rows: int
) -> Iterator[pandas.DataFrame]:
    """The chunks of a file's row groups `groups` (Parquet) or of the whole file (CSV:
    comma-separated with decimal points, in pieces a signal can stop between)."""
    if kind == "parquet":
        yield from parquet_chunks(path, columns, chunk_rows, row_groups=groups)
    else:
        for frame in text_chunks(path, columns, chunk_rows, TableFormat(sep=",", decimal=".")):
            yield frame[columns]


# --- the agreed coding -------------------------------------------------------------------


@dataclass(frozen=True)
class ShardedDesign:
    """The design every worker builds on its share: the agreed spec, notes on the coding,
    the rows used (all workers) and dropped for a missing value, the rows each worker uses,
    the count of successes (for the MLE's start and null log-likelihood), and the missing
    values of each used column that has some (why rows were dropped).

    Rows that stand for many name their column (`weights` or `trials`, as build_design's
    Design holds them); `observations` counts the rows with their weights and `total` the
    trials (both rows_used without). A target of three values or more has its `classes`
    (sorted) and the rows of each (`class_counts`); the spec then codes it baseline-or-not
    as studies.multiclass codes it in memory."""

    spec: ModelSpec
    coding: tuple[str, ...]
    rows_used: int
    dropped: int
    rows_per_worker: tuple[int, ...]
    successes: int
    missing: Mapping[str, int] = field(default_factory=dict)
    weights: str | None = None
    trials: str | None = None
    observations: int = 0
    total: int = 0
    classes: tuple[Any, ...] = ()
    class_counts: tuple[int, ...] = ()
    _held: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return self.spec.names

    @property
    def formula(self) -> str:
        return self.spec.formula

    @property
    def counted(self) -> tuple[str, ...]:
        """The weights or trials column, when rows stand for many (else none)."""
        return tuple(c for c in (self.weights, self.trials) if c is not None)

    @property
    def intercept(self) -> bool:
        return self.spec.intercept

    @property
    def target(self) -> str:
        return self.spec.target

    @property
    def positive(self) -> Any:
        return self.spec.positive

    @property
    def negative(self) -> Any:
        return self.spec.negative

    def batches(
        self, shards: Shards, chunk_rows: int = CHUNK_ROWS, *, reuse: bool = False
    ) -> Iterator[tuple[np.ndarray, ...]]:
        """(X, y) of `shards`' rows, at most chunk_rows at a time: X float64 (C order)
        without the intercept column, coded by the agreed spec; rows with a missing value
        are left out. y is 0/1, or with `classes` each row's class as its position in them,
        or with trials its successes; rows that stand for many come as (X, y, weights,
        trials), the one not given None. When every term is a numeric Parquet column as it
        is (plain_columns) and y is 0/1, X is laid straight from Arrow's record batches,
        without pandas or formulaic.

        reuse=True (that path only): X and y are views of one buffer this design keeps,
        overwritten by the next chunk and the next call: for a consumer done with a chunk
        before it asks for the next, as fit_sharded's passes are. Memory then stays at one
        chunk, and no chunk's pages are allocated anew."""
        chunk_rows = check_int("chunk_rows", chunk_rows, 1, MAX_INT64)
        if self._laid(shards):
            yield from self._read(shards, chunk_rows, reuse)
            return
        spec = self.spec
        read = list(dict.fromkeys((spec.target, *spec.columns, *self.counted)))
        for frame in shards.chunks(read, chunk_rows):
            keep = ~frame.isna().to_numpy().any(axis=1)
            if not keep.any():
                continue
            kept = frame[keep] if not keep.all() else frame
            x, target = spec.design(kept), kept[spec.target]
            if self.classes:
                y = _class_codes(target, self.classes)
            elif self.trials is not None:
                y = target.to_numpy(dtype=np.float64)
            else:
                y = (target.to_numpy() == spec.positive).astype(np.float64)
            if not self.counted:
                yield x, y
                continue
            weights, trials = (
                None if c is None else kept[c].to_numpy(dtype=np.float64)
                for c in (self.weights, self.trials)
            )  # fmt: skip
            yield x, y, weights, trials

    def passes(
        self, shards: Shards, chunk_rows: int = CHUNK_ROWS, *, rank: int = 0, bound: float = 0.0
    ) -> Callable[[], Iterator[tuple[np.ndarray, ...]]]:
        """batches() of worker `rank`'s `shards` for a fit that reads them once a pass. The
        chunks formulaic codes are kept as the first whole pass codes them when all of this
        worker's arrays (X, y, weights or trials: float64) fit in `bound` bytes, and every
        later pass yields those same arrays, neither read nor coded again; beyond the bound
        each pass reads and codes them anew. Plain columns (plain_columns) are laid from
        Arrow into one reused buffer each pass: no coding to save, memory one chunk. The
        arrays are shared by the passes: a consumer must not write into them."""
        if self._laid(shards):
            return partial(self.batches, shards, chunk_rows, reuse=True)
        width = len(self.names) + 1 + len(self.counted)
        if 8.0 * self.rows_per_worker[rank] * width > bound:
            return partial(self.batches, shards, chunk_rows)
        kept: list[list[tuple[np.ndarray, ...]]] = []

        def read() -> Iterator[tuple[np.ndarray, ...]]:
            if kept:
                yield from kept[0]
                return
            chunks = []
            for chunk in self.batches(shards, chunk_rows):
                chunks.append(chunk)
                yield chunk
            kept.append(chunks)  # a pass left midway keeps nothing

        return read

    def _laid(self, shards: Shards) -> bool:
        """Whether batches() lays X from Arrow, without formulaic: plain columns, y 0/1."""
        return plain_columns(self.spec, shards) and not (self.classes or self.counted)

    def _read(
        self, shards: Shards, chunk_rows: int, reuse: bool
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """batches() of plain numeric columns: record batches (row groups, or parts of them)
        laid one after another into a chunk of up to chunk_rows rows, so a pass makes few
        calls however small the row groups are."""
        spec, d = self.spec, len(self.spec.names)
        size = min(chunk_rows, shards.rows or 1)
        x, y = self._buffer(size, d) if reuse else (np.empty((size, d)), np.empty(size))
        filled = 0
        for batch in _record_batches(shards, (spec.target, *spec.names), chunk_rows):
            if filled + batch.num_rows > size:
                yield x[:filled], y[:filled]
                if not reuse:
                    x, y = np.empty((size, d)), np.empty(size)
                filled = 0
            filled += _lay(batch, spec, x[filled:], y[filled:])
        if filled:
            yield x[:filled], y[:filled]

    def _buffer(self, rows: int, d: int) -> tuple[np.ndarray, np.ndarray]:
        """The reused chunk buffer (X rows x d, y), made anew when a chunk needs more rows."""
        held = self._held.get("buffer")
        if held is None or held[0].shape[0] < rows or held[0].shape[1] != d:
            held = self._held["buffer"] = (np.empty((rows, d)), np.empty(rows))
        return held[0][:rows], held[1][:rows]


def _class_codes(target: pandas.Series, classes: tuple[Any, ...]) -> np.ndarray:
    """Each row's class as its position in `classes` (float64)."""
    import pandas

    values = [python_value(v) for v in target.to_numpy()]
    return pandas.Categorical(values, categories=list(classes)).codes.astype(np.float64)


def _lay(batch: Any, spec: ModelSpec, x: np.ndarray, y: np.ndarray) -> int:
    """Write a record batch's rows into the first rows of x and y: its rows with a null or
    NaN are left out, an infinite value is refused as ModelSpec.design refuses it. The rows
    written."""
    m = batch.num_rows
    finite = _fill(x[:m], [batch.column(name) for name in spec.names])
    target = batch.column(spec.target)
    labels = target.to_numpy(zero_copy_only=False)
    absent = _absent(target, labels)
    if finite and absent is None:
        np.equal(labels, spec.positive, out=y[:m], casting="unsafe")
        return m
    keep = ~np.isnan(x[:m]).any(axis=1)  # nulls are NaN here
    if absent is not None:
        keep &= ~absent
    k = int(keep.sum())
    x[:k] = x[:m][keep]
    check_finite(x[:k], spec.names, np.arange(k))
    np.equal(labels[keep], spec.positive, out=y[:k], casting="unsafe")
    return k


def plain_columns(spec: ModelSpec, shards: Shards) -> bool:
    """Whether every term of `spec` is a numeric or true/false Parquet column taken as it is
    (no categories, interactions or transforms): then its columns of the design are the
    table's columns, read without formulaic."""
    factors = spec.factors
    if shards.kind != "parquet" or spec.transforms or not shards.units:
        return False
    if sorted(spec.names) != sorted(spec.columns) or set(factors) != set(spec.names):
        return False
    if any(state.get("kind") != "numerical" for state in factors.values()):
        return False
    import pyarrow
    import pyarrow.parquet as pq

    schema = pq.read_schema(shards.units[0].path)  # every file's, as open_shards checked
    types = pyarrow.types
    return all(
        types.is_integer(t) or types.is_floating(t) or types.is_boolean(t)
        for t in (schema.field(name).type for name in spec.names)
    )


def _record_batches(shards: Shards, columns: Sequence[str], chunk_rows: int) -> Iterator[Any]:
    """Arrow record batches of `columns` from these Parquet units in order, at most
    chunk_rows rows each, the columns decoded in parallel. One row group is scanned at a
    time: a scan of several reads ahead of a slow consumer (a Newton pass) into memory that
    grows with the file, whatever batch_readahead says."""
    import pyarrow.dataset as ds
    from pyarrow.fs import LocalFileSystem

    parquet, local = ds.ParquetFileFormat(), LocalFileSystem()
    for path, groups in shards.files().items():
        try:
            fragment = parquet.make_fragment(str(path), filesystem=local)
            fragment.ensure_complete_metadata()  # the footer, read once for every group
            for group in groups:
                yield from fragment.subset(row_group_ids=[group]).to_batches(
                    columns=list(columns), batch_size=chunk_rows, batch_readahead=0
                )
        except Exception as exc:  # pyarrow's read errors
            raise DataError(f"cannot read {path}: {message_line(exc)}") from None


def _fill(x: np.ndarray, columns: Sequence[Any]) -> bool:
    """Lay Arrow's numeric columns into the rows of x, COPY_ROWS at a time (the block being
    written stays in cache); True when every value is finite (a block's sum is: a NaN, from
    a null too, or an infinity makes it not, and so rarely does overflow)."""
    values = [_numbers(column) for column in columns]
    finite = True
    for start in range(0, len(x), COPY_ROWS):
        block = x[start : start + COPY_ROWS]
        for j, column in enumerate(values):
            block[:, j] = column[start : start + COPY_ROWS]
        finite = finite and math.isfinite(block.sum())
    return finite


def _numbers(column: Any) -> np.ndarray:
    """An Arrow integer, float or boolean column as NumPy numbers (no copy for numbers
    without nulls); nulls become NaN (and then missing)."""
    import pyarrow

    if column.null_count:
        column = column.cast(pyarrow.float64(), safe=False)
    return column.to_numpy(zero_copy_only=False)


def _absent(target: Any, labels: np.ndarray) -> np.ndarray | None:
    """The rows whose target is missing (null, or NaN for numbers), or None when none is."""
    absent = target.is_null().to_numpy(zero_copy_only=False) if target.null_count else None
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        absent = np.isnan(labels) if absent is None else absent | np.isnan(labels)
    return absent


def alone(work: Callable[[], T]) -> list[T]:
    """The Gather of one process: its own result."""
    return [work()]


def agree_design(
    shards: Shards,
    gather: Gather = alone,
    model: ModelOptions | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    **options: object,
) -> ShardedDesign:
    """build_design() for a table in shares: `shards` is this worker's share, `gather` shares
    the workers' scans (Gather; alone: one process), `model` and keywords as build_design's.
    One scan of the share, one gather, then the same ModelSpec on every worker (the columns
    build_design would make on the whole table, names included). ConfigError and DataError
    as build_design (the same on every worker); a stateful transform is refused."""
    model = ModelOptions.of(model, **options)  # checked whole: ModelOptions.__post_init__
    empty = _empty_frame(shards)
    counted = tuple(c for c in (model.weights, model.trials) if c is not None)
    features = model.features
    if features is None and model.formula is None and counted:  # every column but these
        features = [c for c in shards.columns if c != model.target and c not in counted]
    formula = formula_text(empty, model.formula, model.target, features)
    target, rhs = parse_formula(formula, empty)
    used = used_columns(rhs, empty, target)
    require_columns(empty, (target, *used, *counted))
    in_c = categorical_columns(rhs)
    columns = tuple(dict.fromkeys((target, *used, *counted)))
    scans = gather(lambda: _scan(shards, columns, in_c, chunk_rows, model))
    return _combine(scans, formula, rhs, target, used, in_c, model, chunk_rows)


def _empty_frame(shards: Shards) -> pandas.DataFrame:
    """A frame with the table's column names and no rows (for the formula's checks)."""
    import pandas

    return pandas.DataFrame(columns=list(shards.columns))


def _scan(
    shards: Shards, columns: Sequence[str], in_c: set[str], chunk_rows: int, model: ModelOptions
) -> dict[str, Any]:
    """One pass over a share: rows, complete rows, missing values per column, each column's
    kinds, the distinct values of the target and of categorical columns (up to max_levels +
    1 of them: more is refused anyway), and the complete rows per value of the target
    (their weights' sum with weights). With trials, the target's successes and the trials
    summed instead, each checked as build_design checks them (DataError naming the file and
    the row). ConfigError first when the passes of a fit would make too many reads
    (budget.reads)."""
    budget.reads(shards.estimated_rows(), len(shards.units), chunk_rows, len(shards.files()))
    found = {"rows": 0, "complete": 0, "gaps": dict.fromkeys(columns, 0),
             "kinds": {c: set() for c in columns}, "values": {c: set() for c in columns},
             "tally": {}, "successes": 0.0, "total": 0.0}  # fmt: skip
    for share in shards.by_file():
        try:
            _scan_file(share, columns, in_c, chunk_rows, model, found)
        except DataError as exc:
            if model.weights is None and model.trials is None:
                raise
            raise DataError(f"{share.units[0].path}: {exc}") from None
    return found


def _first_row(share: Shards) -> int:
    """The position in its file of a share's first row: the file's rows in the row groups
    before the share's first (Parquet metadata, no data read); 0 for CSV."""
    first = share.units[0]
    if first.group <= 0:
        return 0
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(first.path).metadata
    return sum(meta.row_group(g).num_rows for g in range(first.group))


def _scan_file(
    share: Shards,
    columns: Sequence[str],
    in_c: set[str],
    chunk_rows: int,
    model: ModelOptions,
    found: dict[str, Any],
) -> None:
    """_scan's sums over one file's units, added to `found`; the rows of weights and trials
    named by their position in the file."""
    import pandas

    gaps, kinds, values, tally = found["gaps"], found["kinds"], found["values"], found["tally"]
    cap = max(model.max_levels, 2) + 1
    start = _first_row(share) if model.weights or model.trials else 0
    for frame in share.chunks(columns, chunk_rows):
        positions = start + np.arange(len(frame))
        start += len(frame)
        found["rows"] += len(frame)
        absent = frame.isna().to_numpy()
        for j, name in enumerate(columns):
            gaps[name] += int(absent[:, j].sum())
            if not absent[:, j].all():
                check_kind(frame[name], name)
                kinds[name].add(_kind_of(frame[name]))
                if share.kind == "csv" and _kind_of(frame[name]) == KIND_TEXT:
                    _check_text_kind(frame[name], name)
        keep = ~absent.any(axis=1)
        found["complete"] += int(keep.sum())
        kept, rows = frame[keep], positions[keep]
        for name in columns:
            wanted = name == columns[0] and model.trials is None
            if (wanted or name in in_c or _categorical(kinds[name])) and len(values[name]) <= cap:
                values[name] |= {python_value(v) for v in pandas.unique(kept[name])}
        if model.trials is not None:
            found["successes"] += float(success_column(kept, columns[0], model.trials, rows).sum())
            found["total"] += float(count_column(kept, model.trials, rows, "trials").sum())
            continue
        if model.weights is None:
            counts = kept[columns[0]].value_counts()
        else:
            weights = count_column(kept, model.weights, rows)
            counts = pandas.Series(weights).groupby(kept[columns[0]].to_numpy()).sum()
        for value, count in zip(counts.index, counts.to_numpy(), strict=True):
            key = python_value(value)
            if key in tally or len(tally) < cap:
                tally[key] = tally.get(key, 0) + int(count)


def _check_text_kind(column: pandas.Series, name: str) -> None:
    """A CSV column read here as text (pandas' C reader, in chunks) that the reader of a
    table held in memory (pyarrow's, data.tables) types as dates or times is refused as
    check_kind refuses it there, in the same words: its distinct values are typed by
    pyarrow's CSV inference, which takes a column as dates when all of them read as dates."""
    import io

    import pandas

    values = pandas.Series(pandas.unique(column.dropna())).astype(str)
    text = values.to_csv(index=False, header=False)
    typed = pandas.read_csv(io.StringIO(text), header=None, names=[name], engine="pyarrow")
    check_kind(typed[name], name)


def _kind_of(series: pandas.Series) -> str:
    import pandas

    if pandas.api.types.is_bool_dtype(series):
        return KIND_BOOL
    if pandas.api.types.is_integer_dtype(series):
        return KIND_INT
    if pandas.api.types.is_float_dtype(series):
        return KIND_FLOAT
    if pandas.api.types.infer_dtype(series, skipna=True) == "decimal":  # Parquet's: numbers
        return KIND_FLOAT
    return KIND_TEXT


def _categorical(kinds: set[str]) -> bool:
    return bool(kinds & {KIND_TEXT, KIND_BOOL})


def _combine(
    scans: list[dict[str, Any]],
    formula: str,
    rhs: Any,
    target: str,
    used: tuple[str, ...],
    in_c: set[str],
    model: ModelOptions,
    chunk_rows: int,
) -> ShardedDesign:
    """The agreed design from every worker's scan (the same on every worker), refused when
    coding a chunk (or the rows holding every level) does not fit the budget."""
    missing, max_levels = model.missing, model.max_levels
    counted = tuple(c for c in (model.weights, model.trials) if c is not None)
    columns = tuple(dict.fromkeys((target, *used, *counted)))
    rows = sum(s["rows"] for s in scans)
    complete = [s["complete"] for s in scans]
    if rows == 0:
        raise DataError("the table has no rows")
    gaps = {c: sum(s["gaps"][c] for s in scans) for c in columns}
    if missing == "error" and any(gaps.values()):
        name = next(c for c in columns if gaps[c])
        raise DataError(
            f"column {name!r} has {gaps[name]} missing value(s); drop those rows "
            "(--missing drop) or fill them in"
        )
    if sum(complete) == 0:
        worst = max(columns, key=lambda c: gaps[c])
        raise DataError(
            f"every row has a missing value in a used column (most in {worst!r}): no data left"
        )
    kinds = {c: set().union(*(s["kinds"][c] for s in scans)) for c in columns}
    values = {c: set().union(*(s["values"][c] for s in scans)) for c in columns}
    levels = {c: sorted_values(list(values[c])) for c in columns}
    y_values, tally = levels[target], _tally(scans)
    classes: tuple[Any, ...] = ()
    if model.trials is not None:  # build_design's names for grouped rows
        success, failure = "success", "failure"
    elif len(y_values) < 2 or len(y_values) > max(max_levels, 2):
        listed = ", ".join(map(value_text, y_values[:5]))
        more = ", ..." if len(y_values) > 5 else ""
        raise DataError(
            f"target {target!r} must take exactly two values, got 1: {listed}"
            if len(y_values) < 2 else f"target {target!r} takes more than {max(max_levels, 2)} "
            f"values ({listed}{more}), one class each: more classes than max levels allows"
        )  # fmt: skip
    elif len(y_values) > 2:  # coded baseline-or-not, as studies.multiclass codes it
        classes, success, failure = tuple(y_values), True, False
    else:
        positive = model.positive
        success = y_values[1] if positive is None else match_positive(positive, y_values, target)
        failure = y_values[0] if success == y_values[1] else y_values[1]
    for name in used:
        if (name in in_c or _categorical(kinds[name])) and len(levels[name]) > max_levels:
            raise DataError(too_many_levels(f"column {name!r}", len(levels[name]), max_levels))
    counts = {c: len(levels[c]) for c in used if c in in_c or _categorical(kinds[c])}
    held = max(2, *counts.values(), min(chunk_rows, max(complete)))
    width = design_width(rhs, counts)
    cost = budget.design(max(complete), width, held=held)
    budget.check(cost, "coding this table", budget.FEWER_TABLE)
    prototype = _prototype(used, kinds, levels, in_c)
    spec = _spec(formula, rhs, target, success, failure, used, prototype, max_levels)
    coding = counted_notes(coding_notes(spec, prototype, used), target, model)
    observations = sum(tally.values()) if model.weights else sum(complete)
    if observations == 0:
        raise DataError("weights are 0 for every row: there is no row to fit")
    grouped = model.trials is not None
    return ShardedDesign(
        spec=spec,
        coding=coding,
        rows_used=sum(complete),
        dropped=rows - sum(complete),
        rows_per_worker=tuple(complete),
        successes=round(sum(s["successes"] for s in scans)) if grouped else tally.get(success, 0),
        missing=dict(sorted(((c, n) for c, n in gaps.items() if n), key=lambda cn: -cn[1])),
        weights=model.weights,
        trials=model.trials,
        observations=observations,
        total=round(sum(s["total"] for s in scans)) if grouped else observations,
        classes=classes,
        class_counts=tuple(tally.get(c, 0) for c in classes),
    )


def _tally(scans: list[dict[str, Any]]) -> dict[Any, int]:
    """The complete rows (or their weights) per value of the target, over every scan."""
    tally: dict[Any, int] = {}
    for scan in scans:
        for value, count in scan["tally"].items():
            tally[value] = tally.get(value, 0) + count
    return tally


def _prototype(
    used: tuple[str, ...], kinds: dict[str, set[str]], levels: dict[str, list], in_c: set[str]
) -> pandas.DataFrame:
    """A few rows holding every agreed level of every categorical column, with the types
    the table's columns have: the formula coded on it has the whole table's columns."""
    import pandas

    categorical = {c for c in used if c in in_c or _categorical(kinds[c])}
    size = max([2, *(len(levels[c]) for c in categorical)])
    data = {}
    for name in used:
        kind = kinds[name]
        if name in categorical:
            cycle = levels[name] or [0]
            column = [cycle[i % len(cycle)] for i in range(size)]
            data[name] = pandas.Series(column, dtype=_dtype(kind) if kind != {KIND_TEXT} else None)
        else:
            data[name] = pandas.Series(np.ones(size), dtype=_dtype(kind))
    return pandas.DataFrame(data)


def _dtype(kinds: set[str]) -> str | None:
    """The pandas type a column of these chunk kinds has when the chunks are concatenated."""
    if kinds == {KIND_BOOL}:
        return "bool"
    if kinds == {KIND_INT}:
        return "int64"
    if kinds <= {KIND_INT, KIND_FLOAT}:
        return "float64"
    return None  # text, or a mixture: pandas' object/str


def _spec(
    formula: str,
    rhs: Any,
    target: str,
    success: Any,
    failure: Any,
    used: tuple[str, ...],
    prototype: pandas.DataFrame,
    max_levels: int,
) -> ModelSpec:
    """The ModelSpec formulaic makes of the prototype rows, as build_design makes it."""
    matrix = materialize(rhs, prototype)
    spec_f = matrix.model_spec
    if spec_f.transform_state:
        listed = ", ".join(sorted(spec_f.transform_state))
        raise ConfigError(
            f"{listed} needs every row of the table at once (its state, such as a mean, comes "
            "from all rows), which a table read in shares does not have; transform the column "
            "before sharding, or leave the transform out"
        )
    return coded_spec(
        spec_f,
        formula=formula,
        target=target,
        positive=success,
        negative=failure,
        columns=used,
        max_levels=max_levels,
    )


__all__ = [
    "CHUNK_ROWS",
    "Gather",
    "ShardedDesign",
    "Shards",
    "Unit",
    "agree_design",
    "alone",
    "open_shards",
]
