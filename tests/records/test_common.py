"""What every record shares: who computed it, where, and how long it took; strict JSON."""

import json
import math
from importlib import metadata

import pytest

from logitlab.config import DataConfig, LectureConfig, MonteCarloConfig, SweepConfig, TrainConfig
from logitlab.records import json_safe, provenance, to_record
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


def test_json_safe_turns_non_finite_numbers_into_null_at_any_depth():
    record = {"a": math.nan, "b": [1.5, (math.inf, -math.inf)], "c": {"d": 2}}
    assert json_safe(record) == {"a": None, "b": [1.5, [None, None]], "c": {"d": 2}}
