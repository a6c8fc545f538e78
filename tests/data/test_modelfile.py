"""model.json: the round trip, files that are not model files, and the allow-list: a model
file is data, never code (nothing in one is evaluated unless it passes), and reading one is
bounded work (a FIFO, /dev/zero, a huge file, deep JSON, many terms: one line each)."""

import json
import os
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from logitlab.data.design import build_design
from logitlab.data.modelfile import (
    MAX_MODEL_BYTES,
    MAX_MODEL_TERMS,
    load_model,
    model_file_refusal,
    model_record,
    spec_from_record,
    spec_record,
)
from logitlab.errors import DataError


@pytest.fixture
def table():
    rng = np.random.default_rng(5)
    n = 120
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "a": rng.normal(size=n) + 3.0,
            "b": rng.normal(size=n),
            "g": rng.choice(["lo", "mid", "hi"], n),
            "f": rng.choice([1, 2, 3], n),
            "odd name": rng.uniform(1, 2, n),
        }
    )


def saved(path, record):
    path.write_text(json.dumps(record))
    return path


def test_model_file_round_trip(tmp_path, table):
    design = build_design(table, formula="y ~ a + C(g)")
    coefficients = np.arange(1.0, len(design.names) + 2)
    spec, loaded = load_model(
        saved(tmp_path / "model.json", model_record(design.spec, coefficients))
    )
    assert spec == design.spec
    assert list(loaded) == ["Intercept", *design.names]
    assert list(loaded.values()) == coefficients.tolist()


#: What logitlab writes from the formulas its docs and tests fit: each is saved and read back.
SAVED = [
    "y ~ a * C(g) + I(b ** 2) + center(b) + np.log(`odd name`)",
    "y ~ C(g, levels=['mid', 'lo', 'hi']) + scale(a) - 1",
    "y ~ g:b + a + f",
    "y ~ C(g, Treatment('mid')) + C(f, Sum) + I(2 * a - b) + np.exp(b) + I(a ** -1)",
    "y ~ C(f, Treatment(reference=2)) + C(g, contr.treatment('mid')) + I(`odd name` * 2)",
]


@pytest.mark.parametrize("formula", SAVED)
def test_what_logitlab_writes_is_read_back(tmp_path, table, formula, assert_ulps):
    design = build_design(table, formula=formula)
    assert model_file_refusal(design.spec) is None
    record = model_record(design.spec, np.zeros(len(design.names) + design.intercept))
    spec, _ = load_model(saved(tmp_path / "model.json", record))
    assert spec == design.spec
    X = spec.design(table.drop(columns="y"))
    assert_ulps(X, design.X, precision=np.float64)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json {", "not JSON"),
        ('{"format": "something else"}', "not a model file"),
        ('[1, 2]', "not a model file"),
        ('{"format": "logitlab-model", "version": 99}', "version 99"),
        ('{"format": "logitlab-model", "version": 1, "spec": {}}', "not a valid model file"),
        ("[" * 100_000 + "]" * 100_000, "nests too deep"),
    ],
)  # fmt: skip
def test_not_a_model_file(tmp_path, text, words):
    path = tmp_path / "model.json"
    path.write_text(text)
    with pytest.raises(DataError, match=words):
        load_model(path)


def test_model_file_with_wrong_coefficients(tmp_path, table):
    record = model_record(build_design(table, formula="y ~ a + b").spec, [0.1, 0.2, 0.3])
    record["coefficients"] = {"Intercept": 0.1, "a": 0.2}
    with pytest.raises(DataError, match="coefficients must be named"):
        load_model(saved(tmp_path / "model.json", record))


def test_missing_model_file(tmp_path):
    with pytest.raises(DataError, match="cannot read model file"):
        load_model(tmp_path / "none.json")


# --- data, never code ----------------------------------------------------------------------

#: Right-hand sides that run a command, or would run one before failing, or hang the CPU.
PAYLOADS = [
    "1 + {a + 0*__import__('os').system('touch {flag}')}",
    "1 + {I(__import__('os').system('touch {flag}'))}",
    "1 + {I(a + __import__('os').system('touch {flag}') + 'fails after')}",
    "1 + {np.log(a) if __import__('os').system('touch {flag}') else a}",
    "1 + {C(a, levels=__import__('os').system('touch {flag}'))}",
    "1 + {C(a, Treatment(__import__('os').system('touch {flag}')))}",
    "1 + {center(a, ddof=__import__('os').system('touch {flag}'))}",
    "1 + {a.__class__.__init__.__globals__}",
    "1 + {(lambda: a)()}",
    "1 + {np.os.system('touch {flag}')}",
    "1 + {I(a ** 10 ** 10 ** 10)}",
    "1 + {I(2 ** 10 ** 10 * a)}",
    "1 + {I(a ** 99999999999)}",
    "1 + `os.system`",
    "1 + a + + (",
    "1 + (a + {a}) ** 50",
]


