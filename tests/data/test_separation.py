"""The one-feature shortcut of the separation check agrees with the linear program."""

import numpy as np
import pytest

from logitlab.data.separation import separation, separation_of


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
