"""The one serializer: results (fits, the MLE, batch runs, studies, settings) -> plain records.

Every file writer (JSON, CSV, the report's tables) and the web page read these records, never
the result objects' fields, so a number is named and rounded in one place. Records hold
Python floats, ints, strings, lists and dicts; json_safe() makes them strict JSON (NaN and
infinities -> null). Coefficients are keyed by name ("Intercept" first); one-feature results
also carry the lecture's w0/w1.
"""

from __future__ import annotations

import math
import os
import platform
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from functools import singledispatch
from importlib import metadata
from typing import Any

import numpy as np

from .config import LectureConfig, MonteCarloConfig, SweepConfig, TrainConfig
from .engines.batch import BatchResult
from .result import INTERCEPT, Convergence, FitResult
from .stats.mle import MLEResult
from .studies.animation import AnimationRun
from .studies.lecture import LectureRun
from .studies.montecarlo import MonteCarloRun
from .studies.sweep import SweepRun
from .studies.why import TOLERANCES, Race, WhyNotMSE


@singledispatch
def to_record(value: object) -> Any:
    """A JSON-ready record of `value`; settings dataclasses become flat dicts of their fields."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_record(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [to_record(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool | dict):
        return value
    raise TypeError(f"no record for {type(value).__name__}")


def json_safe(value: object) -> object:
    """Strict JSON: NaN or inf (a diverged fit, nothing converged) becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


#: Packages whose versions decide a run's numbers, recorded in every results file.
PACKAGES = ("logitlab", "torch", "numpy", "numba", "scipy", "matplotlib")


def provenance(seconds: float | None = None) -> dict:
    """Who computed a result, where and when: versions, the machine, the time and how long
    the run took (seconds), for the results file that records it."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "versions": versions,
        "machine": {
            "system": f"{platform.system()} {platform.release()}",
            "processor": platform.machine(),
            "cores": os.cpu_count(),
        },
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
    }


def lecture_params(params: object) -> dict[str, float]:
    """A one-feature parameter vector as the lecture names it: {"w0": ..., "w1": ...}."""
    w0, w1 = np.asarray(params, dtype=float)
    return {"w0": float(w0), "w1": float(w1)}


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
        record |= lecture_params(result.coef) | {"se_w0": w0, "se_w1": w1}
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


def training_settings(train: TrainConfig) -> dict:
    """Every training setting but the loss (a study trains each of its losses with them):
    lr, epochs, init seed, engine, tol, the optimizer and its settings, the batch size (None:
    the full batch), the shuffle seed and the start `init` (None: the net of init_seed)."""
    return {
        "init_seed": train.init_seed,
        "lr": train.lr,
        "epochs": train.epochs,
        "engine": train.engine,
        "tol": train.tol,
        **{name: to_record(value) for name, value in train.optimizer_settings().items()},
        "init": to_record(train.init),
    }


@to_record.register
def _(config: LectureConfig) -> dict:
    data = config.data
    return {"n": data.n, "w0": data.w0, "w1": data.w1, "data_seed": data.seed,
            "losses": list(config.losses)} | training_settings(config.training)  # fmt: skip


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


@to_record.register
def _(config: MonteCarloConfig) -> dict:
    return to_record(config.lecture) | {"reps": config.reps, "seed_rule": "data_seed + rep"}


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


def _race(race: Race, why: WhyNotMSE) -> dict:
    """Where each loss ended from one start, how far from the MLE, and its gradient norms."""
    return {
        "start": race.start.tolist(),
        **{
            loss: lecture_params(fitted.params)
            | {
                "distance_to_mle": float(np.linalg.norm(fitted.params - why.mle.coef)),
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
        | {"distance_to_mle": float(np.linalg.norm(why.mse_minimum - why.mle.coef))},
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


def _lecture_rows(batch: BatchResult, lead: list[dict]) -> list[dict]:
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
    return _lecture_rows(batch, lead)


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


def montecarlo_rows(run: MonteCarloRun) -> list[dict]:
    """montecarlo.csv: one row per rep and loss."""
    per_rep = len(run.config.lecture.losses)
    reps = [b // per_rep for b in range(len(run.batch))]
    return _lecture_rows(
        run.batch, [{"rep": r, "data_seed": run.config.data_seed(r)} for r in reps]
    )


@to_record.register
def _(run: MonteCarloRun) -> dict:
    return {
        "settings": to_record(run.config),
        "engine": run.batch.engine,
        "summary": run.summary(),
        "provenance": provenance(run.seconds),
    }


# --- digits, 3 against 7 (logitlab digits) ---
from .studies.digits import DIGITS, MIN_DIFFERENCE, SIDE, DigitsRun, Scores  # noqa: E402


def _digits_scores(scores: Scores) -> dict:
    """Accuracy, log-loss, Brier score, ROC AUC and confusion on the training and held-out
    images (the ROC and reliability curves are left out)."""
    keep = ("n", "accuracy", "log_loss", "brier", "roc_auc", "confusion")
    return {
        side: {key: to_record(getattr(getattr(scores, side), key)) for key in keep}
        for side in ("train", "test")
    }


def digits_weight_rows(run: DigitsRun) -> list[dict]:
    """weights.csv: one row per pixel, its weight and the two mean images' ink there."""
    three, seven = (run.mean_image(d).ravel() for d in DIGITS)
    return [
        {"pixel": name, "row": j // SIDE, "col": j % SIDE, "weight": float(run.fit.coef[j]),
         f"mean_{DIGITS[0]}": float(three[j]), f"mean_{DIGITS[1]}": float(seven[j])}
        for j, name in enumerate(run.fit.names)
    ]  # fmt: skip


