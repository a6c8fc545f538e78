"""What the playground computes, as plain functions of validated specs: the data, the MLE,
fits on the fused engine, loss landscapes with their contour rings, the network diagram.

No FastAPI here: each function takes the request's pydantic spec (web.schemas) and the
server's Limits, checks every value with the package's own validators (config.check_int and
friends, so the page, the CLI and the library refuse in the same words) and answers with
logitlab.records' records plus the few fields the page needs. The app runs them all on its
one worker thread (web.worker): Numba's parallel kernels are never entered twice at once.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter, OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..budget import format_bytes
from ..config import (
    LECTURE_INIT_SEED,
    LOSSES,
    MAX_SEED,
    OPTIMIZERS,
    DataConfig,
    check_batch_size,
    check_float,
    check_int,
    check_losses,
    check_start,
    shown,
)
from ..errors import ConfigError, DataError
from ..records import json_safe, lecture_params, to_record
from ..studies.playground import PlaygroundSettings, run_playground, trajectory_stride
from .limits import Limits, TooLarge
from .plane import plane_config
from .schemas import (
    DatasetSpec,
    DataSpec,
    FitRequest,
    InlineSpec,
    LandscapeRequest,
    SimulateSpec,
    TrainSpec,
    train_config,
)

#: Contour rings drawn per loss: every third of the figures' 30 log-spaced levels.
RINGS = 10
#: Decimals kept of a contour ring's coordinates (a pixel is ~0.01 of a lecture axis).
RING_DECIMALS = 4


@dataclass(frozen=True)
class Data:
    """One data set as the page sees it: one feature x, 0/1 labels y (float64 holding the
    float32 values every engine computes with), names, the truth when simulated, and the
    MLE (a record, or None with the reason in mle_note)."""

    x: np.ndarray
    y: np.ndarray
    feature: str
    target: str
    truth: tuple[float, float] | None
    mle: dict | None
    mle_note: str

    @property
    def n(self) -> int:
        return len(self.x)

    def body(self) -> dict:
        """POST /api/data's answer."""
        return json_safe({
            "x": self.x.tolist(),
            "y": self.y.astype(int).tolist(),
            "n": self.n,
            "feature": self.feature,
            "target": self.target,
            "truth": None if self.truth is None else lecture_params(self.truth),
            "mle": self.mle,
            "mle_note": self.mle_note,
            "xrange": [float(self.x.min()), float(self.x.max())],
        })  # fmt: skip


def load_data(spec: DataSpec, limits: Limits) -> Data:
    """The data a spec names, checked against limits.max_n (simulated and shipped data
    come from a small cache: the page asks for the same ones again and again)."""
    if isinstance(spec, SimulateSpec):
        check_int("n", spec.n, 2, limits.max_n)
        return _simulated(spec.n, spec.w0, spec.w1, spec.seed)
    if isinstance(spec, DatasetSpec):
        return _shipped(spec.name, spec.feature)
    return inline_data(spec, limits)


def inline_data(spec: InlineSpec, limits: Limits) -> Data:
    """Points sent in the request (as /api/upload hands them out), checked like any fit's."""
    return _points(spec.x, spec.y, spec.feature, spec.target, limits)


def _points(x: object, y: object, feature: str, target: str, limits: Limits) -> Data:
    """Points x, y checked as every fit's (finite, within float32, 0/1 labels), up to max_n."""
    from ..data.checks import design_array, label_array

    x = design_array(x, "x")[:, 0].astype(np.float32).astype(float)
    check_int("n", len(x), 2, limits.max_n)
    y = label_array(y, len(x))
    return _with_mle(x, y, feature, target, None)


@lru_cache(maxsize=16)
def _simulated(n: int, w0: float, w1: float, seed: int) -> Data:
    from ..data import simulate_from

    cfg = DataConfig(n=n, w0=w0, w1=w1, seed=seed)
    data = simulate_from(cfg)
    x, y = data.x[:, 0].double().numpy(), data.y[:, 0].double().numpy()
    return _with_mle(x, y, "x", "y", cfg.truth)


