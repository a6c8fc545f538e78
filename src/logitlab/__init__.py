"""logitlab: logistic regression with PyTorch — the week-5 lecture, and your own data.

The public API is re-exported here and loaded lazily, so `import logitlab` trains nothing,
imports neither torch nor a plotting library and sets no Matplotlib backend. Subpackages
(`logitlab.stats.mle`, ...) are reachable as attributes too: `logitlab.mle.fit(X, y)`.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

from .errors import (
    ConfigError,
    DataError,
    DivergenceError,
    LogitlabError,
    SeparationError,
)

# Idle OpenMP threads sleep rather than spin. The runtime reads this once, when torch (whose
# libgomp Numba's compiled passes then share) is first imported, so it is set here, before
# any module of the package imports torch; a caller's own setting wins. Spinning threads
# take the cores from each other and from any other busy process: with one busy process on
# a 2-core machine an MLE fit at 10**6 x 10 took 0.44-0.76 s spinning, 0.10-0.12 s asleep.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

#: public name -> module that defines it
_LAZY = {
    "DataConfig": "config",
    "TrainConfig": "config",
    "LectureConfig": "config",
    "LandscapeConfig": "config",
    "AnimationConfig": "config",
    "SweepConfig": "config",
    "MonteCarloConfig": "config",
    "FitSettings": "config",
    "ModelOptions": "config",
    "Dataset": "data",
    "simulate": "data",
    "save_csv": "data",
    "load_csv": "data",
    "lecture_net": "model",
    "initial_params": "model",
    "probabilities": "model",
    "sigmoid": "model",
    "bce": "losses",
    "mse": "losses",
    "fit": "engines",
    "FitResult": "result",
    "History": "result",
    "fit_batch": "engines.batch",
    "BatchResult": "engines.batch",
    "fit_softmax": "engines.softmax",
    "SoftmaxFit": "engines.softmax",
    "MLEResult": "stats.mle",
    "run_lecture": "studies.lecture",
    "run_landscape": "studies.why",
    "WhyNotMSE": "studies.why",
    "run_sweep": "studies.sweep",
    "run_montecarlo": "studies.montecarlo",
    "run_animation": "studies.animation",
    "fit_table": "studies.fit",
    "TableFit": "studies.fit",
    "read_table": "data.tables",
    "load_dataset": "data.datasets",
    "build_design": "data.design",
    "load_model": "data.modelfile",
    "run_digits": "studies.digits",
    "to_record": "records",
    "LogisticRegressionGD": "estimator",
    "diagram_detailed": "viz.diagram",
    "diagram_compact": "viz.diagram",
    "write_diagram": "report.writers",
    "plot_data": "viz.lecture",
    "plot_fit": "viz.lecture",
    "plot_loss_history": "viz.lecture",
    "table_figures": "viz.fit",
}

#: submodule attribute -> module: `logitlab.mle.fit(X, y)` works after a plain `import logitlab`
_MODULES = {
    "mle": "stats.mle",
    "landscape": "stats.landscape",
    "stats": "stats",
    "studies": "studies",
    "viz": "viz",
    "report": "report",
    "engines": "engines",
    "records": "records",
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
    elif name in _MODULES:
        value = import_module(f".{_MODULES[name]}", __name__)
    else:
        raise AttributeError(f"module 'logitlab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *_MODULES})
