"""The playground's run (studies.playground) as the page draws it: each loss's fit record
with its trajectory (parameters and loss every `every` epochs and after the last) and its
distance to the MLE."""

from __future__ import annotations

from ..result import FitResult
from ..studies.playground import PlaygroundRun
from .common import to_record


def _trajectory(result: FitResult, every: int) -> dict:
    """Parameters and loss before epochs 0, every, 2 every, ... and after the last one."""
    history = result.history
    kept = len(history.loss)
    return {
        "epoch": [*range(0, kept * every, every), result.epochs],
        "w0": history.params[:, 0].tolist(),
        "w1": history.params[:, 1].tolist(),
        "loss": [*history.loss.tolist(), float(result.final_loss)],
    }


@to_record.register
def _(run: PlaygroundRun) -> dict:
    fits = {
        loss: to_record(result)
        | {"trajectory": _trajectory(result, run.every), "distance": run.distance[loss]}
        for loss, result in run.fits.items()
    }
    return {"fits": fits, "seconds": run.seconds}
