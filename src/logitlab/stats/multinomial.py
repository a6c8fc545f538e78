"""The multinomial (softmax) maximum-likelihood estimate: K classes, K - 1 linear predictors
each against a baseline class, fitted by Newton on all (K - 1) d coefficients at once, with
the inference statsmodels' MNLogit results give (its names work here too).

Why Newton on the block Hessian: the log-likelihood is concave in the stacked coefficients,
and one pass over the rows gives the gradient X'(Y - P) and every block X' diag(p_j (d_jl -
p_l)) X of the information, so the fit takes a handful of passes where a first-order method
takes hundreds. The binary fit (stats.mle) is the case K = 2: the same numbers.

The pass is compiled with Numba when it is installed (as stats.irls' binary pass), else a
NumPy loop; the start, the intercept-only MLE, needs no pass (null_pass), and Newton stops
when the step it would take is within tol, so a fit of k iterations (steps) reads the rows
k times. The features are read as given: the intercept's column of ones is implied in the
passes (not a copy of the n x d features), and their Gram matrix X'X, summed once, serves
both the column checks and the start's information.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache, partial
from typing import Any

import numpy as np

from .. import budget
from ..config import check_float, check_int
from ..data.checks import (
    check_columns,
    check_names,
    design_array,
    design_gram,
    sorted_values,
    value_text,
)
from ..data.separation import separation
from ..errors import DataError, SeparationError
from ..extras import fused_available
from ..result import INTERCEPT
from ..stopping import signals_held
from . import inference
from .irls import BLOCK, COMPILED_ROWS, GROUPS, SATURATED, calls
from .mle import HALVINGS, MAX_ITER, TOL
from .sandwich import design_block

#: Iterations in a row with saturated rows and steps that fail to halve before the
#: iterates are taken to diverge (as stats.mle.STALLED).
STALLED = 3


@dataclass(frozen=True)
class Pass:
    """The sums of one pass at coefficients B (d x J, J = K - 1 equations)."""

    loglik: float
    score: np.ndarray  # X'(Y - P), d x J
    info: np.ndarray  # the information, (J d) x (J d), equation-major blocks
    saturated: int  # rows with a probability within SATURATED of 0 or 1


def probabilities(design: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Softmax probabilities (n x K), the baseline class first, from the design (with its
    intercept column) and params (d x (K - 1)); computed from the largest logit down, so no
    exp overflows."""
    eta = np.column_stack((np.zeros(len(design)), design @ params))
    eta -= eta.max(axis=1, keepdims=True)
    p = np.exp(eta)
    p /= p.sum(axis=1, keepdims=True)
    return p


def class_columns(classes: Sequence[Any], baseline: Any) -> list[int]:
    """Where the baseline and each equation's class (the others, in `classes` order) stand
    in `classes`: the fit's own order puts the baseline first."""
    classes = list(classes)
    equations = [c for c in classes if c != baseline]
    return [classes.index(c) for c in (baseline, *equations)]


def class_probabilities(
    design: np.ndarray, params: np.ndarray, classes: Sequence[Any], baseline: Any
) -> np.ndarray:
    """probabilities() with one column per class in `classes` order, as predictions are
    shown (a saved model's too)."""
    p = probabilities(design, params)
    out = np.empty_like(p)
    out[:, class_columns(classes, baseline)] = p
    return out


def newton_pass(
    design: np.ndarray,
    codes: np.ndarray,
    params: np.ndarray,
    fitted: np.ndarray | None = None,
    compiled: bool | None = None,
    intercept: bool = False,
) -> Pass:
    """The log-likelihood, score and information at params, one pass over the rows; codes
    hold each row's class, 0 the baseline. Writes the probabilities (n x K, baseline first)
    into `fitted` when given. intercept=True: design holds the features only and the
    intercept's column of ones (params' first row) is implied, as in stats.irls' pass, so a
    fit need not copy its features. compiled=None uses Numba when it is installed and there
    are COMPILED_ROWS rows or more, False the NumPy loop (the two agree to rounding)."""
    design = np.ascontiguousarray(design, dtype=np.float64)
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    params = np.ascontiguousarray(params, dtype=np.float64)
    if params.shape[0] != design.shape[1] + intercept:
        raise ValueError(f"params has {params.shape[0]} rows for {design.shape[1]} columns")
    if compiled is None:
        compiled = fused_available() and len(design) >= COMPILED_ROWS
    out = np.empty((0, params.shape[1] + 1)) if fitted is None else fitted
    run = _compiled_pass if compiled else _numpy_pass
    loglik, score, upper, saturated = run(design, codes, params, intercept, out)
    d, J = params.shape
    info = np.empty((J * d, J * d))
    for j in range(J):  # each block X'WX is symmetric; the blocks below mirror those above
        for m in range(j, J):
            block = np.triu(upper[j * d : (j + 1) * d, m * d : (m + 1) * d])
            block += np.triu(block, 1).T
            info[j * d : (j + 1) * d, m * d : (m + 1) * d] = block
            info[m * d : (m + 1) * d, j * d : (j + 1) * d] = block
    return Pass(float(loglik), score, info, int(saturated))


