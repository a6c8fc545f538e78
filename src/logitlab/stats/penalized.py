"""Penalized logistic regression in glmnet's scaling (Friedman, Hastie and Tibshirani 2010).

The objective is the mean log-loss + lam * ((1 - a) / 2 * sum b^2 + a * sum |b|), b the
coefficients of the columns standardized by their population SD (ddof 0), the intercept not
penalized: l2 is a = 0, l1 a = 1, the elastic net a in between. Coefficients are reported on
the original scale. Centering only moves the intercept, so the solver works on the raw
design (no standardized copy of n x d numbers), its gradient mapped to the standardized
coordinates by the (d + 1) x (d + 1) matrix T (b_original = T b_standardized).

The fit is glmnet's: Newton's quadratic model of the log-loss at the current point,
minimised with the penalty by cyclic coordinate descent (on the d x d Hessian, glmnet's
"covariance" updates: a sweep costs O(d^2), not a pass over the rows), then a pass at the
new point; a step that raises the objective is halved. l2 has a smooth objective and its
quadratic model is solved directly (a Newton step). Coordinate descent is compiled with
Numba when it is installed (a 100-lambda path makes thousands of sweeps over 50 coordinates,
each a Python loop otherwise), the same function run as Python without it.

Why it is fast: a pass that sums the Hessian costs n d^2 / 2 products, one that sums the
gradient alone n d. So the Hessian is summed only for the candidate columns (glmnet's strong
rules), from a sample of rows while the steps are long, kept across steps and lambdas while
the steps it gives still shrink fast, and summed in float32 by BLAS; most steps cost a
gradient pass. A pass is compiled (stats.compiled_penalized: each row read once, on every
core) and the start costs none: the moments' pass that standardizes the columns also gives
the intercept-only fit's gradient; the last step, whose successor is predicted below the
tolerance, is taken on the quadratic model's word. At n = 10**6, d = 50 a fit at one lambda
takes 5 passes over the rows and one read of the start's sampled rows alone (sample_reads).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

import numpy as np

from .. import budget
from ..config import L1_RATIOS, check_float, check_int, check_l1_ratio
from ..data.checks import check_names, count_array, design_array, label_array
from ..errors import ConfigError, DataError
from ..extras import fused_available
from ..result import INTERCEPT
from ..stopping import per_block, signals_held
from . import inference
from .irls import COMPILED_ROWS, newton_pass
from .mle import Counts, MLEResult, null_loglik

#: Newton iterations at one lambda, and the convergence criterion: no standardized
#: coefficient would move by more than TOL (the objective is then at its minimum to ~TOL^2).
MAX_ITER = 100
TOL = 1e-10
#: Coordinate descent stops when no coordinate moved by more than INNER_TOL in a sweep.
INNER_TOL = 1e-13
MAX_SWEEPS = 100_000
HALVINGS = 30
#: A fresh Hessian is summed when the old one would take more than STALE_PASSES more
#: passes to converge (a fresh one costs about two passes more than a gradient's).
STALE_PASSES = 4
#: After a step longer than FAR (standardized units) the Hessian is summed over a sample of
#: at least SAMPLE_ROWS rows: the steps still change it by more than the sample errs.
FAR = 1e-2
SAMPLE_ROWS = 1 << 16
#: Rows a NumPy block takes at once (ROWS x d values stay in cache between the two
#: products), and the unit a Hessian's sample takes or leaves.
ROWS = 4096
#: Rows of a compiled tile (its rows stay in L1 cache), and the tasks a compiled call
#: gives each thread (small shares: a core slowed by other work does not hold up the call).
TILE = 256
TASKS_A_THREAD = 4
T = TypeVar("T")
#: glmnet's default path: PATH_COUNT lambdas from lambda_max down to lambda_max times
#: PATH_RATIO (SMALL_RATIO when there are fewer rows than columns), log-spaced; lambda_max
#: of a ridge is taken at a = RIDGE_ALPHA, as glmnet's.
PATH_COUNT = 100
PATH_RATIO = 1e-4
SMALL_RATIO = 1e-2
RIDGE_ALPHA = 1e-3
#: cv.glmnet's default number of folds.
FOLDS = 10


@dataclass(frozen=True)
class PenalizedFit:
    """A fit at one lambda: `params` (intercept first, original scale), the objective's
    value there, and how it was reached (Newton iterations, passes over the rows)."""

    params: np.ndarray
    lam: float
    l1_ratio: float
    objective: float
    iterations: int
    passes: int
    converged: bool
    #: the Hessians summed (in a pass, or in a read of a sample of rows alone)
    hessians: int = 0
    #: reads of a Hessian's sample of rows alone, at the last pass's point (not in passes)
    sample_reads: int = 0

    @property
    def nonzero(self) -> int:
        """Coefficients (the intercept aside) that are not zero."""
        return int(np.count_nonzero(self.params[1:]))

    def __repr__(self) -> str:
        """One line: lambda, the objective, the nonzero count and how it was reached."""
        from ..display import numbers

        verdict = "converged" if self.converged else "NOT converged"
        return (f"PenalizedFit(lambda {self.lam:.4g}, l1 ratio {self.l1_ratio:g}, "
                f"params={numbers(self.params)}, objective {self.objective:.6g}, "
                f"{self.nonzero} slopes nonzero, {verdict} in {self.iterations} iterations, "
                f"{passes_words(self.passes, self.sample_reads)})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: lambda, the objective, the nonzero count and the estimate."""
        from ..display import html

        names = ("intercept", *(f"column {j}" for j in range(1, len(self.params))))
        return html(
            "penalized_fit.html",
            fit=self,
            names=names,
            passes=passes_words(self.passes, self.sample_reads),
        )


