"""Figures of a fitted table (`logitlab fit`): odds ratios, ROC, calibration, confusion, GD vs MLE.

Matplotlib's object API only (no pyplot), every function returns a Figure and saves nothing.
Figures with one row per term grow with the number of terms, so 30 names stay readable; their
legends sit under the axes, never over the data.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import DataError
from ..result import INTERCEPT
from ..stats.effects import EffectCurve
from ..stats.metrics import PredictionMetrics
from ..stats.mle import MLEResult
from ..stats.penalized import PenalizedResult
from .style import DATA_COLOR, LEGEND_SIZE, LOSS_COLORS, MLE_COLOR, OTHER_COLORS, loss_label

if TYPE_CHECKING:
    from ..studies.fit import TableFit

#: Term names longer than this are shortened in the middle ("mean fractal…dimension").
NAME_CHARS = 40
#: Height per term row and around the rows, in inches.
ROW_INCHES, FRAME_INCHES = 0.3, 1.9
#: A term's interval end beyond this many e-folds (odds ratios past e^±LOG_CAP) is drawn at
#: the edge with an arrow: the estimate carries no usable information about that side.
LOG_CAP = 30.0
#: A square axes with a title above and a key of up to three lines below it.
SQUARE_FIGSIZE = (5.6, 7.0)
#: Characters of a figure's title per inch of its width, at Matplotlib's default size.
TITLE_CHARS_PER_INCH = 10
#: Colours of the curves per set of rows (held-out first, then training).
SET_COLORS = (DATA_COLOR, *OTHER_COLORS)


#: The path figure names the slopes largest at the smallest lambda, one colour each (not
#: Matplotlib's grey C7: the others are drawn grey).
PATH_COLORS = ("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8")
PATH_NAMED = len(PATH_COLORS)


def short_name(name: str, chars: int = NAME_CHARS) -> str:
    """A term name of at most `chars` characters: the middle replaced by '…' if longer."""
    if len(name) <= chars:
        return name
    head = (chars - 1) // 2
    return f"{name[:head]}…{name[len(name) - (chars - 1 - head) :]}"


def _term_axes(count: int, width: float, title: str) -> tuple[Figure, Axes]:
    """One axes with a row per term, top to bottom, tall enough for `count` rows."""
    fig = Figure(figsize=(width, FRAME_INCHES + ROW_INCHES * max(count, 3)), layout="constrained")
    ax = fig.subplots()
    ax.set_title(title)
    ax.set_ylim(count - 0.5, -0.5)
    ax.grid(axis="x", alpha=0.3, which="both")
    return fig, ax


def _set_terms(ax: Axes, names: Sequence[str]) -> None:
    ax.set_yticks(range(len(names)), [short_name(n) for n in names])


def _percent(level: float) -> str:
    """A confidence level as a reader writes it: 0.95 -> '95%'."""
    return f"{100 * level:.4g}%"


def plot_odds_ratios(mle: MLEResult, *, title: str | None = None) -> Figure:
    """A forest plot: each term's odds ratio e^coef with its Wald interval at the fit's level
    on a log axis, a line at 1 (no effect), the values written at the right; `title` None:
    'Odds ratios with 95% intervals' at the fit's level. The intercept is left out: e^b0 is
    the odds at x = 0, not a ratio."""
    keep = [j for j, name in enumerate(mle.names) if name != INTERCEPT]
    if not keep:
        raise DataError("an odds-ratio plot needs a term besides the intercept")
    names = [mle.names[j] for j in keep]
    logs = np.asarray(mle.params, dtype=float)[keep]
    ci = np.asarray(mle.conf_int(), dtype=float)[keep]
    low, high = np.clip(ci[:, 0], -LOG_CAP, LOG_CAP), np.clip(ci[:, 1], -LOG_CAP, LOG_CAP)
    level = _percent(mle.conf_level)
    fig, ax = _term_axes(len(names), 8.5, title or f"Odds ratios with {level} intervals")
    rows = np.arange(len(names))
    ax.hlines(rows, np.exp(low), np.exp(high), color=MLE_COLOR, linewidth=1.6,
              label=f"{level} interval" if np.isfinite(ci).any() else None)  # fmt: skip
    estimate = "penalized" if isinstance(mle, PenalizedResult) else "MLE"
    ax.plot(np.exp(np.clip(logs, -LOG_CAP, LOG_CAP)), rows, "s", color=MLE_COLOR, markersize=5,
            label=f"odds ratio e^coef ({estimate})")  # fmt: skip
    ends, end_rows = ci.ravel(), np.repeat(rows, 2)  # an end past the cap: an arrow there
    for beyond, marker in ((ends < -LOG_CAP, "<"), (ends > LOG_CAP, ">")):
        if beyond.any():
            ax.plot(np.exp(np.sign(ends[beyond]) * LOG_CAP), end_rows[beyond], marker,
                    color=MLE_COLOR, markersize=6, linestyle="none")  # fmt: skip
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1, label="1: no effect")
    ax.set_xscale("log")
    _set_terms(ax, names)
    ax.set_xlabel("odds ratio per unit of the term (log scale)")
    for row, (b, lo, hi) in enumerate(zip(logs, ci[:, 0], ci[:, 1], strict=True)):
        interval = f" [{_ratio(lo)}, {_ratio(hi)}]" if math.isfinite(lo) else ""  # none: penalized
        ax.annotate(f"{_ratio(b)}{interval}", (1.01, row),
                    xycoords=("axes fraction", "data"), va="center", fontsize=9)  # fmt: skip
    fig.legend(loc="outside lower center", ncols=3, fontsize=LEGEND_SIZE - 1, frameon=False)
    return fig


def _ratio(log_value: float) -> str:
    """e^log_value in 3 significant digits ('inf' past float64, '0' below it)."""
    if not math.isfinite(log_value):
        return "inf" if log_value > 0 else ("0" if log_value < 0 else "nan")
    return f"{math.exp(log_value):.3g}" if log_value < 709 else "inf"


def plot_roc(
    curves: Mapping[str, PredictionMetrics],
    *,
    title: str = "ROC curve",
    marked: str | None = None,
) -> Figure:
    """The ROC curve of each set of rows (e.g. held-out and training), with its AUC and n in
    the key, and the chance diagonal; a set with one class only is named in the key with why
    it has no curve. On the curve of the set `marked`, the threshold that maximises Youden's
    J (its sensitivity + specificity - 1, the height above the diagonal) is marked."""
    fig = Figure(figsize=SQUARE_FIGSIZE, layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="chance (AUC 0.5)")
    for (label, m), color in zip(curves.items(), SET_COLORS, strict=False):
        if m.roc is None:
            ax.plot([], [], color=color, label=f"{label}: {m.roc_auc_note}")
            continue
        ax.step(m.roc.fpr, m.roc.tpr, where="post", color=color, linewidth=2,
                label=f"{label}: AUC {m.roc_auc:.3f} (n = {m.n:,})")  # fmt: skip
        if label == marked and m.youden is not None:
            best = m.youden
            ax.plot([1 - best.specificity] * 2, [1 - best.specificity, best.sensitivity], ":",
                    color=color, linewidth=1.5)  # fmt: skip
            words = (
                f"largest Youden's J {best.j:.3f} at threshold {best.threshold:.3g}:\n"
                f"sensitivity {best.sensitivity:.3f}, specificity {best.specificity:.3f}"
            )
            ax.plot(1 - best.specificity, best.sensitivity, "o", color=color, markersize=8,
                    label=words)  # fmt: skip
    ax.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), aspect="equal", title=title,
           xlabel="false-positive rate (share of y = 0 predicted 1)",
           ylabel="true-positive rate (share of y = 1 predicted 1)")  # fmt: skip
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=LEGEND_SIZE - 1, frameon=False)
    return fig


def plot_calibration(
    curves: Mapping[str, PredictionMetrics], *, title: str = "Calibration (reliability)"
) -> Figure:
    """Observed share of y = 1 against the mean predicted probability, per bin of rows with
    similar predictions (scikit-learn's quantile bins), each point labelled with its row
    count; on the diagonal the predictions are calibrated."""
    fig = Figure(figsize=SQUARE_FIGSIZE, layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="perfectly calibrated")
    for (label, m), color in zip(curves.items(), SET_COLORS, strict=False):
        cal = m.calibration
        ax.plot(cal.predicted, cal.observed, "o-", color=color, linewidth=1.5, markersize=5,
                label=f"{label}: {len(cal.count)} bins, n = {m.n:,}")  # fmt: skip
        for x, y, count in zip(cal.predicted, cal.observed, cal.count, strict=True):
            ax.annotate(f"{count}", (x, y), xytext=(6, -3), textcoords="offset points",
                        fontsize=8, color=color)  # fmt: skip
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), aspect="equal", title=title,
           xlabel="mean predicted probability in the bin",
           ylabel="observed share of y = 1 in the bin")  # fmt: skip
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=LEGEND_SIZE - 1, frameon=False)
    fig.text(0.01, 0.005, "numbers: rows per bin", fontsize=8, color="#555")
    return fig


def plot_confusion(
    metrics: PredictionMetrics,
    *,
    classes: tuple[str, str] = ("0", "1"),
    title: str = "Confusion matrix",
) -> Figure:
    """The confusion matrix as an image: the count and the share of its true class in each
    cell (rows: true class, columns: predicted class at the threshold)."""
    counts = np.asarray(metrics.confusion, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    fig = Figure(figsize=(6.0, 4.8), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(counts):
        dark = shares[i, j] > 0.6
        ax.text(j, i, f"{int(count):,}\n({100 * shares[i, j]:.0f}%)", ha="center", va="center",
                fontsize=13, color="white" if dark else "black")  # fmt: skip
    ax.set_xticks([0, 1], [short_name(c, 24).replace(" = ", "\n= ") for c in classes])
    ax.set_yticks([0, 1], [short_name(c, 24) for c in classes])
    ax.set(xlabel="predicted class", ylabel="true class")
    fig.suptitle(f"{title}\n(threshold {metrics.threshold:g}, n = {metrics.n:,}, "
                 f"accuracy {100 * metrics.accuracy:.1f}%)")  # fmt: skip
    fig.colorbar(image, ax=ax, label="share of the row's true class (in brackets)", shrink=0.8)
    return fig


def plot_gd_vs_mle(
    mle: MLEResult,
    gd: Mapping[str, Sequence[float]],
    *,
    title: str = "Gradient descent against the MLE",
) -> Figure:
    """Per term, how far each gradient-descent estimate (gd: loss -> coefficients in the MLE's
    order, original scale) lies from the MLE, in the MLE's standard errors: the MLE at 0 with
    its interval at the fit's level (±1.96 at 95%) as a band, so terms on any scale share one
    axis. The MLE's value
    and each estimate are written at the right."""
    names = list(mle.names)
    coef, se = np.asarray(mle.params, dtype=float), np.asarray(mle.se, dtype=float)
    fits = {loss: np.asarray(v, dtype=float).reshape(-1) for loss, v in gd.items()}
    for loss, values in fits.items():
        if values.shape[0] != len(names):
            raise DataError(f"the {loss} fit has {values.shape[0]} coefficients; the MLE has "
                            f"{len(names)}")  # fmt: skip
    fig, ax = _term_axes(len(names), 9.5, f"{title}\n(distance in the MLE's standard errors)")
    rows = np.arange(len(names))
    q = NormalDist().inv_cdf(0.5 + mle.conf_level / 2.0)
    ax.axvspan(-q, q, color="grey", alpha=0.15,
               label=f"MLE {_percent(mle.conf_level)} interval")  # fmt: skip
    ax.plot(np.zeros(len(names)), rows, "s", color=MLE_COLOR, markersize=5, label="MLE")
    markers = iter(("o", "D", "^", "v"))
    offsets = 0.25 * np.arange(1, len(fits) + 1) / len(fits) if fits else []  # under the MLE
    for (loss, values), marker, shift in zip(fits.items(), markers, offsets, strict=False):
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = np.where(se > 0, (values - coef) / se, np.nan)
        color = LOSS_COLORS.get(loss, OTHER_COLORS[0])
        name = loss_label(loss) if loss in LOSS_COLORS else loss
        ax.plot(gap, rows + shift, marker, color=color, markersize=6, linestyle="none",
                label=f"gradient descent on {name}")  # fmt: skip
    ax.axvline(0.0, color=MLE_COLOR, linewidth=0.8)
    _set_terms(ax, names)
    ax.set_xlabel("(estimate − MLE) / standard error of the MLE")
    labels = ["MLE", *(loss_label(k) if k in LOSS_COLORS else k for k in fits)]
    ax.annotate(" ".join(f"{h:>10}" for h in labels), (1.01, -0.9),
                xycoords=("axes fraction", "data"), fontsize=8, family="monospace")  # fmt: skip
    for row in rows:
        values = [coef[row], *(v[row] for v in fits.values())]
        ax.annotate(" ".join(f"{v:>10.4g}" for v in values), (1.01, row),
                    xycoords=("axes fraction", "data"), va="center", fontsize=8,
                    family="monospace")  # fmt: skip
    fig.legend(loc="outside lower center", ncols=2 + len(fits), fontsize=LEGEND_SIZE - 1,
               frameon=False)  # fmt: skip
    return fig


def plot_effects(curves: Sequence[EffectCurve], *, success: str, level: float) -> Figure:
    """One panel per variable: the predicted probability of `success` over it (a line with
    its confidence band over the numeric grid; a point with an error bar per level), the
    other variables held at their means or reference levels, as R's effects draws it."""
    if not curves:
        raise DataError("an effect plot needs at least one variable")
    cols = min(3, len(curves))
    rows = math.ceil(len(curves) / cols)
    width = max(6.0, 4.2 * cols)
    fig = Figure(figsize=(width, 3.4 * rows + 0.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
    finite = all(np.isfinite(curve.predicted.se).all() for curve in curves)
    band = f"with its {_percent(level)} confidence band" if finite else "(no band: no covariance)"
    for ax, curve in zip(axes, curves, strict=False):
        found = curve.predicted
        if curve.categorical:
            at = np.arange(len(curve.values))
            ax.errorbar(at, found.p, yerr=(found.p - found.low, found.high - found.p), fmt="o",
                        color=DATA_COLOR, ecolor=DATA_COLOR, capsize=5, markersize=6)  # fmt: skip
            names = [short_name(str(v), 14) for v in curve.values]
            ax.set_xticks(at, [f"{names[0]} (ref.)", *names[1:]])
            ax.set_xlim(-0.5, len(at) - 0.5)
        else:
            ax.fill_between(curve.values, found.low, found.high, color=DATA_COLOR, alpha=0.25,
                            linewidth=0)  # fmt: skip
            ax.plot(curve.values, found.p, color=DATA_COLOR, linewidth=2)
        ax.set_xlabel(short_name(curve.variable, 30))
        ax.set_ylim(0.0, 1.0)
        ax.grid(alpha=0.3)
    for ax in axes[len(curves) :]:
        ax.set_visible(False)
    for ax in axes[::cols]:
        ax.set_ylabel(f"P({success})")
    title = f"Predicted P({success}) over each variable, {band}"
    if any(curve.held for curve in curves):
        title += "; the other variables at their means (numeric) or reference levels"
    fig.suptitle(textwrap.fill(title, int(TITLE_CHARS_PER_INCH * width)))
    return fig


def table_figures(run: TableFit) -> dict[str, Figure]:
    """Every figure of a fitted table, by the file name its report saves it under: the odds
    ratios; with every row's prediction, ROC, calibration and the confusion matrix of the
    rows it is judged on (TableFit.judged_rows); the effect curves (in memory); the descents
    beside the MLE, when there are descents. A notebook shows each as it comes.

    Parameters
    ----------
    run : TableFit
        The fitted table, in memory or in shares.

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        Each figure by its file name (odds-ratios.png, roc.png, ...), neither saved nor shown.
    """
    figures = {
        "odds-ratios.png": plot_odds_ratios(run.mle, title=f"Odds ratios of {run.success}"),
    }
    shown = run.judged_rows
    if shown is not None:
        sets = {f"{name} rows": m for name, m in run.metrics.items()}
        classes = (f"{run.design.target} = {run.design.negative}", run.success)
        figures["roc.png"] = plot_roc(sets, marked=f"{shown} rows")
        figures["calibration.png"] = plot_calibration(sets)
        figures["confusion.png"] = plot_confusion(
            run.metrics[shown], classes=classes, title=f"Confusion matrix, {shown} rows"
        )
    if run.effects:
        figures["effects.png"] = plot_effects(run.effects, success=run.success,
                                              level=run.mle.conf_level)  # fmt: skip
    if isinstance(run.mle, PenalizedResult) and run.mle.cv is not None:
        figures["path.png"] = plot_penalty_path(run.mle)
    if run.descents:
        figures["gd-vs-mle.png"] = plot_gd_vs_mle(
            run.mle, {loss: d.params for loss, d in run.descents.items()}
        )
    return figures


def plot_penalty_path(mle: PenalizedResult) -> Figure:
    """glmnet's plot(fit) and plot(cvfit) side by side, on one log-lambda axis: each slope
    along the path (standardized: times its column's SD, so the lines compare) with the
    largest named, and the cross-validated log-loss with its standard error; lambda_min
    (used) and lambda_1se marked on both."""
    path, cv = mle.path, mle.cv
    if path is None or cv is None:
        raise DataError("a path figure needs a penalized fit with lambda chosen by cv")
    fig = Figure(figsize=(13.0, 5.4), layout="constrained")
    left, right = fig.subplots(1, 2, sharex=True)
    standardized = path.params[:, 1:] * mle.scale
    order = np.argsort(-np.abs(standardized[-1]))
    for rank, j in enumerate(order):
        color = PATH_COLORS[rank] if rank < PATH_NAMED else "0.75"
        label = short_name(mle.names[j + 1]) if rank < PATH_NAMED else None
        left.plot(path.lambdas, standardized[:, j], color=color, linewidth=1.4, label=label)
    left.axhline(0.0, color="grey", linewidth=0.8)
    left.set_ylabel("slope x column SD (standardized coefficient)")
    left.set_title(f"Coefficients along the {mle.penalty} path")
    more = len(order) - PATH_NAMED
    title = "largest at the smallest lambda" + (f" ({more} more in grey)" if more > 0 else "")
    left.legend(title=title, fontsize=LEGEND_SIZE - 2, title_fontsize=LEGEND_SIZE - 2)
    right.errorbar(path.lambdas, cv.mean, yerr=cv.se, fmt="o", color="C3", markersize=3,
                   ecolor="0.6", elinewidth=1, capsize=2,
                   label="mean ± SE over the folds")  # fmt: skip
    right.set_ylabel(f"held-out log-loss ({cv.folds}-fold CV, seed {cv.seed})")
    right.set_title("Cross-validation")
    nonzero = path.nonzero()
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("lambda (log scale)")
        ax.axvline(cv.lambda_min, color=MLE_COLOR, linestyle="--", linewidth=1.2,
                   label=f"lambda_min {cv.lambda_min:.3g} (used)")  # fmt: skip
        ax.axvline(cv.lambda_1se, color="grey", linestyle=":", linewidth=1.4,
                   label=f"lambda_1se {cv.lambda_1se:.3g}")  # fmt: skip
        top = ax.secondary_xaxis("top")
        ticks = path.lambdas[:: max(1, len(path.lambdas) // 6)]
        top.set_xticks(ticks, [str(nonzero[list(path.lambdas).index(t)]) for t in ticks])
        top.set_xlabel("nonzero slopes", fontsize=9)
    right.legend(fontsize=LEGEND_SIZE - 2, loc="best")
    return fig