def model_with_rhs(table, rhs, flag):
    """A valid model's record with its right-hand side replaced (names and coefficients
    keyed to one term, as a forger would)."""
    record = model_record(build_design(table, formula="y ~ a").spec, [0.5, 1.0])
    spec = record["spec"]
    spec["rhs"] = rhs.replace("{flag}", str(flag))
    spec["names"] = ["x"]
    record["coefficients"] = {"Intercept": 0.5, "x": 1.0}
    return record


@pytest.mark.parametrize("rhs", PAYLOADS)
def test_a_model_file_never_runs_code(tmp_path, table, rhs):
    flag = tmp_path / "PWNED"
    path = saved(tmp_path / "model.json", model_with_rhs(table, rhs, flag))
    with pytest.raises(DataError) as caught:
        spec, _ = load_model(path)
        spec.design(table)  # what predict would do next
    assert "\n" not in str(caught.value)
    assert not flag.exists()


def test_the_refusal_names_the_term(tmp_path, table):
    path = saved(tmp_path / "model.json", model_with_rhs(table, PAYLOADS[0], "x"))
    with pytest.raises(
        DataError, match=r"term .a \+ 0\*__import__.*is not one a model file may hold"
    ):
        load_model(path)


@pytest.mark.parametrize(
    ("formula", "term"),
    [
        ("y ~ a + C(g.str.upper())", "C(g.str.upper())"),
        ("y ~ a + I(b ** 20)", "I(b ** 20)"),
        ("y ~ poly(a, 2)", "poly(a, 2)"),
        ("y ~ scale(a, ddof=0) + b", "scale(a, ddof=0)"),
    ],
)
def test_a_formula_beyond_the_allow_list_fits_but_is_not_saved(table, formula, term):
    design = build_design(table, formula=formula)  # typed by the user: it may do more
    refusal = model_file_refusal(design.spec)
    assert refusal is not None and repr(term) in refusal and "\n" not in refusal
    with pytest.raises(DataError, match="cannot be saved as a model file"):
        model_record(design.spec, np.zeros(len(design.names) + 1))


# --- tampered and oversized files: one line each -------------------------------------------


def tamper(record, change):
    spec = record["spec"]
    if change == "kind bogus":
        spec["factors"]["C(g)"]["kind"] = "bogus"
    elif change.startswith("levels "):
        spec["factors"]["C(g)"]["levels"] = json.loads(change.split(" ", 1)[1])
    elif change == "dtype nonsense":
        spec["transforms"]["center(b)"] = {"ndarray": [1.0], "dtype": "nonsense"}
    elif change == "ragged array":
        spec["transforms"]["center(b)"] = {"ndarray": [[1.0], [1.0, 2.0]], "dtype": "<f8"}
    elif change == "rhs broken":
        spec["rhs"] = "1 + + ("
    elif change == "factor not in rhs":
        spec["factors"]["__import__('os')"] = {"kind": "numerical"}
    elif change == "coefficients list":
        record["coefficients"] = list(record["coefficients"].values())
    elif change == "coefficient huge int":
        record["coefficients"]["Intercept"] = 10**400
    return record


@pytest.mark.parametrize(
    "change",
    ["kind bogus", "levels 3", "levels null", 'levels {"a": 1}', "levels [[1]]",
     "dtype nonsense", "ragged array", "rhs broken", "factor not in rhs", "coefficients list",
     "coefficient huge int"],
)  # fmt: skip
def test_a_tampered_model_file_is_refused_in_one_line(tmp_path, table, change):
    design = build_design(table, formula="y ~ a + C(g) + center(b)")
    record = model_record(design.spec, np.ones(len(design.names) + 1))
    path = saved(tmp_path / "model.json", tamper(record, change))
    with pytest.raises(DataError) as caught:
        load_model(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("terms", "words"), [(MAX_MODEL_TERMS + 1, "terms"), (20_000, "columns")])
