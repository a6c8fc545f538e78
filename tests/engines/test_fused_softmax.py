"""The fused engine's softmax kernels (engines.fused) against NumPy and SciPy in float64: the
feature-major tiles, the tiled loss on several tiles and a short last one, with logits far
from zero, and one descent step's gradient on mini-batches of several tiles."""

import numpy as np
import pytest
from scipy.special import logsumexp

from logitlab.engines import fused
from logitlab.engines.batch import shuffled_orders

K, D = 4, 5


def draw(n, spread, seed=3):
    """n points of D features, their codes, and parameters (the K x D weight row by row,
    then the K biases, float32) whose logits reach about +-spread."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, D)).astype(np.float32)
    codes = rng.integers(0, K, n)
    w = (rng.normal(size=K * (D + 1)) * spread / np.sqrt(D)).astype(np.float32)
    return x, codes, w


def logits(x, w):
    """x W' + b in float64."""
    weight = np.asarray(w, dtype=float)
    return x.astype(float) @ weight[: K * D].reshape(K, D).T + weight[K * D :]


def test_columns_are_each_tiles_points_feature_major():
    n, tile = 150, fused.SOFTMAX_TILE  # two whole tiles and a last one of 22 points
    x = np.arange(n * D, dtype=np.float32).reshape(n, D)
    cols = fused.softmax_columns(x)
    expected = np.concatenate([x[lo : lo + tile].T.ravel() for lo in range(0, n, tile)])
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("spread", [1.0, 60.0])
@pytest.mark.parametrize("with_cols", [True, False])
def test_loss_is_the_mean_cross_entropy(spread, with_cols):
    """Tiles of 64 points and a short last one, the logits shifted by their largest: the
    float32 loss within 1e-6 of the float64 log-sum-exp (relative; logits reach about 60
    in the second case, where an unshifted exp would be 1e26)."""
    x, codes, w = draw(150, spread)
    cols = fused.softmax_columns(x) if with_cols else np.zeros(0, np.float32)
    u = logits(x, w)
    expected = np.mean(logsumexp(u, axis=1) - u[np.arange(len(codes)), codes])
    loss = fused.softmax_loss(x, cols, codes, w, K)
    assert loss == pytest.approx(expected, rel=2e-6, abs=1e-6)


def gradient(x, codes, w):
    """The mean cross-entropy's gradient in float64, (weight K x D, bias K) flattened as w."""
    u = logits(x, w)
    r = np.exp(u - logsumexp(u, axis=1, keepdims=True))
    r[np.arange(len(codes)), codes] -= 1
    r /= len(codes)
    return np.concatenate(((r.T @ x.astype(float)).ravel(), r.sum(axis=0)))


@pytest.mark.parametrize("batch", [130, 300])
def test_an_epoch_steps_by_the_gradients_of_its_batches(batch):
    """SGD at lr 1 for one epoch: each step moves the parameters by minus the gradient of the
    batch the DataLoader's order gives, replayed in float64 (batches of 130: tiles of 64, 64
    and 2, then 130 and 40 points; 300: the full batch, five tiles), within float32's rounding
    (1e-5 with a 1e-6 floor); the epoch's loss is the full data's at its start."""
    x, codes, w = draw(300, 2.0, seed=5)
    perms = np.stack([next(shuffled_orders(len(x), 0))])
    expected = w.astype(float)
    for lo in range(0, len(x), batch):
        batch_rows = perms[0, lo : lo + batch] if batch < len(x) else np.arange(len(x))
        expected = expected - gradient(x[batch_rows], codes[batch_rows], expected)
    moved, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
    losses, t = np.zeros(1, np.float32), np.zeros(1, np.int64)
    fused.descend_softmax(x, fused.softmax_columns(x), codes, K, fused.SGD, 1.0, 0.0, False,
                          0.9, 0.999, 1e-8, batch, perms, moved, m, v, t, 0, 1, losses,
                          -1.0)  # fmt: skip
    assert t[0] == -(-len(x) // batch)
    np.testing.assert_allclose(moved, expected, rtol=1e-5, atol=1e-6)
    u = logits(x, w)
    full_loss = np.mean(logsumexp(u, axis=1) - u[np.arange(len(codes)), codes])
    assert losses[0] == pytest.approx(full_loss, rel=2e-6)
