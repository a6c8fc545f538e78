"""Tables in: CSV, TSV and Parquet files read whole into a pandas DataFrame, or refused.

The reader is chosen by the file's extension (pandas with pyarrow's fast CSV engine, Parquet
through pyarrow); an unknown extension is read as delimited text with the delimiter sniffed.
Every way a file can fail (missing, a folder, unreadable, empty, binary, not the format its
name says, one column) becomes one DataError naming the file, never a parser's traceback.
Text columns stay strings, ready for formula coding; numbers stay int64/float64.

The work is bounded: a table is held in memory whole, so a file (or, for Parquet, its
uncompressed data) above `max_bytes` is refused before it is read.
"""

from __future__ import annotations

import csv
import mmap
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..budget import format_bytes
from ..config import check_int
from ..errors import DataError

if TYPE_CHECKING:
    import pandas

#: Extensions and the reader each selects; anything else is delimited text, delimiter sniffed.
CSV_SUFFIXES = (".csv",)
TSV_SUFFIXES = (".tsv", ".tab", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: The first bytes of a Parquet file (a pipe has no name to tell its format).
PARQUET_MAGIC = b"PAR1"
#: The blocks pyarrow's CSV reader parses (its default): a row longer than one ends the read
#: with an error, and then, with torch loaded, the process with SIGABRT as it exits.
ARROW_BLOCK_BYTES = 1 << 20
#: Delimiters a file of unknown extension may use.
SNIFFED_DELIMITERS = ",\t;|"
#: The largest table read whole by default: 4 GB of CSV is ~2 * 10**8 numbers, ~1.6 GB as
#: float64 in memory (a 10**7 x 20 table); more is a job for a streaming reader.
MAX_TABLE_BYTES = 4 * 10**9
#: How much of a text file is looked at to tell text from binary and to sniff the delimiter.
SAMPLE_BYTES = 64 * 1024


def read_table(path: str | Path, *, max_bytes: int = MAX_TABLE_BYTES) -> pandas.DataFrame:
    """Read a CSV (.csv), TSV (.tsv, .tab, .txt) or Parquet (.parquet, .pq) file; any other
    extension is read as delimited text with its delimiter sniffed. DataError (one line,
    naming the file) when the file cannot be read or holds no table of >= 2 columns and
    >= 1 row, or is larger than max_bytes."""
    max_bytes = check_int("max_bytes", max_bytes, 1)
    path = Path(path)
    if is_pipe(path):
        with _spooled(path, max_bytes) as copy:
            try:
                return read_table(copy, max_bytes=max_bytes)
            except DataError as exc:  # named as the user named it
                raise DataError(str(exc).replace(str(copy), str(path))) from None
    size = file_size(path)
    if size > max_bytes:
        raise DataError(_too_large(path, size, max_bytes))
    if size == 0:
        raise DataError(f"{path} is empty: a table needs a header row and data rows")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        frame = _read_parquet(path, max_bytes)
    else:
        frame = _read_text(path, suffix)
    return _checked(frame, path)


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
        f"a table may take in memory (max_bytes={max_bytes}); raise max_bytes, or keep only "
        "the columns you need (a Parquet file of them is smaller and faster)"
    )


def _read_parquet(path: Path, max_bytes: int) -> pandas.DataFrame:
    """A Parquet file through pyarrow, the memory its data take checked against max_bytes
    first: the encoded pages, and every fixed-width value at its full width."""
    import pyarrow
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
        meta = file.metadata
        encoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        widths = sum(_width(field.type) for field in file.schema_arrow)
        data_bytes = encoded + meta.num_rows * widths
        if data_bytes > max_bytes:
            raise DataError(_too_large(path, data_bytes, max_bytes))
        return pq.read_table(path).to_pandas()
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{path} is not a Parquet table: {_first_line(exc)}") from None


def _width(kind: object) -> int:
    """Bytes a value of a fixed-width Arrow type takes in memory (0 for text and such, whose
    size the encoded data tells): run-length encoding makes a column of zeros tiny on disk."""
    try:
        return max(kind.bit_width // 8, 1)  # type: ignore[attr-defined]
    except ValueError:  # not fixed-width
        return 0


def _read_text(path: Path, suffix: str) -> pandas.DataFrame:
    """Delimited text: comma for .csv, tab for .tsv/.tab/.txt, sniffed otherwise."""
    import pandas

    sample = _text_sample(path)
    if suffix in CSV_SUFFIXES:
        delimiter = ","
    elif suffix in TSV_SUFFIXES:
        delimiter = "\t"
    else:
        delimiter = _sniff(sample)
    try:
        return pandas.read_csv(path, sep=delimiter, engine=_engine(path))
    except pandas.errors.EmptyDataError:
        raise DataError(f"{path} is empty: a table needs a header row and data rows") from None
    except (pandas.errors.ParserError, ValueError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path} is not a readable table: {_first_line(exc)}") from None


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


def _sniff(sample: str) -> str:
    """The delimiter of a text table of unknown extension (comma when in doubt)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=SNIFFED_DELIMITERS).delimiter
    except csv.Error:
        return ","


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


def is_pipe(path: Path) -> bool:
    """Whether path is a pipe this process was handed (`fit <(zcat t.csv.gz)`, or
    /dev/stdin after a `|`): it leads to a "pipe:[...]" of no file system, which opens at
    once, unlike a named FIFO, a file that waits for a writer."""
    try:
        return stat.S_ISFIFO(path.stat().st_mode) and os.path.basename(
            os.path.realpath(path)
        ).startswith("pipe:")
    except OSError:
        return False


@contextmanager
def _spooled(path: Path, max_bytes: int) -> Iterator[Path]:
    """A pipe's bytes in a temporary file (removed on leaving), read once, as a pipe cannot
    be read twice, sought or sized: at most max_bytes, else DataError. The copy is named
    .parquet when it starts as Parquet files do, else its format is sniffed as text's."""
    with tempfile.TemporaryDirectory(prefix="logitlab-") as folder:
        copy = Path(folder) / "table"
        with path.open("rb") as pipe, copy.open("wb") as out:
            while chunk := pipe.read(SAMPLE_BYTES):
                if out.tell() + len(chunk) > max_bytes:
                    raise DataError(
                        f"{path} holds more than the {format_bytes(max_bytes)} a table may "
                        f"take in memory (max_bytes={max_bytes})"
                    )
                out.write(chunk)
        with copy.open("rb") as head:
            if head.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC:
                copy = copy.rename(copy.with_suffix(PARQUET_SUFFIXES[0]))
        yield copy


def _checked(frame: pandas.DataFrame, path: Path) -> pandas.DataFrame:
    """A table a model can use: >= 2 columns (a target and a feature) with distinct names,
    and >= 1 row."""
    if frame.shape[1] < 2:
        raise DataError(
            f"{path} has {frame.shape[1]} column(s); a table needs a target and at least one "
            "feature (is the delimiter right?)"
        )
    names = [str(name) for name in frame.columns]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"{path} has more than one column named {', '.join(repeated)}")
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no data rows")
    frame.columns = names
    return frame


def _first_line(exc: BaseException) -> str:
    """An exception's message on one line, cut short when long."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