@lru_cache(maxsize=16)
def _shipped(name: str, feature: str | None) -> Data:
    from ..data.design import build_design

    table, info = _table(name), dataset_info(name)
    feature = info["feature"] if feature is None else feature
    if feature not in info["features"]:
        raise ConfigError(f"feature must be one of the numeric columns of {name} "
                          f"({', '.join(info['features'])}), got {shown(feature)}")  # fmt: skip
    design = build_design(table.frame, target=table.target, features=[feature],
                          positive=table.info.positive)  # fmt: skip
    x = design.X[:, 0].astype(np.float32).astype(float)
    return _with_mle(x, design.y, feature, table.target, None)


def _with_mle(x: np.ndarray, y: np.ndarray, feature: str, target: str, truth: object) -> Data:
    """The data with their MLE, or the reason there is none (separation, a constant x)."""
    from ..stats.mle import fit as fit_mle

    for array in (x, y):
        array.setflags(write=False)  # cached and shared between requests
    try:
        mle, note = to_record(fit_mle(x, y, names=(feature,))), ""
    except DataError as exc:
        mle, note = None, str(exc)
    return Data(x, y, feature, target, truth, json_safe(mle), note)


@lru_cache(maxsize=8)
def _table(name: str):  # -> data.datasets.Table
    from ..data.datasets import load_dataset

    return load_dataset(name)


@lru_cache(maxsize=8)
def dataset_info(name: str) -> dict:
    """A shipped set as the page lists it: its usable one-feature columns (numeric, not
    constant) and the default one, the first column of its default formula."""
    from ..data.design import build_design

    table = _table(name)
    frame = table.frame.drop(columns=[table.target])
    numeric = frame.select_dtypes("number")
    features = [str(c) for c in numeric.columns if numeric[c].nunique() > 1]
    default = build_design(table.frame, formula=table.formula).spec.columns[0]
    return {
        "name": name,
        "description": table.info.description,
        "target": table.target,
        "features": features,
        "feature": default,
    }


# --- uploads -------------------------------------------------------------------------------


