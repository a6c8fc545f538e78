import math
import warnings

import numpy as np
import pytest
import torch

from logitlab.data import as_design, as_labels, load_csv, save_csv, simulate
from logitlab.errors import DataError


def test_simulation_follows_the_lecture(lecture_data):
    x, pi, y = lecture_data.x, lecture_data.pi, lecture_data.y
    assert x.shape == pi.shape == y.shape == (2000, 1)
    assert x.dtype == torch.float32
    assert torch.equal(x, torch.linspace(-1, 1, 2000).reshape(2000, 1))
    assert torch.allclose(pi, torch.exp(-1 + 5 * x) / (1 + torch.exp(-1 + 5 * x)))
    assert set(torch.unique(y).tolist()) == {0.0, 1.0}


def test_same_seed_same_bytes_other_seed_other_draw():
    a, b, c = simulate(seed=7), simulate(seed=7), simulate(seed=8)
    assert a.y.numpy().tobytes() == b.y.numpy().tobytes()
    assert not torch.equal(a.y, c.y)


def test_simulation_leaves_global_rng_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    simulate(seed=1)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_labels_have_the_right_distribution(seed):
    # E[mean y] = mean pi; Var[mean y] = sum pi(1-pi) / n^2. Within 4 standard errors.
    data = simulate(n=20_000, seed=seed)
    pi = data.pi.double()
    se = math.sqrt(float((pi * (1 - pi)).sum())) / data.n
    assert abs(float(data.y.double().mean() - pi.mean())) < 4 * se


def test_csv_round_trip_is_exact(tmp_path, lecture_data):
    path = tmp_path / "data.csv"
    save_csv(lecture_data, path)
    assert path.read_text().splitlines()[0] == "x,pi,y"
    back = load_csv(path)
    assert torch.equal(back.x, lecture_data.x)
    assert torch.equal(back.pi, lecture_data.pi)
    assert torch.equal(back.y, lecture_data.y)


@pytest.mark.parametrize(
    "text, words",
    [
        ("a,b\n1,2\n", "columns x and y"),
        ("x,y\n0.1,2\n", "only 0 and 1"),
        ("x,y\nnan,1\n", "NaN"),
        ("x,y\n0.1,zero\n", "cannot read"),
    ],
)
def test_bad_csv_is_a_data_error(tmp_path, text, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=words):
        load_csv(path)


def test_design_and_label_checks():
    assert as_design([1.0, 2.0]).shape == (2, 1)
    assert as_labels(np.array([[0], [1]]), 2).shape == (2, 1)
    with pytest.raises(DataError, match="NaN"):
        as_design([[1.0], [np.nan]])
    with pytest.raises(DataError, match="one label per row"):
        as_labels([0, 1, 1], 2)
    with pytest.raises(DataError, match="only 0 and 1"):
        as_labels([0, 2], 2)
    with pytest.raises(DataError, match="numeric"):
        as_design([["a"], ["b"]])


def test_read_only_arrays_are_copied_without_a_warning():
    x, y = np.array([[0.5], [1.5]]), np.array([0.0, 1.0])
    x.flags.writeable = y.flags.writeable = False  # as pandas and statsmodels hand them out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        design, labels = as_design(x), as_labels(y, 2)
    design[0, 0], labels[0, 0] = 9.0, 1.0  # the copies are the caller's to change
    assert x[0, 0] == 0.5 and y[0] == 0.0
