"""Sandwich covariances of the logistic MLE: B M B with the bread B = (X'WX)^-1 (the
model-based covariance, W = diag(p (1 - p))) and a meat M of score outer products, the row
score being s_i = x_i (y_i - p_i).

The peers differ in their small-sample factors, so each type is named by its formula:

- nonrobust: B, the inverse Fisher information (statsmodels' and Stata's default);
- hc0: B (sum s_i s_i') B, White's (R sandwich's HC0, statsmodels' HC0);
- robust: n / (n - 1) x HC0, Stata's vce(robust) for maximum-likelihood estimators;
- hc1: n / (n - k) x HC0, R sandwich's HC1 for a GLM (k coefficients);
- hc2: B (sum s_i s_i' / (1 - h_i)) B, h_i = w_i x_i' B x_i the GLM hat value of the
  weighted design (R sandwich's HC2);
- hc3: B (sum s_i s_i' / (1 - h_i)^2) B (R sandwich's HC3);
- cluster: G / (G - 1) x B (sum_g S_g S_g') B, S_g = the scores summed over cluster g, Stata's
  vce(cluster) for logit (statsmodels' cluster adds (n - 1) / (n - k) by default).

A row may stand for `copies` rows (frequency weights) of `trials` trials each (grouped
binomial data, `labels` then counting a copy's successes): its score is s_i = x_i (y_i - t_i
p_i), the meat counts it c_i times, h_i = t_i p_i (1 - p_i) x_i' B x_i and n = sum c_i, so
every type equals its value on the expanded rows (statsmodels GLM's freq_weights), and a
grouped row is one observation as R's glm(cbind(successes, failures)) takes it.

The meat is summed a block of rows at a time (one row's sums need no other row), so a fit on
shards adds its workers' meats as it adds their passes. In memory the MLE's pass at the
estimate (stats.irls, asked by a Meat) sums it with its other statistics, so a covariance costs
no pass of its own: the meat of hc0, robust and hc1, and for cluster the G x k score sums
S_g. HC2 and HC3 need the bread at the estimate, known only after that pass: it takes the
bread of the pass before (one Newton step away, within the tolerance), and hat_error bounds
what that changes; when the bound is above HAT_RTOL the meat is summed once more.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

#: Every covariance a fit can report, and its formula in words.
FORMULAS = {
    "nonrobust": "B = (X'WX)^-1, the inverse Fisher information",
    "robust": "n/(n-1) x B (sum s_i s_i') B, Stata's vce(robust)",
    "hc0": "B (sum s_i s_i') B, White's HC0",
    "hc1": "n/(n-k) x B (sum s_i s_i') B, R sandwich's HC1 for a GLM",
    "hc2": "B (sum s_i s_i' / (1 - h_i)) B, h_i the GLM hat value, R sandwich's HC2",
    "hc3": "B (sum s_i s_i' / (1 - h_i)^2) B, h_i the GLM hat value, R sandwich's HC3",
    "cluster": "G/(G-1) x B (sum_g S_g S_g') B, S_g the scores summed over cluster g, "
    "Stata's vce(cluster)",
}
#: Rows a block of the meat's sums takes at once (its temporaries stay small).
BLOCK = 1 << 14
#: HC2 and HC3 keep a meat from the previous pass's bread when hat_error bounds its relative
#: error (and the covariance's, in the Loewner order) by this. The bound is a worst case: at
#: n = 10**6, d = 10 it is 8e-12 (HC2) and 1.7e-11 (HC3), so those fold; at n <= 20,000 it is
#: 1e-9 to 2e-8 and the meat is summed again (a pass of a small design).
HAT_RTOL = 1e-10


@dataclass(frozen=True)
class Meat:
    """What a pass at the estimate also sums for the meat of cov_type's sandwich: each row's
    copies (frequency weights; None: one each), for cluster each row's code 0 .. groups - 1,
    for HC2 and HC3 the bread whose hat values weigh the rows."""

    cov_type: str
    copies: np.ndarray | None = None
    codes: np.ndarray | None = None
    groups: int = 0
    bread: np.ndarray | None = None


def hat_error(cov_type: str, before: np.ndarray, info: np.ndarray, largest: float) -> float:
    """A bound on the relative error of an HC2 or HC3 meat whose hat values h0 came from the
    bread before^-1 rather than info^-1 (largest: the largest h0). x' info^-1 x / x' before^-1 x
    lies between the extreme eigenvalues of info^-1 before, so |h - h0| <= eps h0 with eps
    their largest distance from 1; a row's weight 1 / (1 - h) then moves by at most
    eps H / (1 - (1 + eps) H) relative (squared for HC3), and the meat, a sum of positive
    semi-definite terms, by no more (inf when the bound does not hold)."""
    lower = np.linalg.cholesky(info)
    inner = np.linalg.solve(lower, np.linalg.solve(lower, before).T)
    eps = float(np.max(np.abs(np.linalg.eigvalsh((inner + inner.T) / 2.0) - 1.0)))
    room = 1.0 - (1.0 + eps) * largest
    if not room > 0.0:
        return math.inf
    step = eps * largest / room
    return step if cov_type == "hc2" else (1.0 + step) ** 2 - 1.0


def needs_leverage(cov_type: str) -> bool:
    """Whether the type weighs each row's score by its hat value (HC2, HC3)."""
    return cov_type in ("hc2", "hc3")


