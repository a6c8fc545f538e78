import math
import re
import warnings

import numpy as np
import pytest
import torch

from logitlab.data import as_design, as_labels, load_csv, save_csv, simulate
from logitlab.data.simulated import PLANE_SHAPES, simulate_plane
from logitlab.errors import ConfigError, DataError


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


# --- the playground's 2-D data sets ---------------------------------------------------------

SHAPES = ("blobs", "xor", "circles", "noise")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("n", [4, 7, 401])
def test_a_2d_set_has_two_float32_columns_and_0_1_labels(shape, n):
    data = simulate_plane(shape, n, seed=3)
    assert data.x.shape == (n, 2) and data.y.shape == (n, 1) and data.n == n
    assert data.x.dtype == data.y.dtype == torch.float32
    assert data.names == ("x1", "x2")
    assert set(torch.unique(data.y).tolist()) <= {0.0, 1.0}
    assert (data.pi is not None) == (shape == "noise")
    assert list(PLANE_SHAPES) == list(SHAPES)


@pytest.mark.parametrize("shape", ["blobs", "xor", "circles"])
@pytest.mark.parametrize("n", [4, 7, 401, 1000])
def test_the_drawn_classes_are_as_balanced_as_n_allows(shape, n):
    ones = int(simulate_plane(shape, n, seed=5).y.sum())
    assert abs(ones - (n - ones)) <= n % 2


def test_blobs_sit_about_their_centres():
    data = simulate_plane("blobs", 4000, seed=1)
    x, y = data.x.double().numpy(), data.y[:, 0].numpy()
    se = 0.8 / math.sqrt(2000)  # the spread over sqrt(points per class): 4 standard errors
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [1.0, 1.0], atol=4 * se)
    np.testing.assert_allclose(x[y == 0].mean(axis=0), [-1.0, -1.0], atol=4 * se)
    np.testing.assert_allclose(x[y == 0].std(axis=0), [0.8, 0.8], rtol=0.05)


def test_xor_labels_say_whether_exactly_one_coordinate_is_positive():
    data = simulate_plane("xor", 4000, seed=2)
    x, y = data.x.double().numpy(), data.y[:, 0].numpy()
    exactly_one = (x[:, 0] > 0) != (x[:, 1] > 0)
    # a point crosses an axis with probability 2 P(N(0, 0.45) > 1) ~ 2.6%
    assert 0.95 < np.mean(exactly_one == (y == 1)) < 0.995


def test_circles_have_the_inner_ring_for_y_1():
    data = simulate_plane("circles", 4000, seed=4)
    x, y = data.x.double().numpy(), data.y[:, 0].numpy()
    radius = np.hypot(x[:, 0], x[:, 1])
    se = 0.25 / math.sqrt(2000)
    assert abs(radius[y == 1].mean() - 0.7) < 4 * se
    assert abs(radius[y == 0].mean() - 1.7) < 4 * se


def test_the_noise_set_is_the_lectures_draw_with_an_unrelated_x2():
    n, seed = 20_000, 9
    data, lecture = simulate_plane("noise", n, seed=seed), simulate(n, seed=seed)
    assert torch.equal(data.x[:, :1], lecture.x) and torch.equal(data.y, lecture.y)
    assert torch.equal(data.pi, lecture.pi)
    x2, y = data.x[:, 1].double().numpy(), data.y[:, 0].double().numpy()
    assert x2.min() >= -1 and x2.max() <= 1
    assert abs(x2.mean()) < 4 * math.sqrt(1 / 3 / n)  # U(-1, 1): variance 1/3
    assert abs(np.corrcoef(x2, y)[0, 1]) < 4 / math.sqrt(n)  # x2 holds nothing of y


@pytest.mark.parametrize("shape", SHAPES)
def test_a_2d_set_same_seed_same_bytes_other_seed_other_draw(shape):
    a, b, c = (simulate_plane(shape, 50, seed=s) for s in (7, 7, 8))
    assert a.x.numpy().tobytes() == b.x.numpy().tobytes()
    assert a.y.numpy().tobytes() == b.y.numpy().tobytes()
    assert not torch.equal(a.x, c.x)


def test_a_2d_draw_leaves_the_global_generators_alone():
    torch.manual_seed(0)
    np.random.seed(0)
    expected = torch.rand(3), np.random.rand(3)
    torch.manual_seed(0)
    np.random.seed(0)
    for shape in SHAPES:
        simulate_plane(shape, 20, seed=1)
    assert torch.equal(torch.rand(3), expected[0])
    np.testing.assert_array_equal(np.random.rand(3), expected[1])


@pytest.mark.parametrize(
    ("shape", "n", "seed", "words"),
    [("moons", 10, 0, "must be one of blobs, xor, circles, noise, got 'moons'"),
     ("xor", 3, 0, "n must be an integer from 4"),
     ("xor", 10.5, 0, "n must be an integer"),
     ("blobs", 10, -1, "seed must be an integer from 0")],
)  # fmt: skip
def test_a_bad_2d_request_is_a_config_error(shape, n, seed, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        simulate_plane(shape, n, seed=seed)
