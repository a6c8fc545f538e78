"""Write a Monte Carlo study: montecarlo.csv/json, its figures and report.html."""

from __future__ import annotations

import html
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
    header = ["estimate", "truth", "mean", "bias", "sd", "MLE SE", "RMSE", "fits", "converged"]
    said = "".join(f"<p>{html.escape(sentence)}</p>" for sentence in findings(run))
    body = (
        f"<p>{run.config.reps} data sets of n = {lecture.data.n} drawn from the "
        f"lecture's model (data seed {lecture.data.seed} + rep), each fitted by "
        f"{lecture.epochs} {epoch_words(lecture.training)} epochs of "
        f"{optimizer_words(lecture.training)} (lr {lecture.lr}) from "
        f"{start_words(lecture.training)}. The sd of each loss's estimates is the spread of "
        "its sampling distribution; "
        "MLE SE is the spread maximum likelihood has in theory (its asymptotic standard "
        "error at the truth). No unbiased estimator does better, so among finished fits a "
        "larger sd means a less efficient loss; a smaller sd with a large bias (descent "
        "stopped short near its start) is no gain: compare the RMSE.</p>"
        + htmlpage.table(header, table_rows)
        + said
        + htmlpage.figure(
            folder / "histograms.png",
            "Sampling distributions on shared bins, the truth dashed, the MLE's in theory black",
        )
        + htmlpage.figure(folder / "estimates.png", "(ŵ0, ŵ1) per rep and loss")
    )
    (folder / "report.html").write_text(htmlpage.page("Monte Carlo: sampling distribution", body))
    return names_in(folder)
