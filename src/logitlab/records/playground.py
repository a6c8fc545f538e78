"""The playground's runs (studies.playground) as the page draws them: each loss's fit record
with its trajectory (parameters and loss every `every` epochs and after the last) and its
distance to the MLE; the 2-D view's points, fit (its trajectory with the accuracy), MLE,
sentence and L2 fit."""

from __future__ import annotations

from ..result import FitResult
from ..studies.playground import FEATURE_LABELS, PlaneRun, PlaygroundRun
from .common import to_record


def _trajectory(result: FitResult, every: int) -> dict:
    """Parameters and loss before epochs 0, every, 2 every, ... and after the last one."""
    history = result.history
    kept = len(history.loss)
    return {
        "epoch": [*range(0, kept * every, every), result.epochs],
        "params": history.params,
        "loss": [*history.loss.tolist(), float(result.final_loss)],
    }


def _lecture_trajectory(result: FitResult, every: int) -> dict:
    """_trajectory with the lecture's w0 and w1 for its parameters."""
    trajectory = _trajectory(result, every)
    params = trajectory.pop("params")
    return trajectory | {"w0": params[:, 0].tolist(), "w1": params[:, 1].tolist()}


@to_record.register
def _(run: PlaneRun) -> dict:
    """The points (x1, x2, y), the settings, the fit with its trajectory ([w0, w1, ..., wd]
    rows with their loss and accuracy), the MLE or why there is none, what a line reaches,
    the sentence, and the L2 fit (None when lam is 0): lam, params, accuracy, objective and
    what the penalty did."""
    fit, settings = run.fit, run.settings
    trajectory = _trajectory(fit, settings.every)
    trajectory |= {"params": trajectory["params"].tolist(), "accuracy": run.accuracy.tolist()}
    mle = None if run.mle is None else to_record(run.mle) | {"params": run.mle.params.tolist()}
    l2 = run.l2 and {
        "lam": run.l2.lam,
        "params": run.l2.params.tolist(),
        "accuracy": run.l2_accuracy,
        "objective": run.l2.objective,
        "sentence": run.l2_sentence,
    }
    return {
        "shape": settings.shape,
        "n": settings.n,
        "seed": settings.seed,
        "features": list(settings.features),
        "labels": [FEATURE_LABELS[name] for name in settings.features],
        "points": {
            "x1": run.x[:, 0].tolist(),
            "x2": run.x[:, 1].tolist(),
            "y": run.y.astype(int).tolist(),
        },
        "fit": to_record(fit) | {"params": fit.params.tolist(), "trajectory": trajectory},
        "accuracy": float(run.accuracy[-1]),
        "mle": mle,
        "mle_note": run.mle_note,
        "line_accuracy": run.line_accuracy,
        "line_separable": run.line_separable,
        "sentence": run.sentence,
        "l2": l2,
        "seconds": run.seconds,
    }


@to_record.register
def _(run: PlaygroundRun) -> dict:
    fits = {
        loss: to_record(result)
        | {"trajectory": _lecture_trajectory(result, run.every), "distance": run.distance[loss]}
        for loss, result in run.fits.items()
    }
    return {"fits": fits, "seconds": run.seconds}
