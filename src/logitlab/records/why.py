"""landscape.json of why-not-MSE: the MLE, where each loss's descent ended, the plateau."""

from __future__ import annotations

import numpy as np

from ..studies.why import TOLERANCES, Race, WhyNotMSE
from .common import lecture_params, provenance, to_record, training_settings


def _race(race: Race, why: WhyNotMSE) -> dict:
    """Where each loss ended from one start, how far from the MLE, and its gradient norms."""
    return {
        "start": race.start.tolist(),
        **{
            loss: lecture_params(fitted.params)
            | {
                "distance_to_mle": float(np.linalg.norm(fitted.params - why.mle.params)),
                "max_grad_norm": float(race.grad_norms[loss].max()),
                "final_grad_norm": float(race.grad_norms[loss][-1]),
            }
            for loss, fitted in race.fits.items()
        },
    }


@to_record.register
def _(why: WhyNotMSE) -> dict:
    """landscape.json: the MLE, each path's end and distance, epochs to the MLE, the plateau,
    and the training settings both losses ran with."""
    return {
        "training": training_settings(why.train),
        "mle": to_record(why.mle),
        "mse_minimum": lecture_params(why.mse_minimum)
        | {"distance_to_mle": float(np.linalg.norm(why.mse_minimum - why.mle.params))},
        "epochs": why.epochs,
        "lecture_start": _race(why.lecture, why),
        "epochs_to_mle": {
            loss: {f"{tol:g}": why.epochs_to(loss, tol) for tol in TOLERANCES}
            for loss in why.lecture.fits
        },
        "plateau_start": _race(why.plateau, why),
        "min_hessian_eigenvalue": {loss: why.min_eigenvalue(loss) for loss in why.surfaces},
        "provenance": provenance(why.seconds),
    }