def _numpy_pass(
    design: np.ndarray, codes: np.ndarray, params: np.ndarray, intercept: bool, out: np.ndarray
) -> tuple:
    """The fallback: the same sums a block of rows at a time (each X'WX by BLAS), the
    information's upper blocks only."""
    d, J = params.shape
    loglik, saturated = 0.0, 0
    score, info = np.zeros((d, J)), np.zeros((J * d, J * d))
    for start in range(0, len(design), BLOCK):
        x = design_block(design[start : start + BLOCK], intercept)
        code = codes[start : start + BLOCK]
        eta = np.column_stack((np.zeros(len(x)), x @ params))
        top = eta.max(axis=1, keepdims=True)
        shifted = np.exp(eta - top)
        total = shifted.sum(axis=1, keepdims=True)
        p = shifted / total
        rows = np.arange(len(x))
        loglik += float(np.sum(eta[rows, code] - top[:, 0] - np.log(total[:, 0])))
        saturated += int(np.count_nonzero((p < SATURATED) | (p > 1.0 - SATURATED)))
        onehot = np.zeros_like(p)
        onehot[rows, code] = 1.0
        score += x.T @ (onehot - p)[:, 1:]
        for j in range(J):
            for m in range(j, J):
                w = p[:, j + 1] * ((j == m) - p[:, m + 1])
                info[j * d : (j + 1) * d, m * d : (m + 1) * d] += x.T @ (x * w[:, None])
        if len(out):
            out[start : start + BLOCK] = p
    return loglik, score, info, saturated


