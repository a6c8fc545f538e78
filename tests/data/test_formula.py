"""The formula adapter: the columns a formula reads, its terms and its right-hand side's text
(build_design's use of it: test_design.py)."""

import pandas as pd
import pytest

from logitlab.data.formula import (
    categorical_columns,
    design_width,
    factor_names,
    first_line,
    formula_text,
    materialize,
    mismatch_warning,
    model_columns,
    parse_formula,
    require_columns,
    rhs_text,
    used_columns,
)
from logitlab.errors import ConfigError, DataError


def test_model_columns_are_the_target_then_the_used_ones_in_table_order():
    columns = ["a", "y", "b", "c", "d"]
    assert model_columns(columns, formula="y ~ C(d) + np.log(b)") == ("y", "b", "d")
    assert model_columns(columns, target="y", features=["c", "a"]) == ("y", "a", "c")
    with pytest.raises(DataError, match="no column 'e'"):
        model_columns(columns, formula="y ~ e")


def test_formula_text_writes_target_and_features_quoted():
    frame = pd.DataFrame(columns=["y", "a", "odd name"])
    assert formula_text(frame, None, "y", None) == "y ~ a + `odd name`"
    assert formula_text(frame, " y ~ a ", None, None) == "y ~ a"
    with pytest.raises(ConfigError, match="not both"):
        formula_text(frame, "y ~ a", "y", None)


def test_parse_formula_gives_the_target_and_the_columns_read():
    frame = pd.DataFrame(columns=["y", "a", "b", "g"])
    target, rhs = parse_formula("y ~ center(b) + C(g) + a:b", frame)
    assert target == "y"
    assert used_columns(rhs, frame, target) == ("a", "b", "g")
    assert categorical_columns(rhs) == {"g"}
    assert set().union(*(factor_names(f) for term in rhs for f in term.factors)) == {"a", "b", "g"}
    with pytest.raises(ConfigError, match="cannot also be on the right"):
        parse_formula("y ~ a + y", frame)


def test_a_dotted_column_name_is_read_whole():
    # R writes such names (x.1, odd.name); the columns read were 'x' and 'odd' before.
    frame = pd.DataFrame(columns=["y", "x.1", "odd.name", "b"])
    target, rhs = parse_formula("y ~ x.1 + np.log(`odd.name`) + center(b)", frame)
    assert used_columns(rhs, frame, target) == ("x.1", "odd.name", "b")
    reads = [factor_names(f) for term in rhs for f in term.factors]
    assert {"x.1"} in reads and {"np", "odd.name"} in reads and {"b"} in reads


def test_rhs_text_parses_back_to_the_same_terms():
    frame = pd.DataFrame(columns=["y", "odd name", "b"])
    _, rhs = parse_formula("y ~ `odd name` * np.log(b) - 1", frame)
    text = rhs_text(rhs, intercept=False)
    assert text.endswith(" - 1") and "`odd name`" in text
    _, again = parse_formula(f"y ~ {text}", frame)
    assert [str(term) for term in again] == [str(term) for term in rhs]


def test_materialize_and_design_width_count_the_one_hot_columns():
    frame = pd.DataFrame({"y": [0, 1, 0, 1], "a": [1.0, 2, 3, 4], "g": ["p", "q", "r", "p"]})
    _, rhs = parse_formula("y ~ a + g", frame)
    matrix = materialize(rhs, frame[["a", "g"]])
    assert matrix.model_spec.column_names == ("Intercept", "a", "g[T.q]", "g[T.r]")
    assert design_width(rhs, {"g": 3}) == 5  # a bound: the intercept, a, and one per level
    with pytest.raises(DataError, match="cannot build the formula's columns"):
        materialize(parse_formula("y ~ np.nope(a)", frame)[1], frame[["a"]])


def test_require_columns_lists_the_columns():
    frame = pd.DataFrame(columns=[f"c{i}" for i in range(10)])
    require_columns(frame, ["c0", "c9"])
    with pytest.raises(DataError, match=r"no column 'z'.*are 'c0', 'c1', .*'c8', 'c9'$"):
        require_columns(frame, ["c0", "z"])


def test_require_columns_names_every_missing_one_and_counts_the_columns_it_leaves_out():
    frame = pd.DataFrame(columns=[f"c{i}" for i in range(25)])
    with pytest.raises(DataError) as caught:
        require_columns(frame, ["z", "c0", "y", "z"])
    assert str(caught.value) == (
        "no columns 'z', 'y' in the table; its columns are 'c0', 'c1', 'c2', 'c3', 'c4', "
        "'c5', 'c6', 'c7', 'c8', 'c9' and 15 more"
    )


def test_first_line_drops_colours_and_later_lines():
    assert first_line(ValueError("\x1b[1mbad\x1b[0m term\nmore")) == "bad term"
    assert len(first_line(ValueError("x" * 500))) == 200
    assert issubclass(mismatch_warning(), Warning)
