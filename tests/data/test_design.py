"""build_design against statsmodels' own model matrices (patsy), target coding, missing rows,
the refusals of item 9, and the spec rebuilding the same columns on new rows (model files:
test_modelfile.py)."""

import json
import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from sklearn.preprocessing import OneHotEncoder

from logitlab import budget
from logitlab.data.datasets import load_dataset
from logitlab.data.design import ModelSpec, build_design, coding_notes, match_positive
from logitlab.data.modelfile import spec_from_record, spec_record
from logitlab.errors import ConfigError, DataError


@pytest.fixture
def table():
    rng = np.random.default_rng(5)
    n = 120
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "a": rng.normal(size=n) + 3.0,
            "b": rng.normal(size=n),
            "g": rng.choice(["lo", "mid", "hi"], n),
            "odd name": rng.uniform(1, 2, n),
        }
    )


def same_as_statsmodels(frame, formula):
    """Our design equals statsmodels' exog (patsy) column for column, matched by name."""
    design = build_design(frame, formula=formula)
    model = smf.logit(formula, frame)
    exog = dict(zip(model.exog_names, model.exog.T, strict=True))
    assert design.intercept == ("Intercept" in exog)
    assert set(design.names) == set(exog) - {"Intercept"}
    for j, name in enumerate(design.names):
        np.testing.assert_allclose(design.X[:, j], exog[name], rtol=1e-13, atol=0, err_msg=name)
    np.testing.assert_array_equal(design.y, model.endog)
    return design


def test_spector_equals_statsmodels():
    design = same_as_statsmodels(load_dataset("spector").frame, "GRADE ~ GPA + TUCE + C(PSI)")
    assert design.names == ("GPA", "TUCE", "C(PSI)[T.1]")


def test_categorical_interaction_transforms_equal_statsmodels(table):
    same_as_statsmodels(table, "y ~ a * C(g) + I(b ** 2) + np.log(a) + b:a")


def test_no_intercept_equals_statsmodels(table):
    design = same_as_statsmodels(table, "y ~ a + b - 1")
    assert not design.intercept


def test_text_column_one_hot_against_first_level(table):
    design = build_design(table, target="y", features=["g"])
    reference = OneHotEncoder(drop="first", sparse_output=False).fit(table[["g"]])
    levels = sorted(table["g"].unique())
    assert design.names == tuple(f"g[T.{level}]" for level in levels[1:])
    np.testing.assert_array_equal(design.X, reference.transform(table[["g"]]))
    assert any(f"first level {levels[0]!r}" in note for note in design.coding)


def test_target_and_features_build_the_quoted_formula(table):
    design = build_design(table, target="y")
    assert design.formula == "y ~ a + b + g + `odd name`"
    same = build_design(table, formula="y ~ a + b + g + `odd name`")
    np.testing.assert_array_equal(design.X, same.X)
    assert "odd name" in design.names


@pytest.mark.parametrize(
    ("values", "positive", "success"),
    [
        ([0, 1, 1, 0], None, 1),
        ([False, True, True, False], None, True),
        (["no", "yes", "yes", "no"], None, "yes"),
        (["no", "yes", "yes", "no"], "no", "no"),
        ([0.0, 1.0, 1.0, 0.0], "1", 1.0),
        ([False, True, True, False], "true", True),
        ([2, 5, 5, 2], 2, 2),
    ],
)
def test_target_coding(values, positive, success):
    frame = pd.DataFrame({"t": values, "x": [0.5, 1.0, 2.0, 4.0]})
    design = build_design(frame, target="t", positive=positive)
    assert design.positive == success
    np.testing.assert_array_equal(design.y, [float(v == success) for v in values])
    assert design.negative in values and design.negative != success


def test_positive_that_is_no_value():
    frame = pd.DataFrame({"t": ["a", "b"], "x": [1.0, 2.0]})
    with pytest.raises(DataError, match="'a' or 'b'"):
        build_design(frame, target="t", positive="c")


@pytest.mark.parametrize(("values", "count"), [([1, 1, 1, 1], "1"), ([0, 1, 2, 1], "3")])
def test_target_needs_two_values(values, count):
    frame = pd.DataFrame({"t": values, "x": [0.5, 1.0, 2.0, 4.0]})
    with pytest.raises(DataError, match=f"exactly two values, got {count}"):
        build_design(frame, target="t")


