"""Tables in shares: units from metadata, balanced contiguous shares, bounded chunks, bad
input refused in one line, and the agreed coding equal to build_design on the whole table."""

import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from logitlab import stopping
from logitlab.data import tables as tables_module
from logitlab.data.datasets import load_dataset
from logitlab.data.design import ModelSpec, build_design
from logitlab.data.shards import agree_design, open_shards
from logitlab.errors import ConfigError, DataError


def table(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    town = rng.choice(["north", "south", "east"], size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.5 * x + (town == "east"))))).astype(int)
    return pd.DataFrame({"x": x, "age": rng.integers(20, 60, size=n), "town": town, "y": y})


def write_parquet(frame, folder, files=3, group_rows=100):
    folder.mkdir(exist_ok=True)
    for i, part in enumerate(np.array_split(np.arange(len(frame)), files)):
        pq.write_table(
            pa.Table.from_pandas(frame.iloc[part], preserve_index=False),
            folder / f"part-{i:02d}.parquet",
            row_group_size=group_rows,
        )
    return folder


def test_units_are_row_groups_counted_from_metadata(tmp_path):
    shards = open_shards(write_parquet(table(1000), tmp_path / "d", files=2, group_rows=128))
    assert shards.kind == "parquet"
    assert [u.rows for u in shards.units] == [128, 128, 128, 116] * 2
    assert shards.rows == 1000


def test_shares_are_contiguous_balanced_and_may_be_empty(tmp_path):
    frame = table(1000)
    shards = open_shards(write_parquet(frame, tmp_path / "d", files=4, group_rows=50))
    for world in (1, 2, 3, 7):
        shares = [shards.share(r, world) for r in range(world)]
        assert sum((s.units for s in shares), ()) == shards.units  # rank order = file order
        rows = [s.rows for s in shares]
        assert max(rows) - min(rows) <= 50
    many = [shards.share(r, 30) for r in range(30)]  # 20 units, 30 workers
    assert sum(s.rows == 0 for s in many) == 10
    back = pd.concat(
        [c for s in (shards.share(r, 3) for r in range(3)) for c in s.chunks(chunk_rows=7)]
    )
    pd.testing.assert_frame_equal(back.reset_index(drop=True), frame)


def test_chunks_hold_at_most_chunk_rows(tmp_path):
    shards = open_shards(write_parquet(table(1000), tmp_path / "d", group_rows=300))
    sizes = [len(c) for c in shards.chunks(["x", "y"], chunk_rows=64)]
    assert max(sizes) == 64 and sum(sizes) == 1000
    frame = next(shards.chunks(["y", "x"], chunk_rows=10))
    assert list(frame.columns) == ["y", "x"]


def test_a_folder_of_csv_files(tmp_path):
    frame = table(300)
    folder = tmp_path / "csv"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(300), 3)):
        frame.iloc[part].to_csv(folder / f"p{i}.csv", index=False)
    (folder / "_SUCCESS").write_text("")  # skipped, as Spark writes it
    shards = open_shards(folder)
    assert shards.kind == "csv" and len(shards.units) == 3
    back = pd.concat(shards.share(0, 1).chunks(chunk_rows=40))
    np.testing.assert_allclose(back["x"], frame["x"])
    assert max(len(c) for c in shards.chunks(chunk_rows=40)) == 40


def test_a_csv_is_read_in_pieces_a_signal_can_stop_between(tmp_path, monkeypatch):
    """pandas' parser reads a piece in one call: pieces of a bounded number of values
    (stopping.per_block), whatever chunk_rows asks, holding the same rows."""
    frame = table(1000)
    folder = tmp_path / "csv"
    folder.mkdir()
    frame.to_csv(folder / "t.csv", index=False)
    monkeypatch.setattr(stopping, "BLOCK_VALUES", tables_module.CSV_COST * 4 * 300)
    pieces = list(open_shards(folder).chunks(chunk_rows=10**6))
    assert [len(piece) for piece in pieces] == [300, 300, 300, 100]  # 300 rows of 4 columns
    pd.testing.assert_frame_equal(pd.concat(pieces, ignore_index=True), frame)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: d / "nowhere", "does not exist"),
        (lambda d: d, "empty folder"),
        (lambda d: (d / "a.parquet").write_bytes(b"PAR1 not really") and d, "not a Parquet"),
        (lambda d: (d / "a.json").write_text("{}") and d, "neither Parquet"),
    ],
)
def test_bad_paths_are_refused_in_one_line(tmp_path, make, words):
    with pytest.raises(DataError, match=words) as caught:
        open_shards(make(tmp_path))
    assert "\n" not in str(caught.value)


