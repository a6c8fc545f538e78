"""Why not MSE: the `landscape` study's files, and the section of the lecture's report."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

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


def why_section(why: WhyNotMSE | None, missing: str = "") -> str:
    """The evidence of "BCE, not MSE" in this run's numbers and pictures, as subsections of
    the lecture report's "BCE or MSE?" (which explains the reasons once); `missing` says why
    there is no analysis (e.g. separation: no MLE to compare with)."""
    if why is None:
        return f"<p>No maximum-likelihood reference to measure against: {html.escape(missing)}</p>"
    mle, summary = why.mle, to_record(why)
    plateau_caption = (
        f"From the plateau start MSE {why.plateau_outcome('mse')}, BCE {why.plateau_outcome('bce')}"
    )
    lecture, plateau = summary["lecture_start"], summary["plateau_start"]
    rows = [
        [f"{loss_label(loss)}: epochs to within {tol:g} of the MLE", _epochs(why, loss, tol)]
        for loss in LOSSES
        for tol in TOLERANCES
    ]
    rows += [
        [
            f"{loss_label(loss)}: distance to the MLE after {why.epochs:,} epochs",
            f"{lecture[loss]['distance_to_mle']:.3g}",
        ]
        for loss in LOSSES
    ]
    w0, w1 = why.plateau.start
    eig = summary["min_hessian_eigenvalue"]
    floor = summary["mse_minimum"]
    return f"""
<h3>Where each descent goes</h3>
<p>The maximum-likelihood estimate (Newton–Raphson to convergence, in float64) is
ŵ0 = {mle.coef[0]:.4f}, ŵ1 = {mle.coef[1]:.4f} (log-likelihood {mle.loglik:.2f}; standard
errors {mle.se[0]:.4f} and {mle.se[1]:.4f}): where gradient descent on BCE is headed.
Gradient descent on MSE is headed for MSE's own minimum instead, at
({floor["w0"]:.4f}, {floor["w1"]:.4f}), {floor["distance_to_mle"]:.3g} from the MLE: the
longer it runs, the closer it gets to that point, not to the MLE.</p>
{htmlpage.table(["", "value"], rows)}
{htmlpage.figure(plot_landscapes(why), "Both loss landscapes with both gradient-descent paths")}
{htmlpage.figure(plot_convergence(why), "Distance to the MLE per epoch (log scale)")}
<h3>Curvature</h3>
<p>BCE's Hessian is mean(ŷ(1 − ŷ)·[1, x][1, x]ᵀ), positive semi-definite everywhere (smallest
eigenvalue on the grid {eig["bce"]:.2g}): one valley, no traps. MSE's Hessian has a negative
eigenvalue where the map is red (smallest {eig["mse"]:.2g}).</p>
{htmlpage.figure(plot_curvature(why), "Smallest Hessian eigenvalue over the grid")}
<h3>The plateau</h3>
<p>Started at (w0, w1) = ({w0:g}, {w1:g}), the fitted curve is close to 1 for every x, and
MSE's factor ŷ(1 − ŷ) is nearly 0: its largest gradient norm along the path is
{plateau["mse"]["max_grad_norm"]:.2g} and it ends {plateau["mse"]["distance_to_mle"]:.3g} from
the MLE. BCE's gradient stays large there, where the prediction is confidently wrong (up to
{plateau["bce"]["max_grad_norm"]:.2g}), and it ends {plateau["bce"]["distance_to_mle"]:.2g}
from the MLE.</p>
{htmlpage.figure(plot_plateau(why), plateau_caption)}
"""