@dataclass(frozen=True)
class Path:
    """Fits along decreasing `lambdas`, each started from the one before (warm starts):
    `params` one row per lambda."""

    lambdas: np.ndarray
    params: np.ndarray
    objectives: np.ndarray
    passes: int
    hessians: int = 0
    sample_reads: int = 0

    def nonzero(self) -> np.ndarray:
        """The slopes not zero at each lambda."""
        return np.count_nonzero(self.params[:, 1:], axis=1)

    def __repr__(self) -> str:
        """One line, not the arrays: the lambdas' span and the slopes they keep."""
        kept = self.nonzero()
        return (f"Path({len(self.lambdas)} lambdas {self.lambdas[0]:.4g} to "
                f"{self.lambdas[-1]:.4g}, slopes nonzero {kept[0]} to {kept[-1]}, "
                f"{passes_words(self.passes, self.sample_reads)})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: each lambda's nonzero count and objective, as glmnet prints a
        path."""
        from ..display import html, number

        rows = [[f"{lam:.4g}", int(k), number(obj)]
                for lam, k, obj in zip(self.lambdas, self.nonzero(), self.objectives,
                                       strict=True)]  # fmt: skip
        return html(
            "path.html", path=self, rows=rows, passes=passes_words(self.passes, self.sample_reads)
        )


@dataclass(frozen=True)
class CrossValidation:
    """cv.glmnet's curve: the held-out mean log-loss at each lambda of the path (`mean`,
    folds weighted by their rows) and its standard error, lambda_min where the mean is
    least and lambda_1se the largest lambda within one standard error of it."""

    lambdas: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    lambda_min: float
    lambda_1se: float
    folds: int
    seed: int

    def __repr__(self) -> str:
        """One line, not the curve: the folds, lambda_min with its log-loss and lambda_1se."""
        best = int(np.argmin(self.mean))
        return (f"CrossValidation({self.folds} folds, seed {self.seed}, {len(self.lambdas)} "
                f"lambdas: lambda_min {self.lambda_min:.4g} (log-loss {self.mean[best]:.4f} ± "
                f"{self.se[best]:.4f}), lambda_1se {self.lambda_1se:.4g})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: lambda_min and lambda_1se with their held-out log-loss."""
        from ..display import html, number

        rows = [[name, f"{lam:.4g}", number(self.mean[i]), number(self.se[i])]
                for name, lam in (("lambda_min", self.lambda_min),
                                  ("lambda_1se", self.lambda_1se))
                for i in [int(np.flatnonzero(self.lambdas == lam)[0])]]  # fmt: skip
        return html("cv.html", cv=self, rows=rows)


def passes_words(passes: int, sample_reads: int) -> str:
    """The reads of every row, and those of a Hessian's sample of rows alone, which cost a
    fraction of a pass: "6 passes", or "5 passes and 1 sample read"."""
    words = f"{passes:,} passes"
    if sample_reads:
        words += f" and {sample_reads:,} sample read{'s' if sample_reads > 1 else ''}"
    return words


def check_penalty(lam: object, l1_ratio: object) -> tuple[float, float]:
    """lam >= 0 and l1_ratio in [0, 1], as floats (ConfigError otherwise)."""
    lam = check_float("lambda", lam)
    if lam < 0:
        raise ConfigError(f"lambda must be 0 or more, got {lam:g}")
    return lam, check_l1_ratio(l1_ratio)


