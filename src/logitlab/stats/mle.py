"""The maximum-likelihood reference: Newton-Raphson (IRLS) in float64, run to convergence.

Gradient descent on BCE approaches this point; gradient descent on MSE approaches another one.
Having the exact MLE, with standard errors from the Fisher information, is what lets the
package say how far each fit is from the answer a statistician would give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from .. import budget
from ..config import check_float, check_int
from ..data.checks import check_names, design_array, label_array
from ..data.separation import separation
from ..errors import DataError, SeparationError
from ..model import sigmoid
from ..result import INTERCEPT

#: Newton stops when no coefficient moves by more than TOL * (1 + |coefficient|).
TOL = 1e-10
MAX_ITER = 100


@dataclass(frozen=True)
class MLEResult:
    """A logistic-regression MLE, intercept first when one was added; `names` names every
    coefficient (the intercept's name is "Intercept")."""

    coef: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool
    iterations: int
    nobs: int
    names: tuple[str, ...] = field(default=())

    @property
    def z(self) -> np.ndarray:
        """Wald statistics coef / se."""
        return self.coef / self.se

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided p-values of the Wald tests coef = 0."""
        return np.array([math.erfc(abs(z) / math.sqrt(2.0)) for z in self.z])

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Wald intervals coef +- z_(1-alpha/2) se, one row [lower, upper] per coefficient."""
        q = NormalDist().inv_cdf(1.0 - alpha / 2.0)
        return np.column_stack((self.coef - q * self.se, self.coef + q * self.se))

    def coefficients(self) -> dict[str, float]:
        """Name -> estimate, in the model's order."""
        return dict(zip(self.names, map(float, self.coef), strict=True))

    @property
    def ci(self) -> np.ndarray:
        """The 95% Wald intervals."""
        return self.conf_int()

    def summary(self) -> str:
        """A statsmodels-style table: estimate, standard error, z, p and 95% interval, one row
        per coefficient; the name column is as wide as the longest name."""
        label = max(12, *(len(name) + 1 for name in self.names))
        width = label + 66
        rule, thin = "=" * width, "-" * width
        status = f"yes ({self.iterations} iterations)" if self.converged else "no"
        lines = [
            "Logistic regression: maximum likelihood (Newton-Raphson / IRLS)".center(width),
            rule,
            f"{'No. observations:':<20}{self.nobs:>18}   {'Log-likelihood:':<18}"
            f"{self.loglik:>{width - 59}.4f}",
            f"{'No. coefficients:':<20}{len(self.coef):>18}   {'Converged:':<18}"
            f"{status:>{width - 59}}",
            rule,
            f"{'':<{label}}{'coef':>10}{'std err':>11}{'z':>10}{'P>|z|':>10}"
            f"{'[0.025':>12}{'0.975]':>12}",
            thin,
        ]
        for name, b, s, z, p, (lo, hi) in zip(
            self.names, self.coef, self.se, self.z, self.pvalues, self.ci, strict=True
        ):
            lines.append(
                f"{name:<{label}}{b:>10.4f}{s:>11.4f}{z:>10.3f}{p:>10.3f}{lo:>12.4f}{hi:>12.4f}"
            )
        lines.append(rule)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def fit(
    X: object,
    y: object,
    *,
    intercept: bool = True,
    names: tuple[str, ...] | None = None,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
) -> MLEResult:
    """Maximise the Bernoulli log-likelihood of y ~ Ber(sigmoid(X b)) by Newton-Raphson.

    X is n x d (a 1-D input is one feature), y holds 0/1; a constant column is prepended
    unless intercept=False. Raises DataError for input the model cannot use and
    SeparationError when the MLE does not exist.
    """
    tol = check_float("tol", tol, positive=True)
    max_iter = check_int("max_iter", max_iter, 1)
    design, labels, names = _checked(X, y, intercept, names)
    budget.check(budget.mle(*design.shape), "this maximum-likelihood fit")
    _check_separation(design, labels, names)
    try:
        coef, loglik, converged, iterations, cov = _newton(design, labels, tol, max_iter)
    except np.linalg.LinAlgError:
        raise DataError(_collinear(intercept, "the Fisher information X'WX is singular")) from None
    return MLEResult(
        coef=coef,
        se=np.sqrt(np.diag(cov)),
        cov=cov,
        loglik=float(loglik),
        converged=converged,
        iterations=iterations,
        nobs=design.shape[0],
        names=names,
    )


def _newton(
    design: np.ndarray, labels: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, float, bool, int, np.ndarray]:
    """Newton-Raphson from 0: coefficients, log-likelihood, converged, iterations and the
    inverse Fisher information (LinAlgError if X'WX is singular on the way)."""
    coef = np.zeros(design.shape[1])
    loglik = _loglik(design, labels, coef)
    converged, iterations = False, 0
    while not converged and iterations < max_iter:
        iterations += 1
        p = sigmoid(design @ coef)
        info = design.T @ (design * (p * (1.0 - p))[:, None])  # Fisher information X'WX
        step = np.linalg.solve(info, design.T @ (labels - p))
        # Step halving keeps every iteration an ascent step (plain Newton can overshoot).
        for _ in range(50):
            new_loglik = _loglik(design, labels, coef + step)
            if new_loglik >= loglik - 1e-12 * abs(loglik):
                break
            step = step / 2.0
        coef, loglik = coef + step, new_loglik
        converged = bool(np.all(np.abs(step) <= tol * (1.0 + np.abs(coef))))
    p = sigmoid(design @ coef)
    cov = np.linalg.inv(design.T @ (design * (p * (1.0 - p))[:, None]))
    return coef, loglik, converged, iterations, cov


def _loglik(design: np.ndarray, labels: np.ndarray, coef: np.ndarray) -> float:
    """sum(y u - log(1 + e^u)), with log(1 + e^u) from logaddexp so it never overflows."""
    u = design @ coef
    return float(np.sum(labels * u - np.logaddexp(0.0, u)))


def _checked(
    X: object, y: object, intercept: bool, names: tuple[str, ...] | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Validated float64 design (with the intercept column), labels and coefficient names."""
    features = design_array(X)
    n, d = features.shape
    labels = label_array(y, n)
    names = ((INTERCEPT,) if intercept else ()) + check_names(names, d)
    design = np.column_stack((np.ones(n), features)) if intercept else features.copy()
    if n < design.shape[1]:
        raise DataError(
            f"X has {n} rows but the model has {design.shape[1]} coefficients; "
            "need at least as many rows as coefficients"
        )
    for j in range(d):
        column = features[:, j]
        if intercept and np.all(column == column[0]):
            raise DataError(f"column {names[j + 1]} of X is constant; the intercept already is")
        for k in range(j):
            if np.array_equal(column, features[:, k]):
                raise DataError(f"columns {names[k + 1]} and {names[j + 1]} of X are identical")
    rank = _rank(design)
    if rank < design.shape[1]:
        raise DataError(_collinear(intercept, f"rank {rank} < {design.shape[1]}"))
    return design, labels, names


#: Singular values of the unit-length columns below this fraction of the largest count as
#: zero: X'X then has a condition number beyond 1e16 and float64 cannot solve with it.
RANK_RTOL = 1e-8


def _rank(design: np.ndarray) -> int:
    """The numerical rank of the design with every column scaled to unit length, so that
    the units of a column (x in metres or in nanometres) do not change the answer."""
    norms = np.linalg.norm(design, axis=0)
    scaled = design / np.where(norms > 0, norms, 1.0)
    singular = np.linalg.svd(scaled, compute_uv=False)
    return int(np.sum(singular > RANK_RTOL * singular[0])) if singular[0] > 0 else 0


def _collinear(intercept: bool, detail: str) -> str:
    """The message for columns that are (nearly) linearly dependent."""
    return (
        f"the columns of X{' and the intercept' if intercept else ''} are (nearly) linearly "
        f"dependent ({detail}); drop a redundant column"
    )


def _check_separation(design: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> None:
    """Raise SeparationError, saying how, when the classes are separable (the MLE does not
    exist then; see logitlab.data.separation)."""
    if (why := separation(design, labels, names)) is not None:
        raise SeparationError(why)


def expected_se(X: object, params: object) -> np.ndarray:
    """The MLE's asymptotic standard errors at given parameters (intercept first): the square
    roots of diag(I^-1), I = X'WX the Fisher information with W = p(1 - p) at params. At the
    true parameters this is the spread a Monte Carlo study of the MLE should show (inf where
    the data carry no information, every probability being 0 or 1)."""
    features = design_array(X)
    design = np.column_stack((np.ones(len(features)), features))
    p = sigmoid(design @ np.asarray(params, dtype=float))
    info = design.T @ (design * (p * (1.0 - p))[:, None])
    try:
        return np.sqrt(np.diag(np.linalg.inv(info)))
    except np.linalg.LinAlgError:  # every probability rounds to 0 or 1: no information
        return np.full(design.shape[1], np.inf)