def upload_data(content: bytes, limits: Limits) -> Data:
    """A CSV upload held in memory: columns x and y, or exactly two columns (feature, then
    label); labels of two values, the larger being 1. Nothing touches the disk.

    The two columns are then checked as the inline points the page sends back (the same
    words: x and y). They are coded as x and y, too: a column's name is the uploader's text,
    and no text of a request reaches the formula parser."""
    import pandas

    from ..data.design import build_design

    if len(content) > limits.max_upload_bytes:
        raise TooLarge(too_large("upload", len(content), limits.max_upload_bytes))
    if not content.strip():
        raise DataError("the upload is empty: a CSV needs a header row (x,y) and data rows")
    try:
        frame = pandas.read_csv(io.BytesIO(content))
        header = pandas.read_csv(io.BytesIO(content), header=None, nrows=1, dtype=str,
                                 keep_default_na=False).iloc[0].tolist()  # fmt: skip
    except (ValueError, UnicodeDecodeError, pandas.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise DataError(f"the upload is not a readable CSV: {reason}") from None
    repeated = [name for name, count in Counter(header).items() if count > 1]
    if repeated:  # pandas renamed them x, x.1: refused, as tables read from files are
        raise DataError(f"the CSV has more than one column named "
                        f"{', '.join(shown(name) for name in repeated[:3])}")  # fmt: skip
    names = [str(c) for c in frame.columns]
    if {"x", "y"} <= set(names):
        feature, target = "x", "y"
    elif len(names) == 2:
        feature, target = names
    else:
        raise DataError(f"the CSV needs columns x and y, or exactly two columns (feature, "
                        f"label); got {len(names)}: {shown(names)}")  # fmt: skip
    frame.columns = names
    if len(frame) < 2:
        raise DataError(f"the CSV has {len(frame)} data row(s); a fit needs at least 2")
    if not pandas.api.types.is_numeric_dtype(frame[feature]):
        raise DataError(f"column {feature!r} (the feature) must hold numbers only")
    coded = frame[[feature, target]].set_axis(["x", "y"], axis=1)
    design = build_design(coded, target="y", features=["x"])
    return _points(design.X[:, 0], design.y, feature, target, limits)


def too_large(what: str, size: int, limit: int) -> str:
    """'the upload is 3.2 MB; the limit is 1 MB'."""
    return f"the {what} is {format_bytes(size)}; the limit is {format_bytes(limit)}"


# --- fits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitPlan:
    """A checked fit request: the data and the study's settings."""

    data: Data
    settings: PlaygroundSettings


def plan_fit(data: Data, train: TrainSpec, frames: int, limits: Limits, *, run: bool) -> FitPlan:
    """Check a fit's settings against the data and the bounds (max_work for /api/fit,
    max_run_work for a run) before any work."""
    from ..engines import resolve_engine

    epochs = check_int("epochs", train.epochs, 1, limits.max_epochs)
    frames = check_int("frames", frames, 1, limits.max_frames)
    losses = check_losses(train.loss)
    cfg = train_config(train, loss=losses[0], epochs=epochs)
    check_batch_size(cfg.batch_size, data.n)
    if cfg.init is not None:
        check_start(cfg.init, [float(np.abs(data.x).max())])
    work = limits.fit_work(data.n, epochs, cfg.batch_size, len(losses))
    name, bound = ("max_run_work", limits.max_run_work) if run else ("max_work", limits.max_work)
    if work > bound:
        more = "the most a run may do" if run else "for one request; start a run (/api/runs)"
        batches = "full batch" if cfg.batch_size is None else f"batch size {cfg.batch_size:,}"
        raise ConfigError(f"{epochs:,} epochs x {len(losses)} loss(es) on {data.n:,} points "
                          f"({batches}) = {work:,} point-epochs is above {name} = {bound:,}, "
                          f"{more}")  # fmt: skip
    every = trajectory_stride(epochs, frames)
    return FitPlan(data, PlaygroundSettings(cfg, losses, every, resolve_engine("auto")))


#: Fits kept: every page opens on the lecture's fit (made by warm()), so a class opening the
#: page at once costs the server one fit, not sixty.
_FITS: OrderedDict[bytes, dict] = OrderedDict()
FITS_KEPT = 8


def fit_answer(request: FitRequest, limits: Limits) -> dict:
    """POST /api/fit's answer: the request checked against the bounds, then its fit (the last
    few kept, whether asked if_idle or not)."""
    plan = plan_fit(load_data(request.data, limits), request.train, request.frames, limits,
                    run=False)  # fmt: skip
    fit = request.model_dump_json(include=set(FitRequest.model_fields))
    key = hashlib.blake2b(fit.encode(), digest_size=16).digest()
    return _kept(_FITS, key, lambda: run_fit(plan), FITS_KEPT)


def run_fit(plan: FitPlan, progress: Callable[[int, np.ndarray], None] | None = None) -> dict:
    """The playground study of a plan -> POST /api/fit's answer: its record (each loss's
    fit with its trajectory and distance to the MLE, the seconds) and the MLE."""
    data, mle = plan.data, plan.data.mle
    ends = None if mle is None else (np.array([mle["w0"], mle["w1"]]),
                                     np.array([mle["se_w0"], mle["se_w1"]]))  # fmt: skip
    run = run_playground(data.x, data.y, data.feature, plan.settings, ends, progress)
    return json_safe(to_record(run) | {"mle": mle})


# --- landscapes ----------------------------------------------------------------------------


def lecture_window() -> tuple[list[float], list[float]]:
    """The lecture's landscape window: stats.landscape.grid around the truth, holding the
    lecture net's start."""
    from ..model import initial_params
    from ..stats.landscape import grid

    w0, w1 = grid(DataConfig().truth, include=[initial_params(LECTURE_INIT_SEED, 1)], size=3)
    return [float(w0[0]), float(w0[-1])], [float(w1[0]), float(w1[-1])]


def _axis(name: str, value: tuple[float, float], size: int, limits: Limits) -> np.ndarray:
    """One axis of a landscape's grid: size values from lo to hi, within max_window."""
    lo, hi = check_float(f"{name} lo", value[0]), check_float(f"{name} hi", value[1])
    if not -limits.max_window <= lo < hi <= limits.max_window:
        raise ConfigError(f"{name} must be lo < hi within +-{limits.max_window:,}, "
                          f"got {shown([lo, hi])}")  # fmt: skip
    return np.linspace(lo, hi, size)


#: Landscapes kept: the page asks for the same one whenever only the training changes.
_LANDSCAPES: OrderedDict[tuple, dict] = OrderedDict()
LANDSCAPES_KEPT = 8


def landscape(data: Data, request: LandscapeRequest, limits: Limits) -> dict:
    """Both losses over the (w0, w1) grid (stats.landscape.evaluate, row i = w1[i]) with
    their contour rings -> POST /api/landscape's answer (the last few kept: called from the
    worker thread only)."""
    size = check_int("grid", request.grid, 3, limits.max_grid)
    w0, w1 = _axis("w0", request.w0, size, limits), _axis("w1", request.w1, size, limits)
    work = size * size * data.n * len(LOSSES)
    if work > limits.max_landscape_work:
        raise ConfigError(f"grid**2 x n x 2 losses = {work:,} is above max_landscape_work = "
                          f"{limits.max_landscape_work:,}; use a smaller grid")  # fmt: skip
    digest = hashlib.blake2b(data.x.tobytes() + data.y.tobytes(), digest_size=16).digest()
    key = (digest, size, *w0[[0, -1]], *w1[[0, -1]])
    return _kept(_LANDSCAPES, key, lambda: _surfaces(data, w0, w1), LANDSCAPES_KEPT)


def _kept(cache: OrderedDict, key: object, make: Callable[[], dict], size: int) -> dict:
    """cache[key], made by make() the first time; the `size` last used are kept (called from
    the worker thread only)."""
    if key not in cache:
        cache[key] = make()
        while len(cache) > size:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]


