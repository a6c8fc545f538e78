"""The column checks on their own: a table's rows and values before a formula codes them, and
the design's columns after (build_design's refusals through them: test_design.py)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from logitlab.config import FLOAT32_MAX
from logitlab.data import checks
from logitlab.data.checks import (
    COLLINEAR_TOL,
    as_design,
    check_columns,
    check_finite,
    check_frame,
    check_level_counts,
    check_levels,
    column_sums,
    complete_rows,
    design_array,
    design_gram,
    independent,
    missing_counts,
    missing_words,
    python_value,
    refuse_dependent,
    sorted_values,
    too_many_levels,
    value_text,
    within,
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


# --- the fast checks (one reduction, one Gram matrix) against the value-by-value ones ------


def layouts(x):
    """The same values C-ordered, Fortran-ordered and as a strided view (no fast sum)."""
    wide = np.zeros((x.shape[0], 2 * x.shape[1]))
    wide[:, ::2] = x
    return [np.ascontiguousarray(x), np.asfortranarray(x), wide[:, ::2]]


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 499])
def test_non_finite_cells_named_as_cell_by_cell(value, row):
    """NaN or inf in the first or the last row: check_finite names the row a cell-by-cell
    search finds (np.isfinite), whatever the layout; design_array refuses it."""
    x = np.random.default_rng(0).standard_normal((500, 3))
    x[row, 1] = value
    x[250, 1] = value
    rows = np.arange(500) + 7
    bad = np.flatnonzero(~np.isfinite(x[:, 1]))  # the reference
    for array in layouts(x):
        assert not within(array, math.inf) and not within(array, FLOAT32_MAX)
        with pytest.raises(DataError) as caught:
            check_finite(array, ("a", "b", "c"), rows)
        assert str(caught.value) == (
            f"term 'b' is NaN or infinite in {len(bad)} row(s), the first being "
            f"row {rows[bad[0]] + 1:,} (line {rows[bad[0]] + 2:,} of its file)"
        )
        with pytest.raises(DataError, match=r"^X contains NaN or infinite values$"):
            design_array(array)


@pytest.mark.parametrize("row", [0, -1])
def test_float32_range_decided_as_value_by_value(row):
    """A value just past float32's largest is refused wherever it is; the largest itself,
    and squares that overflow float64 (a false alarm of the sum), pass after the slow look."""
    x = np.random.default_rng(1).standard_normal((300, 4))
    x[row, 2] = FLOAT32_MAX
    for array in layouts(x):
        assert design_array(array) is not None
        check_finite(array, tuple("abcd"), np.arange(300))
    x[row, 2] = np.nextafter(FLOAT32_MAX, np.inf)
    for array in layouts(x):
        with pytest.raises(DataError, match=r"beyond float32's range .* up to 3\.403e\+38$"):
            design_array(array)
    x[row, 2] = 1e200  # finite: its square overflows, so the sum cannot vouch for it
    assert not within(x, math.inf)
    check_finite(x, tuple("abcd"), np.arange(300))


def test_within_agrees_with_a_cell_by_cell_look():
    rng = np.random.default_rng(2)
    for _ in range(50):
        x = rng.standard_normal((40, 3)) * 10.0 ** rng.integers(-5, 40)
        exact = bool(np.all(np.isfinite(x)) and np.abs(x).max() <= FLOAT32_MAX)
        for array in layouts(x):
            assert within(array, FLOAT32_MAX) <= exact  # True only when so
            if np.abs(x).max() < 1e37:
                assert within(array, FLOAT32_MAX)  # and no false alarm at ordinary sizes


@pytest.mark.parametrize(
    "convert",
    [
        lambda x: x.astype(np.float32),
        np.asfortranarray,
        lambda x: pd.DataFrame(x),
        lambda x: torch.from_numpy(x.astype(np.float32)),
        torch.from_numpy,
    ],
)
def test_inputs_of_every_kind_checked_and_copied_as_numpy_converts(convert):
    """A float32, Fortran-ordered, DataFrame or tensor design gives NumPy's float64 values;
    as_design NumPy's float32 ones, in a copy the caller's array does not share."""
    x = np.random.default_rng(3).standard_normal((200, 3))
    value = convert(x.copy())
    reference = np.array(value.numpy() if isinstance(value, torch.Tensor) else value)
    np.testing.assert_array_equal(design_array(value), reference.astype(np.float64))
    tensor = as_design(value)
    assert tensor.dtype == torch.float32 and tensor.is_contiguous()
    np.testing.assert_array_equal(tensor.numpy(), reference.astype(np.float32))
    tensor.fill_(0.0)  # the caller's values stay as they were
    after = np.asarray(value.numpy() if isinstance(value, torch.Tensor) else value)
    np.testing.assert_array_equal(after, reference)
    bad = convert(np.where(np.arange(600).reshape(200, 3) == 599, np.nan, x))
    with pytest.raises(DataError, match=r"^X contains NaN or infinite values$"):
        as_design(bad)


@pytest.mark.parametrize("n", [1, 1023, 1024, 5000])
def test_column_sums_and_gram_equal_numpy_s(n):
    x = np.random.default_rng(4).standard_normal((n, 5)) + 100.0
    for array in layouts(x):
        np.testing.assert_allclose(column_sums(array), x.sum(axis=0), rtol=1e-13)
        design = np.column_stack((np.ones(n), x))
        np.testing.assert_allclose(design_gram(array, True), design.T @ design, rtol=1e-13)
        np.testing.assert_allclose(design_gram(array, False), x.T @ x, rtol=1e-13)
    for intercept in (True, False):  # no column but the intercept: nothing to refuse
        check_columns(x[:, :0], (), intercept)
        assert design_gram(x[:, :0], intercept).shape == (intercept, intercept)


def planted(n, rest, mean=0.0, seed=5):
    """Three columns, the third a + b plus noise uncorrelated with them (and centred), so that
    a share `rest` of its centred variance is theirs to leave unexplained; shifted by mean."""
    rng = np.random.default_rng(seed)
    a, b, z = rng.standard_normal((3, n))
    base = np.column_stack((np.ones(n), a, b))
    z -= base @ np.linalg.lstsq(base, z, rcond=None)[0]
    combined = a + b - (a + b).mean()
    noise = z * math.sqrt(rest / (1 - rest) * (combined @ combined) / (z @ z))
    return np.column_stack((a, b, a + b + noise)) + mean


def verdict(check, x, intercept):
    try:
        check(x, ("a", "b", "c"), intercept)
    except DataError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("mean", [0.0, 5.0, 1e4])
@pytest.mark.parametrize("share", [0.5, 0.9, 0.99, 1.01, 1.1, 2.0, 1e3])
def test_near_collinear_at_the_tolerance_s_edge_same_verdict(share, mean):
    """Columns whose unexplained variance sits around COLLINEAR_TOL: check_columns gives the
    value-by-value verdict (refused below it, kept above, as refuse_dependent decides), and
    independent vouches for none it would refuse."""
    x = planted(2000, share * COLLINEAR_TOL, mean)
    slow = verdict(refuse_dependent, x, True)
    assert (slow is not None) == (share < 1)  # the planted share, computed independently
    assert verdict(check_columns, x, True) == slow
    if slow is not None:
        assert slow.startswith("term 'c' is collinear with 'a', 'b' and the intercept")
        assert not independent(design_gram(x, True), len(x), True)
    if share == 1e3 and mean < 1e4:
        assert independent(design_gram(x, True), len(x), True)  # the fast path is taken


@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("case", ["constant", "zero", "same", "collinear", "nan", "tiny", "clean"])
def test_fast_and_slow_column_checks_give_the_same_verdicts(case, intercept):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1000, 3)) + np.array([0.0, 3.0, -2.0])
    if case == "constant":
        x[:, 1] = 0.1
    elif case == "zero":
        x[:, 1] = 0.0
    elif case == "same":
        x[:, 2] = x[:, 0]
    elif case == "collinear":
        x[:, 2] = 2.0 * x[:, 0] - 0.5 * x[:, 1]
    elif case == "nan":
        x[-1, 0] = np.nan
    elif case == "tiny":  # squares below float64's normal range: rounding beyond the bound
        x[:, 2] *= 1e-160
    slow = verdict(refuse_dependent, x, intercept)
    for array in layouts(x):
        assert verdict(check_columns, array, intercept) == slow
    gram = design_gram(x, intercept)
    vouched = case == "clean" or (case == "constant" and not intercept)
    assert independent(gram, len(x), intercept) == vouched
    expected = {
        "constant": "term 'b' is constant (0.1 in every row)" if intercept else None,
        "zero": "term 'b' is constant (0 in every row)",
        "same": "terms 'a' and 'c' are the same column",
        "collinear": "term 'c' is collinear with 'a', 'b'",
        "nan": None,  # check_finite's to refuse, as before
        "tiny": None,
        "clean": None,
    }[case]
    assert (slow is None) == (expected is None) and (slow or "").startswith(expected or "")


def test_random_designs_the_gram_vouches_for_pass_value_by_value():
    """Soundness of the bound: over designs with a planted share of unexplained variance
    from 1e-13 to 1e-5 and means up to 1e5 standard deviations, whenever independent says
    yes, refuse_dependent refuses nothing; it says yes on most designs far from collinear."""
    rng = np.random.default_rng(7)
    vouched = far = 0
    for seed in range(150):
        n, rest = int(rng.integers(20, 1500)), 10 ** rng.uniform(-13, -5)
        x = planted(n, rest, 0.0, seed) * 10 ** rng.uniform(-3, 3, 3)
        x += 10 ** rng.uniform(-2, 5, 3) * rng.choice([-1, 1], 3)
        x = x[:, rng.permutation(3)]
        for intercept in (True, False):
            if independent(design_gram(x, intercept), n, intercept):
                vouched += 1
                assert verdict(refuse_dependent, x, intercept) is None
        clean = rng.standard_normal((n, 3)) * 10 ** rng.uniform(-3, 3, 3) + rng.normal(0, 100, 3)
        far += independent(design_gram(clean, True), n, True)
    assert vouched > 30 and far == 150


def test_check_columns_reads_no_value_again_when_the_gram_vouches(monkeypatch):
    """The fast path alone decides ordinary data: the value-by-value look is not called, and
    a Gram matrix handed in (as a fit's first pass has it) is used instead of a new one."""

    def forbidden(*args):
        raise AssertionError("looked value by value")

    x = np.random.default_rng(8).standard_normal((3000, 4)) + 2.0
    design = np.column_stack((np.ones(3000), x))
    monkeypatch.setattr(checks, "refuse_dependent", forbidden)
    check_columns(x, tuple("abcd"), True)
    monkeypatch.setattr(checks, "design_gram", forbidden)
    check_columns(x, tuple("abcd"), True, design.T @ design)
    x[:, 3] = x[:, 0]
    with pytest.raises(AssertionError, match="value by value"):
        check_columns(x, tuple("abcd"), True, np.column_stack((np.ones(3000), x)).T @ design)
