"""The maximum-likelihood fit on rows spread over workers, or streamed from disk by one.

Each Newton iteration every worker runs irls.newton_pass over its chunks and adds up the
sums; ONE Collective.sum of the packed vector [failed, loglik, score, upper(X'WX),
saturated, curvature] joins the workers: (d^2 + 3d)/2 + 3 numbers an iteration, however many
rows. Every worker then takes the same step (stats.mle's Newton loop, the same code as in
memory), so all hold the same coefficients. With one worker (Local) the same passes stream
a table larger than memory from disk, `chunk_rows` rows at a time.

What needs every row in one place is computed otherwise:
- the rank check reads the first pass's Gram matrix (as in memory);
- separation is named from the iterates, not by a linear program over all rows: rows whose
  probability reaches 0 or 1 while Newton's steps stop shrinking, the direction being the
  coefficient vector's. K classes: saturated rows while the steps stall for three
  iterations, or an information that cannot be inverted at the end, are refused as
  divergence naming the classes (multinomial.diverged); which class separates is not
  named, as that needs the linear program over every row;
- after convergence one more pass at the estimate gives the marginal effects' mean weight,
  the meat of a sandwich covariance (stats.sandwich: the hat values of HC2 and HC3 need
  only the bread, known by then), the classification table at 0.5 and a fine histogram of
  the fitted logits (HL_BINS bins on [-HL_LIMIT, HL_LIMIT]) from which Hosmer-Lemeshow
  groups rows by risk: the group edges are then exact to the bin width (exactly the
  in-memory test's when no bin holds rows of different fitted risk on both sides of an
  edge).

Rows that stand for many (weights or trials, yielded as (X, y, weights, trials)) are
counted as stats.mle counts them in memory (mle.Counts, chunk by chunk): each pass weighs
a row by its trials, and the last one adds the saturated log-likelihood, Pearson's
chi-squared and the binomial coefficients. K classes (fit_multinomial) sum the
multinomial pass's log-likelihood, score and block information the same way, and the
last pass the sums behind the average marginal effects (multinomial.margeff_sums), the
confusion matrix at the most probable class and the log-loss.

Firth's fit (fit_firth) is stats.firth's, its rows read through _Passes: every quantity of
its Newton step is a sum over rows once I^-1 is known, so an iteration is two passes (the
binary pass above; then, I^-1 on every worker, the hat values' sums), and its profiles'
clock is agreed by one more sum of each worker's verdict before each of their passes.

A penalized fit at one lambda (fit_penalized) is stats.penalized.solve's over a
ShardedProblem: its coordinate descent runs on the d x d Hessian, not the rows, so what it
asks of the rows are sums (the columns' moments once, then the mean log-loss, its gradient
and sometimes the candidate columns' Hessian), each a pass of penalized.block_sums.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from .. import budget
from ..config import L1_RATIOS, check_float, check_int
from ..data.checks import check_names
from ..data.separation import direction_text, separation
from ..engines.collective import collect, lost, raise_first
from ..errors import ConfigError, DataError, LogitlabError, SeparationError
from ..model import sigmoid
from ..result import INTERCEPT
from . import firth, inference, multinomial, penalized, sandwich
from .irls import SATURATED, Pass, newton_pass
from .mle import MAX_ITER, TOL, Counts, MLEResult, Newton, Progress, null_loglik

#: The fitted-logit histogram behind Hosmer-Lemeshow: bins of 60 / 16384 = 0.0037 in logit.
HL_BINS = 1 << 14
HL_LIMIT = 30.0
#: The log-loss's floor on a probability (scikit-learn's log_loss: float64's epsilon).
EPS = float(np.finfo(np.float64).eps)
#: For tests of a worker dying mid-fit, and only for them: "RANK:PASSES" makes worker RANK
#: leave with os._exit(9) after PASSES passes, as a killed process would.
FAIL_AFTER = "LOGITLAB_TEST_FAIL_AFTER_PASSES"

#: (X, y) chunks, or (X, y, weights, trials) of rows that stand for many (None: not given).
Batches = Callable[[], Iterable[tuple[np.ndarray | None, ...]]]


@dataclass(frozen=True, repr=False)  # MLEResult's short repr, not every array
class ShardedMLEResult(MLEResult):
    """An MLEResult whose per-row statistics come from sums over the workers' rows: the
    mean of p (1 - p) over the `total` trials (nobs without weights or trials), the
    classification table at 0.5, and the fitted-logit histogram (per bin: trials,
    successes, expected successes) instead of every row's fitted probability."""

    mean_weight: float = math.nan
    counts: np.ndarray = field(default_factory=lambda: np.zeros((2, 2)), repr=False)
    risk: np.ndarray = field(default_factory=lambda: np.zeros((HL_BINS, 3)), repr=False)
    total: float = math.nan

    def marginal_effects(self, alpha: float | None = None) -> inference.Effects:
        """Average marginal effects with delta-method standard errors, as in memory (the
        mean weight and curvature are sums over every worker's rows)."""
        return inference.marginal_effects(
            self.names,
            self.params,
            self.cov,
            self.mean_weight,
            self.curvature,
            self.total,
            self.intercept,
            self.interval_alpha(alpha),
        )

    def pred_table(self, threshold: float = 0.5) -> np.ndarray:
        """The 2 x 2 classification table at 0.5 (the only threshold counted on the shards)."""
        if check_float("threshold", threshold) != 0.5:
            raise ConfigError(
                f"a sharded fit counts its classification table at threshold 0.5 only, got "
                f"{threshold}"
            )
        return self.counts.copy()

    def hosmer_lemeshow(self, groups: int = 10) -> inference.HosmerLemeshow | None:
        """Hosmer-Lemeshow over `groups` groups of fitted risk, from the logit histogram;
        None when the fitted risks fall in fewer than 3 groups."""
        groups = check_int("groups", groups, 3)
        rows = self.risk[:, 0] > 0
        count, observed, expected = self.risk[rows].T
        value = expected / count  # a bin's mean fitted probability, increasing with the bin
        edges = inference.quantile_edges(value, count, groups)
        last = max(len(edges) - 2, 0)
        group = np.clip(np.searchsorted(edges, value, side="left") - 1, 0, last)
        return inference.grouped_hosmer_lemeshow(group, count, observed, expected)


