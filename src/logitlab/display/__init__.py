"""How results show themselves in a notebook: short reprs and HTML cards.

The cards are rendered from the Jinja2 templates in display/templates with autoescape, so a
column named '<b>' is shown as written, not obeyed. This module imports nothing of the
package: every result type (result.py's too) calls it lazily, when a notebook shows a result,
and it reads the results by their public attributes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

#: Numbers a repr lists before it says how many more there are.
LIMIT = 6


def numbers(values: Iterable[float], limit: int = LIMIT) -> str:
    """'[-0.9812, 4.914]': values in 4 significant digits, the first `limit` of them and how
    many more (a repr stays one line whatever the number of coefficients)."""
    values = [float(v) for v in values]
    shown = ", ".join(f"{v:.4g}" for v in values[:limit])
    more = len(values) - limit
    return f"[{shown}, … {more} more]" if more > 0 else f"[{shown}]"


def number(value: float | None, digits: int = 4) -> str:
    """A table cell: fixed decimals, 3 significant digits when tiny or huge, '—' for none."""
    if value is None or math.isnan(value):
        return "—"
    if value != 0 and math.isfinite(value) and not 1e-3 <= abs(value) < 1e6:
        return f"{value:.3g}"
    return f"{value:.{digits}f}"


def count(n: int) -> str:
    """A count with thousands separators: 10000 -> '10,000'."""
    return f"{int(n):,}"


def p_value(p: float) -> str:
    """A p-value as tables print it: '< 0.001' below that, '—' for none (NaN)."""
    if math.isnan(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def verdict(convergence: Any) -> str:
    """A descent's verdict with the numbers behind it: 'converged (|gradient| 9.8e-05 ≤ tol
    0.0001)'."""
    sign = "≤" if convergence.grad_norm <= convergence.tol else ">"
    return (f"{convergence.verdict} (|gradient| {convergence.grad_norm:.2g} {sign} tol "
            f"{convergence.tol:.2g})")  # fmt: skip


def newton_words(mle: Any) -> str:
    """'converged in 6 iterations' or 'NOT converged after 100 iterations'."""
    if mle.converged:
        return f"converged in {mle.iterations} iterations"
    return f"NOT converged after {mle.iterations} iterations"


def names(values: Iterable[object], limit: int = LIMIT) -> str:
    """ "'a', 'b', … 3 more": the first `limit` names or levels as written and how many more
    (a repr stays one line whatever the number of classes or models)."""
    values = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:limit])
    more = len(values) - limit
    return f"{shown}, … {more} more" if more > 0 else shown


def shortened(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters, the cut marked '…' (a formula in a one-line repr)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def coefficient_rows(effects: Any) -> list[list[str]]:
    """A coefficient table (stats.inference.Effects) as cells: term, coef, SE, z, p, interval
    at its level."""
    return [
        [name, number(r["estimate"]), number(r["se"]), number(r["z"], 3), p_value(r["p"]),
         f"[{number(r['lower'])}, {number(r['upper'])}]"]
        for name, r in effects.rows().items()
    ]  # fmt: skip


def deviance_rows(anova: Any) -> list[list[str]]:
    """R's analysis of deviance (stats.anova.Anova) as cells: model, formula, residual df and
    deviance, then the change against the model before (df, deviance, p), blank on the first."""
    columns = (anova.formulas, anova.resid_df, anova.resid_dev, anova.df, anova.deviance,
               anova.pvalues)  # fmt: skip
    return [
        [str(i + 1), formula, count(df), number(dev), "" if d is None else count(d),
         "" if change is None else number(change), "" if p is None else f"{p:.4g}"]
        for i, (formula, df, dev, d, change, p) in enumerate(zip(*columns, strict=True))
    ]  # fmt: skip


def deletion_rows(drop1: Any) -> list[list[str]]:
    """R's drop1 (stats.anova.Drop1) as cells: term, df, deviance, AIC, LRT, p (the full
    model's row, '<none>', without the last three's test)."""
    return [
        [r["term"], "" if r["df"] is None else count(r["df"]), number(r["deviance"]),
         number(r["aic"]), "" if r["lrt"] is None else number(r["lrt"]),
         "" if r["p"] is None else f"{r['p']:.4g}"]
        for r in drop1.rows()
    ]  # fmt: skip


@functools.cache
def environment() -> Any:
    """The templates in display/templates, escaping every value put into HTML."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("logitlab.display"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["count"] = count
    env.filters["number"] = number
    env.filters["verdict"] = verdict
    env.globals["newton_words"] = newton_words
    env.globals["coefficient_rows"] = coefficient_rows
    env.globals["zip"] = zip
    env.globals["deviance_rows"] = deviance_rows
    env.globals["deletion_rows"] = deletion_rows
    return env


def html(template: str, **context: object) -> str:
    """A card rendered from display/templates/`template`."""
    return environment().get_template(template).render(**context)


__all__ = ["LIMIT", "coefficient_rows", "count", "deletion_rows", "deviance_rows", "html",
           "names", "newton_words", "number", "numbers", "p_value", "shortened",
           "verdict"]  # fmt: skip
