"""Write the multinomial fit of a table: coefficients.csv (a `class` column naming each
equation's level), results.json, model.json (for `logitlab predict`), probabilities.png, the
softmax descent's loss.png and gd-vs-mle.png, and report.html (the caller makes the folder
atomic: staged_dir)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..data.modelfile import model_file_refusal, multinomial_record
from ..records.multiclass import multiclass_coefficient_rows, multiclass_record
from ..studies.fit import descent_words
from ..studies.multiclass import BASELINE_FORM, MulticlassFit
from . import html as htmlpage
from .html import verdict_words
from .writers import names_in, save_figure, write_csv, write_json

#: The picture's caption on the page.
PROBABILITIES_CAPTION = (
    "The predicted probability of each class over one variable (the first numeric one the "
    "model reads, else its first), the others held at their means (numeric) or reference "
    "levels; the probabilities add up to 1 at every point"
)
#: The softmax descent's pictures' captions on the page.
DESCENT_CAPTIONS = {
    "loss.png": "The softmax descent's mean cross-entropy on the training rows at each epoch "
    "(top), and how far it still is above the MLE's, its minimum (bottom, log scale)",
    "gd-vs-mle.png": "Each coefficient of the softmax descent (W_k - W_baseline, original "
    "scale), its distance from the MLE in the MLE's standard errors; the band is the MLE's "
    "interval",
}


def write_multiclass(
    run: MulticlassFit, folder: Path, *, formats: Sequence[str] = ("png",)
) -> list[str]:
    """coefficients.csv, results.json, model.json (unless a model file could not hold the
    model: model_file_refusal, the CLI says why), probabilities.png (also in each of
    `formats`; not for a model that reads no variable), the descent's loss.png and
    gd-vs-mle.png (when it ran), summary.txt and report.html into folder; returns their
    names."""
    from ..viz.multiclass import descent_figures, plot_class_probabilities

    folder = Path(folder)
    if run.curves is not None:
        figure = plot_class_probabilities(run.curves, run.mle.classes, run.design.target)
        save_figure(figure, folder / "probabilities.png", formats=formats)
    for name, figure in descent_figures(run).items():
        save_figure(figure, folder / name, formats=formats)
    results = multiclass_record(run)
    write_csv(multiclass_coefficient_rows(run), folder / "coefficients.csv")
    write_json(results, folder / "results.json")
    mle, spec = run.mle, run.design.spec
    if model_file_refusal(spec, mle.classes) is None:
        model = multinomial_record(spec, mle.params, mle.classes, mle.baseline)
        write_json(model, folder / "model.json")
    (folder / "summary.txt").write_text(run.summary() + "\n")
    (folder / "report.html").write_text(render_html(run, results, folder))
    return names_in(folder)


def render_html(run: MulticlassFit, results: dict, folder: Path) -> str:
    """One page (multiclass.html): one coefficient table per equation, the class
    probabilities' picture (probabilities.png in `folder`), the evaluation, the softmax
    descent beside the MLE (or why none)."""
    mle, e = run.mle, run.evaluation
    low, high = (1.0 - mle.conf_level) / 2.0, (1.0 + mle.conf_level) / 2.0
    equations = []
    for j, level in enumerate(mle.equations):
        t, r = mle.coefficient_table(j), mle.relative_risk_ratios(j)
        rows = [[n, f"{t.estimate[i]:.4f}", f"{t.se[i]:.4f}", f"{t.z[i]:.3f}",
                 f"{t.pvalues[i]:.3g}", f"{t.lower[i]:.4f}", f"{t.upper[i]:.4f}",
                 f"{r.estimate[i]:.4g}"] for i, n in enumerate(mle.names)]  # fmt: skip
        equations.append((str(level), rows))
    classes = [str(c) for c in mle.classes]
    confusion = [[c, *map(int, row)] for c, row in zip(classes, e.confusion, strict=True)]
    per_class = [[c, f"{p:.3f}", f"{r:.3f}"]
                 for c, p, r in zip(classes, e.precision, e.recall, strict=True)]  # fmt: skip
    return htmlpage.page(
        f"logitlab fit — {run.design.target}",
        "multiclass.html",
        data=results["data"],
        mn=results["multinomial"],
        baseline=str(mle.baseline),
        interval=(f"[{low:.4g}", f"{high:.4g}]"),
        equations=equations,
        confusion_header=["actual \\ predicted", *classes],
        confusion=confusion,
        per_class=per_class,
        evaluation=results["evaluation"],
        note=run.note,
        picture=None if run.curves is None else folder / "probabilities.png",
        caption=PROBABILITIES_CAPTION,
        descent=descent_tables(run, results["gradient_descent"], folder),
    )


def descent_tables(run: MulticlassFit, gd: dict, folder: Path) -> dict | None:
    """The softmax descent beside the MLE: how it ran, one table per equation (MLE, descent,
    distance in standard errors), its distances and verdict, and its pictures (None when it
    did not run)."""
    d = run.descent
    if d is None:
        return None
    fit, mle = gd["fits"]["bce"], run.mle
    equations = []
    for j, level in enumerate(mle.equations):
        rows = [[name, f"{mle.params[i, j]:.4f}", f"{d.params[i, j]:.4f}",
                 f"{fit['in_se'][str(level)][name]:.3g}"]
                for i, name in enumerate(mle.names)]  # fmt: skip
        equations.append((str(level), rows))
    far = fit["distance_to_mle"]
    distances = [[f"{far['max_abs']:.3g}", f"{far['max_rel']:.3g}",
                  f"{far['max_abs_standardised']:.3g}", f"{far['max_in_se']:.3g}",
                  verdict_words(fit["convergence"]),
                  f"{fit['epochs']:,} on {fit['engine']}"]]  # fmt: skip
    return {
        "words": descent_words(d.train),
        "parametrisation": BASELINE_FORM,
        "equations": equations,
        "distances": distances,
        "final_loss": f"{fit['final_loss']:.6f}",
        "mle_loss": f"{fit['mle_loss']:.6f}",
        "figures": [(folder / name, caption) for name, caption in DESCENT_CAPTIONS.items()],
    }
