"""Property test of the bad-input promise: random strings and numbers for every option of every
command give exit 0 or 2 (1 only for a run that diverged, said in one line), at most one
stderr line on an error, never a traceback, and no stray files beside the output folder."""

from __future__ import annotations

import argparse
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logitlab.cli import build_parser, main

#: Tiny, valid settings for the options a case does not draw, so successful runs are quick.
QUICK = {
    "--n": "20",
    "--epochs": "5",
    "--grid": "5",
    "--frames": "2",
    "--reps": "2",
    "--lr": "0.05",
}
SKIP = {"-h", "--help", "--out", "--force", "--quiet"}
#: What a command needs before any option means anything: `fit` a table (a drawn --dataset
#: comes later on the line and wins, as argparse keeps the last).
BASE = {"fit": ["--dataset", "spector"]}


def command_options(flags: bool = False) -> dict[str, list[str]]:
    """Each command's value-taking options (or, with flags, its on/off switches such as
    --nesterov), read from the real parser."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: [
            a.option_strings[-1]
            for a in command._actions
            if a.option_strings and (a.nargs == 0) == flags and a.option_strings[-1] not in SKIP
        ]
        for name, command in sub.choices.items()
    }


OPTIONS = command_options()
FLAGS = command_options(flags=True)

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 2, 3, 1e-300, 1e39, -1e39, 2**31, 2**63, 2**64]),
)
#: The optimizer and batch options' own words, good and bad.
TRAINING_WORDS = ["sgd", "momentum", "adam", "rmsprop", "full", "full,2", "sgd,adam", "adam,adam",
                  "0.9,0.999", "0,0", "0.9,1", "1e-8", "FULL"]  # fmt: skip
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "-", "--", "nan", "-inf", "1,2", "-5,3", "1,2,3", "bce", "x,y"]),
    st.sampled_from(TRAINING_WORDS),
)


def as_text(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return repr(value)
    return str(value)


values = st.one_of(numbers.map(as_text), texts, st.lists(numbers, min_size=1, max_size=3).map(
    lambda items: ",".join(as_text(v) for v in items)
))  # fmt: skip
#: Options that size the work: a random valid value (say 10**6 epochs of 2000 frames) is a
#: legitimately long run, not bad input, so these draw small valid values or invalid ones.
SIZES = {"--n", "--epochs", "--grid", "--frames", "--reps"}
sizes = st.one_of(
    texts,
    st.floats().map(as_text),
    st.integers(max_value=1).map(str),
    st.integers(min_value=10**8, max_value=2**70).map(str),
    st.sampled_from(["2", "3", "5"]),
)


@pytest.mark.parametrize("command", sorted(name for name, options in OPTIONS.items() if options))
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same cases every run: CI stays reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_values_keep_the_promise(command, data, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("fuzz")
    chosen = data.draw(st.lists(st.sampled_from(OPTIONS[command]), min_size=1, max_size=3,
                                unique=True))  # fmt: skip
    argv = [command, *BASE.get(command, []), "--out", str(folder / "out"), "--quiet"]
    for option in OPTIONS[command]:
        if option in chosen:
            value = data.draw(sizes if option in SIZES else values)
            # as a user types it ("--w0 -1e3") or glued ("--w0=-1e3")
            argv += [f"{option}={value}"] if data.draw(st.booleans()) else [option, value]
        elif option in QUICK:
            argv += [option, QUICK[option]]
    argv += [flag for flag in FLAGS[command] if data.draw(st.booleans())]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err, (argv, err)
    assert code in (0, 1, 2), (argv, code, err)
    if code:
        assert err.count("\n") == 1, (argv, err)
        assert code == 2 or "diverged" in err, (argv, err)
    leftovers = sorted(p.name for p in folder.iterdir())
    assert leftovers == (["out"] if code == 0 else []), (argv, leftovers)