def row_factor(cov_type: str, leverage: np.ndarray) -> np.ndarray | None:
    """The weight of row i's s_i s_i' in the meat: 1 / (1 - h_i) for HC2, 1 / (1 - h_i)^2
    for HC3, None (1 for every row) otherwise."""
    if cov_type == "hc2":
        return 1.0 / (1.0 - leverage)
    if cov_type == "hc3":
        return 1.0 / (1.0 - leverage) ** 2
    return None


def small_sample(cov_type: str, nobs: int, k: int, groups: int = 0) -> float:
    """The factor in front of B M B: n/(n-1) for robust, n/(n-k) for hc1, G/(G-1) for
    cluster, 1 for hc0, hc2 and hc3."""
    if cov_type == "robust":
        return nobs / (nobs - 1.0)
    if cov_type == "hc1":
        return nobs / (nobs - float(k))
    if cov_type == "cluster":
        if groups < 2:
            raise ConfigError(
                f"a clustered covariance needs at least 2 clusters, got {groups}: "
                "every row used is in one"
            )
        return groups / (groups - 1.0)
    return 1.0


def design_block(features: np.ndarray, intercept: bool) -> np.ndarray:
    """A block of features with the intercept's column of ones in front when there is one."""
    return np.column_stack((np.ones(len(features)), features)) if intercept else features


def leverage(
    design: np.ndarray, fitted: np.ndarray, bread: np.ndarray, trials: np.ndarray | None = None
) -> np.ndarray:
    """GLM hat values h_i = w_i x_i' B x_i, w_i = t_i p_i (1 - p_i), of rows of the full
    design (intercept column included)."""
    w = fitted * (1.0 - fitted) * (1.0 if trials is None else trials)
    return w * np.einsum("ij,ij->i", design @ bread, design)


def _block(values: np.ndarray | None, start: int) -> np.ndarray | None:
    return None if values is None else values[start : start + BLOCK]


def _residuals(labels: np.ndarray, fitted: np.ndarray, trials: np.ndarray | None) -> np.ndarray:
    """y_i - t_i p_i, a copy's successes less their expected count."""
    return labels - fitted * (1.0 if trials is None else trials)


def row_meat(
    features: np.ndarray,
    labels: np.ndarray,
    fitted: np.ndarray,
    intercept: bool,
    cov_type: str,
    bread: np.ndarray,
    copies: np.ndarray | None = None,
    trials: np.ndarray | None = None,
) -> np.ndarray:
    """sum_i c_i f_i s_i s_i' over the rows, f_i the row_factor of the type (the bread
    gives the hat values of HC2 and HC3), a block of BLOCK rows at a time."""
    k = features.shape[1] + intercept
    meat = np.zeros((k, k))
    asked = Meat(cov_type, copies, bread=bread)
    for start, x, p, r, m in _blocks(features, labels, fitted, intercept, copies, trials):
        add_block(asked, x, start, p, r, m, meat, meat[:0])
    return meat


def cluster_scores(
    features: np.ndarray,
    labels: np.ndarray,
    fitted: np.ndarray,
    intercept: bool,
    codes: np.ndarray,
    groups: int,
    copies: np.ndarray | None = None,
    trials: np.ndarray | None = None,
) -> np.ndarray:
    """S_g = sum of c_i s_i over the rows of cluster g (codes 0 .. groups - 1): groups x k."""
    sums = np.zeros((groups, features.shape[1] + intercept))
    asked = Meat("cluster", copies, codes, groups)
    for start, x, p, r, m in _blocks(features, labels, fitted, intercept, copies, trials):
        add_block(asked, x, start, p, r, m, sums[:0, :0], sums)
    return sums


