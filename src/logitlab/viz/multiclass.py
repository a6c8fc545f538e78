"""The figure of a multinomial fit: its class probabilities over one variable, the others
held at their means or reference levels (studies.multiclass.ClassCurves)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..studies.multiclass import ClassCurves
from .fit import TITLE_CHARS_PER_INCH, short_name
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
