"""The playground's fits as studies: one feature's points fitted with one or both losses side
by side (one fused call), each with its trajectory and its distance to the MLE; and the 2-D
view's (run_plane): a simulated data set of two features fitted on the inputs chosen among
their transforms, with its trajectory, its accuracy, the MLE, what a straight line reaches and,
when asked, the L2-penalized fit (stats.penalized) beside the unpenalized descent.

The web server checks a request against its bounds, builds the settings and calls
run_playground, as the CLI calls its studies; records.playground turns the run into the JSON
the page draws. Nothing here knows of HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..config import TrainConfig, check_start, shown
from ..errors import ConfigError, DataError
from ..result import FitResult

if TYPE_CHECKING:
    from ..stats.mle import MLEResult
    from ..stats.penalized import PenalizedFit


@dataclass(frozen=True)
class PlaygroundSettings:
    """One playground fit: the training (train.loss is ignored: `losses` are fitted), the
    losses, the stride of the trajectories and the engine."""

    train: TrainConfig
    losses: tuple[str, ...]
    every: int
    engine: str = "auto"


@dataclass(frozen=True)
class PlaygroundRun:
    """The fits by loss (with the data's separation), their stride, the distance of each
    end to the MLE (None without one) and the seconds computing took."""

    fits: dict[str, FitResult]
    every: int
    distance: dict[str, dict | None]
    seconds: float

    def __repr__(self) -> str:
        """One line, not the paths: where each fit ended, its verdict and its distance to
        the MLE in standard errors."""
        from ..display import numbers

        def gap(loss: str) -> str:
            d = self.distance[loss]
            return "" if d is None else f", {d['se']:.3g} SE from the MLE"

        ends = "; ".join(f"{loss} {numbers(fit.params)} {fit.convergence.verdict}{gap(loss)}"
                         for loss, fit in self.fits.items())  # fmt: skip
        return f"PlaygroundRun({ends}; {self.seconds:.2f} s)"

    def _repr_html_(self) -> str:
        """A notebook's card: each fit's end, verdict and distance to the MLE."""
        from ..display import html, number, verdict
        from ..result import INTERCEPT

        rows = [[loss.upper(), *map(number, fit.params), verdict(fit.convergence),
                 *(("", "") if self.distance[loss] is None else
                   (number(self.distance[loss]["se"]), number(self.distance[loss]["euclid"])))]
                for loss, fit in self.fits.items()]  # fmt: skip
        names = (INTERCEPT, *next(iter(self.fits.values())).names)
        return html("playground.html", run=self, rows=rows, names=names)


def trajectory_stride(epochs: int, frames: int) -> int:
    """Epochs between trajectory points for at most `frames` + 1 of them: odd, as
    engines.batch.history_stride, so an overshooting descent shows."""
    every = -(-epochs // frames)
    return every + (every % 2 == 0)


def run_playground(
    x: np.ndarray,
    y: np.ndarray,
    feature: str,
    settings: PlaygroundSettings,
    mle: tuple[np.ndarray, np.ndarray] | None = None,
    progress: Callable[[int, np.ndarray], None] | None = None,
) -> PlaygroundRun:
    """Fit the points (x, y) with each loss of `settings` as problems of one fit_batch call.
    `mle` is (params, standard errors) of the MLE, for the distances; `progress` is
    fit_batch's (a run's report, which may cancel it). DivergenceError when a fit diverges."""
    from ..data.separation import separation_of
    from ..engines.batch import fit_batch

    began = time.perf_counter()
    cfg = settings.train
    batch = fit_batch(
        x[:, None], y, loss=settings.losses, lr=cfg.lr, init=cfg.init, epochs=cfg.epochs,
        init_seed=cfg.init_seed, record_every=settings.every, engine=settings.engine,
        names=(feature,), progress=progress or False, **cfg.optimizer_settings(),
    )  # fmt: skip
    separated = separation_of(x[:, None], y, (feature,))
    fits = {loss: replace(batch.result(b), separation=separated)
            for b, loss in enumerate(settings.losses)}  # fmt: skip
    distance = {loss: _distance(fit.params, mle) for loss, fit in fits.items()}
    return PlaygroundRun(fits, settings.every, distance, time.perf_counter() - began)


def _distance(params: np.ndarray, mle: tuple[np.ndarray, np.ndarray] | None) -> dict | None:
    """How far a fit ended from the MLE: in standard errors (the larger of w0's and w1's)
    and in plain Euclidean distance."""
    if mle is None:
        return None
    gap = np.asarray(params, dtype=float) - mle[0]
    return {"se": float((np.abs(gap) / mle[1]).max()), "euclid": float(np.linalg.norm(gap))}


# --- two features: the 2-D view -------------------------------------------------------------

#: The inputs the 2-D view may give the model, each a transform of a point's (x1, x2), in the
#: order they are fitted; the page draws the probability surface with the same formulas.
PLANE_FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1sq": lambda x1, x2: x1**2,
    "x2sq": lambda x1, x2: x2**2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sinx1": lambda x1, x2: np.sin(x1),
    "sinx2": lambda x1, x2: np.sin(x2),
}
#: How each input reads on the page and in the sentences.
FEATURE_LABELS = {"x1": "x1", "x2": "x2", "x1sq": "x1²", "x2sq": "x2²", "x1x2": "x1·x2",
                  "sinx1": "sin(x1)", "sinx2": "sin(x2)"}  # fmt: skip
#: The inputs of a straight boundary, which the chosen ones are compared with.
LINE = ("x1", "x2")
#: How each data set (data.simulated.PLANE_SHAPES) is named in a sentence.
SHAPE_WORDS = {"blobs": "the two blobs", "xor": "XOR", "circles": "the circles",
               "noise": "the lecture's data with a noise feature"}  # fmt: skip
#: A gain in accuracy below this (one point) is no gain: "A line does as well".
SAME_ACCURACY = 0.01


def plane_features(value: object) -> tuple[str, ...]:
    """The chosen inputs: distinct PLANE_FEATURES names, at least one, in that table's order
    (the order they are clicked in makes no other model)."""
    names = (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
    unknown = [name for name in names if name not in PLANE_FEATURES]
    if unknown or not names or len(set(names)) != len(names):
        raise ConfigError(f"features must be distinct names among {', '.join(PLANE_FEATURES)}, "
                          f"at least one, got {shown(list(names))}")  # fmt: skip
    return tuple(name for name in PLANE_FEATURES if name in names)


def plane_design(x: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """The model's inputs: each chosen transform of the points x (n x 2), a column each."""
    return np.column_stack([PLANE_FEATURES[name](x[:, 0], x[:, 1]) for name in features])


