"""Shared fixtures: the lecture's data, simulated once per session."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")

from logitlab.cli import main
from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.engines import fit


@pytest.fixture(scope="session")
def lecture_data():
    """The lecture's default data set (n=2000, w0=-1, w1=5, default seed)."""
    return simulate()


@pytest.fixture(scope="session")
def eager_fits(lecture_data):
    """The lecture's 10,000-epoch fits on the eager reference engine, for both losses.

    Shared because each costs seconds: the training tests check them against the lecture's
    own loop, the engine tests check the fused engine against them.
    """
    return {
        loss: fit(lecture_data.x, lecture_data.y, TrainConfig(loss=loss, engine="eager"))
        for loss in ("bce", "mse")
    }


@pytest.fixture
def refused(tmp_path, capsys):
    """Run the CLI on bad input and check the promise: exit 2, one line on stderr, no
    traceback, nothing written under tmp_path. Returns that line."""

    def run(argv: list[str]) -> str:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
        err = capsys.readouterr().err
        assert code == 2, err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert list(tmp_path.iterdir()) == []
        return err

    return run


@pytest.fixture
def refuse_final_move(monkeypatch):
    """Make every move onto `target` fail with OSError(code), as a full or read-only disk
    would at the end of a run: patches os.rename and the renameat2 wrapper alike."""
    from logitlab.report import files

    def refuse(target, code):
        def refusing(step):
            def wrapper(src, dst, *args):
                if os.fspath(dst) == os.fspath(target):
                    raise OSError(code, os.strerror(code), os.fspath(src), None, os.fspath(dst))
                return step(src, dst, *args)

            return wrapper

        monkeypatch.setattr(os, "rename", refusing(os.rename))
        rename2 = getattr(files, "_rename2", None)
        monkeypatch.setattr(files, "_rename2", refusing(rename2), raising=False)

    return refuse
