"""The optimizer, batch and start options on every command that trains: each command takes
them, trains with them (its end points are those of fit() under the same TrainConfig, not
the lecture's defaults) and records them in its results file; bad values are refused in
one line before anything is written."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest

from logitlab.cli import main
from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.engines import fit

N = 300
SMALL = ["--n", str(N), "--epochs", "50", "--quiet"]
#: Every new option at a value other than its default, as a user types them: the momentum
#: optimizer's settings in one run, Adam's in another (each refuses the other's).
COMMON = ["--batch-size", "64", "--shuffle-seed", "7", "--start", "1,-2"]
OPTIONS = {
    "momentum": ["--optimizer", "momentum", "--momentum", "0.5", "--nesterov", *COMMON],
    "adam": ["--optimizer", "adam", "--betas", "0.8,0.99", "--eps", "1e-6", *COMMON],
}
#: The same settings as the library takes them.
SETTINGS = {
    "momentum": {"optimizer": "momentum", "momentum": 0.5, "nesterov": True},
    "adam": {"optimizer": "adam", "betas": [0.8, 0.99], "eps": 1e-6},
}
BATCHES = {"batch_size": 64, "shuffle_seed": 7}


def train_config(optimizer: str) -> TrainConfig:
    """The TrainConfig the options of OPTIONS[optimizer] stand for."""
    settings = SETTINGS[optimizer] | BATCHES
    if "betas" in settings:
        settings["betas"] = tuple(settings["betas"])
    return TrainConfig(epochs=50, init=(1.0, -2.0), **settings)


#: Each command's extra options to stay quick, and the file that records its settings.
COMMANDS = {
    "lecture": ([], "results.json"),
    "sweep": (["--lr", "0.05,0.5"], "sweep.json"),
    "montecarlo": (["--reps", "2"], "montecarlo.json"),
    "landscape": (["--grid", "5"], "landscape.json"),
    "animate": (["--grid", "5", "--frames", "2"], "animation.json"),
}


def recorded_settings(command: str, record: dict) -> dict:
    """Where each command's results file keeps its training settings."""
    if command == "lecture":
        return record["config"]
    if command in ("sweep", "montecarlo"):
        return record["settings"]
    return record["training"]


def end_points(command: str, out, record: dict) -> dict[tuple[str, float], list[float]]:
    """(loss, lr) -> where that fit of the command ended, read from its files."""
    if command == "lecture":
        return {(loss, 0.05): [f["w0"], f["w1"]] for loss, f in record["fits"].items()}
    if command == "sweep":
        return {(r["loss"], r["lr"]): [r["w0_hat"], r["w1_hat"]] for r in record["fits"]}
    if command == "montecarlo":  # rep 0 draws the lecture's own data set
        with (out / "montecarlo.csv").open(newline="") as handle:
            rows = [r for r in csv.DictReader(handle) if r["rep"] == "0"]
        return {(r["loss"], 0.05): [float(r["w0_hat"]), float(r["w1_hat"])] for r in rows}
    ends = record["lecture_start"] if command == "landscape" else record["ends"]
    return {(loss, 0.05): [ends[loss]["w0"], ends[loss]["w1"]] for loss in ("bce", "mse")}


@pytest.fixture(scope="module")
def data():
    return simulate(n=N)


