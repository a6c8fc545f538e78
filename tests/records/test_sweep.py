"""sweep.csv's rows: the grid in order, each fit's optimizer and batch size named."""

import itertools

from logitlab.config import DataConfig, LectureConfig, SweepConfig, TrainConfig
from logitlab.records import lecture_rows, sweep_rows, to_record
from logitlab.studies.sweep import run_sweep

SMALL = LectureConfig(data=DataConfig(n=200), training=TrainConfig(epochs=50))


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
    # the lecture's columns after the sweep's own, as montecarlo.csv has them after its own
    lead = [{k: row[k] for k in ("optimizer", "batch_size", "lr")} for row in rows]
    assert lecture_rows(run.batch, lead) == rows
    assert list(rows[0])[3:6] == ["loss", "w0_hat", "w1_hat"]
