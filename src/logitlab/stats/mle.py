"""The maximum-likelihood reference: Newton-Raphson (IRLS) in float64, run to convergence,
with the inference statsmodels' Logit results give (its names work here too).

Gradient descent on BCE approaches this point; gradient descent on MSE approaches another one.
Having the exact MLE, with standard errors from the Fisher information, is what lets the
package say how far each fit is from the answer a statistician would give.

Why it is fast: each Newton iteration is one pass over the design (stats.irls: the
log-likelihood, X'(y - p) and X'WX together, compiled over the cores), the intercept is never
stored as a column, the rank check reads the first pass's sums, a large fit starts from the
MLE of a sample of its rows, the last step is known before its pass (quadratic convergence
predicts the next one), so that pass is the statistics pass and none confirms it (it sums a
sandwich covariance's meat too: --cov costs no pass of its own), and the
separation linear program runs only when the iterates point to separation: rows whose
probability reaches 0 or 1 while the steps stop shrinking, a Fisher information that turns
singular, or no convergence within max_iter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .. import budget
from ..config import FLOAT32_MAX, check_float, check_int
from ..data.checks import check_names, count_array, design_array, label_array
from ..data.separation import separation
from ..errors import ConfigError, DataError, SeparationError
from ..extras import fused_available
from ..model import sigmoid
from ..result import INTERCEPT
from . import inference, sandwich
from .irls import Pass, newton_pass

#: Newton stops when no coefficient moves by more than TOL * (1 + |coefficient|).
TOL = 1e-10
MAX_ITER = 100
#: Step halvings tried before a step is taken as it is (the likelihood then only rounds lower).
HALVINGS = 50
#: Once Newton converges quadratically each step's relative size r_k predicts the next one,
#: about r_k^3 / r_(k-1)^2; a step whose successor is predicted below tol / SAFETY is the
#: last, and the pass after it is the fit's statistics pass (no confirming pass).
SAFETY = 10.0
#: In-memory fits of at least 16 x SAMPLE_ROWS rows start from the MLE of every stride-th
#: row (stride 16 to SAMPLE_STRIDE: its five or so passes cost a third of a pass or less):
#: its error, a few of the full fit's standard errors, leaves Newton three steps from 1e-10
#: instead of five from the intercept-only fit.
SAMPLE_ROWS = 1 << 13
SAMPLE_STRIDE = 64
SAMPLE_TOL, SAMPLE_ITER = 1e-6, 25
#: The separation check runs once rows are saturated (irls.SATURATED) and the step, in units
#: of each column's root mean square, has failed to halve this many iterations in a row:
#: near a finite MLE Newton's steps shrink quadratically, along a separating direction they
#: stay the same size.
STALLED = 3
#: Eigenvalues of the unit-diagonal Gram matrix below this (relative to the largest) count as
#: zero: the columns' condition number is beyond 1e6, where the Gram matrix computed in
#: float64 (errors ~1e-15) can no longer tell a tiny eigenvalue from none.
RANK_RTOL = 1e-12

#: Told each Newton iteration: progress(iteration, log-likelihood there, the step's largest
#: move in units of its column's root mean square), for a long fit's progress lines.
Progress = Callable[[int, float, float], None]


@dataclass(frozen=True)
class MLEResult:
    """A logistic-regression MLE, with the inference statsmodels' Logit results give: bse,
    llf and tvalues are aliases, conf_int() and pvalues as there.

    Parameters
    ----------
    params : numpy.ndarray
        The estimates, intercept first when one was added, as statsmodels names them.
    se : numpy.ndarray
        Their standard errors, from cov.
    cov : numpy.ndarray
        Their covariance: the inverse Fisher information, or a sandwich (with_cov).
    loglik : float
        The log-likelihood at params.
    converged : bool
        Whether Newton's steps met the tolerance within max_iter.
    iterations : int
        The Newton iterations run.
    nobs : int
        The number of observations (the expanded rows' under frequency weights).
    names : tuple of str, default ()
        Every coefficient's name (the intercept's is "Intercept").
    llnull : float, default nan
        The intercept-only model's log-likelihood.
    intercept : bool, default True
        Whether params[0] is an added intercept.
    fitted : numpy.ndarray, default empty
        Each row's fitted probability.
    labels : numpy.ndarray, default empty
        Each row's 0/1 label, or its successes when trials are given.
    curvature : numpy.ndarray, default empty
        X' w (1 - 2p) of the last Newton pass, for the marginal effects' delta method.
    trials : numpy.ndarray, default empty
        Each row's trials (a frequency weight times its binomial trials; empty: one each).
    llsat : float, default 0.0
        The saturated model's log-likelihood (one probability per row: 0 for 0/1 rows).
    pearson_chi2 : float, default nan
        The Pearson chi-squared sum (s - m p)^2 / (m p (1 - p)).
    grouped : bool, default False
        Grouped binomial rows (R's cbind(successes, failures)): loglik, llnull and llsat
        then include the binomial coefficients, as R's logLik and AIC do.
    cov_type : str, default 'nonrobust'
        The covariance's type (stats.sandwich.FORMULAS; cluster:COLUMN names its column).
    conf_level : float, default 0.95
        The intervals' default level.
    """

    #: The summary's method and title (stats.firth's result has its own).
    method = "MLE (Newton)"
    title = "Logistic regression: maximum likelihood (Newton-Raphson / IRLS)"

    params: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool
    iterations: int
    nobs: int
    names: tuple[str, ...] = field(default=())
    llnull: float = math.nan
    intercept: bool = True
    fitted: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    labels: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    curvature: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    trials: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    llsat: float = 0.0
    pearson_chi2: float = math.nan
    grouped: bool = False
    cov_type: str = "nonrobust"
    conf_level: float = 0.95

    def with_cov(self, cov: np.ndarray, cov_type: str) -> MLEResult:
        """This fit with another covariance of its estimate.

        The SE, z, p, intervals and marginal effects all follow it; the likelihood's
        statistics (llf, LLR, AIC) do not.

        Parameters
        ----------
        cov : numpy.ndarray
            The k x k covariance (stats.sandwich.covariance computes one).
        cov_type : str
            Its name, as stats.sandwich.FORMULAS has it (cluster:COLUMN names the column).

        Returns
        -------
        MLEResult
            A copy with cov, se and cov_type replaced.
        """
        return replace(self, cov=cov, se=np.sqrt(np.diag(cov)), cov_type=cov_type)

    def interval_alpha(self, alpha: float | None = None) -> float:
        """The alpha of a 1 - alpha interval.

        Parameters
        ----------
        alpha : float or None
            The one asked for; None takes the fit's level, 1 - conf_level.

        Returns
        -------
        float
            alpha, or 1 - conf_level.
        """
        return 1.0 - self.conf_level if alpha is None else alpha

    @property
    def z(self) -> np.ndarray:
        """Wald statistics params / se."""
        return self.params / self.se

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided p-values of the Wald tests coef = 0."""
        return self.coefficient_table().pvalues

    def conf_int(self, alpha: float | None = None) -> np.ndarray:
        """Wald intervals coef +- z_(1-alpha/2) se.

        Parameters
        ----------
        alpha : float, optional
            One minus the intervals' coverage; None: 1 - conf_level.

        Returns
        -------
        numpy.ndarray
            One row [lower, upper] per coefficient.
        """
        table = self.coefficient_table(alpha)
        return np.column_stack((table.lower, table.upper))

    def coefficient_table(self, alpha: float | None = None) -> inference.Effects:
        """Coefficients with standard errors, z, p and 1 - alpha Wald intervals.

        Parameters
        ----------
        alpha : float, optional
            The intervals are at level 1 - alpha; None: at conf_level.

        Returns
        -------
        Effects
            One row per coefficient; Effects.table() lays it out as text.
        """
        return inference.wald(self.names, self.params, self.se, "coef", self.interval_alpha(alpha))

    def coefficients(self) -> dict[str, float]:
        """Name -> estimate, in the model's order.

        Returns
        -------
        dict of str to float
            Each coefficient by name.
        """
        return dict(zip(self.names, map(float, self.params), strict=True))

    @property
    def ci(self) -> np.ndarray:
        """The Wald intervals at conf_level."""
        return self.conf_int()

    # statsmodels' names
    bse = property(lambda self: self.se, doc="The standard errors (statsmodels' name).")
    llf = property(lambda self: self.loglik, doc="The log-likelihood (statsmodels' name).")
    tvalues = property(lambda self: self.z, doc="The Wald z statistics (statsmodels' name).")

    @property
    def df_model(self) -> int:
        """Coefficients besides one for the constant (statsmodels: rank - 1)."""
        return len(self.params) - 1

    @property
    def df_resid(self) -> int:
        """Observations less coefficients (grouped rows: rows less coefficients, as R)."""
        return self.nobs - len(self.params)

    @property
    def deviance(self) -> float:
        """The residual deviance against the saturated model, 2 (llsat - llf)."""
        return 2.0 * (self.llsat - self.loglik)

    @property
    def null_deviance(self) -> float:
        """The intercept-only model's deviance, 2 (llsat - llnull), on nobs - 1 df."""
        return 2.0 * (self.llsat - self.llnull)

    def deviance_table(self) -> str:
        """The lines R's summary.glm ends with, for grouped binomial rows.

        Returns
        -------
        str
            The null and residual deviance with their degrees of freedom, the AIC and the
            Pearson chi-squared, a line each.
        """
        df_null = self.nobs - int(self.intercept)
        width = len(f"{max(self.null_deviance, self.deviance):.3f}")
        digits = len(str(max(df_null, self.df_resid)))
        return "\n".join([
            f"    Null deviance: {self.null_deviance:>{width}.3f}  on {df_null:>{digits}} "
            "degrees of freedom",
            f"Residual deviance: {self.deviance:>{width}.3f}  on {self.df_resid:>{digits}} "
            "degrees of freedom",
            f"AIC: {self.aic:.3f}",
            f"Pearson chi2: {self.pearson_chi2:.3f}  on {self.df_resid} degrees of freedom",
        ])  # fmt: skip

    @property
    def llr(self) -> float:
        """The likelihood-ratio statistic 2 (llf - llnull) against the intercept-only model."""
        return 2.0 * (self.loglik - self.llnull)

    @property
    def llr_pvalue(self) -> float:
        """P(chi2 with df_model degrees of freedom > llr)."""
        from scipy.stats import chi2

        return float(chi2.sf(self.llr, self.df_model))

    @property
    def prsquared(self) -> float:
        """McFadden's pseudo R-squared, 1 - llf / llnull."""
        return 1.0 - self.loglik / self.llnull

    @property
    def aic(self) -> float:
        """Akaike's information criterion, -2 llf + 2 k."""
        return -2.0 * self.loglik + 2.0 * len(self.params)

    @property
    def bic(self) -> float:
        """Schwarz's Bayesian information criterion, -2 llf + log(n) k."""
        return -2.0 * self.loglik + math.log(self.nobs) * len(self.params)

    def odds_ratios(self, alpha: float | None = None) -> inference.Effects:
        """exp(coef) with exponentiated 1 - alpha Wald intervals.

        Parameters
        ----------
        alpha : float, optional
            As in conf_int.

        Returns
        -------
        Effects
            One row per coefficient (standard error, z and p NaN: they do not apply).
        """
        alpha = self.interval_alpha(alpha)
        return inference.odds_ratios(self.names, self.params, self.conf_int(alpha), 1.0 - alpha)

    def marginal_effects(self, alpha: float | None = None) -> inference.Effects:
        """Average marginal effects dy/dx of each non-intercept term, with delta-method
        standard errors, z, p and 1 - alpha intervals (statsmodels' get_margeff()).

        Parameters
        ----------
        alpha : float, optional
            The intervals' 1 - level; None: 1 - conf_level.

        Returns
        -------
        Effects
            One row per non-intercept term.
        """
        trials = self.trials if len(self.trials) else None  # with trials: over every trial
        mean_weight = float(np.average(self.fitted * (1.0 - self.fitted), weights=trials))
        return inference.marginal_effects(
            self.names,
            self.params,
            self.cov,
            mean_weight,
            self.curvature,
            self.nobs if trials is None else float(trials.sum()),
            self.intercept,
            self.interval_alpha(alpha),
        )

    def pred_table(self, threshold: float = 0.5) -> np.ndarray:
        """The 2 x 2 classification table: rows actual 0/1, columns predicted 0/1.

        Parameters
        ----------
        threshold : float, default 0.5
            A row is predicted 1 when its fitted probability is above it.

        Returns
        -------
        numpy.ndarray
            The counts, 2 x 2.
        """
        threshold = check_float("threshold", threshold)
        trials = self.trials if len(self.trials) else None
        return inference.pred_table(self.labels, self.fitted, threshold, trials)

    def hosmer_lemeshow(self, groups: int = 10) -> inference.HosmerLemeshow | None:
        """The Hosmer-Lemeshow test over `groups` groups of fitted risk (df = groups - 2).

        Parameters
        ----------
        groups : int, default 10
            The number of groups, at least 3.

        Returns
        -------
        HosmerLemeshow or None
            The statistic, its df and p; None when the fitted risks fall in fewer than 3
            groups, where the test is not defined.
        """
        groups = check_int("groups", groups, 3)
        trials = self.trials if len(self.trials) else None
        return inference.hosmer_lemeshow(self.labels, self.fitted, groups, trials)

    def predict(self, X: object) -> np.ndarray:
        """Fitted probabilities for new rows X.

        Parameters
        ----------
        X : array_like
            n x d features, without the intercept column.

        Returns
        -------
        numpy.ndarray
            The n probabilities.

        Raises
        ------
        DataError
            When X cannot be used or has another number of columns than the fit's features.
        """
        features = design_array(X)
        slopes = self.params[1:] if self.intercept else self.params
        if features.shape[1] != len(slopes):
            raise DataError(
                f"X must have {len(slopes)} columns, one per feature of the fit, "
                f"got {features.shape[1]}"
            )
        return sigmoid(features @ slopes + (self.params[0] if self.intercept else 0.0))

    def summary(self) -> str:
        """statsmodels' Logit summary layout: the fit's header, then one row per coefficient
        (estimate, standard error, z, p and the interval at conf_level); the name column is as
        wide as the longest name.

        Returns
        -------
        str
            The summary, several lines.
        """
        table = self.coefficient_table().table()
        width = len(table.splitlines()[0])
        half = width // 2
        status = f"yes ({self.iterations} iterations)" if self.converged else "NO"
        pairs = [
            ("No. Observations:", f"{self.nobs}", "Pseudo R-squ.:", f"{self.prsquared:.4f}"),
            ("Df Residuals:", f"{self.df_resid}", "Log-Likelihood:", f"{self.loglik:.4f}"),
            ("Df Model:", f"{self.df_model}", "LL-Null:", f"{self.llnull:.4f}"),
            ("Method:", self.method, "LLR p-value:", f"{self.llr_pvalue:.4g}"),
            ("Converged:", status, "AIC:", f"{self.aic:.4f}"),
            ("Covariance Type:", self.cov_type, "BIC:", f"{self.bic:.4f}"),
        ]
        header = [
            f"{a:<18}{b:>{half - 20}}  {c:<16}{d:>{width - half - 18}}" for a, b, c, d in pairs
        ]
        title = self.title
        grouped = [self.deviance_table()] if self.grouped else []
        return "\n".join([title.center(width), "=" * width, *header, table, *grouped])

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        """One line, not the arrays: MLEResult(nobs=32, params=[-13.02, 2.826, 0.09516,
        2.379], loglik -12.89, converged in 6 iterations)."""
        from ..display import newton_words, numbers

        return (f"{type(self).__name__}(nobs={self.nobs}, params={numbers(self.params)}, "
                f"loglik {self.loglik:.4g}, {newton_words(self)})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the fit's statistics and the coefficient table."""
        from ..display import html

        return html("mle.html", mle=self)


def fit(
    X: object,
    y: object,
    *,
    intercept: bool = True,
    names: tuple[str, ...] | None = None,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
    progress: Progress | None = None,
    weights: object = None,
    trials: object = None,
    cov_type: str = "nonrobust",
    clusters: object = None,
) -> MLEResult:
    """Maximise the binomial log-likelihood of y ~ Bin(trials, sigmoid(X b)) by Newton-Raphson.

    X is n x d (a 1-D input is one feature), y holds 0/1, or with `trials` each row's
    successes out of its trials (grouped binomial data, as R's cbind(successes, failures));
    `weights` are frequency weights (each row counts as that many rows, as Stata's fweight
    and statsmodels GLM's freq_weights): every statistic is the expanded rows'. A constant
    term is added unless intercept=False. Raises DataError for input the model cannot use
    and SeparationError when the MLE does not exist. A fit that stops at max_iter is
    returned with converged=False. `progress`, if given, is told each iteration (Progress).
    `cov_type` names the covariance (stats.sandwich.FORMULAS; cluster takes each row's
    cluster label, of any kind, in `clusters`), summed in the pass at the estimate.
    """
    tol = check_float("tol", tol, positive=True)
    max_iter = check_int("max_iter", max_iter, 1)
    features, labels, names = _checked(X, y, intercept, names, trials is not None)
    n = len(labels)
    count = Counts.of(labels, weights, trials)
    meat = _meat(cov_type, clusters, n, count.copies)
    if count.successes in (0.0, count.total):  # the labels alone say so; no design is read
        raise SeparationError(separation(*count.outcomes(features), names))
    fitted = np.empty(n)
    stale: list[np.ndarray] = []  # the information whose inverse gave HC2's or HC3's hats

    def at(coef: np.ndarray) -> Pass:
        return newton_pass(features, count.s, coef, intercept, trials=count.m)

    def last(coef: np.ndarray, before: Pass) -> Pass:  # also the probabilities and the meat
        asked = meat
        if meat is not None and sandwich.needs_leverage(cov_type):
            stale[:] = [before.info]
            asked = replace(meat, bread=_inverse(before.info))
        return newton_pass(features, count.s, coef, intercept, fitted, trials=count.m,
                           meat=asked)  # fmt: skip

    def separated(coef: np.ndarray, current: Pass) -> None:  # the linear program, once
        design = np.column_stack((np.ones(n), features)) if intercept else features
        if (why := separation(*count.outcomes(design), names)) is not None:
            raise SeparationError(why)

    newton = Newton(at, count.total, count.successes / count.total, intercept, names,
                    separated, features, progress=progress, last=last,
                    start=_sample_start(features, count, intercept, names))  # fmt: skip
    fields = newton.fit(tol, max_iter)
    fields["loglik"] += count.binomial
    fields["llnull"] += count.binomial
    result = MLEResult(**fields | {"nobs": count.nobs}, fitted=fitted, labels=count.s,
                       trials=np.empty(0) if count.m is None else count.m,
                       llsat=count.saturated(), pearson_chi2=newton.final.pearson,
                       grouped=trials is not None)  # fmt: skip
    if meat is None:
        return result
    bread, final = result.cov, newton.final
    upper = final.meat
    error = 0.0
    if sandwich.needs_leverage(cov_type):
        error = sandwich.hat_error(cov_type, stale[0], final.info, final.largest_hat)
    if not error <= sandwich.HAT_RTOL:  # the pass before's bread moved the hats too far
        again = newton_pass(features, count.s, result.params, intercept, trials=count.m,
                            meat=replace(meat, bread=bread))  # fmt: skip
        upper = again.meat
    factor = sandwich.small_sample(cov_type, count.nobs, len(bread), meat.groups)
    return result.with_cov(sandwich.sandwich(bread, upper, factor), cov_type)


def _meat(
    cov_type: str, clusters: object, n: int, copies: np.ndarray | None
) -> sandwich.Meat | None:
    """What the pass at the estimate sums for cov_type's sandwich (None: nonrobust), the
    clusters coded 0 .. G - 1 (ConfigError: an unknown type, or no label for every row)."""
    if cov_type not in sandwich.FORMULAS:
        raise ConfigError(f"cov_type must be one of {', '.join(sandwich.FORMULAS)}, "
                          f"got {cov_type!r}")  # fmt: skip
    if cov_type == "nonrobust":
        return None
    if cov_type != "cluster":
        return sandwich.Meat(cov_type, copies)
    if clusters is None or len(clusters) != n:
        raise ConfigError("a clustered covariance needs one cluster label per row")
    codes = np.asarray(clusters)
    coded = codes.dtype.kind in "iu" and codes.min() >= 0 and codes.max() < n
    if not (coded and np.all(np.bincount(codes))):  # not codes 0 .. G - 1 each used already
        codes = np.unique(codes, return_inverse=True)[1].ravel()  # sorts: 80 ms at 10**6
    groups = int(codes.max()) + 1
    sandwich.small_sample(cov_type, n, 1, groups)  # refuses one cluster before the fit
    return sandwich.Meat(cov_type, copies, codes, groups)


@dataclass(frozen=True)
class Counts:
    """Each row's successes s and trials m (None: one trial a row, s the 0/1 label), from
    labels, frequency weights and binomial trials; nobs counts the rows with their
    frequencies, total the trials, and `binomial` is the sum of the log binomial
    coefficients log C(m, s) of grouped rows (0 without trials)."""

    s: np.ndarray
    m: np.ndarray | None
    nobs: int
    total: float
    successes: float
    binomial: float = 0.0
    copies: np.ndarray | None = None  # the frequency weights (None: one copy a row)

    @classmethod
    def of(cls, labels: np.ndarray, weights: object, trials: object) -> Counts:
        """Check weights (whole numbers >= 0) and trials (whole numbers >= 1, each at least
        its row's successes), and combine them: m = weight x trials, s = weight x successes."""
        n = len(labels)
        copies = None if weights is None else count_array(weights, n, "weights")
        sizes = None if trials is None else count_array(trials, n, "trials", 1)
        binomial = 0.0
        if sizes is not None:
            above = labels > sizes
            if above.any():
                i = int(np.argmax(above))
                raise DataError(
                    f"y must hold successes at most their trials: index {i:,} holds "
                    f"{labels[i]:g} successes out of {sizes[i]:g} trials"
                )
            logc = _log_binomial(sizes, labels)
            binomial = float(np.sum(logc if copies is None else copies * logc))
        if copies is None and sizes is None:
            return cls(labels, None, n, float(n), float(labels.sum()))
        m = sizes if copies is None else copies * (1.0 if sizes is None else sizes)
        s = labels if copies is None else copies * labels
        nobs = n if copies is None else int(copies.sum())
        if nobs == 0:
            raise DataError("weights are 0 for every row: there is no row to fit")
        return cls(s, m, nobs, float(m.sum()), float(s.sum()), binomial, copies)

    def outcomes(self, design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the design with 0/1 outcomes for the separation check: each row once per
        outcome it has (a success, a failure), rows of no trials left out."""
        if self.m is None:
            return design, self.s
        ones, zeros = self.s > 0, self.m - self.s > 0
        stacked = np.concatenate((design[ones], design[zeros]))
        return stacked, np.concatenate((np.ones(ones.sum()), np.zeros(zeros.sum())))

    def saturated(self) -> float:
        """The saturated model's log-likelihood: each row's own share s / m."""
        if self.m is None:
            return 0.0
        from scipy.special import xlogy

        used = self.m > 0
        s, m = self.s[used], self.m[used]
        share = s / m
        return float(np.sum(xlogy(s, share) + xlogy(m - s, 1.0 - share))) + self.binomial

    def pearson(self, fitted: np.ndarray) -> float:
        """sum (s - m p)^2 / (m p (1 - p)) over the rows with trials (inf where a fitted
        probability rounds to 0 or 1)."""
        used = slice(None) if self.m is None else self.m > 0
        m = 1.0 if self.m is None else self.m[used]
        p = fitted[used]
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.sum((self.s[used] - m * p) ** 2 / (m * p * (1.0 - p))))


def _log_binomial(trials: np.ndarray, successes: np.ndarray) -> np.ndarray:
    """log C(m, s) of each row (whole numbers, m >= s >= 0): from a table of log k! up to the
    largest m when that is at most the rows' count (a gammaln a size, not three a row: 76 ->
    15 ms at 10**6 rows), else by gammaln; the same values either way."""
    from scipy.special import gammaln

    top = int(trials.max())
    if top > len(trials):
        return gammaln(trials + 1.0) - gammaln(successes + 1.0) - gammaln(trials - successes + 1.0)
    table = gammaln(np.arange(top + 1.0) + 1.0)  # log k!
    m, s = trials.astype(np.int64), successes.astype(np.int64)
    return table[m] - table[s] - table[m - s]


class _NoStart(Exception):
    """The sample's fit met separation: the full fit starts from the intercept-only fit."""


def _sample_start(
    features: np.ndarray, count: Counts, intercept: bool, names: tuple[str, ...]
) -> np.ndarray | None:
    """The MLE of every stride-th row (SAMPLE_ROWS, SAMPLE_STRIDE), a start a few standard
    errors from the full fit's; None when the rows are too few for a sample or its fit fails
    (one class, separation, collinear or non-finite columns: the full fit then says why).
    Its passes are compiled where Numba is installed, below irls.COMPILED_ROWS too: at
    15,625 rows NumPy's loop took 1.8 ms a pass, most of the sample's cost."""
    stride = min(SAMPLE_STRIDE, len(features) // SAMPLE_ROWS)
    if stride < 16:
        return None
    rows = slice(None, None, stride)
    x, s = np.ascontiguousarray(features[rows]), np.ascontiguousarray(count.s[rows])
    m = None if count.m is None else np.ascontiguousarray(count.m[rows])
    total, successes = (len(x) if m is None else float(m.sum())), float(s.sum())
    if not 0.0 < successes < total:
        return None

    def separated(coef: np.ndarray, current: Pass) -> None:
        raise _NoStart

    try:
        newton = Newton(lambda coef: newton_pass(x, s, coef, intercept, trials=m,
                                                 compiled=fused_available()),
                        total, successes / total, intercept, names, separated)  # fmt: skip
        newton.check_rank()
        coef, _, converged, _ = newton.run(SAMPLE_TOL, SAMPLE_ITER)
    except (_NoStart, DataError):
        return None
    return coef if converged else None


def null_loglik(nobs: int, mean: float) -> float:
    """The intercept-only model's log-likelihood, from the share of successes alone."""
    return nobs * (mean * math.log(mean) + (1.0 - mean) * math.log1p(-mean))


class Newton:
    """Newton-Raphson written once over a pass: `at(coef)` returns the sums of one pass over
    the rows at coef (in memory: irls.newton_pass over X; on shards: the workers' passes
    added up), so the loop, step halving and stall detection are the same everywhere.

    `separated(coef, pass)` is called when the iterates point to separation (saturated rows
    while the steps stall, a singular information, no convergence); it raises
    SeparationError when it finds separation. `features`, when the design is in memory,
    lets the rank check name constant and identical columns exactly. `start` replaces the
    intercept-only start (its pass must then give X'X's diagonal, Pass.squares); `last`, when
    given, is the pass at the step predicted to be the last, last(coef, before) with `before`
    the pass the step was solved from, which may gather more (the fitted probabilities, a
    sandwich's meat): the fit ends on one of its passes."""

    def __init__(
        self,
        at: Callable[[np.ndarray], Pass],
        nobs: int,
        mean: float,
        intercept: bool,
        names: tuple[str, ...],
        separated: Callable[[np.ndarray, Pass], None],
        features: np.ndarray | None = None,
        *,
        progress: Progress | None = None,
        start: np.ndarray | None = None,
        last: Callable[[np.ndarray, Pass], Pass] | None = None,
    ) -> None:
        self.at, self.nobs, self.mean, self.progress = at, nobs, mean, progress
        self.last = (lambda coef, before: at(coef)) if last is None else last
        self.intercept, self.names = intercept, names
        self.separated, self.features = separated, features
        self.separation_checked = False
        self.final: Pass | None = None  # the pass at the estimate, once solve() has run
        # Start from the intercept-only MLE, logit(mean y): the first pass then gives X'WX =
        # w X'X with one weight w for every row (the Gram matrix the rank check needs).
        self.start_coef = np.zeros(len(names))
        if start is not None:
            self.start_coef = np.array(start, dtype=float)
        elif intercept:
            self.start_coef[0] = math.log(mean / (1.0 - mean))
        self.weight = mean * (1.0 - mean) if intercept else 0.25
        self.start = self.at(self.start_coef)

    def gram_diagonal(self) -> np.ndarray:
        """X'X's diagonal: the start pass's own sum when it has one, else its information
        over the one weight of the intercept-only start."""
        if len(self.start.squares):
            return self.start.squares
        return np.diag(self.start.info) / self.weight

    def fit(self, tol: float, max_iter: int) -> dict[str, Any]:
        """solve(), as the fields every MLEResult has (in memory and on shards alike; each
        adds its own per-row statistics)."""
        coef, last, cov, converged, iterations = self.solve(tol, max_iter)
        return {
            "params": coef, "se": np.sqrt(np.diag(cov)), "cov": cov, "loglik": last.loglik,
            "converged": converged, "iterations": iterations, "nobs": self.nobs,
            "names": self.names, "llnull": null_loglik(self.nobs, self.mean),
            "intercept": self.intercept, "curvature": last.curvature,
        }  # fmt: skip

    def solve(self, tol: float, max_iter: int) -> tuple[np.ndarray, Pass, np.ndarray, bool, int]:
        """Check the rank, iterate, invert the information: (coef, the pass at coef, its
        covariance, converged, iterations)."""
        self.check_rank()
        coef, last, converged, iterations = self.run(tol, max_iter)
        self.final = last
        try:
            cov = _inverse(last.info)
        except np.linalg.LinAlgError:
            self.check_separation(coef, last)
            raise DataError(
                _collinear(self.intercept, "the Fisher information X'WX is singular")
            ) from None
        return coef, last, cov, converged, iterations

    def check_rank(self) -> None:
        """Refuse non-finite data, and name constant, identical or collinear columns, from the
        start's X'WX scaled to a unit diagonal (W^1/2 X has X's null space while every weight
        is > 0; no decomposition of the n x d design)."""
        info, squares = self.start.info, self.gram_diagonal()
        finite = np.all(np.isfinite(info)) and np.all(np.isfinite(squares))
        if not finite or squares.max() > FLOAT32_MAX**2:
            if self.features is not None:
                design_array(self.features)  # a value is NaN, inf or beyond float32: says which
            raise DataError("the design has a value that is NaN, infinite or beyond float32")
        scale = np.sqrt(np.diag(info))
        scale[scale == 0] = 1.0
        values, vectors = np.linalg.eigh(info / np.outer(scale, scale))
        if values[0] > RANK_RTOL * values[-1]:
            return
        raise DataError(self._dependent(vectors[:, 0]))

    def _dependent(self, null: np.ndarray) -> str:
        """One line naming the columns of a (near) linear dependence, given a null vector of
        the scaled Gram matrix: a constant column, two identical ones, or the set involved."""
        offset = int(self.intercept)
        x = self.features
        involved = [j for j in np.flatnonzero(np.abs(null) > 1e-3 * np.abs(null).max())]
        columns = [j - offset for j in involved if j >= offset] if x is not None else []
        names = [self.names[j] for j in involved]
        if self.intercept and x is not None:
            for j in columns:
                if np.all(x[:, j] == x[0, j]):
                    return f"column {self.names[j + 1]} of X is constant; the intercept already is"
        for a, j in enumerate(columns):
            for k in columns[:a]:
                if np.array_equal(x[:, j], x[:, k]):
                    return (
                        f"columns {self.names[k + offset]} and {self.names[j + offset]} of X "
                        "are identical"
                    )
        listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
        return (
            f"the columns {listed} of X{' (with the intercept)' if self.intercept else ''} are "
            "(nearly) linearly dependent; drop a redundant column"
        )

    def run(self, tol: float, max_iter: int) -> tuple[np.ndarray, Pass, bool, int]:
        """Iterate to convergence or max_iter: the coefficients, the pass at them, whether it
        converged and the iterations taken. Step halving keeps every step an ascent step; the
        pass that tries a step is also the next iteration's, so it costs no extra pass. The
        fit has converged once a step moves no coefficient by more than tol (1 + |coef|), or
        is predicted (SAFETY) to leave a next step below that: the pass after such a step is
        the last, taken by `last`, as is the pass of iteration max_iter."""
        coef, current = self.start_coef, self.start
        unit = np.sqrt(self.gram_diagonal() / self.nobs)  # columns' RMS
        unit[unit == 0] = 1.0
        size, stalled, change = math.inf, 0, math.inf
        for iteration in range(1, max_iter + 1):
            try:
                step = _solve(current.info, current.score)
            except np.linalg.LinAlgError:
                self.check_separation(coef, current)
                raise DataError(
                    _collinear(self.intercept, "the Fisher information X'WX is singular")
                ) from None
            before, change = change, float(np.max(np.abs(step) / (1.0 + np.abs(coef + step))))
            quadratic = math.isfinite(before) and change < before / 2.0
            done = change <= tol or (quadratic and SAFETY * change**3 <= tol * before**2)
            final = done or iteration == max_iter
            floor = current.loglik - 1e-12 * abs(current.loglik)
            for halving in range(HALVINGS):  # noqa: B007 (read after the loop)
                trial = self.last(coef + step, current) if final else self.at(coef + step)
                if trial.loglik >= floor:
                    break
                step, change = step / 2.0, math.inf  # no longer Newton's step: no prediction
            coef, current = coef + step, trial
            previous, size = size, float(np.max(np.abs(step) * unit))
            if self.progress is not None:
                self.progress(iteration, current.loglik, size)
            if (done and halving == 0) or np.all(np.abs(step) <= tol * (1.0 + np.abs(coef))):
                if not final:  # a halved step met tol: its statistics pass
                    current = self.last(coef, current)
                return coef, current, True, iteration
            stalled = stalled + 1 if current.saturated and size > previous / 2.0 else 0
            if stalled >= STALLED:
                self.check_separation(coef, current)
        self.check_separation(coef, current)
        return coef, current, False, max_iter

    def check_separation(self, coef: np.ndarray, current: Pass) -> None:
        """Ask `separated` once; it raises SeparationError when the classes separate."""
        if self.separation_checked:
            return
        self.separation_checked = True
        self.separated(coef, current)


def _solve(info: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The Newton step info^-1 score, solved with the columns scaled to unit diagonal so that
    their units do not matter (LinAlgError if info is singular)."""
    scale = np.sqrt(np.diag(info))
    if not np.all(scale > 0):
        raise np.linalg.LinAlgError("a column carries no information")
    return np.linalg.solve(info / np.outer(scale, scale), score / scale) / scale


def _inverse(info: np.ndarray) -> np.ndarray:
    """info^-1, by the Cholesky factor of the unit-diagonal scaled matrix."""
    scale = np.sqrt(np.diag(info))
    if not np.all(scale > 0):
        raise np.linalg.LinAlgError("a column carries no information")
    lower = np.linalg.cholesky(info / np.outer(scale, scale))
    inverse_lower = np.linalg.inv(lower)
    return (inverse_lower.T @ inverse_lower) / np.outer(scale, scale)


def _checked(
    X: object, y: object, intercept: bool, names: tuple[str, ...] | None, counts: bool = False
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Features as a float64 n x d array in C or F order (the caller's own when it is one,
    as a pass reads either without a copy: finite values and float32's range are then checked
    by the first pass), labels (0/1, or whole-number counts of successes when `counts`) and
    names."""
    if isinstance(X, np.ndarray) and X.dtype == np.float64 and X.ndim in (1, 2) and X.size:
        n, d = len(X), X.size // len(X)
        budget.check(budget.mle(n, d + intercept), "this maximum-likelihood fit")  # before copies
        columns = X.ndim == 2 and X.flags.f_contiguous
        features = X if columns else np.ascontiguousarray(X.reshape(n, d))
    else:
        features = design_array(X)
        n, d = features.shape
        budget.check(budget.mle(n, d + intercept), "this maximum-likelihood fit")
    labels = count_array(y, n, "y") if counts else label_array(y, n)
    names = ((INTERCEPT,) if intercept else ()) + check_names(names, d)
    if n < len(names):
        raise DataError(
            f"X has {n} rows but the model has {len(names)} coefficients; "
            "need at least as many rows as coefficients"
        )
    return features, labels, names


def _collinear(intercept: bool, detail: str) -> str:
    """The message for columns that are (nearly) linearly dependent."""
    return (
        f"the columns of X{' and the intercept' if intercept else ''} are (nearly) linearly "
        f"dependent ({detail}); drop a redundant column"
    )


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
