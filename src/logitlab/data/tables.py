"""Tables in: CSV, TSV, Parquet and Excel files read whole into a pandas DataFrame, or refused.

The reader is chosen by the file's extension (pandas with pyarrow's fast CSV engine, Parquet
through pyarrow, an .xlsx workbook's sheet through openpyxl); any other extension is read as
delimited text. Text has its delimiter and decimal mark sniffed unless given (TableFormat), so
a European CSV (';' between values, decimal commas) reads as it is; the guess can be named.
Every way a file can fail (missing, a folder, unreadable, empty, binary, not the format its
name says, one column) becomes one DataError naming the file, never a parser's traceback.
Text columns stay strings, ready for formula coding; numbers stay int64/float64.

The work is bounded: a table is held in memory whole, so a file (or, for Parquet, what its
columns take in memory) above `max_bytes` is refused before it is read. Only the columns a
model uses need be read (`columns`), and what they will take is known before (table_size:
from the Parquet metadata, or the text's size and first lines), for the budget of a fit.
"""

from __future__ import annotations

import csv
import io
import math
import mmap
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..budget import format_bytes
from ..config import MAX_INT64, check_int, listed, repeated, shown
from ..errors import ConfigError, DataError, message_line
from ..stopping import per_block

if TYPE_CHECKING:
    import pandas

