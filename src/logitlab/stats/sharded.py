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
  coefficient vector's;
- after convergence one more pass at the estimate gives the marginal effects' mean weight,
  the meat of a sandwich covariance (stats.sandwich: the hat values of HC2 and HC3 need
  only the bread, known by then), the classification table at 0.5 and a fine histogram of
  the fitted logits (HL_BINS bins on [-HL_LIMIT, HL_LIMIT]) from which Hosmer-Lemeshow
  groups rows by risk: the group edges are then exact to the bin width (exactly the
  in-memory test's when no bin holds rows of different fitted risk on both sides of an
  edge).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ..config import check_float, check_int
from ..data.separation import direction_text, separation
from ..engines.collective import collect, lost, raise_first
from ..errors import ConfigError, DataError, LogitlabError, SeparationError
from ..model import sigmoid
from ..result import INTERCEPT
from . import inference, sandwich
from .irls import SATURATED, Pass, newton_pass
from .mle import MAX_ITER, TOL, MLEResult, Newton, Progress

#: The fitted-logit histogram behind Hosmer-Lemeshow: bins of 60 / 16384 = 0.0037 in logit.
HL_BINS = 1 << 14
HL_LIMIT = 30.0
#: For tests of a worker dying mid-fit, and only for them: "RANK:PASSES" makes worker RANK
#: leave with os._exit(9) after PASSES passes, as a killed process would.
FAIL_AFTER = "LOGITLAB_TEST_FAIL_AFTER_PASSES"

Batches = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]