def _surfaces(data: Data, w0: np.ndarray, w1: np.ndarray) -> dict:
    import contourpy

    from ..stats.landscape import evaluate

    W0, W1 = np.meshgrid(w0, w1)
    points = np.column_stack((W0.ravel(), W1.ravel()))
    body: dict = {"w0": w0.tolist(), "w1": w1.tolist(), "contours": {}}
    with np.errstate(all="ignore"):
        for loss in LOSSES:
            values = evaluate(loss, points, data.x, data.y, hessian=False).loss.reshape(W0.shape)
            body[loss] = values.tolist()
            lines = contourpy.contour_generator(w0, w1, values, line_type="Separate")
            body["contours"][loss] = [
                {"level": level, "paths": [np.round(p, RING_DECIMALS).tolist()
                                           for p in lines.lines(level)]}
                for level in ring_levels(values)
            ]  # fmt: skip
    return json_safe(body)


def ring_levels(values: np.ndarray) -> list[float]:
    """RINGS levels spaced evenly in log between the lowest and highest value (as the
    figures' contour lines, viz.why), the lowest itself left out: it is a point, not a ring."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or finite.min() == finite.max():
        return []
    lo, hi = float(finite.min()), float(finite.max())
    if lo > 0:
        return np.geomspace(lo, hi, 3 * RINGS + 1)[1::3].tolist()
    return np.linspace(lo, hi, RINGS + 2)[1:-1].tolist()


# --- the page's settings and the diagram ---------------------------------------------------


def config_body(limits: Limits) -> dict:
    """GET /api/config: the lecture's defaults, the bounds, the shipped data sets, the 2-D
    view's data sets and inputs."""
    from ..data.datasets import DATASETS
    from ..viz.style import page_colors

    w0, w1 = lecture_window()
    return {
        "defaults": {
            "data": SimulateSpec().model_dump(),
            "train": TrainSpec().model_dump(),
            "grid": LandscapeRequest.model_fields["grid"].default,
            "w0": w0,
            "w1": w1,
        },
        "limits": limits.public(),
        "datasets": [dataset_info(name) for name in DATASETS],
        "optimizers": list(OPTIMIZERS),
        "losses": [*LOSSES, "both"],
        "colors": page_colors(),
        "descent": descent_constants(),
        "plane": plane_config(),
    }