def fit_sharded(
    batches: Batches,
    group: object,
    *,
    nobs: int,
    successes: int,
    names: tuple[str, ...],
    intercept: bool = True,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
    progress: Progress | None = None,
    cov_type: str = "nonrobust",
    total: int | None = None,
    grouped: bool = False,
) -> ShardedMLEResult:
    """The MLE of the rows that `batches()` yields on each worker of `group` (a Collective):
    (X, y) chunks, X float64 without the intercept column, or (X, y, weights, trials) of
    rows that stand for many (y then a row's successes with trials); nobs counts every
    worker's observations (weights included), total their trials (None: nobs) and
    successes the successes among them (data.shards.ShardedDesign has them); `grouped`
    says y counts successes of trials, whose binomial coefficients the likelihoods then
    include, as R's glm. Every worker gets the same result.
    SeparationError when the iterates show separation; a LogitlabError on one worker is
    raised on all; WorkerLost when a worker stops answering. `progress` as mle.fit's;
    `cov_type` a covariance of stats.sandwich.FORMULAS but cluster (ConfigError: the batches
    carry no cluster; studies.sharded.clustered sums the scores per cluster in a pass of its
    own)."""
    tol = check_float("tol", tol, positive=True)
    max_iter = check_int("max_iter", max_iter, 1)
    if cov_type not in sandwich.FORMULAS or cov_type == "cluster":
        raise ConfigError(f"a fit on shards computes the covariances "
                          f"{', '.join(t for t in sandwich.FORMULAS if t != 'cluster')}, "
                          f"got {cov_type!r}")  # fmt: skip
    names = _coefficients(names, intercept, nobs)
    total = nobs if total is None else total
    if successes in (0, total):  # the labels alone say so
        raise SeparationError(separation(np.zeros((1, 1)), np.array([successes / total]), names))
    passes = _Passes(batches, group, intercept, len(names))

    def separated(coef: np.ndarray, current: Pass) -> None:
        if current.saturated:
            raise SeparationError(_separation(coef, current.saturated, names))

    newton = Newton(passes, total, successes / total, intercept, names, separated,
                    progress=progress)  # fmt: skip
    fields = newton.fit(tol, max_iter)
    binomial, meat, rows = passes.row_fields(fields, cov_type, total, grouped)
    fields |= {"nobs": nobs, "loglik": fields["loglik"] + binomial,
               "llnull": fields["llnull"] + binomial}  # fmt: skip
    result = ShardedMLEResult(**fields, **rows)
    if meat is None:
        return result
    factor = sandwich.small_sample(cov_type, nobs, len(names))
    return result.with_cov(sandwich.sandwich(fields["cov"], meat, factor), cov_type)