def _blocks(
    features: np.ndarray,
    labels: np.ndarray,
    fitted: np.ndarray,
    intercept: bool,
    copies: np.ndarray | None,
    trials: np.ndarray | None,
) -> Iterator[tuple]:
    """Blocks of BLOCK rows in a pass's terms: (start, design, p, r = c (y - t p), m = c t)."""
    for start in range(0, len(features), BLOCK):
        end = start + BLOCK
        p, t, c = fitted[start:end], _block(trials, start), _block(copies, start)
        r = _residuals(labels[start:end], p, t)
        m = 1.0 if t is None else t
        if c is not None:
            r, m = r * c, m * c
        yield start, design_block(features[start:end], intercept), p, r, m


def add_block(
    meat: Meat,
    design: np.ndarray,
    start: int,
    p: np.ndarray,
    r: np.ndarray,
    m: np.ndarray | float,
    upper: np.ndarray,
    clusters: np.ndarray,
) -> float:
    """A block of rows' part of the meat (the compiled pass's sandwich_sums), added to upper
    (k x k) or clusters (G x k): the block's design (intercept column included) from row
    `start` on, its p, residuals r = s - m p and trials m (a copy's times its copies); returns
    the block's largest hat value (-inf: none)."""
    end = start + len(design)
    c = None if meat.copies is None else meat.copies[start:end]
    if meat.cov_type == "cluster":
        for j in range(design.shape[1]):  # a bincount a column: np.add.at is ~10x slower
            clusters[:, j] += np.bincount(meat.codes[start:end], r * design[:, j],
                                          minlength=meat.groups)  # fmt: skip
        return -math.inf
    q = r * r if c is None else np.divide(r * r, c, out=np.zeros(len(r)), where=c > 0)
    largest = -math.inf
    if needs_leverage(meat.cov_type):  # h_i from the trials of one copy, m_i / c_i
        t = m if c is None else np.divide(m, c, out=np.zeros(len(r)), where=c > 0)
        h = leverage(design, p, meat.bread, None if np.isscalar(t) else t)
        largest = float(h.max())
        q = q * row_factor(meat.cov_type, h)
    upper += (design * q[:, None]).T @ design
    return largest


def sandwich(bread: np.ndarray, meat: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """factor x B M B, made exactly symmetric."""
    cov = factor * (bread @ meat @ bread)
    return (cov + cov.T) / 2.0


def covariance(
    cov_type: str,
    bread: np.ndarray,
    features: np.ndarray,
    labels: np.ndarray,
    fitted: np.ndarray,
    intercept: bool,
    clusters: np.ndarray | None = None,
    copies: np.ndarray | None = None,
    trials: np.ndarray | None = None,
) -> np.ndarray:
    """The covariance of the type (FORMULAS) of an MLE held in memory: the bread B (its
    model-based covariance), the features without the intercept column, the 0/1 labels (a
    copy's successes with trials), the fitted probabilities, for cluster each row's cluster
    label (any values), and each row's copies and trials (None: one each)."""
    if cov_type == "nonrobust":
        return bread
    nobs = len(labels) if copies is None else int(np.sum(copies))
    k = len(bread)
    if cov_type == "cluster":
        if clusters is None or len(clusters) != len(labels):
            raise ConfigError("a clustered covariance needs one cluster label per row")
        _, codes = np.unique(clusters, return_inverse=True)
        groups = int(codes.max()) + 1
        factor = small_sample(cov_type, nobs, k, groups)
        scores = cluster_scores(features, labels, fitted, intercept, codes.ravel(), groups,
                                copies, trials)  # fmt: skip
        return sandwich(bread, scores.T @ scores, factor)
    meat = row_meat(features, labels, fitted, intercept, cov_type, bread, copies, trials)
    return sandwich(bread, meat, small_sample(cov_type, nobs, k))


__all__ = [
    "BLOCK",
    "FORMULAS",
    "HAT_RTOL",
    "Meat",
    "add_block",
    "cluster_scores",
    "covariance",
    "design_block",
    "hat_error",
    "leverage",
    "needs_leverage",
    "row_factor",
    "row_meat",
    "sandwich",
    "small_sample",
]
