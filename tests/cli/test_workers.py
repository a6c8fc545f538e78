"""The local launcher: K workers with torchrun's variables, rank 0's output only, and a
worker that fails or dies stops the run, names itself and leaves no output folder.

What a worker does besides the logitlab command is set by a sitecustomize module the test
puts on PYTHONPATH (Python imports it at start-up in every worker), keyed on RANK."""

from __future__ import annotations

import time

import pytest

from logitlab.cli.workers import run_workers, without_workers
from logitlab.errors import ConfigError

#: Waits (up to a minute) until rank 0 has begun writing its output (the stage folder that
#: report.files makes beside the target), so what follows happens mid-write; else exits 5.
MID_WRITE = """
import glob, os, time
deadline = time.time() + 60
while not glob.glob(os.path.join({folder!r}, ".*.partial")) and time.time() < deadline:
    time.sleep(0.05)
if time.time() >= deadline:
    os._exit(5)
"""


@pytest.fixture
def on_start(tmp_path, monkeypatch):
    """on_start({rank: code, ...}): each worker `rank` runs its `code` before logitlab
    starts."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(site))

    def put(codes: dict[int, str]) -> None:
        lines = ["import os, signal, sys, time", "RANK = int(os.environ['RANK'])"]
        for rank, code in codes.items():
            lines.append(f"if RANK == {rank}:")
            lines += [f"    {line}" for line in code.strip().splitlines()]
        site.joinpath("sitecustomize.py").write_text("\n".join(lines) + "\n")

    return put


def test_every_worker_runs_with_its_rank_and_only_rank_0_prints(tmp_path, on_start, capfd):
    seen = tmp_path / "seen"
    seen.mkdir()
    names = "('WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')"
    record = (f"open(os.path.join({str(seen)!r}, str(RANK)), 'w').write("
              f"' '.join(os.environ[k] for k in {names}))")  # fmt: skip
    on_start({0: record, 1: record})
    assert run_workers(["datasets", "--workers", "2"], 2) == 0
    values = {path.name: path.read_text().split() for path in seen.iterdir()}
    assert sorted(values) == ["0", "1"]
    assert [values[r][:3] for r in "01"] == [["2", "0", "127.0.0.1"], ["2", "1", "127.0.0.1"]]
    assert values["0"][3] == values["1"][3]  # one rendezvous port
    out = capfd.readouterr().out
    assert [line.split()[0] for line in out.splitlines()].count("spector") == 1  # rank 0's


def test_a_usage_error_on_every_worker_is_rank_0s_one_line_and_exit_2(capfd):
    assert run_workers(["fit", "--no-such-option"], 2) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "no-such-option" in err and "worker" not in err


def test_a_failing_worker_stops_the_run_mid_write_naming_itself(tmp_path, on_start, capfd):
    fail = "print('boom', file=sys.stderr)\nos._exit(3)"
    on_start({1: MID_WRITE.format(folder=str(tmp_path)) + fail})
    code = run_workers(["lecture", "--out", str(tmp_path / "out")], 2)
    err = capfd.readouterr().err
    assert code == 1
    assert "[worker 1] boom" in err
    assert err.rstrip().endswith(
        "logitlab lecture: error: worker 1 failed (exit 3); the other workers were stopped"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no folder, no stage


def test_a_killed_worker_is_named_with_its_signal(tmp_path, on_start, capfd):
    on_start({1: MID_WRITE.format(folder=str(tmp_path)) + "os.kill(os.getpid(), signal.SIGKILL)"})
    assert run_workers(["lecture", "--out", str(tmp_path / "out")], 2) == 1
    assert "worker 1 failed (killed by SIGKILL)" in capfd.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_stopped_worker_is_named_though_one_that_lost_it_ended_first(tmp_path, on_start,
                                                                       capfd):  # fmt: skip
    """Worker 1 is stopped (SIGTERM: exit 143 as the command exits then) and takes a moment
    to end; worker 0, losing contact with it, fails (exit 1) before it has."""
    flag = str(tmp_path / "stopping")
    on_start({
        0: f"while not os.path.exists({flag!r}) and time.monotonic() < {time.monotonic() + 60}:"
        "\n    time.sleep(0.01)\nos._exit(1)",
        1: f"open({flag!r}, 'w').close()\ntime.sleep(0.4)\nos._exit(128 + signal.SIGTERM)",
    })  # fmt: skip
    assert run_workers(["datasets"], 2) == 1
    assert capfd.readouterr().err.splitlines()[-1] == (
        "logitlab datasets: error: worker 1 failed (stopped by SIGTERM); the other workers "
        "were stopped"
    )


@pytest.fixture(scope="module")
def long_table(tmp_path_factory):
    """A Parquet file whose streamed fit takes seconds (many row groups and chunks)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(5)
    x = rng.normal(size=(400_000, 2))
    y = (rng.random(len(x)) < 1.0 / (1.0 + np.exp(-x @ [1.0, -1.0]))).astype(np.int64)
    path = tmp_path_factory.mktemp("long") / "t.parquet"
    pq.write_table(pa.table({"a": x[:, 0], "b": x[:, 1], "y": y}), path, row_group_size=20_000)
    return path


#: Once the fit on shards has begun (its third pass over a chunk), the worker sends itself
#: SIGTERM, as `kill` would: counted in chunks, not seconds, so a fast machine cannot finish
#: the fit first.
STOP_MID_FIT = """
import threading
def stop():
    while "logitlab.stats.sharded" not in sys.modules:
        time.sleep(0.001)
    module = sys.modules["logitlab.stats.sharded"]
    while not hasattr(module, "newton_pass"):
        time.sleep(0.001)
    passes, calls = module.newton_pass, []
    def counted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return passes(*args, **kwargs)
    module.newton_pass = counted
threading.Thread(target=stop, daemon=True).start()
"""


@pytest.mark.parametrize("rank", [0, 1])
def test_a_worker_stopped_mid_fit_is_named_by_its_rank(rank, long_table, tmp_path, on_start,
                                                        capfd):  # fmt: skip
    on_start({rank: STOP_MID_FIT})
    out = tmp_path / "out"
    words = ["fit", str(long_table), "--target", "y", "--chunk-rows", "10000", "--out", str(out)]
    assert run_workers(words, 2) == 1
    assert capfd.readouterr().err.splitlines()[-1] == (
        f"logitlab fit: error: worker {rank} failed (stopped by SIGTERM); the other workers "
        "were stopped"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_when_rank_0_fails_the_others_are_stopped_within_seconds(on_start, capfd):
    on_start({0: "os._exit(4)", 1: "time.sleep(120)"})  # worker 1 would wait two minutes
    start = time.monotonic()
    assert run_workers(["datasets"], 2) == 1
    assert time.monotonic() - start < 30
    assert "worker 0 failed (exit 4)" in capfd.readouterr().err


def test_workers_must_be_a_count():
    with pytest.raises(ConfigError, match="workers"):
        run_workers(["datasets"], 0)


def test_the_workers_option_is_not_passed_on():
    assert without_workers(["fit", "--workers", "2", "d.csv", "--workers=3", "-y"]) == [
        "fit",
        "d.csv",
        "-y",
    ]
