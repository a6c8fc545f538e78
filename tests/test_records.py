"""The one serializer: every study's record says who computed it, where, and how long it took."""

import inspect
import itertools
import json
from importlib import metadata

import pytest

from logitlab import records
from logitlab.config import DataConfig, LectureConfig, MonteCarloConfig, SweepConfig, TrainConfig
from logitlab.records import json_safe, provenance, sweep_rows, to_record
from logitlab.studies.montecarlo import run_montecarlo
from logitlab.studies.sweep import run_sweep

SMALL = LectureConfig(data=DataConfig(n=200), training=TrainConfig(epochs=50))


def test_provenance_names_versions_machine_and_time():
    record = provenance(1.25)
    assert record["versions"]["torch"] == metadata.version("torch")
    assert record["versions"]["logitlab"] == metadata.version("logitlab")
    assert record["machine"]["cores"] >= 1 and record["seconds"] == 1.25
    assert record["finished"].endswith("+00:00")


@pytest.mark.parametrize(
    "run",
    [
        lambda: run_sweep(SweepConfig(lecture=SMALL, lrs=(0.1, 1.0))),
        lambda: run_montecarlo(MonteCarloConfig(lecture=SMALL, reps=3)),
    ],
)
def test_every_study_record_carries_its_provenance(run):
    study = run()
    record = to_record(study)
    assert record["provenance"]["seconds"] == study.seconds > 0
    assert record["engine"] in ("eager", "fused")  # the engine that ran, not "auto"
    json.dumps(json_safe(record), allow_nan=False)


def test_sweep_rows_name_each_fits_optimizer_and_batch_size():
    config = SweepConfig(lecture=SMALL, lrs=(0.1, 1.0), optimizers=("sgd", "adam"),
                         batch_sizes=(None, 64))  # fmt: skip
    run = run_sweep(config)
    rows = sweep_rows(run)
    # the grid in order, the loss varying fastest (an independent enumeration of it)
    expected = itertools.product(("sgd", "adam"), ("full", 64), (0.1, 1.0), ("bce", "mse"))
    assert [(r["optimizer"], r["batch_size"], r["lr"], r["loss"]) for r in rows] == list(expected)
    record = to_record(run)
    assert record["fits"] == rows
    assert record["settings"]["optimizers"] == ["sgd", "adam"]
    assert record["settings"]["batch_sizes"] == [None, 64]
    assert record["settings"]["epochs"] == 50 and record["settings"]["betas"] == [0.9, 0.999]


def test_all_lists_every_public_function():
    public = {
        name
        for name, value in vars(records).items()
        if inspect.isfunction(value) and value.__module__ == records.__name__
        and not name.startswith("_")
    }  # fmt: skip
    assert set(records.__all__) == public