def descent_constants() -> dict:
    """What the page's port of the fused descent (static/descent.js) takes from the engine,
    so it restates none of it: the exp and log1p polynomials, exp's clamp, log2(e) in
    float32, the divergence rule's logit limit and the lecture net's start."""
    from ..engines import fused
    from ..model import initial_params
    from ..result import LOGIT_LIMIT

    return {
        "exp2": [float(c) for c in fused.EXP2_POLY],
        "log1p": [float(c) for c in fused.LOG1P_POLY],
        "exp_limit": float(fused.EXP_LIMIT),
        "log2e": float(fused.LOG2E),
        "logit_limit": LOGIT_LIMIT,
        "start": initial_params(LECTURE_INIT_SEED, 1).astype(float).tolist(),
    }


def shuffle_orders(n: int, seed: int, epochs: int, limits: Limits) -> bytes:
    """POST /api/orders: the order in which the fused engine's mini-batches visit n points in
    each of `epochs` epochs (engines.batch.shuffled_orders: torch's generator, which the page
    cannot replay), as little-endian int32, epochs x n; at most max_order_values of them."""
    from ..engines.batch import shuffled_orders

    n = check_int("n", n, 2, limits.max_n)
    epochs = check_int("epochs", epochs, 1, limits.max_epochs)
    seed = check_int("shuffle seed", seed, 0, MAX_SEED)
    if n * epochs > limits.max_order_values:
        raise ConfigError(f"n x epochs = {n * epochs:,} orders is above max_order_values = "
                          f"{limits.max_order_values:,}")  # fmt: skip
    drawn = shuffled_orders(n, seed)
    return np.stack([next(drawn) for _ in range(epochs)]).astype("<i4").tobytes()


#: The diagrams the page may ask for.
DIAGRAMS = ("detailed", "compact")


@lru_cache(maxsize=len(DIAGRAMS))
def diagram_svg(kind: str) -> bytes:
    """The lecture's network diagram (viz.diagram) rendered by Graphviz to SVG, in memory."""
    from ..model import lecture_net
    from ..viz.diagram import diagram_compact, diagram_detailed

    draw = diagram_detailed if kind == "detailed" else diagram_compact
    return draw(lecture_net(LECTURE_INIT_SEED)).pipe(format="svg")


def warm(limits: Limits) -> dict:
    """Everything the page's first load asks for, made before the server answers anyone: the
    fused engine's compiled code (from Numba's cache, or compiled), the lecture's data,
    landscape and fit, the diagram, and /api/config's body (it reads every shipped data set), which
    it returns. A fresh server then loads the page as fast as a warm one. (A server whose
    limits refuse the lecture's landscape or fit skips it: the page will not ask for it.)"""
    from ..engines.batch import fit_batch

    data = load_data(SimulateSpec(), Limits())
    fit_batch(data.x[:4, None], data.y[:4], loss=list(LOSSES), epochs=2, engine="auto",
              progress=lambda k, w: None)  # fmt: skip
    fit_batch(data.x[:4, None], data.y[:4], loss=list(LOSSES), epochs=2, engine="auto",
              optimizer="adam", batch_size=2)  # fmt: skip
    with suppress(ConfigError):
        landscape(data, LandscapeRequest(), limits)
    with suppress(ConfigError):
        fit_answer(FitRequest(), limits)
    diagram_svg("compact")
    return config_body(limits)
