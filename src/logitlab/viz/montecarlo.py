"""The Monte Carlo study's figures: sampling distributions and the estimates per rep."""

from __future__ import annotations

from matplotlib.figure import Figure

from ..studies.montecarlo import PARAMS, MonteCarloRun
from .style import LOSS_COLORS, TRUTH_COLOR, loss_label


def plot_histograms(run: MonteCarloRun) -> Figure:
    """One panel per parameter: each loss's estimates as a histogram, the truth dashed."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    for i, (ax, name) in enumerate(zip(fig.subplots(1, 2), PARAMS, strict=True)):
        for loss in run.config.lecture.losses:
            values = run.estimates(loss)[:, i]
            ax.hist(values, bins=40, alpha=0.55, color=LOSS_COLORS[loss], label=loss_label(loss))
        ax.axvline(run.truth[i], color=TRUTH_COLOR, linestyle="--", label=f"true {name}")
        ax.set(title=f"ŵ{name[1:]} over {run.config.reps} data sets", xlabel=name, ylabel="reps")
        ax.legend()
    return fig


def plot_estimates(run: MonteCarloRun) -> Figure:
    """(ŵ0, ŵ1) of every rep, one colour per loss, the truth as a red cross."""
    fig = Figure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.subplots()
    for loss in run.config.lecture.losses:
        est = run.estimates(loss)
        ax.scatter(est[:, 0], est[:, 1], s=6, alpha=0.4, color=LOSS_COLORS[loss],
                   label=loss_label(loss))  # fmt: skip
    ax.scatter(*run.truth, marker="x", s=80, color=TRUTH_COLOR, label="truth")
    ax.set(xlabel="ŵ0", ylabel="ŵ1", title="Estimates per rep")
    ax.legend()
    return fig
