"""Firth's penalized likelihood (Firth 1993): the logistic regression that stays finite when
the classes separate, as R's logistf computes it (Heinze and Schemper 2002).

It maximises l*(b) = l(b) + 1/2 log det I(b), I = X'WX the Fisher information: the penalty
(Jeffreys' prior) removes the O(1/n) bias of the MLE and, as the fitted probabilities run to 0
or 1 along a separating direction, falls to minus infinity, so the maximum is finite. Its
gradient is the modified score U*(b) = X'(y - p + h (1/2 - p)), h the hat values of
W^1/2 X (X'WX)^-1 X' W^1/2.

The iteration is logistf's Newton-Raphson, steps I^-1 U*, with the penalty's own curvature
(which logistf leaves out) learnt from the steps by symmetric rank-one updates and added once
that keeps the matrix positive definite: logistf's steps converge only linearly where that
curvature is comparable with I (separated data: more than 60 iterations on breast-cancer's 30
columns, 42 with it). Each move is capped at MAX_STEP (in units of the column's root mean
square), halved up to HALVINGS times while l* falls, and the fit stops when l* changes by at
most LCONV, U* by at most GCONV (logistf.control()'s defaults) and no coefficient moves by
more than XCONV relative (the MLE's tolerance: logistf's 1e-5 leaves ~1e-7 in the estimate).
l* need not be concave: a profile's fit that finds a higher maximum restarts the climb there.
An iteration is two passes over the rows: irls.newton_pass
(compiled) gives l, I and each row's p, all a trial step needs; the hat values need I^-1 at
the same b, so U* is a second pass (hat_sums, p computed again). Every quantity is a sum
over rows once I^-1 is known, so the rows need not be in one place: Firth reads them
through Rows, in memory here (MemoryRows) or spread over workers (stats.sharded.fit_firth,
each pass a sum over the workers' chunks).

Frequency weights (logistf's weights=) and binomial trials count each row as that many
0/1 rows: with m_i = weight x trials and s_i its successes, l sums s log p + (m - s) log(1 - p),
I = X' diag(m p (1 - p)) X and h_i = m_i p_i (1 - p_i) x_i' I^-1 x_i, so the fit, its standard
errors and its profiles are the expanded rows' (grouped rows are logistf's fit of their
successes and failures as two weighted rows).

Inference as logistf's defaults (pl = TRUE): standard errors from the augmented data's
information, (X' diag(p (1 - p) (m + h)) X)^-1 at the estimate, which logistf's C code returns
since May 2021 (1.24.1; the rows with weight m, and again as a success and as a failure
with weight h/2 each: sex2's se(Intercept) 0.4763), not Heinze and Schemper's I^-1 (0.4855,
logistf's before then); per coefficient the profile penalized-likelihood interval {b_j :
2 (l*(b) - max l* with b_j fixed) <= the chi-squared(1) quantile} and the p-value of the
penalized likelihood ratio of b_j = 0, every constrained fit keeping the full model's penalty,
as logistf's. A bound is found as logistpl finds it (Venzon and Moolgavkar 1988): b_j and the
other coefficients move together, Newton's method on U*_others = 0 and l* = the target, so
each step is two passes. Profiles cost from one to a few times the fit's passes a coefficient
(budget.FIRTH_PROFILE_RATIO), too varied to guess well beforehand: they are computed a
coefficient at a time until MAX_PROFILE_SECONDS have passed, a clock read at every pass (on
several workers, past it when any worker's is: Rows.late); the coefficients not profiled by
then have Wald's intervals and p-values, and the result names them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from .. import budget
from ..config import check_float, check_int
from ..data.checks import check_names, count_array, design_array, label_array
from ..errors import ConfigError, DataError
from ..model import sigmoid
from ..result import INTERCEPT
from . import inference
from .irls import Pass, newton_pass
from .mle import TOL, Counts, MLEResult, Newton, null_loglik
from .sandwich import BLOCK, design_block, leverage

#: logistf.control()'s defaults: iterations, step halvings, the largest move of a coefficient
#: in one step (here in units of its column's root mean square, a move of the logits: logistf
#: caps raw coefficients, which on breast-cancer's columns of scale 0.01, whose Firth
#: estimates run past 200, took 45 iterations), and the convergence criteria on l* and on
#: U*; the step's is the MLE's
#: (mle.TOL, relative): logistf's 1e-5 leaves ~1e-7 in the estimate, as its steps use I, not
#: l*'s own curvature, and converge linearly (measured on a 2 x 2 table); two or three more
#: iterations take it to rounding.
MAX_ITER = 100
HALVINGS = 5
MAX_STEP = 5.0
LCONV = GCONV = 1e-5
XCONV = TOL
#: A profile bound is where l* with b_j fixed is within this of its target (logistpl's lconv
#: is 1e-5; here the penalized likelihood ratio at a bound is its quantile to 2e-9), found in
#: at most PROFILE_STEPS steps (logistpl.control()'s maxit).
PROFILE_TOL = 1e-9
PROFILE_STEPS = 100
#: Profiles stop when they have taken this long; the coefficients left have Wald's intervals
#: and p-values (a minute: the fit itself takes a few seconds at 10**5 x 11, its profiles 40).
MAX_PROFILE_SECONDS = 60.0
#: The covariance of the estimate in words: logistf's, h the hat values.
AUGMENTED = "(X'W(1 + h)X)^-1"


@dataclass(frozen=True, repr=False)  # MLEResult's short repr, not every array
class FirthResult(MLEResult):
    """A Firth fit: `params` the penalized estimate, `se` and `cov` from the augmented data's
    information there (logistf's, see the module), `loglik` the (unpenalized) log-likelihood
    at the estimate and `llnull` the intercept-only MLE's, so AIC, BIC and the pseudo
    R-squared are the likelihood's (with the binomial coefficients under trials, as the
    MLE's; l* too, so the penalized ratios are unchanged). The penalized ones:
    `penalized_loglik` l*(b), `penalized_llnull` l* with every slope at 0 (logistf's null), and
    llr their likelihood ratio. With `profiled`, pvalues and conf_int() are the penalized
    likelihood's (the statistic of each coefficient in `lr_chi2`, its interval at conf_level
    in `lower` and `upper`) but for the coefficients `wald_terms` names, which the profiles'
    time bound left Wald's; without, all are Wald's, `note` saying why."""

    penalized_loglik: float = math.nan
    penalized_llnull: float = math.nan
    profiled: bool = False
    lr_chi2: np.ndarray = field(default_factory=lambda: np.empty(0))
    lower: np.ndarray = field(default_factory=lambda: np.empty(0))
    upper: np.ndarray = field(default_factory=lambda: np.empty(0))
    note: str = ""
    wald_terms: tuple[str, ...] = ()
    #: Passes over the rows the fit and its profiles took.
    passes: int = 0

    method = "Firth (penalized)"
    title = "Logistic regression: Firth's penalized likelihood (logistf's Newton-Raphson)"

    @classmethod
    def made(cls, fields: dict[str, Any], binomial: float, **more: Any) -> FirthResult:
        """The result of Firth.solve's `fields`, with the per-row statistics `more` (in
        memory or on shards): the likelihoods gain the binomial coefficients `binomial`
        (grouped rows, as R's glm counts them; 0 otherwise)."""
        likelihoods = ("loglik", "llnull", "penalized_loglik", "penalized_llnull")
        return cls(**fields | {name: fields[name] + binomial for name in likelihoods}, **more)

    @property
    def interval_method(self) -> str:
        """How the intervals and p-values were computed, in words."""
        wald = f"Wald, from {AUGMENTED} at the estimate"
        if not self.profiled:
            return wald
        method = "profile penalized likelihood (intervals), penalized likelihood ratio (p)"
        if self.wald_terms:
            method += f"; {wald} for the {len(self.wald_terms)} coefficients the note names"
        return method

    def coefficient_table(self, alpha: float | None = None) -> inference.Effects:
        """Estimates with their standard errors and Wald z, and (profiled) the penalized
        likelihood ratio p-values and profile intervals at conf_level; Wald's otherwise."""
        alpha = self.interval_alpha(alpha)
        table = super().coefficient_table(alpha)
        if not self.profiled:
            return table
        if not math.isclose(1.0 - alpha, self.conf_level):
            raise ConfigError(
                f"the profile intervals were computed at level {self.conf_level:g}; fit "
                f"again at level {1.0 - alpha:g} for others"
            )
        profiled = ~np.isin(self.names, self.wald_terms)
        return replace(
            table,
            pvalues=np.where(profiled, _chi2_sf(self.lr_chi2), table.pvalues),
            lower=np.where(profiled, self.lower, table.lower),
            upper=np.where(profiled, self.upper, table.upper),
        )

    @property
    def llr(self) -> float:
        """The penalized likelihood ratio against every slope at 0 (logistf's test)."""
        return 2.0 * (self.penalized_loglik - self.penalized_llnull)

    def summary(self) -> str:
        """MLEResult's layout, and which statistics are penalized and which are not."""
        return "\n".join([super().summary(), *self.legend()])

    def legend(self) -> list[str]:
        """Which statistics are the penalized likelihood's and which the likelihood's."""
        lines = [
            f"Penalized log-likelihood l* = l + 1/2 log det I: {self.penalized_loglik:.4f} "
            f"(null, every slope 0: {self.penalized_llnull:.4f}); LLR p-value: penalized "
            "likelihood ratio.",
            "Log-Likelihood, LL-Null, Pseudo R-squ., AIC, BIC: the unpenalized likelihood "
            f"at the Firth estimate; std err and z: Wald, from {AUGMENTED} there.",
            f"P>|z| and the interval: {self.interval_method}.",
        ]
        return lines + ([self.note] if self.note else [])


def fit(
    X: object,
    y: object,
    *,
    intercept: bool = True,
    names: tuple[str, ...] | None = None,
    conf_level: float = 0.95,
    profile: bool | None = None,
    max_iter: int = MAX_ITER,
    weights: object = None,
    trials: object = None,
) -> FirthResult:
    """Maximise the Firth-penalized log-likelihood of y ~ Bin(trials, sigmoid(X b)) (see the
    module).

    X is n x d (a 1-D input is one feature), y holds 0/1, or with `trials` each row's
    successes out of its trials; `weights` are frequency weights (logistf's weights=): every
    statistic is the expanded rows'. Both outcomes must occur; a constant term is added
    unless intercept=False. `profile`: the profile intervals and likelihood-ratio p-values at
    conf_level (True), Wald's (False), or the profiles of as many coefficients as
    MAX_PROFILE_SECONDS allow, Wald's for the rest (None). Raises DataError for input the
    model cannot use (constant or collinear columns among them); separation is no obstacle.
    A fit that stops at max_iter is returned with converged=False.
    """
    conf_level, max_iter = checked(conf_level, max_iter)
    features = np.ascontiguousarray(design_array(X))
    n, d = features.shape
    k = d + intercept
    budget.check(budget.firth(n, k), "this Firth fit")
    labels = label_array(y, n) if trials is None else count_array(y, n, "y")
    count = Counts.of(labels, weights, trials)
    names = ((INTERCEPT,) if intercept else ()) + check_names(names, d)
    if n < k:
        raise DataError(
            f"X has {n} rows but the model has {k} coefficients; "
            "need at least as many rows as coefficients"
        )
    firth = Firth.in_memory(features, count.s, intercept, names, trials=count.m)

    def cost(passes: int) -> budget.Estimate:
        return budget.firth(n, k, passes=passes, profiled=True)

    fields = firth.solve(conf_level, profile, max_iter, cost)
    p = sigmoid(features @ fields["params"][intercept:]
                + (fields["params"][0] if intercept else 0.0))  # fmt: skip
    return FirthResult.made(fields, count.binomial, nobs=count.nobs, fitted=p,
                            labels=count.s, trials=np.empty(0) if count.m is None else count.m,
                            llsat=count.saturated(), pearson_chi2=count.pearson(p),
                            grouped=trials is not None)  # fmt: skip


def checked(conf_level: object, max_iter: object) -> tuple[float, int]:
    """The level of the profile intervals, strictly between 0 and 1, and the iterations, at
    least 1 (ConfigError otherwise), as a fit in memory or on shards takes them."""
    level = check_float("conf_level", conf_level)
    if not 0.0 < level < 1.0:
        raise ConfigError(f"conf_level must be between 0 and 1 (not included), got {level:g}")
    return level, check_int("max_iter", max_iter, 1)


class Rows(Protocol):
    """What a Firth fit asks of its rows (Firth's passes): MemoryRows, or on shards the
    workers' passes summed (stats.sharded)."""

    def newton(self, coef: np.ndarray) -> Pass:
        """One pass at coef: l, X'(s - m p) and I over every row."""
        ...

    def hats(
        self, coef: np.ndarray, cov: np.ndarray, info: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """One pass at coef, cov = I^-1 there: hat_sums over every row."""
        ...

    def late(self, mine: bool) -> bool:
        """Whether any reader of the rows is past the profiles' deadline, `mine` this one's
        verdict (every reader must stop at the same pass)."""
        ...


def hat_sums(
    design: np.ndarray, p: np.ndarray, cov: np.ndarray, trials: np.ndarray | None, info: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Of rows of the full design (intercept column included) with their p and trials (None:
    one each), cov = I^-1: the penalty's part of U*, X'(h (1/2 - p)), h the hat values
    m p (1 - p) x' I^-1 x, and with `info` the augmented data's extra information
    X' diag(p (1 - p) h) X (logistf's covariance is the inverse of I plus it)."""
    h = leverage(design, p, cov, trials)
    extra = (h * (0.5 - p)) @ design
    if not info:
        return extra, None
    return extra, (design * (h * p * (1.0 - p))[:, None]).T @ design


class MemoryRows:
    """Rows held in memory (features without the intercept column, C order), a pass
    irls.newton_pass's (compiled) and hat_sums a BLOCK of rows at a time."""

    def __init__(self, features: np.ndarray, labels: np.ndarray, intercept: bool,
                 trials: np.ndarray | None = None) -> None:  # fmt: skip
        self.features, self.labels, self.intercept = features, labels, intercept
        self.trials = trials

    def newton(self, coef: np.ndarray) -> Pass:
        return newton_pass(self.features, self.labels, coef, self.intercept, trials=self.trials)

    def hats(
        self, coef: np.ndarray, cov: np.ndarray, info: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        extra, added = np.zeros(len(coef)), np.zeros((len(coef), len(coef))) if info else None
        for start in range(0, len(self.labels), BLOCK):
            x = design_block(self.features[start : start + BLOCK], self.intercept)
            m = None if self.trials is None else self.trials[start : start + BLOCK]
            score, more = hat_sums(x, sigmoid(x @ coef), cov, m, info)
            extra += score
            if info:
                added += more
        return extra, added

    def late(self, mine: bool) -> bool:
        return mine


@dataclass(frozen=True)
class Profiles:
    """What Firth.profile found: the estimate (a higher maximum than the fit's when a
    profile found one), whether its climb converged and the iterations the profiles added;
    per coefficient the penalized likelihood-ratio statistic of b_j = 0 and the interval's
    bounds, NaN past the first `done` coefficients (the time ran out there)."""

    best: Point
    converged: bool
    iterations: int
    lr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    done: int

    def note(self, names: tuple[str, ...], seconds: float, estimate: float) -> str:
        """What the result should say: the coefficients left Wald's (`estimate`: the
        seconds all profiles were estimated at), and the bounds not found."""
        parts = []
        if self.done == 0:
            parts.append(f"Wald intervals and p-values: no profile done within "
                         f"{seconds:g} s (all {len(names)} estimated at "
                         f"~{budget.format_seconds(estimate)})")  # fmt: skip
        elif self.done < len(names):
            parts.append(f"Wald intervals and p-values for {', '.join(names[self.done :])}: "
                         f"the profiles stop after {seconds:g} s, {self.done} of {len(names)} "
                         f"coefficients done")  # fmt: skip
        missed = [f"{names[j]} ({side})" for j in range(self.done)
                  for side, value in (("lower", self.lower[j]), ("upper", self.upper[j]))
                  if math.isnan(value)]  # fmt: skip
        if missed:
            parts.append(f"profile bounds not found (shown as nan), l* being flat or not "
                         f"concave there: {', '.join(missed)}")  # fmt: skip
        return "; ".join(parts)


class _OutOfTime(Exception):
    """A pass was asked for after Firth.deadline."""


@dataclass(frozen=True)
class Point:
    """The penalized likelihood at coefficients `coef`: the pass there (l, X'(y - p), I), l*
    and I^-1."""

    coef: np.ndarray
    sums: Pass
    penalized: float
    cov: np.ndarray


class Firth:
    """The fits of one design, whose rows `rows` reads (Rows): `point` (a pass: l* at b),
    `score` (a second: U* there), `ascend` (logistf's Newton-Raphson over the free
    coefficients, the others held), what inference needs of them (`held`, `null`, `bound`,
    `profile`, `covariance`) and `solve`, the whole fit. `total` and `successes` count the
    rows' trials and successes; `features`, when the rows are in memory, lets the rank check
    name constant and identical columns. `passes` counts the passes over the rows; a pass
    asked for after `deadline` on `clock` (seconds) ends the profile in progress."""

    def __init__(
        self,
        rows: Rows,
        total: float,
        successes: float,
        intercept: bool,
        names: tuple[str, ...],
        clock: Callable[[], float] = time.monotonic,
        features: np.ndarray | None = None,
    ) -> None:
        mean = successes / total
        if mean in (0.0, 1.0):
            raise DataError(f"every outcome is {mean:g}: a logistic regression needs both classes")
        self.rows, self.intercept, self.names = rows, intercept, names
        self.llnull = null_loglik(total, mean)
        self.passes = 0
        self.clock, self.deadline = clock, math.inf
        # The MLE's start (the intercept-only fit) and its rank check, which names constant,
        # identical and collinear columns: Firth's information is singular there too.
        newton = Newton(self.at, total, mean, intercept, names, lambda coef, sums: None,
                        features)  # fmt: skip
        newton.check_rank()
        self.start = newton.start_coef
        # Each column's root mean square over the rows as counted: a move is capped in these
        # units, b_j x RMS_j
        self.unit = np.sqrt(np.diag(newton.start.info) / newton.weight / total)

    @classmethod
    def in_memory(
        cls,
        features: np.ndarray,
        labels: np.ndarray,
        intercept: bool,
        names: tuple[str, ...],
        clock: Callable[[], float] = time.monotonic,
        trials: np.ndarray | None = None,
    ) -> Firth:
        """The fits of rows in memory: `labels` each row's successes out of its `trials`
        (None: one trial a row, labels 0/1)."""
        total = float(len(labels) if trials is None else trials.sum())
        rows = MemoryRows(features, labels, intercept, trials)
        return cls(rows, total, float(labels.sum()), intercept, names, clock, features)

    def at(self, coef: np.ndarray) -> Pass:
        """One pass: l, X'(y - p), I."""
        self._count()
        return self.rows.newton(coef)

    def _count(self) -> None:
        """Count a pass about to start, or end the profile in progress past the deadline."""
        if self.deadline < math.inf and self.rows.late(self.clock() > self.deadline):
            raise _OutOfTime
        self.passes += 1

    def point(self, coef: np.ndarray) -> Point:
        """l* at coef, and I^-1 (DataError when I is singular)."""
        sums = self.at(coef)
        try:
            cov, logdet = _inverse_logdet(sums.info)
        except np.linalg.LinAlgError:
            raise DataError(
                "the Fisher information X'WX is singular at the Firth estimate: the columns of "
                "X are (nearly) linearly dependent; drop a redundant column"
            ) from None
        return Point(coef, sums, sums.loglik + 0.5 * logdet, cov)

    def score(self, point: Point) -> np.ndarray:
        """U* = X'(s - m p) + X'(h (1/2 - p)) at the point: a second pass."""
        self._count()
        return point.sums.score + self.rows.hats(point.coef, point.cov, False)[0]

    def covariance(self, point: Point) -> np.ndarray:
        """logistf's covariance at the point: the inverse of the augmented data's information
        X' diag(p (1 - p) (m + h)) X = I + X' diag(p (1 - p) h) X, one more pass."""
        self._count()
        info = point.sums.info + self.rows.hats(point.coef, point.cov, True)[1]
        return _inverse_logdet(info)[0]  # >= I, which point() found positive definite

    def solve(
        self,
        conf_level: float,
        profile: bool | None,
        max_iter: int,
        cost: Callable[[int], budget.Estimate],
    ) -> dict[str, Any]:
        """The fit, its covariance, logistf's null and (profile, as fit() takes it) the
        profiles, as the fields every FirthResult has, the likelihoods without binomial
        coefficients (in memory and on shards alike; each adds its per-row statistics).
        `cost(passes)`: what every profile would take, from the fit's own passes."""
        k = len(self.start)
        best, _, converged, iterations = self.ascend(self.start, np.ones(k, dtype=bool), max_iter)
        found = Profiles(best, converged, 0, *(np.full(k, np.nan) for _ in range(3)), done=0)
        note = "Wald intervals and p-values, as asked"
        if profile is not False:
            everything = cost(self.passes)
            if profile:
                budget.check(everything, "this Firth fit with its profiles")
            seconds = math.inf if profile else MAX_PROFILE_SECONDS
            q = _chi2_quantile(conf_level)
            found = self.profile(best, converged, q, seconds, max_iter)
            note = found.note(self.names, seconds, everything.seconds)
        best = found.best
        cov = self.covariance(best)
        null = self.null(best)
        return {
            "params": best.coef, "se": np.sqrt(np.diag(cov)), "cov": cov,
            "loglik": best.sums.loglik, "llnull": self.llnull, "converged": found.converged,
            "iterations": iterations + found.iterations, "names": self.names,
            "intercept": self.intercept, "curvature": best.sums.curvature,
            "conf_level": conf_level, "penalized_loglik": best.penalized,
            "penalized_llnull": null.penalized, "profiled": found.done > 0,
            "lr_chi2": found.lr, "lower": found.lower, "upper": found.upper, "note": note,
            "wald_terms": self.names[found.done :] if profile is not False else (),
            "passes": self.passes,
        }  # fmt: skip

    def ascend(
        self, coef: np.ndarray, free: np.ndarray, max_iter: int = MAX_ITER
    ) -> tuple[Point, np.ndarray, bool, int]:
        """logistf's Newton-Raphson over the coefficients `free` marks, from coef: the point
        reached, U* there, whether it converged, and the iterations."""
        current = self.point(np.array(coef, dtype=float))
        score = self.score(current)
        bend = np.zeros((len(coef), len(coef)))  # -(the penalty's Hessian), learnt by SR1
        for iteration in range(1, max_iter + 1):
            step = np.zeros(len(coef))
            if free.any():
                step[free] = _newton_step(current.sums.info, bend, score, free)
            step /= max(1.0, float(np.abs(step * self.unit).max()) / MAX_STEP)
            trial = self.point(current.coef + step)
            floor = current.penalized - 1e-12 * abs(current.penalized)  # rounding is no fall
            for _ in range(HALVINGS):
                if trial.penalized >= floor:
                    break
                step = step / 2.0
                trial = self.point(current.coef + step)
            penalty = score - current.sums.score  # the penalty's gradient, before and after
            change, current = trial.penalized - current.penalized, trial
            score = self.score(current)
            bend = _sr1(bend, step, penalty - (score - current.sums.score))
            if (abs(change) <= LCONV and np.abs(score[free]).max(initial=0.0) <= GCONV
                    and np.all(np.abs(step) <= XCONV * (1.0 + np.abs(current.coef)))):  # fmt: skip
                return current, score, True, iteration
        return current, score, False, max_iter

    def profile(
        self, best: Point, converged: bool, q: float, seconds: float, max_iter: int = MAX_ITER
    ) -> Profiles:
        """Coefficient after coefficient, the penalized likelihood-ratio statistic of b_j = 0
        and the profile bounds at the chi-squared quantile q, until `seconds` have passed:
        a bound checked as the work goes, at every pass, where an estimate made beforehand
        is not one (breast-cancer's took ~11,000 passes; a constant 40 a coefficient said
        1,265). l* need not be concave: a fit with b_j = 0 may find a higher maximum than the
        climb from `best` did (on breast-cancer's 30 columns it does); the fit climbs on
        from there, whatever the time, and the profiles start again."""
        k = len(best.coef)
        lr, lower, upper = (np.full(k, np.nan) for _ in range(3))
        iterations, deadline, j = 0, self.clock() + seconds, 0
        while j < k:
            self.deadline = deadline
            try:
                held = self.held(best, j, 0.0)
                if held.penalized <= best.penalized + 1e-9:
                    bounds = [self.bound(best, j, side, q) for side in (-1.0, 1.0)]
                    lr[j] = max(0.0, 2.0 * (best.penalized - held.penalized))
                    lower[j], upper[j] = bounds
                    j += 1
                    continue
            except _OutOfTime:
                break
            finally:
                self.deadline = math.inf
            best, _, converged, more = self.ascend(held.coef, np.ones(k, dtype=bool), max_iter)
            iterations, j = iterations + more, 0
            lr[:], lower[:], upper[:] = np.nan, np.nan, np.nan
        return Profiles(best, converged, iterations, lr, lower, upper, j)

    def held(self, best: Point, j: int, value: float) -> Point:
        """The fit with coefficient j held at value, started from best moved along the
        line the free coefficients follow near it (I_ff^-1 I_fj per unit of b_j)."""
        free = np.arange(len(best.coef)) != j
        coef = best.coef.copy()
        coef[free] -= _follow(best.sums.info, j, free) * (value - coef[j])
        coef[j] = value
        return self.ascend(coef, free, PROFILE_STEPS)[0]

    def null(self, best: Point) -> Point:
        """logistf's null model: every slope at 0, the intercept fitted, the full penalty
        (logistf.R fits it with terms.fit = 1 on the whole design; its summary's likelihood
        ratio test of sex2, 49.09064, is 2 (l* - this)). The -169.6506 logistf's tests held
        for sex2's null in July 2021 is not this: its C code returned then (June to October
        2021, in development) the augmented data's log-likelihood l + 1/2 sum h log(p(1-p)),
        -169.6168 at this null; the test was loosened to > -170 three days later, dropped in
        September, and l + 1/2 log det I restored in October."""
        coef = np.zeros(len(best.coef))
        if not self.intercept:
            return self.point(coef)
        coef[0] = best.coef[0]
        free = np.zeros(len(coef), dtype=bool)
        free[0] = True
        return self.ascend(coef, free, PROFILE_STEPS)[0]

    def bound(self, best: Point, j: int, side: float, q: float) -> float:
        """The profile bound of coefficient j on `side` (-1 lower, +1 upper): where l* with
        b_j held falls q / 2 below its maximum, the others at their constrained maximum.

        b_j and the others move together (as logistpl's Venzon-Moolgavkar iteration): each
        step is Newton's on U*_free = 0 and l* = target, linearised with I and the penalty's
        curvature learnt from the steps (SR1), so a step is one point and one score (two
        passes). NaN when it does not settle
        within PROFILE_STEPS steps, nor by bracketed()."""
        target = best.penalized - q / 2.0
        free = np.arange(len(best.coef)) != j
        coef = best.coef.copy()
        width = side * math.sqrt(q * best.cov[j, j])  # Wald's bound first
        coef[free] -= _follow(best.sums.info, j, free) * width
        coef[j] += width
        bend, penalty, step = np.zeros((len(coef), len(coef))), None, None
        for _ in range(PROFILE_STEPS):
            point = self.point(coef)
            score = self.score(point)
            if penalty is not None:
                bend = _sr1(bend, step, penalty - (score - point.sums.score))
            penalty = score - point.sums.score
            gap = point.penalized - target
            if abs(gap) <= PROFILE_TOL and np.abs(score[free]).max(initial=0.0) <= GCONV:
                return float(coef[j])
            curvature = point.sums.info + bend
            if np.linalg.eigvalsh(curvature[np.ix_(free, free)])[0] <= 0:
                curvature = point.sums.info
            rise = np.linalg.solve(curvature[np.ix_(free, free)], score[free])
            follow = _follow(curvature, j, free)
            slope = score[j] - score[free] @ follow
            move = -(gap + 0.5 * score[free] @ rise) / slope
            if move * side < 0 and (coef[j] + move - best.coef[j]) * side <= 0:
                move = -(coef[j] - best.coef[j]) / 2.0  # never back past the estimate
            step = np.empty(len(coef))
            step[free], step[j] = rise - follow * move, move
            step /= max(1.0, float(np.abs(step * self.unit).max()) / MAX_STEP)
            coef = coef + step
        return self.bracketed(best, j, side, q)

    def bracketed(self, best: Point, j: int, side: float, q: float) -> float:
        """bound() the slow, sure way, where the joint steps do not settle: fits with b_j
        held, going out in doubling steps until l* is below the target, then bisecting
        (each fit started from the last inside); NaN when even that does not settle."""
        target = best.penalized - q / 2.0
        centre = best.coef[j]
        inside, outside, start = centre, math.nan, best
        value = centre + side * math.sqrt(q * best.cov[j, j])
        for _ in range(PROFILE_STEPS):
            point = self.held(start, j, value)
            gap = point.penalized - target
            if abs(gap) <= PROFILE_TOL:
                return value
            if gap > 0:
                inside, start = value, point
            else:
                outside = value
            far = inside + 2.0 * (inside - centre)
            value = far if math.isnan(outside) else (inside + outside) / 2.0
        return math.nan


def _newton_step(
    info: np.ndarray, bend: np.ndarray, score: np.ndarray, free: np.ndarray
) -> np.ndarray:
    """The step over the free coefficients: (I + bend)^-1 U*, the curvature of l* with the
    penalty's learnt part, or logistf's I^-1 U* while that is not positive definite."""
    block = np.ix_(free, free)
    try:
        lower = np.linalg.cholesky(info[block] + bend[block])
    except np.linalg.LinAlgError:
        return np.linalg.solve(info[block], score[free])
    return np.linalg.solve(lower.T, np.linalg.solve(lower, score[free]))


def _sr1(bend: np.ndarray, step: np.ndarray, change: np.ndarray) -> np.ndarray:
    """The symmetric rank-one update of bend ~ -(the penalty's Hessian) from a step and the
    fall of the penalty's gradient along it (skipped when it would divide by ~0)."""
    residual = change - bend @ step
    across = float(residual @ step)
    if abs(across) <= 1e-8 * np.linalg.norm(residual) * np.linalg.norm(step):
        return bend
    return bend + np.outer(residual, residual) / across


def _follow(curvature: np.ndarray, j: int, free: np.ndarray) -> np.ndarray:
    """How far the free coefficients' maximum moves back per unit of b_j, to first order:
    C_ff^-1 C_fj, C the curvature of l* (I, or I with the penalty's learnt part)."""
    if not free.any():
        return np.zeros(0)
    return np.linalg.solve(curvature[np.ix_(free, free)], curvature[free, j])


def _inverse_logdet(info: np.ndarray) -> tuple[np.ndarray, float]:
    """info^-1 and log det info, of the matrix scaled to unit diagonal so that the columns'
    units do not matter (LinAlgError when it is not positive definite)."""
    scale = np.sqrt(np.diag(info))
    if not np.all(scale > 0):
        raise np.linalg.LinAlgError("a column carries no information")
    scaled = info / np.outer(scale, scale)
    sign, logdet = np.linalg.slogdet(scaled)
    if sign <= 0:
        raise np.linalg.LinAlgError("the information is not positive definite")
    return np.linalg.inv(scaled) / np.outer(scale, scale), logdet + 2.0 * np.log(scale).sum()


def _chi2_quantile(level: float) -> float:
    """The chi-squared(1) quantile at `level`: the square of the normal one."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2.0) ** 2


def _chi2_sf(statistic: np.ndarray) -> np.ndarray:
    """P(chi-squared(1) > statistic) = erfc(sqrt(statistic / 2))."""
    return np.array([math.erfc(math.sqrt(s / 2.0)) if s >= 0 else math.nan for s in statistic])


__all__ = ["Firth", "FirthResult", "MemoryRows", "Rows", "checked", "fit", "hat_sums"]
