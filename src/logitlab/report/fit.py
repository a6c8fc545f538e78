"""Write a fitted table to a folder: report.html, results.json, coefficients.csv,
predictions.csv, model.json and the figures (the caller makes the folder atomic: staged_dir).
A table fitted in shares (studies.sharded) gets the same files but the per-row ones."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from ..data.checks import missing_words
from ..data.modelfile import model_file_refusal, model_record
from ..records import (
    fit_coefficient_rows,
    fit_drop1_rows,
    fit_margin_rows,
    fit_prediction_columns,
    to_record,
)
from ..records.fit import fit_effect_rows
from ..stats.anova import p_format, r_format
from ..stats.penalized import passes_words
from ..studies.fit import Say, TableFit
from ..studies.sharded import NOT_PRODUCED
from ..viz.fit import table_figures
from ..viz.style import loss_label
from . import html as htmlpage
from .html import verdict_words
from .writers import names_in, save_figure, write_columns, write_csv, write_json

CAPTIONS = {
    "odds-ratios.png": "Odds ratios per unit of each term with their intervals (log scale); "
    "the dashed line at 1 is no effect",
    "roc.png": "ROC curve: the share of successes caught against the share of failures "
    "flagged, at every threshold; the diagonal is guessing",
    "calibration.png": "Calibration: in bins of rows with similar predictions, the observed "
    "share of successes against the mean prediction; numbers are rows per bin",
    "confusion.png": "Confusion matrix at the threshold",
    "gd-vs-mle.png": "Each gradient-descent coefficient's distance from the MLE, in the MLE's "
    "standard errors; the band is the MLE's interval",
    "path.png": "Left, as glmnet's plot(fit): each slope times its column's SD along the "
    "penalty's path of lambdas; right, as plot(cvfit): the held-out log-loss of the "
    "cross-validation, mean ± SE over the folds; lambda_min (used) dashed, lambda_1se dotted, "
    "the count of nonzero slopes on top",
    "effects.png": "The predicted probability over each variable with its confidence band (a "
    "bar per level of a categorical one)",
}


def write_fit(run: TableFit, folder: Path, *, formats: Sequence[str] = ("png",),
              progress: Say | None = None) -> list[str]:  # fmt: skip
    """Write every file of a `fit` run into folder (figures also in each of `formats`):
    results.json, coefficients.csv, model.json (unless a model file could not hold the
    model: model_file_refusal, the CLI says why), report.html, the odds ratios and the
    descents beside the MLE; a table read whole also gets its per-row files (predictions.csv,
    margins.csv, ROC, calibration, confusion). Return the names written, sorted.
    `progress`, if given, is told each stage."""
    say = progress or (lambda words: None)
    folder = Path(folder)
    say(f"drawing the figures and writing {'the report' if run.sharded else 'results.json'}")
    results = to_record(run)
    for name, figure in table_figures(run).items():
        save_figure(figure, folder / name, formats=formats)
    write_json(results, folder / "results.json")
    write_csv(fit_coefficient_rows(run), folder / "coefficients.csv")
    if run.drop1 is not None:
        write_csv(fit_drop1_rows(run), folder / "drop1.csv")
    if model_file_refusal(run.design.spec) is None:
        model = model_record(run.design.spec, run.mle.coefficients(), run.mle.cov,
                             cov_type=run.mle.cov_type, conf_level=run.mle.conf_level)  # fmt: skip
        write_json(model, folder / "model.json")
    if not run.sharded:
        say(f"writing predictions.csv ({len(run.p_hat):,} rows) and the report")
        write_columns(fit_prediction_columns(run), folder / "predictions.csv")
        if run.margins is not None:  # none with weights or trials
            write_csv(fit_margin_rows(run), folder / "margins.csv")
        if run.effects:
            write_csv(fit_effect_rows(run), folder / "effects.csv")
    (folder / "report.html").write_text(render_html(run, results, folder))
    return names_in(folder)


def _num(value: object, digits: int = 4) -> str:
    """A number for a table cell: fixed decimals, or 3 significant digits when tiny or huge."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    number = float(value)  # type: ignore[arg-type]
    if number != 0 and math.isfinite(number) and not 1e-3 <= abs(number) < 1e6:
        return f"{number:.3g}"
    return f"{number:.{digits}f}"


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def mle_rows(mle: dict) -> tuple[list[list[str]], list[list[str]]]:
    """The coefficient table and the fit's statistics, as statsmodels' Logit reports them."""
    rows = [
        [name, _num(r["estimate"]), _num(r["se"]), f"{r['z']:.3f}", _p(r["p"]),
         f"[{_num(r['lower'])}, {_num(r['upper'])}]"]
        for name, r in mle["coefficients"].items()
    ]  # fmt: skip
    stats = [
        ["observations (training rows)", f"{mle['nobs']:,}"],
        ["log-likelihood", _num(mle["loglik"])],
        ["null log-likelihood (intercept only)", _num(mle["llnull"])],
        [f"likelihood-ratio test: χ² ({mle['llr_df']} df)", _num(mle["llr"])],
        ["  its p-value", f"{mle['llr_pvalue']:.3g}"],
        ["AIC", _num(mle["aic"])],
        ["BIC", _num(mle["bic"])],
        ["McFadden's pseudo-R²", _num(mle["prsquared"])],
    ]
    if mle["method"] == "firth":  # logistf's likelihood-ratio test is the penalized one
        firth = mle["firth"]
        stats[3][0] = f"penalized likelihood-ratio test: χ² ({mle['llr_df']} df)"
        stats[1][0] = "log-likelihood at the Firth estimate (unpenalized)"
        stats += [
            ["penalized log-likelihood l* = l + ½ log det X'WX", _num(firth["penalized_loglik"])],
            ["penalized null (every slope 0)", _num(firth["penalized_llnull"])],
        ]
    if mle["grouped"]:  # R's summary.glm: against the saturated model, one row per group
        stats[0][0] = "observations (rows, each a group of trials)"
        stats += [
            [f"residual deviance ({mle['df_resid']} df)", _num(mle["deviance"], 3)],
            [f"null deviance ({mle['df_null']} df)", _num(mle["null_deviance"], 3)],
            [f"Pearson χ² ({mle['df_resid']} df)", _num(mle["pearson_chi2"], 3)],
        ]
    return rows, stats