def _coefficients(names: tuple[str, ...], intercept: bool, nobs: int) -> tuple[str, ...]:
    """Every coefficient's name, the intercept's first (DataError: fewer observations)."""
    names = ((INTERCEPT,) if intercept else ()) + tuple(names)
    if nobs < len(names):
        raise DataError(
            f"the table has {nobs} usable rows but the model has {len(names)} coefficients; "
            "need at least as many rows as coefficients"
        )
    return names


@dataclass(frozen=True, repr=False)  # MLEResult's short repr
class ShardedFirthResult(firth.FirthResult, ShardedMLEResult):
    """A Firth fit (stats.firth.FirthResult: its estimate, logistf's covariance, profile
    intervals and penalized p-values) whose per-row statistics come from sums over the
    workers' rows, as ShardedMLEResult's."""


def fit_firth(
    batches: Batches,
    group: object,
    *,
    nobs: int,
    successes: int,
    names: tuple[str, ...],
    intercept: bool = True,
    total: int | None = None,
    grouped: bool = False,
    conf_level: float = 0.95,
    profile: bool | None = None,
    max_iter: int = firth.MAX_ITER,
) -> ShardedFirthResult:
    """stats.firth.fit of the rows `batches()` yields on each worker of `group`, fed as
    fit_sharded's (weights and trials counted as in memory), with its profiles bounded by
    the same clock (a pass is refused on every worker once any is past it): the same
    numbers as in memory, to rounding. Each iteration is two passes of ONE Collective.sum
    each: [failed, l, X'(s - m p), upper(I), ...] at b, then (I^-1 known to every worker)
    [failed, X'(h (1/2 - p))]; logistf's covariance a third, [failed, upper(X' diag(p (1 - p)
    h) X)], at the estimate; every profile bound and logistf's null the same two passes a
    step; the last, fit_sharded's statistics pass. Every worker gets the same result."""
    conf_level, max_iter = firth.checked(conf_level, max_iter)
    names = _coefficients(names, intercept, nobs)
    total = nobs if total is None else total
    passes = _Passes(batches, group, intercept, len(names))
    fits = firth.Firth(passes, total, successes, intercept, names)

    def cost(count: int) -> budget.Estimate:  # the workers share each pass; no rows held
        seconds = budget.firth(nobs, len(names), passes=count, profiled=True).seconds
        return budget.Estimate(0.0, seconds / group.world)

    fields = fits.solve(conf_level, profile, max_iter, cost)
    binomial, _, rows = passes.row_fields(fields, "nonrobust", total, grouped)
    return ShardedFirthResult.made(fields, binomial, nobs=nobs, **rows)


@dataclass(frozen=True, repr=False)  # PenalizedResult's short repr
class ShardedPenalizedResult(penalized.PenalizedResult, ShardedMLEResult):
    """A penalized fit (stats.penalized.PenalizedResult: the estimate at lambda, the
    objective, no inference) whose per-row statistics come from sums over the workers'
    rows, as ShardedMLEResult's."""


