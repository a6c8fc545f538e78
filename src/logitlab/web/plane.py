"""The 2-D view's request (POST /api/plane) checked against the server's bounds, turned into
the study's settings and answered with its record; the model's work is studies.playground's
run_plane, as the CLI calls its studies."""

from __future__ import annotations

from ..config import MAX_SEED, check_batch_size, check_float, check_int, check_losses, shown
from ..data.simulated import MIN_PLANE_N
from ..errors import ConfigError
from ..records import json_safe, to_record
from ..studies.playground import (
    FEATURE_LABELS,
    SHAPE_WORDS,
    PlaneSettings,
    plane_features,
    run_plane,
    trajectory_stride,
)
from .limits import Limits
from .schemas import PlaneRequest, train_config

#: Fits of one 2-D request: the chosen inputs', and x1, x2 alone for the comparison.
PLANE_FITS = 2


def plane_settings(request: PlaneRequest, limits: Limits) -> PlaneSettings:
    """The study's settings of a request, every value checked (n within max_plane_n, the
    work within max_work, one loss, lam from 0 to max_plane_lambda) before any work."""
    data, train = request.data, request.train
    n = check_int("n", data.n, MIN_PLANE_N, limits.max_plane_n)
    seed = check_int("seed", data.seed, 0, MAX_SEED)
    features = plane_features(request.features)
    epochs = check_int("epochs", train.epochs, 1, limits.max_epochs)
    frames = check_int("frames", request.frames, 1, limits.max_frames)
    lam = check_float("lam", request.lam)
    if not 0 <= lam <= limits.max_plane_lambda:
        raise ConfigError(
            f"lam (the L2 penalty) must be from 0 to {limits.max_plane_lambda}, got {lam:g}"
        )
    losses = check_losses(train.loss)
    if len(losses) != 1:
        raise ConfigError(f"the 2-D view fits one loss, bce or mse, got {shown(train.loss)}")
    cfg = train_config(train, loss=losses[0], epochs=epochs)
    check_batch_size(cfg.batch_size, n)
    work = limits.fit_work(n, epochs, cfg.batch_size, PLANE_FITS)
    if work > limits.max_work:
        raise ConfigError(f"{epochs:,} epochs on {n:,} points, twice (the chosen inputs and "
                          f"x1, x2 alone) = {work:,} point-epochs is above max_work = "
                          f"{limits.max_work:,}; ask for fewer epochs or points")  # fmt: skip
    return PlaneSettings(data.shape, n, seed, features, cfg,
                         trajectory_stride(epochs, frames), lam)  # fmt: skip


def plane_answer(request: PlaneRequest, limits: Limits) -> dict:
    """POST /api/plane's answer: the 2-D study's record (records.playground)."""
    return json_safe(to_record(run_plane(plane_settings(request, limits))))


def plane_config() -> dict:
    """The 2-D view in GET /api/config: its data sets and inputs with their names, and the
    request's defaults."""
    return {
        "shapes": SHAPE_WORDS,
        "features": FEATURE_LABELS,
        "defaults": PlaneRequest().model_dump(),
    }
