"""Write a fitted table to a folder: report.html, results.json, coefficients.csv,
predictions.csv, model.json and the figures (the caller makes the folder atomic: staged_dir).
A table fitted in shares (studies.sharded) gets the same files but the per-row ones."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

from ..data.modelfile import model_file_refusal, model_record
from ..records import fit_coefficient_rows, fit_prediction_rows, to_record
from ..studies.fit import TableFit
from ..studies.sharded import NOT_PRODUCED, ShardedFit
from ..viz.fit import plot_calibration, plot_confusion, plot_gd_vs_mle, plot_odds_ratios, plot_roc
from ..viz.style import loss_label
from . import html as htmlpage
from .writers import names_in, save_figure, write_csv, write_json

CAPTIONS = {
    "odds-ratios.png": "Odds ratios per unit of each term with 95% intervals (log scale); "
    "the dashed line at 1 is no effect",
    "roc.png": "ROC curve: the share of successes caught against the share of failures "
    "flagged, at every threshold; the diagonal is guessing",
    "calibration.png": "Calibration: in bins of rows with similar predictions, the observed "
    "share of successes against the mean prediction; numbers are rows per bin",
    "confusion.png": "Confusion matrix at threshold 0.5",
    "gd-vs-mle.png": "Each gradient-descent coefficient's distance from the MLE, in the MLE's "
    "standard errors; the band is the MLE's 95% interval",
}


def write_fit(run: TableFit, folder: Path, *, formats: Sequence[str] = ("png",)) -> list[str]:
    """Write every file of a `fit` run into folder (figures also in each of `formats`);
    return the names written, sorted."""
    folder = Path(folder)
    results = to_record(run)
    sets = {f"{name} rows": m for name, m in run.metrics.items()}
    shown = "held-out" if "held-out" in run.metrics else "training"
    classes = (f"{run.design.target} = {run.design.negative}", run.success)
    per_row = {
        "roc.png": plot_roc(sets),
        "calibration.png": plot_calibration(sets),
        "confusion.png": plot_confusion(
            run.metrics[shown], classes=classes, title=f"Confusion matrix, {shown} rows"
        ),
    }
    _write_model_files(run, results, folder, per_row, formats)
    write_csv(fit_prediction_rows(run), folder / "predictions.csv")
    (folder / "report.html").write_text(render_html(run, results, folder, shown))
    return names_in(folder)


def write_sharded_fit(
    run: ShardedFit, folder: Path, *, formats: Sequence[str] = ("png",)
) -> list[str]:
    """Write the files of a `fit` run on a table read in shares into folder: results.json,
    coefficients.csv, model.json, report.html and the figures that need no row (odds ratios,
    the descents beside the MLE); return the names written, sorted."""
    folder = Path(folder)
    results = to_record(run)
    _write_model_files(run, results, folder, {}, formats)
    (folder / "report.html").write_text(render_sharded_html(run, results, folder))
    return names_in(folder)


def _write_model_files(run: TableFit | ShardedFit, results: dict, folder: Path,
                       figures: dict, formats: Sequence[str]) -> None:  # fmt: skip
    """What every fit writes: the odds ratios, the descents beside the MLE (if any) and the
    given figures; results.json, coefficients.csv and model.json, unless a model file could
    not hold the model (model_file_refusal: the CLI says why)."""
    figures = {
        "odds-ratios.png": plot_odds_ratios(run.mle, title=f"Odds ratios of {run.success}"),
        **figures,
    }
    if run.descents:
        figures["gd-vs-mle.png"] = plot_gd_vs_mle(
            run.mle, {loss: d.params for loss, d in run.descents.items()}
        )
    for name, figure in figures.items():
        save_figure(figure, folder / name, formats=formats)
    write_json(results, folder / "results.json")
    write_csv(fit_coefficient_rows(run), folder / "coefficients.csv")
    if model_file_refusal(run.design.spec) is None:
        write_json(model_record(run.design.spec, run.mle.coefficients()), folder / "model.json")


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


def data_section(run: TableFit, data: dict) -> str:
    """Where the rows came from, which were used, and how the columns were coded."""
    held = (
        f"{data['rows_held_out']:,} held out (test size {data['test_size']:g}, stratified by "
        f"{html.escape(data['target'])}, split seed {data['split_seed']}), "
        f"{data['rows_training']:,} for fitting"
        if data["test_size"] is not None
        else "all of them used for fitting (no rows held out)"
    )
    coding = "".join(f"<li>{html.escape(note)}</li>" for note in data["coding"])
    return f"""