def _compiled_pass(
    design: np.ndarray, codes: np.ndarray, params: np.ndarray, intercept: bool, out: np.ndarray
) -> tuple:
    """The compiled pass: GROUPS tasks, each a contiguous share of the rows, on as many
    threads as Numba is set to use (the compiled task releases the GIL), in calls of about
    irls.PASS_BLOCKS times stopping.BLOCK_VALUES values with signals held in each, as
    stats.irls cuts its own (irls.calls): each call takes the next tiles of every task's
    share and carries its partial sums on, so the sums are bit for bit those of one call
    over all the rows.

    Threads rather than prange: the task compiled alone vectorises (2.5x less CPU time than
    the same loops in a prange body), and Numba caches it (a prange kernel calling it does
    not cache, and compiling takes half a minute)."""
    from numba import get_num_threads

    d, J = params.shape
    parts = (np.zeros(GROUPS), np.zeros(GROUPS, dtype=np.int64), np.zeros((GROUPS, d, J)),
             np.zeros((GROUPS, J * d, J * d)))  # fmt: skip
    firsts = calls(len(design), d * J * (J + 1) // 2)
    task = _kernel()
    with ThreadPoolExecutor(get_num_threads()) as pool:
        for first in firsts:
            run = partial(task, design, codes, params, intercept, out, first, first + firsts.step,
                          parts)  # fmt: skip
            with signals_held():
                list(pool.map(run, range(GROUPS)))
    part_ll, part_sat, part_score, part_info = parts
    return part_ll.sum(), part_score.sum(axis=0), part_info.sum(axis=0), part_sat.sum()


@cache
def _kernel():  # -> a Numba dispatcher
    """One task of the compiled pass (stats.compiled_multinomial); numba is imported only
    here, on first use."""
    from .compiled_multinomial import task

    return task


@dataclass(frozen=True)
class MNLogitResult:
    """A multinomial-logit MLE. `params` is d x (K - 1): one column per equation (a class
    against the baseline), one row per term (the intercept first when there is one), as
    statsmodels' MNLogitResults; `classes` are the target's levels in sorted order and
    `equations` the K - 1 of them other than `baseline`, in that order."""

    params: np.ndarray
    cov: np.ndarray
    llf: float
    llnull: float
    converged: bool
    iterations: int
    nobs: int
    names: tuple[str, ...]
    classes: tuple[Any, ...]
    baseline: Any
    intercept: bool = True
    conf_level: float = 0.95
    #: The fitted rows' probabilities (n x K, baseline first) and their features (without
    #: the intercept's column: the array the fit read, not a copy), which the marginal
    #: effects average over.
    fitted: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    exog: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)

    @property
    def equations(self) -> tuple[Any, ...]:
        """The classes other than the baseline, one per column of params."""
        return tuple(c for c in self.classes if c != self.baseline)

    @property
    def columns(self) -> list[int]:
        """Where the baseline and each equation's class stand in `classes` (the fit's own
        order puts the baseline first)."""
        return class_columns(self.classes, self.baseline)

    @property
    def bse(self) -> np.ndarray:
        """Standard errors, shaped as params."""
        return np.sqrt(np.diag(self.cov)).reshape(self.params.shape, order="F")

    @property
    def tvalues(self) -> np.ndarray:
        """Wald z statistics params / bse (statsmodels' name)."""
        return self.params / self.bse

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided p-values of the Wald tests coef = 0, shaped as params."""
        from scipy.special import erfc

        return erfc(np.abs(self.tvalues) / math.sqrt(2.0))

    def conf_int(self, alpha: float | None = None) -> np.ndarray:
        """Wald intervals, (K - 1) x d x 2: per equation, one [lower, upper] row per term
        (alpha None: 1 - conf_level)."""
        tables = [self.coefficient_table(j, alpha) for j in range(self.params.shape[1])]
        return np.stack([np.column_stack((t.lower, t.upper)) for t in tables])

    def coefficient_table(self, equation: int, alpha: float | None = None) -> inference.Effects:
        """One equation's coefficients with SE, z, p and 1 - alpha intervals."""
        alpha = 1.0 - self.conf_level if alpha is None else alpha
        title = f"{self.equations[equation]} vs {self.baseline}"
        return inference.wald(
            self.names, self.params[:, equation], self.bse[:, equation], title, alpha
        )

    def relative_risk_ratios(self, equation: int, alpha: float | None = None) -> inference.Effects:
        """exp(coef) of one equation with exponentiated intervals: each term's factor on the
        odds of the equation's class against the baseline."""
        alpha = 1.0 - self.conf_level if alpha is None else alpha
        interval = self.conf_int(alpha)[equation]
        ratios = inference.odds_ratios(self.names, self.params[:, equation], interval, 1 - alpha)
        return replace(ratios, title="RRR")

    @property
    def df_model(self) -> int:
        """(terms - 1) (K - 1), as statsmodels counts them."""
        d, J = self.params.shape
        return (d - int(self.intercept)) * J

    @property
    def df_resid(self) -> int:
        """Observations less coefficients."""
        return self.nobs - self.params.size

    llr = property(lambda self: 2.0 * (self.llf - self.llnull), doc="2 (llf - llnull).")
    prsquared = property(lambda self: 1.0 - self.llf / self.llnull, doc="McFadden's R^2.")
    aic = property(lambda self: -2.0 * self.llf + 2.0 * self.params.size, doc="-2 llf + 2 k.")
    bic = property(
        lambda self: -2.0 * self.llf + math.log(self.nobs) * self.params.size,
        doc="-2 llf + log(n) k.",
    )

    @property
    def llr_pvalue(self) -> float:
        """P(chi2 with df_model degrees of freedom > llr)."""
        from scipy.stats import chi2

        return float(chi2.sf(self.llr, self.df_model))

    def design(self, X: object) -> np.ndarray:
        """New rows' features (without the intercept) as the fit's design."""
        features = design_array(X)
        width = len(self.names) - int(self.intercept)
        if features.shape[1] != width:
            raise DataError(
                f"X must have {width} columns, one per feature of the fit, got {features.shape[1]}"
            )
        return design_block(features, self.intercept)

    def predict(self, X: object) -> np.ndarray:
        """Probabilities (n x K) of new rows X, one column per class in `classes` order."""
        return class_probabilities(self.design(X), self.params, self.classes, self.baseline)

    def margeff(self) -> tuple[np.ndarray, np.ndarray]:
        """Average marginal effects dP_k/dx_j over the fitted rows and their delta-method
        standard errors, each (terms without the intercept) x K in `classes` order
        (statsmodels' get_margeff(at="overall", method="dydx"))."""
        sums = margeff_sums(design_block(self.exog, self.intercept), self.fitted, self.params)
        return margeff_from_sums(*sums, len(self.exog), self.cov, self.intercept, self.columns)

    def summary(self) -> str:
        """statsmodels' MNLogit layout: the fit's header, then one coefficient table per
        equation."""
        tables = [self.coefficient_table(j).table() for j in range(self.params.shape[1])]
        width = len(tables[0].splitlines()[0])
        status = f"yes ({self.iterations} iterations)" if self.converged else "NO"
        pairs = [
            ("Target classes:", ", ".join(map(str, self.classes)), "Baseline:", str(self.baseline)),
            ("No. Observations:", f"{self.nobs}", "Pseudo R-squ.:", f"{self.prsquared:.4f}"),
            ("Df Residuals:", f"{self.df_resid}", "Log-Likelihood:", f"{self.llf:.4f}"),
            ("Df Model:", f"{self.df_model}", "LL-Null:", f"{self.llnull:.4f}"),
            ("Converged:", status, "LLR p-value:", f"{self.llr_pvalue:.4g}"),
            ("AIC:", f"{self.aic:.4f}", "BIC:", f"{self.bic:.4f}"),
        ]
        header = [f"{a:<18}{b:<20}  {c:<16}{d}" for a, b, c, d in pairs]
        title = "Multinomial logit: maximum likelihood (Newton)"
        return "\n".join([title.center(width), "=" * width, *header, *tables])

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        """One line, not the arrays: MNLogitResult(nobs=150, classes 'setosa', 'versicolor',
        'virginica' against 'setosa', llf -91.9, pseudo R² 0.4477, converged in 7 iterations)."""
        from ..display import names, newton_words

        return (f"MNLogitResult(nobs={self.nobs}, classes {names(self.classes)} against "
                f"{names([self.baseline])}, llf {self.llf:.4g}, pseudo R² {self.prsquared:.4g}, "
                f"{newton_words(self)})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the fit's statistics and one coefficient table per equation."""
        from ..display import html

        return html("mnlogit.html", mle=self)


def fit(
    X: object,
    y: object,
    *,
    baseline: object = None,
    intercept: bool = True,
    names: Sequence[str] | None = None,
    tol: float = TOL,
    max_iter: int = MAX_ITER,
    conf_level: float = 0.95,
) -> MNLogitResult:
    """Maximise the multinomial log-likelihood of y (any K >= 2 distinct values) given X
    (n x d features, without the intercept) by Newton-Raphson with step halving.

    `baseline` is the class each equation is measured against (default the first level in
    sorted order, as statsmodels' MNLogit). Raises DataError for input the model cannot use
    and SeparationError when the MLE does not exist (a class split off by a direction of the
    features, or iterates that run off to infinity).
    """
    tol = check_float("tol", tol, positive=True)
    max_iter = check_int("max_iter", max_iter, 1)
    features = design_array(X)
    n, d = features.shape
    classes, index = _coded(y, n)
    if len(classes) < 2:
        raise DataError(f"y must take at least two values, got {len(classes)}")
    if baseline is None:
        baseline = classes[0]
    elif baseline not in classes:
        raise DataError(
            f"baseline {value_text(baseline)} is not a value of y "
            f"({', '.join(map(value_text, classes))})"
        )
    equations = [c for c in classes if c != baseline]
    code_of = np.empty(len(classes), dtype=np.int64)  # sorted position -> the fit's code
    code_of[class_columns(classes, baseline)] = np.arange(len(classes))
    codes = code_of[index]
    names = ((INTERCEPT,) if intercept else ()) + check_names(names, d)
    J = len(equations)
    budget.check(budget.mle(n, len(names) * (J + 1)), "this maximum-likelihood fit")
    if n < len(names) * J:
        raise DataError(
            f"X has {n} rows but the model has {len(names) * J} coefficients; "
            "need at least as many rows as coefficients"
        )
    features = np.ascontiguousarray(features)  # the passes read it row by row
    gram = design_gram(features, intercept)  # one product: the checks' and the start's
    check_columns(features, names[int(intercept) :], intercept, gram=gram)
    counts = np.bincount(codes, minlength=J + 1).astype(float)
    params = np.zeros((len(names), J))
    fitted = np.empty((n, J + 1))  # each pass writes its rows' probabilities here
    start = None
    if intercept:  # start from the intercept-only MLE, llnull's model, whose sums need no pass
        params[0] = np.log(counts[1:] / counts[0])
        start = null_pass(features, codes, counts, fitted, gram)
    params, last, converged, iterations = newton(
        lambda b: newton_pass(features, codes, b, fitted, intercept=intercept), params, tol,
        max_iter, classes,
        lambda: _check_separation(features, intercept, codes, classes, equations, baseline), start,
    )  # fmt: skip
    try:
        cov = np.linalg.inv(last.info)
    except np.linalg.LinAlgError:
        raise SeparationError(diverged(classes)) from None
    llnull = float(np.sum(counts * np.log(counts / n)))
    return MNLogitResult(
        params, cov, last.loglik, llnull, converged, iterations, n, names, classes, baseline,
        intercept, conf_level, fitted=fitted, exog=features,
    )  # fmt: skip


def null_pass(
    features: np.ndarray,
    codes: np.ndarray,
    counts: np.ndarray,
    fitted: np.ndarray | None = None,
    gram: np.ndarray | None = None,
) -> Pass:
    """The pass at the intercept-only MLE (each intercept its class's log-odds against the
    baseline, the slopes 0) of the design [1 features] without a pass of its own: every
    row's probabilities are then the class shares s, so the score is X'Y - X'1 s' and block
    (j, m) of the information is s_j (d_jm - s_m) X'X, two products by BLAS. `gram` is X'X
    (data.checks.design_gram with the intercept) when the caller has it, as a fit does for
    its column checks. Writes the shares into `fitted` when given."""
    n = len(features)
    share = counts / n
    if gram is None:
        gram = design_gram(features, True)
    onehot = np.zeros((n, len(counts)))
    onehot[np.arange(n), codes] = 1.0
    sums = np.vstack((counts, features.T @ onehot))  # each class's column sums, d x K
    score = sums[:, 1:] - np.outer(sums.sum(axis=1), share[1:])
    weights = np.diag(share[1:]) - np.outer(share[1:], share[1:])
    info = np.kron(weights, gram)  # equation-major blocks
    saturated = n * int(np.count_nonzero((share < SATURATED) | (share > 1.0 - SATURATED)))
    if fitted is not None:
        fitted[:] = share
    return Pass(float(counts @ np.log(share)), score, info, saturated)


def _coded(y: object, n: int) -> tuple[tuple[Any, ...], np.ndarray]:
    """The target's classes in sorted order and each row's position among them. Integer
    labels are counted (no sort and no Python loop over a million rows); others are taken
    as Python values."""
    values = np.asarray(y).reshape(-1) if np.ndim(y) else np.empty(0)
    if len(values) != n:
        raise DataError(f"y must hold one label per row of X ({n}), got {len(values)}")
    if values.dtype.kind in "iu" and n and int(values.max()) - int(values.min()) < n:
        low = values.min()
        offsets = (values - low).astype(np.intp)
        present = np.flatnonzero(np.bincount(offsets))
        position = np.zeros(present[-1] + 1, dtype=np.int64)
        position[present] = np.arange(len(present))
        return tuple((present + low).tolist()), position[offsets]
    labels = values.astype(object)
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in labels):
        raise DataError("y contains missing values")
    classes = tuple(sorted_values(list(set(labels.tolist()))))
    position = {c: i for i, c in enumerate(classes)}
    return classes, np.array([position[v] for v in labels.tolist()], dtype=np.int64)


