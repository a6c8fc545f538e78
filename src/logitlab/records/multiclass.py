"""The multinomial fit of a table (studies.multiclass) as JSON-ready records: its statistics
as statsmodels' MNLogit names them, one coefficient row per equation and term, the
evaluation, and the softmax descent beside the MLE."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.checks import python_value
from ..studies.multiclass import BASELINE_FORM, Evaluation, MulticlassFit, baseline_form
from .common import to_record


def multiclass_coefficient_rows(run: MulticlassFit) -> list[dict[str, Any]]:
    """One row per equation and term: its class (each against the baseline), the term, the
    estimate with its SE, z, p and interval, the relative-risk ratio exp(coef), and the
    softmax descent's coefficient (gd_bce, W_k - W_baseline) when it ran."""
    mle, rows, descent = run.mle, [], run.descent
    for j, level in enumerate(mle.equations):
        table, ratios = mle.coefficient_table(j), mle.relative_risk_ratios(j)
        for i, name in enumerate(mle.names):
            rows.append({
                "class": python_value(level), "term": name,
                "coef": float(table.estimate[i]), "std_err": float(table.se[i]),
                "z": float(table.z[i]), "p": float(table.pvalues[i]),
                "lower": float(table.lower[i]), "upper": float(table.upper[i]),
                "rrr": float(ratios.estimate[i]),
            } | ({} if descent is None else {"gd_bce": float(descent.params[i, j])}))  # fmt: skip
    return rows


def multiclass_record(run: MulticlassFit) -> dict[str, Any]:
    """results.json of a multinomial fit: the data, the MLE's statistics, the average
    marginal effects per class, the evaluation, the class probabilities over one variable
    (probabilities.png's numbers) and the softmax descent beside the MLE (or why none)."""
    mle, e = run.mle, run.evaluation
    classes = [python_value(c) for c in mle.classes]
    ame, ame_se = mle.margeff()
    terms = mle.names[int(mle.intercept) :]
    return {
        "data": {
            "source": run.source, "formula": run.design.formula, "target": run.design.target,
            "rows_used": run.design.rows_used, "dropped": run.design.dropped,
            "rows_fitted": run.mle.nobs, "held_out": run.design.rows_used - run.mle.nobs,
        },
        "multinomial": {
            "classes": classes, "baseline": python_value(mle.baseline),
            "equations": [python_value(c) for c in mle.equations],
            "coefficients": multiclass_coefficient_rows(run),
            "llf": mle.llf, "llnull": mle.llnull, "llr": mle.llr, "llr_pvalue": mle.llr_pvalue,
            "prsquared": mle.prsquared, "aic": mle.aic, "bic": mle.bic,
            "df_model": mle.df_model, "df_resid": mle.df_resid, "nobs": mle.nobs,
            "converged": mle.converged, "iterations": mle.iterations,
            "conf_level": mle.conf_level,
            "marginal_effects": [
                {"class": c, "term": t, "dy_dx": float(ame[i, k]), "std_err": float(ame_se[i, k])}
                for k, c in enumerate(classes) for i, t in enumerate(terms)
            ],
        },
        "evaluation": evaluation_record(e, classes),
        "probabilities": curves_record(run),
        "gradient_descent": _descent_record(run),
    }  # fmt: skip


def _descent_record(run: MulticlassFit) -> dict[str, Any]:
    """results.json's "gradient_descent" of a multinomial fit, shaped as a binary fit's: the
    settings, the z-scores, the one fit (by its loss, bce: the cross-entropy) with its
    coefficients per equation and term on both scales, each one's distance to the MLE in
    its standard errors, the largest distances, the loss curve and the verdict; or the note
    saying why there is none."""
    d, mle = run.descent, run.mle
    if d is None:
        return {"settings": None, "standardisation": None, "fits": {}, "note": run.note or None}
    features = mle.names[1:]  # a descent runs on a model with an intercept
    gap = np.abs(d.params - mle.params) / mle.bse
    fit = {
        "model": "softmax regression: torch.nn.Linear(d, K) under CrossEntropyLoss",
        "parametrisation": BASELINE_FORM,
        "coef": _equations(run, d.params),
        "standardised_coef": _equations(run, baseline_form(d.fit, mle)),
        "in_se": _equations(run, gap),
        "distance_to_mle": {
            "max_abs": d.to_mle.max_abs, "max_rel": d.to_mle.max_rel,
            "max_abs_standardised": d.to_mle.max_abs_std, "max_in_se": d.to_mle.max_se,
        },
        "engine": d.fit.engine, "epochs": d.fit.epochs,
        "final_loss": d.fit.final_loss, "mle_loss": -mle.llf / mle.nobs,
        "loss": d.losses().tolist(),
        "convergence": to_record(d.convergence),
    }  # fmt: skip
    return {
        "settings": to_record(d.train),
        "standardisation": {
            name: {"mean": float(m), "scale": float(s)}
            for name, m, s in zip(features, d.scaling.mean, d.scaling.scale, strict=True)
        },
        "fits": {"bce": fit},
        "note": None,
    }


def _equations(run: MulticlassFit, values: np.ndarray) -> dict[str, dict[str, float]]:
    """A d x (K - 1) array as {class (its text): {term: value}}, equations in the MLE's order."""
    return {
        str(level): {name: float(values[i, j]) for i, name in enumerate(run.mle.names)}
        for j, level in enumerate(run.mle.equations)
    }


def evaluation_record(e: Evaluation, classes: list[Any]) -> dict[str, Any]:
    """The multiclass metrics: the K x K confusion matrix (rows the actual class), per-class
    precision and recall (by the class's text), accuracy, log-loss and one-vs-rest ROC AUC."""
    return {
        "rows": e.rows, "held_out": e.held_out, "classes": classes,
        "confusion_matrix": e.confusion.tolist(),
        "precision": dict(zip(map(str, classes), map(float, e.precision), strict=True)),
        "recall": dict(zip(map(str, classes), map(float, e.recall), strict=True)),
        "accuracy": e.accuracy, "log_loss": e.log_loss, "roc_auc_ovr": e.auc_ovr,
    }  # fmt: skip


def curves_record(run: MulticlassFit) -> dict[str, Any] | None:
    """The class probabilities over one variable: its name, its values, the others' held
    values and each class's probability at every value (by the class's text)."""
    curves = run.curves
    if curves is None:
        return None
    return {
        "variable": curves.variable, "categorical": curves.categorical,
        "values": [python_value(v) for v in curves.values],
        "held": {name: python_value(v) for name, v in curves.held.items()},
        "p": {str(c): curves.p[:, k].tolist() for k, c in enumerate(run.mle.classes)},
    }  # fmt: skip