@pytest.mark.parametrize("optimizer", sorted(OPTIONS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_is_taken_used_and_recorded(command, optimizer, data, tmp_path, assert_ulps):
    extra, name = COMMANDS[command]
    out = tmp_path / "out"
    assert main([command, "--out", str(out), *SMALL, *extra, *OPTIONS[optimizer]]) == 0
    record = json.loads((out / name).read_text())
    settings = recorded_settings(command, record)
    expected = SETTINGS[optimizer] | BATCHES
    if command == "sweep":  # the swept settings are lists, one fit per combination
        expected |= {"optimizers": [optimizer], "batch_sizes": [64]}
        del expected["optimizer"], expected["batch_size"]
    assert {key: settings[key] for key in expected} == expected
    assert settings["init"] == [1.0, -2.0]
    ends = end_points(command, out, record)
    assert len(ends) >= 2
    for (loss, lr), end in ends.items():
        cfg = replace(train_config(optimizer), loss=loss, lr=lr)
        assert_ulps(end, fit(data.x, data.y, cfg).params, precision=np.float32)
        # and not where the lecture's own settings lead: the options made the difference
        lecture = fit(data.x, data.y, TrainConfig(loss=loss, lr=lr, epochs=50)).params
        assert not np.allclose(end, lecture, rtol=1e-3)


def test_sweep_grid_over_optimizers_and_batch_sizes(data, tmp_path, assert_ulps):
    out = tmp_path / "out"
    argv = ["sweep", "--out", str(out), *SMALL, "--loss", "bce", "--lr", "0.05,0.5",
            "--optimizers", "sgd,adam", "--batch-sizes", "full,32"]  # fmt: skip
    assert main(argv) == 0
    with (out / "sweep.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    grid = [(o, b, lr) for o in ("sgd", "adam") for b in ("full", "32") for lr in (0.05, 0.5)]
    assert [(r["optimizer"], r["batch_size"], float(r["lr"])) for r in rows] == grid
    record = json.loads((out / "sweep.json").read_text())
    assert record["settings"]["optimizers"] == ["sgd", "adam"]
    assert record["settings"]["batch_sizes"] == [None, 32]
    for row in rows:
        size = None if row["batch_size"] == "full" else int(row["batch_size"])
        cfg = TrainConfig(lr=float(row["lr"]), epochs=50, optimizer=row["optimizer"],
                          batch_size=size)  # fmt: skip
        end = [float(row["w0_hat"]), float(row["w1_hat"])]
        assert_ulps(end, fit(data.x, data.y, cfg).params, precision=np.float32)


#: Each bad value of issue 10, item 9, on one command (rotating), and what the line says.
BAD = [
    ("lecture", ["--optimizer", "rmsprop"], "optimizer must be one of sgd, momentum, adam"),
    ("sweep", ["--optimizers", "sgd,rmsprop"], "optimizer must be one of sgd, momentum, adam"),
    ("montecarlo", ["--betas", "0.9,1"], "beta2 must be a number from 0 up to (not including) 1"),
    ("landscape", ["--betas", "-0.1,0.9"], "beta1 must be a number from 0 up to"),
    ("animate", ["--betas", "0.9"], "betas must be two numbers beta1, beta2"),
    ("lecture", ["--momentum", "1"], "momentum must be a number from 0 up to (not including) 1"),
    ("sweep", ["--eps", "0"], "eps must be a finite number > 0"),
    ("montecarlo", ["--eps", "-1e-8"], "eps must be a finite number > 0"),
    ("landscape", ["--batch-size", "0"], "batch size must be an integer from 1"),
    ("animate", ["--batch-size", "2.5"], "batch size must be an integer from 1"),
    ("sweep", ["--batch-sizes", "full,301"], "batch size must be an integer from 1 to n"),
    ("lecture", ["--start", "1,2,3"], "start must be two numbers w0, w1"),
    ("montecarlo", ["--start", "1,nan"], "start w1 must be a finite number"),
    ("landscape", ["--start", "abc"], "start must be two numbers w0, w1"),
    ("animate", ["--start", "1e30,0"], "start must keep the logits w0 + w1 x within"),
    ("sweep", ["--shuffle-seed", "-1"], "shuffle seed must be an integer from 0"),
    # a setting for an optimizer or batching the run does not use would silently do nothing
    ("lecture", ["--momentum", "0.5"], "--momentum has no effect without --optimizer momentum"),
    ("animate", ["--nesterov"], "--nesterov has no effect without --optimizer momentum"),
    ("montecarlo", ["--betas", "0.5,0.9"], "--betas has no effect without --optimizer adam"),
    ("sweep", ["--optimizers", "sgd,momentum", "--eps", "1e-6"], "--eps has no effect without"),
    ("landscape", ["--shuffle-seed", "3"], "--shuffle-seed has no effect without a --batch-size"),
]


@pytest.mark.parametrize("command, args, words", BAD)
def test_bad_values_are_one_line_exit_2_nothing_written(tmp_path, refused, command, args, words):
    extra = COMMANDS[command][0]
    assert words in refused([command, "--out", str(tmp_path / "out"), *SMALL, *extra, *args])


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_batch_larger_than_the_data_is_refused_by_every_command(tmp_path, refused, command):
    # no --quiet: refused before the first progress bar
    argv = [command, "--out", str(tmp_path / "out"), "--n", str(N), "--epochs", "50",
            *COMMANDS[command][0], "--batch-size", str(N + 1)]  # fmt: skip
    line = refused(argv)
    assert f"batch size must be an integer from 1 to n, the number of points ({N})" in line
