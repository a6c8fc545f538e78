"""The request bodies of the playground's API (the contract of issue #12) as pydantic models.

The models fix only the shape and the types (a wrong type or a missing field is a 422); every
value's range is checked by the package's own validators when the request is served (a 400
in the words the CLI and the library use), against the server's Limits.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..config import DEFAULT_DATA_SEED, LOSSES, OPTIMIZERS, TrainConfig
from ..data.simulated import PLANE_SHAPES
from ..studies.playground import PLANE_FEATURES


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


#: TrainConfig's fields the page does not set: the server picks the engine, and the initial
#: net's seed and the stopping rule stay the lecture's.
SERVER_SIDE = ("engine", "init_seed", "tol")
#: TrainConfig's names the page (and the command line, --start) says in its own word.
PAGE_NAMES = {"init": "start"}


def _train_spec() -> type[_Spec]:
    """TrainSpec: TrainConfig's fields with their types and defaults (derived, so a training
    setting added there reaches the page's contract by itself), but both losses by default,
    the names as Literal choices, and init as `start`."""
    hints = get_type_hints(TrainConfig)
    choices = {"loss": Literal[(*LOSSES, "both")], "optimizer": Literal[OPTIMIZERS]}
    defaults = {"loss": "both"}
    specs = {
        PAGE_NAMES.get(f.name, f.name): (
            choices.get(f.name, hints[f.name]),
            defaults.get(f.name, f.default),
        )
        for f in fields(TrainConfig)
        if f.name not in SERVER_SIDE
    }
    return create_model(
        "TrainSpec",
        __base__=_Spec,
        __module__=__name__,
        __doc__="Gradient descent's settings, the lecture's by default (both losses); start "
        "None is the lecture net's start (torch.manual_seed(43052)).",
        **specs,
    )


TrainSpec = _train_spec()


def train_config(spec: TrainSpec, **chosen: object) -> TrainConfig:
    """The TrainConfig a request's TrainSpec sets, checked there (in the words of the command
    line and the library); `chosen` sets the fields the server decides (each fit's loss, the
    epochs within its bounds)."""
    given = spec.model_dump()
    settings = {f.name: given[PAGE_NAMES.get(f.name, f.name)] for f in fields(TrainConfig)
                if f.name not in SERVER_SIDE}  # fmt: skip
    return TrainConfig(**(settings | chosen))


class FitRequest(_Spec):
    """POST /api/fit and /api/runs: the data, the training, the trajectory's frames."""

    data: DataSpec = Field(default_factory=SimulateSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)
    frames: int = 200


class FitNowRequest(FitRequest):
    """POST /api/fit: a FitRequest, and if_idle true to be refused at once (503, busy) while
    the server computes anything else, rather than wait: the page then fits it itself."""

    if_idle: bool = False


class LandscapeRequest(_Spec):
    """POST /api/landscape: both losses over a grid x grid window of (w0, w1)."""

    data: DataSpec = Field(default_factory=SimulateSpec)
    grid: int = 61
    w0: tuple[float, float] = (-6.0, 4.0)
    w1: tuple[float, float] = (-5.0, 15.0)


class PlaneDataSpec(_Spec):
    """A simulated 2-D data set (data.simulated.PLANE_SHAPES): n points under seed; the two
    blobs by default, which a line separates well (XOR, one choice away, it does not)."""

    shape: Literal[tuple(PLANE_SHAPES)] = "blobs"
    n: int = 400
    seed: int = DEFAULT_DATA_SEED


class PlaneRequest(_Spec):
    """POST /api/plane: a 2-D data set, the model's inputs among the transforms of x1 and x2
    (studies.playground.PLANE_FEATURES), the training of its one loss, the trajectory's
    frames, and lam, the L2 penalty of the fit drawn beside the descent (0: none). The
    training's defaults suit every data set and inputs: SGD at lr 0.1 for 2,000 epochs (x1²
    reaches ~10, so the lecture's steps would crawl and larger ones diverge)."""

    data: PlaneDataSpec = Field(default_factory=PlaneDataSpec)
    features: list[Literal[tuple(PLANE_FEATURES)]] = ["x1", "x2"]
    train: TrainSpec = Field(default_factory=lambda: TrainSpec(loss="bce", lr=0.1, epochs=2000))
    frames: int = 100
    lam: float = 0.0


class OrdersRequest(_Spec):
    """POST /api/orders: the mini-batch orders of n points over epochs, under shuffle_seed."""

    n: int
    epochs: int
    shuffle_seed: int = 0