class ShardedProblem(penalized.Problem):
    """penalized.Problem over the rows `batches()` yields on each worker of `group`: it
    supplies how a pass's sums are gathered (the columns' moments once; then the log-
    likelihood, score and the candidate columns' information at a point), each summed a
    worker's chunks at a time by penalized.block_sums and joined by ONE Collective.sum a
    pass; Problem turns them into the standardization, the loss and gradient. A chunk is
    cut where the in-memory pass cuts the table into calls (penalized.call_rows; the
    worker's first row being `offset`, of `rows` in all), and its first rows, when they
    begin mid-way through a stride of blocks, where that stride's sampled block ends, so
    that a sampled Hessian takes the in-memory pass's blocks of rows: the same steps to
    rounding. A Hessian at the last pass's point is a pass here (the shares are read whole),
    a sample read in memory. A call is compiled by block_sums' own rule (COMPILED_ROWS rows
    or more): a thread pool's start costs more than NumPy's loop on a small chunk."""

    reads_sample_alone = False

    def __init__(self, batches: Batches, group: object, *, d: int, offset: int, rows: int,
                 total: float, successes: float) -> None:  # fmt: skip
        """The d columns' weighted sums and squares from one pass of penalized.column_sums;
        `total` the trials and `successes` of every worker's rows."""
        self.batches, self.group, self.offset, self.row_count = batches, group, offset, rows
        self.total, self.successes = float(total), float(successes)

        def add(local: np.ndarray, start: int, x: np.ndarray, s: np.ndarray, m: np.ndarray | None
                ) -> None:  # fmt: skip
            sums, squares, successes = penalized.column_sums(x, m, s=s)
            local[1 : 1 + d] += sums
            local[1 + d : 1 + 2 * d] += squares
            local[1 + 2 * d :] += successes

        summed = _summed_over(group, 1 + 3 * d, self._blocks(penalized.call_rows(1, d)), add)
        self.standardize(summed[1 : 1 + d], summed[1 + d : 1 + 2 * d], summed[1 + 2 * d :])

    def pass_sums(self, coef: np.ndarray, raw: np.ndarray | None, stride: int
                  ) -> tuple[float, np.ndarray, np.ndarray | None, float]:  # fmt: skip
        """penalized.Problem.pass_sums over every worker's rows: one Collective.sum of
        [failed, loglik, score, upper(information), trials sampled]."""
        k, step = len(coef), penalized.ROWS * stride
        span = penalized.call_rows(stride, k - 1)
        scratch, upper = None, (np.empty(0, dtype=int),) * 2
        if raw is not None:
            upper = np.triu_indices(len(raw) + 1)
            scratch = np.empty((span // stride, len(raw) + 1), dtype=np.float32)

        def add(local: np.ndarray, start: int, x: np.ndarray, s: np.ndarray, m: np.ndarray | None
                ) -> None:  # fmt: skip
            # rows that begin mid-way through a stride: the rest of its sampled block, the
            # rest of the stride unsampled, then whole strides from the next one's start
            lead = 0 if raw is None else min(-start % step, len(x))
            head = min(max(penalized.ROWS - start % step, 0), lead)
            for i, j, chosen, every in ((0, head, raw, 1), (head, lead, None, 1),
                                        (lead, len(x), raw, stride)):  # fmt: skip
                if i == j:
                    continue
                loglik, score, information, sampled = penalized.block_sums(
                    x[i:j], s[i:j], None if m is None else m[i:j], coef, self.mean, chosen,
                    scratch, every,
                )  # fmt: skip
                local[1] += loglik
                local[2 : 2 + k] += score
                if information is not None:
                    local[2 + k : -1] += information[upper]
                    local[-1] += sampled

        summed = _summed_over(self.group, 3 + k + len(upper[0]), self._blocks(span), add)
        information = None
        if raw is not None:
            information = np.zeros((len(raw) + 1,) * 2)
            information[upper] = summed[2 + k : -1]
            information = np.triu(information) + np.triu(information, 1).T
        return summed[1], summed[2 : 2 + k], information, summed[-1]

    def _blocks(self, size: int) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]]:
        """(the table's index of its first row, x, successes, trials or None) of this
        worker's rows, each chunk cut at the table's multiples of `size`; chunks whose
        weights are all 0 add nothing and are skipped (their rows still counted)."""
        position = self.offset
        for x, y, *counted in self.batches():
            count, n = _counts(y, counted), len(y)
            if count is not None:
                cuts = [0, *range(size - position % size, n, size), n]
                for i, j in pairwise(cuts):
                    m = None if count.m is None else count.m[i:j]
                    yield position + i, x[i:j], count.s[i:j], m
            position += n