def test_mixed_formats_mismatched_files_and_no_rows_are_refused(tmp_path):
    frame = table(100)
    mixed = write_parquet(frame, tmp_path / "mixed", files=1)
    frame.to_csv(mixed / "more.csv", index=False)
    with pytest.raises(DataError, match="mixes formats"):
        open_shards(mixed)
    other = write_parquet(frame, tmp_path / "other", files=2)
    pq.write_table(pa.Table.from_pandas(frame.astype({"age": float})), other / "part-09.parquet")
    with pytest.raises(DataError, match=r"part-09.parquet has column 2 'age: double'"):
        open_shards(other)
    empty = tmp_path / "empty"
    empty.mkdir()
    pq.write_table(pa.Table.from_pandas(frame.iloc[:0]), empty / "a.parquet")
    with pytest.raises(DataError, match="holds no rows"):
        open_shards(empty)


def test_one_parquet_file_is_data_and_one_csv_file_is_not(tmp_path):
    frame = table(200)
    frame.to_parquet(tmp_path / "t.parquet")
    assert open_shards(tmp_path / "t.parquet").rows == 200
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match="not one CSV file"):
        open_shards(tmp_path / "t.csv")


def design_of_shares(shards, world, chunk_rows=37, **model):
    """The columns every worker builds, concatenated in rank order (one process: alone)."""
    spec = agree_design(shards, **model)
    blocks = [b for r in range(world) for b in spec.batches(shards.share(r, world), chunk_rows)]
    return spec, np.vstack([x for x, _ in blocks]), np.concatenate([y for _, y in blocks])


@pytest.mark.parametrize(
    "model",
    [
        {"formula": "y ~ x + age + C(town)"},
        {"formula": "y ~ x * C(town) + np.log(age) - 1"},
        {"target": "y"},
    ],
)
def test_agreed_design_equals_build_design_on_the_whole_table(tmp_path, model, assert_ulps):
    frame = table(1000)
    frame.loc[[3, 500], "x"] = np.nan  # dropped and counted, as build_design does
    shards = open_shards(write_parquet(frame, tmp_path / "d", files=3, group_rows=90))
    agreed, X, y = design_of_shares(shards, 3, **model)
    whole = build_design(frame, **model)
    assert agreed.names == whole.names
    assert agreed.spec == whole.spec
    assert agreed.coding == whole.coding
    assert_ulps(X, whole.X, precision=np.float64)  # np.log per chunk and on the whole column
    np.testing.assert_array_equal(y, whole.y)
    assert (agreed.rows_used, agreed.dropped, agreed.successes) == (len(whole.y), 2, whole.y.sum())
    assert agreed.missing == whole.missing == {"x": 2}  # why, as build_design says it


def test_spector_in_shards_codes_as_in_memory(tmp_path):
    data = load_dataset("spector")
    shards = open_shards(write_parquet(data.frame, tmp_path / "s", files=3, group_rows=5))
    _, X, _ = design_of_shares(shards, 2, formula=data.formula)
    np.testing.assert_array_equal(X, build_design(data.frame, formula=data.formula).X)