def newton(
    at: Callable[[np.ndarray], Pass],
    params: np.ndarray,
    tol: float,
    max_iter: int,
    classes: tuple[Any, ...],
    separated: Callable[[], None],
    start: Pass | None = None,
) -> tuple[np.ndarray, Pass, bool, int]:
    """Newton's iterations with step halving (each step an ascent step) over `at(params)`,
    the sums of one pass (in memory newton_pass over the rows; on shards the workers'
    passes added up, stats.sharded), so both take the same steps. `separated()` is asked
    when the information is singular, the iterates stall with saturated rows or do not
    converge; it raises SeparationError when it finds a class split off. `start` is the
    pass at params when the caller has it (null_pass)."""
    current = at(params) if start is None else start
    size, stalled = math.inf, 0
    for iteration in range(1, max_iter + 1):
        try:
            flat = np.linalg.solve(current.info, current.score.ravel(order="F"))
        except np.linalg.LinAlgError:
            separated()
            raise DataError("the information matrix is singular; drop a redundant column") from None
        step = flat.reshape(params.shape, order="F")
        if np.all(np.abs(step) <= tol * (1.0 + np.abs(params))):
            # the step left is within tol: params are the estimate, with the sums and the
            # fitted rows of their own pass (no pass for a step the tolerance cannot see)
            return params, current, True, iteration - 1
        floor = current.loglik - 1e-12 * abs(current.loglik)
        for _ in range(HALVINGS):
            trial = at(params + step)
            if trial.loglik >= floor:
                break
            step = step / 2.0
        params, current = params + step, trial
        previous, size = size, float(np.max(np.abs(step)))
        stalled = stalled + 1 if current.saturated and size > previous / 2.0 else 0
        if stalled >= STALLED:
            separated()
            raise SeparationError(diverged(classes))
    separated()
    return params, current, False, max_iter


