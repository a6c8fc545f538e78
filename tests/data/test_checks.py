"""The column checks on their own: a table's rows and values before a formula codes them, and
the design's columns after (build_design's refusals through them: test_design.py)."""

import numpy as np
import pandas as pd
import pytest

from logitlab.data.checks import (
    check_finite,
    check_frame,
    check_level_counts,
    check_levels,
    complete_rows,
    missing_counts,
    missing_words,
    python_value,
    sorted_values,
    too_many_levels,
    value_text,
)
from logitlab.data.formula import parse_formula
from logitlab.errors import DataError


def test_check_frame_wants_rows_and_distinct_names():
    frame = pd.DataFrame({"a": [1]})
    assert check_frame(frame) is frame
    with pytest.raises(DataError, match="no rows"):
        check_frame(frame.iloc[:0])
    with pytest.raises(DataError, match="more than one column named 'a'"):
        check_frame(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(DataError, match="pandas DataFrame, got list"):
        check_frame([1])


def test_complete_rows_drop_or_refuse_and_give_plain_columns():
    frame = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": ["x", "y", None]})
    kept, rows = complete_rows(frame, ["a", "b"], "drop")
    np.testing.assert_array_equal(rows, [0])
    assert kept["a"].dtype == np.int64 and kept["b"].tolist() == ["x"]
    with pytest.raises(DataError, match=r"column 'a' has 1 missing value.*row 2 "):
        complete_rows(frame, ["a", "b"], "error")


def test_values_as_messages_and_levels_show_them():
    assert python_value(np.int64(3)) == 3 and type(python_value(np.int64(3))) is int
    assert value_text(1 / 3) == "0.333333" and value_text("a") == "'a'"
    assert sorted_values([2, 1]) == [1, 2]
    assert sorted_values(["b", 1]) == [1, "b"]  # mixed kinds: by their text


def test_level_counts_refused_before_coding():
    frame = pd.DataFrame({"y": [0, 1, 0], "g": ["p", "q", "r"], "n": [1, 2, 3]})
    _, rhs = parse_formula("y ~ g + n + C(n)", frame)
    assert check_level_counts(frame, rhs, ("g", "n"), 3) == {"g": 3, "n": 3}
    with pytest.raises(DataError, match=too_many_levels("column 'g'", 3, 2).split(" (")[0]):
        check_level_counts(frame, rhs, ("g", "n"), 2)


def test_unseen_levels_named_with_their_row():
    frame = pd.DataFrame({"g": ["p", "s", "q"]})
    check_levels(frame.iloc[[0, 2]], "C(g)", ["p", "q"], ["g"], np.array([0, 2]))
    with pytest.raises(DataError, match=r"column 'g' has level\(s\) .* 's' \(first in row 8 "):
        check_levels(frame, "g", ["p", "q"], ["g"], np.array([5, 7, 9]))


def test_rows_count_from_1_and_name_the_file_s_line():
    """Row 0 of a frame read from a file with a header is the spreadsheet's row 1, the
    file's line 2; every level the model has not seen is named, or counted."""
    frame = pd.DataFrame({"g": ["p", "q", *(f"n{i:02}" for i in range(12))]})
    with pytest.raises(DataError) as caught:
        check_levels(frame, "g", ["p"], ["g"], np.arange(14))
    assert str(caught.value) == (
        "column 'g' has level(s) the model has not seen: 'n00', 'n01', 'n02', 'n03', 'n04', "
        "'n05', 'n06', 'n07', 'n08', 'n09' and 3 more (first in row 2 (line 3 of its file)); "
        "it knows 'p'"
    )
    with pytest.raises(DataError, match=r", the first in row 2 \(line 3 of its file\); drop "
                       r"those rows \(--missing drop\)"):  # fmt: skip
        complete_rows(pd.DataFrame({"x": [1.0, None]}), ["x"], "error")
    with pytest.raises(DataError, match=r"the first being row 1 \(line 2 of its file\)$"):
        check_finite(np.array([[np.inf]]), ("a",), np.array([0]))


def test_check_finite_names_the_term_and_the_table_row():
    x = np.array([[1.0, 2.0], [1.0, np.inf], [np.nan, 1.0]])
    with pytest.raises(DataError, match=r"term 'a' is NaN or infinite in 1 row\(s\), .* row 13"):
        check_finite(x, ("a", "b"), np.array([10, 11, 12]))
    check_finite(x[:1], ("a", "b"), np.array([0]))


def test_missing_counts_name_each_column_with_gaps_most_first():
    frame = pd.DataFrame(
        {
            "y": [1, None, 0, 1],
            "a": [None, None, 1.0, None],
            "b": [1, 2, 3, 4],
            "c": ["x", None, "z", "w"],
        }
    )
    counts = missing_counts(frame, ["y", "a", "b", "c"])
    assert counts == {"a": 3, "y": 1, "c": 1}  # reference: isna counted by hand
    assert list(counts) == ["a", "y", "c"]  # most first, ties in the model's order


@pytest.mark.parametrize(
    ("dropped", "missing", "words"),
    [
        (0, {}, "no row dropped for a missing value"),
        (1, {"Age": 1}, "1 row dropped for a missing value (1 in 'Age')"),
        (
            179,
            {"Age": 177, "Embarked": 2},
            "179 rows dropped for a missing value (177 in 'Age', 2 in 'Embarked')",
        ),
        (12, {f"c{i}": 1 for i in range(12)}, "(1 in 'c0', 1 in 'c1',"),
        (12, {f"c{i}": 1 for i in range(12)}, "1 in 'c9' and 2 more columns)"),
    ],
)
def test_missing_words_say_how_many_rows_and_which_columns(dropped, missing, words):
    text = missing_words(dropped, missing)
    assert words in text and "\n" not in text