def fit_penalized(
    batches: Batches,
    group: object,
    *,
    nobs: int,
    successes: int,
    names: tuple[str, ...],
    penalty: str,
    lam: float,
    rows_per_worker: tuple[int, ...],
    l1_ratio: float | None = None,
    intercept: bool = True,
    total: int | None = None,
    grouped: bool = False,
    conf_level: float = 0.95,
) -> ShardedPenalizedResult:
    """stats.penalized.fit_result at one lambda of the rows `batches()` yields on each worker
    of `group`, fed as fit_sharded's (weights and trials counted as in memory; `intercept`
    True, which the penalty leaves free: ConfigError otherwise); `rows_per_worker` the rows
    each worker's batches yield, in rank order (data.shards.ShardedDesign has them);
    l1_ratio None: the penalty's. The passes: the columns' moments, penalized.solve's
    (ShardedProblem), the pass at the estimate (its log-likelihood, as in memory) and
    fit_sharded's statistics pass. Every worker gets the same result."""
    if not intercept:
        raise ConfigError("a penalized fit leaves the intercept free: the model needs one")
    a = L1_RATIOS[penalty] if l1_ratio is None else l1_ratio
    lam, a = penalized.check_penalty(lam, a)
    names = (INTERCEPT, *check_names(names, len(names)))
    total = nobs if total is None else total
    problem = ShardedProblem(batches, group, d=len(names) - 1,
                             offset=sum(rows_per_worker[: group.rank]),
                             rows=sum(rows_per_worker), total=total,
                             successes=successes)  # fmt: skip
    problem.null_gradient()  # both classes present
    fit = penalized.solve(problem, lam, a)
    k = len(fit.params)
    nan = {"se": np.full(k, np.nan), "cov": np.full((k, k), np.nan)}
    passes = _Passes(batches, group, True, k)
    at = passes(fit.params)
    binomial, _, rows = passes.row_fields({"params": fit.params, **nan}, "nonrobust", total,
                                          grouped)  # fmt: skip
    return ShardedPenalizedResult(
        params=fit.params, **nan, loglik=at.loglik + binomial, converged=fit.converged,
        iterations=fit.iterations, nobs=nobs, names=names,
        llnull=null_loglik(total, successes / total) + binomial, curvature=at.curvature,
        conf_level=conf_level, penalty=penalty, lam=lam, l1_ratio=a, objective=fit.objective,
        passes=fit.passes, sample_reads=fit.sample_reads,
        scale=np.where(problem.free[1:], problem.scale, 0.0), **rows,
    )  # fmt: skip