@to_record.register
def _(run: DigitsRun) -> dict:
    """results.json of `digits`: settings, split, fit, scores beside scikit-learn's, the
    separation that rules out the MLE, and how the weights' signs match mean 7 - mean 3."""
    agree, pixels = run.sign_agreement()
    return {
        "settings": to_record(run.config) | {"loss": "bce", "optimizer": "adam", "start": 0.0},
        "data": {
            "source": "sklearn.datasets.load_digits, pixels / 16",
            "label": f"y = 1 for a {DIGITS[1]}, 0 for a {DIGITS[0]}",
            "counts": run.counts(),
        },
        "fit": to_record(run.fit),
        "scores": _digits_scores(run.scores),
        "reference": {
            "model": "sklearn LogisticRegression(C=1.0)",
            "scores": _digits_scores(run.reference),
        },
        "separable": run.separation is not None,
        "separation": run.separation,
        "train_separated_from_epoch": run.separated_from(),
        "weights_vs_mean_difference": {
            "min_difference": MIN_DIFFERENCE,
            "pixels": pixels,
            "agree": agree,
        },
        "provenance": provenance(run.seconds),
    }


# --- any table (logitlab fit) ---
from dataclasses import asdict  # noqa: E402

from .data.design import ModelSpec  # noqa: E402
from .studies.fit import Descent, TableFit  # noqa: E402
from .studies.sharded import ShardedFit  # noqa: E402


def _by_term(names: tuple[str, ...], values: object) -> dict[str, float]:
    return dict(zip(names, map(float, np.asarray(values, dtype=float)), strict=True))


def _descent(run: TableFit | ShardedFit, descent: Descent) -> dict:
    """One gradient-descent fit: coefficients on both scales, distances to the MLE, verdict."""
    names = run.mle.names
    return {
        "coef": _by_term(names, descent.params),
        "standardised_coef": _by_term(names, descent.result.params),
        "distance_to_mle": {
            "max_abs": descent.max_abs,
            "max_rel": descent.max_rel,
            "max_abs_standardised": descent.max_abs_std,
            "max_in_se": descent.max_se,
        },
        "engine": descent.result.engine,
        "epochs": descent.result.epochs,
        "final_loss": float(descent.result.final_loss),
        "convergence": to_record(descent.result.convergence),
    }


def _fit_data(run: TableFit | ShardedFit, spec: ModelSpec, coding: tuple, used: int,
              dropped: int) -> dict:  # fmt: skip
    """results.json's "data" of `fit`: where the rows came from and how they were coded."""
    table = isinstance(run, TableFit)
    return {
        "source": run.source,
        "formula": spec.formula,
        "target": spec.target,
        "positive": spec.positive,
        "negative": spec.negative,
        "coding": list(coding),
        "rows_in_table": used + dropped,
        "rows_dropped_missing": dropped,
        "rows_used": used,
        "rows_held_out": int(run.held_out.sum()) if table else 0,
        "rows_training": int(run.training.sum()) if table else used,
        "test_size": run.test_size if table else None,
        "split_seed": run.split_seed if table and run.test_size is not None else None,
    }


def _fit_mle(mle: MLEResult) -> dict:
    """results.json's "mle" of `fit`: every statistic keyed by term name."""
    table = mle.pred_table(0.5)
    return {
        "nobs": mle.nobs,
        "loglik": mle.loglik,
        "llnull": mle.llnull,
        "llr": mle.llr,
        "llr_df": mle.df_model,
        "llr_pvalue": mle.llr_pvalue,
        "aic": mle.aic,
        "bic": mle.bic,
        "prsquared": mle.prsquared,
        "converged": mle.converged,
        "iterations": mle.iterations,
        "coefficients": mle.coefficient_table().rows(),
        "odds_ratios": {
            name: {"odds_ratio": row["estimate"], "lower": row["lower"], "upper": row["upper"]}
            for name, row in mle.odds_ratios().rows().items()
        },
        "marginal_effects": mle.marginal_effects().rows(),
        "pred_table": {
            "threshold": 0.5,
            "rows": "actual 0, actual 1",
            "columns": "predicted 0, predicted 1",
            "counts": table.astype(int).tolist(),
        },
        "hosmer_lemeshow": None if (hl := mle.hosmer_lemeshow()) is None else asdict(hl),
    }


