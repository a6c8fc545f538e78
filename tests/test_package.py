"""The package's public face: a light import and the names a notebook needs."""

import subprocess
import sys

import logitlab


def test_import_is_light():
    code = (
        "import sys, logitlab\n"
        "heavy = {'torch', 'matplotlib', 'graphviz'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_resolve():
    for name in logitlab.__all__:
        assert getattr(logitlab, name) is not None
    assert issubclass(logitlab.SeparationError, logitlab.LogitlabError)


def test_notebook_walkthrough(lecture_data):
    net = logitlab.lecture_net()
    assert "Sigmoid(X@W)=yhat" in logitlab.diagram_detailed(net).source
    result = logitlab.fit(lecture_data.x, lecture_data.y, logitlab.TrainConfig(epochs=20))
    curve = logitlab.probabilities(result.params, lecture_data.x)
    fig = logitlab.plot_fit(lecture_data, {"BCE fit": curve}, "after 20 epochs")
    assert len(fig.axes[0].get_lines()) == 2
