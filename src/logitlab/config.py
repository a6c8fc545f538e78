"""Run settings as frozen dataclasses, validated once at the edge.

Every check raises ConfigError with a message saying what is wrong and what is allowed, so the
CLI and the library refuse the same values in the same words. The command line only turns its
text into these dataclasses; nothing is checked anywhere else.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import ConfigError

LOSSES = ("bce", "mse")
#: "auto" is fused when numba is installed, else eager (see logitlab.engines).
ENGINES = ("auto", "eager", "fused")
LECTURE_INIT_SEED = 43052
DEFAULT_DATA_SEED = 2022
#: A far start where the fitted curve is the truth turned upside down and saturated
#: (u = 12 - 10x >= 2 on [-1, 1]): MSE's gradient is ~1e-4 there, BCE's ~0.6.
PLATEAU_START = (12.0, -10.0)


def check_int(name: str, value: object, minimum: int) -> int:
    """Return value as int if it is an integer >= minimum, else raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_float(name: str, value: object, *, positive: bool = False) -> float:
    """Return value as float if it is a finite real number (and > 0 when asked)."""
    allowed = "a finite number > 0" if positive else "a finite number"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or (positive and value <= 0):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    return value


def check_point(name: str, value: object) -> tuple[float, float]:
    """A point (w0, w1) of the one-feature parameter space: two finite numbers."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ConfigError(f"{name} must be two numbers w0, w1, got {value!r}")
    return check_float(f"{name} w0", value[0]), check_float(f"{name} w1", value[1])


def check_loss(name: str, value: object) -> str:
    """Return the loss name if it is one of LOSSES."""
    if value not in LOSSES:
        raise ConfigError(f"{name} must be one of {', '.join(LOSSES)}, got {value!r}")
    return str(value)


def check_engine(value: object) -> str:
    """Return the engine name if it is one of ENGINES."""
    if value not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {value!r}")
    return str(value)


def check_losses(value: object) -> tuple[str, ...]:
    """Accept 'bce', 'mse', 'both' or a sequence of loss names; return a tuple of names."""
    if value == "both":
        return LOSSES
    names = (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
    if not names or len(set(names)) != len(names) or not set(names) <= set(LOSSES):
        raise ConfigError(f"loss must be bce, mse or both, got {value!r}")
    return names


def _set(instance: object, name: str, value: object) -> None:
    """Store a validated value on a frozen dataclass."""
    object.__setattr__(instance, name, value)


@dataclass(frozen=True)
class DataConfig:
    """The lecture's simulated data: x = linspace(-1, 1, n), y ~ Bernoulli(sigmoid(w0 + w1 x))."""

    n: int = 2000
    w0: float = -1.0
    w1: float = 5.0
    seed: int = DEFAULT_DATA_SEED

    def __post_init__(self) -> None:
        _set(self, "n", check_int("n", self.n, 2))
        _set(self, "w0", check_float("w0", self.w0))
        _set(self, "w1", check_float("w1", self.w1))
        _set(self, "seed", check_int("data seed", self.seed, 0))

    @property
    def truth(self) -> tuple[float, float]:
        """The true parameters (w0, w1)."""
        return (self.w0, self.w1)


@dataclass(frozen=True)
class TrainConfig:
    """Full-batch gradient descent as in the lecture: SGD, lr 0.05, 10,000 epochs."""

    loss: str = "bce"
    lr: float = 0.05
    epochs: int = 10_000
    init_seed: int = LECTURE_INIT_SEED
    engine: str = "auto"
    #: Stop once the gradient norm is at most tol; None runs every epoch (the lecture's way).
    tol: float | None = None

    def __post_init__(self) -> None:
        if self.tol is not None:
            _set(self, "tol", check_float("tol", self.tol, positive=True))
        _set(self, "engine", check_engine(self.engine))
        _set(self, "loss", check_loss("loss", self.loss))
        _set(self, "lr", check_float("lr", self.lr, positive=True))
        _set(self, "epochs", check_int("epochs", self.epochs, 1))
        _set(self, "init_seed", check_int("init seed", self.init_seed, 0))


@dataclass(frozen=True)
class LectureConfig:
    """Everything `logitlab lecture` needs: the data, and one training run per loss."""

    data: DataConfig = field(default_factory=DataConfig)
    losses: tuple[str, ...] = LOSSES
    lr: float = 0.05
    epochs: int = 10_000
    init_seed: int = LECTURE_INIT_SEED
    engine: str = "auto"
    tol: float | None = None

    def __post_init__(self) -> None:
        _set(self, "losses", check_losses(self.losses))
        for loss in self.losses:  # validates lr, epochs and seed once, with the same messages
            self.train(loss)

    def train(self, loss: str) -> TrainConfig:
        """The training settings for one loss."""
        return TrainConfig(
            loss=loss,
            lr=self.lr,
            epochs=self.epochs,
            init_seed=self.init_seed,
            engine=self.engine,
            tol=self.tol,
        )


@dataclass(frozen=True)
class LandscapeConfig:
    """Why BCE and not MSE: both losses from the lecture's start and from a far plateau start,
    over a grid of grid_size x grid_size parameter values."""

    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    plateau_start: tuple[float, float] = PLATEAU_START
    grid_size: int = 121

    def __post_init__(self) -> None:
        _set(self, "plateau_start", check_point("plateau start", self.plateau_start))
        _set(self, "grid_size", check_int("grid size", self.grid_size, 3))


@dataclass(frozen=True)
class AnimationConfig:
    """A film of both losses' descents from `start` (None: the lecture's initial net)."""

    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    start: tuple[float, float] | None = None
    frames: int = 120
    fps: float = 20.0
    grid_size: int = 61

    def __post_init__(self) -> None:
        if self.start is not None:
            _set(self, "start", check_point("start", self.start))
        _set(self, "frames", check_int("frames", self.frames, 2))
        if self.frames > self.train.epochs + 1:
            raise ConfigError(
                f"frames must be at most epochs + 1 ({self.train.epochs + 1}), got {self.frames}"
            )
        _set(self, "fps", check_float("fps", self.fps, positive=True))
        _set(self, "grid_size", check_int("grid size", self.grid_size, 3))


@dataclass(frozen=True)
class SweepConfig:
    """The lecture's data and training settings, with one fit per lr and loss."""

    lecture: LectureConfig = field(default_factory=LectureConfig)
    lrs: tuple[float, ...] = (0.01, 0.05, 0.1, 0.5, 1.0)

    def __post_init__(self) -> None:
        lrs = list(self.lrs) if isinstance(self.lrs, list | tuple) else [self.lrs]
        if not lrs:
            raise ConfigError("lr list must hold at least one learning rate")
        _set(self, "lrs", tuple(check_float("lr", v, positive=True) for v in lrs))


@dataclass(frozen=True)
class MonteCarloConfig:
    """`reps` data sets drawn like the lecture's (data seed + r for rep r), each fitted with
    every loss under the lecture's training settings."""

    lecture: LectureConfig = field(default_factory=LectureConfig)
    reps: int = 1000

    def __post_init__(self) -> None:
        _set(self, "reps", check_int("reps", self.reps, 1))
        check_int("data seed of the last rep", self.data_seed(self.reps - 1), 0)

    def data_seed(self, rep: int) -> int:
        """The data seed of rep `rep`: the base seed plus the rep number."""
        return self.lecture.data.seed + rep