def test_too_many_terms_refused(tmp_path, table, terms, words):
    written = [f"{{I(a * {k})}}" for k in range(2, terms + 2)]
    record = model_with_rhs(table, "1 + " + " + ".join(written), "x")
    record["spec"]["names"] = [t.strip("{}") for t in written]
    record["coefficients"] = dict.fromkeys(["Intercept", *record["spec"]["names"]], 1.0)
    with pytest.raises(DataError, match=f"{terms:,} {words}, more than a model file may hold"):
        load_model(saved(tmp_path / "model.json", record))


def test_a_huge_file_is_not_read(tmp_path):
    path = tmp_path / "model.json"
    with path.open("wb") as file:
        file.truncate(2**30)  # 1 GB, sparse: nothing is on disk
    with pytest.raises(DataError, match=f"more than a model file may have \\({MAX_MODEL_BYTES:,}"):
        load_model(path)


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "folder"])
def test_only_a_regular_file_is_read(tmp_path, kind):
    path = tmp_path / "model.json"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: opening it to read would wait forever
    elif kind == "folder":
        path.mkdir()
    else:
        path = kind
    with pytest.raises(DataError, match="is not a regular file"):
        load_model(path)


def test_a_model_too_big_for_a_model_file_is_not_saved(table):
    long = {level: "x" * (MAX_MODEL_BYTES // 4) + level for level in ("lo", "mid", "hi")}
    design = build_design(table.assign(g=table["g"].map(long)), formula="y ~ a + g")
    refusal = model_file_refusal(design.spec)
    assert refusal is not None and f"bytes, more than {MAX_MODEL_BYTES:,}" in refusal
    with pytest.raises(DataError, match="cannot be saved as a model file"):
        model_record(design.spec, np.zeros(len(design.names) + 1))


def test_a_spec_record_reads_back_as_the_same_spec(table):
    spec = build_design(table, formula="y ~ a * C(g) + center(b) + np.log(`odd name`)").spec
    record = json.loads(json.dumps(spec_record(spec), allow_nan=False))
    assert spec_from_record(record) == spec
    with pytest.raises(DataError, match="model spec field 'names' must list strings"):
        spec_from_record({**record, "names": [1]})
    with pytest.raises(DataError, match="model spec field 'positive' must be a string"):
        spec_from_record({**record, "positive": [1]})
    with pytest.raises(DataError, match="a model spec must be a JSON object, got list"):
        spec_from_record([record])


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ a + b\nWrote 0 predictions",  # a second line of output
        "\x1b]0;title\x07y ~ a + C(g)",  # a terminal's escape
        "y ~ b + C(g)",  # another model than the one held
        "g ~ a + C(g)",  # another target
        "y ~ a + C(g" + " " * 300_000 + ")",  # too long to parse
    ],
)
def test_a_formula_that_is_not_the_model_held_is_refused(tmp_path, table, formula):
    """predict prints the file's formula: it must be the target and right-hand side that
    were checked, nothing else."""
    record = model_record(build_design(table, formula="y ~ a + C(g)").spec, np.zeros(4))
    record["spec"]["formula"] = formula
    with pytest.raises(DataError, match="the model's formula") as caught:
        load_model(saved(tmp_path / "model.json", record))
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300


# --- the covariance of the parameters (predict --interval) ---------------------------------


def covariance(k: int, seed: int = 2) -> np.ndarray:
    A = np.random.default_rng(seed).normal(size=(k + 3, k))
    return A.T @ A / 100.0


def test_the_covariance_round_trips_exactly_with_its_type_and_level(tmp_path, table):
    from logitlab.data.modelfile import read_model

    design = build_design(table, formula="y ~ a + C(g)")
    k = len(design.names) + 1
    cov = covariance(k)
    record = model_record(design.spec, np.ones(k), cov, cov_type="hc1", conf_level=0.9)
    got = read_model(saved(tmp_path / "model.json", record))
    np.testing.assert_array_equal(got.cov, (cov + cov.T) / 2.0)  # the same code, bit for bit
    assert (got.cov_type, got.conf_level) == ("hc1", 0.9)
    old = model_record(design.spec, np.ones(k))  # as fit wrote them before: no covariance
    assert "covariance" not in old
    assert read_model(saved(tmp_path / "old.json", old)).cov is None