def drop1_rows(run: TableFit) -> list[list[str]] | None:
    """The drop1 table's cells as R prints them (None when it was not made)."""
    if run.drop1 is None:
        return None
    d = run.drop1
    columns = (d.terms, ["" if v is None else str(v) for v in d.df], r_format(d.deviance),
               r_format(d.aic), r_format(d.lrt), p_format(d.pvalues))  # fmt: skip
    return [list(row) for row in zip(*columns, strict=True)]


def effect_rows(mle: dict, margins: dict | None) -> tuple[list[list[str]], list[list[str]]]:
    """The odds ratios with their intervals, and the average marginal effects per variable
    (none in shares)."""
    ratios = [
        [name, _num(r["odds_ratio"], 3), f"[{_num(r['lower'], 3)}, {_num(r['upper'], 3)}]"]
        for name, r in mle["odds_ratios"].items()
    ]
    effects = [
        [r["variable"], r["contrast"] or "dP/dx", _num(r["estimate"]), _num(r["se"]),
         f"{r['z']:.3f}", _p(r["p"]), f"[{_num(r['lower'])}, {_num(r['upper'])}]"]
        for r in (margins["effects"] if margins else [])
    ]  # fmt: skip
    return ratios, effects


def youden_words(metrics: dict) -> str:
    """The ROC point that maximises Youden's J in a sentence, or why there is none."""
    best = metrics["youden"]
    if best is None:
        return "Youden's J is not defined: the rows hold one class."
    return (
        f"Youden's J (sensitivity + specificity − 1) is largest, {best['j']:.3f}, at threshold "
        f"{best['threshold']:.4g} (a row predicted 1 at or above it): sensitivity "
        f"{best['sensitivity']:.3f}, specificity {best['specificity']:.3f}."
    )