def accuracies(params: np.ndarray, design: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The share of points on their class's side of p = 0.5 for each row of params
    ([w0, w1, ..., wd]): p > 0.5 exactly where the logit is above 0."""
    params = np.atleast_2d(params)
    logits = params[:, :1].T + design @ params[:, 1:].T
    return ((logits > 0) == (y[:, None] == 1)).mean(axis=0)


@dataclass(frozen=True)
class PlaneSettings:
    """One 2-D fit: the data set (a data.simulated.PLANE_SHAPES name, n points, seed), the
    model's inputs (PLANE_FEATURES names), the training (its one loss), the stride of the
    trajectory and lam, the L2 penalty of the fit drawn beside the descent (0: none; the
    descent itself minimises the unpenalized loss, as the fused loop has no penalty term)."""

    shape: str
    n: int
    seed: int
    features: tuple[str, ...]
    train: TrainConfig
    every: int
    lam: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", plane_features(self.features))


@dataclass(frozen=True)
class PlaneRun:
    """A 2-D fit: the points (x: n x 2, y), the fit on the chosen inputs (with the
    separation of its data) and its accuracy at each trajectory point, the MLE (None, with
    the reason in mle_note, when it does not exist), what x1, x2 alone reach (None when they
    are the inputs) and whether a line separates the classes, the sentence that compares
    them, the L2 fit (None when lam is 0) with its accuracy and the sentence saying what the
    penalty did, and the seconds computing took."""

    settings: PlaneSettings
    x: np.ndarray
    y: np.ndarray
    fit: FitResult
    accuracy: np.ndarray
    mle: MLEResult | None
    mle_note: str
    line_accuracy: float | None
    line_separable: bool
    sentence: str
    seconds: float
    l2: PenalizedFit | None = None
    l2_accuracy: float | None = None
    l2_sentence: str = ""

    def __repr__(self) -> str:
        """One line, not the points: the data set, the inputs, the fit's end, verdict and
        accuracy, the MLE's and the L2 fit's."""
        from ..display import numbers

        s = self.settings
        mle = "no MLE" if self.mle is None else f"MLE {numbers(self.mle.params)}"
        l2 = "" if self.l2 is None else f"; L2 accuracy {self.l2_accuracy:.3f}"
        return (f"PlaneRun({s.shape}, {s.n:,} points, inputs {', '.join(s.features)}: "
                f"{numbers(self.fit.params)} {self.fit.convergence.verdict}, accuracy "
                f"{float(self.accuracy[-1]):.3f}; {mle}{l2})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the sentences, and each fit's accuracy and verdict."""
        from ..display import html, newton_words, number, verdict

        rows = [["gradient descent", number(float(self.accuracy[-1])),
                 verdict(self.fit.convergence)]]  # fmt: skip
        if self.mle is not None:
            rows.append(["maximum likelihood", "", newton_words(self.mle)])
        if self.line_accuracy is not None:
            rows.append(["a line (x1, x2 alone)", number(self.line_accuracy), ""])
        if self.l2 is not None:
            rows.append([f"L2, lambda {self.l2.lam:g}", number(self.l2_accuracy), ""])
        return html("plane.html", run=self, rows=rows)


def run_plane(settings: PlaneSettings) -> PlaneRun:
    """Draw the data set, fit its chosen inputs by gradient descent (fit_batch, the settings'
    training) and, when they bend the boundary, x1, x2 alone under the same training; the
    MLE of the chosen inputs (stats.mle) where it exists; with lam > 0 the L2 fit of the
    chosen inputs (stats.penalized, glmnet's scaling). DivergenceError when a fit diverges."""
    from ..data.separation import separation_of
    from ..data.simulated import simulate_plane
    from ..engines.batch import fit_batch
    from ..stats.mle import fit as fit_mle

    began = time.perf_counter()
    data = simulate_plane(settings.shape, settings.n, settings.seed)
    x, y = data.x.double().numpy(), data.y[:, 0].double().numpy()
    features = settings.features
    design = plane_design(x, features)
    if settings.train.init is not None:
        check_start(settings.train.init, np.abs(design).max(axis=0).tolist())
    batch = fit_batch(design, y, settings.train, record_every=settings.every, names=features)
    separated = separation_of(design, y, features)
    fit = replace(batch.result(0), separation=separated)
    mle, note = None, f"no MLE: {separated}" if separated else ""
    if not separated:
        try:
            mle = fit_mle(design, y, names=features)
        except DataError as exc:
            note = f"no MLE: {exc}"
    line_separable = separation_of(x, y, LINE) is not None
    line_accuracy = None
    if not set(features) <= set(LINE):
        line = fit_batch(x, y, settings.train, record_every=settings.train.epochs, names=LINE)
        line_accuracy = float(accuracies(line.result(0).params, x, y)[0])
    accuracy = accuracies(fit.history.params, design, y)
    sentence = plane_sentence(settings.shape, features, float(accuracy[-1]), line_accuracy,
                              line_separable)  # fmt: skip
    l2, l2_accuracy, l2_sentence = None, None, ""
    if settings.lam > 0:
        from ..stats.penalized import fit as fit_penalized

        l2 = fit_penalized(design, y, settings.lam)
        l2_accuracy = float(accuracies(l2.params, design, y)[0])
        before = (mle.params, "the MLE") if mle is not None else (fit.params, "the descent")
        was = float(accuracies(before[0], design, y)[0])
        l2_sentence = penalty_sentence(settings.lam, before, l2.params, was, l2_accuracy)
    return PlaneRun(settings, x, y, fit, accuracy, mle, note, line_accuracy, line_separable,
                    sentence, time.perf_counter() - began, l2, l2_accuracy,
                    l2_sentence)  # fmt: skip


def penalty_sentence(lam: float, unpenalized: tuple[np.ndarray, str], params: np.ndarray,
                     accuracy: float, l2_accuracy: float) -> str:  # fmt: skip
    """What the L2 penalty did, from the numbers: 'λ = 0.1 shrinks the coefficients' size
    (their Euclidean norm, the intercept aside) from 11.1 (the MLE) to 2.3; accuracy 98% →
    95%.' `unpenalized` is the unpenalized fit's parameters and its name."""
    before, name = unpenalized
    size = np.linalg.norm(np.asarray(before, dtype=float)[1:]), np.linalg.norm(params[1:])
    return (f"λ = {lam:g} shrinks the coefficients' size (their length, the intercept aside) "
            f"from {size[0]:.3g} ({name}) to {size[1]:.3g}; accuracy {accuracy:.0%} → "
            f"{l2_accuracy:.0%}.")  # fmt: skip


def plane_sentence(shape: str, features: tuple[str, ...], accuracy: float,
                   line_accuracy: float | None, line_separable: bool) -> str:  # fmt: skip
    """What the chosen inputs did that x1, x2 alone could not, from the numbers: 'The classes
    of XOR are not separable by a line: x1, x2 alone reach 50% accuracy; with x1·x2 added,
    97%.' Empty when the inputs draw a straight boundary (line_accuracy None)."""
    if line_accuracy is None:
        return ""
    extra = [FEATURE_LABELS[name] for name in features if name not in LINE]
    chosen = ", ".join(extra if set(LINE) <= set(features) else map(FEATURE_LABELS.get, features))
    how = "added" if set(LINE) <= set(features) else "instead"
    head = (
        f"The classes of {SHAPE_WORDS[shape]} are {'' if line_separable else 'not '}separable "
        "by a line"
        if accuracy > line_accuracy + SAME_ACCURACY
        else f"A line does as well on {SHAPE_WORDS[shape]}"
    )
    return (f"{head}: x1, x2 alone reach {line_accuracy:.0%} accuracy; with {chosen} {how}, "
            f"{accuracy:.0%}.")  # fmt: skip
