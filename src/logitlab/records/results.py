"""Records of one fit, an MLE and a batch of fits, and the CSV rows of a lecture batch."""

from __future__ import annotations

from ..engines.batch import BatchResult
from ..result import INTERCEPT, Convergence, FitResult
from ..stats.mle import MLEResult
from .common import lecture_params, to_record


@to_record.register
def _(convergence: Convergence) -> dict:
    return {
        "verdict": convergence.verdict,
        "converged": convergence.converged,
        "grad_norm": convergence.grad_norm,
        "tol": convergence.tol,
        "stable": convergence.stable,
        "stopped_early": convergence.stopped_early,
        "criterion": "gradient norm of the mean loss at the final parameters <= tol, "
        "and the loss never rose",
    }


@to_record.register
def _(result: FitResult) -> dict:
    record = {
        "loss": result.loss_name,
        "engine": result.engine,
        "coef": result.coefficients(),
        "final_loss": float(result.final_loss),
        "epochs": result.epochs,
        "convergence": to_record(result.convergence),
        "separation": result.separation,
    }
    return record | (lecture_params(result.params) if result.n_features == 1 else {})


@to_record.register
def _(result: MLEResult) -> dict:
    record = {
        "coef": result.coefficients(),
        "se": dict(zip(result.names, map(float, result.se), strict=True)),
        "loglik": float(result.loglik),
        "converged": result.converged,
        "iterations": result.iterations,
        "nobs": result.nobs,
    }
    if result.names[:1] == (INTERCEPT,) and len(result.names) == 2:
        w0, w1 = map(float, result.se)
        record |= lecture_params(result.params) | {"se_w0": w0, "se_w1": w1}
    return record


@to_record.register
def _(batch: BatchResult) -> list[dict]:
    """One row per problem: its loss, step, data set, coefficients by name, final loss, epochs
    run, gradient norm, verdict (converged, not converged, unstable or diverged) and the
    epoch it diverged at (0 if it did not; NaN coefficients then)."""
    names = (INTERCEPT, *batch.names)
    return [
        {
            "loss": batch.losses[b],
            "lr": float(batch.lr[b]),
            "data": int(batch.data[b]),
            **dict(zip(names, map(float, batch.params[b]), strict=True)),
            "final_loss": float(batch.final_loss[b]),
            "epochs_run": int(batch.epochs_run[b]),
            "grad_norm": float(batch.grad_norm[b]),
            "verdict": batch.convergence(b).verdict if batch.ok[b] else "diverged",
            "diverged_at": int(batch.diverged_at[b]),
        }
        for b in range(len(batch))
    ]


def lecture_rows(batch: BatchResult, lead: list[dict]) -> list[dict]:
    """A lecture study's CSV rows: lead[b]'s columns, then the loss, (ŵ0, ŵ1) as w0_hat and
    w1_hat, and the batch row's final loss, epochs run, gradient norm, verdict and the epoch
    it diverged at (NaN estimates then)."""
    tail = ("final_loss", "epochs_run", "grad_norm", "verdict", "diverged_at")
    return [
        lead[b]
        | {"loss": row["loss"]}
        | {f"{p}_hat": v for p, v in lecture_params(batch.params[b]).items()}
        | {key: row[key] for key in tail}
        for b, row in enumerate(to_record(batch))
    ]