<h2>Data</h2>
<p>{html.escape(data["source"].capitalize())}: {data["rows_in_table"]:,} rows, of which
{data["rows_dropped_missing"]:,} were dropped for a missing value in a used column, leaving
{data["rows_used"]:,}; {held}.</p>
<p>Model: <code>{html.escape(data["formula"])}</code>. The target is
<code>{html.escape(data["target"])}</code>; success ({html.escape(run.success)}) is coded 1,
{html.escape(str(data["negative"]))} is 0. How the columns became numbers:</p>
<ul>{coding}</ul>
"""


def mle_section(run: TableFit | ShardedFit, mle: dict) -> str:
    """The coefficient table and the fit's statistics, as statsmodels' Logit reports them."""
    rows = [
        [name, _num(r["estimate"]), _num(r["se"]), f"{r['z']:.3f}", _p(r["p"]),
         f"[{_num(r['lower'])}, {_num(r['upper'])}]"]
        for name, r in mle["coefficients"].items()
    ]  # fmt: skip
    converged = (
        f"converged in {mle['iterations']} Newton iterations"
        if mle["converged"]
        else f"<strong>NOT converged</strong> after {mle['iterations']} Newton iterations"
    )
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
    return f"""
<h2>Maximum likelihood</h2>
<p>Newton–Raphson (IRLS) in float64, {converged}. Standard errors from the Fisher
information; z = coef / SE; p two-sided; 95% Wald intervals.</p>
{htmlpage.table(["term", "coef", "SE", "z", "p", "95% interval"], rows)}
{htmlpage.table(["fit statistic", "value"], stats)}
"""


def effects_section(run: TableFit | ShardedFit, mle: dict, folder: Path) -> str:
    """Odds ratios with the forest plot, and the average marginal effects."""
    ratios = [
        [name, _num(r["odds_ratio"], 3), f"[{_num(r['lower'], 3)}, {_num(r['upper'], 3)}]"]
        for name, r in mle["odds_ratios"].items()
    ]
    effects = [
        [name, _num(r["estimate"]), _num(r["se"]), f"{r['z']:.3f}", _p(r["p"]),
         f"[{_num(r['lower'])}, {_num(r['upper'])}]"]
        for name, r in mle["marginal_effects"].items()
    ]  # fmt: skip
    return f"""
<h2>Odds ratios</h2>
<p>e<sup>coef</sup>: how many times the odds of {html.escape(run.success)} grow for one unit
more of a term, the other terms held fixed (for the intercept: the odds when every term is
0). The interval is e<sup>·</sup> of the coefficient's.</p>
{htmlpage.table(["term", "odds ratio", "95% interval"], ratios)}
{htmlpage.figure(folder / "odds-ratios.png", CAPTIONS["odds-ratios.png"])}
<h2>Average marginal effects</h2>
<p>The change in the probability of {html.escape(run.success)} per unit of each term,
averaged over the training rows (dP/dx = mean p(1 − p) · coef), with delta-method standard
errors.</p>
{htmlpage.table(["term", "dP/dx", "SE", "z", "p", "95% interval"], effects)}
"""


def goodness_section(mle: dict) -> str:
    """The classification table of the training rows and the Hosmer–Lemeshow test."""
    (tn, fp), (fn, tp) = mle["pred_table"]["counts"]
    return f"""
