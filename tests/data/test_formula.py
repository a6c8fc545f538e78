"""The formula adapter: the columns a formula reads, its terms and its right-hand side's text
(build_design's use of it: test_design.py)."""

import pytest

from logitlab.data.formula import model_columns
from logitlab.errors import DataError


def test_model_columns_are_the_target_then_the_used_ones_in_table_order():
    columns = ["a", "y", "b", "c", "d"]
    assert model_columns(columns, formula="y ~ C(d) + np.log(b)") == ("y", "b", "d")
    assert model_columns(columns, target="y", features=["c", "a"]) == ("y", "a", "c")
    with pytest.raises(DataError, match="no column 'e'"):
        model_columns(columns, formula="y ~ e")