#: Extensions and the reader each selects; anything else is delimited text, delimiter sniffed.
CSV_SUFFIXES = (".csv",)
TSV_SUFFIXES = (".tsv", ".tab", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: The first bytes of a zip file, as an .xlsx workbook is (a pipe has no name to tell it).
ZIP_MAGIC = b"PK\x03\x04"
#: The first bytes of a Parquet file (a pipe has no name to tell its format).
PARQUET_MAGIC = b"PAR1"
#: The blocks pyarrow's CSV reader parses (its default): a row longer than one ends the read
#: with an error, and then, with torch loaded, the process with SIGABRT as it exits.
ARROW_BLOCK_BYTES = 1 << 20
#: Delimiters a text table may use: the first that splits its lines alike is taken (a tab
#: first for a .tsv, .tab or .txt file).
SNIFFED_DELIMITERS = ",;\t|"
#: Decimal marks a text table may use; a comma only where values are not separated by one.
DECIMAL_MARKS = ".,"
#: A number written with a decimal comma or point, as the sniffer counts them.
DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+([eE][+-]?\d+)?")
DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+([eE][+-]?\d+)?")
#: The largest table read whole by default: 4 GB of CSV is ~2 * 10**8 numbers, ~1.6 GB as
#: float64 in memory (a 10**7 x 20 table); more is a job for a streaming reader.
MAX_TABLE_BYTES = 4 * 10**9
#: How much of a text file is looked at to tell text from binary and to sniff the delimiter,
#: and, after its header, to estimate its rows and the kinds of its columns.
SAMPLE_BYTES = 64 * 1024
#: The longest header row read: 10**6 columns of 15 characters.
HEADER_BYTES = 16 * 10**6
#: Bytes of memory a value of a column takes while it is read, besides a text's characters:
#: Arrow's column and pandas' side by side, 8 bytes each (int64/float64; a text's offset).
VALUE_BYTES = 2 * 8
#: Bytes a cell of a sheet takes while pandas reads it through openpyxl (Python objects in
#: lists, then an object column), every column of the sheet read: ~105 measured, with room.
EXCEL_CELL_BYTES = 160
#: The fewest bytes of sheet XML a cell takes ('<c><v>1</v></c>'): the most cells a sheet can
#: hold, when its own dimension does not say.
EXCEL_CELL_XML = 16
#: Parsing a text value costs about this many values of compiled work: pandas' parser reads
#: a piece in one call, which a signal cannot cut, so text is read per_block(CSV_COST *
#: columns) rows at a time at most (~0.2 s), whatever chunk_rows asks (stopping.py).
CSV_COST = 4


@dataclass(frozen=True)
class TableSize:
    """What reading a table's columns will take, known before reading it: its rows (for
    text, estimated from the length of the lines after the header), the columns to read,
    and the memory the read holds at its peak (bytes)."""

    rows: int
    columns: tuple[str, ...]
    bytes: float


@dataclass(frozen=True)
class TableFormat:
    """How a table file is written, where its extension does not say it all: a text
    table's delimiter (sep) and decimal mark, a workbook's sheet (its name, or its number
    from 1). None: sniffed from the text's first lines; the first sheet."""

    sep: str | None = None
    decimal: str | None = None
    sheet: str | int | None = None

    def __post_init__(self) -> None:
        if self.sep is not None and (len(self.sep) != 1 or self.sep in '\r\n"0123456789'):
            raise ConfigError(f"sep must be one character that is not a digit, a quote or a "
                              f"line break, got {shown(self.sep)}")  # fmt: skip
        if self.decimal is not None and self.decimal not in DECIMAL_MARKS:
            raise ConfigError(f"decimal must be '.' or ',', got {shown(self.decimal)}")
        if self.sep is not None and self.sep == self.decimal:
            raise ConfigError(f"sep and decimal must differ, got {self.sep!r} for both")
        if isinstance(self.sheet, bool) or not isinstance(self.sheet, str | int | None):
            raise ConfigError(f"sheet must be a sheet's name or number, got {shown(self.sheet)}")


def table_format(path: str | Path, given: TableFormat = TableFormat()) -> TableFormat:
    """`given` with what it leaves open found: a text table's delimiter and decimal mark
    sniffed from its first lines (_sniff), a workbook's sheet named (the first by default);
    DataError for a sheet the workbook does not have, or a setting its kind of file has not."""
    path = Path(path)
    size = file_size(path)
    suffix = path.suffix.lower()
    text = suffix not in PARQUET_SUFFIXES + EXCEL_SUFFIXES
    if not text and (given.sep is not None or given.decimal is not None):
        raise DataError(f"{path} is not a text table: a delimiter or decimal mark (--sep, "
                        "--decimal) applies to CSV and TSV files only")  # fmt: skip
    if suffix in EXCEL_SUFFIXES:
        return replace(given, sheet=_sheet_name(path, given.sheet))
    if given.sheet is not None:
        raise DataError(f"{path} is not a workbook: a sheet (--sheet) applies to .xlsx only")
    if not text or (given.sep is not None and given.decimal is not None):
        return given
    sample = _text_sample(path)
    if size > len(sample):  # a last line cut by the sample's end left out
        sample = sample[: sample.rfind("\n") + 1] or sample
    sep = given.sep or _sniff(sample, ("\t" if suffix in TSV_SUFFIXES else "") + SNIFFED_DELIMITERS)
    return replace(given, sep=sep, decimal=given.decimal or _decimal_mark(sample, sep))


def format_words(path: str | Path, given: TableFormat, used: TableFormat) -> str | None:
    """One line naming what table_format guessed (`used` beyond `given`), when that is not
    what the extension says on its own (a comma between values, a tab in a .tsv, decimal
    points): "read t.csv as ';'-separated with ',' decimals"; the first of several sheets."""
    path = Path(path)
    suffix = path.suffix.lower()
    if given == used:
        return None
    if suffix in EXCEL_SUFFIXES:
        sheets = _sheet_names(path)
        if given.sheet is not None or len(sheets) < 2:
            return None
        return f"read sheet {used.sheet!r} of {path} ({len(sheets)} sheets: {listed(sheets)})"
    if suffix in PARQUET_SUFFIXES:
        return None
    plain = "\t" if suffix in TSV_SUFFIXES else ","
    if (used.sep, used.decimal) == (plain, "."):
        return None
    return f"read {path} as {used.sep!r}-separated with {used.decimal!r} decimals"


def read_table(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    max_bytes: int = MAX_TABLE_BYTES,
    fmt: TableFormat = TableFormat(),
) -> pandas.DataFrame:
    """Read a CSV (.csv), TSV (.tsv, .tab, .txt), Parquet (.parquet, .pq) or Excel (.xlsx,
    one sheet) file; any other extension is read as delimited text.

    A pipe is read once into a temporary file, at most max_bytes.

    Parameters
    ----------
    path : str or Path
        The file, or a pipe.
    columns : sequence of str, optional
        Read only these (in the file's order): the header is checked whole, the other
        columns are skipped. All columns when None.
    max_bytes : int, default MAX_TABLE_BYTES
        The largest file read.
    fmt : TableFormat, default TableFormat()
        A text table's delimiter and decimal mark, a workbook's sheet; what it leaves None
        is sniffed from the text's first lines (table_format), or the first sheet.

    Returns
    -------
    pandas.DataFrame
        The table, its header's names as the file has them.

    Raises
    ------
    DataError
        On one line naming the file: when it cannot be read, holds no table of at least
        2 columns (1 when columns are given) and 1 row, or is larger than max_bytes.
    """
    max_bytes = check_int("max_bytes", max_bytes, 1)
    path = Path(path)
    if is_pipe(path):
        with _spooled(path, max_bytes) as copy:
            try:
                return read_table(copy, columns=columns, max_bytes=max_bytes, fmt=fmt)
            except DataError as exc:  # named as the user named it
                raise DataError(str(exc).replace(str(copy), str(path))) from None
    size = file_size(path)
    if size > max_bytes:
        raise DataError(_too_large(path, size, max_bytes))
    if size == 0:
        raise DataError(f"{path} is empty: a table needs a header row and data rows")
    fmt = table_format(path, fmt)
    wanted = wanted_columns(path, table_columns(path, fmt), columns)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        frame = _read_parquet(path, max_bytes, wanted)
    elif suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path, max_bytes, wanted, fmt)
    else:
        frame = _read_text(path, wanted, fmt)
    return _checked(frame, path, at_least=2 if columns is None else 1)


