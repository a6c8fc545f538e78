"""Shared fixtures: the lecture's data, simulated once per session, and the suite's float rule.

The rule for comparing floats, so the suite is green on any x86 machine and not only on the
one it was written on: bit for bit (`assert_array_equal`) only where the same code runs twice
in one process (a progress callback, a block size, a stored copy). Across code paths (the
eager loop against torch.optim or the fused kernels, one fit against a batch of fits, pandas
against Arrow), Numba and PyTorch pick SIMD code and summation orders per CPU, so results
agree within a few ulps of the values' scale: use the `assert_ulps` fixture.
"""

import os
import signal

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from logitlab.cli import main
from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.engines import fit


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_as_under_a_terminal():
    """Ctrl-C raises KeyboardInterrupt, as under a terminal, however the suite was started: a
    shell without job control starts its background commands with SIGINT ignored, and
    Python then leaves it ignored, which the interrupt tests would read as a failure."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


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


@pytest.fixture(scope="session")
def scaled_rows() -> tuple[np.ndarray, np.ndarray]:
    """n = 300, d = 6: columns of different scales and means, two of them correlated, and
    0/1 labels drawn from two columns (the penalized fits' tests: solver and estimator)."""
    rng = np.random.default_rng(0)
    n, d = 300, 6
    X = rng.normal(size=(n, d)) * np.arange(1, d + 1) + 3.0
    X[:, 1] = 0.5 * X[:, 0] + rng.normal(size=n)
    eta = 0.8 * (X[:, 0] - 3.0) - 0.3 * (X[:, 2] - 3.0)
    return X, (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)


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


@pytest.fixture(scope="session")
def budworm():
    """Venables & Ripley, MASS (4th ed., section 7.2): tobacco budworm moths killed (dead)
    out of n = 20 per batch, by sex and log2 dose (ldose)."""
    import pandas as pd

    dead = [1, 4, 9, 13, 18, 20, 0, 2, 6, 10, 12, 16]  # males, then females
    sex = ["M"] * 6 + ["F"] * 6
    return pd.DataFrame({"ldose": np.tile(np.arange(6.0), 2), "sex": sex, "dead": dead, "n": 20})


@pytest.fixture(scope="session")
def challenger():
    """Dalal, Fowlkes & Hoadley (1989): the 23 launches before Challenger, launch
    temperature (F) and field joints of 6 with thermal distress; `counts` holds the same as
    a table of counts, a row per temperature and outcome (distressed or not) with how many
    joints (rows of no joints left out)."""
    import pandas as pd

    temp = [66, 70, 69, 68, 67, 72, 73, 70, 57, 63, 70, 78, 67, 53, 67, 75, 70, 81, 76, 79, 75,
            76, 58]  # fmt: skip
    distressed = [0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0, 1]
    launches = pd.DataFrame({"temp": temp, "distressed": distressed})
    counts = pd.DataFrame({
        "temp": temp * 2,
        "distressed": [1] * 23 + [0] * 23,
        "joints": distressed + [6 - k for k in distressed],
    })  # fmt: skip
    return launches, counts[counts["joints"] > 0].reset_index(drop=True)


class _Threads:
    """Two or more workers as threads of this process: each collective waits for every rank
    and hands each the values of all, in rank order (the sum adds them in that order)."""

    def __init__(self, world: int) -> None:
        import threading

        self.world, self.slots = world, [None] * world
        self.barrier = threading.Barrier(world, timeout=60)

    def member(self, rank: int) -> object:
        hub = self

        class Member:
            def __init__(self) -> None:
                self.rank, self.world = rank, hub.world

            def exchange(self, value):
                hub.slots[rank] = value
                hub.barrier.wait()
                shared = list(hub.slots)
                hub.barrier.wait()
                return shared

            def sum(self, values):
                return np.sum(self.exchange(np.asarray(values, dtype=np.float64)), axis=0)

            def gather(self, value):
                return self.exchange(value)

            def broadcast(self, value, source=0):
                return self.exchange(value)[source]

        return Member()


@pytest.fixture
def threads(monkeypatch):
    """Run work(group) on `world` workers (threads of this process, each its own member of a
    Collective); every worker's result, in rank order. The binary Newton pass runs NumPy's
    loop there (the compiled one starts threads of its own)."""
    from concurrent.futures import ThreadPoolExecutor
    from functools import partial

    from logitlab.stats import sharded
    from logitlab.stats.irls import newton_pass

    monkeypatch.setattr(sharded, "newton_pass", partial(newton_pass, compiled=False))

    def run(work, world=2):
        hub = _Threads(world)
        with ThreadPoolExecutor(world) as pool:
            return list(pool.map(lambda rank: work(hub.member(rank)), range(world)))

    return run
