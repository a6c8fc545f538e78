"""Write the multinomial fit of a table: coefficients.csv (a `class` column naming each
equation's level), results.json, model.json (for `logitlab predict`) and report.html (the
caller makes the folder atomic: staged_dir)."""

from __future__ import annotations

from pathlib import Path

from ..data.modelfile import model_file_refusal, multinomial_record
from ..records.multiclass import coefficient_rows, multiclass_record
from ..studies.multiclass import MulticlassFit
from . import html as htmlpage
from .writers import names_in, write_csv, write_json


def write_multiclass(run: MulticlassFit, folder: Path) -> list[str]:
    """coefficients.csv, results.json, model.json (unless a model file could not hold the
    model: model_file_refusal, the CLI says why), summary.txt and report.html into folder;
    returns their names."""
    folder = Path(folder)
    results = multiclass_record(run)
    write_csv(coefficient_rows(run), folder / "coefficients.csv")
    write_json(results, folder / "results.json")
    mle, spec = run.mle, run.design.spec
    if model_file_refusal(spec, mle.classes) is None:
        model = multinomial_record(spec, mle.params, mle.classes, mle.baseline)
        write_json(model, folder / "model.json")
    (folder / "summary.txt").write_text(run.summary() + "\n")
    (folder / "report.html").write_text(render_html(run, results))
    return names_in(folder)


def render_html(run: MulticlassFit, results: dict) -> str:
    """One page (multiclass.html): one coefficient table per equation, the evaluation."""
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
    )