class Problem:
    """The rows of one penalized fit and the map to standardized coordinates. What
    penalized.solve asks of it are sums over the rows (pass_sums); the rest (the columns'
    standardization, the start, turning sums into the loss and gradient) serves a problem
    whose rows are elsewhere too (stats.sharded.ShardedProblem)."""

    #: a Hessian asked at the last pass's point reads its sample's rows alone (in memory;
    #: shares are read whole whatever is summed of them)
    reads_sample_alone = True

    def __init__(self, X: object, y: object, *, weights: object = None, trials: object = None
                 ) -> None:  # fmt: skip
        """y holds 0/1, or with `trials` each row's successes; `weights` are frequency
        weights (mle.Counts: each row counts as that many rows, so the mean log-loss, the
        columns' means and SDs are the expanded rows')."""
        with one_blas_thread():  # its check's BLAS sum would leave threads spinning
            self.features = np.ascontiguousarray(design_array(X), dtype=np.float64)
        n, d = self.features.shape
        labels = label_array(y, n) if trials is None else count_array(y, n, "y")
        self.count = Counts.of(labels, weights, trials)
        self.labels, self.trials, self.total = self.count.s, self.count.m, self.count.total
        self.successes, self.row_count = self.count.successes, n
        sums, squares, successes = np.zeros(d), np.zeros(d), np.zeros(d)
        compiled = fused_available() and n >= COMPILED_ROWS
        for rows in self._calls():
            m = None if self.trials is None else self.trials[rows]
            part, part_squares, part_successes = column_sums(self.features[rows], m, compiled,
                                                             self.labels[rows])  # fmt: skip
            sums += part
            squares += part_squares
            successes += part_successes
        self.standardize(sums, squares, successes)

    def standardize(self, sums: np.ndarray, squares: np.ndarray, successes_x: np.ndarray
                    ) -> None:  # fmt: skip
        """The columns' means, population SDs and the map T from the sums of m x, m x^2 and
        s x over every row (column_sums), `total` and `successes` being set; no pass yet,
        the intercept-only fit's loss and gradient kept as the last pass's (start_at_null)."""
        if self.total <= 0:
            raise DataError("a penalized fit needs at least one row")
        mean = sums / self.total
        sd = np.sqrt(np.maximum(squares / self.total - mean**2, 0.0))
        #: columns of no spread keep their coefficient at 0 (glmnet's rule)
        self.free = np.concatenate([[True], sd > 0])
        sd = np.where(sd > 0, sd, 1.0)
        self.mean, self.scale = mean, sd
        d = len(mean)
        self.to_original = np.eye(d + 1)
        self.to_original[0, 1:] = -mean / sd
        self.to_original[1:, 1:] = np.diag(1.0 / sd)
        #: passes read every row; sample_reads a Hessian's sample of rows alone
        self.passes = self.sample_reads = self.hessians = 0
        self.last: tuple[np.ndarray, tuple[float, np.ndarray]] | None = None
        self.kept: tuple[np.ndarray, np.ndarray] | None = None
        self.start_at_null(successes_x)

    def _calls(self, stride: int = 1) -> Iterator[slice]:
        """The rows of each call of a pass (call_rows)."""
        n, d = self.features.shape
        rows = call_rows(stride, d)
        return (slice(start, start + rows) for start in range(0, n, rows))

    def rows(self, chosen: np.ndarray) -> Problem:
        """The problem of the rows `chosen` (a boolean mask: a fold's), standardized anew. A
        counted row stays a grouped row of its trials (weight w: w trials, w y successes, the
        same log-loss); rows of no trials are left out, as they count for nothing."""
        if self.trials is None:
            return Problem(self.features[chosen], self.labels[chosen])
        chosen = chosen & (self.trials > 0)
        return Problem(self.features[chosen], self.labels[chosen], trials=self.trials[chosen])

    def log_loss(self, params: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, float]:
        """The mean log-loss of original-scale `params` (one row per fit, intercept first)
        over the rows `chosen` as counted (sum m log(1 + e^eta) - s eta over the sum of their
        trials), and that sum (DataError when it is 0: a fold of no rows to score)."""
        eta = self.features[chosen] @ params[:, 1:].T + params[:, 0]
        m = np.ones(len(eta)) if self.trials is None else self.trials[chosen]
        total = float(m.sum())
        if total == 0:
            raise DataError("a fold holds no row of nonzero weight to score: use fewer folds")
        return (m @ np.logaddexp(0.0, eta) - self.labels[chosen] @ eta) / total, total

    def standardized(self, params: np.ndarray) -> np.ndarray:
        """Original-scale params (intercept first) in standardized coordinates."""
        return np.linalg.solve(self.to_original, params)

    def sums(
        self, theta: np.ndarray, columns: np.ndarray | None = None, stride: int = 1
    ) -> tuple[float, np.ndarray]:
        """The mean log-loss at standardized theta and its gradient, from one pass over the
        rows (pass_sums: n d products); the last point's are kept, as a path's next lambda
        starts where the last one ended.

        With `columns` (sorted indices, 0 the intercept's) the same pass sums the Hessian
        over them (n |S|^2 / 2 products), kept in `kept`: the rows centred and weighted by
        sqrt(m p (1 - p)), then a symmetric rank-k update by BLAS, in float32. The Hessian
        only shapes the steps; the point they converge to is where the float64 gradient
        meets the penalty, so float32 (twice the products a cycle, half the bytes) costs
        at most a slower last step, its rounding (~1e-6 relative) being far below the
        Hessian's own change between refreshes. With stride k it sums every k-th block of
        rows alone, a sample for steps far from the minimum (see sample_stride); at the last
        pass's point, whose loss and gradient are known, it reads those rows alone where
        reads_sample_alone (counted in sample_reads, not passes)."""
        known = self.last is not None and np.array_equal(self.last[0], theta)
        if columns is None and known:
            return self.last[1]
        coef = self.to_original @ theta
        raw = None if columns is None else columns[1:] - 1
        if known and stride > 1 and self.reads_sample_alone:
            self.sample_reads += 1
            information, sampled = self.sample_sums(coef, raw, stride)
        else:
            self.passes += 1
            loglik, score, information, sampled = self.pass_sums(coef, raw, stride)
            gradient = -(self.to_original.T @ score) / self.total
            self.last = (theta.copy(), (-loglik / self.total, gradient))
        if columns is not None:
            self.hessians += 1
            spread = np.r_[1.0, self.scale[raw]]
            self.kept = (columns, information / np.outer(spread, spread) / sampled)
        return self.last[1]

    def pass_sums(self, coef: np.ndarray, raw: np.ndarray | None, stride: int
                  ) -> tuple[float, np.ndarray, np.ndarray | None, float]:  # fmt: skip
        """block_sums over every row at original-scale `coef`, in calls of whole strides of
        blocks (_calls: a signal stops the pass between two), so that the gradient reads the
        rows the linear predictor has just brought into cache: the log-likelihood, the score
        and, over the raw columns `raw` (None: none), the information and its trials."""
        compiled = fused_available() and len(self.labels) >= COMPILED_ROWS
        loglik, score, information, sampled, scratch = 0.0, np.zeros(len(coef)), 0.0, 0.0, None
        for rows in self._calls(stride):
            m = None if self.trials is None else self.trials[rows]
            if raw is not None and scratch is None:
                sampled_rows = -(-(rows.stop - rows.start) // stride)
                scratch = np.empty((sampled_rows, len(raw) + 1), dtype=np.float32)
            part, part_score, part_information, part_sampled = block_sums(
                self.features[rows],
                self.labels[rows],
                m,
                coef,
                self.mean,
                raw,
                scratch,
                stride,
                compiled,
            )
            loglik += part
            score += part_score
            if raw is not None:
                information += part_information
                sampled += part_sampled
        return loglik, score, None if raw is None else information, sampled

    def sample_sums(self, coef: np.ndarray, raw: np.ndarray, stride: int
                    ) -> tuple[np.ndarray, float]:  # fmt: skip
        """The information over `raw` of every stride-th block of rows alone, and its trials:
        the blocks gathered by slices (np.concatenate), one block_sums."""
        blocks = [slice(start, start + ROWS) for start in range(0, len(self.labels), ROWS * stride)]
        x, y, m = (None if array is None else np.concatenate([array[b] for b in blocks])
                   for array in (self.features, self.labels, self.trials))  # fmt: skip
        _, _, information, sampled = block_sums(x, y, m, coef, self.mean, raw)
        return information, sampled

    def sample_stride(self) -> int:
        """Every how many blocks of rows a sampled Hessian takes, for SAMPLE_ROWS rows or
        more (its relative error, about sqrt(d / rows), is below what a step far from the
        minimum changes the Hessian by)."""
        return max(1, self.row_count // SAMPLE_ROWS)

    def kept_hessian(self, columns: np.ndarray) -> np.ndarray | None:
        """The last Hessian computed, over `columns` when they are among its own (a block of
        it), else None."""
        if self.kept is None:
            return None
        had, hessian = self.kept
        where = np.searchsorted(had, columns)
        if np.any(where >= len(had)) or np.any(had[np.minimum(where, len(had) - 1)] != columns):
            return None
        return hessian[np.ix_(where, where)]

    def null_theta(self) -> np.ndarray:
        """The intercept-only fit: every slope 0, the intercept the log-odds of the mean
        (DataError unless both classes are present)."""
        mean = self.successes / self.total
        if not 0.0 < mean < 1.0:
            raise DataError(f"every y is {mean:g}: a logistic regression needs both classes")
        theta = np.zeros(len(self.free))
        theta[0] = np.log(mean / (1.0 - mean))
        return theta

    def start_at_null(self, successes_x: np.ndarray) -> None:
        """Keep the intercept-only fit's loss and gradient as the last pass's, from the
        columns' moments and `successes_x`, their sums of s x (column_sums): there every row
        has the mean's p, so the score is X's - p X'm and a fit starts without a pass over
        the rows. Nothing is kept when one class alone is present (null_theta says so when
        a fit asks for it)."""
        successes = self.successes
        if not 0.0 < successes < self.total:
            return
        theta = self.null_theta()
        u = theta[0]
        e = math.exp(-abs(u))
        p = 1.0 / (1.0 + e) if u >= 0 else e / (1.0 + e)
        loglik = successes * u - self.total * (max(u, 0.0) + math.log1p(e))
        score = np.r_[successes - self.total * p, successes_x - p * self.total * self.mean]
        self.last = (theta, (-loglik / self.total, -(self.to_original.T @ score) / self.total))

    def null_gradient(self) -> np.ndarray:
        """The gradient at the intercept-only fit."""
        return self.sums(self.null_theta())[1]


def call_rows(stride: int, d: int) -> int:
    """The rows of one call of a pass over d columns: whole strides of ROWS-row blocks,
    about stopping.BLOCK_VALUES values (a signal is delivered between two calls); a pass
    over shares cuts its chunks there too, so that its sample takes the same blocks."""
    return ROWS * stride * per_block(ROWS * d * stride)


def block_sums(
    x: np.ndarray,
    y: np.ndarray,
    m: np.ndarray | None,
    coef: np.ndarray,
    mean: np.ndarray,
    columns: np.ndarray | None = None,
    scratch: np.ndarray | None = None,
    stride: int = 1,
    compiled: bool | None = None,
) -> tuple[float, np.ndarray, np.ndarray | None, float]:
    """What the rows x (raw columns, C order; y successes out of m trials, m None: one
    each) add to a pass's sums at original-scale `coef` (intercept first), so that a pass
    in memory and one over shares sum the same arithmetic: the log-likelihood, the score
    (intercept first, original coordinates) and, with `columns` (sorted indices into x's
    columns), the information over the intercept and those columns, in raw units (not yet
    divided by the SDs), the rows centred at `mean` (the columns' means, all d) and
    weighted by sqrt(m p (1 - p)), summed in float32 by BLAS (see Problem.sums), with the
    trials it was summed over (0.0 and None without `columns`). The information takes
    every `stride`-th block of ROWS rows from x's first (a sample, see sample_stride).
    `scratch`, float32 of at least the sampled rows x (len(columns) + 1), spares the
    allocation. compiled=None runs Numba's pass (stats.compiled_penalized) when it is
    installed and x has COMPILED_ROWS rows or more, False NumPy's loop; they agree to
    rounding. One call is one compiled call: a caller bounds its rows (Problem.sums)."""
    if compiled is None:
        compiled = fused_available() and len(x) >= COMPILED_ROWS
    firsts = range(0, len(x), ROWS)[::stride] if columns is not None else range(0)
    count = sum(min(ROWS, len(x) - first) for first in firsts)
    width = 0 if columns is None else len(columns) + 1
    if scratch is None:
        scratch = np.empty((count, width), dtype=np.float32)
    scaled = scratch[:count, :width]
    if compiled:
        loglik, score, information = _compiled_sums(x, y, m, coef, mean, columns, stride,
                                                    scaled)  # fmt: skip
    else:
        loglik, score = 0.0, np.zeros(len(coef))
        for start in range(0, len(x), ROWS):
            rows = slice(start, start + ROWS)
            place = None
            if start in firsts:
                at = firsts.index(start) * ROWS
                place = scaled[at : at + ROWS]
            part, part_score = _numpy_block(x[rows], y[rows], None if m is None else m[rows],
                                            coef, mean, columns, place)  # fmt: skip
            loglik += part
            score += part_score
        information = scaled.T @ scaled if columns is not None else None
    if columns is None:
        return loglik, score, None, 0.0
    sampled = count if m is None else sum(float(m[f : f + ROWS].sum()) for f in firsts)
    return loglik, score, information, float(sampled)


def column_sums(x: np.ndarray, m: np.ndarray | None = None, compiled: bool | None = None,
                s: np.ndarray | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
    """What the rows x (C order) add to the columns' moments: the sums of m x and of m x^2
    (m None: one each), whence the means and population SDs; with `s` (successes) also the
    sums of s x, whence the score at the intercept-only fit (Problem.start_at_null), in
    the same pass. compiled as block_sums'."""
    if compiled is None:
        compiled = fused_available() and len(x) >= COMPILED_ROWS
    if compiled:
        moments = _kernel("moments")
        x = np.ascontiguousarray(x)
        parts = _tasks(len(x), lambda lo, hi: moments(x, m, s, lo, hi))
        sums = tuple(np.sum([part[i] for part in parts], axis=0) for i in range(3))
        return sums if s is not None else sums[:2]
    sums, squares, successes = np.zeros(x.shape[1]), np.zeros(x.shape[1]), np.zeros(x.shape[1])
    for start in range(0, len(x), ROWS):  # blocks: no n x d temporary
        block = x[start : start + ROWS]
        weight = np.ones(len(block)) if m is None else m[start : start + ROWS]
        sums += weight @ block
        squares += weight @ (block * block)
        if s is not None:
            successes += s[start : start + ROWS] @ block
    return (sums, squares, successes) if s is not None else (sums, squares)


def _numpy_block(x: np.ndarray, y: np.ndarray, m: np.ndarray | None, coef: np.ndarray,
                 mean: np.ndarray, columns: np.ndarray | None, scaled: np.ndarray | None
                 ) -> tuple[float, np.ndarray]:  # fmt: skip
    """block_sums' arithmetic in NumPy for one block of rows: the log-likelihood and score,
    and the scaled rows written to `scaled` when it is given."""
    intercept, slopes = coef[0], coef[1:]
    eta = x @ slopes + intercept
    e = np.exp(-np.abs(eta))
    big = 1.0 / (1.0 + e)  # the larger of p and 1 - p
    small = e * big
    trials = 1.0 if m is None else m
    loglik = float(y @ eta - np.sum(trials * (np.maximum(eta, 0.0) + np.log1p(e))))
    r = y - trials * np.where(eta >= 0, big, small)
    score = np.empty(len(coef))
    score[0] = r.sum()
    score[1:] = r @ x
    if scaled is not None:
        root = np.sqrt(trials * big * small).astype(np.float32)
        scaled[:, 0] = root
        every = len(columns) == len(slopes)
        np.subtract(x if every else x[:, columns], mean[columns], out=scaled[:, 1:],
                    casting="same_kind")  # fmt: skip
        scaled[:, 1:] *= root[:, None]
    return loglik, score


def _compiled_sums(x: np.ndarray, y: np.ndarray, m: np.ndarray | None, coef: np.ndarray,
                   mean: np.ndarray, columns: np.ndarray | None, stride: int,
                   scaled: np.ndarray) -> tuple[float, np.ndarray, np.ndarray | None]:  # fmt: skip
    """block_sums' sums by the compiled kernel (_tasks): a task writes its sampled blocks'
    rows to its own rows of `scaled` and sums their information by BLAS on its thread."""
    kernel = _kernel("kernel")
    x = np.ascontiguousarray(x)
    hessian = columns is not None
    columns = np.empty(0, dtype=np.int64) if columns is None else columns.astype(np.int64)
    tile = math.gcd(TILE, ROWS)  # a tile within one block

    def task(lo: int, hi: int) -> tuple[float, np.ndarray, np.ndarray | None]:
        loglik, score = kernel(x, y, m, coef, mean, columns, scaled, lo, hi, ROWS, stride,
                               tile)  # fmt: skip
        if not hessian:
            return loglik, score, None
        first = -(-lo // ROWS // stride)  # the task's first sampled block, in samples
        mine = scaled[first * ROWS : -(-hi // (ROWS * stride)) * ROWS]
        return loglik, score, mine.T @ mine

    parts = _tasks(len(x), task)
    information = None
    if hessian:
        information = np.sum([part[2] for part in parts], axis=0, dtype=np.float64)
    return (math.fsum(part[0] for part in parts), np.sum([part[1] for part in parts], axis=0),
            information)  # fmt: skip


def _tasks(rows: int, work: Callable[[int, int], T]) -> list[T]:
    """work(lo, hi) over rows 0 .. rows - 1 in TASKS_A_THREAD tasks (whole blocks of ROWS
    rows) a thread, on as many threads as Numba is set to use (the compiled kernels release
    the GIL, and so does BLAS), so that a core slowed by other work does not hold up the
    call; the answers in the rows' order, whichever thread ran them, so their sum does not
    depend on it. BLAS keeps to one thread meanwhile: OpenBLAS' idle threads spin, and
    after one of its calls on both cores the tasks took twice as long. Signals are held
    (stopping.signals_held)."""
    from numba import get_num_threads  # loaded with the kernels

    threads = get_num_threads()
    step = ROWS * max(1, -(-rows // (ROWS * threads * TASKS_A_THREAD)))
    with signals_held(), one_blas_thread(), ThreadPoolExecutor(threads) as pool:
        # no rows: one empty task, so the sums keep their shapes
        firsts = range(0, max(rows, 1), step)
        return list(pool.map(lambda lo: work(lo, min(rows, lo + step)), firsts))


def one_blas_thread() -> AbstractContextManager:
    """BLAS on one thread within the block (threadpoolctl, which scikit-learn installs)."""
    return _blas().limit(limits=1, user_api="blas")


@cache
def _blas():  # -> threadpoolctl.ThreadpoolController
    """The BLAS libraries loaded (threadpoolctl looks them up once: ~10 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def penalty_value(theta: np.ndarray, lam: float, l1_ratio: float) -> float:
    """lam * ((1 - a) / 2 * sum b^2 + a * sum |b|) over the standardized coefficients."""
    b = theta[1:]
    return lam * ((1.0 - l1_ratio) / 2.0 * float(b @ b) + l1_ratio * float(np.abs(b).sum()))


def objective(
    X: object,
    y: object,
    params: object,
    lam: float,
    l1_ratio: float,
    *,
    weights: object = None,
    trials: object = None,
) -> float:
    """The objective at original-scale params (intercept first): for checks and benches."""
    problem = Problem(X, y, weights=weights, trials=trials)
    theta = problem.standardized(np.asarray(params, dtype=np.float64))
    return problem.sums(theta)[0] + penalty_value(theta, lam, l1_ratio)


def lambda_max(problem: Problem, l1_ratio: float) -> float:
    """The smallest lambda at which every coefficient is 0 (for a ridge, glmnet's value at
    a = RIDGE_ALPHA), raised by 1e-10 of itself so that the fit there is 0 in floating point
    too (its gradient is computed again at an intercept that differs by rounding)."""
    gradient = problem.null_gradient()[1:]
    return float(np.abs(gradient).max() / max(l1_ratio, RIDGE_ALPHA)) * (1.0 + 1e-10)


def default_lambdas(problem: Problem, l1_ratio: float, count: int = PATH_COUNT) -> np.ndarray:
    """glmnet's path: count lambdas from lambda_max down to lambda_max * 1e-4 (1e-2 when
    there are fewer rows than columns), evenly spaced in log lambda."""
    n, d = problem.features.shape
    top = lambda_max(problem, l1_ratio)
    ratio = SMALL_RATIO if n < d else PATH_RATIO
    return top * np.exp(np.linspace(0.0, np.log(ratio), count))


def solve(problem: Problem, lam: float, l1_ratio: float, start: np.ndarray | None = None,
          previous: float | None = None, max_iter: int = MAX_ITER) -> PenalizedFit:  # fmt: skip
    """Minimise the objective at one lambda from standardized `start` (None: the
    intercept-only fit, the solution at lambda_max, a Newton step or two nearer than all
    zero), `previous` the lambda `start` was fitted at (None: lambda_max from the null fit,
    else lam).

    Only candidate columns enter the quadratic model: those not zero at the start and those
    glmnet's sequential strong rule keeps (|gradient| >= a (2 lam - previous); Tibshirani et
    al. 2012); the KKT conditions checked on every column when the candidates have converged
    bring in any column the rule left out. The Hessian (n |S|^2 / 2 products, S the
    candidates) is summed again, in the pass at the next point, only after a step longer
    than FAR (a sample of rows: the Hessian there is another, and a sample's costs a
    fifteenth of a full one's at 10**6 rows), when a step needed halving, or when the old
    one's rate would take more than STALE_PASSES more steps; between, each step costs a
    gradient pass (n d): the
    model's minimum converges to the same point (where the gradient meets the penalty's
    subgradient), only its rate depends on the Hessian's age. The fit stops when the next
    step, at the last one's rate, would be below TOL: that last step is taken without a
    pass, its objective the quadratic model's (off by ~|H| |step|^3, far below rounding),
    so a path's next lambda starts from the last point summed."""
    a = l1_ratio
    theta = problem.null_theta() if start is None else np.where(problem.free, start, 0.0)
    if previous is None:
        previous = lambda_max(problem, a) if start is None else lam
    loss, gradient = problem.sums(theta)
    value = loss + penalty_value(theta, lam, a)
    active = problem.free & ((theta != 0.0) | (np.abs(gradient) >= a * (2.0 * lam - previous)))
    active[0] = True
    columns = np.flatnonzero(active)
    hessian = problem.kept_hessian(columns)
    converged, iterations, last_move = False, 0, math.inf
    while not converged and iterations < max_iter:
        iterations += 1
        if hessian is None:  # sampled at the null start, which is far from the minimum
            problem.sums(theta, columns, problem.sample_stride() if start is None else 1)
            hessian = problem.kept[1]
        step = np.zeros_like(theta)
        step[columns] = _model_minimum(hessian, gradient[columns], theta[columns], lam, a)
        step[columns] -= theta[columns]
        tol = TOL * max(1.0, float(np.abs(theta).max()))
        size = float(np.abs(step).max())
        missed = problem.free & ~active & (np.abs(gradient) > a * lam)
        if _passes_left(size, last_move, tol) <= 1 and not missed.any():
            # the last step (its successor is predicted below tol): taken on the model's
            # word, its loss the quadratic model's (off by ~|H| |step|^3), with no pass
            moving, penalty = step[columns], penalty_value(theta, lam, a)
            value += float(gradient[columns] @ moving + moving @ hessian @ moving / 2.0
                           + penalty_value(theta + step, lam, a) - penalty)  # fmt: skip
            theta, converged = theta + step, True
            break
        far = size > FAR
        fresh = far or (math.isfinite(last_move)
                        and _passes_left(size, last_move, tol) > STALE_PASSES)  # fmt: skip
        stride = problem.sample_stride() if far else 1
        for _ in range(HALVINGS):
            trial = theta + step
            loss, trial_gradient = problem.sums(trial, columns if fresh else None, stride)
            trial_value = loss + penalty_value(trial, lam, a)
            if trial_value <= value + 1e-15 * abs(value):
                break
            step, fresh = step / 2.0, True
        if fresh:
            hessian = problem.kept[1]
        moved = float(np.abs(trial - theta).max())
        theta, gradient, value = trial, trial_gradient, trial_value
        if _passes_left(moved, last_move, tol) <= 1:
            missed = problem.free & ~active & (np.abs(gradient) > a * lam)
            converged = not missed.any()
            if not converged:
                active |= missed
                columns, hessian, moved = np.flatnonzero(active), None, math.inf
        last_move = moved
    params = problem.to_original @ theta
    params[1:][~problem.free[1:]] = 0.0
    return PenalizedFit(params, lam, a, value, iterations, problem.passes, converged,
                        problem.hessians, problem.sample_reads)  # fmt: skip


def fit(X: object, y: object, lam: float, l1_ratio: float = 0.0, *,
        weights: object = None, trials: object = None) -> PenalizedFit:  # fmt: skip
    """Minimise the mean log-loss + lam * ((1 - a)/2 |b|^2 + a |b|_1) (see the module) over
    X (n x d, an intercept added) and y (0/1, or successes out of `trials`), each row
    counted `weights` times (frequency weights: the fit of the expanded rows)."""
    lam, l1_ratio = check_penalty(lam, l1_ratio)
    problem = Problem(X, y, weights=weights, trials=trials)
    problem.null_gradient()  # both classes present
    return solve(problem, lam, l1_ratio)


def fit_path(problem: Problem, lambdas: np.ndarray, l1_ratio: float) -> Path:
    """Fits at each of `lambdas` (decreasing), each started at the one before, with its
    Hessian when the candidate columns are among those it was computed over."""
    theta, previous, params, values = None, None, [], []
    for lam in lambdas:
        result = solve(problem, float(lam), l1_ratio, start=theta, previous=previous)
        theta, previous = problem.last[0], float(lam)  # its last point summed (sums kept)
        params.append(result.params)
        values.append(result.objective)
    return Path(np.asarray(lambdas, dtype=float), np.array(params), np.array(values),
                problem.passes, problem.hessians, problem.sample_reads)  # fmt: skip


def cross_validate(
    X: object,
    y: object,
    l1_ratio: float,
    *,
    folds: int = FOLDS,
    seed: int = 0,
    lambdas: np.ndarray | None = None,
    weights: object = None,
    trials: object = None,
) -> tuple[CrossValidation, Path]:
    """cv.glmnet: the path (default: glmnet's, from all the rows) fitted on the rows of all
    folds but one and scored by mean log-loss on that one, each in turn; rows go to folds by
    a permutation drawn from `seed`. Returns the curve and the path fitted on all rows.

    With `weights` or `trials` a row goes to one fold whole (a grouped or weighted row is not
    split), a fold's loss is its mean over the fold's trials, and the curve averages the
    folds weighted by their trials, as cv.glmnet does with weights."""
    _, l1_ratio = check_penalty(0.0, l1_ratio)
    problem = Problem(X, y, weights=weights, trials=trials)
    n = len(problem.labels)
    folds = check_int("folds", folds, 2, n)
    if lambdas is None:
        lambdas = default_lambdas(problem, l1_ratio)
    fold = np.random.default_rng(seed).permutation(n) % folds
    losses, sizes = np.empty((folds, len(lambdas))), np.empty(folds)
    for k in range(folds):
        part = problem.rows(fold != k)
        part.null_gradient()  # both classes present in the training rows
        losses[k], sizes[k] = problem.log_loss(fit_path(part, lambdas, l1_ratio).params,
                                               fold == k)  # fmt: skip
    weights = sizes / sizes.sum()
    mean = weights @ losses
    se = np.sqrt(weights @ (losses - mean) ** 2 / (folds - 1))
    best = int(np.argmin(mean))
    within = np.flatnonzero(mean <= mean[best] + se[best])
    lambdas = np.asarray(lambdas, dtype=float)
    curve = CrossValidation(lambdas, mean, se, float(lambdas[best]),
                            float(lambdas[within.min()]), folds, seed)  # fmt: skip
    return curve, fit_path(problem, lambdas, l1_ratio)


#: Why a penalized fit has no standard errors, intervals or p-values (the report says it).
NO_INFERENCE = (
    "no standard errors, z, p-values or intervals: the penalty biases the estimate toward 0 "
    "by an amount the Wald formula does not know, so (X'WX)^-1 would be a false precision"
)


@dataclass(frozen=True)
class PenalizedResult(MLEResult):
    """A penalized fit as a fit's result: `params` the estimate at `lam` (original scale),
    `loglik` the unpenalized log-likelihood there (so AIC and the like are the likelihood's,
    for what they are worth); se and cov are NaN (NO_INFERENCE). `penalty` names it (l2,
    l1, elasticnet), `objective` is its value, and with lambda chosen by cross-validation
    `cv` holds the curve and `path` the fits along it."""

    penalty: str = "l2"
    lam: float = math.nan
    l1_ratio: float = 0.0
    objective: float = math.nan
    passes: int = 0
    #: reads of a Hessian's sample of rows alone (PenalizedFit.sample_reads)
    sample_reads: int = 0
    #: The columns' population SDs: a slope times its SD is the standardized coefficient.
    scale: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    path: Path | None = field(default=None, repr=False)
    cv: CrossValidation | None = field(default=None, repr=False)

    method = "penalized"
    title = "Logistic regression: penalized maximum likelihood (glmnet's scaling)"

    @property
    def nonzero(self) -> int:
        """Coefficients (the intercept aside) that are not zero."""
        return int(np.count_nonzero(self.params[1:]))

    def coefficient_table(self, alpha: float | None = None) -> inference.Effects:
        """The estimates alone: the SE, z, p and interval columns are NaN (NO_INFERENCE)."""
        nan = np.full(len(self.params), np.nan)
        return inference.Effects(self.names, self.params, nan, nan, nan, nan, nan, "coef",
                                 1.0 - self.interval_alpha(alpha))  # fmt: skip

    def penalty_words(self) -> str:
        """The penalty and its lambda in words, how lambda was chosen included."""
        mix = {"l2": "", "l1": ""}.get(self.penalty, f", l1 ratio {self.l1_ratio:g}")
        chosen = ""
        if self.cv is not None:
            chosen = (f" (lambda_min of {self.cv.folds}-fold cross-validated log-loss, seed "
                      f"{self.cv.seed}; lambda_1se {self.cv.lambda_1se:.6g})")  # fmt: skip
        return f"{self.penalty} penalty{mix}, lambda {self.lam:.6g}{chosen}"

    def reading(self) -> str:
        """The fit in plain words: what the penalty kept, and why no inference."""
        kept = f"The {self.penalty_words()} keeps {self.nonzero} of {len(self.params) - 1} slopes"
        return f"{kept} (objective {self.objective:.6g}); {NO_INFERENCE}."

    def summary(self) -> str:
        """The coefficients, the objective, lambda and the nonzero count; no inference."""
        table = self.coefficient_table().table()
        width = len(table.splitlines()[0])
        return "\n".join([
            self.title.center(width), "=" * width,
            f"No. Observations: {self.nobs}; {self.penalty_words()}",
            f"Objective (mean log-loss + penalty, standardized columns): {self.objective:.10g}; "
            f"nonzero coefficients {self.nonzero} of {len(self.params) - 1}; converged: "
            f"{'yes' if self.converged else 'NO'} ({self.iterations} Newton steps, "
            f"{passes_words(self.passes, self.sample_reads)})",
            table, f"Penalized: {NO_INFERENCE}.",
        ])  # fmt: skip

    def __repr__(self) -> str:
        """One line, not the arrays: PenalizedResult(nobs=300, l1 penalty, lambda 0.02, 3 of
        6 slopes nonzero, params=[...], objective 0.5191, converged in 9 iterations)."""
        from ..display import newton_words, numbers

        return (f"PenalizedResult(nobs={self.nobs}, {self.penalty} penalty, lambda "
                f"{self.lam:.4g}, {self.nonzero} of {len(self.params) - 1} slopes nonzero, "
                f"params={numbers(self.params)}, objective {self.objective:.4g}, "
                f"{newton_words(self)})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the penalty, the objective and the estimates, no inference."""
        from ..display import html

        return html("penalized.html", mle=self, passes=passes_words(self.passes, self.sample_reads))


def fit_result(
    X: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...],
    penalty: str,
    lam: float | str,
    l1_ratio: float | None = None,
    *,
    folds: int = FOLDS,
    seed: int = 0,
    conf_level: float = 0.95,
    weights: object = None,
    trials: object = None,
) -> PenalizedResult:
    """A fit of a table (studies.fit): X without its intercept column, `names` its columns';
    lam a number, or "cv" for cv.glmnet's lambda_min on glmnet's path (folds drawn from
    `seed`). l1_ratio None: the penalty's (l2 0, l1 1, elasticnet 0.5). `weights` and
    `trials` count the rows as the MLE does (nobs, the likelihoods with R's binomial
    coefficients for grouped rows, the deviances)."""
    a = L1_RATIOS[penalty] if l1_ratio is None else l1_ratio
    problem = Problem(X, y, weights=weights, trials=trials)
    n, d = problem.features.shape  # checked before the passes, the paths of cv above all
    paths = check_int("folds", folds, 2, n) if lam == "cv" else 0
    budget.check(budget.penalized(n, d + 1, folds=paths), "this penalized fit")
    problem.null_gradient()  # both classes present
    count = problem.count
    curve = path = None
    if lam == "cv":
        curve, path = cross_validate(X, y, a, folds=folds, seed=seed, weights=weights,
                                     trials=trials)  # fmt: skip
        best = int(np.flatnonzero(path.lambdas == curve.lambda_min)[0])
        lam = curve.lambda_min
        result = solve(problem, lam, a, start=problem.standardized(path.params[best]))
    else:
        lam, a = check_penalty(lam, a)
        result = solve(problem, lam, a)
    fitted = np.empty(len(problem.labels))
    at = newton_pass(problem.features, problem.labels, result.params, True, fitted,
                     trials=problem.trials)  # fmt: skip
    k = len(result.params)
    return PenalizedResult(
        params=result.params, se=np.full(k, np.nan), cov=np.full((k, k), np.nan),
        loglik=at.loglik + count.binomial, converged=result.converged,
        iterations=result.iterations, nobs=count.nobs,
        names=(INTERCEPT, *check_names(names, k - 1)),
        llnull=null_loglik(count.total, count.successes / count.total) + count.binomial,
        fitted=fitted, labels=problem.labels, curvature=at.curvature, conf_level=conf_level,
        trials=np.empty(0) if count.m is None else count.m, llsat=count.saturated(),
        pearson_chi2=at.pearson, grouped=trials is not None,
        penalty=penalty, lam=float(lam), l1_ratio=a, objective=result.objective,
        passes=result.passes + (path.passes if path is not None else 0),
        sample_reads=result.sample_reads + (path.sample_reads if path is not None else 0),
        path=path, cv=curve,
        scale=np.where(problem.free[1:], problem.scale, 0.0),
    )  # fmt: skip


def _passes_left(move: float, last_move: float, tol: float) -> float:
    """Steps still needed, at the rate `move` shrank `last_move` (linear convergence, as
    with an old Hessian; a fresh one's is faster), until a step is below tol: 0 when
    `move` is, infinite when it did not shrink or is the first (no rate yet)."""
    if move <= tol:
        return 0.0
    if move >= last_move or math.isinf(last_move):
        return math.inf
    return math.log(tol / move) / math.log(move / last_move)


def _model_minimum(hessian: np.ndarray, gradient: np.ndarray, theta: np.ndarray, lam: float,
                   l1_ratio: float) -> np.ndarray:  # fmt: skip
    """The minimum of the quadratic model at theta (the candidate columns', intercept first)
    plus the penalty: a Newton step for a ridge, coordinate descent otherwise."""
    if l1_ratio == 0.0:
        ridge = np.full(len(theta), lam)
        ridge[0] = 0.0
        return np.linalg.solve(hessian + np.diag(ridge), hessian @ theta - gradient)
    return _descent()(hessian, gradient, theta.copy(), lam * l1_ratio, lam * (1.0 - l1_ratio),
                      INNER_TOL, MAX_SWEEPS)  # fmt: skip


def _coordinate_descent(hessian, gradient, v, l1, l2, tol, sweeps):
    """Cyclic coordinate descent on g'(v - v0) + 1/2 (v - v0)'H(v - v0) + penalty from v0 =
    v: q = g + H (v - v0) is kept up to date, each coordinate soft-thresholded in turn (the
    intercept, coordinate 0, is not penalized)."""
    k = len(v)
    q = gradient.copy()
    for _ in range(sweeps):
        biggest = 0.0
        for j in range(k):
            h = hessian[j, j]
            old = v[j]
            if j == 0:
                new = old - q[j] / h
            else:
                u = h * old - q[j]
                new = np.sign(u) * max(abs(u) - l1, 0.0) / (h + l2)
            change = new - old
            if change != 0.0:
                v[j] = new
                for i in range(k):
                    q[i] += hessian[i, j] * change
                biggest = max(biggest, abs(change))
        if biggest <= tol:
            break
    return v


@cache
def _kernel(name: str):  # -> a Numba dispatcher
    """stats.compiled_penalized's kernel or moments; numba is imported only here."""
    from . import compiled_penalized

    return getattr(compiled_penalized, name)


@cache
def _descent():  # -> the compiled coordinate descent, or the Python one
    """_coordinate_descent compiled by Numba when it is installed (imported only here)."""
    if not fused_available():
        return _coordinate_descent
    from numba import njit

    return njit(cache=True, nogil=True)(_coordinate_descent)


__all__ = [
    "CrossValidation",
    "Path",
    "PenalizedFit",
    "PenalizedResult",
    "Problem",
    "block_sums",
    "call_rows",
    "check_penalty",
    "column_sums",
    "cross_validate",
    "default_lambdas",
    "fit",
    "fit_path",
    "fit_result",
    "lambda_max",
    "objective",
    "passes_words",
    "solve",
]
