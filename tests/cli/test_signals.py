"""Ctrl-C (SIGINT), SIGTERM and SIGHUP stop a long run within a second, inside its compiled
loops too: exit 128 + the signal, one line on stderr, no traceback, nothing left beside the
output folder.

Each case runs the console command in a process of its own on data made for it, long enough
to run for minutes. A sitecustomize module the test puts on PYTHONPATH marks the moment the
long work starts: it wraps the function that starts it (the descent's compiled epochs, or
the Newton pass over the rows) to write MARK on stderr when first called. The test waits for
that line, lets the work run a little, sends the signal and times the exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from logitlab.engines.batch import fit_batch
from logitlab.stats.irls import newton_pass

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")

MARK = "logitlab-test: the long work started"
#: Seconds a stop may take: the promise is 1 s; the rest is slack for a loaded machine.
WITHIN = 1.5
#: Seconds the work runs after MARK before the signal: inside the compiled loop by then.
INSIDE = 0.7

SITE = """
import importlib.abc, importlib.machinery, sys
WRAP = {wrap!r}
class Marker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in WRAP:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            real = getattr(module, WRAP[name])
            def marked(*args, **kwargs):
                sys.stderr.write({mark!r} + "\\n")
                sys.stderr.flush()
                return real(*args, **kwargs)
            setattr(module, WRAP[name], marked)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Marker())
"""
DESCENT = {"logitlab.engines.fused": "descend_many"}
NEWTON = {"logitlab.stats.irls": "newton_pass"}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """A CSV of 200,000 rows (a descent of 10**5 epochs on it runs for many minutes) and a
    Parquet file of 10**6 rows (streamed in chunks of 10**5 rows, every Newton pass reads
    it all). The compiled kernels are loaded (compiled once in a fresh install) here, so the
    runs below start their loops at once."""
    folder = tmp_path_factory.mktemp("tables")
    rng = np.random.default_rng(7)
    n = 1_000_000
    x = rng.normal(size=(n, 2))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(0.5 + x @ [1.0, -1.0])))).astype(np.int64)
    table = pa.table({"a": x[:, 0], "b": x[:, 1], "y": y})
    pq.write_table(table, folder / "big.parquet", row_group_size=100_000)
    table.slice(0, 200_000).to_pandas().to_csv(folder / "rows.csv", index=False)
    fit_batch(x[:100], y[:100], epochs=2)
    newton_pass(x[:100], y[:100].astype(float), np.zeros(3), True)
    return folder


def run_until_stopped(words, wrap, signum, tmp_path):
    """Run `logitlab WORDS --out PARENT/out`, send signum once the long work has run INSIDE
    seconds; (exit code, stderr without MARK, seconds from the signal to the exit, PARENT)."""
    site, parent = tmp_path / "site", tmp_path / "parent"
    site.mkdir()
    parent.mkdir()
    site.joinpath("sitecustomize.py").write_text(SITE.format(wrap=wrap, mark=MARK))
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "logitlab", *words, "--quiet", "--out", str(parent / "out")]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env=env, preexec_fn=_default_signals)  # fmt: skip
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            if line.rstrip("\n") == MARK:
                started.set()
            else:
                lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(120), f"the long work never started: {''.join(lines)}"
        time.sleep(INSIDE)
        assert proc.poll() is None, "the run ended before the signal"
        sent = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=60)
        took = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
    reader.join(10)
    return proc.returncode, "".join(lines), took, parent


def _default_signals() -> None:
    """In the child: the stop signals at their default action, as under a terminal, whatever
    runs the tests (nohup ignores SIGHUP; a background job, SIGINT)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


#: A long descent, asked for (unasked, fit skips one this long and fits the MLE alone), every
#: epoch of it (--tol 0: by default it would stop at convergence, long before the signal).
ASKED_DESCENT = ["--loss", "bce", "--epochs", "100000", "--tol", "0"]
#: Streamed in chunks, Firth's fit with its profiles: about 15 s of passes over the Parquet
#: file (the plain MLE's 8 passes end within 0.3 s, before the signal).
STREAMED = ["--chunk-rows", "100000", "--firth"]
CASES = {
    "fit-TERM": (["fit", "rows.csv", "--target", "y", *ASKED_DESCENT], DESCENT, signal.SIGTERM),
    "fit-HUP": (["fit", "rows.csv", "--target", "y", *ASKED_DESCENT], DESCENT, signal.SIGHUP),
    "lecture-INT": (["lecture", "--n", "200000", "--epochs", "100000"], DESCENT, signal.SIGINT),
    "streamed-TERM": (["fit", "big.parquet", "--target", "y", *STREAMED], NEWTON,
                      signal.SIGTERM),
    # the launcher stops its workers; rank 0, on this terminal, says it for the run
    "workers-TERM": (["fit", "big.parquet", "--target", "y", *STREAMED, "--workers", "2"],
                     NEWTON, signal.SIGTERM),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_signal_stops_a_long_run_within_a_second(case, tables, tmp_path):
    words, wrap, signum = CASES[case]
    words = [str(tables / w) if w.endswith((".csv", ".parquet")) else w for w in words]
    code, err, took, parent = run_until_stopped(words, wrap, signum, tmp_path)
    name = signal.Signals(signum).name
    what = "interrupted" if signum == signal.SIGINT else f"terminated ({name})"
    assert code == 128 + signum, err
    assert err.splitlines()[-1:] == [f"logitlab: {what}; nothing was written"], err
    assert "Traceback" not in err and "Error" not in err, err
    assert took < WITHIN, f"{case}: {took:.2f} s from {name} to the exit"
    assert list(parent.iterdir()) == []
    print(f"{case}: stopped {took:.2f} s after {name}")