def read_chunks(
    path: str | Path,
    *,
    columns: Sequence[str],
    chunk_rows: int,
    fmt: TableFormat = TableFormat(),
    text: Sequence[str] = (),
    max_bytes: int = MAX_TABLE_BYTES,
) -> Iterator[pandas.DataFrame]:
    """read_table's `columns` in frames of at most chunk_rows rows, in order, so that memory
    holds a chunk, not the table: text and Parquet streamed from disk; a workbook's sheet
    (at most 2**20 rows) read whole within max_bytes, then cut; a pipe copied to a temporary
    file first (at most max_bytes). The `text` columns of a text table are kept as written
    (an ID 007 stays '007'). DataError as read_table's, before the first chunk, and for a
    table without data rows."""
    chunk_rows = check_int("chunk_rows", chunk_rows, 1, MAX_INT64)
    max_bytes = check_int("max_bytes", max_bytes, 1)
    path = Path(path)
    if is_pipe(path):
        with _spooled(path, max_bytes) as copy:
            try:
                yield from read_chunks(copy, columns=columns, chunk_rows=chunk_rows, fmt=fmt,
                                       text=text, max_bytes=max_bytes)  # fmt: skip
            except DataError as exc:  # named as the user named it
                raise DataError(str(exc).replace(str(copy), str(path))) from None
        return
    if file_size(path) == 0:
        raise DataError(f"{path} is empty: a table needs a header row and data rows")
    fmt = table_format(path, fmt)
    wanted = wanted_columns(path, table_columns(path, fmt), columns)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        sheet = _read_excel(path, max_bytes, wanted, fmt)
        pieces = (
            sheet.iloc[start : start + chunk_rows] for start in range(0, len(sheet), chunk_rows)
        )
    elif suffix in PARQUET_SUFFIXES:
        pieces = parquet_chunks(path, wanted, chunk_rows)
    else:
        pieces = text_chunks(path, wanted, chunk_rows, fmt, [c for c in text if c in wanted])
    rows = 0
    try:
        for piece in pieces:
            rows += len(piece)
            piece.columns = [str(name) for name in piece.columns]
            yield piece
    except DataError:
        raise
    except Exception as exc:  # pandas' and pyarrow's read errors, met part way
        raise DataError(f"{path} is not a readable table: {message_line(exc)}") from None
    if rows == 0:
        raise DataError(f"{path} has a header but no data rows")


