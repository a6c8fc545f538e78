"""fit_batch's progress callable: told of each block, able to stop the fit, and leaving the
numbers alone (the blocks carry the optimizers' state and the mini-batch orders)."""

import numpy as np
import pytest

from logitlab.engines.batch import PROGRESS_BLOCKS, fit_batch

SETTINGS = [
    {"optimizer": "sgd"},
    {"optimizer": "adam", "batch_size": 64},
    {"optimizer": "momentum", "nesterov": True, "batch_size": 300},
]


@pytest.mark.parametrize("engine", ["fused", "eager"])
@pytest.mark.parametrize("settings", SETTINGS)
def test_progress_changes_no_number(lecture_data, settings, engine):
    epochs = 120 if engine == "fused" else 10
    kwargs = dict(loss=["bce", "mse"], lr=0.05, epochs=epochs, record_every=7, engine=engine,
                  **settings)  # fmt: skip
    calls = []
    plain = fit_batch(lecture_data.x, lecture_data.y, **kwargs)
    told = fit_batch(lecture_data.x, lecture_data.y, progress=lambda k, w: calls.append((k, w)),
                     **kwargs)  # fmt: skip
    np.testing.assert_array_equal(told.params, plain.params)
    np.testing.assert_array_equal(told.history_params, plain.history_params)
    np.testing.assert_array_equal(told.history_loss, plain.history_loss)
    done = [k for k, _ in calls]
    assert done == sorted(done) and done[-1] == epochs
    if engine == "fused":
        assert len(calls) >= min(epochs, PROGRESS_BLOCKS) // 2
    np.testing.assert_array_equal(calls[-1][1], plain.params)


def test_progress_can_stop_a_fit(lecture_data):
    class Stop(Exception):
        pass

    seen = []

    def stop_after_three(epochs_done, params):
        seen.append(epochs_done)
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        fit_batch(lecture_data.x, lecture_data.y, loss=["bce", "mse"], epochs=5000,
                  engine="fused", progress=stop_after_three)  # fmt: skip
    assert seen == [100, 200, 300]
