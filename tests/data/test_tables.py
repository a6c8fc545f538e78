"""read_table: each format round-trips a table written by pandas/pyarrow; every broken file is
refused with one line naming it."""

import os
import re
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from logitlab.data.tables import (
    VALUE_BYTES,
    TableFormat,
    format_words,
    read_table,
    table_columns,
    table_format,
    table_size,
)
from logitlab.errors import ConfigError, DataError


@pytest.fixture
def frame():
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, 50),
            "x": rng.normal(size=50),
            "group": rng.choice(["a", "b", "c"], 50),
            "flag": rng.integers(0, 2, 50).astype(bool),
        }
    )


def same_table(read: pd.DataFrame, written: pd.DataFrame, rtol: float = 0.0) -> None:
    """The same columns, kinds and values; floats within rtol when the writer rounds them
    (a workbook keeps 15 or 16 digits, a value read back may be an ulp away)."""
    assert list(read.columns) == list(written.columns)
    for name in written.columns:
        if written[name].dtype == object or pd.api.types.is_string_dtype(written[name]):
            assert pd.api.types.is_string_dtype(read[name]), name
            assert read[name].tolist() == written[name].tolist()
        else:
            assert read[name].dtype == written[name].dtype, name
            if rtol and pd.api.types.is_float_dtype(written[name]):
                np.testing.assert_allclose(read[name], written[name], rtol=rtol, atol=0)
            else:
                np.testing.assert_array_equal(read[name].to_numpy(), written[name].to_numpy())


#: Extension and delimiter: by name, and sniffed for an extension the reader does not know.
TEXT_FORMATS = [(".csv", ","), (".tsv", "\t"), (".txt", "\t"), (".tab", "\t"), (".dat", ";"),
                (".dat", "|")]  # fmt: skip


@pytest.mark.parametrize(("suffix", "sep"), TEXT_FORMATS)
def test_text_tables_round_trip(tmp_path, frame, suffix, sep):
    path = tmp_path / f"table{suffix}"
    frame.to_csv(path, sep=sep, index=False, float_format="%.17g")
    same_table(read_table(path), frame)


@pytest.mark.parametrize("suffix", [".parquet", ".pq"])
def test_parquet_round_trips_through_pyarrow(tmp_path, frame, suffix):
    path = tmp_path / f"table{suffix}"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    same_table(read_table(path), frame)