def parquet_chunks(
    path: Path, columns: Sequence[str], chunk_rows: int, row_groups: Sequence[int] | None = None
) -> Iterator[pandas.DataFrame]:
    """The `columns` of a Parquet file's row groups (default: all), at most chunk_rows rows
    at a time; memory holds a chunk and one row group's encoded pages. Not pre-buffered:
    pyarrow's read-ahead held ~300 MB more of a 10-column file of 10 row groups, and was
    slower from a local disk (0.81 s against 0.52 s for 3 million rows)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path, pre_buffer=False) as file:
        for batch in file.iter_batches(chunk_rows, row_groups=row_groups, columns=list(columns)):
            yield batch.to_pandas()


def text_chunks(
    path: Path,
    columns: Sequence[str],
    chunk_rows: int,
    fmt: TableFormat,
    text: Sequence[str] = (),
) -> Iterator[pandas.DataFrame]:
    """The `columns` of a text table in fmt's delimiter and decimal mark, at most chunk_rows
    rows at a time and at most per_block(CSV_COST * columns), so that a signal is never held
    long; by the C engine, which takes rows of any length. `text` columns as written."""
    import pandas

    rows = min(chunk_rows, per_block(CSV_COST * max(len(columns), 1)))
    with pandas.read_csv(path, sep=fmt.sep or ",", decimal=fmt.decimal or ".",
                         usecols=list(columns), dtype=dict.fromkeys(text, str) or None,
                         chunksize=rows) as reader:  # fmt: skip
        yield from reader


def table_columns(path: str | Path, fmt: TableFormat = TableFormat()) -> tuple[str, ...]:
    """The column names of a table file, from its header, Parquet schema or sheet's first
    row alone; DataError for a file read_table cannot read, or a name given to more than
    one column."""
    path = Path(path)
    if file_size(path) == 0:
        raise DataError(f"{path} is empty: a table needs a header row and data rows")
    fmt = table_format(path, fmt)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        names = _parquet_file(path).schema_arrow.names
    elif suffix in EXCEL_SUFFIXES:
        names = _sheet_header(path, fmt.sheet)
    else:
        names = _text_head(path, fmt.sep).names
    twice = repeated(names)
    if twice:
        raise DataError(f"{path} has more than one column named {', '.join(map(repr, twice))}")
    return tuple(names)


def table_size(
    path: str | Path, columns: Sequence[str] | None = None, fmt: TableFormat = TableFormat()
) -> TableSize:
    """What read_table(path, columns=columns, fmt=fmt) will hold, from the Parquet metadata
    (rows, each column's width, the uncompressed size and value lengths of its pages), the
    text's first lines (the rows its size holds, each column a number or a text of that
    length) or a sheet's dimension (every cell of its rows at EXCEL_CELL_BYTES, as pandas
    reads them all, and the workbook's shared texts), every value kept at VALUE_BYTES plus
    its characters; no data read beyond SAMPLE_BYTES."""
    path = Path(path)
    fmt = table_format(path, fmt)
    names = table_columns(path, fmt)
    wanted = wanted_columns(path, names, columns)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        rows, cells, texts = _sheet_extent(path, fmt.sheet, len(names))
        read = rows * len(wanted) * VALUE_BYTES + cells * EXCEL_CELL_BYTES + 2 * texts
        return TableSize(rows, wanted, read)
    if suffix in PARQUET_SUFFIXES:
        rows, lengths = _parquet_lengths(path, wanted)
    else:
        rows, lengths = _text_lengths(path, wanted, fmt)
    return TableSize(rows, wanted, rows * sum(VALUE_BYTES + 2 * n for n in lengths))


def wanted_columns(
    path: Path, names: tuple[str, ...], columns: Sequence[str] | None
) -> tuple[str, ...]:
    """The columns to read, in the file's order (all of them for None); DataError naming a
    column the file does not have."""
    if columns is None:
        return names
    chosen = set(columns)
    missing = chosen.difference(names)
    if missing:
        plural = "s" * (len(missing) > 1)
        raise DataError(f"{path} has no column{plural} {listed(sorted(missing))}; its columns: "
                        f"{listed(names)}")  # fmt: skip
    return tuple(name for name in names if name in chosen)


def _parquet_file(path: Path) -> object:
    """pyarrow's ParquetFile (metadata and schema read, no data), or DataError."""
    import pyarrow
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{path} is not a Parquet table: {message_line(exc)}") from None


