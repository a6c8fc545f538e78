"""Bounded work (item 11): every run's memory and time are estimated from its settings before
it starts; what cannot fit is refused in one line with the estimate and the limit; a long run
says what it will cost; and the estimates agree with what runs really use."""

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from logitlab import budget
from logitlab.cli import main
from logitlab.config import (
    AnimationConfig,
    DataConfig,
    DigitsConfig,
    LandscapeConfig,
    LectureConfig,
    MonteCarloConfig,
    OptimizersConfig,
    SweepConfig,
    TrainConfig,
)
from logitlab.data import simulate
from logitlab.data.tables import table_size
from logitlab.engines import fit
from logitlab.engines.batch import fit_batch, history_stride
from logitlab.errors import ConfigError
from logitlab.stats import mle

GB = 10**9


@pytest.fixture
def eight_gb(monkeypatch):
    """A machine with 8 GB available, whatever this one has: the limit is then 4 GB."""
    monkeypatch.setattr(budget, "available_memory", lambda: 8 * GB)


@pytest.fixture
def no_work(monkeypatch):
    """Should a refusal fail to come, the run stops at its first step instead of running for
    hours: every study's first call (the draw of its data) raises."""

    def started(*args, **kwargs):
        raise AssertionError("the run started")

    for study in ("animation", "lecture", "sweep", "why"):
        monkeypatch.setattr(f"logitlab.studies.{study}.simulate_from", started)
    monkeypatch.setattr("logitlab.studies.montecarlo.simulate", started)
    monkeypatch.setattr("logitlab.data.simulate_from", started)  # the optimizers study's
    monkeypatch.setattr("logitlab.studies.digits.load_3v7", started)


# --- what a fit keeps is exact ------------------------------------------------------------


@pytest.mark.parametrize("engine", ["eager", "fused"])
@pytest.mark.parametrize(("epochs", "d", "batch"), [(1, 1, None), (37, 1, None), (20, 3, None),
                                                     (9, 2, 25)])  # fmt: skip
def test_history_bytes_is_what_a_fit_keeps(engine, epochs, d, batch):
    rng = np.random.default_rng(d)
    x = rng.normal(size=(60, d))
    y = (rng.random(60) < 0.5).astype(float)
    cfg = TrainConfig(epochs=epochs, engine=engine, batch_size=batch)
    history = fit(x, y, cfg, record_steps=batch is not None).history
    arrays = [getattr(history, field.name) for field in dataclasses.fields(history)]
    steps = 0 if batch is None else 3  # ceil(60 / 25) steps an epoch
    assert budget.history_bytes(epochs, d, steps=steps) == sum(
        array.nbytes for array in arrays if array is not None
    )


def test_mini_batches_cost_more_time_and_recorded_steps_memory():
    full = budget.fit(2000, 1, 1000, engine="eager")
    mini = budget.fit(2000, 1, 1000, engine="eager", steps=63, record_steps=True)
    assert mini.seconds > 10 * full.seconds  # a step each batch, DataLoader point by point
    assert mini.bytes - full.bytes >= 2 * 8 * 1000 * 63
    fused = budget.fit(2000, 1, 1000, steps=63)
    assert fused.seconds > budget.fit(2000, 1, 1000).seconds


@pytest.mark.parametrize(("epochs", "every", "problems"), [(30, 1, 2), (30, 7, 3), (5, 10, 1)])
def test_history_bytes_of_a_batch(lecture_data, epochs, every, problems):
    batch = fit_batch(lecture_data.x[:80], lecture_data.y[:80], lr=[0.05] * problems,
                      epochs=epochs, record_every=every)  # fmt: skip
    kept = sum(array.nbytes for name, array in vars(batch).items() if name.startswith("history"))
    assert budget.history_bytes(epochs, 1, every=every, fits=problems) == kept