@dataclass(frozen=True, repr=False)  # MLEResult's short repr, not every array
class ShardedMLEResult(MLEResult):
    """An MLEResult whose per-row statistics come from sums over the workers' rows: the
    mean of p (1 - p), the classification table at 0.5, and the fitted-logit histogram
    (per bin: rows, successes, sum of p) instead of every row's fitted probability."""

    mean_weight: float = math.nan
    counts: np.ndarray = field(default_factory=lambda: np.zeros((2, 2)), repr=False)
    risk: np.ndarray = field(default_factory=lambda: np.zeros((HL_BINS, 3)), repr=False)

    def marginal_effects(self, alpha: float | None = None) -> inference.Effects:
        """Average marginal effects with delta-method standard errors, as in memory (the
        mean weight and curvature are sums over every worker's rows)."""
        return inference.marginal_effects(
            self.names,
            self.params,
            self.cov,
            self.mean_weight,
            self.curvature,
            self.nobs,
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
) -> ShardedMLEResult:
    """The MLE of the rows that `batches()` yields on each worker of `group` (a Collective):
    (X, y) chunks, X float64 without the intercept column; nobs and successes count every
    worker's rows (data.shards.ShardedDesign has them). Every worker gets the same result.
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
    names = ((INTERCEPT,) if intercept else ()) + tuple(names)
    if nobs < len(names):
        raise DataError(
            f"the table has {nobs} usable rows but the model has {len(names)} coefficients; "
            "need at least as many rows as coefficients"
        )
    if successes in (0, nobs):  # the labels alone say so
        raise SeparationError(separation(np.zeros((1, 1)), np.array([successes / nobs]), names))
    passes = _Passes(batches, group, intercept, len(names))

    def separated(coef: np.ndarray, current: Pass) -> None:
        if current.saturated:
            raise SeparationError(_separation(coef, current.saturated, names))

    newton = Newton(passes, nobs, successes / nobs, intercept, names, separated,
                    progress=progress)  # fmt: skip
    fields = newton.fit(tol, max_iter)
    mean_weight, counts, risk, meat = passes.statistics(fields["params"], fields["cov"], cov_type)
    result = ShardedMLEResult(**fields, mean_weight=mean_weight / nobs, counts=counts, risk=risk)
    if meat is None:
        return result
    factor = sandwich.small_sample(cov_type, nobs, len(names))
    return result.with_cov(sandwich.sandwich(fields["cov"], meat, factor), cov_type)


class _Passes:
    """The pass at coef over every worker's rows: local sums, then one Collective.sum."""

    def __init__(self, batches: Batches, group: object, intercept: bool, k: int) -> None:
        self.batches, self.group, self.intercept, self.k = batches, group, intercept, k
        self.upper = np.triu_indices(k)
        self.count = 0
        hook = os.environ.get(FAIL_AFTER, "")
        rank, _, after = hook.partition(":")
        self.fail_after = int(after) if hook and int(rank) == group.rank else 0

    def __call__(self, coef: np.ndarray) -> Pass:
        k, upper = self.k, self.upper
        size = 3 + 2 * k + len(upper[0])
        local, failure = np.zeros(size), None
        try:
            for x, y in self.batches():
                part = newton_pass(x, y, coef, self.intercept)
                local[1:] += np.concatenate(
                    ([part.loglik], part.score, part.info[upper], [part.saturated],
                     part.curvature)
                )  # fmt: skip
        except LogitlabError as exc:
            local[:], failure = 0.0, (type(exc).__name__, str(exc))
            local[0] = 1.0
        self.count += 1
        if self.count == self.fail_after:
            os._exit(9)
        total = self._sum(local, failure)
        info = np.zeros((k, k))
        info[upper] = total[2 + k : 2 + k + len(upper[0])]
        info = np.triu(info) + np.triu(info, 1).T
        saturated = round(total[2 + k + len(upper[0])])
        return Pass(float(total[1]), total[2 : 2 + k], info, saturated, total[-k:])

    def statistics(
        self, coef: np.ndarray, bread: np.ndarray, cov_type: str
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray | None]:
        """One pass at the estimate: sum p (1 - p), the table at 0.5, the logit histogram,
        and the meat of cov_type's sandwich (stats.sandwich.row_meat; None: nonrobust)."""
        b0, b = (coef[0], coef[1:]) if self.intercept else (0.0, coef)
        size, robust = 6 + 3 * HL_BINS, cov_type != "nonrobust"
        local, failure = np.zeros(size + robust * len(self.upper[0])), None
        try:
            for x, y in self.batches():
                eta = x @ b + b0
                p = sigmoid(eta)
                local[1] += float(np.sum(p * (1.0 - p)))
                cell = 2 * y.astype(np.int64) + (p > 0.5)  # actual 0/1 x predicted 0/1
                local[2:6] += np.bincount(cell, minlength=4)
                scaled = (eta + HL_LIMIT) * (HL_BINS / (2.0 * HL_LIMIT))
                bins = np.clip(scaled, 0, HL_BINS - 1).astype(np.int64)
                for j, weights in enumerate((None, y, p)):
                    local[6 + j * HL_BINS : 6 + (j + 1) * HL_BINS] += np.bincount(
                        bins, weights=weights, minlength=HL_BINS
                    )
                if robust:
                    meat = sandwich.row_meat(x, y, p, self.intercept, cov_type, bread)
                    local[size:] += meat[self.upper]
        except LogitlabError as exc:
            local[:], failure = 0.0, (type(exc).__name__, str(exc))
            local[0] = 1.0
        total = self._sum(local, failure)
        meat = None
        if robust:
            meat = np.zeros((self.k, self.k))
            meat[self.upper] = total[size:]
            meat = np.triu(meat) + np.triu(meat, 1).T
        risk = total[6:size].reshape(3, HL_BINS).T
        return float(total[1]), total[2:6].reshape(2, 2), risk, meat

    def _sum(self, local: np.ndarray, failure: tuple[str, str] | None) -> np.ndarray:
        """Collective.sum; when a worker failed (slot 0), every worker raises its error."""
        try:
            total = self.group.sum(local)
        except RuntimeError as exc:  # gloo: a peer closed the connection or timed out
            raise lost(self.group, exc) from None
        if total[0] > 0:
            raise_first(self.group, collect(self.group, failure))
        return total


def _separation(coef: np.ndarray, saturated: int, names: tuple[str, ...]) -> str:
    """Separation as the iterates show it: saturated rows, and the coefficients' direction."""
    terms = direction_text(coef, names, 1e-3)
    return (
        f"separation: Newton's steps stopped shrinking while {saturated:,} rows have fitted "
        f"probabilities within {SATURATED:g} of 0 or 1, the coefficients growing along "
        f"{terms}; the likelihood keeps rising as they grow and the maximum-likelihood "
        "estimate does not exist"
    )


def moments(x: np.ndarray, group: object) -> tuple[np.ndarray, np.ndarray]:
    """The mean and (population) standard deviation of x's columns over every worker's
    rows (x: this worker's n_local x d, n_local may be 0): two sums, the second about the
    agreed mean, so no cancellation."""
    d = x.shape[1]
    first = group.sum(np.concatenate(([len(x)], x.sum(axis=0))))
    mean = first[1:] / first[0]
    spread = group.sum(((x - mean) ** 2).sum(axis=0) if len(x) else np.zeros(d))
    return mean, np.sqrt(spread / first[0])


__all__ = ["FAIL_AFTER", "HL_BINS", "HL_LIMIT", "ShardedMLEResult", "fit_sharded", "moments"]
