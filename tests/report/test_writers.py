"""The writers: strict JSON, CSV with a header, and a CSV file written whole or not at all."""

import csv
import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from logitlab.errors import ConfigError, OutputError
from logitlab.records import json_safe
from logitlab.report import writers
from logitlab.report.staging import check_out_file
from logitlab.report.writers import write_csv, write_json


def rows(**columns):
    """A CSV table of one row, in one piece."""
    return [pd.DataFrame({name: [value] for name, value in columns.items()})]


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_write_json_turns_non_finite_numbers_into_null(tmp_path):
    path = write_json({"a": math.nan, "b": [1.5, math.inf], "c": {"d": 2}}, tmp_path / "r.json")
    assert json.loads(path.read_text()) == {"a": None, "b": [1.5, None], "c": {"d": 2}}
    assert "NaN" not in path.read_text()


def test_write_csv_has_a_header_row(tmp_path):
    path = write_csv([{"x": 1, "y": 0}, {"x": 2, "y": 1}], tmp_path / "t.csv")
    assert path.read_text().splitlines() == ["x,y", "1,0", "2,1"]


def test_single_file_is_atomic_and_never_replaced_unasked(tmp_path, monkeypatch):
    target = tmp_path / "p.csv"
    writers.write_file_atomically(rows(row=0, p_hat=0.5), target, force=False, inputs=())
    assert target.read_text() == "row,p_hat\n0,0.5\n"
    with pytest.raises(ConfigError, match="exists"):
        writers.write_file_atomically(rows(row=1), target, force=False, inputs=())
    writers.write_file_atomically(rows(row=1), target, force=True, inputs=())
    assert target.read_text() == "row\n1\n"
    with pytest.raises(ConfigError, match="is a folder"):
        check_out_file(tmp_path, force=True, inputs=())
    with pytest.raises(ConfigError, match="is not a folder"):
        check_out_file(tmp_path / "no" / "p.csv", force=False, inputs=())

    def full_disk(pieces, path):
        path.write_text("row\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers, "write_csv_pieces", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        writers.write_file_atomically(rows(row=2), tmp_path / "q.csv", force=False, inputs=())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def nodes(folder):
    """A pipe and a character device (the null device's numbers) made in folder."""
    os.mkfifo(folder / "fifo")
    os.mknod(folder / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return {"fifo": "a pipe (FIFO)", "null": "a character device"}


def test_force_never_replaces_a_pipe_or_a_device_with_a_file(tmp_path):
    for name, what in nodes(tmp_path).items():
        target = tmp_path / name
        for force in (False, True):
            with pytest.raises(ConfigError) as caught:
                writers.write_file_atomically(rows(row=1), target, force=force, inputs=())
            assert str(caught.value) == (
                f"output file {target} is {what}, not a regular file; --force replaces only "
                "files: give a file name"
            )
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode)
    assert stat.S_ISCHR(os.lstat(tmp_path / "null").st_mode)
    assert names(tmp_path) == ["fifo", "null"]


def test_a_pipe_made_during_the_write_is_left_alone(tmp_path, monkeypatch):
    target = tmp_path / "p.csv"
    real = writers.write_csv_pieces

    def raced(pieces, path):
        os.mkfifo(target)  # something else takes the name meanwhile
        return real(pieces, path)

    monkeypatch.setattr(writers, "write_csv_pieces", raced)
    with pytest.raises(OutputError, match="appeared while writing and was left as it is"):
        writers.write_file_atomically(rows(row=1), target, force=True, inputs=())
    assert stat.S_ISFIFO(os.lstat(target).st_mode) and names(tmp_path) == ["p.csv"]


@pytest.mark.parametrize(
    "out, inputs, how",
    [("m.json", ["m.json", "new.csv"], "is"), ("sub/../new.csv", ["m.json", "new.csv"], "is")],
)
def test_an_output_file_that_is_an_input_is_refused_even_with_force(
    tmp_path, monkeypatch, out, inputs, how
):
    monkeypatch.chdir(tmp_path)
    Path("sub").mkdir()
    for name in inputs:
        Path(name).write_text("mine")
    for force in (False, True):
        with pytest.raises(ConfigError) as caught:
            writers.write_file_atomically(rows(row=1), out, force=force, inputs=inputs)
        given = inputs[0] if out == "m.json" else inputs[1]
        assert str(caught.value) == (
            f"output file {out} {how} the input {given}; choose another place"
        )
    assert all(Path(name).read_text() == "mine" for name in inputs)
    assert names(tmp_path) == sorted(["sub", *inputs])


def test_an_output_file_name_near_the_limit_is_written_and_one_over_refused(tmp_path):
    target = tmp_path / ("p" * 250)
    writers.write_file_atomically(rows(row=1), target, force=False, inputs=())
    assert target.read_text() == "row\n1\n" and names(tmp_path) == [target.name]
    with pytest.raises(ConfigError, match=r"has a name of 256 bytes; .* at most 255"):
        check_out_file(tmp_path / ("p" * 256), force=False, inputs=())


def test_a_file_in_pieces_has_one_header_and_a_failing_piece_leaves_nothing(tmp_path):
    target = tmp_path / "p.csv"
    pieces = [
        pd.DataFrame({"row": [0, 1], "p": [0.25, None]}),
        pd.DataFrame({"row": [2], "p": [1.0]}),
    ]
    assert writers.write_file_atomically(pieces, target, force=False, inputs=()) == 3
    assert target.read_text() == "row,p\n0,0.25\n1,\n2,1.0\n"

    def stopped():
        yield pieces[0]
        raise KeyboardInterrupt  # Ctrl-C while the next piece is made

    with pytest.raises(KeyboardInterrupt):
        writers.write_file_atomically(stopped(), tmp_path / "q.csv", force=False, inputs=())
    assert names(tmp_path) == ["p.csv"]


def test_write_columns_writes_the_bytes_csv_writes(tmp_path):
    """A table of a million rows is written by joins, not csv.DictWriter; the bytes are the
    same: Python's str of every value, '\\r\\n' line ends, blocks joined seamlessly."""
    rng = np.random.default_rng(3)
    n = writers.CSV_BLOCK + 7  # two blocks
    p = rng.random(n) * 10.0 ** rng.integers(-320, 300, n)
    p[:4] = [0.0, -0.0, 1e-310, np.finfo(float).max]
    columns = {"row": np.arange(n) * 7, "p_hat": p, "predicted": (p > 0.5).astype(int),
               "held_out": rng.random(n) < 0.2}  # fmt: skip
    writers.write_columns(columns, tmp_path / "fast.csv")
    with (tmp_path / "csv.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(
            {"row": int(r), "p_hat": float(q), "predicted": int(c), "held_out": bool(h)}
            for r, q, c, h in zip(*columns.values(), strict=True)
        )
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "csv.csv").read_bytes()


@pytest.mark.parametrize("bulk", [2, writers.JSON_BULK])
def test_strict_json_is_json_dumps_text_with_long_lists_joined(monkeypatch, bulk):
    monkeypatch.setattr(writers, "JSON_BULK", bulk)
    rng = np.random.default_rng(5)
    curve = (rng.random(3000) * 10.0 ** rng.integers(-300, 300, 3000)).tolist()
    record = {
        "roc": {"fpr": curve, "thresholds": [math.inf, *curve[:2000], math.nan]},
        "nested": [[1e300, -0.0, 2.5, math.inf], [1.0, 2.0, 3.0], (0.5, 0.25, 0.125)],
        "ints": [1, 2, 3], "mixed": [1.0, 2, None], "empty": [], "text": "a\x00b",
        "top": curve[:5],
    }  # fmt: skip
    expected = json.dumps(json_safe(record), indent=2, allow_nan=False)
    assert writers.strict_json(record) == expected
    assert writers.strict_json(curve[:3]) == json.dumps(curve[:3], indent=2)
