"""endpoints.csv, minibatches.csv and results.json of does-Adam-rescue-MSE (logitlab
optimizers)."""

from __future__ import annotations

import numpy as np

from ..studies import optimizers as optimizers_study
from .common import lecture_params, provenance, to_record


def optimizer_rows(run: optimizers_study.OptimizersRun, descents: object = None) -> list[dict]:
    """endpoints.csv (and minibatches.csv, given run.batches): one row per descent: where it
    started, with what, where it ended, its loss, gradient norm and verdict, its distance to
    the MLE (Euclidean and in the MLE's standard errors) and to its loss's own minimum, how
    far it moved, its outcome, the epochs and seconds it took to arrive, its cost per epoch."""
    rows = []
    for d in run.descents if descents is None else descents:
        arrival, seconds = run.arrival(d), run.seconds_to_arrive(d)
        rows.append(
            {
                "start_w0": d.start[0],
                "start_w1": d.start[1],
                "optimizer": d.optimizer,
                "loss": d.loss,
                "batch_size": d.batch_size if d.batch_size is not None else "full",
                **lecture_params(d.result.params),
                "final_loss": float(d.result.final_loss),
                "grad_norm": d.result.convergence.grad_norm,
                "verdict": d.result.convergence.verdict,
                "distance_to_mle": float(np.linalg.norm(d.result.params - run.mle.params)),
                "distance_to_mle_se": float(run.in_se(d.result.params, run.mle.params)),
                "distance_to_own_minimum_se": float(
                    run.in_se(d.result.params, run.destination(d.loss))
                ),
                "moved": run.moved(d),
                "outcome": run.outcome(d),
                "epochs_to_arrive": arrival,
                "seconds_to_arrive": seconds,
                "wander_se": run.wander(d),
                "seconds_per_epoch": d.seconds_per_epoch,
                "engine": d.result.engine,
            }
        )
    return rows


@to_record.register
def _(run: optimizers_study.OptimizersRun) -> dict:
    """results.json of `optimizers`: the settings, the MLE and MSE's own minimum, every
    descent's row, the mini-batch rows, the rules behind the words, and the conclusion."""
    floor = run.mse_minimum
    return {
        "settings": to_record(run.config),
        "mle": to_record(run.mle),
        "mse_minimum": lecture_params(floor)
        | {
            "distance_to_mle": float(np.linalg.norm(floor - run.mle.params)),
            "distance_to_mle_se": float(run.in_se(floor, run.mle.params)),
        },
        "rules": {
            "arrived": f"within {optimizers_study.ARRIVED_SE:g} of the MLE's standard errors "
            "of the loss's own minimum, in every coordinate",
            "stalled": f"moved less than {optimizers_study.STALLED_SHARE:.0%} of the way from "
            "the start to the loss's own minimum",
            "seconds_per_epoch": "(T(E) - T(1)) / (E - 1), the fastest of repeated fits",
        },
        "descents": optimizer_rows(run),
        "minibatches": {
            "optimizer": optimizers_study.BATCH_OPTIMIZER,
            "start": list(run.config.far_start),
            "rows": optimizer_rows(run, run.batches),
        },
        "conclusion": optimizers_study.conclusion(run),
        "provenance": provenance(run.seconds),
    }
