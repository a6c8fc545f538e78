"""sweep.csv and sweep.json: one row per optimizer, batch size, learning rate and loss."""

from __future__ import annotations

from ..config import SweepConfig
from ..studies.sweep import SweepRun
from .common import provenance, to_record
from .results import lecture_rows


@to_record.register
def _(config: SweepConfig) -> dict:
    """The lecture's settings, those swept as lists (lrs, optimizers, batch_sizes; None: the
    full batch) instead of the template's one value."""
    settings = to_record(config.lecture)
    for swept in ("lr", "optimizer", "batch_size"):
        del settings[swept]
    return settings | {
        "lrs": list(config.lrs),
        "optimizers": list(config.optimizers),
        "batch_sizes": list(config.batch_sizes),
    }


def sweep_rows(run: SweepRun) -> list[dict]:
    """sweep.csv: one row per optimizer, batch size ("full" for the full batch), lr and loss."""
    batch = run.batch
    lead = [
        {
            "optimizer": batch.optimizers[b],
            "batch_size": "full" if batch.batch_size[b] is None else batch.batch_size[b],
            "lr": float(batch.lr[b]),
        }
        for b in range(len(batch))
    ]
    return lecture_rows(batch, lead)


@to_record.register
def _(run: SweepRun) -> dict:
    """sweep.json: the settings, the engine that ran, the tolerance and every fit's row."""
    return {
        "settings": to_record(run.config),
        "engine": run.batch.engine,
        "tol": run.batch.tol,
        "fits": sweep_rows(run),
        "provenance": provenance(run.seconds),
    }