class _Passes:
    """The pass at coef over every worker's rows: local sums, then one Collective.sum; and
    for stats.firth (a Rows), the pass of the hat values' sums and the deadline agreed."""

    def __init__(self, batches: Batches, group: object, intercept: bool, k: int) -> None:
        self.batches, self.group, self.intercept, self.k = batches, group, intercept, k
        self.upper = np.triu_indices(k)
        self.count = 0
        hook = os.environ.get(FAIL_AFTER, "")
        rank, _, after = hook.partition(":")
        self.fail_after = int(after) if hook and int(rank) == group.rank else 0

    def __call__(self, coef: np.ndarray) -> Pass:
        k, upper = self.k, self.upper
        self.count += 1
        if self.count == self.fail_after:
            os._exit(9)

        def add(
            local: np.ndarray, x: np.ndarray, y: np.ndarray, counted: list, count: Counts
        ) -> None:
            part = newton_pass(x, count.s, coef, self.intercept, trials=count.m)
            local[1:] += np.concatenate(
                ([part.loglik], part.score, part.info[upper], [part.saturated], part.curvature)
            )

        total = self._summed(3 + 2 * k + len(upper[0]), add)
        info = np.zeros((k, k))
        info[upper] = total[2 + k : 2 + k + len(upper[0])]
        info = np.triu(info) + np.triu(info, 1).T
        saturated = round(total[2 + k + len(upper[0])])
        return Pass(float(total[1]), total[2 : 2 + k], info, saturated, total[-k:])

    def newton(self, coef: np.ndarray) -> Pass:
        return self(coef)

    def hats(
        self, coef: np.ndarray, cov: np.ndarray, info: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """stats.firth.hat_sums over every worker's rows, p computed from coef."""
        k, upper = self.k, self.upper

        def add(
            local: np.ndarray, x: np.ndarray, y: np.ndarray, counted: list, count: Counts
        ) -> None:
            design = sandwich.design_block(x, self.intercept)
            extra, more = firth.hat_sums(design, sigmoid(design @ coef), cov, count.m, info)
            local[1 : 1 + k] += extra
            if info:
                local[1 + k :] += more[upper]

        total = self._summed(1 + k + (len(upper[0]) if info else 0), add)
        if not info:
            return total[1 : 1 + k], None
        added = np.zeros((k, k))
        added[upper] = total[1 + k :]
        return total[1 : 1 + k], np.triu(added) + np.triu(added, 1).T

    def late(self, mine: bool) -> bool:
        """Whether any worker is past the deadline: one Collective.sum of each one's verdict."""
        return bool(_summed(self.group, np.array([0.0, float(mine)]), None)[1] > 0)

    def statistics(
        self, coef: np.ndarray, bread: np.ndarray, cov_type: str
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """One pass at the estimate: sum m p (1 - p), the table at 0.5, the logit
        histogram, the meat of cov_type's sandwich (stats.sandwich.row_meat; None:
        nonrobust), and the sums of the binomial coefficients, the saturated
        log-likelihood and Pearson's chi-squared (mle.Counts' in memory)."""
        b0, b = (coef[0], coef[1:]) if self.intercept else (0.0, coef)
        size, robust = 9 + 3 * HL_BINS, cov_type != "nonrobust"

        def add(
            local: np.ndarray, x: np.ndarray, y: np.ndarray, counted: list, count: Counts
        ) -> None:
            eta = x @ b + b0
            p = sigmoid(eta)
            m = np.ones(len(p)) if count.m is None else count.m
            local[1] += float(np.sum(m * p * (1.0 - p)))
            local[2:6] += inference.pred_table(count.s, p, 0.5, count.m).ravel()
            scaled = (eta + HL_LIMIT) * (HL_BINS / (2.0 * HL_LIMIT))
            bins = np.clip(scaled, 0, HL_BINS - 1).astype(np.int64)
            for j, weights in enumerate((m, count.s, m * p)):
                local[6 + j * HL_BINS : 6 + (j + 1) * HL_BINS] += np.bincount(
                    bins, weights=weights, minlength=HL_BINS
                )
            local[size - 3 : size] += (count.binomial, count.saturated(), count.pearson(p))
            if robust:
                meat = sandwich.row_meat(x, y, p, self.intercept, cov_type, bread, *counted)
                local[size:] += meat[self.upper]

        total = self._summed(size + robust * len(self.upper[0]), add)
        meat = None
        if robust:
            meat = np.zeros((self.k, self.k))
            meat[self.upper] = total[size:]
            meat = np.triu(meat) + np.triu(meat, 1).T
        risk = total[6 : size - 3].reshape(3, HL_BINS).T
        return float(total[1]), total[2:6].reshape(2, 2), risk, meat, total[size - 3 : size]

    def row_fields(
        self, fields: dict[str, Any], cov_type: str, total: int, grouped: bool
    ) -> tuple[float, np.ndarray | None, dict[str, Any]]:
        """The statistics pass at a fit's estimate (fields' params and cov), for fit_sharded
        and fit_firth alike: the sum of the binomial coefficients, cov_type's meat, and the
        ShardedMLEResult fields that come from per-row sums."""
        last = self.statistics(fields["params"], fields["cov"], cov_type)
        mean_weight, counts, risk, meat, (binomial, llsat, pearson) = last
        rows = {"mean_weight": mean_weight / total, "counts": counts, "risk": risk,
                "total": float(total), "llsat": llsat, "pearson_chi2": pearson,
                "grouped": grouped}  # fmt: skip
        return binomial, meat, rows

    def _summed(self, size: int, add: Callable[..., None]) -> np.ndarray:
        """_summed_over this worker's chunks that hold any rows: add(local, x, y, [weights,
        trials] or [], their Counts)."""

        def chunks() -> Iterator[tuple[np.ndarray, np.ndarray, list, Counts]]:
            for x, y, *counted in self.batches():
                count = _counts(y, counted)
                if count is not None:
                    yield x, y, counted, count

        return _summed_over(self.group, size, chunks(), add)


def _summed_over(
    group: Any, size: int, chunks: Iterable[tuple], add: Callable[..., None]
) -> np.ndarray:
    """Every worker's sums of add(local, *chunk) over its chunks (local of `size`, slot 0
    left for a failure), by one Collective.sum (_summed): a LogitlabError while reading or
    summing is raised on every worker."""
    local, failure = np.zeros(size), None
    try:
        for chunk in chunks:
            add(local, *chunk)
    except LogitlabError as exc:
        local[:], failure = 0.0, (type(exc).__name__, str(exc))
        local[0] = 1.0
    return _summed(group, local, failure)


def _summed(group: Any, local: np.ndarray, failure: tuple[str, str] | None) -> np.ndarray:
    """Collective.sum; when a worker failed (slot 0), every worker raises its error."""
    try:
        total = group.sum(local)
    except RuntimeError as exc:  # gloo: a peer closed the connection or timed out
        raise lost(group, exc) from None
    if total[0] > 0:
        raise_first(group, collect(group, failure))
    return total


def _counts(y: np.ndarray, counted: list[np.ndarray | None]) -> Counts | None:
    """A chunk's successes and trials as mle.Counts makes them in memory (counted: its
    [weights, trials], or none); None for a chunk whose weights are all 0, which adds
    nothing to any sum."""
    if not counted:
        return Counts.of(y, None, None)
    weights, trials = counted
    if weights is not None and not weights.any():
        return None
    return Counts.of(y, weights, trials)


def _separation(coef: np.ndarray, saturated: int, names: tuple[str, ...]) -> str:
    """Separation as the iterates show it: saturated rows, and the coefficients' direction."""
    terms = direction_text(coef, names, 1e-3)
    return (
        f"separation: Newton's steps stopped shrinking while {saturated:,} rows have fitted "
        f"probabilities within {SATURATED:g} of 0 or 1, the coefficients growing along "
        f"{terms}; the likelihood keeps rising as they grow and the maximum-likelihood "
        "estimate does not exist"
    )


@dataclass(frozen=True, repr=False)  # MNLogitResult's short repr
class ShardedMNLogitResult(multinomial.MNLogitResult):
    """An MNLogitResult whose per-row parts are sums over the workers' rows: the average
    marginal effects and their standard errors (margeff), the confusion matrix at the most
    probable class (rows the actual class, columns the predicted, in `classes` order) and
    the summed log-loss, instead of every row's probabilities and design."""

    effects: tuple[np.ndarray, np.ndarray] = field(default=(), repr=False)
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    log_loss: float = math.nan

    def margeff(self) -> tuple[np.ndarray, np.ndarray]:
        """The average marginal effects and their delta-method standard errors, as
        MNLogitResult.margeff gives them, from the sums over every worker's rows."""
        return self.effects[0].copy(), self.effects[1].copy()


def fit_multinomial(
    batches: Batches,
    group: object,
    *,
    classes: tuple[Any, ...],
    counts: tuple[int, ...],
    baseline: Any,
    names: tuple[str, ...],
    intercept: bool = True,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
    conf_level: float = 0.95,
) -> ShardedMNLogitResult:
    """The multinomial MLE (stats.multinomial.fit's) of the (X, y) chunks `batches()` yields
    on each worker of `group`: y each row's class as its position in `classes` (sorted),
    `counts` every worker's rows per class. Each Newton iteration is one pass of
    multinomial.newton_pass over the chunks and ONE Collective.sum of [failed, loglik,
    score, upper(information), saturated]; the steps are multinomial.newton's. Every worker
    gets the same result; SeparationError when the iterates diverge."""
    tol = check_float("tol", tol, positive=True)
    max_iter = check_int("max_iter", max_iter, 1)
    names = ((INTERCEPT,) if intercept else ()) + tuple(names)
    order = multinomial.class_columns(classes, baseline)  # the fit's order: baseline first
    recode = np.empty(len(classes), dtype=np.int64)
    recode[order] = np.arange(len(classes))
    d, J, n = len(names), len(classes) - 1, sum(counts)
    if n < d * J:
        raise DataError(f"the table has {n} usable rows but the model has {d * J} "
                        "coefficients; need at least as many rows as coefficients")  # fmt: skip
    upper = np.triu_indices(d * J)

    def chunks() -> Iterable[tuple[np.ndarray, np.ndarray]]:
        for x, y in batches():
            yield sandwich.design_block(x, intercept), recode[y.astype(np.int64)]

    def at(params: np.ndarray) -> multinomial.Pass:
        def add(local: np.ndarray, design: np.ndarray, codes: np.ndarray) -> None:
            part = multinomial.newton_pass(design, codes, params)
            local[1:] += np.concatenate(([part.loglik], part.score.ravel(order="F"),
                                         part.info[upper], [part.saturated]))  # fmt: skip

        total = _summed_over(group, 3 + d * J + len(upper[0]), chunks(), add)
        info = np.zeros((d * J, d * J))
        info[upper] = total[2 + d * J : -1]
        info = np.triu(info) + np.triu(info, 1).T
        score = total[2 : 2 + d * J].reshape((d, J), order="F")
        return multinomial.Pass(float(total[1]), score, info, round(total[-1]))

    fitted = np.asarray(counts, dtype=float)[order]
    params = np.zeros((d, J))
    if intercept:  # start from the intercept-only MLE, as in memory
        params[0] = np.log(fitted[1:] / fitted[0])
    params, last, converged, iterations = multinomial.newton(
        at, params, tol, max_iter, classes, lambda: None
    )
    try:
        cov = np.linalg.inv(last.info)
    except np.linalg.LinAlgError:
        raise SeparationError(multinomial.diverged(classes)) from None
    K = J + 1

    def add(local: np.ndarray, design: np.ndarray, codes: np.ndarray) -> None:
        p = multinomial.probabilities(design, params)
        ame, jac = multinomial.margeff_sums(design, p, params)
        table = np.bincount(codes * K + p.argmax(axis=1), minlength=K * K)
        chosen = np.clip(p[np.arange(len(p)), codes], EPS, None)  # scikit-learn's clip
        local[1:] += np.concatenate(([-np.sum(np.log(chosen))], ame.ravel(), jac.ravel(),
                                     table))  # fmt: skip

    total = _summed_over(group, 2 + K * d + K * d * J * d + K * K, chunks(), add)
    ame = total[2 : 2 + K * d].reshape(K, d)
    jac = total[2 + K * d : -K * K].reshape(K, d, J, d)
    confusion = np.empty((K, K))
    confusion[np.ix_(order, order)] = total[-K * K :].reshape(K, K)  # classes order
    llnull = float(np.sum(fitted * np.log(fitted / n)))
    effects = multinomial.margeff_from_sums(ame, jac, n, cov, intercept, order)
    return ShardedMNLogitResult(
        params, cov, last.loglik, llnull, converged, iterations, n, names, classes, baseline,
        intercept, conf_level, effects=effects, confusion=confusion.astype(np.int64),
        log_loss=float(total[1]) / n,
    )  # fmt: skip


def moments(x: np.ndarray, group: object) -> tuple[np.ndarray, np.ndarray]:
    """The mean and (population) standard deviation of x's columns over every worker's
    rows (x: this worker's n_local x d, n_local may be 0): two sums, the second about the
    agreed mean, so no cancellation."""
    d = x.shape[1]
    first = group.sum(np.concatenate(([len(x)], x.sum(axis=0))))
    mean = first[1:] / first[0]
    spread = group.sum(((x - mean) ** 2).sum(axis=0) if len(x) else np.zeros(d))
    return mean, np.sqrt(spread / first[0])


__all__ = ["FAIL_AFTER", "HL_BINS", "HL_LIMIT", "ShardedFirthResult", "ShardedMLEResult",
           "ShardedMNLogitResult", "ShardedPenalizedResult", "ShardedProblem", "fit_firth",
           "fit_multinomial", "fit_penalized", "fit_sharded", "moments"]  # fmt: skip
