"""results.json, coefficients.csv and predictions.csv of a fit of any table (logitlab fit),
in memory or in shares."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from ..stats.firth import FirthResult
from ..stats.margins import Margins
from ..stats.mle import MLEResult
from ..stats.penalized import NO_INFERENCE, PenalizedResult
from ..stats.sandwich import FORMULAS
from ..studies.fit import TableFit
from ..studies.training import Descent
from .common import provenance, to_record


def _by_term(names: tuple[str, ...], values: object) -> dict[str, float]:
    return dict(zip(names, map(float, np.asarray(values, dtype=float)), strict=True))


def _descent(run: TableFit, descent: Descent) -> dict:
    """One gradient-descent fit: coefficients on both scales, distances to the MLE, verdict."""
    names = run.mle.names
    return {
        "coef": _by_term(names, descent.params),
        "standardised_coef": _by_term(names, descent.result.params),
        "distance_to_mle": {
            "max_abs": descent.to_mle.max_abs,
            "max_rel": descent.to_mle.max_rel,
            "max_abs_standardised": descent.to_mle.max_abs_std,
            "max_in_se": descent.to_mle.max_se,
        },
        "engine": descent.result.engine,
        "epochs": descent.result.epochs,
        "final_loss": float(descent.result.final_loss),
        "convergence": to_record(descent.result.convergence),
    }


def _fit_data(run: TableFit) -> dict:
    """results.json's "data" of `fit`: where the rows came from and how they were coded."""
    design, spec = run.design, run.design.spec
    used, dropped = design.rows_used, design.dropped
    held = 0 if run.held_out is None else int(run.held_out.sum())
    return {
        "source": run.source,
        "formula": spec.formula,
        "target": spec.target,
        "positive": spec.positive,
        "negative": spec.negative,
        "coding": list(design.coding),
        "rows_in_table": used + dropped,
        "rows_dropped_missing": dropped,
        "missing_by_column": dict(design.missing),
        "rows_used": used,
        "rows_held_out": held,
        "rows_training": used - held,
        "test_size": run.test_size,
        "split_seed": run.split_seed if run.test_size is not None else None,
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
        "cov_type": mle.cov_type,
        "cov_formula": FORMULAS[mle.cov_type.partition(":")[0]],
        "conf_level": mle.conf_level,
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
        # against the saturated model (R's glm): 0/1 rows' is -2 llf; grouped rows (trials)
        # include the binomial coefficients in llf, llnull and aic, as R's logLik does
        "grouped": mle.grouped,
        "deviance": mle.deviance,
        "null_deviance": mle.null_deviance,
        "df_resid": mle.df_resid,
        "df_null": mle.nobs - int(mle.intercept),
        "pearson_chi2": mle.pearson_chi2,
        **_method(mle),
    }


def _method(mle: MLEResult) -> dict:
    """results.json's "method" of "mle" ("mle", or "firth"), and for Firth's fit what is
    penalized: its l* at the estimate and at logistf's null (every slope 0), each
    coefficient's penalized likelihood-ratio statistic, and which statistics are which (the
    coefficients the profiles' time bound left Wald's in "wald_terms")."""
    if isinstance(mle, PenalizedResult):
        return {"method": "penalized"}
    if not isinstance(mle, FirthResult):
        return {"method": "mle"}
    profiled = ["coefficients.p", "coefficients.lower", "coefficients.upper", "odds_ratios"]
    return {
        "method": "firth",
        "firth": {
            "name": "Firth's penalized likelihood (logistf)",
            "penalized_loglik": mle.penalized_loglik,
            "penalized_llnull": mle.penalized_llnull,
            "lr_chi2": _by_term(mle.names, mle.lr_chi2) if mle.profiled else None,
            "intervals": mle.interval_method,
            "penalized": ["llr", "llr_pvalue", *(profiled if mle.profiled else [])],
            "likelihood": ["loglik", "llnull", "aic", "bic", "prsquared", "deviance"],
            "wald": ["coefficients.se", "coefficients.z", "marginal_effects",
                     *([] if mle.profiled else profiled)],
            "note": mle.note or None,
            "wald_terms": list(mle.wald_terms) or None,
            "passes": mle.passes,
        },
    }  # fmt: skip


def _penalty(mle: MLEResult) -> dict | None:
    """results.json's "penalty" of a penalized fit (None otherwise): its type, lambda, l1
    ratio, objective and nonzero count, and with lambda cv the path (coefficients per
    lambda) and the cross-validation curve; which statistics are null, and why."""
    if not isinstance(mle, PenalizedResult):
        return None
    path, cv = mle.path, mle.cv
    return {
        "type": mle.penalty,
        "lambda": mle.lam,
        "l1_ratio": mle.l1_ratio,
        "objective": mle.objective,
        "objective_formula": "mean log-loss + lambda ((1 - l1_ratio)/2 sum b^2 + l1_ratio "
        "sum |b|), b the slopes of the columns standardized by their population SD",
        "nonzero": mle.nonzero,
        "converged": mle.converged,
        "passes": mle.passes,
        "sample_reads": mle.sample_reads,
        "path": None if path is None else {
            "lambda": path.lambdas.tolist(),
            "objective": path.objectives.tolist(),
            "coef": {name: path.params[:, j].tolist() for j, name in enumerate(mle.names)},
        },
        "cv": None if cv is None else {
            "folds": cv.folds, "seed": cv.seed, "measure": "mean held-out log-loss",
            "mean": cv.mean.tolist(), "se": cv.se.tolist(),
            "lambda_min": cv.lambda_min, "lambda_1se": cv.lambda_1se, "chosen": "lambda_min",
        },
        "null": ["mle.coefficients.se", "mle.coefficients.z", "mle.coefficients.p",
                 "mle.coefficients.lower", "mle.coefficients.upper", "mle.odds_ratios.lower",
                 "mle.odds_ratios.upper", "mle.marginal_effects (all but the estimate)"],
        "note": NO_INFERENCE,
    }  # fmt: skip