def bad_square(k):
    return [[1.0] * k for _ in range(k)]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda c, k: c.pop("matrix"), 'covariance must be a JSON object of "type"'),
        (lambda c, k: c.update(matrix=bad_square(k)[:-1]), "must be 4 x 4"),
        (lambda c, k: c.update(matrix=[[1.0] * (k + 1)] * k), "must be 4 x 4"),
        (lambda c, k: c["matrix"][1].__setitem__(2, "NaN"), "must hold finite numbers only"),
        (lambda c, k: c["matrix"][0].__setitem__(0, 1e999), "must hold finite numbers only"),
        (lambda c, k: c["matrix"][1].__setitem__(2, 0.7), "must be symmetric"),
        (lambda c, k: c["matrix"][3].__setitem__(3, -1.0), "negative variance on its diagonal"),
        (lambda c, k: c.update(conf_level=95), "conf_level must be a number between 0 and 1"),
        (lambda c, k: c.update(type=["hc1"]), "covariance type must be a short string"),
    ],
)
def test_a_covariance_not_fit_for_intervals_refuses_the_file(tmp_path, table, change, words):
    design = build_design(table, formula="y ~ a + C(g)")
    k = len(design.names) + 1
    record = json.loads(json.dumps(model_record(design.spec, np.ones(k), covariance(k))))
    change(record["covariance"], k)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(record))  # 1e999 is written as Infinity
    with pytest.raises(DataError, match="is not a valid model file: its cov") as info:
        load_model(path)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_covariance_that_is_not_finite_is_left_out_not_saved(table):
    design = build_design(table, formula="y ~ a")
    cov = np.array([[1.0, np.nan], [np.nan, 1.0]])
    assert "covariance" not in model_record(design.spec, [0.1, 0.2], cov)


# --- a multinomial model: its classes, baseline and params -----------------------------------


def multinomial_file(tmp_path, table, params=None, classes=("lo", "mid", "hi"), baseline="mid"):
    """A multinomial model of y ~ a + C(f) (4 terms, 2 equations) saved and its path."""
    from logitlab.data.modelfile import multinomial_record

    design = build_design(table, formula="y ~ a + C(f)")
    if params is None:
        params = np.random.default_rng(1).normal(size=(4, len(classes) - 1))
    record = multinomial_record(design.spec, params, list(classes), baseline)
    return design, saved(tmp_path / "model.json", json.loads(json.dumps(record))), params


def test_a_multinomial_model_round_trips_and_a_binary_file_is_as_before(tmp_path, table):
    from logitlab.data.modelfile import read_model

    design, path, params = multinomial_file(tmp_path, table)
    record = json.loads(path.read_text())
    assert set(record) == {"format", "version", "spec", "multinomial"}
    assert record["version"] == 1 and list(record["multinomial"]["params"]) == [
        "Intercept", "a", "C(f)[T.2]", "C(f)[T.3]"
    ]  # fmt: skip
    got = read_model(path)
    assert got.spec == replace(design.spec, positive=None, negative=None)
    assert got.coefficients == {} and got.cov is None
    assert got.multinomial.classes == ("lo", "mid", "hi") and got.multinomial.baseline == "mid"
    np.testing.assert_array_equal(got.multinomial.params, params)  # JSON's repr round trip
    with pytest.raises(DataError, match="holds a model of 3 classes, not coefficients by term"):
        load_model(path)
    # a binary model's file has no multinomial field and reads as it did
    binary = model_record(design.spec, np.ones(4), covariance(4))
    assert set(binary) == {"format", "version", "spec", "coefficients", "covariance"}
    assert read_model(saved(tmp_path / "binary.json", binary)).multinomial is None


