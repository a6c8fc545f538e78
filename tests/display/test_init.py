"""The pieces of a notebook's display: short lists of numbers, table cells, escaped cards."""

import math

import numpy as np
import pytest

from logitlab import display


def test_numbers_lists_a_few_and_counts_the_rest():
    values = np.linspace(-1.0, 1.0, 20)
    text = display.numbers(values)
    assert text == "[" + ", ".join(f"{v:.4g}" for v in values[:6]) + ", … 14 more]"
    assert display.numbers([0.5, 2.0]) == "[0.5, 2]"
    assert display.numbers([]) == "[]"


@pytest.mark.parametrize(
    ("value", "cell"),
    [(0.123456, "0.1235"), (-2.5, "-2.5000"), (1.5e-5, "1.5e-05"), (2.5e7, "2.5e+07"),
     (0.0, "0.0000"), (math.nan, "—"), (None, "—"), (math.inf, "inf")],
)  # fmt: skip
def test_number_is_a_readable_cell(value, cell):
    assert display.number(value) == cell


def test_p_values_and_counts_read_as_tables_print_them():
    assert display.p_value(0.0004) == "< 0.001" and display.p_value(0.0123) == "0.012"
    assert display.p_value(math.nan) == "—"  # odds ratios and penalized fits have none
    assert display.count(10000) == "10,000"


def test_cards_escape_every_value():
    env = display.environment()
    page = env.from_string("{{ x }}").render(x="<script>alert(1)</script>")
    assert page == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_names_list_a_few_levels_and_count_the_rest():
    assert display.names(["a", 1, 2.5]) == "'a', 1, 2.5"
    assert display.names(range(10), limit=3) == "0, 1, 2, … 7 more"


def test_shortened_keeps_short_text_and_marks_a_cut():
    assert display.shortened("y ~ x") == "y ~ x"
    long = "y ~ " + " + ".join(f"x{i}" for i in range(40))
    cut = display.shortened(long)
    assert len(cut) == 60 and cut.endswith("…") and long.startswith(cut[:-1])