<h2>Goodness of fit</h2>
<p>Classification table of the training rows at threshold 0.5 (a row is predicted 1 when its
fitted probability is above 0.5):</p>
{htmlpage.table(["", "predicted 0", "predicted 1"], [["actual 0", tn, fp], ["actual 1", fn, tp]])}
<p>{hosmer_lemeshow_words(mle["hosmer_lemeshow"])}</p>
"""


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


def prediction_section(run: TableFit, metrics: dict, folder: Path, shown: str) -> str:
    """scikit-learn's metrics per set of rows, with the ROC, calibration and confusion figures."""
    header = ["rows", "n", "share of successes", "accuracy at 0.5", "log-loss", "Brier", "ROC AUC"]
    rows = [
        [name, f"{m['n']:,}", _num(m["base_rate"], 3), _num(m["accuracy"], 3),
         _num(m["log_loss"]), _num(m["brier"]),
         _num(m["roc_auc"], 3) if m["roc_auc"] is not None else m["roc_auc_note"]]
        for name, m in metrics.items()
    ]  # fmt: skip
    honest = (
        "The held-out rows are the honest measure: the fit never saw them."
        if "held-out" in metrics
        else "No rows were held out, so these are measured on the rows the model was fitted "
        "to and flatter it; hold rows out (test size) for an honest measure."
    )
    return f"""
<h2>How well it predicts</h2>
<p>Computed with scikit-learn's metrics. {honest} Accuracy is at threshold 0.5; log-loss is
the mean negative log-likelihood per row; the Brier score is the mean squared error of the
probabilities (0 is perfect, {_num(_brier_of_base_rate(run), 3)} is what always predicting the
share of successes would score on the {html.escape(shown)} rows).</p>
{htmlpage.table(header, rows)}
{htmlpage.figure(folder / "roc.png", CAPTIONS["roc.png"])}
{htmlpage.figure(folder / "calibration.png", CAPTIONS["calibration.png"])}
{htmlpage.figure(folder / "confusion.png", f"{CAPTIONS['confusion.png']}, {shown} rows")}
"""


def _brier_of_base_rate(run: TableFit) -> float:
    """b (1 - b): the Brier score of predicting the base rate b for every row."""
    rate = next(iter(run.metrics.values())).base_rate
    return rate * (1 - rate)


def descent_section(run: TableFit | ShardedFit, gd: dict, folder: Path) -> str:
    """The lecture's gradient descent beside the MLE: coefficients, distances, verdicts."""
    if not run.descents:
        return f"<h2>Gradient descent beside the MLE</h2>\n<p>{html.escape(gd['note'])}.</p>"
    losses = list(gd["fits"])
    names = run.mle.names
    rows = [
        [name, _num(float(run.mle.coef[j]))]
        + [_num(gd["fits"][loss]["coef"][name]) for loss in losses]
        for j, name in enumerate(names)
    ]
    distances = [
        [loss_label(loss), _num(f["distance_to_mle"]["max_abs"]),
         _num(f["distance_to_mle"]["max_rel"]), _num(f["distance_to_mle"]["max_abs_standardised"]),
         _num(f["distance_to_mle"]["max_in_se"]), _verdict(f["convergence"]),
         f"{f['epochs']:,} on {f['engine']}"]
        for loss, f in gd["fits"].items()
    ]  # fmt: skip
    return f"""
<h2>Gradient descent beside the MLE</h2>
<p>The lecture's fit on the same columns: {html.escape(run.descent_words)}, each column first
turned into z-scores (mean 0, standard deviation 1 on the training rows) so one step size suits
them all; the coefficients are mapped back to the original units (coef = b / sd, intercept =
a − Σ b·mean / sd). BCE's minimum is the MLE, so its descent should land there; MSE's minimum
is elsewhere.</p>
{htmlpage.table(["term", "MLE", *(loss_label(k) for k in losses)], rows)}
{htmlpage.table(["descent", "max |Δ|", "max |Δ| / max |MLE|", "max |Δ| on z-scores",
                 "max |Δ| / SE", "convergence", "epochs, engine"], distances)}
{htmlpage.figure(folder / "gd-vs-mle.png", CAPTIONS["gd-vs-mle.png"])}
"""  # fmt: skip


