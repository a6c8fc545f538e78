import json
import math

import pytest

from logitlab.errors import ConfigError
from logitlab.report.files import staged_dir, write_csv, write_json


def test_write_json_turns_non_finite_numbers_into_null(tmp_path):
    path = write_json({"a": math.nan, "b": [1.5, math.inf], "c": {"d": 2}}, tmp_path / "r.json")
    assert json.loads(path.read_text()) == {"a": None, "b": [1.5, None], "c": {"d": 2}}
    assert "NaN" not in path.read_text()


def test_write_csv_has_a_header_row(tmp_path):
    path = write_csv([{"x": 1, "y": 0}, {"x": 2, "y": 1}], tmp_path / "t.csv")
    assert path.read_text().splitlines() == ["x,y", "1,0", "2,1"]


def test_staged_dir_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staged_dir(out) as stage:
        (stage / "half.txt").write_text("x")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with staged_dir(out) as stage:
        (stage / "whole.txt").write_text("x")
        assert not out.exists()
    assert [p.name for p in out.iterdir()] == ["whole.txt"]


def test_staged_dir_replaces_only_with_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(ConfigError, match=r"not empty.*force"), staged_dir(out):
        pass
    with staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
