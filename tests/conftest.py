"""Shared fixtures: the lecture's data, simulated once per session, and the suite's float rule.

The rule for comparing floats, so the suite is green on any x86 machine and not only on the
one it was written on: bit for bit (`assert_array_equal`) only where the same code runs twice
in one process (a progress callback, a block size, a stored copy). Across code paths (the
eager loop against torch.optim or the fused kernels, one fit against a batch of fits, pandas
against Arrow), Numba and PyTorch pick SIMD code and summation orders per CPU, so results
agree within a few ulps of the values' scale: use the `assert_ulps` fixture.
"""

import os

import matplotlib
import numpy as np
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


def within_ulps(actual, desired, *, precision: type, ulps: int = 4) -> None:
    """Assert actual equals desired within `ulps` units in the last place of `precision` (the
    float type the computation ran in: np.float32 for the engines, np.float64 for designs and
    the MLE), measured on the largest magnitude in desired: an absolute floor, so values near
    zero that come from sums of larger terms are held to the precision those terms carry."""
    desired = np.asarray(desired, dtype=np.float64)
    eps = float(np.finfo(precision).eps)
    scale = float(np.max(np.abs(desired), initial=0.0))
    np.testing.assert_allclose(actual, desired, rtol=ulps * eps, atol=ulps * eps * scale)


@pytest.fixture
def assert_ulps():
    """`within_ulps`, for comparing one result reached by two code paths."""
    return within_ulps


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
    from logitlab.report import staging

    def refuse(target, code):
        def refusing(step):
            def wrapper(src, dst, *args):
                if os.fspath(dst) == os.fspath(target):
                    raise OSError(code, os.strerror(code), os.fspath(src), None, os.fspath(dst))
                return step(src, dst, *args)

            return wrapper

        monkeypatch.setattr(os, "rename", refusing(os.rename))
        rename2 = getattr(staging, "_rename2", None)
        monkeypatch.setattr(staging, "_rename2", refusing(rename2), raising=False)

    return refuse


@pytest.fixture
def named_pipe(tmp_path):
    """make(name): a named pipe (FIFO) in tmp_path that nobody writes to. Should a reader
    still wait on one 10 s later, a writer connects and leaves, so that a reader waiting
    for a writer forever (the bug such tests look for) fails the test instead of hanging it."""
    import threading
    import time

    done = threading.Event()

    def unblock(fifo):
        if done.wait(10):
            return
        while not done.is_set():
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError:  # no reader (yet)
                time.sleep(0.05)

    def make(name):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        threading.Thread(target=unblock, args=(fifo,), daemon=True).start()
        return fifo

    yield make
    done.set()
