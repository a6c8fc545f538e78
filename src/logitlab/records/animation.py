"""animation.json: what the film shows, so that it can be made again."""

from __future__ import annotations

from ..studies.animation import AnimationRun
from .common import lecture_params, provenance, to_record, training_settings


@to_record.register
def _(run: AnimationRun) -> dict:
    """animation.json: what the film shows, so it can be made again: the data, the training
    settings, the start, where each descent ended, and the film's frames."""
    cfg, race = run.config, run.scene.race
    return {
        "data": to_record(cfg.data),
        "training": training_settings(cfg.train),
        "start": lecture_params(race.start),
        "ends": {loss: to_record(fitted) for loss, fitted in race.fits.items()},
        "film": {"frames": cfg.frames, "fps": cfg.fps, "grid_size": cfg.grid_size},
        "provenance": provenance(run.seconds),
    }
