"""results.json of the lecture: its settings, the true and initial parameters, the fits."""

from __future__ import annotations

from ..config import LectureConfig
from ..studies.lecture import LectureRun
from .common import lecture_params, provenance, to_record, training_settings


@to_record.register
def _(config: LectureConfig) -> dict:
    data = config.data
    return {"n": data.n, "w0": data.w0, "w1": data.w1, "data_seed": data.seed,
            "losses": list(config.losses)} | training_settings(config.training)  # fmt: skip


@to_record.register
def _(run: LectureRun) -> dict:
    """results.json of the lecture: settings, true and initial parameters, fits, the MLE."""
    return {
        "config": to_record(run.config),
        "true": lecture_params(run.true_params),
        "init": lecture_params(run.init_params),
        "fits": {loss: to_record(result) for loss, result in run.fits.items()},
        "mle": to_record(run.why.mle) if run.why is not None else None,
        "provenance": provenance(run.seconds),
    }