def test_missing_cells_stay_missing(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("y,x,g\n1,0.5,a\n0,,b\n1,2.5,\n")
    table = read_table(path)
    assert table["x"].isna().tolist() == [False, True, False]
    assert table["g"].isna().tolist() == [False, False, True]


def one_line_error(path, **kwargs) -> str:
    with pytest.raises(DataError) as caught:
        read_table(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_missing_file(tmp_path):
    assert "does not exist" in one_line_error(tmp_path / "nope.csv")


def test_folder(tmp_path):
    assert "folder" in one_line_error(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert "empty" in one_line_error(path)


def test_blank_lines_only(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n\n\n")
    one_line_error(path)


def test_binary_junk(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    one_line_error(path)


def test_csv_named_parquet(tmp_path):
    path = tmp_path / "fake.parquet"
    path.write_text("y,x\n1,2\n0,3\n")
    assert "not a Parquet table" in one_line_error(path)


def test_one_column(tmp_path):
    path = tmp_path / "single.csv"
    path.write_text("y\n1\n0\n")
    assert "1 column" in one_line_error(path)


def test_wrong_delimiter_reads_as_one_column(tmp_path):
    path = tmp_path / "semicolons.csv"
    path.write_text("y;x\n1;2\n0;3\n")
    assert "delimiter" in one_line_error(path, fmt=TableFormat(sep=","))
    assert "--sep" in one_line_error(path, fmt=TableFormat(sep=","))


def test_header_without_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("y,x\n")
    assert "no data rows" in one_line_error(path)


def test_ragged_rows(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("y,x\n1,2\n0,3,4\n")
    one_line_error(path)


def test_repeated_column_names(tmp_path):
    path = tmp_path / "twice.parquet"
    pq.write_table(pa.table([[1, 0], [2, 3]], names=["x", "x"]), path)
    one_line_error(path)


def test_size_cap_says_how_to_raise_it(tmp_path, frame):
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    assert "max_bytes" in one_line_error(path, max_bytes=100)
    assert len(read_table(path, max_bytes=path.stat().st_size)) == len(frame)


def test_parquet_cap_counts_uncompressed_data(tmp_path):
    path = tmp_path / "zeros.parquet"
    pq.write_table(pa.table({"y": np.zeros(200_000), "x": np.zeros(200_000)}), path)
    assert path.stat().st_size < 100_000  # compresses to almost nothing ...
    assert "max_bytes" in one_line_error(path, max_bytes=1_000_000)  # ... yet holds 3.2 MB


def test_permission_denied_is_one_line(tmp_path, monkeypatch):
    path = tmp_path / "locked.csv"
    path.write_text("y,x\n1,2\n")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(path), "open", denied)  # what a non-root user meets at chmod 0
    assert "Permission denied" in one_line_error(path)


def test_a_row_longer_than_pyarrow_s_block(tmp_path, frame):
    """pyarrow's CSV reader stops at a row over its 1 MB block (and the process then
    aborts at exit): such a file is read whole, by the C engine, as any other."""
    long = frame.assign(note=["short"] * len(frame))
    long.loc[7, "note"] = "z" * 3_000_000
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False, float_format="%.17g")
    same_table(read_table(path), long)


@pytest.fixture
def pipe():
    """A pipe that a thread fills with `data`, given as /dev/fd/N, as `<(cat t.csv)` is."""
    ends = []

    def make(data: bytes) -> str:
        read, write = os.pipe()
        threading.Thread(target=lambda: (os.write(write, data), os.close(write))).start()
        ends.append(read)
        return f"/dev/fd/{read}"

    yield make
    for end in ends:
        os.close(end)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_pipe_is_read_once(tmp_path, frame, pipe, suffix):
    path = tmp_path / f"table{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False, float_format="%.17g")
    else:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    same_table(read_table(pipe(path.read_bytes())), frame)


def test_a_pipe_is_read_only_up_to_max_bytes(pipe):
    path = pipe(b"y,x\n" + b"1,2\n" * 5000)
    message = one_line_error(path, max_bytes=1000)
    assert "more than the 1.0 kB a table may take in memory (read_table's max_bytes)" in message
    assert "--chunk-rows" in message and "max_bytes=" not in message  # the flag as typed


def test_junk_in_a_pipe_is_named_as_given(pipe):
    path = pipe(np.random.default_rng(0).bytes(4000))
    assert "binary" in one_line_error(path)


def test_a_header_cell_with_a_line_break(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text('y,"x\nwide",z\n1,2,3\n0,3,5\n')
    table = read_table(path)
    assert list(table.columns) == ["y", "x\nwide", "z"]
    assert table["x\nwide"].tolist() == [2, 3]


def test_a_named_pipe_is_refused_not_waited_on(named_pipe):
    fifo = named_pipe("t.csv")
    start = time.monotonic()
    assert one_line_error(fifo).startswith(f"{fifo} is a pipe, not a regular file")
    assert time.monotonic() - start < 5


# --- what a read will hold, known before it; only the model's columns read -----------------


def test_a_header_of_100000_columns_is_checked_in_well_under_a_second(tmp_path):
    """A name given twice among 10**5 columns is found in one pass over the header (counting
    each name's copies took minutes), and a few of them are read without the rest."""
    names = [f"c{i}" for i in range(10**5)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join(["1"] * len(names)) + "\n")
    start = time.perf_counter()
    table = read_table(path, columns=["c99999", "c0"])
    assert time.perf_counter() - start < 5
    assert list(table.columns) == ["c0", "c99999"]  # in the file's order
    twice = tmp_path / "twice.csv"
    twice.write_text(",".join([*names, "c7"]) + "\n" + ",".join(["1"] * (len(names) + 1)) + "\n")
    start = time.perf_counter()
    assert "more than one column named 'c7'" in one_line_error(twice)
    assert time.perf_counter() - start < 5


def test_a_column_the_file_lacks_is_named(tmp_path, frame):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    assert "has no column 'z'" in one_line_error(path, columns=["y", "z"])


ROWS = 100_000


@pytest.fixture
def long_texts(tmp_path):
    """A Parquet file of ROWS rows with a column of two 1 kB texts, dictionary-encoded: a
    few kB of the file, 100 MB of text once decoded."""
    texts = pa.array(["a" * 1000, "b" * 1000])
    path = tmp_path / "long.parquet"
    indices = pa.array(np.arange(ROWS) % 2, pa.int8())
    pq.write_table(pa.table({"y": np.arange(ROWS) % 2, "s": pa.DictionaryArray.from_arrays(
        indices, texts), "x": np.linspace(0, 1, ROWS)}), path)  # fmt: skip
    assert path.stat().st_size < ROWS * 1000 / 50
    return path


def test_parquet_size_counts_decoded_texts_and_only_the_columns_read(long_texts):
    texts = table_size(long_texts, ["y", "s"])
    assert texts.rows == ROWS and texts.columns == ("y", "s")
    assert texts.bytes >= ROWS * 2 * 1000  # each text in Arrow's column and in pandas'
    numbers = table_size(long_texts, ["x", "y"])
    assert numbers.columns == ("y", "x")
    assert numbers.bytes == ROWS * 2 * VALUE_BYTES
    assert list(read_table(long_texts, columns=["x", "y"]).columns) == ["y", "x"]


def test_text_size_is_rows_times_columns_not_the_file_size(tmp_path):
    """A CSV of `0,1` rows is 4 bytes a row on disk, 2 int64 values (twice while read) in
    memory; text columns hold their characters besides."""
    path = tmp_path / "bits.csv"
    rows = 10**6
    path.write_bytes(b"y,x\n" + b"0,1\n" * rows)
    size = table_size(path)
    assert abs(size.rows - rows) <= rows // 100
    assert size.bytes == size.rows * 2 * VALUE_BYTES
    named = tmp_path / "named.csv"
    named.write_text("y,name,x\n" + "0,abcdefghij,1.5\n" * 100)
    assert table_size(named, ["y", "name"]).bytes == 100 * (2 * VALUE_BYTES + 2 * 10)


def test_the_size_is_above_what_the_frame_read_takes(tmp_path, long_texts, frame):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    for table, columns in ((long_texts, ["y", "s"]), (path, None)):
        read = read_table(table, columns=columns)
        assert read.memory_usage(deep=True).sum() <= table_size(table, columns).bytes


def test_names_with_spaces_around_them_are_found(tmp_path):
    path = tmp_path / "spaced.csv"
    path.write_text(" y , x,z\n1,2,3\n0,3,4\n")
    assert list(read_table(path, columns=[" x", " y "]).columns) == [" y ", " x"]


# --- tables as people have them: European CSV, Excel workbooks --------------------------


def european(frame: pd.DataFrame, path, **kwargs) -> None:
    """frame as a spreadsheet set to a European locale saves it: ';' between values,
    decimal commas."""
    frame.to_csv(path, sep=";", decimal=",", index=False, float_format="%.17g", **kwargs)


@pytest.mark.parametrize("suffix", [".csv", ".txt", ".dat"])
def test_a_european_csv_is_sniffed_and_the_guess_named(tmp_path, frame, suffix):
    """It used to fail with pyarrow's 'Expected 1 columns, got 4'."""
    path = tmp_path / f"table{suffix}"
    european(frame, path)
    assert "1,5" not in path.read_text() and ";" in path.read_text()  # as Excel writes it
    used = table_format(path)
    assert (used.sep, used.decimal) == (";", ",")
    same_table(read_table(path), frame)
    assert format_words(path, TableFormat(), used) == (
        f"read {path} as ';'-separated with ',' decimals"
    )
    assert format_words(path, used, used) is None  # nothing guessed, nothing to say


def test_sep_and_decimal_as_given_win_over_the_guess(tmp_path, frame):
    path = tmp_path / "table.csv"
    european(frame, path)
    same_table(read_table(path, fmt=TableFormat(sep=";", decimal=",")), frame)
    as_text = read_table(path, fmt=TableFormat(sep=";", decimal="."))
    assert pd.api.types.is_string_dtype(as_text["x"])  # 0,34 is no number with '.' decimals
    tabbed = tmp_path / "table.tsv"
    frame.to_csv(tabbed, sep="\t", decimal=",", index=False, float_format="%.17g")
    same_table(read_table(tabbed), frame)  # a .tsv: tabs, its decimal mark sniffed


def test_a_plain_csv_is_read_as_before_and_not_announced(tmp_path, frame):
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    used = table_format(path)
    assert (used.sep, used.decimal) == (",", ".")
    assert format_words(path, TableFormat(), used) is None


@pytest.mark.parametrize(
    ("fmt", "words"),
    [
        (dict(sep=";;"), "sep must be one character"),
        (dict(sep="\n"), "sep must be one character"),
        (dict(decimal=";"), "decimal must be '.' or ','"),
        (dict(sep=",", decimal=","), "sep and decimal must differ"),
        (dict(sheet=1.5), "sheet must be a sheet's name or number"),
    ],
)
def test_bad_formats_are_refused(fmt, words):
    with pytest.raises(ConfigError, match=words):
        TableFormat(**fmt)


def test_table_size_estimates_a_european_csv_s_numbers_as_numbers(tmp_path, frame):
    path = tmp_path / "table.csv"
    european(frame, path)
    size = table_size(path, ["x"])
    assert size.rows == len(frame) and size.bytes == len(frame) * VALUE_BYTES


@pytest.fixture
def workbook(tmp_path, frame):
    """A workbook of two sheets, the table on the second."""
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["made by hand"]}).to_excel(writer, sheet_name="About", index=False)
        frame.to_excel(writer, sheet_name="Data", index=False)
    return path


@pytest.mark.parametrize("sheet", ["Data", 2, "2"])
def test_an_excel_sheet_is_read_by_name_or_number_from_1(workbook, frame, sheet):
    fmt = TableFormat(sheet=sheet)
    assert table_columns(workbook, fmt) == tuple(frame.columns)
    same_table(read_table(workbook, fmt=fmt), frame, rtol=1e-15)
    read = read_table(workbook, fmt=fmt, columns=["x", "y"])
    assert list(read.columns) == ["y", "x"]  # the file's order, as for every format
    assert format_words(workbook, fmt, table_format(workbook, fmt)) is None  # as given


def test_the_first_sheet_by_default_and_a_missing_one_names_those_there_are(workbook):
    assert table_columns(workbook) == ("note",)
    assert format_words(workbook, TableFormat(), table_format(workbook)) == (
        f"read sheet 'About' of {workbook} (2 sheets: 'About', 'Data')"
    )
    for sheet in ("Sheet1", 3, "0"):
        message = one_line_error(workbook, fmt=TableFormat(sheet=sheet))
        assert f"no sheet {sheet!r}; its sheets, numbered from 1: 'About', 'Data'" in message


def test_settings_for_another_kind_of_file_are_refused(tmp_path, workbook, frame):
    assert "--sep" in one_line_error(workbook, fmt=TableFormat(sep=";"))
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    assert "--sheet" in one_line_error(path, fmt=TableFormat(sheet="Data"))


def test_a_file_named_xlsx_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("y,x\n1,2\n0,3\n")
    assert "not a readable workbook" in one_line_error(path)


def test_table_size_counts_every_cell_of_a_sheet_and_the_cap_holds(workbook, frame):
    """pandas reads every cell of the sheet (~105 bytes each, measured) before the columns
    asked for are kept: the estimate counts them all, from the sheet's dimension."""
    data = TableFormat(sheet="Data")
    size = table_size(workbook, ["y", "x"], data)
    cells = (len(frame) + 1) * frame.shape[1]
    assert size.rows == len(frame) and size.columns == ("y", "x")
    assert size.bytes >= cells * 100 + 2 * len(frame) * VALUE_BYTES
    assert size.bytes > workbook.stat().st_size  # the estimate decides, not the file's size
    cap = int(size.bytes)
    assert "max_bytes" in one_line_error(workbook, fmt=data, columns=["y", "x"], max_bytes=cap - 1)
    assert len(read_table(workbook, fmt=data, columns=["x", "y"], max_bytes=cap)) == len(frame)


def test_a_sheet_without_its_dimension_is_sized_from_its_xml(tmp_path, frame):
    """A workbook whose writer left the dimension out (openpyxl then knows no size) is
    estimated at the most cells its XML can hold: no fewer than it has."""
    import zipfile

    path = tmp_path / "book.xlsx"
    frame.to_excel(path, index=False)
    stripped = tmp_path / "stripped.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stripped, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            target.writestr(info, data)
    assert table_size(stripped).rows >= len(frame)
    same_table(read_table(stripped), frame, rtol=1e-15)


def test_missing_columns_are_all_named_with_the_file_s_columns(tmp_path):
    path = tmp_path / "wide.csv"
    names = [f"c{j}" for j in range(30)]
    path.write_text(",".join(names) + "\n" + ",".join("1" * 30) + "\n")
    message = one_line_error(path, columns=["c1", "nope", "gone"])
    assert "has no columns 'gone', 'nope'; its columns: 'c0', 'c1'" in message
    assert message.endswith("'c9' and 20 more")


@pytest.mark.parametrize("name", ["nope.csv", "nope.xlsx", "nope.parquet"])
def test_the_format_of_a_missing_file_is_refused_as_a_read_is(tmp_path, name):
    with pytest.raises(DataError, match="does not exist"):
        table_format(tmp_path / name)


def test_a_workbook_through_a_pipe_is_told_by_its_first_bytes(workbook, frame, pipe):
    fmt = TableFormat(sheet="Data")
    same_table(read_table(pipe(workbook.read_bytes()), fmt=fmt), frame, rtol=1e-15)


# --- read_chunks: a table in bounded pieces ----------------------------------------------


def chunked(path, columns, chunk_rows=7, **kwargs) -> list[pd.DataFrame]:
    from logitlab.data.tables import read_chunks

    return list(read_chunks(path, columns=columns, chunk_rows=chunk_rows, **kwargs))


@pytest.mark.parametrize("kind", ["csv", "european", "parquet", "xlsx", "pipe"])
def test_read_chunks_holds_read_table_s_rows_in_pieces(tmp_path, frame, workbook, pipe, kind):
    """Every kind of file fit reads, in pieces of at most chunk_rows rows that together are
    read_table's frame of the same columns."""
    path = tmp_path / "table.csv"
    if kind in ("csv", "pipe"):
        frame.to_csv(path, index=False, float_format="%.17g")
    elif kind == "european":
        european(frame, path)
    elif kind == "parquet":
        path = tmp_path / "table.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=20)
    columns, fmt = ["group", "x"], TableFormat(sheet="Data" if kind == "xlsx" else None)
    source = workbook if kind == "xlsx" else path
    whole = read_table(source, columns=columns, fmt=fmt)
    if kind == "pipe":
        source = pipe(path.read_bytes())
    pieces = chunked(source, columns, fmt=fmt)
    assert [len(p) for p in pieces] == [7] * 7 + [1]
    same_table(pd.concat(pieces, ignore_index=True), whole)


def test_read_chunks_keeps_text_columns_as_written(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,x\n007,1.5\n12,2\n0x1,3\n")
    (piece,) = chunked(path, ["id", "x"], text=["id"])
    assert piece["id"].tolist() == ["007", "12", "0x1"]
    assert piece["x"].tolist() == [1.5, 2.0, 3.0]


def test_read_chunks_refuses_before_the_first_piece(tmp_path, frame):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"has no column 'nope'; its columns: 'y', 'x'"):
        chunked(path, ["x", "nope"])
    path.write_text("y,x\n")
    with pytest.raises(DataError, match="has a header but no data rows"):
        chunked(path, ["x"])
    path.write_text('y,x\n1,2\n1,"2\n')
    with pytest.raises(DataError, match=r"t.csv is not a readable table: .*EOF inside string"):
        chunked(path, ["x"])