def _parquet_lengths(path: Path, columns: tuple[str, ...]) -> tuple[int, list[float]]:
    """The rows and, per column, the characters a value holds beyond VALUE_BYTES: a
    fixed-width value none; text the largest of what its uncompressed pages hold and the
    mean length of its smallest and largest values (a dictionary-encoded column of long
    texts is small on disk, yet decoded in full when read)."""
    file = _parquet_file(path)
    meta = file.metadata  # type: ignore[attr-defined]
    rows = meta.num_rows
    schema = file.schema_arrow  # type: ignore[attr-defined]
    fixed = {field.name for field in schema if _width(_decoded(field.type))}
    pages = dict.fromkeys(columns, 0)
    longest = dict.fromkeys(columns, 0.0)
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            chunk = group.column(j)
            name = chunk.path_in_schema.split(".")[0]
            if name in pages:
                pages[name] += chunk.total_uncompressed_size
                longest[name] = max(longest[name], _mean_length(chunk))
    return rows, [
        0.0 if name in fixed else max(pages[name] / max(rows, 1), longest[name]) for name in columns
    ]


def _decoded(kind: Any) -> Any:
    """The type of a column's values once read: a dictionary-encoded column's values'."""
    import pyarrow

    return kind.value_type if pyarrow.types.is_dictionary(kind) else kind


def _mean_length(chunk: Any) -> float:
    """The mean length of a text column chunk's smallest and largest values (0 without, or
    for a type whose statistics pyarrow cannot give)."""
    import pyarrow

    try:
        statistics = chunk.statistics
        ends = (statistics.min, statistics.max) if statistics and statistics.has_min_max else ()
    except (pyarrow.ArrowException, ValueError):
        return 0.0
    if not ends or not all(isinstance(end, str | bytes) for end in ends):
        return 0.0
    return sum(len(end) for end in ends) / 2


