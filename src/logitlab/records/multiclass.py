"""The multinomial fit of a table (studies.multiclass) as JSON-ready records: its statistics
as statsmodels' MNLogit names them, one coefficient row per equation and term, and the
evaluation."""

from __future__ import annotations

from typing import Any

from ..data.checks import python_value
from ..studies.multiclass import Evaluation, MulticlassFit


def multiclass_coefficient_rows(run: MulticlassFit) -> list[dict[str, Any]]:
    """One row per equation and term: its class (each against the baseline), the term, the
    estimate with its SE, z, p and interval, and the relative-risk ratio exp(coef)."""
    mle, rows = run.mle, []
    for j, level in enumerate(mle.equations):
        table, ratios = mle.coefficient_table(j), mle.relative_risk_ratios(j)
        for i, name in enumerate(mle.names):
            rows.append({
                "class": python_value(level), "term": name,
                "coef": float(table.estimate[i]), "std_err": float(table.se[i]),
                "z": float(table.z[i]), "p": float(table.pvalues[i]),
                "lower": float(table.lower[i]), "upper": float(table.upper[i]),
                "rrr": float(ratios.estimate[i]),
            })  # fmt: skip
    return rows


def multiclass_record(run: MulticlassFit) -> dict[str, Any]:
    """results.json of a multinomial fit: the data, the MLE's statistics, the average
    marginal effects per class, the evaluation, the class probabilities over one variable
    (probabilities.png's numbers) and the note on the descent."""
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
        "descent": run.note,
    }  # fmt: skip


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
