"""Why not MSE: the `landscape` study's files, and the section of the lecture's report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from markupsafe import Markup

from ..config import LOSSES
from ..records import to_record
from ..studies.why import TOLERANCES, WhyNotMSE
from ..viz.style import loss_label
from ..viz.why import FIGURES, plot_convergence, plot_curvature, plot_landscapes, plot_plateau
from . import html as htmlpage
from .writers import names_in, save_figure, write_json


def write_landscape(
    why: WhyNotMSE, folder: Path, *, formats: Sequence[str] = ("png",)
) -> list[str]:
    """The figures, mle_summary.txt and landscape.json into folder; returns their names."""
    for name, (figure, _caption) in FIGURES.items():
        save_figure(figure(why), folder / name, formats=formats)
    (folder / "mle_summary.txt").write_text(why.mle.summary() + "\n")
    write_json(to_record(why), folder / "landscape.json")
    return names_in(folder)


def _epochs(why: WhyNotMSE, loss: str, tol: float) -> str:
    epoch = why.epochs_to(loss, tol)
    return f"{epoch:,}" if epoch is not None else f"not within {why.epochs:,}"


def why_section(why: WhyNotMSE | None, missing: str = "") -> Markup:
    """The evidence of "BCE, not MSE" in this run's numbers and pictures, as subsections of
    the lecture report's "BCE or MSE?" (which explains the reasons once); `missing` says why
    there is no analysis (e.g. separation: no MLE to compare with)."""
    if why is None:
        return htmlpage.fragment("why.html", why=None, missing=missing)
    summary = to_record(why)
    rows = [
        [f"{loss_label(loss)}: epochs to within {tol:g} of the MLE", _epochs(why, loss, tol)]
        for loss in LOSSES
        for tol in TOLERANCES
    ]
    rows += [
        [
            f"{loss_label(loss)}: distance to the MLE after {why.epochs:,} epochs",
            f"{summary['lecture_start'][loss]['distance_to_mle']:.3g}",
        ]
        for loss in LOSSES
    ]
    return htmlpage.fragment(
        "why.html",
        why=why,
        floor=summary["mse_minimum"],
        rows=rows,
        landscapes=plot_landscapes(why),
        convergence=plot_convergence(why),
        eig=summary["min_hessian_eigenvalue"],
        curvature=plot_curvature(why),
        start=why.plateau.start,
        plateau=summary["plateau_start"],
        plateau_figure=plot_plateau(why),
        plateau_caption=f"From the plateau start MSE {why.plateau_outcome('mse')}, "
        f"BCE {why.plateau_outcome('bce')}",
    )
