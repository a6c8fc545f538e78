"""results.json and comparison.csv of `logitlab compare`: per model its fit's statistics and
its line of the analysis of deviance."""

from __future__ import annotations

from ..stats.anova import SPAN_RTOL
from ..studies.compare import Comparison
from .common import provenance, to_record


def comparison_rows(run: Comparison) -> list[dict]:
    """comparison.csv: one row per model in the order given: its formula, coefficients (df),
    logLik, AIC, BIC, and R's anova columns (resid_df, resid_dev; from the second model on,
    df, deviance and p against the one before; empty without an LR test)."""
    rows = []
    for i, (model, criteria) in enumerate(zip(run.models, run.criteria(), strict=True)):
        lr = {"df_change": None, "deviance_change": None, "p": None}
        if run.anova is not None:
            a = run.anova
            lr = {"df_change": a.df[i], "deviance_change": a.deviance[i], "p": a.pvalues[i]}
        rows.append(criteria | {"resid_df": model.mle.df_resid,
                                "resid_dev": model.mle.deviance} | lr)  # fmt: skip
    return rows


@to_record.register
def _(run: Comparison) -> dict:
    """results.json of `compare`: the rows, the models (their coefficients), the LR tests of
    the sequence (or why none) and the information criteria."""
    return {
        "data": {
            "source": run.source,
            "target": run.target,
            "rows_used": run.rows_used,
            "rows_dropped_missing": run.dropped,
            "missing_by_column": dict(run.missing),
            "same_rows": "rows with a missing value in any column any formula reads are "
            "dropped from every model",
        },
        "models": [
            {
                "formula": m.formula,
                "coefficients": m.mle.coefficients(),
                "converged": m.mle.converged,
                "nobs": m.mle.nobs,
            }
            for m in run.models
        ],
        "anova": None
        if run.anova is None
        else {
            "test": 'likelihood ratio (R\'s anova(..., test="Chisq")), each model against '
            "the one before",
            "nested_rtol": SPAN_RTOL,
            "rows": comparison_rows(run),
        },
        "anova_refused": run.refusal or None,
        "criteria": run.criteria(),
        "provenance": provenance(run.seconds),
    }
