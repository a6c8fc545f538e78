"""Property test of the bad-input promise: random strings and numbers for every option of every
command give exit 0 or 2 (1 only for a run that diverged, said in one line), at most one
stderr line on an error, never a traceback, and no stray files beside the output folder. The
same for model files: drawn mutations of a valid model.json and named forgeries give predict's
exit 0 or 2 in one line, and a payload never runs."""

from __future__ import annotations

import argparse
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
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


# --- model files: data, never code ---------------------------------------------------------


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A table and the record of a model fitted on it, with a categorical factor, a stateful
    transform and a quoted name: every part of a model file that can be tampered with."""
    import numpy as np
    import pandas as pd

    from logitlab.data.design import build_design
    from logitlab.data.modelfile import model_record

    rng = np.random.default_rng(3)
    n = 40
    frame = pd.DataFrame({"y": rng.integers(0, 2, n), "x": rng.normal(size=n),
                          "b": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n),
                          "odd name": rng.uniform(1, 2, n)})  # fmt: skip
    table = tmp_path_factory.mktemp("table") / "table.csv"
    frame.to_csv(table, index=False)
    design = build_design(frame, formula="y ~ x + C(g) + center(b) + np.log(`odd name`)")
    return table, model_record(design.spec, np.linspace(-1, 1, len(design.names) + 1))


#: Snippets a forger might try, with `{flag}` where a command would leave a file.
ATTACKS = [
    "{__import__('os').system('touch {flag}')}", "{x ** 10 ** 10 ** 10}", "1 + + (", "bogus",
    "nonsense", "{I(x + __import__('os').system('touch {flag}') + 'x')}", "`os.system`", ":",
    "{C(g, levels=__import__('os').system('touch {flag}'))}", "- 1", "{x ** 16}", "C(g)",
    "{center(b, ddof=__import__('os').system('touch {flag}'))}", "{(lambda: x)()}", "x",
    "{x.__class__}", "{C(g, Treatment(__import__('os').system('touch {flag}')))}",
]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.text(max_size=8) | st.sampled_from(ATTACKS),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(value, at=()):
    """Every place in a JSON record: the key paths to each value, the record itself first."""
    yield at
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else ()  # fmt: skip
    for key, inner in items:
        yield from paths(inner, (*at, key))


def mutate(record, data):
    """One change at a drawn place: a new value, a key removed, a snippet spliced into a
    text (a factor's name...), or a term of the right-hand side swapped for an attack."""
    import copy

    record = copy.deepcopy(record)
    spec = record.get("spec")
    if data.draw(st.booleans()) and isinstance(spec, dict) and isinstance(spec.get("rhs"), str):
        terms = spec["rhs"].split(" + ")
        terms[data.draw(st.integers(0, len(terms) - 1))] = data.draw(st.sampled_from(ATTACKS))
        spec["rhs"] = " + ".join(terms)
        return record
    path = data.draw(st.sampled_from(list(paths(record))[1:]))
    *parents, key = path
    holder = record
    for step in parents:
        holder = holder[step]
    action = data.draw(st.sampled_from(["replace", "remove", "splice"]))
    if action == "remove" and isinstance(holder, dict):
        del holder[key]
    elif action == "splice" and isinstance(holder[key], str):
        text = holder[key]
        at = data.draw(st.integers(0, len(text)))
        holder[key] = text[:at] + data.draw(st.sampled_from(ATTACKS)) + text[at:]
    else:
        holder[key] = data.draw(json_values)
    return record


def predict_keeps_the_promise(model, table, out, flag, capsys):
    """predict on a model file: exit 0 (predictions written) or 2 with one line, never a
    traceback, and never the file a payload would create."""
    try:
        code = main(["predict", str(model), str(table), "--out", str(out)])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err and not flag.exists(), err
    assert code in (0, 2), (code, err)
    assert (err.count("\n") == 1 and not out.exists()) if code else out.exists(), err
    return err


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_tampered_model_files_keep_the_promise(model_file, data, tmp_path_factory, capsys):
    import json

    table, record = model_file
    folder = tmp_path_factory.mktemp("tampered")
    flag = folder / "PWNED"
    for _ in range(data.draw(st.integers(1, 3))):
        record = mutate(record, data)
    text = json.dumps(record).replace("{flag}", str(flag))
    (folder / "model.json").write_text(text)
    predict_keeps_the_promise(folder / "model.json", table, folder / "p.csv", flag, capsys)


def forged(record, change):
    """The model record with one named forgery, as JSON text."""
    import copy
    import json

    record = copy.deepcopy(record)
    spec = record["spec"]
    if change == "20k terms":
        terms = [f"{{I(x * {k})}}" for k in range(2, 20_002)]
        spec["rhs"], spec["names"] = "1 + " + " + ".join(terms), [t[1:-1] for t in terms]
        record["coefficients"] = dict.fromkeys(["Intercept", *spec["names"]], 1.0)
    elif change == "nested 100k":
        return "[" * 100_000 + "]" * 100_000
    elif change == "dtype nonsense":
        spec["transforms"]["center(b)"] = {"ndarray": [1.0], "dtype": "nonsense"}
    elif change == "ragged array":
        spec["transforms"]["center(b)"] = {"ndarray": [[1.0], [1.0, 2.0]], "dtype": "<f8"}
    elif change == "rhs broken":
        spec["rhs"] = "1 + + ("
    elif change == "kind bogus":
        spec["factors"]["C(g)"]["kind"] = "bogus"
    else:  # levels as an int, null or dict
        spec["factors"]["C(g)"]["levels"] = json.loads(change.split(" ", 1)[1])
    return json.dumps(record)


@pytest.mark.parametrize(
    "change",
    ["kind bogus", "levels 3", "levels null", 'levels {"a": 1}', "dtype nonsense",
     "ragged array", "rhs broken", "nested 100k", "20k terms", "1 GB", "/dev/zero", "fifo"],
)  # fmt: skip
def test_forged_model_files_are_refused_in_one_line(model_file, change, tmp_path, capsys):
    import os

    table, record = model_file
    model = tmp_path / "model.json"
    if change == "1 GB":
        with model.open("wb") as file:
            file.truncate(2**30)  # sparse: nothing on disk
    elif change == "fifo":
        os.mkfifo(model)  # nobody writes: it must be refused, not waited on
    elif change == "/dev/zero":
        model = change
    else:
        model.write_text(forged(record, change))
    err = predict_keeps_the_promise(model, table, tmp_path / "p.csv", tmp_path / "PWNED", capsys)
    assert err.startswith("logitlab predict: error: ")


# --- shard folders: what a folder shows is what is read ------------------------------------

#: Folder names a tree draws from: plain ones and partitions are read; the others are a job's
#: leftovers or a tool's hidden state, skipped with all they hold, as Spark and Arrow do.
FOLDERS = ["a", "year=2024", "_temporary", ".ipynb_checkpoints", "_x", ".hidden"]
#: What an entry of a tree may be: a valid share (most often, so that some trees are read),
#: or something that cannot be read as one.
ENTRIES = ["share"] * 12 + ["junk", "text", "dangling link", "pipe", "folder.parquet"]
#: Rows of one block of a share: y grows with x, with both classes at x = 0 and x = 2, so no
#: fit separates them.
BLOCK = {"y": [0, 0, 1, 0, 1, 1, 0, 1], "x": [-1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0]}


def hidden(relative) -> bool:
    return any(part.startswith((".", "_")) for part in relative.parts)


def make_entry(path, kind, blocks, named_pipe) -> int:
    """Put one entry of a drawn tree at path; return the rows it adds when read (0 if none)."""
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "share":
        pd.concat([pd.DataFrame(BLOCK)] * blocks).to_parquet(path, index=False)
        return 8 * blocks
    if kind == "junk":
        path.write_bytes(b"PAR1 but not Parquet")
    elif kind == "text":
        path.with_suffix(".txt").write_text("notes")
    elif kind == "dangling link":
        path.symlink_to(path.with_name("gone.parquet"))
    elif kind == "pipe":
        named_pipe(path)  # nobody writes: refused, never waited on
    else:  # a folder named like a share
        path.mkdir()
    return 0


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_shard_folders_keep_the_promise(data, named_pipe, tmp_path_factory, capsys):
    """A drawn tree of shares, hidden and underscore folders and files that cannot be read:
    exit 0 with the rows of the visible shares exactly, or 2 with one line when the visible
    part holds no share or something unreadable; never a traceback, nothing left behind."""
    import json
    from pathlib import Path

    folder = tmp_path_factory.mktemp("tree")
    out = tmp_path_factory.mktemp("out") / "fit"
    rows, unreadable = 0, False
    for i in range(data.draw(st.integers(1, 5))):
        where = data.draw(st.lists(st.sampled_from(FOLDERS), max_size=2))
        name = data.draw(st.sampled_from(["", "", "_", "."])) + f"part-{i}.parquet"
        kind = data.draw(st.sampled_from(ENTRIES))
        relative = Path(*where, name)
        added = make_entry(folder / relative, kind, data.draw(st.integers(1, 3)), named_pipe)
        if not hidden(relative):
            rows += added
            unreadable |= kind != "share"
    try:
        code = main(["fit", str(folder), "--target", "y", "--out", str(out), "--quiet"])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    event(f"exit {code}")
    tree = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert "Traceback" not in err, (tree, err)
    if unreadable or rows == 0:
        assert code == 2 and err.count("\n") == 1 and not out.exists(), (tree, code, err)
    else:
        assert code == 0, (tree, err)
        assert json.loads((out / "results.json").read_text())["sharded"]["rows"] == rows, tree
    assert [p.name for p in out.parent.iterdir()] == (["fit"] if code == 0 else [])


# --- tables: whatever their columns hold -------------------------------------------------

#: Kinds of column a drawn table mixes: NumPy's, pandas' nullable ones with missing values,
#: and what Parquet gives (lists, records, bytes, dates, decimals).
COLUMN_KINDS = ["0/1", "0/1", "float", "float", "text", "bool", "Int64", "Float64", "string",
                "boolean", "category", "pyarrow", "bytes", "list", "struct", "dates", "durations",
                "decimal", "mixed", "constant", "missing", "huge", "long text"]  # fmt: skip
#: Column names, plain and odd: a formula must quote them, a message must keep them on a line.
COLUMN_NAMES = ["y", "x", "odd name", "line\nbreak", 'q"uote', "a,b", "ü", "1st", "x.1", "C"]


def column_values(kind: str, n: int, rng) -> object:
    """n values of a kind of column, drawn with rng."""
    import datetime
    from decimal import Decimal

    import pandas as pd

    bits = rng.integers(0, 2, n)
    gaps = rng.random(n) < 0.1
    numbers = rng.normal(size=n)
    values = {
        "0/1": lambda: bits,
        "float": lambda: numbers,
        "text": lambda: rng.choice(["a", "b", "c"], n),
        "bool": lambda: bits > 0,
        "Int64": lambda: pd.array(np.where(gaps, None, bits), dtype="Int64"),
        "Float64": lambda: pd.array(np.where(gaps, None, numbers), dtype="Float64"),
        "string": lambda: pd.array(np.where(gaps, None, rng.choice(["a", "b"], n)), dtype="string"),
        "boolean": lambda: pd.array(np.where(gaps, None, bits > 0), dtype="boolean"),
        "category": lambda: pd.Categorical(rng.choice(["lo", "hi"], n)),
        "pyarrow": lambda: pd.array(numbers, dtype="double[pyarrow]"),
        "bytes": lambda: [bytes([b]) for b in bits],
        "list": lambda: [[float(v)] for v in numbers],
        "struct": lambda: [{"k": int(b)} for b in bits],
        "dates": lambda: [datetime.date(2024, 1, 1 + int(b)) for b in bits],
        "durations": lambda: pd.to_timedelta(bits, unit="s"),
        "decimal": lambda: [Decimal(f"{v:.3f}") for v in numbers],
        "mixed": lambda: [v if b else "text" for v, b in zip(numbers, bits, strict=True)],
        "constant": lambda: np.ones(n),
        "missing": lambda: np.full(n, np.nan),
        "huge": lambda: numbers * 1e300,
        "long text": lambda: ["z" * 1_100_000] + ["a"] * (n - 1),  # past pyarrow's CSV block
    }
    return values[kind]()


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_tables_keep_the_promise(data, tmp_path_factory, capsys):
    """A drawn table (a target and 1-3 features of drawn kinds and names) as Parquet or CSV,
    fitted in memory or in shares: exit 0, or 2 (1 for a descent that diverged) with one
    line; never a traceback, nothing left behind."""
    import pandas as pd

    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    n = data.draw(st.sampled_from([3, 40]))
    names = data.draw(st.lists(st.sampled_from(COLUMN_NAMES), min_size=2, max_size=4,
                               unique=True))  # fmt: skip
    kinds = dict.fromkeys(names)
    for i, name in enumerate(names):  # the target a 0/1 column more often than not
        kinds[name] = data.draw(st.sampled_from(["0/1"] * (i == 0) + COLUMN_KINDS))
    frame = pd.DataFrame({name: column_values(kind, n, rng) for name, kind in kinds.items()})
    path = tmp_path_factory.mktemp("table") / "t.parquet"
    try:
        if data.draw(st.booleans()):
            frame.to_parquet(path)
    except (ValueError, TypeError, ArithmeticError):  # a mix Parquet cannot store: CSV
        pass
    if not path.exists():
        path = path.with_suffix(".csv")
        frame.to_csv(path, index=False)
    folder = tmp_path_factory.mktemp("fuzz")
    shares = data.draw(st.sampled_from([[], [], ["--chunk-rows", "7"]]))
    argv = ["fit", str(path), "--target", names[0], *shares, "--epochs", "5", "--max-levels",
            "5", "--quiet", "--out", str(folder / "out")]  # fmt: skip
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    event(f"exit {code}")
    case = (kinds, path.suffix, shares, err)
    assert "Traceback" not in err, case
    assert code in (0, 1, 2), case
    if code:
        assert err.count("\n") == 1 and (code == 2 or "diverged" in err), case
    assert sorted(p.name for p in folder.iterdir()) == (["out"] if code == 0 else []), case
