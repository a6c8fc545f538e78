"""The one-feature shortcut of the separation check agrees with the linear program."""

import numpy as np
import pytest

from logitlab.data.separation import direction_text, separation, separation_of


@pytest.mark.parametrize("seed", range(40))
def test_the_one_feature_shortcut_agrees_with_the_linear_program(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 30))
    x = rng.integers(-5, 6, size=(n, 1)).astype(float)  # small integers: ties happen
    y = (x[:, 0] + rng.normal(scale=rng.choice([0.1, 3.0]), size=n) > 0).astype(float)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    design = np.column_stack((np.ones(n), x))
    exact = separation(design, y, ("Intercept", "x"))
    assert (separation_of(x, y, ("x",)) is None) == (exact is None)


def kind(message):
    return None if message is None else message.split(":")[0]


@pytest.mark.parametrize("seed", range(30))
def test_a_working_set_of_rows_gives_the_full_linear_programs_verdict(seed, monkeypatch):
    """Large data: the programs run on a working set grown by the rows that contradict it;
    the verdict (none, quasi-complete, complete) is the one of the program on every row."""
    from logitlab.data import separation as module

    rng = np.random.default_rng(100 + seed)
    n, d = int(rng.integers(30, 120)), int(rng.integers(1, 4))
    X, w = rng.normal(size=(n, d)), rng.normal(size=d)
    noise = 0.0 if seed % 3 == 0 else rng.choice([0.0, 0.3, 2.0])
    if seed % 3 == 0:  # two equal rows on the hyperplane x'w = 0: at most quasi-complete
        X[0] -= (X[0] @ w) / (w @ w) * w
        X[1] = X[0]
    y = (X @ w + rng.normal(scale=noise, size=n) > 0).astype(float)
    y[:2] = [0, 1] if seed % 3 == 0 else y[:2]
    if y.min() == y.max():
        y[0] = 1 - y[0]
    design = np.column_stack((np.ones(n), X))
    names = ("Intercept", *(f"x{j}" for j in range(d)))
    full = separation(design, y, names)
    monkeypatch.setattr(module, "WORKING_ROWS", 8)
    grown = separation(design, y, names)
    assert kind(grown) == kind(full)
    if kind(grown) == "complete separation":  # the named direction splits every row
        terms = grown.split(": ", 1)[1].split(" is > 0")[0]
        values = {name: design[:, j] for j, name in enumerate(names)}
        value = eval(terms.replace(" ", ""), {}, values)
        assert np.all(value[y == 1] > 0) and np.all(value[y == 0] < 0)


def test_a_direction_is_one_line_whatever_the_names():
    text = direction_text(np.array([1.0, -0.5, 1e-12]), ["a", "line\nbreak", "c"], 1e-9)
    assert text == "1*a - 0.5*'line\\nbreak'"


def test_a_long_direction_shows_its_largest_terms_and_counts_the_rest():
    direction = np.array([0.1, -1.0, 0.2, 0.9, 0.0, 0.3, -0.8, 0.05, 0.7])
    names = [f"x{j}" for j in range(9)]
    text = direction_text(direction, names, 1e-9)
    assert text == "-1*x1 + 0.9*x3 + 0.3*x5 - 0.8*x6 + 0.7*x8 (and 3 more terms)"
