"""Write a sweep: sweep.csv, sweep.json and sweep.png."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..records import sweep_rows, to_record
from ..studies.sweep import SweepRun
from ..viz.sweep import plot_sweep
from .writers import names_in, save_figure, write_csv, write_json


def write_sweep(run: SweepRun, folder: Path, *, formats: Sequence[str] = ("png",)) -> list[str]:
    """sweep.csv (records.sweep_rows), sweep.json (records.to_record) and sweep.png into
    folder; returns their names."""
    write_csv(sweep_rows(run), folder / "sweep.csv")
    write_json(to_record(run), folder / "sweep.json")
    save_figure(plot_sweep(run), folder / "sweep.png", formats=formats)
    return names_in(folder)
