"""The playground's record: each loss's fit record with its trajectory and distance."""

from __future__ import annotations

import numpy as np

from logitlab.config import TrainConfig
from logitlab.records import to_record
from logitlab.studies.playground import PlaygroundSettings, run_playground


def test_the_record_holds_each_fit_with_its_trajectory_and_distance():
    x, y = np.linspace(-1, 1, 40), np.tile([0.0, 1.0, 1.0, 0.0], 10)
    settings = PlaygroundSettings(TrainConfig(lr=0.5, epochs=30), ("bce", "mse"), 7)
    run = run_playground(x, y, "x", settings, (np.zeros(2), np.ones(2)))
    record = to_record(run)
    assert list(record) == ["fits", "seconds"] and list(record["fits"]) == ["bce", "mse"]
    for loss, fit in record["fits"].items():
        result = run.fits[loss]
        trajectory = fit["trajectory"]
        assert trajectory["epoch"] == [0, 7, 14, 21, 28, 30]
        assert trajectory["w0"] == result.history.params[:, 0].tolist()
        assert trajectory["loss"] == [*result.history.loss.tolist(), float(result.final_loss)]
        assert fit["distance"] == run.distance[loss] and fit["w1"] == float(result.params[1])