def test_missing_rows_dropped_and_counted(table):
    frame = table.copy()
    frame.loc[[3, 7], "a"] = np.nan
    frame.loc[[7, 9], "g"] = None
    frame.loc[11, "b"] = np.nan  # b is not used: row 11 stays
    design = build_design(frame, formula="y ~ a + g")
    assert design.dropped == 3
    assert design.missing == {"a": 2, "g": 2}  # why: row 7 misses both; b is not used
    assert build_design(table, formula="y ~ a + g").missing == {}
    np.testing.assert_array_equal(design.rows, np.setdiff1d(np.arange(len(frame)), [3, 7, 9]))
    full = build_design(table, formula="y ~ a + g")
    np.testing.assert_array_equal(design.X, full.X[design.rows])


def test_missing_error_names_the_column(table):
    frame = table.copy()
    frame.loc[5, "b"] = np.nan
    with pytest.raises(DataError, match="column 'b' has 1 missing value"):
        build_design(frame, formula="y ~ a + b", missing="error")


def test_every_row_dropped(table):
    frame = table.assign(a=np.nan)
    with pytest.raises(DataError, match="every row"):
        build_design(frame, formula="y ~ a + b")


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_nullable_columns_are_coded_as_their_values(table, backend):
    """convert_dtypes() (Int64, Float64, string, boolean; or Arrow's), missing values too:
    the design of the NumPy columns (int64, float64, object, bool) of the complete rows."""
    full = table.assign(flag=table["b"] > 0)
    nullable = full.convert_dtypes(dtype_backend=backend)
    assert all(dtype.na_value is pd.NA for dtype in nullable.dtypes)  # no NumPy column left
    gaps = {"y": [2, 5], "a": [5, 8], "g": [11], "flag": [14]}
    for name, rows in gaps.items():
        nullable.loc[rows, name] = pd.NA
    formula = "y ~ a + g + flag"
    got = build_design(nullable, formula=formula)
    kept = np.setdiff1d(np.arange(len(table)), [2, 5, 8, 11, 14])
    want = build_design(full.iloc[kept].reset_index(drop=True), formula=formula)
    assert (got.names, got.positive, got.negative) == (want.names, want.positive, want.negative)
    assert got.dropped == 5 and type(got.positive) is int
    np.testing.assert_array_equal(got.rows, kept)
    np.testing.assert_allclose(got.X, want.X, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(got.y, want.y)


@pytest.mark.parametrize(
    ("column", "values", "words"),
    [
        ("b", lambda n: [b"\x00\x01", b"ab"] * (n // 2), "'b' holds bytes"),
        ("y", lambda n: pd.date_range("2020-01-01", periods=2).repeat(n // 2), "'y' holds dates"),
        ("b", lambda n: pd.to_timedelta(np.arange(n) % 3, unit="s"), "'b' holds durations"),
        ("b", lambda n: [[1.0, 2.0]] * n, "'b' holds lists"),
        ("b", lambda n: [{"k": 1}] * n, "'b' holds records"),
        ("b", lambda n: np.arange(n) % 3 + 1j, "'b' holds complex numbers"),
        ("g", lambda n: pd.Categorical([b"lo", b"hi"] * (n // 2)), "'g' holds bytes"),
        ("g", lambda n: ["lo", 1.5, (1, 2)] * (n // 3), "'g' holds lists"),
    ],
)
def test_columns_a_model_cannot_use_are_refused_by_name(table, column, values, words):
    frame = table.assign(**{column: values(len(table))})
    with pytest.raises(DataError) as caught:
        build_design(frame, formula="y ~ a + b + g")
    assert words in str(caught.value) and "numbers, true/false or text" in str(caught.value)
    assert "\n" not in str(caught.value)
    if column != "y":  # a column the model does not use may hold anything
        assert build_design(frame, formula="y ~ a").names == ("a",)


def test_true_false_with_gaps_is_coded_as_without(table):
    """A CSV column of True/False with an empty cell is read as objects: once the row is
    dropped it is the 0/1 column it would be without the gap, not a categorical one."""
    flag = table["b"] > 0
    gappy = table.assign(flag=flag.astype(object).where(table.index != 3, None))
    got = build_design(gappy, formula="y ~ a + flag")
    want = build_design(table.assign(flag=flag).drop(index=3), formula="y ~ a + flag")
    assert got.names == want.names == ("a", "flag")
    np.testing.assert_array_equal(got.X, want.X)


def test_decimals_are_numbers(table):
    from decimal import Decimal

    frame = table.assign(a=[Decimal(repr(v)) for v in table["a"]])
    np.testing.assert_array_equal(
        build_design(frame, formula="y ~ a").X, build_design(table, formula="y ~ a").X
    )


def test_repeated_column_names_refused(table):
    frame = table.set_axis(["y", "a", "a", "g", "odd name"], axis=1)
    with pytest.raises(DataError, match="more than one column named 'a'"):
        build_design(frame, formula="y ~ g")


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"formula": "y ~ a +"}, ConfigError, "does not parse"),
        ({"formula": "y ~ (a"}, ConfigError, "does not parse"),
        ({"formula": "~ a"}, ConfigError, "target ~ terms"),
        ({"formula": "y + a ~ b"}, ConfigError, "one column"),
        ({"formula": "y ~ y + a"}, ConfigError, "cannot also be"),
        ({"formula": "y ~ zz + a"}, DataError, "no column 'zz'"),
        ({"formula": "zz ~ a"}, DataError, "no column 'zz'"),
        ({"target": "y", "features": ["a", "zz"]}, DataError, "no column 'zz'"),
        ({"target": "y", "features": ["a", "y"]}, ConfigError, "cannot also be"),
        ({"formula": "y ~ a", "target": "y"}, ConfigError, "not both"),
        ({"formula": "y ~ a", "missing": "keep"}, ConfigError, "missing must be"),
        ({"formula": "y ~ a + I(a - a + 2)"}, DataError, "constant"),
        ({"formula": "y ~ a + I(a * 1.0)"}, DataError, "'a' and 'I(a * 1.0)' are the same"),
        ({"formula": "y ~ a + b + I(2 * a - b)"}, DataError,
         "'I(2 * a - b)' is collinear with 'a', 'b'"),
        ({"formula": "y ~ a + center(a)"}, DataError, "'center(a)' is collinear with 'a'"),
        ({"formula": "y ~ np.log(b)"}, DataError, "'np.log(b)' is NaN or infinite"),
        ({"formula": "y ~ g", "max_levels": 2}, DataError, "3 levels, more than --max-levels 2"),
        ({"formula": "y ~ C(b)", "max_levels": 50}, DataError, "120 levels"),
        ({"formula": "y ~ 1"}, ConfigError, "besides the intercept"),
    ],
)  # fmt: skip
def test_refusals_name_what_is_wrong(table, kwargs, error, words):
    with pytest.raises(error) as caught:
        build_design(table, **kwargs)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_collinear_dummies_named(table):
    frame = table.assign(h=table["g"].map({"lo": 0.0, "mid": 1.0, "hi": 1.0}))
    with pytest.raises(DataError, match="'h' is collinear with 'g"):
        build_design(frame, formula="y ~ g + h")


def test_correlated_but_not_collinear_is_kept(table):
    noise = np.random.default_rng(9).normal(size=len(table)) * 1e-3
    design = build_design(table.assign(c=table["a"] + noise), formula="y ~ a + c")
    assert design.names == ("a", "c")


# --- the saved spec ------------------------------------------------------------------------

FORMULAS = [
    "y ~ a * C(g) + I(b ** 2) + center(b) + np.log(`odd name`)",
    "y ~ C(g, levels=['mid', 'lo', 'hi']) + scale(a) - 1",
    "y ~ g:b + a",
]


def through_json(spec: ModelSpec) -> ModelSpec:
    return spec_from_record(json.loads(json.dumps(spec_record(spec), allow_nan=False)))


@pytest.mark.parametrize("formula", FORMULAS)
def test_spec_rebuilds_the_same_columns_on_new_rows(table, formula, assert_ulps):
    design = build_design(table, formula=formula)
    spec = through_json(design.spec)
    assert spec == design.spec
    new = table.iloc[::-1][:40].drop(columns="y")  # fewer rows: stateful transforms keep
    again = spec.design(new)  # the fit's state
    # another code path than build_design's: within a few ulps; the same code twice: exactly
    assert_ulps(again, design.X[::-1][:40], precision=np.float64)
    np.testing.assert_array_equal(spec.design(new), again)


def test_unseen_level_refused(table):
    spec = through_json(build_design(table, formula="y ~ a + g").spec)
    new = table.drop(columns="y").head(5).assign(g=["lo", "mid", "top", "hi", "lo"])
    with pytest.raises(DataError, match=r"column 'g' has level.* not seen: 'top'"):
        spec.design(new)


def test_unseen_level_inside_an_expression_refused(table):
    spec = through_json(build_design(table, formula="y ~ a + C(g.str.upper())").spec)
    new = table.drop(columns="y").head(5).assign(g=["lo", "mid", "top", "hi", "lo"])
    with pytest.raises(DataError, match="TOP"):
        spec.design(new)


def test_missing_column_and_value_refused(table):
    spec = build_design(table, formula="y ~ a + b").spec
    with pytest.raises(DataError, match="no column 'b'"):
        spec.design(table.drop(columns="b"))
    with pytest.raises(DataError, match="column 'a' has 1 missing"):
        spec.design(table.assign(a=np.r_[np.nan, table["a"][1:]]))
    x, rows = spec.matrix(table.assign(a=np.r_[np.nan, table["a"][1:]]), missing="drop")
    np.testing.assert_array_equal(rows, np.arange(1, len(table)))
    np.testing.assert_array_equal(x, spec.design(table)[1:])


def test_numbers_where_text_was_refused(table):
    spec = build_design(table, formula="y ~ a + b").spec
    with pytest.raises(DataError):
        spec.design(table.assign(a="many"))


# --- 10**5 columns, 10**5 levels: linear checks, a design that fits or is refused -----------


def test_features_named_twice_among_100000_are_found_in_one_pass():
    names = [f"c{i}" for i in range(10**5)]
    frame = pd.DataFrame(np.zeros((2, len(names))), columns=names)
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="features name c7 more than once"):
        build_design(frame, target="c0", features=[*names[1:], "c7"])
    assert time.perf_counter() - start < 5


@pytest.fixture
def many_levels():
    """LEVELS rows, each its own level of g: a design of LEVELS x LEVELS."""
    rng = np.random.default_rng(0)
    return pd.DataFrame({"y": rng.integers(0, 2, LEVELS), "g": [f"g{i}" for i in range(LEVELS)]})


LEVELS = 2000


def test_the_one_hot_design_is_counted_before_it_is_coded(many_levels, monkeypatch):
    """max_levels lets 2000 levels through; their 2000 x 2000 design (and its Newton
    matrices) is estimated from the level counts and refused where it cannot fit."""
    cost = budget.design(LEVELS, LEVELS)
    assert cost.bytes >= 2 * 8 * LEVELS * LEVELS  # the design and its square matrices
    monkeypatch.setattr(budget, "available_memory", lambda: 1.9 * cost.bytes)
    with pytest.raises(ConfigError, match="coding this table would need ~") as caught:
        build_design(many_levels, target="y", max_levels=200_000)
    assert "max_levels" in str(caught.value) and "\n" not in str(caught.value)


def test_match_positive_reads_a_value_as_typed():
    assert match_positive("1", [0.0, 1.0], "y") == 1.0
    assert match_positive("TRUE", [False, True], "y") is True
    with pytest.raises(DataError, match="positive must be 'no' or 'yes'"):
        match_positive("maybe", ["no", "yes"], "y")


def test_coding_notes_say_how_each_value_became_a_number(table):
    design = build_design(table.assign(t=table["a"] > 3), formula="y ~ g + t")
    notes = coding_notes(design.spec, table.assign(t=table["a"] > 3), ("g", "t"))
    assert notes == design.coding
    assert notes[0] == "y: success is 1 (coded 1), 0 is 0"
    assert any(note.startswith("g: categorical, 0/1 columns against") for note in notes)


def test_explicit_reference_levels_are_named_as_the_formula_chose_them():
    """C(Pclass, Treatment(3)) and C(Sex, Treatment('male')) are coded against 3 and
    'male', not the first levels 1 and 'female', and the notes say so; a model file keeps
    it."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"y": rng.integers(0, 2, 120), "Pclass": rng.integers(1, 4, 120),
                          "Sex": rng.choice(["female", "male"], 120)})  # fmt: skip
    pclass, sex = "C(Pclass, Treatment(3))", "C(Sex, Treatment('male'))"
    design = build_design(frame, formula=f"y ~ {pclass} + {sex}")
    assert design.spec.references == {pclass: 3, sex: "male"}
    assert (
        f"{pclass}: categorical, 0/1 columns against its level 3 (levels 1, 2, 3)" in design.coding
    )
    assert (
        f"{sex}: categorical, 0/1 columns against its level 'male' (levels 'female', 'male')"
        in (design.coding)
    )
    assert spec_from_record(spec_record(design.spec)).references == design.spec.references
    plain = build_design(frame, formula="y ~ C(Pclass) + Sex")
    assert plain.spec.references == {"C(Pclass)": 1, "Sex": "female"}
    first = (
        "Sex: categorical, 0/1 columns against its first level 'female' (levels 'female', 'male')"
    )
    assert first in plain.coding


def test_the_model_is_one_options_object_and_keywords_replace_its_fields(table):
    from logitlab.config import ModelOptions

    model = ModelOptions(formula="y ~ a + C(g)", max_levels=3)
    given = build_design(table, model)
    typed = build_design(table, formula="y ~ a + C(g)", max_levels=3)
    assert given.names == typed.names and given.spec == typed.spec
    np.testing.assert_array_equal(given.X, typed.X)
    assert build_design(table, model, formula="y ~ b").names == ("b",)
    with pytest.raises(ConfigError, match="max_levels"):
        build_design(table, model, max_levels=0)
    with pytest.raises(TypeError, match="'levels'"):
        build_design(table, model, levels=3)


# --- new rows coded row by row (logitlab predict --on-error skip) --------------------------


def test_code_refuses_each_bad_row_alone_and_codes_the_others(table, assert_ulps):
    """One bad row spoils no other: each is refused for its first fault, named with its
    column and value; the rows that can be coded are coded as design() codes them alone."""
    design = build_design(table, formula="y ~ np.log(a) + C(g) + b:g")
    new = table.drop(columns="y").head(8).astype({"a": object})
    new.loc[1, "a"] = 0.0  # np.log(0)
    new.loc[2, "a"] = -1.0  # np.log(-1)
    new.loc[3, "b"] = np.nan
    new.loc[4, "g"] = "top"
    new.loc[5, "a"] = "n/a"  # text where the model reads a number
    new.loc[6, ["b", "g"]] = [np.nan, "top"]  # two faults: the first column's is said
    coded = design.spec.code(new)
    assert coded.refused.tolist() == [1, 2, 3, 4, 5, 6]
    assert coded.reasons == (
        "'np.log(a)' is -inf where 'a' is 0",
        "'np.log(a)' is nan where 'a' is -1",
        "'b' is missing",
        "'g' is 'top', a level the model has not seen",
        "'a' is 'n/a', not a number",
        "'b' is missing",
    )
    assert coded.rows.tolist() == [0, 7]
    alone = design.spec.design(table.drop(columns="y").iloc[[0, 7]])
    assert_ulps(coded.X, alone, precision=np.float64)
    assert_ulps(coded.X, design.X[[0, 7]], precision=np.float64)


def test_code_with_missing_drop_leaves_rows_with_gaps_out_of_both(table):
    design = build_design(table, formula="y ~ a + g")
    new = table.drop(columns="y").head(4)
    new.loc[0, "a"] = np.nan
    new.loc[2, "g"] = "top"
    coded = design.spec.code(new, missing="drop")
    assert coded.rows.tolist() == [1, 3] and coded.refused.tolist() == [2]
    np.testing.assert_array_equal(coded.X, design.spec.design(new.iloc[[1, 3]]))


def test_code_refuses_a_missing_column_whole(table):
    design = build_design(table, formula="y ~ a + g")
    with pytest.raises(DataError, match="no column 'g' in the table"):
        design.spec.code(table[["a", "b"]])