def test_a_multinomial_spec_gives_no_binary_coding_and_an_older_one_still_reads(tmp_path, table):
    """A K-class model's spec has no positive/negative (its design codes baseline-or-not);
    a file written with them reads; a binary file keeps its layout, and without its coding
    is refused."""
    from logitlab.data.modelfile import read_model

    design, path, params = multinomial_file(tmp_path, table)
    record = json.loads(path.read_text())
    layout = ["formula", "rhs", "names", "intercept", "target", "factors", "transforms",
              "columns"]  # fmt: skip
    assert list(record["spec"]) == layout
    old = json.loads(path.read_text())
    old["spec"] = spec_record(design.spec)  # as fit wrote it before: the coding in it
    assert old["spec"]["positive"] == 1 and old["spec"]["negative"] == 0
    older = read_model(saved(tmp_path / "older.json", old))
    assert older.spec == read_model(path).spec and older.spec.positive is None
    np.testing.assert_array_equal(older.multinomial.params, params)
    # a binary model: the spec's fields in their order, the coding after the target
    binary = model_record(design.spec, np.ones(4))
    assert list(binary["spec"]) == [*layout[:5], "positive", "negative", *layout[5:]]
    assert binary["spec"] == spec_record(design.spec)
    assert read_model(saved(tmp_path / "binary.json", binary)).spec == design.spec
    for key in ("positive", "negative"):
        uncoded = json.loads(json.dumps(binary))
        del uncoded["spec"][key]
        with pytest.raises(DataError, match="must give the target's positive and negative"):
            read_model(saved(tmp_path / "uncoded.json", uncoded))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda m: m["params"]["a"].pop(), "its params of 'a' must list 2 numbers"),
        (lambda m: m["params"]["a"].append(1.0), "its params of 'a' must list 2 numbers"),
        (lambda m: m["params"].pop("C(f)[T.3]"), "its params must be a JSON object named"),
        (lambda m: m["params"].update(b=[1.0, 2.0]), "its params must be a JSON object named"),
        (lambda m: m.update(params=[[1.0, 2.0]] * 4), "its params must be a JSON object named"),
        (lambda m: m["params"]["a"].__setitem__(1, "NaN"), "params of 'a' must be finite"),
        (lambda m: m["params"]["a"].__setitem__(1, 1e999), "params of 'a' must be finite"),
        (lambda m: m["params"]["a"].__setitem__(1, True), "params of 'a' must be finite"),
        (lambda m: m.update(classes=["lo", "mid"]), "its params of 'Intercept' must list 1"),
        (lambda m: m.update(classes=["lo", "mid", "lo"]), "its classes must be distinct"),
        (lambda m: m.update(classes=["mid"]), "must list two or more strings or finite"),
        (lambda m: m.update(classes=["lo", None, "mid"]), "two or more strings or finite"),
        (lambda m: m.update(classes="lo,mid,hi"), "two or more strings or finite"),
        (lambda m: m.update(baseline="top"), "its baseline must be one of its classes"),
        (lambda m: m.update(baseline=["mid"]), "its baseline must be one of its classes"),
        (lambda m: m.pop("baseline"), 'its "multinomial" must be a JSON object of "classes"'),
        (lambda m: m.update(extra=1), 'its "multinomial" must be a JSON object of "classes"'),
    ],
)
def test_a_tampered_multinomial_model_is_refused_in_one_line(tmp_path, table, change, words):
    from logitlab.data.modelfile import read_model

    _, path, _ = multinomial_file(tmp_path, table)
    record = json.loads(path.read_text())
    change(record["multinomial"])
    path.write_text(json.dumps(record))  # NaN and 1e999 written as NaN and Infinity
    with pytest.raises(DataError) as info:
        read_model(path)
    line = str(info.value)
    assert line.startswith(f"{path} is not a valid model file: ") and words in line
    assert "\n" not in line


def test_a_numeric_baseline_must_be_a_class_of_its_own_type(tmp_path, table):
    from logitlab.data.modelfile import read_model

    _, path, _ = multinomial_file(tmp_path, table, classes=(1, 2, 3), baseline=1)
    assert read_model(path).multinomial.classes == (1, 2, 3)
    record = json.loads(path.read_text())
    for baseline in (True, "1"):
        record["multinomial"]["baseline"] = baseline
        path.write_text(json.dumps(record))
        with pytest.raises(DataError, match="its baseline must be one of its classes"):
            read_model(path)


def test_a_multinomial_file_holds_no_coefficients_or_covariance(tmp_path, table):
    from logitlab.data.modelfile import read_model

    _, path, _ = multinomial_file(tmp_path, table)
    record = json.loads(path.read_text())
    record["coefficients"] = dict.fromkeys(record["multinomial"]["params"], 0.0)
    path.write_text(json.dumps(record))
    with pytest.raises(DataError, match='without "coefficients" or "covariance"'):
        read_model(path)


def test_multinomial_params_of_the_wrong_shape_are_not_saved(tmp_path, table):
    with pytest.raises(DataError, match=r"params must be 4 x 2 .*, got \(2, 4\)"):
        multinomial_file(tmp_path, table, params=np.zeros((2, 4)))
    with pytest.raises(DataError, match="its params of 'Intercept' must be finite"):
        multinomial_file(tmp_path, table, params=np.full((4, 2), np.inf))
    design = build_design(table, formula="y ~ a")
    refusal = model_file_refusal(design.spec, ["lo", float("nan"), "hi"])
    assert refusal is not None and "strings or finite numbers" in refusal
