"""What a statistician reads off a logistic-regression MLE beyond its coefficients: odds
ratios, average marginal effects (delta method), the classification table and the
Hosmer-Lemeshow test, each as statsmodels' Logit results define it, so the two agree.

Plain functions over arrays; MLEResult (stats.mle) calls them and owns the presentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


@dataclass(frozen=True)
class Effects:
    """One row per term: an estimate with its standard error, z, two-sided p and interval
    (the standard error, z and p are NaN where they do not apply, as for odds ratios)."""

    names: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    z: np.ndarray
    pvalues: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    title: str
    #: The intervals' confidence level (their columns say it, as statsmodels' [0.025 0.975]).
    level: float = 0.95

    def rows(self) -> dict[str, dict[str, float]]:
        """Name -> {estimate, se, z, p, lower, upper}, in the model's order."""
        columns = (self.estimate, self.se, self.z, self.pvalues, self.lower, self.upper)
        keys = ("estimate", "se", "z", "p", "lower", "upper")
        return {
            name: dict(zip(keys, (float(c[i]) for c in columns), strict=True))
            for i, name in enumerate(self.names)
        }

    def __repr__(self) -> str:
        """One line, not the arrays: Effects('coef', 4 terms 'Intercept', 'GPA', 'TUCE', …
        1 more, estimate=[...], se=[...], 95% intervals)."""
        from ..display import names, numbers

        se = "" if np.all(np.isnan(self.se)) else f"se={numbers(self.se, 4)}, "
        return (f"Effects({self.title!r}, {len(self.names)} terms {names(self.names, 3)}, "
                f"estimate={numbers(self.estimate, 4)}, {se}{100 * self.level:g}% "
                f"intervals)")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the table, one row per term."""
        from ..display import html

        return html("effects.html", effects=self)

    def table(self) -> str:
        """The rows as a fixed-width table under the title (NaN columns left out)."""
        shown = [
            (head, values, fmt)
            for head, values, fmt in (
                (self.title, self.estimate, ".4f"),
                ("std err", self.se, ".4f"),
                ("z", self.z, ".3f"),
                ("P>|z|", self.pvalues, ".3f"),
                (f"[{(1.0 - self.level) / 2.0:.4g}", self.lower, ".4f"),
                (f"{(1.0 + self.level) / 2.0:.4g}]", self.upper, ".4f"),
            )
            if not np.all(np.isnan(values))
        ]
        label = max(12, *(len(name) + 1 for name in self.names))
        widths = [max(11, len(head) + 2) for head, _, _ in shown]
        rule = "=" * (label + sum(widths))
        head = f"{'':<{label}}" + "".join(
            f"{h:>{w}}" for (h, _, _), w in zip(shown, widths, strict=True)
        )
        lines = [rule, head, "-" * len(rule)]
        for i, name in enumerate(self.names):
            cells = "".join(
                f"{values[i]:>{w}{fmt}}" for (_, values, fmt), w in zip(shown, widths, strict=True)
            )
            lines.append(f"{name:<{label}}{cells}")
        return "\n".join([*lines, rule])

    def __str__(self) -> str:
        return self.table()


def wald(
    names: tuple[str, ...], estimate: np.ndarray, se: np.ndarray, title: str, alpha: float = 0.05
) -> Effects:
    """Estimates with Wald z, two-sided normal p-values and 1 - alpha intervals."""
    q = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = estimate / se
    p = np.array([math.erfc(abs(v) / math.sqrt(2.0)) for v in z])
    lower, upper = estimate - q * se, estimate + q * se
    return Effects(names, estimate, se, z, p, lower, upper, title, 1.0 - alpha)


def odds_ratios(
    names: tuple[str, ...], coef: np.ndarray, interval: np.ndarray, level: float = 0.95
) -> Effects:
    """exp(coefficient) with the exponentiated Wald interval at `level` (odds ratios have no
    symmetric standard error, so none is shown); overflow reads as inf, not a warning."""
    with np.errstate(over="ignore"):
        ratio, lower, upper = np.exp(coef), np.exp(interval[:, 0]), np.exp(interval[:, 1])
    nan = np.full(len(coef), np.nan)
    return Effects(names, ratio, nan, nan, nan, lower, upper, "odds ratio", level)


def marginal_effects(
    names: tuple[str, ...],
    coef: np.ndarray,
    cov: np.ndarray,
    mean_weight: float,
    curvature: np.ndarray,
    nobs: int,
    intercept: bool,
    alpha: float = 0.05,
) -> Effects:
    """Average marginal effects dP/dx_j = mean(w) b_j, w = p (1 - p), of every non-intercept
    term, with delta-method standard errors (statsmodels' get_margeff(at="overall",
    method="dydx")). The Jacobian d AME_j / d b_l = mean(w) [j = l] + b_j mean(w (1 - 2p) x_l).
    Only sums over the rows enter, so a fit in memory and one on shards share this: the mean
    weight mean(w), `curvature` = sum w (1 - 2p) x (the last Newton pass computes it) and
    the rows `nobs`. Intervals at 1 - alpha."""
    keep = slice(1, None) if intercept else slice(None)
    slopes = coef[keep]
    jacobian = np.outer(slopes, curvature / nobs)
    jacobian[:, keep] += mean_weight * np.eye(len(slopes))
    se = np.sqrt(np.diag(jacobian @ cov @ jacobian.T))
    return wald(names[keep], mean_weight * slopes, se, "dy/dx", alpha)


@dataclass(frozen=True)
class Predicted:
    """Each row's probability p with its interval [low, high] at `level`, and the linear
    predictor x'b with its delta-method standard error sqrt(x' V x)."""

    p: np.ndarray
    low: np.ndarray
    high: np.ndarray
    logit: np.ndarray
    se: np.ndarray
    level: float


def predicted_interval(
    X: np.ndarray, params: np.ndarray, cov: np.ndarray, level: float = 0.95
) -> Predicted:
    """The probability of each row of the design X (its intercept column included when the
    model has one) with its confidence interval: the Wald interval of x'b on the logit scale
    (se = sqrt(x' V x), the delta method), then the sigmoid of its ends, so it stays inside
    (0, 1) and is exactly R's predict(type="link", se.fit=TRUE) transformed, and statsmodels'
    GLM get_prediction().conf_int(which="linear") through the link."""
    from ..model import sigmoid

    logit = X @ params
    se = np.sqrt(np.maximum(np.einsum("ij,ij->i", X @ cov, X), 0.0))
    q = NormalDist().inv_cdf((1.0 + level) / 2.0)
    return Predicted(sigmoid(logit), sigmoid(logit - q * se), sigmoid(logit + q * se), logit,
                     se, level)  # fmt: skip


def pred_table(
    labels: np.ndarray, fitted: np.ndarray, threshold: float, trials: np.ndarray | None = None
) -> np.ndarray:
    """Counts [[y=0 predicted 0, y=0 predicted 1], [y=1 predicted 0, y=1 predicted 1]], a row
    predicted 1 when its probability is above the threshold (as statsmodels); with `trials`,
    labels count successes and a row adds its successes and failures (the expanded rows')."""
    predicted = fitted > threshold
    ones = labels.astype(float)
    zeros = (1.0 if trials is None else trials) - ones
    return np.array(
        [
            [zeros[~predicted].sum(), zeros[predicted].sum()],
            [ones[~predicted].sum(), ones[predicted].sum()],
        ],
        dtype=float,
    )


@dataclass(frozen=True)
class HosmerLemeshow:
    """The Hosmer-Lemeshow goodness-of-fit test over groups of similar fitted risk."""

    statistic: float
    df: int
    pvalue: float
    groups: int


def hosmer_lemeshow(
    labels: np.ndarray, fitted: np.ndarray, groups: int, trials: np.ndarray | None = None
) -> HosmerLemeshow | None:
    """Deciles (or `groups`-iles) of risk: rows are grouped by the quantiles of the fitted
    probability (right-closed bins, the lowest value in the first; quantile edges that
    coincide, from tied probabilities, merge their groups), and
    C = sum over groups of (O - E)^2 / (E (1 - E / n_g)) with O the observed and E the expected
    successes, referred to chi-squared with (number of groups - 2) degrees of freedom.
    With `trials` (labels then count successes) the quantiles and sums are the expanded
    rows'. None when the fitted risks fall in fewer than 3 groups: the test has no degrees
    of freedom."""
    if trials is None:
        edges = np.unique(np.quantile(fitted, np.linspace(0.0, 1.0, groups + 1)))
        count = np.ones_like(fitted)
    else:
        order = np.argsort(fitted, kind="stable")
        order = order[trials[order] > 0]
        edges = quantile_edges(fitted[order], trials[order], groups)
        count = trials
    group = np.clip(np.searchsorted(edges, fitted, side="left") - 1, 0, max(len(edges) - 2, 0))
    return grouped_hosmer_lemeshow(group, count, labels, count * fitted)


def quantile_edges(value: np.ndarray, count: np.ndarray, groups: int) -> np.ndarray:
    """The distinct quantiles at 0, 1/groups, ..., 1 (NumPy's linear rule) of values sorted
    ascending, each repeated `count` times (count > 0), without expanding them."""
    ends = np.cumsum(count)  # row k (0-based, sorted) is in the first value ending > k
    positions = (ends[-1] - 1) * np.linspace(0.0, 1.0, groups + 1)
    low = np.floor(positions)
    at = np.searchsorted(ends, low, side="right")
    after = np.minimum(np.searchsorted(ends, low + 1, side="right"), len(value) - 1)
    return np.unique(value[at] + (positions - low) * (value[after] - value[at]))


def grouped_hosmer_lemeshow(
    group: np.ndarray, count: np.ndarray, observed: np.ndarray, expected: np.ndarray
) -> HosmerLemeshow | None:
    """The Hosmer-Lemeshow statistic from each row's (or bin's) group, size, observed and
    expected successes; None with fewer than 3 non-empty groups (no degrees of freedom)."""
    from scipy.stats import chi2

    n_g, o_g, e_g = (np.bincount(group, weights=w) for w in (count, observed, expected))
    used = n_g > 0
    n_g, o_g, e_g = n_g[used], o_g[used], e_g[used]
    df = len(n_g) - 2
    if df < 1:
        return None
    statistic = float(np.sum((o_g - e_g) ** 2 / (e_g * (1.0 - e_g / n_g))))
    return HosmerLemeshow(statistic, df, float(chi2.sf(statistic, df)), len(n_g))