def test_refusals_match_build_design(tmp_path):
    frame = table(300)
    shards = open_shards(write_parquet(frame, tmp_path / "d"))
    with pytest.raises(ConfigError, match="every row of the table"):
        agree_design(shards, formula="y ~ center(x)")
    with pytest.raises(DataError, match="takes more than 2 values"):  # a class each
        agree_design(shards, formula="age ~ x", max_levels=2)
    with pytest.raises(DataError, match="exactly two values, got 1"):
        agree_design(open_shards(write_parquet(frame[frame["y"] == 1], tmp_path / "one")),
                     formula="y ~ x")  # fmt: skip
    with pytest.raises(DataError, match="more than --max-levels 2"):
        agree_design(shards, formula="y ~ town", max_levels=2)
    with pytest.raises(DataError, match="no column 'z'"):
        agree_design(shards, formula="y ~ z")
    gaps = frame.assign(x=np.where(np.arange(300) == 7, np.nan, frame["x"]))
    shards = open_shards(write_parquet(gaps, tmp_path / "g"))
    with pytest.raises(DataError, match="'x' has 1 missing value"):
        agree_design(shards, formula="y ~ x", missing="error")


def numeric_table(n=1000, seed=2):
    """Numeric and true/false columns of several Arrow types, with nulls, NaN and a null
    target: the columns read straight from Parquet without formulaic."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[[4, 300]] = np.nan
    count = pa.array(rng.integers(0, 9, size=n), mask=np.arange(n) % 97 == 5)
    y = pa.array((rng.random(n) < 1 / (1 + np.exp(-x))).astype(np.int8), mask=np.arange(n) == 9)
    return pa.table({
        "x": x, "small": rng.normal(size=n).astype(np.float32), "count": count,
        "flag": rng.random(n) < 0.3, "odd name": rng.integers(-5, 5, size=n), "y": y,
    })  # fmt: skip


def test_numeric_columns_are_read_without_formulaic_as_build_design_codes_them(
    tmp_path, monkeypatch
):
    folder = tmp_path / "n"
    folder.mkdir()
    whole = numeric_table()
    for i, start in enumerate(range(0, 1000, 400)):
        pq.write_table(whole.slice(start, 400), folder / f"p{i}.parquet", row_group_size=150)
    frame = whole.to_pandas()  # what pandas reads: nulls as NaN, so those rows are dropped
    formula = "y ~ small + x + flag + count + `odd name`"
    reference = build_design(frame, formula=formula)
    shards = open_shards(folder)
    monkeypatch.setattr(ModelSpec, "design", lambda *_: pytest.fail("formulaic was used"))
    for reuse in (False, True):
        agreed = agree_design(shards, formula=formula)
        parts = [
            (x.copy(), y.copy())
            for r in range(3)
            for x, y in agreed.batches(shards.share(r, 3), chunk_rows=64, reuse=reuse)
        ]
        assert max(len(x) for x, _ in parts) == 64
        np.testing.assert_array_equal(np.vstack([x for x, _ in parts]), reference.X)
        np.testing.assert_array_equal(np.concatenate([y for _, y in parts]), reference.y)
        assert all(x.flags.c_contiguous and x.dtype == np.float64 for x, _ in parts)


def test_an_infinite_value_is_refused_as_build_design_refuses_it(tmp_path):
    frame = table(300).assign(x=lambda f: np.where(np.arange(300) == 50, np.inf, f["x"]))
    shards = open_shards(write_parquet(frame, tmp_path / "d"))
    design = agree_design(shards, formula="y ~ x + age")
    with pytest.raises(DataError, match="term 'x' is NaN or infinite in 1 row") as caught:
        list(design.batches(shards))
    with pytest.raises(DataError, match="term 'x' is NaN or infinite in 1 row"):
        build_design(frame, formula="y ~ x + age")
    assert "\n" not in str(caught.value)


# --- what a folder shows is what is read -----------------------------------------------------


def test_hidden_and_underscore_paths_are_skipped_as_spark_and_arrow_do(tmp_path):
    """A job's leftovers (_temporary/, a checkpoint, a checksum) are not rows: with them read,
    the rows of a folder would count twice."""
    frame = table(300)
    folder = write_parquet(frame, tmp_path / "d", files=3)
    (folder / "year=2024").mkdir()  # a partition folder is read
    (folder / "part-02.parquet").rename(folder / "year=2024" / "part-02.parquet")
    copies = ["_temporary/0/task_1/part-00.parquet", ".ipynb_checkpoints/part-01.parquet",
              "year=2024/_temporary/part-02.parquet", "year=2024/.part-02.parquet.crc",
              "_SUCCESS", ".part-00.parquet"]  # fmt: skip
    for name in copies:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes((folder / "part-00.parquet").read_bytes())
    shards = open_shards(folder)
    assert [u.path.relative_to(folder).as_posix() for u in shards.units] == [
        "part-00.parquet", "part-01.parquet", "year=2024/part-02.parquet"
    ]  # fmt: skip
    assert shards.rows == 300
    back = pd.concat(shards.chunks(chunk_rows=1000), ignore_index=True)
    pd.testing.assert_frame_equal(back, frame)


def unreadable(folder, kind, named_pipe):
    """One more entry in a folder of shares, that cannot be read as one: its path."""
    path = folder / "part-09.parquet"
    if kind == "dangling link":
        path.symlink_to(folder / "gone.parquet")
    elif kind == "pipe":
        named_pipe(path.relative_to(folder.parent))
    elif kind == "folder":
        path.mkdir()
        (folder / "part-00.parquet").rename(path / "part-00.parquet")
    elif kind == "link to a folder":
        path = folder / "more"
        path.symlink_to(folder.parent, target_is_directory=True)
    return path


@pytest.mark.parametrize(
    "kind, words",
    [
        ("dangling link", "is a symbolic link to {folder}/gone.parquet, which does not exist"),
        ("pipe", "is a pipe, not a regular file"),
        ("folder", "is a folder, not a table file"),
        ("link to a folder", "is a link to a folder, which is not followed"),
    ],
)
def test_a_share_that_cannot_be_read_is_named_not_skipped(tmp_path, named_pipe, kind, words):
    folder = write_parquet(table(300), tmp_path / "d", files=3)
    path = unreadable(folder, kind, named_pipe)
    with pytest.raises(DataError) as caught:
        open_shards(folder)
    assert str(caught.value).startswith(f"{path} {words.format(folder=folder)}")
    assert "\n" not in str(caught.value)


def test_a_named_pipe_as_data_is_refused_not_waited_on(named_pipe):
    fifo = named_pipe("t.parquet")
    start = time.monotonic()
    with pytest.raises(DataError) as caught:
        open_shards(fifo)
    assert time.monotonic() - start < 5
    assert str(caught.value).startswith(f"{fifo} is a pipe, not a regular file")


def test_folders_nested_deeper_than_pythons_stack_are_listed(tmp_path):
    """A folder is data, and may be built to break a reader: nesting beyond Python's
    recursion limit is listed like any other tree."""
    frame = table(50)
    folder = deep = tmp_path / "d"
    folder.mkdir()
    levels = sys.getrecursionlimit() + 100
    for _ in range(levels):
        deep = deep / "a"
        deep.mkdir()
    frame.to_parquet(deep / "part.parquet", index=False)
    try:
        shards = open_shards(folder)
        assert shards.rows == 50 and shards.units[0].path == deep / "part.parquet"
    finally:  # bottom up: a recursive removal would meet the same limit
        (deep / "part.parquet").unlink()
        for _ in range(levels):
            deep.rmdir()
            deep = deep.parent


def test_the_workers_scans_come_from_the_gather(tmp_path):
    """agree_design adds up what the gather hands it: two workers reporting this share's scan
    count its rows twice (data knows nothing of workers: the caller's gather does)."""
    frame = table(300)
    frame.loc[[3], "x"] = np.nan
    shards = open_shards(write_parquet(frame, tmp_path / "d"))
    one = agree_design(shards, formula="y ~ x")
    assert (one.rows_used, one.dropped) == (299, 1)
    two = agree_design(shards, lambda work: [work(), work()], formula="y ~ x")
    assert two.rows_per_worker == (one.rows_used, one.rows_used)
    assert (two.rows_used, two.dropped, two.successes) == (
        2 * one.rows_used,
        2 * one.dropped,
        2 * one.successes,
    )
