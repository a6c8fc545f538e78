"""The request bodies of the playground's API (the contract of issue #12) as pydantic models.

The models fix only the shape and the types (a wrong type or a missing field is a 422); every
value's range is checked by the package's own validators when the request is served (a 400
in the words the CLI and the library use), against the server's Limits.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..config import DEFAULT_DATA_SEED


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SimulateSpec(_Spec):
    """The lecture's draw: x = linspace(-1, 1, n), y ~ Bernoulli(sigmoid(w0 + w1 x))."""

    source: Literal["simulate"] = "simulate"
    n: int = 2000
    w0: float = -1.0
    w1: float = 5.0
    seed: int = DEFAULT_DATA_SEED


class DatasetSpec(_Spec):
    """A shipped data set (logitlab.data.datasets) and one of its numeric columns (None:
    the first of its default formula)."""

    source: Literal["dataset"]
    name: str
    feature: str | None = None


class InlineSpec(_Spec):
    """Points sent with the request, as /api/upload returns them (names optional)."""

    source: Literal["inline"]
    x: list[float]
    y: list[float]
    feature: str = "x"
    target: str = "y"


DataSpec = Annotated[SimulateSpec | DatasetSpec | InlineSpec, Field(discriminator="source")]


class TrainSpec(_Spec):
    """Gradient descent's settings, the lecture's by default (both losses). start None is
    the lecture net's start (torch.manual_seed(43052))."""

    loss: Literal["bce", "mse", "both"] = "both"
    optimizer: Literal["sgd", "momentum", "adam"] = "sgd"
    lr: float = 0.05
    epochs: int = 10_000
    batch_size: int | None = None
    start: list[float] | None = None
    momentum: float = 0.9
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    shuffle_seed: int = 0


class FitRequest(_Spec):
    """POST /api/fit and /api/runs: the data, the training, the trajectory's frames."""

    data: DataSpec = Field(default_factory=SimulateSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)
    frames: int = 200


class LandscapeRequest(_Spec):
    """POST /api/landscape: both losses over a grid x grid window of (w0, w1)."""

    data: DataSpec = Field(default_factory=SimulateSpec)
    grid: int = 61
    w0: tuple[float, float] = (-6.0, 4.0)
    w1: tuple[float, float] = (-5.0, 15.0)


class OrdersRequest(_Spec):
    """POST /api/orders: the mini-batch orders of n points over epochs, under shuffle_seed."""

    n: int
    epochs: int
    shuffle_seed: int = 0
