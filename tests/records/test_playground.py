"""The playground's records: each loss's fit record with its trajectory and distance; the 2-D
view's points, frames, MLE and sentence."""

from __future__ import annotations

import json

import numpy as np

from logitlab.config import TrainConfig
from logitlab.records import to_record
from logitlab.studies.playground import PlaneSettings, PlaygroundSettings, run_plane, run_playground


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


def test_the_2d_record_holds_the_points_the_frames_the_mle_and_the_sentence():
    settings = PlaneSettings("noise", 60, 3, ("x2", "x1x2", "x1"), TrainConfig(epochs=30), 7)
    run = run_plane(settings)
    record = to_record(run)
    assert json.loads(json.dumps(record, allow_nan=False)) == record  # strict JSON as it is
    assert (record["shape"], record["n"], record["seed"]) == ("noise", 60, 3)
    assert record["features"] == ["x1", "x2", "x1x2"] and record["labels"] == ["x1", "x2", "x1·x2"]
    assert record["points"] == {"x1": run.x[:, 0].tolist(), "x2": run.x[:, 1].tolist(),
                                "y": run.y.astype(int).tolist()}  # fmt: skip
    fit = record["fit"]
    assert fit["params"] == run.fit.params.tolist() and fit["coef"]["x1x2"] == run.fit.coef[2]
    assert fit["trajectory"]["epoch"] == [0, 7, 14, 21, 28, 30]
    assert fit["trajectory"]["params"] == run.fit.history.params.tolist()
    assert fit["trajectory"]["accuracy"] == run.accuracy.tolist()
    assert fit["trajectory"]["loss"][-1] == float(run.fit.final_loss)
    assert record["accuracy"] == run.accuracy[-1]
    assert record["mle"]["params"] == run.mle.params.tolist()
    assert record["mle"]["se"]["x1x2"] == run.mle.se[3]
    assert record["sentence"] == run.sentence and record["line_accuracy"] == run.line_accuracy