def _verdict(convergence: dict) -> str:
    sign = "≤" if convergence["grad_norm"] <= convergence["tol"] else ">"
    return (
        f"{convergence['verdict']} (|gradient| {convergence['grad_norm']:.2g} {sign} "
        f"tol {convergence['tol']:.2g})"
    )


def about_section(results: dict, *, per_row: bool = True) -> str:
    """When and with what the run was made, and which file holds what (per_row: there is a
    predictions.csv)."""
    prov = results["provenance"]
    rows = " each row's prediction in <code>predictions.csv</code>," if per_row else ""
    versions = ", ".join(f"{k} {v}" for k, v in prov["versions"].items() if v)
    took = f" in {prov['seconds']:.2f} s" if prov["seconds"] is not None else ""
    return f"""
<h2>About this run</h2>
<p>Finished {html.escape(prov["finished"])}{took} on {html.escape(prov["machine"]["system"])}
({prov["machine"]["cores"]} cores), with {html.escape(versions)}. Every number on this page is
in <code>results.json</code>; the coefficients also in <code>coefficients.csv</code>,{rows}
and the model, to apply to new rows with <code>logitlab predict</code>, in
<code>model.json</code>.</p>
"""


def sharded_data_section(run: ShardedFit, data: dict, sharded: dict) -> str:
    """Where the rows came from, how the workers shared them, and how columns were coded."""
    workers = sharded["workers"]
    shares = ", ".join(f"{rows:,}" for rows in sharded["rows_per_worker"])
    how = (
        f"read in shares by {workers} workers (rows used per worker, in rank order: {shares})"
        if workers > 1
        else "streamed from disk by one process"
    )
    coding = "".join(f"<li>{html.escape(note)}</li>" for note in data["coding"])
    return f"""
<h2>Data</h2>
<p>{html.escape(data["source"].capitalize())}, {how}, at most {sharded["chunk_rows"]:,} rows
at a time: {data["rows_in_table"]:,} rows, of which {data["rows_dropped_missing"]:,} were
dropped for a missing value in a used column, leaving {data["rows_used"]:,}, all of them used
for fitting.</p>
<p>Model: <code>{html.escape(data["formula"])}</code>. The target is
<code>{html.escape(data["target"])}</code>; success ({html.escape(run.success)}) is coded 1,
{html.escape(str(data["negative"]))} is 0. The coding was agreed by every worker from the
whole table's values. How the columns became numbers:</p>
<ul>{coding}</ul>
"""


def render_sharded_html(run: ShardedFit, results: dict, folder: Path) -> str:
    """The page of a fit on shards: data, reading, MLE, effects, goodness of fit, descent,
    and what is not produced, and why."""
    mle = results["mle"]
    body = f"""
{sharded_data_section(run, results["data"], results["sharded"])}
<h2>In plain words</h2>
<p>{html.escape(run.reading)}</p>
{mle_section(run, mle)}
{effects_section(run, mle, folder)}
{goodness_section(mle)}
<h2>Per-row results</h2>
<p>{html.escape(NOT_PRODUCED[0].upper() + NOT_PRODUCED[1:])}.</p>
{descent_section(run, results["gradient_descent"], folder)}
{about_section(results, per_row=False)}
"""
    return htmlpage.page(f"logitlab fit — {run.design.spec.formula}", body)


def render_html(run: TableFit, results: dict, folder: Path, shown: str) -> str:
    """One self-contained page: data, reading, MLE, effects, fit, prediction, descent."""
    mle = results["mle"]
    body = f"""
{data_section(run, results["data"])}
<h2>In plain words</h2>
<p>{html.escape(run.reading)}</p>
{mle_section(run, mle)}
{effects_section(run, mle, folder)}
{goodness_section(mle)}
{prediction_section(run, results["metrics"], folder, shown)}
{descent_section(run, results["gradient_descent"], folder)}
{about_section(results)}
"""
    return htmlpage.page(f"logitlab fit — {run.design.formula}", body)
