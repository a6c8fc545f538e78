"""montecarlo.csv and its results.json: one row per rep and loss, and the summary."""

from __future__ import annotations

from ..config import MonteCarloConfig
from ..studies.montecarlo import MonteCarloRun
from .common import provenance, to_record
from .results import lecture_rows


@to_record.register
def _(config: MonteCarloConfig) -> dict:
    return to_record(config.lecture) | {"reps": config.reps, "seed_rule": "data_seed + rep"}


def montecarlo_rows(run: MonteCarloRun) -> list[dict]:
    """montecarlo.csv: one row per rep and loss."""
    per_rep = len(run.config.lecture.losses)
    reps = [b // per_rep for b in range(len(run.batch))]
    return lecture_rows(run.batch, [{"rep": r, "data_seed": run.config.data_seed(r)} for r in reps])


@to_record.register
def _(run: MonteCarloRun) -> dict:
    return {
        "settings": to_record(run.config),
        "engine": run.batch.engine,
        "summary": run.summary(),
        "provenance": provenance(run.seconds),
    }