def _fit_descent(run: TableFit, names: tuple[str, ...]) -> dict:
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
    descents beside it, the metrics per set of rows (in shares, which have none: how the
    rows were shared out, "sharded") and the reading of the main effect."""
    design = run.design
    if run.sharded:
        read = {
            "sharded": {
                "workers": run.workers,
                "chunk_rows": run.chunk_rows,
                "rows_per_worker": list(design.rows_per_worker),
                "rows": design.rows_used,
                "dropped": design.dropped,
            }
        }
    else:
        metrics = run.metrics  # None with weights or trials: rows that stand for many
        read = {"metrics": None if metrics is None else
                {rows: to_record(m) for rows, m in metrics.items()}}  # fmt: skip
    return {
        "data": _fit_data(run),
        "mle": _fit_mle(run.mle),
        "gradient_descent": _fit_descent(run, design.names),
        **read,
        "margins": _margins(run.margins),
        "drop1": _drop1(run),
        "penalty": _penalty(run.mle),
        "effects": _effects(run),
        "reading": run.reading,
        "provenance": provenance(run.seconds),
    }


def _margins(margins: Margins | None) -> dict | None:
    """results.json's "margins": average marginal effects per variable (not per design
    column, as "mle"'s "marginal_effects" are, after statsmodels' get_margeff)."""
    if margins is None:
        return None
    return {
        "rows": margins.rows,
        "over": "training rows",
        "method": "dP/dx averaged over the rows for a numeric variable (through every term "
        "that reads it), the average discrete change from the reference level for a "
        "categorical or true/false one; delta-method standard errors",
        "effects": margins.records(),
    }


def _drop1(run: TableFit) -> dict:
    """results.json's "drop1": R's drop1(m, test="Chisq"), a row per droppable term after
    the full model's ("<none>"), or why there is none ("rows" None and the "note")."""
    return {
        "test": 'likelihood ratio, as R\'s drop1(m, test="Chisq"): each term not contained in '
        "a higher-order term dropped with all its columns, the rest refitted",
        "rows": None if run.drop1 is None else fit_drop1_rows(run),
        "note": run.drop1_note or None,
    }


def _effects(run: TableFit) -> dict | None:
    """results.json's "effects": per variable, the predicted probability over its grid (or
    levels) with its band, the other variables held as "held" says (None in shares)."""
    if run.effects is None:
        return None
    return {
        "method": "P(y = 1) over one variable, the others at their means (numeric) or "
        "reference levels (categorical, true/false); the band is the delta method's Wald "
        "interval of the logit x'b (se = sqrt(x'Vx)) through the sigmoid",
        "conf_level": run.mle.conf_level,
        "curves": [
            {"variable": c.variable, "kind": "categorical" if c.categorical else "numeric",
             "held": {name: _plain(v) for name, v in c.held.items()},
             "value": [_plain(v) for v in c.values], "p": c.predicted.p.tolist(),
             "p_low": c.predicted.low.tolist(), "p_high": c.predicted.high.tolist()}
            for c in run.effects
        ],
    }  # fmt: skip


def _plain(value: object) -> object:
    """A NumPy scalar as Python's (a level of an integer column), anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def fit_effect_rows(run: TableFit) -> list[dict]:
    """effects.csv: a row per point of each variable's curve (its value, p and the band's
    ends at the fit's level); [] in shares."""
    return [
        {"variable": c["variable"], "value": value, "p": p, "p_low": low, "p_high": high}
        for c in (_effects(run) or {"curves": []})["curves"]
        for value, p, low, high in zip(c["value"], c["p"], c["p_low"], c["p_high"], strict=True)
    ]


def fit_drop1_rows(run: TableFit) -> list[dict]:
    """drop1.csv: the full model ("<none>") and each droppable term: df (coefficients
    dropped), the refit's deviance and AIC, LRT and its chi2 p-value ([] when not made)."""
    return [] if run.drop1 is None else run.drop1.rows()


def fit_margin_rows(run: TableFit) -> list[dict]:
    """margins.csv: one row per numeric variable (dP/dx) and per non-reference level of a
    categorical one (the discrete change), with SE, z, p and the interval at the fit's
    level."""
    if run.margins is None:
        return []
    return [
        {"variable": r["variable"], "contrast": r["contrast"] or "dP/dx",
         "effect": r["estimate"], "se": r["se"], "z": r["z"], "p": r["p"],
         "ci_lower": r["lower"], "ci_upper": r["upper"]}
        for r in run.margins.records()
    ]  # fmt: skip


def fit_coefficient_rows(run: TableFit) -> list[dict]:
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


def fit_prediction_columns(run: TableFit) -> dict[str, np.ndarray]:
    """predictions.csv, a column each: per used row, its position in the table, p-hat, the
    class at the threshold and whether it was held out (columns: a table may have millions)."""
    return {
        "row": np.asarray(run.design.rows, dtype=np.int64),
        "p_hat": np.asarray(run.p_hat, dtype=float),
        "predicted": np.asarray(run.predicted, dtype=np.int64),
        "held_out": np.asarray(run.held_out, dtype=bool),
    }
