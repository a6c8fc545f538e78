"""The playground's study: each loss fitted as fit_batch fits it, side by side, with the
trajectory's stride and the distance to the MLE."""

from __future__ import annotations

import numpy as np
import pytest

from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.engines.batch import fit_batch
from logitlab.stats.mle import fit as fit_mle
from logitlab.studies.playground import PlaygroundSettings, run_playground, trajectory_stride


@pytest.mark.parametrize(("epochs", "frames", "every"), [(10_000, 200, 51), (100, 200, 1),
                                                          (1000, 10, 101), (12, 3, 5)])  # fmt: skip
def test_the_stride_is_odd_and_keeps_at_most_frames_points(epochs, frames, every):
    assert trajectory_stride(epochs, frames) == every
    assert every % 2 == 1 and -(-epochs // every) <= frames


def test_each_loss_is_fit_batchs_fit_with_its_distance_to_the_mle():
    data = simulate(300, -1.0, 5.0, 7)
    x, y = np.asarray(data.x, dtype=float).ravel(), np.asarray(data.y, dtype=float).ravel()
    train = TrainConfig(lr=0.5, epochs=300, optimizer="momentum")
    mle = fit_mle(x, y, names=("x",))
    ends = (np.asarray(mle.params, dtype=float), np.asarray(mle.bse, dtype=float))
    run = run_playground(x, y, "x", PlaygroundSettings(train, ("bce", "mse"), 7), ends)
    batch = fit_batch(x[:, None], y, loss=["bce", "mse"], lr=0.5, epochs=300, record_every=7,
                      optimizer="momentum")  # fmt: skip
    assert list(run.fits) == ["bce", "mse"] and run.every == 7 and run.seconds > 0
    for b, loss in enumerate(("bce", "mse")):
        np.testing.assert_array_equal(run.fits[loss].params, batch.params[b])
        gap = batch.params[b] - ends[0]
        assert run.distance[loss]["se"] == pytest.approx(float((np.abs(gap) / ends[1]).max()))
        assert run.distance[loss]["euclid"] == pytest.approx(float(np.linalg.norm(gap)))


def test_without_an_mle_there_is_no_distance():
    x, y = np.array([-1.0, 0.0, 1.0, 2.0]), np.array([0.0, 1.0, 0.0, 1.0])
    run = run_playground(x, y, "x", PlaygroundSettings(TrainConfig(epochs=5), ("bce",), 1))
    assert run.distance == {"bce": None}
