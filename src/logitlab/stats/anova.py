"""Analysis of deviance, as R's glm prints it: the likelihood-ratio tests of a sequence of
nested models (anova(m1, m2, ..., test="Chisq")), each model against the one before, and of
each droppable term of one model (drop1(m, test="Chisq")), each deletion a refit.

The LR statistic of two nested fits is the drop in residual deviance, 2 (llf_big - llf_small),
referred to chi2 on the difference in coefficients. Nesting is checked on the numbers: a
smaller model's columns must lie in the span of the larger one's (least squares on the
same rows), so 'y ~ C(sex) + x - 1' nests in 'y ~ C(sex) * x' as R would accept it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from . import mle as mle_module
from .mle import MLEResult

#: A column lies in a span when its least-squares residual is below this share of its norm.
SPAN_RTOL = 1e-8
#: R's eps.Pvalue (.Machine$double.eps, printed by format.pval as "< 2.2e-16").
P_FLOOR = 2.220446049250313e-16
#: R's significance codes, smallest first.
STARS = ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, "."), (1.0, " "))
LEGEND = "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1"


def in_span(columns: np.ndarray, basis: np.ndarray) -> bool:
    """Whether every column of `columns` (n x a) lies in the column space of `basis` (n x b),
    to SPAN_RTOL of its norm: the least-squares residual through a QR of the scaled basis."""
    if columns.shape[1] == 0:
        return True
    scale = np.linalg.norm(basis, axis=0)
    q, _ = np.linalg.qr(basis / np.where(scale > 0, scale, 1.0))
    residual = columns - q @ (q.T @ columns)
    norms = np.linalg.norm(columns, axis=0)
    return bool(np.all(np.linalg.norm(residual, axis=0) <= SPAN_RTOL * np.maximum(norms, 1e-300)))


def with_intercept(X: np.ndarray, intercept: bool) -> np.ndarray:
    """The design with its column of ones when the model has an intercept."""
    return np.column_stack((np.ones(len(X)), X)) if intercept else X


def chi2_sf(statistic: float, df: int) -> float:
    """P(chi2 on df > statistic); NaN for df 0 (R prints no p-value there)."""
    from scipy.stats import chi2

    return float(chi2.sf(statistic, df)) if df > 0 else math.nan


@dataclass(frozen=True)
class Anova:
    """R's anova(m1, m2, ..., test="Chisq") of binomial GLMs: per model its residual df and
    deviance and, from the second on, the change against the one before (Df, Deviance: the
    previous model's minus this one's, as R signs them) and the chi2 p-value."""

    formulas: tuple[str, ...]
    resid_df: tuple[int, ...]
    resid_dev: tuple[float, ...]
    df: tuple[int | None, ...]
    deviance: tuple[float | None, ...]
    pvalues: tuple[float | None, ...]

    def __repr__(self) -> str:
        """One line: the models and each LR test's p-value."""
        tests = ", ".join(f"{p:.4g}" for p in self.pvalues[1:] if p is not None)
        return (f"Anova({len(self.formulas)} models, residual deviance "
                f"{self.resid_dev[0]:.4g} -> {self.resid_dev[-1]:.4g}; LR p {tests})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the analysis of deviance."""
        from ..display import html

        return html("anova.html", anova=self)

    def table(self) -> str:
        """The table as R prints it: 'Analysis of Deviance Table', the models, the rows."""
        lines = ["Analysis of Deviance Table", ""]
        lines += [f"Model {i + 1}: {f}" for i, f in enumerate(self.formulas)]
        columns = {
            "Resid. Df": [str(d) for d in self.resid_df],
            "Resid. Dev": r_format(self.resid_dev),
            "Df": ["" if d is None else str(d) for d in self.df],
            "Deviance": r_format(self.deviance),
            "Pr(>Chi)": p_format(self.pvalues),
        }
        stars = [p_stars(p) for p in self.pvalues]
        lines += ["", *aligned([str(i + 1) for i in range(len(self.formulas))], columns, stars)]
        if any(s.strip() for s in stars):
            lines += ["---", LEGEND]
        return "\n".join(lines)


def anova(fits: Sequence[MLEResult], formulas: Sequence[str]) -> Anova:
    """The analysis of deviance of `fits` in the order given (each tested against the one
    before; the caller has checked that each pair is nested and fitted on the same rows)."""
    resid_df = tuple(f.df_resid for f in fits)
    resid_dev = tuple(f.deviance for f in fits)
    df: list[int | None] = [None]
    change: list[float | None] = [None]
    pvalues: list[float | None] = [None]
    for before, after in pairwise(fits):
        d = before.df_resid - after.df_resid
        dev = before.deviance - after.deviance
        df.append(d)
        change.append(dev)
        p = chi2_sf(dev * (1 if d >= 0 else -1), abs(d))  # R: sign(Df) x Deviance on |Df|
        pvalues.append(None if math.isnan(p) else p)
    return Anova(tuple(formulas), resid_df, resid_dev, tuple(df), tuple(change), tuple(pvalues))


@dataclass(frozen=True)
class Drop1:
    """R's drop1(m, test="Chisq"): the full model ("<none>") and each droppable term (one
    not contained in a higher-order term present), its columns removed and the model refitted:
    Df (coefficients removed), the refit's Deviance and AIC, LRT = its deviance less the
    full model's, and the chi2 p-value."""

    formula: str
    terms: tuple[str, ...]
    df: tuple[int | None, ...]
    deviance: tuple[float, ...]
    aic: tuple[float, ...]
    lrt: tuple[float | None, ...]
    pvalues: tuple[float | None, ...]

    def rows(self) -> list[dict]:
        """One dict per row: term, df, deviance, aic, lrt, p (None for the full model)."""
        keys = ("term", "df", "deviance", "aic", "lrt", "p")
        columns = (self.terms, self.df, self.deviance, self.aic, self.lrt, self.pvalues)
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]

    def __repr__(self) -> str:
        """One line: the model, and each droppable term's LR test p-value."""
        from ..display import names, numbers, shortened

        tested = [(t, p) for t, p in zip(self.terms, self.pvalues, strict=True) if p is not None]
        return (f"Drop1({shortened(self.formula)!r}: terms {names(t for t, _ in tested)}, "
                f"LR p {numbers(p for _, p in tested)})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: each droppable term's deviance, AIC and LR test."""
        from ..display import html

        return html("drop1.html", drop1=self)

    def table(self) -> str:
        """The table as R prints it: 'Single term deletions', the model, the rows."""
        columns = {
            "Df": ["" if d is None else str(d) for d in self.df],
            "Deviance": r_format(self.deviance),
            "AIC": r_format(self.aic),
            "LRT": r_format(self.lrt),
            "Pr(>Chi)": p_format(self.pvalues),
        }
        stars = [p_stars(p) for p in self.pvalues]
        lines = ["Single term deletions", "", "Model:", self.formula,
                 *aligned(list(self.terms), columns, stars)]  # fmt: skip
        if any(s.strip() for s in stars):
            lines += ["---", LEGEND]
        return "\n".join(lines)


def drop1(
    X: np.ndarray,
    y: np.ndarray,
    full: MLEResult,
    terms: Mapping[str, Sequence[int]],
    formula: str,
    weights: np.ndarray | None = None,
    trials: np.ndarray | None = None,
) -> Drop1:
    """Each term of `terms` (name -> its columns of X, no intercept) dropped from the fit
    `full` of X, y (with its weights or trials) and the rest refitted; a model left with
    the intercept alone is the null model (full.llnull), one left with nothing has every
    probability 1/2."""
    names, df, deviance, aic, lrt, pvalues = ["<none>"], [None], [full.deviance], [full.aic], \
        [None], [None]  # fmt: skip
    k = len(full.params)
    for term, columns in terms.items():
        keep = [j for j in range(X.shape[1]) if j not in set(columns)]
        if keep:
            kept = tuple(full.names[j + full.intercept] for j in keep)
            refit = mle_module.fit(X[:, keep], y, intercept=full.intercept, names=kept,
                                   weights=weights, trials=trials)  # fmt: skip
            loglik, coefficients = refit.loglik, len(refit.params)
        elif full.intercept:
            loglik, coefficients = full.llnull, 1
        else:
            count = mle_module.Counts.of(y, weights, trials)
            loglik, coefficients = count.total * math.log(0.5) + count.binomial, 0
        dev = 2.0 * (full.llsat - loglik)
        d = k - coefficients
        stat = max(0.0, dev - full.deviance)
        names.append(term)
        df.append(d)
        deviance.append(dev)
        aic.append(-2.0 * loglik + 2.0 * coefficients)
        lrt.append(stat)
        p = chi2_sf(stat, d)
        pvalues.append(None if math.isnan(p) else p)
    return Drop1(formula, tuple(names), tuple(df), tuple(deviance), tuple(aic), tuple(lrt),
                 tuple(pvalues))  # fmt: skip


def r_format(values: Sequence[float | None], digits: int = 5) -> list[str]:
    """Numbers as R's format() writes a column: one count of decimals for all, enough for
    each to show `digits` significant digits (trailing zeros not counted); None is blank."""
    decimals = 0
    for value in values:
        if value is None or not math.isfinite(value) or value == 0:
            continue
        text = f"{value:.{digits}g}"
        if "e" in text:
            text = f"{float(text):.15f}"
        fraction = text.partition(".")[2].rstrip("0")
        decimals = max(decimals, len(fraction))
    decimals = min(decimals, 15)
    return ["" if v is None else f"{v:.{decimals}f}" for v in values]


def p_format(pvalues: Sequence[float | None], digits: int = 4) -> list[str]:
    """p-values as R's format.pval: `digits` significant digits, '< 2.2e-16' below
    R's eps; None is blank."""
    return ["" if p is None else "< 2.2e-16" if p < P_FLOOR else f"{p:.{digits}g}"
            for p in pvalues]  # fmt: skip


def p_stars(p: float | None) -> str:
    """R's significance stars of a p-value ('' for none)."""
    if p is None:
        return ""
    return next(stars for bound, stars in STARS if p < bound or bound == 1.0)


def aligned(labels: Sequence[str], columns: Mapping[str, list[str]], stars: Sequence[str]
            ) -> list[str]:  # fmt: skip
    """A printed data frame: the row labels left-aligned, each column right-aligned under its
    name, the stars after the last."""
    width = max(map(len, labels))
    widths = {name: max(len(name), *map(len, cells)) for name, cells in columns.items()}
    head = " " * width + "".join(f" {name:>{widths[name]}}" for name in columns)
    lines = [head]
    for i, label in enumerate(labels):
        cells = "".join(f" {cells[i]:>{widths[name]}}" for name, cells in columns.items())
        lines.append(f"{label:<{width}}{cells} {stars[i]}".rstrip())
    return lines


__all__ = ["Anova", "Drop1", "anova", "drop1", "in_span", "r_format", "with_intercept"]
