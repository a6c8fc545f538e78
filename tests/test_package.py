"""The package's public face: a light import and the names a notebook needs."""

import os
import subprocess
import sys

import logitlab


def test_import_is_light():
    code = (
        "import sys, logitlab\n"
        "heavy = {'torch', 'matplotlib', 'graphviz', 'sklearn', 'numba'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _wait_policy_after_import(preset: str | None) -> str:
    """OMP_WAIT_POLICY as a fresh process sees it once the package (and torch) is imported."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if preset is not None:
        env["OMP_WAIT_POLICY"] = preset
    code = "import os, logitlab.model; print(os.environ['OMP_WAIT_POLICY'])"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return done.stdout.strip()


def test_openmp_threads_sleep_when_idle_unless_the_caller_says_otherwise():
    # set before torch loads its OpenMP runtime, which reads it once
    assert _wait_policy_after_import(None) == "PASSIVE"
    assert _wait_policy_after_import("ACTIVE") == "ACTIVE"


#: The public names users had before the restructure: each must keep working.
NAMES_BEFORE = [
    "ConfigError",
    "DataError",
    "DivergenceError",
    "LogitlabError",
    "SeparationError",
    "__version__",
    "DataConfig",
    "TrainConfig",
    "LectureConfig",
    "Dataset",
    "simulate",
    "save_csv",
    "load_csv",
    "lecture_net",
    "initial_params",
    "probabilities",
    "bce",
    "mse",
    "fit",
    "FitResult",
    "History",
    "fit_batch",
    "BatchResult",
    "run_sweep",
    "run_montecarlo",
    "LogisticRegressionGD",
    "run_lecture",
    "diagram_detailed",
    "diagram_compact",
    "write_diagram",
    "plot_data",
    "plot_fit",
    "plot_loss_history",
    "MLEResult",
    "WhyNotMSE",
]


def test_names_from_before_the_restructure_still_work():
    assert set(NAMES_BEFORE) <= set(logitlab.__all__)
    code = (
        "import logitlab\n"
        "assert logitlab.mle.fit is logitlab.stats.mle.fit\n"
        "assert logitlab.landscape.evaluate is logitlab.stats.landscape.evaluate\n"
        "assert logitlab.mle.MLEResult is logitlab.MLEResult\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_resolve():
    for name in logitlab.__all__:
        assert getattr(logitlab, name) is not None
    assert issubclass(logitlab.SeparationError, logitlab.LogitlabError)


def test_notebook_walkthrough(lecture_data):
    net = logitlab.lecture_net()
    assert "Sigmoid(X@W + b)=yhat" in logitlab.diagram_detailed(net).source
    result = logitlab.fit(lecture_data.x, lecture_data.y, logitlab.TrainConfig(epochs=20))
    curve = logitlab.probabilities(result.params, lecture_data.x)
    fig = logitlab.plot_fit(lecture_data, {"BCE fit": curve}, "after 20 epochs")
    lines = fig.axes[0].get_lines()  # the truth and the fit (and the binned shares' bars)
    assert [ln.get_label() for ln in lines if ln.get_label() != "_nolegend_"] == [
        "true π(x)",
        "BCE fit",
    ]


def test_the_command_line_parser_is_light():
    # `logitlab --help` and every refusal of a bad value come before NumPy, torch or plots.
    code = (
        "import sys\n"
        "from logitlab.cli import build_parser\n"
        "build_parser().parse_args(['lecture', '--n', '50'])\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "heavy = {'numpy', 'torch', 'matplotlib', 'scipy'} & loaded\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