def _check_separation(
    features: np.ndarray,
    intercept: bool,
    codes: np.ndarray,
    classes: tuple[Any, ...],
    equations: list[Any],
    baseline: Any,
) -> None:
    """SeparationError naming a class that a direction of the features splits from the
    others (the binary linear program of data.separation, one class against the rest), in
    the design [1 features] with an intercept."""
    design = design_block(features, intercept)
    names = [f"c{j}" for j in range(design.shape[1])]
    for code, level in enumerate([baseline, *equations]):
        if separation(design, (codes == code).astype(float), names) is not None:
            raise SeparationError(
                f"class {value_text(level)} is (quasi-)completely separated from the "
                "other classes by the features, so the multinomial maximum-likelihood "
                "estimate does not exist"
            )


def diverged(classes: tuple[Any, ...]) -> str:
    return (
        f"the Newton iterates diverge (fitted probabilities run to 0 or 1 among the classes "
        f"{', '.join(map(value_text, classes))}): the multinomial maximum-likelihood "
        "estimate does not exist"
    )


def margeff_sums(
    design: np.ndarray, fitted: np.ndarray, params: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The sums over rows behind the average marginal effects (MNLogitResult.margeff): of
    each row's dP_k/dx (K x d, baseline first) and of their derivatives in the
    coefficients (K x d x (K - 1) x d), from the rows' design (its intercept column too)
    and probabilities (n x K, baseline first). Sums add over blocks of rows, so a fit on
    shards gets them from its workers' rows (stats.sharded)."""
    x, p = design, fitted
    d, J = params.shape
    b = np.column_stack((np.zeros(d), params)).T  # K x d, baseline row 0
    mean_b = p @ b  # n x d: sum_k p_k b_k per row
    gap = b[None, :, :] - mean_b[:, None, :]  # n x K x d
    ame = np.einsum("ik,ikj->kj", p, gap)
    # d AME_kj / d b_(m,l) = mean_i x_il [p_ik (delta_km - p_im) gap_ikj - p_ik p_im
    # gap_imj] + delta_jl (delta_km mean p_k - mean p_k p_m), m over the equations
    # (d p_ik / d b_(m,l) = p_ik (delta_km - p_im) x_il): one d x d product a (k, m)
    jac = np.empty((J + 1, d, J, d))
    for k in range(J + 1):
        for m in range(1, J + 1):
            both = p[:, k] * p[:, m]
            rows = (p[:, k] * (k == m) - both)[:, None] * gap[:, k] - both[:, None] * gap[:, m]
            diagonal = (k == m) * p[:, k].sum() - both.sum()
            jac[k, :, m - 1, :] = rows.T @ x + diagonal * np.eye(d)
    return ame, jac


def margeff_from_sums(
    ame: np.ndarray,
    jac: np.ndarray,
    n: int,
    cov: np.ndarray,
    intercept: bool,
    columns: Sequence[int],
) -> tuple[np.ndarray, np.ndarray]:
    """The average marginal effects and their delta-method standard errors, each (terms
    without the intercept) x K with the classes at `columns` (MNLogitResult.columns), from
    margeff_sums over n rows."""
    K, d = ame.shape
    keep = slice(int(intercept), None)
    jac = (jac / n)[:, keep].reshape(K * (d - int(intercept)), (K - 1) * d)
    se = np.sqrt(np.einsum("ab,bc,ac->a", jac, cov, jac))
    shape = (K, d - int(intercept))
    ame_out, se_out = np.empty(shape[::-1]), np.empty(shape[::-1])
    ame_out[:, columns] = (ame / n)[:, keep].T
    se_out[:, columns] = se.reshape(shape).T
    return ame_out, se_out