def _text_lengths(
    path: Path, columns: tuple[str, ...], fmt: TableFormat
) -> tuple[int, list[float]]:
    """The rows a text table holds, estimated from its size and the lines after the header,
    and per column the characters a value holds beyond VALUE_BYTES: none for a number
    (in fmt's decimal mark), the mean length of the sampled values for text."""
    head = _text_head(path, fmt.sep)
    lines = head.lines
    rows = len(lines)
    if not head.complete:
        per_line = head.line_bytes / max(rows, 1)
        rows = math.ceil((file_size(path) - head.header_bytes) / per_line)
    where = {name: j for j, name in enumerate(head.names)}
    lengths = []
    for name in columns:
        values = [line[where[name]] for line in lines if where[name] < len(line)]
        text = [v for v in values if v and not _is_number(v.replace(fmt.decimal, "."))]
        lengths.append(sum(map(len, text)) / len(text) if text else 0.0)
    return rows, lengths


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def file_size(path: Path) -> int:
    """The size of a readable regular file, or DataError saying why it cannot be read. The
    kind of file is looked at before it is opened: opening a pipe waits for a writer, maybe
    forever, and a pipe or device has no size to check a budget against."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise DataError(
                f"{path} is a symbolic link to {os.readlink(path)}, which does not exist"
            ) from None
        raise DataError(f"{path} does not exist") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{path} is a folder, not a table file")
    if not stat.S_ISREG(info.st_mode):
        what = "a pipe" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise DataError(
            f"{path} is {what}, not a regular file; tables are read from files: save it "
            "to a file first"
        )
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    return info.st_size


def _too_large(path: Path, size: float, max_bytes: int) -> str:
    return (
        f"{path} holds {format_bytes(size)} of data, above the {format_bytes(max_bytes)} "
        "a table may take in memory (read_table's max_bytes); read it in shares (logitlab "
        "fit --chunk-rows), or keep only the columns you need (a Parquet file of them is "
        "smaller and faster)"
    )


def _read_parquet(path: Path, max_bytes: int, columns: tuple[str, ...]) -> pandas.DataFrame:
    """`columns` of a Parquet file through pyarrow, the memory they take (table_size)
    checked against max_bytes first."""
    import pyarrow
    import pyarrow.parquet as pq

    data_bytes = table_size(path, columns).bytes
    if data_bytes > max_bytes:
        raise DataError(_too_large(path, data_bytes, max_bytes))
    try:
        return pq.read_table(path, columns=list(columns)).to_pandas()
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{path} is not a Parquet table: {message_line(exc)}") from None


def _width(kind: object) -> int:
    """Bytes a value of a fixed-width Arrow type takes in memory (0 for text and such)."""
    try:
        return max(kind.bit_width // 8, 1)  # type: ignore[attr-defined]
    except ValueError:  # not fixed-width
        return 0


def _read_text(path: Path, columns: tuple[str, ...], fmt: TableFormat) -> pandas.DataFrame:
    """`columns` of delimited text, in fmt's delimiter and decimal mark."""
    import pandas

    try:
        return pandas.read_csv(path, sep=fmt.sep, decimal=fmt.decimal, engine=_engine(path),
                               usecols=columns)  # fmt: skip
    except pandas.errors.EmptyDataError:
        raise DataError(f"{path} is empty: a table needs a header row and data rows") from None
    except (pandas.errors.ParserError, ValueError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path} is not a readable table: {message_line(exc)}") from None


def _read_excel(
    path: Path, max_bytes: int, columns: tuple[str, ...], fmt: TableFormat
) -> pandas.DataFrame:
    """`columns` of fmt's sheet through openpyxl, what the read takes (table_size) checked
    against max_bytes first. Header cells are names as text ('2024', not 2024), as in a
    CSV file's header."""
    import pandas

    data_bytes = table_size(path, columns, fmt).bytes
    if data_bytes > max_bytes:
        raise DataError(_too_large(path, data_bytes, max_bytes))
    try:
        frame = pandas.read_excel(path, sheet_name=fmt.sheet, engine="openpyxl")
    except Exception as exc:  # openpyxl's and zipfile's many ways to fail
        raise DataError(f"{path} is not a readable workbook: {message_line(exc)}") from None
    frame.columns = [str(name) for name in frame.columns]
    return frame[list(columns)]


def _workbook(path: Path) -> Any:
    """openpyxl's read-only workbook (its sheets' names and dimensions, no cells read), or
    DataError; the caller closes it."""
    try:
        import openpyxl
    except ImportError:
        raise DataError(f"{path} is an Excel workbook, read with openpyxl, which is not "
                        "installed: pip install openpyxl") from None  # fmt: skip
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl's and zipfile's many ways to fail
        raise DataError(f"{path} is not a readable workbook: {message_line(exc)}") from None


