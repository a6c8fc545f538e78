"""logitlab: the week-5 lecture's logistic regression with PyTorch, as a library and a command.

The public API is re-exported here and loaded lazily, so `import logitlab` trains nothing,
imports no plotting library and sets no Matplotlib backend.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import (
    ConfigError,
    DataError,
    DivergenceError,
    LogitlabError,
    SeparationError,
)

__version__ = "0.1.0"

#: public name -> submodule that defines it
_LAZY = {
    "DataConfig": "config",
    "TrainConfig": "config",
    "LectureConfig": "config",
    "Dataset": "data",
    "simulate": "data",
    "save_csv": "data",
    "load_csv": "data",
    "lecture_net": "model",
    "initial_params": "model",
    "probabilities": "model",
    "bce": "losses",
    "mse": "losses",
    "fit": "train",
    "FitResult": "train",
    "History": "train",
    "fit_batch": "engines.batch",
    "BatchResult": "engines.batch",
    "run_sweep": "sweep",
    "run_montecarlo": "montecarlo",
    "LogisticRegressionGD": "estimator",
    "run_lecture": "lecture",
    "diagram_detailed": "diagram",
    "diagram_compact": "diagram",
    "write_diagram": "diagram",
    "plot_data": "plots",
    "plot_fit": "plots",
    "plot_loss_history": "plots",
    "MLEResult": "mle",
    "WhyNotMSE": "why",
}

__all__ = [
    "ConfigError",
    "DataError",
    "DivergenceError",
    "LogitlabError",
    "SeparationError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'logitlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
