"""The Monte Carlo study's figures: sampling distributions and the estimates per rep."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..studies.montecarlo import PARAMS, MonteCarloRun
from .style import LEGEND_SIZE, LOSS_COLORS, MLE_COLOR, TRUTH_COLOR, loss_label


def common_bins(values: list[np.ndarray]) -> np.ndarray:
    """One set of bin edges for every loss's estimates of a parameter, so their histograms
    compare bar for bar: about 1.5 sqrt(count) bins (5 to 40) over the pooled finite range."""
    pooled = np.concatenate([np.asarray(v, dtype=float) for v in values] or [np.zeros(0)])
    pooled = pooled[np.isfinite(pooled)]
    if pooled.size == 0:
        return np.linspace(-1.0, 1.0, 6)
    count = int(np.clip(round(1.5 * np.sqrt(max(len(v) for v in values))), 5, 40))
    return np.histogram_bin_edges(pooled, bins=count)


def plot_histograms(run: MonteCarloRun) -> Figure:
    """One panel per parameter: each loss's estimates as a histogram on shared bins, the truth
    dashed, and the normal curve of the MLE's asymptotic sampling distribution (its standard
    error at the truth) scaled to the histograms, so each loss's spread is seen beside the
    spread maximum likelihood would have."""
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    losses, summary = run.config.lecture.losses, run.summary()
    for i, (ax, name) in enumerate(zip(fig.subplots(1, 2), PARAMS, strict=True)):
        values = {loss: run.estimates(loss)[:, i] for loss in losses}
        edges = common_bins(list(values.values()))
        for loss, v in values.items():
            sd = summary[loss][name]["sd"]
            label = f"{loss_label(loss)}: sd {sd:.3g}" if np.isfinite(sd) else loss_label(loss)
            ax.hist(v, bins=edges, alpha=0.5, color=LOSS_COLORS[loss], label=label)
        truth, se = float(run.truth[i]), float(run.expected_se[i])
        ax.axvline(truth, color=TRUTH_COLOR, linestyle="--", label=f"true {name}")
        if np.isfinite(se) and se > 0:  # none when the information matrix is singular
            grid = np.linspace(min(edges[0], truth - 4 * se), max(edges[-1], truth + 4 * se), 400)
            most = max(len(v) for v in values.values())
            scale = most * (edges[1] - edges[0])  # density -> counts per bin
            density = np.exp(-0.5 * ((grid - truth) / se) ** 2) / (se * np.sqrt(2 * np.pi))
            ax.plot(grid, scale * density, color=MLE_COLOR, linewidth=2,
                    label=f"MLE theory: s.e. {se:.3g}")  # fmt: skip
        ax.set(title=f"ŵ{name[1:]} over {run.config.reps} data sets", xlabel=name, ylabel="reps")
        ax.legend(fontsize=LEGEND_SIZE - 1)
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
    legend = ax.legend(fontsize=LEGEND_SIZE - 1)
    for handle in legend.legend_handles:
        handle.set_alpha(1)
    return fig
