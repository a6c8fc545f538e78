"""Write a comparison of models (logitlab compare): comparison.csv, results.json and
report.html (the caller makes the folder atomic: staged_dir)."""

from __future__ import annotations

from pathlib import Path

from ..data.checks import missing_words
from ..records import comparison_rows, to_record
from ..stats.anova import p_format, r_format
from ..studies.compare import Comparison
from . import html as htmlpage
from .writers import names_in, write_csv, write_json


def write_compare(run: Comparison, folder: Path) -> list[str]:
    """comparison.csv (records.comparison_rows), results.json (records.to_record) and
    report.html into folder; returns their names."""
    folder = Path(folder)
    results = to_record(run)
    write_csv(comparison_rows(run), folder / "comparison.csv")
    write_json(results, folder / "results.json")
    (folder / "report.html").write_text(render_html(run, results))
    return names_in(folder)


def render_html(run: Comparison, results: dict) -> str:
    """One page (compare.html): the rows, the LR tests as R prints them, the criteria."""
    labels = [f"{i + 1}" for i in range(len(run.models))]
    anova = None
    if run.anova is not None:
        a = run.anova
        cells = zip(labels, a.resid_df, r_format(a.resid_dev), a.df, r_format(a.deviance),
                    p_format(a.pvalues), strict=True)  # fmt: skip
        anova = [["" if v is None else v for v in row] for row in cells]
    criteria = [[str(r["model"]), r["df"], f"{r['loglik']:.4f}", f"{r['aic']:.4f}",
                 f"{r['bic']:.4f}"] for r in results["criteria"]]  # fmt: skip
    prov = results["provenance"]
    return htmlpage.page(
        f"logitlab compare — {run.target}",
        "compare.html",
        data=results["data"],
        models=results["models"],
        dropped=missing_words(run.dropped, run.missing),
        anova=anova,
        refusal=run.refusal,
        criteria=criteria,
        prov=prov,
        versions=", ".join(f"{k} {v}" for k, v in prov["versions"].items() if v),
    )
