"""Write a Monte Carlo study: montecarlo.csv/json, its figures and report.html."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..records import montecarlo_rows, to_record
from ..studies.montecarlo import PARAMS, MonteCarloRun, findings
from ..studies.training import epoch_words, optimizer_words, start_words
from ..viz.montecarlo import plot_estimates, plot_histograms
from ..viz.style import loss_label
from . import html as htmlpage
from .writers import names_in, save_figure, write_csv, write_json


def write_montecarlo(
    run: MonteCarloRun, folder: Path, *, formats: Sequence[str] = ("png",)
) -> list[str]:
    """montecarlo.csv, montecarlo.json, the figures and report.html into folder; their names."""
    write_csv(montecarlo_rows(run), folder / "montecarlo.csv")
    record = to_record(run)
    write_json(record, folder / "montecarlo.json")
    figures = {"histograms.png": plot_histograms(run), "estimates.png": plot_estimates(run)}
    for name, fig in figures.items():
        save_figure(fig, folder / name, formats=formats)
    lecture = run.config.lecture
    table_rows = [
        [f"{loss_label(loss)} {p}", s[p]["truth"], s[p]["mean"], s[p]["bias"], s[p]["sd"],
         s[p]["mle_se"], s[p]["rmse"], s["fits"], s["converged"]]
        for loss, s in record["summary"].items()
        for p in PARAMS
    ]  # fmt: skip
    page = htmlpage.page(
        "Monte Carlo: sampling distribution",
        "montecarlo.html",
        config=run.config,
        lecture=lecture,
        epochs=epoch_words(lecture.training),
        optimizer=optimizer_words(lecture.training),
        start=start_words(lecture.training),
        rows=table_rows,
        findings=findings(run),
        folder=folder,
    )
    (folder / "report.html").write_text(page)
    return names_in(folder)
