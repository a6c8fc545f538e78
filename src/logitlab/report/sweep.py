"""Write a sweep: sweep.csv, sweep.json and sweep.png."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..records import sweep_rows, to_record
from ..studies.sweep import SweepRun
from ..studies.training import training_record
from ..viz.sweep import plot_sweep
from .files import names_in, save_figure, write_csv, write_json

#: The settings a sweep varies, recorded as its lists (optimizers, batch_sizes, lrs) instead.
SWEPT = ("lr", "optimizer", "batch_size")


def sweep_table(run: SweepRun) -> list[dict]:
    """One row per fit: its optimizer and batch size ('full' for the full batch), then
    records.sweep_rows' lr, loss, estimates and verdict."""
    batch = run.batch
    return [
        {
            "optimizer": batch.optimizers[b],
            "batch_size": "full" if batch.batch_size[b] is None else batch.batch_size[b],
        }
        | row
        for b, row in enumerate(sweep_rows(run))
    ]


def sweep_record(run: SweepRun) -> dict:
    """sweep.json: records.to_record(run), its settings completed with the swept optimizers
    and batch sizes (None: the full batch) and the training settings shared by every fit,
    its fits with their optimizer and batch size."""
    record = to_record(run)
    config = run.config
    shared = training_record(config.lecture.training)
    record["settings"] |= {k: v for k, v in shared.items() if k not in SWEPT} | {
        "optimizers": list(config.optimizers),
        "batch_sizes": list(config.batch_sizes),
    }
    record["fits"] = sweep_table(run)
    return record


def write_sweep(run: SweepRun, folder: Path, *, formats: Sequence[str] = ("png",)) -> list[str]:
    """sweep.csv, sweep.json and sweep.png into folder; returns their names."""
    write_csv(sweep_table(run), folder / "sweep.csv")
    write_json(sweep_record(run), folder / "sweep.json")
    save_figure(plot_sweep(run), folder / "sweep.png", formats=formats)
    return names_in(folder)