def hosmer_lemeshow_words(hl: dict | None) -> str:
    """The Hosmer–Lemeshow test in a sentence, or why it has none (too few risk groups)."""
    if hl is None:
        return (
            "Hosmer–Lemeshow test: not defined, the fitted risks fall in fewer than 3 groups "
            "(it needs 3 or more for a degree of freedom)."
        )
    verdict = (
        "no evidence of misfit at the 5% level"
        if hl["pvalue"] >= 0.05
        else "the fitted risks depart from the observed ones (p < 0.05)"
    )
    return (
        f"Hosmer–Lemeshow test over {hl['groups']} groups of fitted risk: "
        f"C = {hl['statistic']:.3f}, {hl['df']} df, p = {hl['pvalue']:.3g} — {verdict}."
    )


def metric_rows(metrics: dict) -> list[list[str]]:
    """scikit-learn's metrics per set of rows."""
    return [
        [name, f"{m['n']:,}", _num(m["base_rate"], 3), _num(m["accuracy"], 3),
         _num(m["log_loss"]), _num(m["brier"]),
         _num(m["roc_auc"], 3) if m["roc_auc"] is not None else m["roc_auc_note"]]
        for name, m in metrics.items()
    ]  # fmt: skip


def _brier_of_base_rate(run: TableFit) -> float:
    """b (1 - b): the Brier score of predicting the base rate b for every row."""
    rate = next(iter(run.metrics.values())).base_rate
    return rate * (1 - rate)


def descent_tables(run: TableFit, gd: dict) -> dict | None:
    """The lecture's gradient descent beside the MLE: coefficients, distances, verdicts
    (None when no descent ran)."""
    if not run.descents:
        return None
    losses = list(gd["fits"])
    rows = [
        [name, _num(float(run.mle.params[j]))]
        + [_num(gd["fits"][loss]["coef"][name]) for loss in losses]
        for j, name in enumerate(run.mle.names)
    ]
    distances = [
        [loss_label(loss), _num(f["distance_to_mle"]["max_abs"]),
         _num(f["distance_to_mle"]["max_rel"]), _num(f["distance_to_mle"]["max_abs_standardised"]),
         _num(f["distance_to_mle"]["max_in_se"]), verdict_words(f["convergence"]),
         f"{f['epochs']:,} on {f['engine']}"]
        for loss, f in gd["fits"].items()
    ]  # fmt: skip
    return {
        "words": run.descent_words,
        "header": ["term", "MLE", *(loss_label(k) for k in losses)],
        "rows": rows,
        "distances": distances,
    }


def render_html(run: TableFit, results: dict, folder: Path) -> str:
    """One self-contained page (fit.html): data, reading, MLE, effects, fit, prediction (in
    shares: how the rows were read, and what is not produced, and why), descent."""
    mle = results["mle"]
    (tn, fp), (fn, tp) = mle["pred_table"]["counts"]
    coefficient_rows, statistics = mle_rows(mle)
    ratios, effects = effect_rows(mle, results["margins"])
    prov = results["provenance"]
    return htmlpage.page(
        f"logitlab fit — {run.design.spec.formula}",
        "fit.html",
        results=results,
        folder=folder,
        captions=CAPTIONS,
        data=results["data"],
        success=run.success,
        reading=run.reading,
        dropped=missing_words(run.design.dropped, run.design.missing),
        mle=mle,
        coefficient_rows=coefficient_rows,
        statistics=statistics,
        ratios=ratios,
        effects=effects,
        effects_words=effects_words(run),
        classification=[["actual 0", tn, fp], ["actual 1", fn, tp]],
        hosmer_lemeshow=hosmer_lemeshow_words(mle["hosmer_lemeshow"]),
        drop1=drop1_rows(run),
        drop1_note=run.drop1_note,
        margins_note=run.margins_note,
        penalty=penalty_words(run, results["penalty"]),
        descent=descent_tables(run, results["gradient_descent"]),
        prov=prov,
        versions=", ".join(f"{k} {v}" for k, v in prov["versions"].items() if v),
        **(_shares(results) if run.sharded else _prediction(run, results)),
    )


