"""Does Adam rescue MSE? The course's week-6 experiment, measured.

The lecture's data drawn with seed 1 (the course's torch.manual_seed(1)); two starts, one near
and one far out where the sigmoid saturates and MSE's gradient all but vanishes (its plateau);
SGD against Adam at one learning rate; BCE against MSE: eight full-batch descents, each
measured against the maximum-likelihood estimate and against MSE's own minimum, each timed.
Then Adam on mini-batches of several sizes against the full batch, from the far start: how
much noise the batches add against how much progress they buy per second.

Light at import (the settings and the budget only), so refusing bad settings loads no NumPy
or torch; the study itself imports them when it runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .. import budget
from ..config import (  # the study's settings and fixed design live with every setting
    BATCH_OPTIMIZER,
    LOSSES,
    STARTS,
    STUDY_OPTIMIZERS,
    TIMING_EPOCHS,
    TIMING_REPEATS,
    TIMING_SECONDS,
    TIMING_WORK,
    OptimizersConfig,
    TrainConfig,
)
from .timing import timed
from .training import Descent

if TYPE_CHECKING:
    import numpy as np

    from ..data import Dataset
    from ..result import FitResult
    from ..stats.landscape import Surface
    from ..stats.mle import MLEResult
    from .animation import AnimationRun

#: "Arrived": within this many of the MLE's standard errors of the destination in every
#: coordinate, a difference the data cannot tell apart from none.
ARRIVED_SE = 0.1
#: "Stalled": moved less than this share of the way from the start to the destination.
STALLED_SHARE = 0.05


@dataclass(frozen=True)
class OptimizersRun:
    """Everything the study measured: the MLE, MSE's own minimum, the full-batch descents
    (every start x optimizer x loss), the mini-batch descents from the far start (the
    full-batch one included, batch_size None), and both landscapes over one grid."""

    config: OptimizersConfig
    data: Dataset
    mle: MLEResult
    mse_minimum: np.ndarray
    descents: tuple[Descent, ...]
    batches: tuple[Descent, ...]
    surfaces: dict[str, Surface]
    #: wall time of the run that made this record
    seconds: float = 0.0

    def descent(self, start: object, optimizer: str, loss: str) -> Descent:
        """The full-batch descent from `start` with `optimizer` on `loss`."""
        for d in self.descents:
            if d.start == tuple(start) and d.optimizer == optimizer and d.loss == loss:
                return d
        raise KeyError((start, optimizer, loss))

    def destination(self, loss: str) -> np.ndarray:
        """Where a descent on `loss` heads: the MLE for BCE, MSE's own minimum for MSE."""
        return self.mle.params if loss == "bce" else self.mse_minimum

    def floor(self, loss: str) -> float:
        """The lowest value of `loss`: its value at its destination."""
        from ..stats.landscape import evaluate

        x, y = self.data.x.numpy(), self.data.y.numpy()
        return float(evaluate(loss, self.destination(loss), x, y, hessian=False).loss[0])

    def in_se(self, params: object, target: object) -> np.ndarray:
        """How far params are from target in the MLE's standard errors: the largest
        |params_j - target_j| / se_j (per row of params)."""
        import numpy as np

        gap = np.abs(np.asarray(params, dtype=float) - np.asarray(target, dtype=float))
        return (gap / self.mle.se).max(axis=-1)

    def full_loss(self, descent: Descent) -> np.ndarray:
        """The full-data loss (float64) at the parameters before each epoch and at the end:
        one curve for full and mini-batch descents alike."""
        from ..stats.landscape import evaluate

        x, y = self.data.x.numpy(), self.data.y.numpy()
        return evaluate(descent.loss, descent.result.history.params, x, y, hessian=False).loss

    def arrival(self, descent: Descent) -> int | None:
        """The first epoch from which the descent stays within ARRIVED_SE standard errors of
        its destination; None if it does not within its epochs."""
        from .why import epochs_within

        target = self.destination(descent.loss)
        return epochs_within(self.in_se(descent.result.history.params, target), ARRIVED_SE)

    def moved(self, descent: Descent) -> float:
        """How far the descent went from its start (Euclidean)."""
        import numpy as np

        return float(np.linalg.norm(descent.result.params - np.asarray(descent.start)))

    def share_of_way(self, descent: Descent) -> float:
        """How much of the start's distance to the destination the descent has covered
        (1: there; 0: no nearer than it started; < 0: farther)."""
        import numpy as np

        target = self.destination(descent.loss)
        before = float(np.linalg.norm(np.asarray(descent.start) - target))
        after = float(np.linalg.norm(descent.result.params - target))
        return 1.0 - after / before if before > 0 else 1.0

    def outcome(self, descent: Descent) -> str:
        """'arrived' (within ARRIVED_SE standard errors of its destination), 'stalled' (moved
        less than STALLED_SHARE of the way there) or 'on its way'."""
        import numpy as np

        target = self.destination(descent.loss)
        if self.in_se(descent.result.params, target) <= ARRIVED_SE:
            return "arrived"
        if self.moved(descent) <= STALLED_SHARE * np.linalg.norm(np.subtract(descent.start,
                                                                            target)):  # fmt: skip
            return "stalled"
        return "on its way"

    def wander(self, descent: Descent) -> float:
        """The largest distance from its destination, in standard errors, over the last
        tenth of the descent's epochs: how far the noise of mini-batches carries it."""
        params = descent.result.history.params
        tail = params[-max(1, len(params) // 10) :]
        return float(self.in_se(tail, self.destination(descent.loss)).max())

    def seconds_to_arrive(self, descent: Descent) -> float | None:
        """The wall time of the epochs it took to arrive (None if it did not)."""
        epochs = self.arrival(descent)
        return None if epochs is None else epochs * descent.seconds_per_epoch

    def first_step(self, descent: Descent) -> float:
        """How far the first epoch moved the parameters."""
        import numpy as np

        params = descent.result.history.params
        return float(np.linalg.norm(params[min(1, len(params) - 1)] - params[0]))

    def film(self, optimizer: str) -> AnimationRun:
        """The film of both losses under `optimizer` from the far start, from the fits made
        (nothing is trained again)."""
        from .animation import AnimationRun, Scene
        from .why import race

        config = self.config.film(optimizer)
        start = self.config.far_start
        fits = {loss: self.descent(start, optimizer, loss).result for loss in LOSSES}
        paths = race(self.data, start, config.train, fits=fits)
        scene = Scene(data=self.data, race=paths, surfaces=self.surfaces, truth=self.truth,
                      mle=self.mle.params)  # fmt: skip
        return AnimationRun(config=config, scene=scene)

    @property
    def truth(self) -> np.ndarray:
        """The true (w0, w1) the data were drawn with."""
        import numpy as np

        return np.asarray(self.config.data.truth, dtype=float)

    def __repr__(self) -> str:
        """One line, not the descents: the MLE, MSE's minimum and how the descents ended."""
        from collections import Counter

        from ..display import numbers

        ends = Counter(self.outcome(d) for d in self.descents)
        return (f"OptimizersRun({self.data.n:,} points, MLE {numbers(self.mle.params)}, MSE's "
                f"minimum {numbers(self.mse_minimum)}; {len(self.descents)} full-batch "
                f"descents: {', '.join(f'{n} {end}' for end, n in ends.items())}; "
                f"{len(self.batches)} by batch size)")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: every descent's start, optimizer, loss, batch, outcome and end
        beside the MLE and MSE's minimum."""
        from ..display import count, html, number
        from ..result import INTERCEPT

        def row(d: Descent) -> list[str]:
            arrival = self.arrival(d)
            return [", ".join(map(number, d.start)), d.optimizer, d.loss.upper(),
                    "full" if d.batch_size is None else count(d.batch_size), self.outcome(d),
                    "—" if arrival is None else count(arrival), *map(number, d.result.params),
                    number(self.in_se(d.result.params, self.destination(d.loss)))]  # fmt: skip

        return html("optimizers.html", run=self, names=(INTERCEPT, *self.data.names),
                    descents=[row(d) for d in self.descents],
                    batches=[row(d) for d in self.batches])  # fmt: skip


def fastest(run: Callable[[], FitResult]) -> tuple[FitResult, float]:
    """run()'s result and its fastest wall time over up to TIMING_REPEATS calls (fewer once
    they have taken TIMING_SECONDS): the slower calls carry the noise of a shared machine
    (other processes, threads waiting for a core)."""
    best, spent = math.inf, 0.0
    for _ in range(TIMING_REPEATS):
        tick = time.perf_counter()
        result = run()
        took = time.perf_counter() - tick
        best, spent = min(best, took), spent + took
        if spent >= TIMING_SECONDS:
            break
    return result, best


def timed_fit(data: Dataset, config: TrainConfig) -> tuple[FitResult, float]:
    """The fit `config` asks for, and what one more of its epochs costs in seconds:
    (T(E) - T(1)) / (E - 1), T the fastest wall time of a fit of E epochs. E starts at
    config.epochs and grows fourfold (up to TIMING_EPOCHS) until the difference is at
    least TIMING_WORK seconds: a fit call's fixed cost and its noise are milliseconds, as
    much as a thousand compiled epochs."""
    from ..engines import fit
    from ..errors import DivergenceError

    def run(epochs: int) -> Callable[[], FitResult]:
        cfg = replace(config, epochs=epochs)
        return lambda: fit(data.x, data.y, cfg, names=data.names)

    run(1)()  # the fused engine compiles on first use: not timed
    one = fastest(run(1))[1]
    fitted, whole = fastest(run(config.epochs))
    epochs, work = config.epochs, whole - one
    while work < TIMING_WORK and 4 * epochs <= TIMING_EPOCHS:
        try:
            longer = fastest(run(4 * epochs))[1]
        except DivergenceError:  # run longer than the study's, it diverges: keep what ran
            break
        epochs, work = 4 * epochs, longer - one
    return fitted, max(work, 0.0) / max(epochs - 1, 1)


@timed
def run_optimizers(
    config: OptimizersConfig | None = None, *, progress: bool = False
) -> OptimizersRun:
    """The study: the data, the MLE and MSE's minimum, every descent timed, the landscapes.

    No files and no figures (logitlab.report.optimizers writes them). Separable data are
    refused (SeparationError) before any descent: there would be no MLE to measure against.
    """
    import numpy as np
    from tqdm import tqdm

    from ..data import simulate_from
    from ..stats.landscape import grid, minimise, surface
    from ..stats.mle import fit as fit_mle

    cfg = config or OptimizersConfig()
    budget.check_study(cfg)  # ConfigError before any work if it cannot run here
    data = simulate_from(cfg.data)
    mle = fit_mle(data.x, data.y, names=data.names)
    x, y = data.x.numpy(), data.y.numpy()
    mse_minimum = minimise("mse", x, y, mle.params)
    full = [(s, o, loss, None) for s in cfg.starts for o in STUDY_OPTIMIZERS for loss in LOSSES]
    mini = [(cfg.far_start, BATCH_OPTIMIZER, loss, b) for loss in LOSSES for b in cfg.batch_sizes]
    bar = tqdm(total=len(full) + len(mini), desc="descents", unit="fit", disable=not progress)
    done = []
    for start, optimizer, loss, size in full + mini:
        fitted, per_epoch = timed_fit(data, cfg.train(loss, optimizer, start, size))
        done.append(Descent(loss=loss, result=fitted, optimizer=optimizer, start=start,
                            batch_size=size, seconds_per_epoch=per_epoch))  # fmt: skip
        bar.update()
    bar.close()
    descents, extra = tuple(done[: len(full)]), done[len(full) :]
    batches = tuple(
        d
        for loss in LOSSES
        for d in (descents[full.index((cfg.far_start, BATCH_OPTIMIZER, loss, None))],
                  *(e for e in extra if e.loss == loss))
    )  # fmt: skip
    ends = [d.result.params for d in done]
    w0, w1 = grid(cfg.data.truth, include=np.vstack((*cfg.starts, mle.params, mse_minimum, *ends)),
                  size=cfg.grid_size)  # fmt: skip
    return OptimizersRun(
        config=cfg,
        data=data,
        mle=mle,
        mse_minimum=mse_minimum,
        descents=descents,
        batches=batches,
        surfaces={loss: surface(loss, x, y, w0, w1) for loss in LOSSES},
    )


# --- the answer in words ------------------------------------------------------------------

OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}


def _point(start: object) -> str:
    return f"({start[0]:g}, {start[1]:g})"  # type: ignore[index]


def _progress(run: OptimizersRun, descent: Descent) -> str:
    """'arrives after 761 epochs', 'stalls (moved 0.0011)' or 'is 38% of the way there'."""
    outcome = run.outcome(descent)
    if outcome == "arrived":
        return f"arrives after {run.arrival(descent):,} epochs"
    if outcome == "stalled":
        return f"stalls (moved {run.moved(descent):.2g})"
    return f"is {run.share_of_way(descent):.0%} of the way there"


def _plateau(run: OptimizersRun) -> str:
    """Does Adam get MSE moving from the far start, where SGD's step is tiny?"""
    far, epochs = run.config.far_start, run.config.epochs
    sgd, adam = run.descent(far, "sgd", "mse"), run.descent(far, "adam", "mse")
    g_mse = float(sgd.result.history.grad_norm[0])
    g_bce = float(run.descent(far, "sgd", "bce").result.history.grad_norm[0])
    if run.outcome(sgd) == "stalled":
        head = (
            f"From {_point(far)} plain SGD on MSE stalls: in {epochs:,} epochs it moved "
            f"{run.moved(sgd):.2g}. The sigmoid is saturated there, so MSE's gradient is only "
            f"{g_mse:.2g} (BCE's at the same point: {g_bce:.2g}), and an SGD step is the "
            f"learning rate times the gradient."
        )
    else:
        head = (
            f"From {_point(far)} SGD on MSE does not stall at learning rate "
            f"{run.config.lr:g}: it {_progress(run, sgd)} after {epochs:,} epochs (MSE's "
            f"gradient at the start: {g_mse:.2g}; BCE's: {g_bce:.2g})."
        )
    ratio = run.first_step(adam) / max(run.first_step(sgd), 1e-300)
    why = (
        f" Adam divides each step by the running size of the gradient, so a tiny gradient "
        f"still makes a full step: its first epoch moved the parameters {run.first_step(adam):.2g}"
        f", {ratio:,.0f} times SGD's."
        if ratio >= 10
        else ""
    )
    outcome = run.outcome(adam)
    if outcome == "arrived":
        tail = (
            f" Adam does get MSE off the plateau: it reaches MSE's own minimum (within "
            f"{ARRIVED_SE:g} standard error) after {run.arrival(adam):,} epochs."
        )
    elif outcome == "on its way":
        tail = (
            f" Adam gets MSE moving ({run.moved(adam):.2g} in {epochs:,} epochs, "
            f"{run.share_of_way(adam):.0%} of the way) but has not reached MSE's minimum yet."
        )
    else:
        tail = f" Adam does not rescue MSE here: it moved only {run.moved(adam):.2g}."
    return head + why + tail


def _landing(run: OptimizersRun) -> str:
    """Where Adam's MSE descent lands, against MSE's own minimum and the MLE."""
    import numpy as np

    adam = run.descent(run.config.far_start, "adam", "mse")
    w0, w1 = adam.result.params
    gap = float(run.in_se(run.mse_minimum, run.mle.params))
    text = (
        f"Where it ends: at (w0, w1) = ({w0:.4f}, {w1:.4f}), "
        f"{run.in_se(adam.result.params, run.mse_minimum):.2g} standard errors from MSE's own "
        f"minimum and {run.in_se(adam.result.params, run.mle.params):.2g} from the MLE "
        f"({run.mle.params[0]:.4f}, {run.mle.params[1]:.4f})."
    )
    euclid = float(np.linalg.norm(run.mse_minimum - run.mle.params))
    if gap <= ARRIVED_SE:
        sgd = run.descent(run.config.far_start, "sgd", "mse")
        rescued = run.outcome(sgd) == "stalled" and run.outcome(adam) == "arrived"
        lesson = (" So what MSE lacked was a way off the plateau, not a better destination."
                  if rescued else "")  # fmt: skip
        return text + (
            f" On these data MSE's own minimum is only {gap:.2g} standard errors from the MLE "
            f"({euclid:.2g} apart): a difference the data cannot show.{lesson} BCE remains "
            f"the loss whose minimum is the MLE by definition, on any data."
        )
    return text + (
        f" MSE's own minimum is {gap:.2g} standard errors from the MLE ({euclid:.2g} apart): "
        f"Adam fixes the descent, not the loss. It lands where MSE is lowest, which is not "
        f"the maximum-likelihood estimate."
    )


def _cost(run: OptimizersRun) -> str:
    """Epochs and seconds: Adam against SGD on the full batch."""
    far, epochs = run.config.far_start, run.config.epochs
    adam_mse, adam_bce = run.descent(far, "adam", "mse"), run.descent(far, "adam", "bce")
    sgd_bce = run.descent(far, "sgd", "bce")

    def reach(descent: Descent) -> str:
        k = run.arrival(descent)
        if k is not None:
            return f"{k:,} epochs"
        left = run.in_se(descent.result.params, run.destination(descent.loss))
        return f"more than {epochs:,} epochs ({left:.2g} standard errors away at the end)"

    per = {o: [d.seconds_per_epoch for d in run.descents if d.optimizer == o]
           for o in STUDY_OPTIMIZERS}  # fmt: skip
    adam_us, sgd_us = (1e6 * sum(per[o]) / len(per[o]) for o in ("adam", "sgd"))
    ratio = adam_us / sgd_us if sgd_us > 0 else math.inf
    engine = adam_mse.result.engine
    if ratio > 1.25:
        cost = "more than an SGD epoch"
    elif ratio < 0.8:
        cost = "less than an SGD epoch"
    else:
        cost = "about as much as an SGD epoch"
    seconds = run.seconds_to_arrive(adam_mse)
    took = (f"; its {run.arrival(adam_mse):,} epochs to MSE's minimum took {seconds:.2g} s"
            if seconds is not None else "")  # fmt: skip
    return (
        f"What it costs: from {_point(far)} Adam needs {reach(adam_mse)} to reach MSE's "
        f"minimum and {reach(adam_bce)} to reach the MLE on BCE; SGD on BCE needs "
        f"{reach(sgd_bce)}. On the {engine} engine an Adam epoch costs {cost} "
        f"({adam_us:.3g} µs against {sgd_us:.3g} µs, measured: {ratio:.3g} times){took}."
    )


def _every_start(run: OptimizersRun) -> str:
    """One line per start: what each optimizer does with each loss."""
    lines = []
    for start in run.config.starts:
        said = [
            f"{OPTIMIZER_NAMES[o]} on {loss.upper()} {_progress(run, run.descent(start, o, loss))}"
            for o in STUDY_OPTIMIZERS
            for loss in LOSSES
        ]
        lines.append(f"from {_point(start)}: " + ", ".join(said))
    return (
        f"All {len(run.descents)} descents after {run.config.epochs:,} epochs ('arrives': "
        f"within {ARRIVED_SE:g} standard error of its loss's minimum): " + "; ".join(lines) + "."
    )


def _batch_name(descent: Descent) -> str:
    size = descent.batch_size
    return "the full batch" if size is None else f"batches of {size:,}"


def _minibatches(run: OptimizersRun) -> str:
    """Noise against progress per second, per loss."""
    if len(run.batches) <= len(LOSSES):
        return "No mini-batch sizes were asked for."
    parts = []
    for loss in LOSSES:
        curves = [d for d in run.batches if d.loss == loss]
        said = []
        for d in curves:
            name = _batch_name(d)
            seconds = run.seconds_to_arrive(d)
            one = d.batch_size is None
            if seconds is not None:
                verb = "arrives" if one else "arrive"
                said.append(f"{name} {verb} after {run.arrival(d):,} epochs, {seconds:.2g} s")
            else:
                verb = "has" if one else "have"
                said.append(f"{name} {verb} not arrived (up to {run.wander(d):.2g} standard "
                            f"errors away over the last tenth of the epochs)")  # fmt: skip
        done = [d for d in curves if run.seconds_to_arrive(d) is not None]
        if done:
            best = min(done, key=run.seconds_to_arrive)
            verdict = f"fastest there in seconds: {_batch_name(best)}"
        else:
            verdict = "none arrives within the epochs"
        parts.append(f"{loss.upper()}: " + "; ".join(said) + f" ({verdict})")
    full = [d.seconds_per_epoch for d in run.batches if d.batch_size is None]
    smallest = min(run.config.batch_sizes)
    tiny = [d.seconds_per_epoch for d in run.batches if d.batch_size == smallest]
    ratio = (sum(tiny) / len(tiny)) / (sum(full) / len(full)) if sum(full) > 0 else math.inf
    return (
        f"Mini-batches ({OPTIMIZER_NAMES[BATCH_OPTIMIZER]} from {_point(run.config.far_start)}"
        f"): " + ". ".join(parts) + f". An epoch of batches of {smallest:,} costs {ratio:.3g} "
        f"times a full-batch epoch on the {run.batches[0].result.engine} engine "
        f"({math.ceil(run.data.n / smallest):,} steps instead of one)."
    )


def conclusion(run: OptimizersRun) -> list[str]:
    """The study's answer in plain words, one paragraph per question (does Adam get MSE off
    the plateau, where does it land, what does it cost, every start, mini-batches), each
    sentence chosen by the measured outcome and carrying the measured numbers."""
    return [_plateau(run), _landing(run), _cost(run), _every_start(run), _minibatches(run)]


__all__ = [
    "ARRIVED_SE",
    "BATCH_OPTIMIZER",
    "OPTIMIZER_NAMES",
    "STALLED_SHARE",
    "STARTS",
    "STUDY_OPTIMIZERS",
    "OptimizersConfig",
    "OptimizersRun",
    "conclusion",
    "fastest",
    "run_optimizers",
    "timed_fit",
]