@pytest.mark.parametrize("epochs", [*range(1, 400), 10**4, 10**6 + 3, 10**7])
def test_studies_keep_no_more_rows_than_the_budget_counts(epochs):
    """The budget's copy of a study's record_every keeps at least as many rows."""
    rows = -(-epochs // history_stride(epochs))
    assert rows <= budget.STUDY_ROWS and rows <= -(-epochs // budget._study_every(epochs))


# --- estimates against measured runs -------------------------------------------------------

MEASURE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from logitlab import budget
    from logitlab.config import LectureConfig, MonteCarloConfig, TrainConfig
    from logitlab.data import simulate
    from logitlab.engines import fit
    from logitlab.studies.montecarlo import run_montecarlo

    def status(field):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

    warm = simulate(n=200)  # imports, compiled kernels, first allocations
    fit(warm.x, warm.y, TrainConfig(epochs=5))
    run_montecarlo(MonteCarloConfig(lecture=LectureConfig(training=TrainConfig(epochs=3)), reps=2))
    what, size = sys.argv[1], int(sys.argv[2])
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
    before, start = status("VmRSS"), time.perf_counter()
    if what == "montecarlo":
        config = MonteCarloConfig(lecture=LectureConfig(training=TrainConfig(epochs=20)), reps=size)
        estimate = budget.montecarlo(config)
        run_montecarlo(config)
        base = budget.Estimate(budget.BASE_BYTES, budget.BASE_SECONDS)  # no files here
    elif what == "table":  # a CSV of `0,1` rows read and fitted (MLE) as `fit` does
        from logitlab.data.tables import read_table, table_size
        from logitlab.studies.fit import fit_table

        path = Path(sys.argv[3])
        fit_table(read_table(path).head(500), target="y", losses=())  # its imports
        Path("/proc/self/clear_refs").write_text("5")
        before, start = status("VmRSS"), time.perf_counter()
        read = table_size(path, ["y", "x"])
        estimate = budget.table(read.rows, read.bytes, 2)
        fit_table(read_table(path, columns=read.columns), target="y", losses=())
        base = budget.Estimate(budget.BASE_BYTES, budget.BASE_SECONDS)
    else:
        data = simulate()
        estimate = budget.fit(data.n, 1, size)
        fit(data.x, data.y, TrainConfig(epochs=size, engine="fused"))
        base = budget.NOTHING
    seconds = time.perf_counter() - start
    print(json.dumps({"measured": status("VmHWM") - before,
                      "estimated": estimate.bytes - base.bytes, "seconds": seconds,
                      "estimated_seconds": estimate.seconds - base.seconds}))
    """
)


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux /proc")
@pytest.mark.parametrize(("what", "size"), [("fit", 2 * 10**6), ("montecarlo", 3000),
                                           ("table", 10**6)])  # fmt: skip
def test_memory_estimates_match_measured_peaks(what, size, tmp_path):
    """The peak resident memory of a run over a warmed-up process, against the estimate less
    the interpreter's share: within a factor of 1.5 either way."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size)
    y = (rng.random(size) < 0.3 + 0.4 * x).astype(int)
    table = tmp_path / "bits.csv"
    pd.DataFrame({"y": y, "x": x}).to_csv(table, index=False)
    out = subprocess.run([sys.executable, "-c", MEASURE, what, str(size), str(table)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    run = json.loads(out.stdout)
    assert run["measured"] > 50e6  # big enough to measure
    assert run["measured"] / 1.5 < run["estimated"] < 1.5 * run["measured"], run
    # time: the machine is shared, so only the order of magnitude is held to
    assert run["estimated_seconds"] / 10 < run["seconds"] < 10 * run["estimated_seconds"], run


# --- defaults pass, too much is refused ----------------------------------------------------

DEFAULTS = [LectureConfig(), LandscapeConfig(), AnimationConfig(), SweepConfig(),
            MonteCarloConfig(), OptimizersConfig(), DigitsConfig()]  # fmt: skip


@pytest.mark.parametrize("config", DEFAULTS, ids=lambda c: type(c).__name__)
def test_default_runs_pass_the_check(eight_gb, config):
    cost = budget.check_study(config)
    assert cost.bytes < 1.5 * GB and cost.seconds < 5 * 60


def test_default_lecture_is_not_announced():
    assert not budget.estimate(LectureConfig()).long


def test_estimates_grow_with_what_is_asked():
    base = budget.estimate(LectureConfig())
    assert (
        budget.estimate(LectureConfig(training=TrainConfig(epochs=10**6))).bytes
        > base.bytes + 4 * 10**6 * 24
    )
    # 500 times the points: the work beyond the interpreter's fixed share grows ~500-fold
    bigger = budget.estimate(LectureConfig(data=DataConfig(n=10**6))).seconds
    assert bigger - budget.BASE_SECONDS > 100 * (base.seconds - budget.BASE_SECONDS)
    grid = [budget.estimate(LandscapeConfig(grid_size=g)).bytes for g in (11, 101, 1001)]
    assert grid == sorted(grid) and grid[2] - grid[1] > 90 * (grid[1] - grid[0])  # as grid**2
    assert budget.estimate(AnimationConfig(frames=2000)).bytes > 2000 * 720 * 576


@pytest.mark.parametrize(
    "args",
    [
        ["montecarlo", "--reps", str(10**6)],  # grew at 140 MB/s until it crashed
        ["montecarlo", "--reps", str(10**5), "--n", "10000"],
        ["lecture", "--n", str(10**7), "--epochs", str(3 * 10**6)],  # ~5 GB, ~2 days
        ["digits", "--epochs", str(10**7)],  # 65 weights an epoch kept: ~13 GB
        ["optimizers", "--epochs", str(10**7), "--n", str(10**5)],  # ~26 GB, ~4 days
        ["lecture", "--epochs", str(10**7), "--n", "100000"],
        ["landscape", "--grid", "2001", "--n", str(10**6)],  # ~ a year of work
        ["sweep", "--epochs", str(10**7), "--n", str(10**5), "--lr", ",".join(["0.1"] * 1000)],
    ],
)
def test_runs_that_cannot_fit_are_refused_with_the_estimate(
    eight_gb, no_work, tmp_path, refused, args
):
    err = refused([*args, "--out", str(tmp_path / "out")])
    assert "(estimated)" in err and "~" in err
    assert "limit of 4.0 GB (50% of the 8.0 GB available)" in err or "limit of 1.0 days" in err


def test_a_refusal_comes_before_any_heavy_import(tmp_path):
    """A fresh process refuses a year of work without importing torch, NumPy or Numba."""
    argv = ["landscape", "--grid", "2001", "--n", str(10**6), "--out", str(tmp_path / "out")]
    code = (
        "import sys; from logitlab.cli import main; "
        f"code = main({argv!r}); "
        "print(code, sorted(m for m in ('torch', 'numpy', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout == "2 []\n", out
    assert out.stderr.count("\n") == 1 and "would " in out.stderr and "(estimated)" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_long_run_says_what_it_will_cost(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(budget, "LONG_SECONDS", 0.0)
    out = tmp_path / "sweep"
    assert main(["sweep", "--out", str(out), "--n", "50", "--epochs", "5", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("this run: ~") and err.count("\n") == 1, err
    cost = budget.estimate(
        SweepConfig(lecture=LectureConfig(data=DataConfig(n=50), training=TrainConfig(epochs=5)))
    )
    assert f"this run: {cost} (estimated)" in err


def test_landscape_grid_1000_says_it_takes_minutes(tmp_path, capsys, monkeypatch):
    """It used to run for more than 5 minutes without a word; now it says so first (the run
    itself is stopped here at its first step)."""

    def stop(*args, **kwargs):
        raise ConfigError("stopped by the test")

    monkeypatch.setattr("logitlab.studies.why.run_landscape", stop)
    assert main(["landscape", "--grid", "1000", "--out", str(tmp_path / "out")]) == 2
    announced = capsys.readouterr().err.splitlines()[0]
    assert re.fullmatch(r"this run: ~[\d.]+ [MG]B, ~\d+ min \(estimated\)", announced), announced


def _fits(config: SweepConfig) -> float:
    """A sweep's estimated seconds of fitting: beyond the interpreter and the draw."""
    fixed = budget.BASE_SECONDS + budget.simulated(config.lecture.data.n).seconds
    return budget.estimate(config).seconds - fixed


def test_a_sweep_counts_optimizers_batch_sizes_lrs_and_losses(monkeypatch):
    monkeypatch.setattr(budget, "cores", lambda: 1)  # fits side by side do not hide the count
    lecture = LectureConfig(training=TrainConfig(engine="fused"))
    one = SweepConfig(lecture=lecture, lrs=(0.1,))  # 1 optimizer x 1 batch size x 1 lr x 2 losses
    grid = SweepConfig(lecture=lecture, lrs=(0.1, 0.5, 1.0), optimizers=("sgd", "adam"))
    assert _fits(grid) == pytest.approx(6 * _fits(one))
    bce = SweepConfig(lecture=dataclasses.replace(lecture, losses="bce"), lrs=(0.1,))
    assert _fits(one) == pytest.approx(2 * _fits(bce))
    # a batch size's fits take its steps: 63 batches of 32 of the 2000 points
    mini = dataclasses.replace(lecture, training=dataclasses.replace(lecture.training,
                                                                     batch_size=32))  # fmt: skip
    both = SweepConfig(lecture=lecture, lrs=(0.1,), batch_sizes=(None, 32))
    assert _fits(both) == pytest.approx(_fits(one) + _fits(SweepConfig(lecture=mini, lrs=(0.1,))))
    steps = budget.fit(2000, 1, 10_000, problems=2, steps=63).seconds
    assert _fits(SweepConfig(lecture=mini, lrs=(0.1,))) == pytest.approx(steps)
    assert steps > 2 * _fits(one)


@pytest.mark.parametrize(
    "study",
    [
        lambda train: LectureConfig(training=train),
        lambda train: LandscapeConfig(train=train),
        lambda train: AnimationConfig(train=train),
        lambda train: MonteCarloConfig(lecture=LectureConfig(training=train), reps=10),
        lambda train: SweepConfig(lecture=LectureConfig(training=train)),
    ],
)
def test_study_estimates_count_mini_batch_steps(study):
    full = budget.estimate(study(TrainConfig()))
    mini = budget.estimate(study(TrainConfig(batch_size=32)))
    # 63 steps an epoch instead of one: at least 62 more steps of one fit per epoch
    assert mini.seconds - full.seconds >= 10_000 * 62 * budget.FUSED_STEP_SECONDS
    assert mini.bytes == full.bytes  # no step losses kept: the same history


def test_every_study_is_registered_with_its_estimate():
    """Optimizers and digits estimates are found by their settings like every other study's,
    and grow with the epochs asked for."""
    for make in (lambda e: OptimizersConfig(epochs=e), lambda e: DigitsConfig(epochs=e)):
        short, long = budget.estimate(make(100)), budget.estimate(make(10_000))
        assert long.seconds > short.seconds and long.bytes > short.bytes


def test_the_digits_estimate_counts_the_shipped_images():
    from logitlab.studies.digits import load_3v7

    assert len(load_3v7().y) == budget.DIGITS_IMAGES


def test_the_ten_digits_estimate_counts_every_image_and_the_softmax_parameters():
    """--classes all: the 1,797 images, and the softmax engine's own estimate of its fit
    (10 x 65 parameters on the training images) inside the study's."""
    from logitlab.studies.digits import load_ten

    assert len(load_ten().y) == budget.DIGITS_ALL_IMAGES
    config = DigitsConfig(classes="all", engine="eager")
    train = config.train()
    engine = budget.fit(1347, 649, train.epochs, engine="eager", steps=-(-1347 // 32))
    study = budget.estimate(config)
    assert study.seconds > engine.seconds and study.bytes > engine.bytes
    assert study.seconds > budget.estimate(DigitsConfig(engine="eager")).seconds


def test_a_softmax_fit_keeps_a_loss_an_epoch_and_the_eager_engine_its_logits():
    """10 classes of 51 parameters: no parameter history (a fit of 509 features would keep
    41 GB of it over 10**7 epochs), a loss an epoch; the eager engine takes fit()'s time on
    the 510 parameters and holds EAGER_LOGIT_COPIES K x n logits, the fused engine none."""
    for engine in ("eager", "fused"):
        cost = budget.softmax(2000, 50, 10, 10**7, engine=engine)
        assert cost.bytes < 200e6 < 10e9 < budget.fit(2000, 509, 10**7, engine=engine).bytes
        longer = budget.softmax(2000, 50, 10, 2 * 10**7, engine=engine)
        assert longer.bytes - cost.bytes == 12 * 10**7
    eager = budget.softmax(10**5, 5, 100, 3, engine="eager")
    assert eager.seconds == budget.fit(10**5, 599, 3, every=3, engine="eager").seconds
    fused = budget.softmax(10**5, 5, 100, 3, engine="fused")
    # the fused engine's feature-major copy of x against the eager engine's 4 x 10**7 logits
    assert eager.bytes - fused.bytes == 4 * 4 * 100 * 10**5 - 4 * 5 * 10**5


def test_the_shuffled_orders_block_is_the_fused_engines():
    from logitlab.engines.batch import PERM_BLOCK

    assert budget.ORDER_BLOCK == PERM_BLOCK


SOFTMAX_PEAKS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import numpy as np
    from logitlab import budget
    from logitlab.config import TrainConfig
    from logitlab.engines.softmax import fit_softmax

    def status(field):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

    rng = np.random.default_rng(0)
    runs = []
    for case in json.loads(sys.argv[1]):
        n, d, classes, batch, engines = case
        steps = 1 if batch is None else -(-n // batch)
        for engine in engines:
            fit_softmax(rng.normal(size=(300, d)), np.arange(300) % classes, classes,
                        TrainConfig(epochs=2, batch_size=batch and 64), engine=engine)  # warm
            Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again
            before = status("VmRSS")
            x, codes = rng.normal(size=(n, d)), rng.integers(0, classes, n)  # the run's data
            fit_softmax(x, codes, classes, TrainConfig(epochs=2, batch_size=batch),
                        engine=engine)
            del x, codes
            runs.append({"case": case, "engine": engine,
                         "measured": status("VmHWM") - before,
                         "estimated": budget.softmax(n, d, classes, 2, engine=engine,
                                                     steps=steps).bytes})
    print(json.dumps(runs))
    """
)


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux /proc")
def test_softmax_memory_estimates_match_each_engines_measured_peak():
    """The peak resident memory of softmax fits of 10**5 points (x made in float64 within
    the run) against budget.softmax, within a factor of 1.35 either way for each engine: at
    d = 5, K = 100 the eager engine holds 4 x 40 MB of logits (measured 169 MB) and the fused
    one x and its copies (10 MB), where the estimate counted 90 MB for both; at d = 50,
    K = 10 in batches of 4,096 (the fused engine alone: the eager one takes 10 s there), x
    and its copies dominate, and the shuffled orders."""
    cases = [[10**5, 5, 100, None, ["fused", "eager"]], [10**5, 50, 10, 4096, ["fused"]]]
    out = subprocess.run([sys.executable, "-c", SOFTMAX_PEAKS, json.dumps(cases)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    runs = json.loads(out.stdout)
    for run in runs:
        assert run["measured"] / 1.35 < run["estimated"] < 1.35 * run["measured"], runs
    fused, eager = runs[:2]  # K = 100: the logits dominate, and the engines differ ten-fold
    assert eager["measured"] > 10 * fused["measured"], runs


@pytest.mark.parametrize(("n", "d", "classes", "epochs", "batch"),
                         [(1347, 64, 10, 200, None), (1347, 64, 10, 50, 64),
                          (5000, 10, 50, 20, None), (20000, 5, 3, 5, 64)])  # fmt: skip
def test_the_fused_softmax_time_estimate_matches_a_measured_fit(n, d, classes, epochs, batch):
    """The fused softmax fit's CPU time (its thread: the products stay on it; best of 3, so
    other processes' load is left out) within a factor of 5 of budget.softmax's seconds, a
    window wide enough for another CPU: the ten digits' shapes took 13-16 ms where the
    estimate counted 130-260 ms (and now 13-20 ms)."""
    import time

    from logitlab.engines.softmax import fit_softmax

    rng = np.random.default_rng(1)
    x, codes = rng.normal(size=(n, d)).astype(np.float32), rng.integers(0, classes, n)
    train = TrainConfig(epochs=epochs, batch_size=batch, optimizer="adam", lr=0.01)
    fit_softmax(x[:200], codes[:200], classes, TrainConfig(epochs=2, batch_size=batch and 64),
                engine="fused")  # fmt: skip
    times = []
    for _ in range(3):
        start = time.thread_time()
        fit_softmax(x, codes, classes, train, engine="fused")
        times.append(time.thread_time() - start)
    steps = 1 if batch is None else -(-n // batch)
    estimate = budget.softmax(n, d, classes, epochs, engine="fused", steps=steps).seconds
    assert estimate / 5 < min(times) < 5 * estimate, (times, estimate)


# --- the library refuses too ---------------------------------------------------------------


def test_library_entry_points_refuse_before_allocating(eight_gb, lecture_data):
    x, y = lecture_data.x[:100], lecture_data.y[:100]
    with pytest.raises(ConfigError, match="would need ~"):
        fit_batch(x, y, lr=[0.05] * 1000, epochs=10**7)  # 600 GB of history
    wide = np.random.default_rng(0).normal(size=(100, 2000))
    with pytest.raises(ConfigError, match="would need ~"):
        fit(wide, y, TrainConfig(epochs=10**6))  # 2002 columns x 10**6 rows of history


def test_the_mle_is_refused_exactly_when_its_estimate_passes_the_limit(monkeypatch):
    """On a machine whose limit (half the memory available) is just under budget.mle's
    estimate the MLE is refused before any copy; with just enough memory it runs."""
    n = 10**5
    x = np.random.default_rng(1).normal(size=(n, 1))
    y = np.arange(n) % 2
    need = budget.mle(n, 2).bytes
    monkeypatch.setattr(budget, "available_memory", lambda: 1.99 * need)
    with pytest.raises(ConfigError, match="this maximum-likelihood fit would need ~"):
        mle.fit(x, y)
    monkeypatch.setattr(budget, "available_memory", lambda: 2.01 * need)
    assert mle.fit(x, y).converged


@pytest.mark.parametrize(
    "config",
    [
        MonteCarloConfig(reps=10**6),
        LectureConfig(data=DataConfig(n=10**7), training=TrainConfig(epochs=3 * 10**6)),
        LandscapeConfig(data=DataConfig(n=10**6), grid_size=2001),
        SweepConfig(
            lecture=LectureConfig(data=DataConfig(n=10**5), training=TrainConfig(epochs=10**7)),
            lrs=[0.1] * 1000,
        ),
        AnimationConfig(data=DataConfig(n=10**6), grid_size=2001),
        OptimizersConfig(data=DataConfig(n=10**5, seed=1), epochs=10**7),
    ],
    ids=lambda c: type(c).__name__,
)
def test_studies_refuse_in_the_library_too(eight_gb, no_work, config):
    from logitlab.studies import animation, lecture, montecarlo, optimizers, sweep, why

    cost = budget.estimate(config)  # the premise: more than the 4 GB limit or a day of work
    assert cost.bytes > 4 * GB or cost.seconds > budget.MAX_SECONDS, cost
    run = {
        MonteCarloConfig: montecarlo.run_montecarlo,
        LectureConfig: lecture.run_lecture,
        LandscapeConfig: why.run_landscape,
        AnimationConfig: animation.run_animation,
        SweepConfig: sweep.run_sweep,
        OptimizersConfig: optimizers.run_optimizers,
    }[type(config)]
    with pytest.raises(ConfigError, match=r"\(estimated\)"):
        run(config)


# --- the parts ---------------------------------------------------------------------------


def test_formats():
    assert budget.format_bytes(2.1e9) == "2.1 GB"
    assert budget.format_bytes(112e9) == "112 GB"
    assert budget.format_bytes(512) == "512 B"
    assert budget.format_seconds(0.2) == "1 s"
    assert budget.format_seconds(40) == "40 s"
    assert budget.format_seconds(150) == "2.5 min"
    assert budget.format_seconds(3 * 86400) == "3.0 days"
    assert str(budget.Estimate(2.1e9, 40)) == "~2.1 GB, ~40 s"


def test_available_memory_is_mem_available():
    with open("/proc/meminfo") as handle:
        fields = dict(line.split(":", 1) for line in handle)
    reported = int(fields["MemAvailable"].split()[0]) * 1024
    assert abs(budget.available_memory() - reported) < 0.2 * reported


def test_check_names_the_estimate_and_the_limit(eight_gb):
    assert budget.check(budget.Estimate(3.9 * GB, 60)).bytes == 3.9 * GB
    with pytest.raises(ConfigError) as info:
        budget.check(budget.Estimate(5 * GB, 60), "this fit")
    assert str(info.value).startswith("this fit would need ~5.0 GB, ~1.0 min (estimated)")
    assert "limit of 4.0 GB" in str(info.value)
    with pytest.raises(ConfigError, match=r"longer than the limit of 1\.0 days"):
        budget.check(budget.Estimate(1e6, 2 * 86400))
    with pytest.raises(ConfigError, match="no estimate for TrainConfig"):
        budget.estimate(TrainConfig())


def test_the_lecture_grid_is_the_lectures():
    from logitlab.studies.lecture import WHY_GRID

    assert budget.LECTURE_GRID == WHY_GRID


def test_the_simulated_data_are_what_the_budget_counts():
    data = simulate(n=1000)
    kept = data.x.nbytes + data.pi.nbytes + data.y.nbytes
    assert budget.simulated(1000).bytes == kept


# --- fit on a table: its cost known before it is read ----------------------------------------


@pytest.fixture
def data(tmp_path_factory):
    """A folder for input files, apart from tmp_path (where nothing may be written)."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def unread(monkeypatch):
    """Should a refusal fail to come, the table is never read: read_table raises, after
    noting the columns asked for."""
    asked = {}

    def read(path, columns=None, **kwargs):
        asked["columns"] = columns
        raise AssertionError("the table was read")

    monkeypatch.setattr("logitlab.data.tables.read_table", read)
    return asked


def bits(folder, rows):
    """A CSV of `0,1` rows: 4 bytes a row on disk."""
    path = folder / "bits.csv"
    path.write_bytes(b"y,x\n" + b"0,1\n1,0\n" * (rows // 2))
    return path


def test_a_table_costs_its_values_and_the_fits_copies_not_its_file_size(data):
    """A 200 MB CSV of `0,1` rows (5 x 10**7 rows) used over 6 GB: 120 bytes a row at least."""
    size = table_size(bits(data, 10**5), ["y", "x"])
    cost = budget.table(size.rows, size.bytes, 2)
    assert (cost.bytes - budget.BASE_BYTES) / size.rows >= 120
    assert budget.table(5 * 10**7, 50 * size.bytes * 10**3, 2).bytes > 6 * GB


def test_fit_refuses_a_table_that_cannot_fit_before_reading_it(
    monkeypatch, data, unread, refused, tmp_path
):
    path = bits(data, 10**5)
    monkeypatch.setattr(budget, "available_memory", lambda: 2 * budget.BASE_BYTES)
    err = refused(["fit", str(path), "--target", "y", "--out", str(tmp_path / "out")])
    assert err.startswith("logitlab fit: error: this fit would need ~") and "fewer rows" in err
    monkeypatch.setattr(budget, "available_memory", lambda: 8 * GB)
    with pytest.raises(AssertionError, match="the table was read"):
        main(["fit", str(path), "--target", "y", "--out", str(tmp_path / "out")])
    assert unread["columns"] == ("y", "x")


def test_fit_reads_only_the_models_columns_and_counts_their_texts(
    monkeypatch, data, unread, refused, tmp_path
):
    """A column of 1 kB texts, 10**5 rows, dictionary-encoded: small on disk, 200 MB read.
    Left out of the model, it is not read at all."""
    rows, texts = 10**5, pa.array(["a" * 1000, "b" * 1000])
    path = data / "long.parquet"
    pq.write_table(pa.table({"y": np.arange(rows) % 2, "x": np.linspace(0, 1, rows),
                             "s": pa.DictionaryArray.from_arrays(np.arange(rows) % 2, texts)}),
                   path)  # fmt: skip
    monkeypatch.setattr(budget, "available_memory", lambda: 2 * (budget.BASE_BYTES + 120e6))
    err = refused(["fit", str(path), "--formula", "y ~ C(s)", "--out", str(tmp_path / "out")])
    assert "this fit would need ~" in err
    with pytest.raises(AssertionError, match="the table was read"):
        main(["fit", str(path), "--formula", "y ~ x", "--out", str(tmp_path / "out")])
    assert unread["columns"] == ("y", "x")


def test_a_long_fit_says_what_it_will_cost_before_reading(
    monkeypatch, data, unread, tmp_path, capsys
):
    monkeypatch.setattr(budget, "LONG_SECONDS", 0.0)
    with pytest.raises(AssertionError, match="the table was read"):
        main(["fit", str(bits(data, 100)), "--target", "y", "--out", str(tmp_path / "out")])
    lines = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"this run: ~[\d.]+ [MG]B, ~\d+ s \(estimated\)", lines[0]), lines
    # then, a run long by its estimate, only the progress line of the read it stopped in
    assert len(lines) == 2 and re.match(r" *\d+\.\d s  reading ", lines[1]), lines


def test_local_workers_are_capped_by_cores_and_memory(monkeypatch, data, refused, tmp_path):
    """--workers 64 took ~22 GB (256 were allowed): at most 2 a core, and as many as the
    memory limit holds at ~350 MB each."""

    def started(*args, **kwargs):
        raise AssertionError("the workers started")

    monkeypatch.setattr("logitlab.cli.workers.run_workers", started)
    monkeypatch.setattr(budget, "available_memory", lambda: 2 * 3.5 * budget.WORKER_BYTES)
    argv = ["fit", str(bits(data, 100)), "--target", "y", "--out", str(tmp_path / "out")]
    err = refused([*argv, "--workers", "64"])
    cap = min(2 * budget.cores(), 3)
    assert f"--workers 64 is more than this machine can run: at most {cap} (" in err
    with pytest.raises(AssertionError, match="the workers started"):
        main([*argv, "--workers", "2"])


def test_a_pass_of_more_reads_than_allowed_is_refused():
    """--chunk-rows 1 on 10**5 rows took 396 s: ~3 ms a read, ~12 passes."""
    with pytest.raises(ConfigError, match=r"~100,001 reads a pass.* at least 21 rows at a time"):
        budget.reads(10**5, 1, 1, 1)
    assert budget.reads(10**5, 1, 21, 1).seconds < 600
    with pytest.raises(ConfigError, match=r"from 10,000 file.* join the files into fewer"):
        budget.reads(10**4, 10**4, 10**6, 10**4)


#: 200 rows of a target and a feature.
SHARED = pa.table({"y": np.arange(200) % 2, "x": np.linspace(0, 1, 200)})


def test_fit_on_shards_refuses_tiny_chunks_and_many_files(monkeypatch, data, refused, tmp_path):
    monkeypatch.setattr(budget, "MAX_READS", 50, raising=False)
    pq.write_table(SHARED, data / "one.parquet")
    out = ["--target", "y", "--out", str(tmp_path / "out")]
    err = refused(["fit", str(data / "one.parquet"), "--chunk-rows", "1", *out])
    assert "reading 200 rows 1 at a time from 1 file(s) makes ~201 reads a pass" in err
    assert "at least 5 rows at a time" in err
    (data / "parts").mkdir()
    for i in range(60):
        pq.write_table(SHARED.slice(i, 1), data / "parts" / f"part-{i:02d}.parquet")
    err = refused(["fit", str(data / "parts"), *out])
    assert "from 60 file(s)" in err and "join the files into fewer" in err


def test_a_long_fit_on_shards_says_what_it_will_cost(monkeypatch, data, tmp_path, capsys):
    monkeypatch.setattr(budget, "LONG_SECONDS", 0.0)
    pq.write_table(SHARED, data / "one.parquet")
    argv = ["fit", str(data / "one.parquet"), "--chunk-rows", "50", "--target", "y", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    said = capsys.readouterr().err.splitlines()[0]
    assert re.fullmatch(r"this run: ~[\d.]+ [MG]B, ~\d+ s \(estimated\)", said), said


def test_fit_refuses_a_one_hot_design_that_cannot_fit(monkeypatch, data, refused, tmp_path):
    """--max-levels 200000 lets 4000 levels through; their design (4000 x 4000 and its
    Newton matrices, ~1 GB) is counted from the level counts and refused before coding."""
    levels = 4000
    path = data / "levels.csv"
    path.write_text("y,g\n" + "".join(f"{i % 2},g{i}\n" for i in range(levels)))
    monkeypatch.setattr(budget, "available_memory", lambda: 1.2 * GB)
    argv = ["fit", str(path), "--target", "y", "--max-levels", "200000"]
    err = refused([*argv, "--out", str(tmp_path / "out")])
    assert err.startswith("logitlab fit: error: coding this table would need ~1.0 GB"), err


def test_a_firth_fit_on_shards_is_estimated_with_firths_passes(
    monkeypatch, data, refused, tmp_path
):
    """--firth in shares was estimated as the plain fit's ~12 passes: it now adds firth()'s
    work on the share, as in memory, and reads a pass for each of its ~25 passes in place of
    Newton's; so a limit the plain fit's estimate is within refuses the Firth fit."""
    pq.write_table(SHARED, data / "one.parquet")
    asked = []
    real = budget.sharded
    monkeypatch.setattr(budget, "sharded", lambda *a, **k: asked.append((a, k)) or real(*a, **k))
    plain, firth = (real(200, 1, 1, 50, 2, firth_fit=f) for f in (False, True))
    reads_a_pass = (200 // 50 + 1) * budget.READ_CALL_SECONDS  # 4 chunks and the row group
    extra = budget.FIRTH_PASSES - budget.NEWTON_PASSES
    np.testing.assert_allclose(
        firth.seconds - plain.seconds,
        budget.firth(200, 2).seconds + extra * reads_a_pass,
        rtol=1e-12,
    )
    assert firth.bytes > plain.bytes and budget.firth_passes(2) == budget.FIRTH_PASSES
    monkeypatch.setattr(budget, "MAX_SECONDS", (plain.seconds + firth.seconds) / 2)
    argv = ["fit", str(data / "one.parquet"), "--chunk-rows", "50", "--target", "y",
            "--out", str(tmp_path / "out")]  # fmt: skip
    err = refused([*argv, "--firth"])
    assert err.startswith("logitlab fit: error: this fit would take ~") and "limit of" in err
    assert asked == [((200, 1, 1, 50, 2, 1), {"firth_fit": True, "penalty_fit": False})]


def _penalized_table(folder, n, d, seed=0):
    """A Parquet file of n rows of d features on unequal scales (three with an effect), y."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + x[:, :3] @ [0.5, -0.4, 0.2])))).astype(int)
    path = folder / f"penalized-{n}-{d}.parquet"
    pq.write_table(pa.table({**{f"x{j}": x[:, j] for j in range(d)}, "y": y}), path)
    return path


@pytest.mark.parametrize(("penalty", "lam"), [("l2", 1e-3), ("l1", 1e-2), ("elasticnet", 3e-3),
                                              ("l1", 1e-4)])  # fmt: skip
def test_a_penalized_fit_in_shares_reads_the_passes_its_estimate_counts(
    monkeypatch, data, penalty, lam
):
    """fit_penalized reads the shares the passes it reports + PENALTY_AROUND times (the
    moments, the pass at the estimate, the statistics pass; counted at the share's batches),
    and the estimate's PENALTY_PASSES + PENALTY_AROUND are that at least and at most twice
    it (6 passes + 3 at these lambdas); the in-memory fit on the same rows takes the same
    steps and sums at most PENALTY_PASSES - 1 Hessians."""
    from logitlab.data.shards import ShardedDesign
    from logitlab.engines.collective import Local
    from logitlab.stats import penalized
    from logitlab.studies.sharded import fit_shards

    path = _penalized_table(data, 20_000, 8)
    reads, passes = [0], ShardedDesign.passes

    def counted(self, *args, **kwargs):
        batches = passes(self, *args, **kwargs)

        def read():
            reads[0] += 1
            return batches()

        return read

    monkeypatch.setattr(ShardedDesign, "passes", counted)
    fitted = fit_shards(str(path), Local(), target="y", penalty=penalty, lam=lam,
                        chunk_rows=5_000)  # fmt: skip
    assert reads[0] == fitted.mle.passes + budget.PENALTY_AROUND
    counted_passes = budget.PENALTY_PASSES + budget.PENALTY_AROUND
    assert reads[0] <= counted_passes <= 2 * reads[0]
    frame = pq.read_table(path).to_pandas()
    memory = penalized.fit(frame.drop(columns="y").to_numpy(), frame["y"].to_numpy(), lam,
                           fitted.mle.l1_ratio)  # fmt: skip
    assert memory.passes == fitted.mle.passes
    assert 1 <= memory.hessians <= budget.PENALTY_PASSES - 1


def test_a_penalized_fit_in_shares_is_estimated_with_its_passes(
    monkeypatch, data, refused, tmp_path
):
    """--penalty in shares was estimated as Newton's fit: NEWTON_PASSES Gram matrices of
    every row (n w^2 products each) and SHARD_PASSES reads; now penalized_passes() in their
    place (a pass n w values, a Hessian n w^2 / 2 float32 products) and the reads of the scan
    and PENALTY_PASSES + PENALTY_AROUND passes: at 10**6 rows of 201 columns ~76 s of work
    where Newton's count made ~415 s. The CLI asks for it with --penalty."""
    plain = budget.sharded(10**6, 10, 1, 10**5, 201)
    fit = budget.sharded(10**6, 10, 1, 10**5, 201, penalty_fit=True)
    grams = budget.NEWTON_PASSES * 10**6 * 201**2 * budget.GRAM_SECONDS
    reads = budget.reads(10**6, 10, 10**5, 1, 1 + budget.PENALTY_PASSES + budget.PENALTY_AROUND)
    np.testing.assert_allclose(
        fit.seconds - plain.seconds,
        budget.penalized_passes(10**6, 201).seconds - grams + reads.seconds
        - budget.reads(10**6, 10, 10**5, 1).seconds,
        rtol=1e-12,
    )  # fmt: skip
    base = budget.BASE_SECONDS
    assert fit.bytes == plain.bytes and 5 * (fit.seconds - base) < plain.seconds - base
    pq.write_table(SHARED, data / "one.parquet")
    asked = []
    real = budget.sharded
    monkeypatch.setattr(budget, "sharded", lambda *a, **k: asked.append((a, k)) or real(*a, **k))
    monkeypatch.setattr(budget, "MAX_SECONDS", 0.0)
    argv = ["fit", str(data / "one.parquet"), "--chunk-rows", "50", "--target", "y",
            "--penalty", "l2", "--lambda", "0.01", "--out", str(tmp_path / "out")]  # fmt: skip
    assert refused(argv).startswith("logitlab fit: error: this fit would take ~")
    assert asked == [((200, 1, 1, 50, 2, 1), {"firth_fit": False, "penalty_fit": True})]


def _penalized_rows(n, d, seed=0):
    """n rows of d features on unequal scales (three with an effect) and their 0/1 labels."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + x[:, :3] @ [0.5, -0.4, 0.2])))).astype(float)
    return x, y


@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_an_in_memory_penalized_fit_with_cv_takes_the_passes_its_estimate_counts(
    monkeypatch, penalty
):
    """fit --penalty in memory was estimated as Newton's MLE (NEWTON_PASSES Gram matrices of
    every row), lambda cv too, which fits glmnet's path once per fold and once on every row.
    Each path's passes and Hessians, weighted by its rows, are counted by penalized_passes()
    at least and at most 3 times (its Hessians over every column, the fits' over the candidate
    ones: at least); the last fit at lambda_min within its PENALTY_PASSES."""
    from logitlab.stats import penalized

    assert budget.PATH_LAMBDAS == penalized.PATH_COUNT
    x, y = _penalized_rows(3_000, 5)
    paths, real = [], penalized.fit_path

    def counted(problem, lambdas, l1_ratio):
        path = real(problem, lambdas, l1_ratio)
        paths.append((problem.row_count, path.passes, path.hessians))
        return path

    monkeypatch.setattr(penalized, "fit_path", counted)
    folds, n = 3, len(y)
    fitted = penalized.fit_result(x, y, tuple(f"x{j}" for j in range(5)), penalty, "cv",
                                  folds=folds)  # fmt: skip
    assert len(paths) == folds + 1 and sum(rows for rows, _, _ in paths) == folds * n
    passes = sum(rows * p for rows, p, _ in paths) / n
    hessians = sum(rows * h for rows, _, h in paths) / n
    assert passes <= folds * budget.PATH_PASSES <= 3 * passes
    assert hessians <= folds * budget.PATH_HESSIANS
    last = fitted.passes - paths[-1][1] + fitted.sample_reads  # the fit at lambda_min
    assert 1 <= last <= budget.PENALTY_PASSES
    one, cv = budget.table(n, 0, 6, penalty=True), budget.table(n, 0, 6, penalty=True, folds=3)
    per_value = budget.PENALTY_VALUE_SECONDS
    least = n * 6 * (passes * per_value + hessians * 6 / 2 * budget.HESSIAN_SECONDS)
    assert cv.seconds - one.seconds >= least


def test_an_in_memory_penalized_fit_is_estimated_with_its_own_passes():
    """At 10**6 rows of 51 columns one lambda counts ~2.5 s of passes where Newton's Gram
    matrices and MLE counted ~29 s; lambda cv with 10 folds 10 paths' worth more, a fold's
    copy of the rows and its held-out rows' linear predictors at 100 lambdas."""
    rows, width = 10**6, 51
    newton = budget.table(rows, 0, width)
    one = budget.table(rows, 0, width, penalty=True)
    cv = budget.table(rows, 0, width, penalty=True, folds=10)
    grams = budget.NEWTON_PASSES * rows * width**2 * budget.GRAM_SECONDS
    np.testing.assert_allclose(
        one.seconds - newton.seconds,
        budget.penalized_passes(rows, width, from_file=False).seconds - grams
        - budget.mle(rows, width).seconds,
        rtol=1e-12,
    )  # fmt: skip
    assert budget.penalized_passes(rows, width).seconds > one.seconds - newton.seconds + grams
    assert 5 * budget.penalized(rows, width).seconds < grams + budget.mle(rows, width).seconds
    assert cv.seconds - one.seconds > 10 * budget.PATH_PASSES * rows * width * 1e-9
    assert cv.bytes - one.bytes >= 8 * (0.9 * rows * width + 2 * rows / 10 * 100)


def test_fit_with_lambda_cv_is_refused_by_what_its_paths_cost(
    monkeypatch, data, unread, refused, tmp_path
):
    """The CLI asks table() for the penalized fit and its folds: a limit the fit at one
    lambda is within refuses --lambda cv before the table is read."""
    path = bits(data, 10**4)
    size = table_size(path, ["y", "x"])
    asked, real = [], budget.table
    monkeypatch.setattr(budget, "table", lambda *a, **k: asked.append(k) or real(*a, **k))
    one, cv = (real(size.rows, size.bytes, 2, penalty=True, folds=f) for f in (0, 4))
    monkeypatch.setattr(budget, "MAX_SECONDS", (one.seconds + cv.seconds) / 2)
    argv = ["fit", str(path), "--target", "y", "--penalty", "l1", "--out", str(tmp_path / "out")]
    err = refused([*argv, "--lambda", "cv", "--folds", "4"])
    assert err.startswith("logitlab fit: error: this fit would take ~") and "limit of" in err
    assert asked[-1] == {"penalty": True, "folds": 4}
    with pytest.raises(AssertionError, match="the table was read"):
        main([*argv, "--lambda", "0.01"])
    assert asked[-1] == {"penalty": True, "folds": 0}


def _three_classes(folder, n=300):
    """A CSV of n rows of x and a target y of three levels (a, b, c), b likelier at larger x."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=n)
    other = np.where(rng.random(n) < 0.5, "a", "c")
    path = folder / "three.csv"
    pd.DataFrame({"y": np.where(x + rng.normal(size=n) > 0.5, "b", other), "x": x}).to_csv(
        path, index=False
    )
    return path


def test_a_k_class_fit_is_estimated_as_softmax_regression_on_its_engine(
    monkeypatch, data, tmp_path
):
    """fit with a target of K levels: its descent was estimated as K binary fits; now the
    CLI's estimate asks budget.softmax what the engine asks it (the same rows' features,
    classes, epochs, engine and steps), and the multinomial MLE as stats.multinomial does
    (mle() on width x K coefficients)."""
    asked, real = [], budget.softmax
    monkeypatch.setattr(budget, "softmax", lambda *a, **k: asked.append((a, k)) or real(*a, **k))
    mles, real_mle = [], budget.mle
    monkeypatch.setattr(budget, "mle", lambda *a: mles.append(a) or real_mle(*a))
    out = tmp_path / "out"
    assert main(["fit", str(_three_classes(data)), "--target", "y", "--epochs", "50",
                 "--out", str(out)]) == 0  # fmt: skip
    (estimate_args, estimate_how), *_, (engine_args, engine_how) = asked
    assert estimate_args[1:] == engine_args[1:] == (1, 3, 50)
    assert estimate_how == engine_how and estimate_args[0] >= engine_args[0]  # held-out rows
    *estimates, fitted = mles  # the binary one before the target is read, the K-class ones
    assert (300, 2) in estimates and (300, 2 * 3) in estimates and fitted[1] == 2 * 3


def test_a_k_class_fit_is_refused_by_its_k_class_estimate(monkeypatch, data, refused, tmp_path):
    """A limit the binary estimate (all the CLI knows before reading the target) is within
    refuses the fit once its K = 3 classes are known, before any fit."""
    path = _three_classes(data)
    size = table_size(path, ["y", "x"])
    train = TrainConfig(epochs=50)
    binary = budget.table(size.rows, size.bytes, 2, train, 1)
    three = budget.table(size.rows, 0, 2, train, 1, classes=3)
    assert three.seconds - size.bytes * budget.READ_BYTE_SECONDS > binary.seconds
    monkeypatch.setattr(budget, "MAX_SECONDS", (binary.seconds + three.seconds) / 2 + 1e-9)
    monkeypatch.setattr("logitlab.studies.multiclass.fit_multiclass",
                        lambda *a, **k: pytest.fail("fitted"))  # fmt: skip
    err = refused(["fit", str(path), "--target", "y", "--epochs", "50",
                   "--out", str(tmp_path / "out")])  # fmt: skip
    assert err.startswith("logitlab fit: error: this fit would take ~"), err


def test_a_library_penalized_fit_is_refused_by_its_estimate_before_its_passes(monkeypatch):
    """stats.penalized.fit_result checks budget.penalized() as stats.mle checks mle(): at a
    limit between the fit at one lambda and with 3-fold cv, cv is refused and no path is
    fitted; one lambda runs."""
    from logitlab.stats import penalized

    x, y = _penalized_rows(500, 4)
    one, cv = (budget.penalized(500, 5, folds=f) for f in (0, 3))
    monkeypatch.setattr(budget, "MAX_SECONDS", (one.seconds + cv.seconds) / 2)
    monkeypatch.setattr(penalized, "fit_path", lambda *a: pytest.fail("a path was fitted"))
    names = ("a", "b", "c", "d")
    with pytest.raises(ConfigError, match=r"^this penalized fit would take ~"):
        penalized.fit_result(x, y, names, "l1", "cv", folds=3)
    assert penalized.fit_result(x, y, names, "l1", 0.01, folds=3).passes >= 1