def penalty_words(run: TableFit, penalty: dict | None) -> dict | None:
    """A penalized fit's paragraph and table (None for another fit): the penalty in words,
    the objective, each coefficient and its standardized value, whether a path is drawn."""
    if penalty is None:
        return None
    mle = run.mle
    rows = [[name, _num(b), "" if j == 0 else _num(b * mle.scale[j - 1])]
            for j, (name, b) in enumerate(zip(mle.names, mle.params, strict=True))]  # fmt: skip
    return {
        "words": mle.penalty_words(),
        "formula": penalty["objective_formula"],
        "objective": f"{penalty['objective']:.10g}",
        "nonzero": f"{penalty['nonzero']} of {len(mle.params) - 1}",
        "converged": penalty["converged"],
        "passes": passes_words(penalty["passes"], penalty["sample_reads"]),
        "sample_reads": penalty["sample_reads"],
        "note": penalty["note"],
        "rows": rows,
        "path": penalty["path"] is not None,
    }


def effects_words(run: TableFit) -> str | None:
    """What the effect plots hold fixed, in words (None without them: in shares)."""
    if not run.effects:
        return None
    held: dict = {}
    for curve in run.effects:
        held.update(curve.held)
    fixed = ", ".join(  # a mean is a float; a level a string, a bool or the column's value
        f"{name} at its mean {_num(held[name])}" if isinstance(held[name], float)
        else f"{name} at its reference level {held[name]!r}"
        for name in run.design.spec.columns if name in held
    )  # fmt: skip
    first = len(run.effects) < len(run.design.spec.columns)
    band = (
        f"The band is the {100 * run.mle.conf_level:.4g}% confidence interval of that "
        "prediction: the delta method on the logit scale, then the sigmoid"
        if all(math.isfinite(se) for c in run.effects for se in c.predicted.se)
        else "There is no band: this fit gives no covariance of its parameters"
    )
    return (
        f"Each panel shows the predicted probability of {run.success} as one variable moves "
        "over its observed range (1st to 99th percentile) or through its levels, every other "
        f"variable held fixed{f' ({fixed})' if fixed else ''}. {band}"
        + (f"; the first {len(run.effects)} variables of the formula are shown" if first else "")
        + ". The numbers are in effects.csv."
    )


def _prediction(run: TableFit, results: dict) -> dict:
    """The page's prediction section: the metrics per set of rows, at the threshold (none
    with weights or trials)."""
    if run.metrics is None:
        return {"sharded": None, "metrics": None}
    shown = run.judged_rows
    return {
        "sharded": None,
        "metrics": metric_rows(results["metrics"]),
        "brier": _num(_brier_of_base_rate(run), 3),
        "shown": shown,
        "threshold": f"{run.metrics[shown].threshold:g}",
        "youden": youden_words(results["metrics"][shown]),
    }


def _shares(results: dict) -> dict:
    """The page's words on a table read in shares: how the rows were read, and what is not
    produced, and why."""
    sharded = results["sharded"]
    workers = sharded["workers"]
    shares = ", ".join(f"{rows:,}" for rows in sharded["rows_per_worker"])
    how = (
        f"read in shares by {workers} workers (rows used per worker, in rank order: {shares})"
        if workers > 1
        else "streamed from disk by one process"
    )
    return {
        "sharded": sharded,
        "how": how,
        "not_produced": NOT_PRODUCED[0].upper() + NOT_PRODUCED[1:],
    }
