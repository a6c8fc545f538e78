"""What every record shares: the dispatcher to_record, strict JSON, who computed a run
(provenance: versions, machine, time), the lecture's w0/w1 and the training settings."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from functools import singledispatch
from importlib import metadata
from typing import Any

import numpy as np

from ..config import TrainConfig


@singledispatch
def to_record(value: object) -> Any:
    """A JSON-ready record of `value`; settings dataclasses become flat dicts of their fields.

    Parameters
    ----------
    value : object
        A dataclass instance, NumPy array or scalar, tuple, list, dict, str, number or None.

    Returns
    -------
    object
        The record: dicts, lists, str, numbers, bools and None.

    Raises
    ------
    TypeError
        For a value of another kind.
    """
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_record(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, tuple | list):
        if value and set(map(type, value)) == {float}:  # a curve: one copy, no call a point
            return list(value)
        return [to_record(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool | dict):
        return value
    raise TypeError(f"no record for {type(value).__name__}")


def json_safe(value: object) -> object:
    """Strict JSON: NaN or inf (a diverged fit, nothing converged) becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        if value and set(map(type, value)) == {float}:  # a curve: checked at once
            finite = np.isfinite(value)
            if finite.all():
                return list(value)
            return [item if ok else None for item, ok in zip(value, finite.tolist(), strict=True)]
        return [json_safe(item) for item in value]
    return value


#: Packages whose versions decide a run's numbers, recorded in every results file.
PACKAGES = ("logitlab", "torch", "numpy", "numba", "scipy", "matplotlib")


def provenance(seconds: float | None = None) -> dict:
    """Who computed a result, where and when: versions, the machine, the time and how long
    the run took (seconds), for the results file that records it."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "versions": versions,
        "machine": {
            "system": f"{platform.system()} {platform.release()}",
            "processor": platform.machine(),
            "cores": os.cpu_count(),
        },
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
    }


def lecture_params(params: object) -> dict[str, float]:
    """A one-feature parameter vector as the lecture names it: {"w0": ..., "w1": ...}."""
    w0, w1 = np.asarray(params, dtype=float)
    return {"w0": float(w0), "w1": float(w1)}


def training_settings(train: TrainConfig) -> dict:
    """Every training setting but the loss (a study trains each of its losses with them):
    lr, epochs, init seed, engine, tol, the optimizer and its settings, the batch size (None:
    the full batch), the shuffle seed and the start `init` (None: the net of init_seed)."""
    return {
        "init_seed": train.init_seed,
        "lr": train.lr,
        "epochs": train.epochs,
        "engine": train.engine,
        "tol": train.tol,
        **{name: to_record(value) for name, value in train.optimizer_settings().items()},
        "init": to_record(train.init),
    }