def _sheet_names(path: Path) -> list[str]:
    book = _workbook(path)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _sheet_name(path: Path, sheet: str | int | None) -> str:
    """The name of a workbook's sheet given by name or by number from 1 (the first for
    None); DataError naming the sheets there are."""
    names = _sheet_names(path)
    if sheet is None and names:
        return names[0]
    if sheet in names:
        return str(sheet)
    number = int(sheet) if isinstance(sheet, int) or str(sheet).isdigit() else 0
    if 1 <= number <= len(names):
        return names[number - 1]
    raise DataError(f"{path} has no sheet {sheet!r}; its sheets, numbered from 1: "
                    f"{listed(names)}")  # fmt: skip


def _sheet_header(path: Path, sheet: str) -> list[str]:
    """A sheet's first row as the column names pandas gives it: a cell's text ('2024' for
    a number), 'Unnamed: j' for an empty one (j from 0)."""
    book = _workbook(path)
    try:
        first = next(book[sheet].iter_rows(max_row=1, values_only=True), ())
    except Exception as exc:  # openpyxl's and zipfile's many ways to fail
        raise DataError(f"{path} is not a readable workbook: {message_line(exc)}") from None
    finally:
        book.close()
    return [f"Unnamed: {j}" if cell is None else str(cell) for j, cell in enumerate(first)]


def _sheet_extent(path: Path, sheet: str, columns: int) -> tuple[int, int, int]:
    """A sheet's data rows and cells, from its dimension, or at most what its XML can hold
    when it has none, and the characters of the workbook's shared texts (openpyxl holds
    them all); from the workbook's directory, no cell read."""
    import zipfile

    book = _workbook(path)
    try:
        part = book[sheet]._worksheet_path  # the sheet's XML in the zip (openpyxl's name)
        rows, width = book[sheet].max_row, book[sheet].max_column
    finally:
        book.close()
    with zipfile.ZipFile(path) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
    if not rows or not width:
        width = max(columns, 1)
        rows = sizes.get(part, 0) // (EXCEL_CELL_XML * width) + 1
    return rows - 1, rows * width, sizes.get("xl/sharedStrings.xml", 0)


@dataclass(frozen=True)
class _Head:
    """A text table's first lines: the header's names and bytes (blank lines before it
    included), the rows of the whole lines in the SAMPLE_BYTES after it and their bytes,
    and whether those are all the rows."""

    names: list[str]
    header_bytes: int
    lines: list[list[str]]
    line_bytes: int
    complete: bool


def _text_head(path: Path, delimiter: str) -> _Head:
    """The header and the first rows of a text table, DataError when they cannot be read."""
    with path.open("rb") as handle:
        skipped, header = 0, handle.readline(HEADER_BYTES)
        while header and not header.strip():  # blank lines before the header
            skipped, header = skipped + len(header), handle.readline(HEADER_BYTES)
        while header.count(b'"') % 2 and header.endswith(b"\n") and len(header) < HEADER_BYTES:
            header += handle.readline(HEADER_BYTES)
        if len(header) >= HEADER_BYTES and not header.endswith(b"\n"):
            raise DataError(f"{path} has a header row over {format_bytes(HEADER_BYTES)}")
        sample = handle.read(SAMPLE_BYTES)
    complete = len(sample) < SAMPLE_BYTES
    if not complete and b"\n" in sample:
        sample = sample[: sample.rfind(b"\n") + 1]
    try:
        names = next(csv.reader([header.decode("utf-8-sig", "replace").rstrip("\r\n")],
                                delimiter=delimiter), [])  # fmt: skip
        rows = csv.reader(sample.decode("utf-8", "replace").splitlines(), delimiter=delimiter)
        lines = [row for row in rows if row]
    except csv.Error as exc:
        raise DataError(f"{path} is not a readable table: {message_line(exc)}") from None
    return _Head(names, skipped + len(header), lines, len(sample), complete)


