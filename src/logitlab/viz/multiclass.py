"""The figures of a multinomial fit: its class probabilities over one variable, the others
held at their means or reference levels (studies.multiclass.ClassCurves), and its softmax
descent's loss curve and distance from the MLE (drawn by viz.lecture's and viz.fit's
functions, which the binary descents use)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..stats.multinomial import MNLogitResult
from ..studies.multiclass import ClassCurves, MulticlassFit
from .fit import TITLE_CHARS_PER_INCH, plot_gd_vs_mle, short_name
from .lecture import plot_loss_history
from .style import LEGEND_SIZE, class_style

#: Held values named in the title at most; more are summed up in words.
HELD_SHOWN = 4


def plot_class_probabilities(curves: ClassCurves, classes: Sequence[Any], target: str) -> Figure:
    """One line per class over the variable's grid (a group of bars per level when it is
    categorical, the reference first), on one 0-1 axis: where a class takes over from
    another is where their lines cross."""
    width = 8.0
    fig = Figure(figsize=(width, 4.8), layout="constrained")
    ax = fig.subplots()
    count = len(classes)
    if curves.categorical:
        at, bar = np.arange(len(curves.values)), 0.8 / count
        for k, level in enumerate(classes):
            color, _ = class_style(k)
            ax.bar(at + (k - (count - 1) / 2) * bar, curves.p[:, k], bar, color=color,
                   label=short_name(str(level), 24))  # fmt: skip
        names = [short_name(str(v), 14) for v in curves.values]
        ax.set_xticks(at, [f"{names[0]} (ref.)", *names[1:]])
    else:
        for k, level in enumerate(classes):
            color, style = class_style(k)
            ax.plot(curves.values, curves.p[:, k], color=color, linestyle=style, linewidth=2.2,
                    label=short_name(str(level), 24))  # fmt: skip
        ax.set_xlim(curves.values[0], curves.values[-1])
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel(short_name(curves.variable, 40))
    ax.set_ylabel("predicted probability")
    ax.grid(alpha=0.3)
    fig.legend(title=short_name(target, 24), loc="outside lower center", ncols=min(count, 5),
               fontsize=LEGEND_SIZE, title_fontsize=LEGEND_SIZE, frameon=False)  # fmt: skip
    title = f"Predicted probability of each class of {short_name(target, 24)} over " + (
        f"{short_name(curves.variable, 30)}{held_words(curves.held)}"
    )
    fig.suptitle(textwrap.fill(title, int(TITLE_CHARS_PER_INCH * width)))
    return fig


def held_words(held: dict[str, Any]) -> str:
    """'; the other variables at their means or reference levels: sw = 3.057, g = hi' (at
    most HELD_SHOWN named), or nothing."""
    if not held:
        return ""
    shown = [f"{short_name(name, 20)} = {value:.4g}" if isinstance(value, float)
             else f"{short_name(name, 20)} = {short_name(str(value), 14)}"
             for name, value in list(held.items())[:HELD_SHOWN]]  # fmt: skip
    more = len(held) - HELD_SHOWN
    rest = f" and {more} more" if more > 0 else ""
    return f"; the other variables at their means or reference levels: {', '.join(shown)}{rest}"


@dataclass(frozen=True)
class EquationTerms:
    """A multinomial fit's coefficients in one column, equation after equation, as
    plot_gd_vs_mle reads an MLE: each 'class: term' with its estimate and standard error."""

    names: tuple[str, ...]
    params: np.ndarray
    se: np.ndarray
    conf_level: float

    @classmethod
    def of(cls, mle: MNLogitResult) -> EquationTerms:
        """The MLE's d x (K - 1) coefficients and standard errors, a column at a time."""
        names = tuple(f"{level}: {term}" for level in mle.equations for term in mle.names)
        return cls(names, mle.params.T.ravel(), mle.bse.T.ravel(), mle.conf_level)


def descent_figures(run: MulticlassFit) -> dict[str, Figure]:
    """The softmax descent's figures by file name: loss.png, the mean cross-entropy per
    epoch and its distance from the MLE's (the minimum), and gd-vs-mle.png, each
    coefficient's distance from the MLE in its standard errors; {} without a descent."""
    d, mle = run.descent, run.mle
    if d is None:
        return {}
    floor = {"cross-entropy": -mle.llf / mle.nobs}  # the MLE's mean cross-entropy: the minimum
    terms = EquationTerms.of(mle)  # read as an MLE is (duck-typed)
    return {
        "loss.png": plot_loss_history({"cross-entropy": d.losses()}, floor),
        "gd-vs-mle.png": plot_gd_vs_mle(
            terms,  # type: ignore[arg-type]
            {"cross-entropy": d.params.T.ravel()},
            title="Softmax gradient descent against the multinomial MLE",
        ),
    }