def _fit_descent(run: TableFit | ShardedFit, names: tuple[str, ...]) -> dict:
    """results.json's "gradient_descent" of `fit`: settings, standardisation, the fits."""
    return {
        "settings": None if run.train is None else to_record(run.train),
        "standardisation": None
        if run.scaling is None
        else {
            name: {"mean": float(m), "scale": float(s)}
            for name, m, s in zip(names, run.scaling.mean, run.scaling.scale, strict=True)
        },
        "fits": {loss: _descent(run, d) for loss, d in run.descents.items()},
        "note": run.descent_note or None,
    }


@to_record.register
def _(run: TableFit) -> dict:
    """results.json of `fit`: the data, the MLE with every statistic keyed by term name, the
    descents beside it, the metrics per set of rows and the reading of the main effect."""
    design = run.design
    return {
        "data": _fit_data(run, design.spec, design.coding, len(design.rows), design.dropped),
        "mle": _fit_mle(run.mle),
        "gradient_descent": _fit_descent(run, design.names),
        "metrics": {rows: asdict(m) for rows, m in run.metrics.items()},
        "reading": run.reading,
        "provenance": provenance(run.seconds),
    }


@to_record.register
def _(run: ShardedFit) -> dict:
    """results.json of `fit` on a table read in shares: as a TableFit's without per-row
    metrics, and how the rows were shared out ("sharded")."""
    design = run.design
    return {
        "data": _fit_data(run, design.spec, design.coding, design.rows, design.dropped),
        "mle": _fit_mle(run.mle),
        "gradient_descent": _fit_descent(run, design.names),
        "sharded": {
            "workers": run.workers,
            "chunk_rows": run.chunk_rows,
            "rows_per_worker": list(design.rows_per_worker),
            "rows": design.rows,
            "dropped": design.dropped,
        },
        "reading": run.reading,
        "provenance": provenance(run.seconds),
    }


def fit_coefficient_rows(run: TableFit | ShardedFit) -> list[dict]:
    """coefficients.csv: one row per term, the MLE's coefficient, SE, z, p and interval, its
    odds ratio with interval, and each descent's coefficient on the original scale."""
    rows = []
    ratios = run.mle.odds_ratios().rows()
    for j, (name, row) in enumerate(run.mle.coefficient_table().rows().items()):
        rows.append(
            {
                "term": name,
                "coef": row["estimate"],
                "se": row["se"],
                "z": row["z"],
                "p": row["p"],
                "ci_lower": row["lower"],
                "ci_upper": row["upper"],
                "odds_ratio": ratios[name]["estimate"],
                "or_lower": ratios[name]["lower"],
                "or_upper": ratios[name]["upper"],
            }
            | {f"gd_{loss}": float(d.params[j]) for loss, d in run.descents.items()}
        )
    return rows


def fit_prediction_rows(run: TableFit) -> list[dict]:
    """predictions.csv: per used row, its position in the table, p-hat, the class at 0.5 and
    whether it was held out."""
    return [
        {"row": int(r), "p_hat": float(p), "predicted": int(c), "held_out": bool(h)}
        for r, p, c, h in zip(run.design.rows, run.p_hat, run.predicted, run.held_out, strict=True)
    ]


# --- does Adam rescue MSE? (logitlab optimizers) ---
from .studies import optimizers as optimizers_study  # noqa: E402


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
                **lecture_params(d.fit.params),
                "final_loss": float(d.fit.final_loss),
                "grad_norm": d.fit.convergence.grad_norm,
                "verdict": d.fit.convergence.verdict,
                "distance_to_mle": float(np.linalg.norm(d.fit.params - run.mle.coef)),
                "distance_to_mle_se": float(run.in_se(d.fit.params, run.mle.coef)),
                "distance_to_own_minimum_se": float(
                    run.in_se(d.fit.params, run.destination(d.loss))
                ),
                "moved": run.moved(d),
                "outcome": run.outcome(d),
                "epochs_to_arrive": arrival,
                "seconds_to_arrive": seconds,
                "wander_se": run.wander(d),
                "seconds_per_epoch": d.seconds_per_epoch,
                "engine": d.fit.engine,
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
            "distance_to_mle": float(np.linalg.norm(floor - run.mle.coef)),
            "distance_to_mle_se": float(run.in_se(floor, run.mle.coef)),
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


__all__ = [
    "digits_weight_rows",
    "fit_coefficient_rows",
    "fit_prediction_rows",
    "json_safe",
    "lecture_params",
    "montecarlo_rows",
    "optimizer_rows",
    "provenance",
    "sweep_rows",
    "to_record",
    "training_settings",
]