def _text_sample(path: Path) -> str:
    """The file's first SAMPLE_BYTES as UTF-8 text, or DataError for a binary file."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if b"\0" in head:
        raise DataError(f"{path} is a binary file, not a text table (CSV or TSV)")
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the sample's end
            raise DataError(
                f"{path} is not UTF-8 text (byte {exc.start}): not a CSV or TSV table"
            ) from None
        return head[: exc.start].decode("utf-8")


def _sniff(sample: str, delimiters: str) -> str:
    """The first of `delimiters` that splits the sample's lines into one number of
    fields, two or more (the first when none does: the read then says the table has one
    column, or which line is ragged)."""
    for delimiter in delimiters:
        try:
            counts = {len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter)
                      if row}  # fmt: skip
        except csv.Error:
            continue
        if len(counts) == 1 and counts.pop() >= 2:
            return delimiter
    return delimiters[0]


def _decimal_mark(sample: str, sep: str) -> str:
    """',' when more of the sample's values are numbers with a decimal comma than with a
    point (never for comma-separated text), else '.'."""
    if sep == ",":
        return "."
    try:
        values = [v.strip() for row in csv.reader(io.StringIO(sample), delimiter=sep) for v in row]
    except csv.Error:
        return "."
    commas = sum(1 for v in values if DECIMAL_COMMA.fullmatch(v))
    points = sum(1 for v in values if DECIMAL_POINT.fullmatch(v))
    return "," if commas > points else "."


def _engine(path: Path) -> str:
    """pandas' CSV engine for a text file: pyarrow's, fast, unless a row may be longer than
    its block (ARROW_BLOCK_BYTES), then the C engine, which takes rows of any length. Each
    half block of the file is checked to hold a line break, so no row spans a whole block;
    memory-mapped, only the pages up to each half block's first line break are read."""
    half = ARROW_BLOCK_BYTES // 2
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for start in range(0, len(data) - half + 1, half):
            if data.find(b"\n", start, start + half) < 0:
                return "c"
    return "pyarrow"


def is_pipe(path: str | Path) -> bool:
    """Whether path is a pipe this process was handed (`fit <(zcat t.csv.gz)`, or
    /dev/stdin after a `|`): it leads to a "pipe:[...]" of no file system, which opens at
    once, unlike a named FIFO, a file that waits for a writer."""
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode) and os.path.basename(
            os.path.realpath(path)
        ).startswith("pipe:")
    except OSError:
        return False


@contextmanager
def _spooled(path: Path, max_bytes: int) -> Iterator[Path]:
    """A pipe's bytes in a temporary file (removed on leaving), read once, as a pipe cannot
    be read twice, sought or sized: at most max_bytes, else DataError. The copy is named
    .parquet or .xlsx when it starts as those files do, else its format is sniffed as text's."""
    with tempfile.TemporaryDirectory(prefix="logitlab-") as folder:
        copy = Path(folder) / "table"
        with path.open("rb") as pipe, copy.open("wb") as out:
            while chunk := pipe.read(SAMPLE_BYTES):
                if out.tell() + len(chunk) > max_bytes:
                    raise DataError(
                        f"{path} holds more than the {format_bytes(max_bytes)} a table may "
                        "take in memory (read_table's max_bytes); save it to a file and read "
                        "it in shares (logitlab fit --chunk-rows)"
                    )
                out.write(chunk)
        with copy.open("rb") as head:
            magic = head.read(len(ZIP_MAGIC))
        if magic.startswith(PARQUET_MAGIC):
            copy = copy.rename(copy.with_suffix(PARQUET_SUFFIXES[0]))
        elif magic == ZIP_MAGIC:
            copy = copy.rename(copy.with_suffix(EXCEL_SUFFIXES[0]))
        yield copy


def _checked(frame: pandas.DataFrame, path: Path, at_least: int) -> pandas.DataFrame:
    """A table a model can use: >= at_least columns (a whole table: a target and a feature;
    the columns a caller named: those; their names are distinct, as table_columns checked)
    and >= 1 row."""
    if frame.shape[1] < at_least:
        raise DataError(
            f"{path} has {frame.shape[1]} column(s); a table needs a target and at least one "
            "feature: is the delimiter right? (--sep, sep in read_table)"
        )
    names = [str(name) for name in frame.columns]
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no data rows")
    frame.columns = names
    return frame
