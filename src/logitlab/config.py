"""Run settings as frozen dataclasses, validated once at the edge.

Every check raises ConfigError with a message saying what is wrong and what is allowed, so the
CLI and the library report the same mistakes in the same words.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from .errors import ConfigError

LOSSES = ("bce", "mse")
#: "auto" is fused when numba is installed, else eager (see logitlab.engines).
ENGINES = ("auto", "eager", "fused")
LECTURE_INIT_SEED = 43052
DEFAULT_DATA_SEED = 2022


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


@dataclass(frozen=True)
class DataConfig:
    """The lecture's simulated data: x = linspace(-1, 1, n), y ~ Bernoulli(sigmoid(w0 + w1 x))."""

    n: int = 2000
    w0: float = -1.0
    w1: float = 5.0
    seed: int = DEFAULT_DATA_SEED

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", check_int("n", self.n, 2))
        object.__setattr__(self, "w0", check_float("w0", self.w0))
        object.__setattr__(self, "w1", check_float("w1", self.w1))
        object.__setattr__(self, "seed", check_int("data seed", self.seed, 0))


@dataclass(frozen=True)
class TrainConfig:
    """Full-batch gradient descent as in the lecture: SGD, lr 0.05, 10,000 epochs."""

    loss: str = "bce"
    lr: float = 0.05
    epochs: int = 10_000
    init_seed: int = LECTURE_INIT_SEED
    engine: str = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "engine", check_engine(self.engine))
        object.__setattr__(self, "loss", check_loss("loss", self.loss))
        object.__setattr__(self, "lr", check_float("lr", self.lr, positive=True))
        object.__setattr__(self, "epochs", check_int("epochs", self.epochs, 1))
        object.__setattr__(self, "init_seed", check_int("init seed", self.init_seed, 0))


@dataclass(frozen=True)
class LectureConfig:
    """Everything `logitlab lecture` needs: the data, and one training run per loss."""

    data: DataConfig = field(default_factory=DataConfig)
    losses: tuple[str, ...] = LOSSES
    lr: float = 0.05
    epochs: int = 10_000
    init_seed: int = LECTURE_INIT_SEED
    engine: str = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "losses", check_losses(self.losses))
        for loss in self.losses:  # validates lr, epochs and seed once, with the same messages
            self.train(loss)

    def train(self, loss: str) -> TrainConfig:
        """The training settings for one loss."""
        return TrainConfig(
            loss=loss, lr=self.lr, epochs=self.epochs, init_seed=self.init_seed, engine=self.engine
        )

    def as_dict(self) -> dict:
        """Flat, JSON-ready record of every setting."""
        return {
            "n": self.data.n,
            "w0": self.data.w0,
            "w1": self.data.w1,
            "data_seed": self.data.seed,
            "init_seed": self.init_seed,
            "lr": self.lr,
            "epochs": self.epochs,
            "losses": list(self.losses),
            "engine": self.engine,
        }
