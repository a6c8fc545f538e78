"""Values at the edges: integers with a stated maximum (item 5), finite values float32 cannot
hold (item 6), negative numbers typed as such (item 7), and library entry points that check
their input the same way, with the package's errors (item 9)."""

import math
import re
import warnings

import numpy as np
import pytest
import torch

from logitlab import ConfigError, DataError, LogitlabError, SeparationError
from logitlab.cli import build_parser, main
from logitlab.cli.common import glue_negative_values
from logitlab.config import (
    FLOAT32_MAX,
    MAX_SEED,
    AnimationConfig,
    DataConfig,
    LandscapeConfig,
    LectureConfig,
    MonteCarloConfig,
    SweepConfig,
    TrainConfig,
    bound_text,
    check_float,
    check_int,
)
from logitlab.data import simulate
from logitlab.engines import fit
from logitlab.engines.batch import fit_batch
from logitlab.estimator import LogisticRegressionGD
from logitlab.model import lecture_net
from logitlab.stats import mle


def words(text):
    """A message as a regular expression that matches it literally (10**7 has stars)."""
    return re.escape(text)


# --- item 5: every integer setting has a stated maximum -----------------------------------


def test_check_int_states_both_bounds():
    assert check_int("k", 7, 1, 10) == 7
    for bad in (0, 11, 2**64, 10**30, 2.0, True, "7"):
        with pytest.raises(ConfigError, match=words("k must be an integer from 1 to 10, got")):
            check_int("k", bad, 1, 10)
    assert [bound_text(v) for v in (2001, 10**7, 2**63 - 1, 12345)] == [
        "2001",
        "10**7",
        "2**63 - 1",
        "12345",
    ]


def test_a_400_digit_integer_is_named_in_one_short_line():
    with pytest.raises(ConfigError) as info:
        TrainConfig(epochs=10**400)
    assert len(str(info.value)) < 200 and "characters" in str(info.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DataConfig(seed=2**64), "data seed must be an integer from 0 to 2**63 - 1"),
        (lambda: DataConfig(seed=2**63), "data seed must be an integer from 0 to 2**63 - 1"),
        (lambda: TrainConfig(init_seed=2**64), "init seed must be an integer from 0 to 2**63 - 1"),
        (lambda: DataConfig(n=10**30), "n must be an integer from 2 to 10**7"),
        (lambda: TrainConfig(epochs=10**30), "epochs must be an integer from 1 to 10**7"),
        (lambda: TrainConfig(epochs=2**63), "epochs must be an integer from 1 to 10**7"),
        (lambda: LandscapeConfig(grid_size=10**30), "grid size must be an integer from 3 to 2001"),
        (lambda: AnimationConfig(grid_size=2002), "grid size must be an integer from 3 to 2001"),
        (lambda: AnimationConfig(frames=2001), "frames must be an integer from 2 to 2000"),
        (lambda: MonteCarloConfig(reps=10**6 + 1), "reps must be an integer from 1 to 10**6"),
        (lambda: SweepConfig(lrs=[0.1] * 1001), "lr list must hold 1 to 1000 learning rates"),
    ],
)
def test_integer_settings_beyond_their_maximum_are_refused(make, message):
    with pytest.raises(ConfigError, match=words(message)):
        make()


def test_the_last_monte_carlo_seed_must_fit_too():
    lecture = LectureConfig(data=DataConfig(seed=MAX_SEED - 1))
    assert MonteCarloConfig(reps=2, lecture=lecture).data_seed(1) == MAX_SEED
    with pytest.raises(ConfigError, match=words("the seed of the last rep) must be at most")):
        MonteCarloConfig(reps=3, lecture=lecture)


def test_the_largest_seed_works_in_torch_and_numpy():
    """The chosen range is safe: torch seeds its generators with it, NumPy holds it."""
    a, b = simulate(n=50, seed=MAX_SEED), simulate(n=50, seed=MAX_SEED)
    assert torch.equal(a.y, b.y)
    assert np.array([MAX_SEED], dtype=np.int64)[0] == MAX_SEED
    lecture_net(MAX_SEED)


def test_the_estimator_validates_seeds_and_epochs_at_fit(lecture_data):
    x, y = lecture_data.x[:50], lecture_data.y[:50]
    with pytest.raises(ConfigError, match=words("init seed must be an integer from 0 to 2**63")):
        LogisticRegressionGD(init_seed=2**64).fit(x, y)
    with pytest.raises(ConfigError, match=words("epochs must be an integer from 1 to 10**7")):
        LogisticRegressionGD(epochs=10**12).fit(x, y)  # was a MemoryError of 7 TiB


def test_fit_batch_bounds_its_integers(lecture_data):
    x, y = lecture_data.x[:50], lecture_data.y[:50]
    with pytest.raises(ConfigError, match=words("epochs must be an integer from 1 to 10**7")):
        fit_batch(x, y, epochs=10**12)
    with pytest.raises(ConfigError, match=words("init seed must be an integer from 0 to 2**63")):
        fit_batch(x, y, epochs=3, init_seed=2**64)


def test_simulate_refuses_a_huge_n_before_allocating():
    with pytest.raises(ConfigError, match=words("n must be an integer from 2 to 10**7")):
        simulate(n=2**40)


# --- item 6: finite values that float32 cannot hold ----------------------------------------


def test_float32_max_is_numpys():
    assert float(np.finfo(np.float32).max) == FLOAT32_MAX


def test_check_float_holds_values_to_float32():
    assert check_float("w", -FLOAT32_MAX) == -FLOAT32_MAX
    for bad in (1e39, -1e39, 1e308, math.inf, math.nan, 10**400):
        with pytest.raises(ConfigError, match=words("w must be a finite number with |w| <=")):
            check_float("w", bad)
    with pytest.raises(ConfigError, match=words("lr must be a finite number > 0 and <= 3.4")):
        check_float("lr", 1e39, positive=True)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DataConfig(w1=1e39), "w1 must be a finite number with |w1| <="),
        (lambda: DataConfig(w0=3e38, w1=-3e38), "must keep the logits w0 + w1 x within float32"),
        (lambda: TrainConfig(lr=1e39), "lr must be a finite number > 0 and <= 3.4"),
        (lambda: TrainConfig(lr=1e308), "lr must be a finite number > 0 and <= 3.4"),
        (lambda: AnimationConfig(train=TrainConfig(init=(1e39, 0))), "init w0 must be a finite"),
        (
            lambda: AnimationConfig(train=TrainConfig(init=(2e38, 2e38))),
            "start must keep the logits",
        ),
        (lambda: LandscapeConfig(plateau_start=(-1e3, 1e39)), "plateau start w1 must be"),
    ],
)
def test_values_beyond_float32_are_refused(make, message):
    with pytest.raises(ConfigError, match=words(message)):
        make()


def test_the_largest_allowed_truth_simulates_without_nan():
    """At the bound w0 + w1 x is finite in float32, so the draw is well defined."""
    data = simulate(n=101, w0=-1.0, w1=FLOAT32_MAX - 1e31)
    assert torch.isfinite(data.pi).all()
    assert torch.equal(data.y, (data.x > 0).float())  # a step at x = 1 / w1 ~ 0


def test_fit_batch_refuses_a_start_beyond_float32(lecture_data):
    x, y = lecture_data.x[:50], lecture_data.y[:50]
    with pytest.raises(ConfigError, match="init of problem 0 must keep the logits"):
        fit_batch(x, y, init=[1e39, 0.0], epochs=3)  # was reported as a divergence
    with pytest.raises(ConfigError, match="init must be finite"):
        fit_batch(x, y, init=[np.nan, 0.0], epochs=3)
    with pytest.raises(ConfigError, match="init of problem 1 must keep the logits"):
        fit_batch(x * 1e30, y, init=[[0.0, 0.0], [0.0, 1e9]], epochs=3)


def test_data_beyond_float32_is_a_data_error(lecture_data):
    x, y = lecture_data.x[:50].double(), lecture_data.y[:50]
    with pytest.raises(DataError, match="beyond float32's range"):
        fit(x * 1e39, y, TrainConfig(epochs=3))
    with pytest.raises(DataError, match="beyond float32's range"):
        mle.fit(x * 1e39, y)


@pytest.mark.parametrize("engine", ["eager", "fused"])
def test_the_largest_learning_rate_diverges_in_one_line(tmp_path, capsys, engine):
    """lr at float32's largest passes the checks; the run then reports its divergence in one
    line (exit 1), with no NumPy or torch warning before it."""
    argv = ["lecture", "--lr", "3.4e38", "--epochs", "5", "--n", "50", "--engine", engine]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main([*argv, "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "diverged" in err, err
    assert "Warning" not in err


# --- item 7: negative numbers as a user types them -----------------------------------------


def test_glue_negative_values_only_joins_values_to_options():
    argv = ["lecture", "--w0", "-1e3", "--start", "-5,3", "--force", "--", "--x", "-1"]
    assert glue_negative_values(argv) == [
        "lecture", "--w0=-1e3", "--start=-5,3", "--force", "--", "--x", "-1"
    ]  # fmt: skip
    assert glue_negative_values(["--w0=-1", "-2"]) == ["--w0=-1", "-2"]
    assert glue_negative_values(["--w0", "-inf", "--w1", "-NaN"]) == ["--w0=-inf", "--w1=-NaN"]
    assert glue_negative_values(["--out", "-dir"]) == ["--out", "-dir"]  # not a number


@pytest.mark.parametrize(
    ("argv", "field", "value"),
    [
        (["lecture", "--w0", "-1e3"], "w0", -1000.0),
        (["lecture", "--w0", "-1"], "w0", -1),
        (["lecture", "--w1", "-.5"], "w1", -0.5),
        (["lecture", "--w0", "-inf"], "w0", -math.inf),
        (["animate", "--start", "-5,3"], "start", (-5, 3)),
        (["animate", "--start", "-5,-3"], "start", (-5, -3)),
        (["landscape", "--plateau-start", "-1e3,5"], "plateau_start", (-1000.0, 5)),
        (["sweep", "--lr", "-1,0.1"], "lr", [-1, 0.1]),
    ],
)
def test_negative_values_parse_as_typed(argv, field, value):
    assert getattr(build_parser().parse_args(argv), field) == value


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("lecture", ["--w0", "-inf"], "w0 must be a finite number"),
        ("lecture", ["--w0", "-1e39"], "w0 must be a finite number"),
        ("lecture", ["--lr", "-1e3"], "lr must be a finite number > 0"),
        ("lecture", ["--epochs", "-5"], "epochs must be an integer from 1 to 10**7, got -5"),
        ("animate", ["--start", "-5,abc"], "start w1 must be a finite number"),
        ("landscape", ["--plateau-start", "-1e39,5"], "plateau start w0 must be a finite"),
        ("lecture", ["--force", "-5"], "ignored explicit argument '-5'"),
    ],
)
def test_bad_negative_values_are_refused_for_their_value(tmp_path, refused, command, args, message):
    err = refused([command, "--out", str(tmp_path / "out"), "--n", "20", "--epochs", "2", *args])
    assert message in err
    assert "expected one argument" not in err


# --- item 9: library entry points check once, the same way ---------------------------------


@pytest.fixture(scope="module")
def small():
    data = simulate(n=200, seed=3)
    return data.x, data.y


@pytest.mark.parametrize("engine", ["eager", "fused"])
@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (lambda y: y + 1, "y must hold only 0 and 1, got 2"),
        (lambda y: 2 * y - 1, "y must hold only 0 and 1, got -1"),
        (lambda y: torch.tensor(7.0), "one label per row"),
        (lambda y: y[:-1], "one label per row of X (200)"),
        (lambda y: torch.where(y == 1, torch.nan, y), "y contains NaN"),
        (lambda y: [["a"]] * len(y), "y must be a numeric array"),
    ],
)
def test_fit_refuses_bad_labels_on_every_engine(small, engine, labels, message):
    x, y = small
    with pytest.raises(DataError, match=re.escape(message)):
        fit(x, labels(y), TrainConfig(epochs=3), engine=engine)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (lambda x: [*x.numpy().tolist()[:-1], [1.0, 2.0]], "x must be a numeric array"),
        (lambda x: torch.full_like(x, torch.inf), "x contains NaN or infinite values"),
        (lambda x: torch.zeros(0, 1), "x must be an n x d array with n, d >= 1"),
        (lambda x: torch.zeros(2, 2, 2), "x must be an n x d array"),
        (lambda x: "abc", "x must be a numeric array"),
    ],
)
def test_fit_refuses_bad_inputs_with_data_errors(small, x, message):
    xs, y = small
    with pytest.raises(DataError, match=re.escape(message)):
        fit(x(xs), y, TrainConfig(epochs=3))


def test_fit_takes_numpy_lists_and_1d_inputs_like_tensors(small):
    x, y = small
    cfg = TrainConfig(epochs=50)
    reference = fit(x, y, cfg)
    for xs, ys in [
        (x.numpy(), y.numpy()),
        (x.numpy()[:, 0], y.numpy()[:, 0]),
        (x[:, 0].tolist(), y[:, 0].int().tolist()),
        (x.double(), y.bool()),
    ]:
        np.testing.assert_array_equal(fit(xs, ys, cfg).params, reference.params)


def test_fit_checks_its_config_and_net(small):
    x, y = small
    with pytest.raises(ConfigError, match="config must be a TrainConfig"):
        fit(x, y, {"epochs": 3})
    with pytest.raises(DataError, match="net takes 2 features but x has 1"):
        fit(x, y, TrainConfig(epochs=3), net=lecture_net(in_features=2))
    with pytest.raises(ConfigError, match=r"net must be a torch\.nn\.Sequential"):
        fit(x, y, TrainConfig(epochs=3), net="net")


@pytest.mark.parametrize(
    ("x", "y", "error", "message"),
    [
        (lambda x: "abc", lambda y: y, DataError, "x must be a numeric array"),
        (lambda x: [[1.0], [2.0, 3.0]], lambda y: [0, 1], DataError, "x must be a numeric"),
        (lambda x: [], lambda y: [], DataError, "x must be an n x d array with n, d >= 1"),
        (lambda x: np.zeros((0, 5, 1)), lambda y: y, DataError, "m, n, d >= 1"),
        (lambda x: x, lambda y: "yes", DataError, "y must be a numeric array of 0/1 labels"),
        (lambda x: x, lambda y: y + 1, DataError, "y must hold only 0 and 1"),
        (lambda x: x[:10], lambda y: y, DataError, "one label per row"),
    ],
)
def test_fit_batch_refuses_bad_data_with_the_packages_errors(small, x, y, error, message):
    xs, ys = small
    with pytest.raises(error, match=re.escape(message)):
        fit_batch(x(xs), y(ys), epochs=3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"init": ["a", "b"]}, "init must be numbers"),
        ({"init": [[0.0, 1.0], [2.0]]}, "init must be numbers"),
        ({"loss": 5}, "loss must be one of bce, mse"),
        ({"lr": "fast"}, "lr must be a finite number > 0"),
        ({"data": "first"}, "data must be an integer"),
    ],
)
def test_fit_batch_refuses_bad_settings_with_config_errors(small, kwargs, message):
    x, y = small
    with pytest.raises(ConfigError, match=re.escape(message)):
        fit_batch(x, y, epochs=3, **kwargs)


def test_mle_near_collinear_columns_are_a_data_error():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = (rng.random(200) < 1 / (1 + np.exp(-x))).astype(float)
    X = np.column_stack((x, x + 1e-12 * rng.normal(size=200)))  # was LinAlgError: Singular
    with pytest.raises(DataError, match=r"\(nearly\) linearly dependent") as info:
        mle.fit(X, y)
    assert not isinstance(info.value, SeparationError)


def test_mle_rank_check_does_not_depend_on_units():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    y = (rng.random(200) < 1 / (1 + np.exp(-x))).astype(float)
    plain, scaled = mle.fit(x, y), mle.fit(x * 1e14, y)  # was "linearly dependent"
    np.testing.assert_allclose(scaled.params * [1, 1e14], plain.params, rtol=1e-8)
    np.testing.assert_allclose(scaled.se * [1, 1e14], plain.se, rtol=1e-6)
    tiny = mle.fit(np.column_stack((x, 1e-20 * rng.normal(size=200))), y)
    assert tiny.converged


def test_mle_singular_information_on_the_way_is_a_data_error(monkeypatch):
    rng = np.random.default_rng(2)
    x = rng.normal(size=100)
    y = (rng.random(100) < 0.5).astype(float)

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(np.linalg, "solve", singular)
    with pytest.raises(DataError, match=r"\(nearly\) linearly dependent \(the Fisher"):
        mle.fit(x, y)


def test_every_refusal_is_a_logitlab_error_without_warnings(small):
    """The package's own errors, and no NumPy or torch warning on the way."""
    x, y = small
    calls = [
        lambda: fit(x, y + 1, TrainConfig(epochs=3), engine="eager"),
        lambda: fit_batch([["1", "x"]], [0], epochs=3),
        lambda: fit_batch(x, y, init=[1e39, 0], epochs=3),
        lambda: TrainConfig(lr=1e308),
        lambda: simulate(n=2**40),
        lambda: mle.fit(np.column_stack((x.numpy(), x.numpy())), y),
    ]
    for call in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(LogitlabError):
                call()


# --- the issue's adversarial inputs, through the command line -------------------------------

ADVERSARIAL = [
    # item 5: integers without an upper bound
    (["lecture", "--data-seed", str(2**64)], "data seed must be an integer from 0 to 2**63 - 1"),
    (["lecture", "--init-seed", str(2**64)], "init seed must be an integer from 0 to 2**63 - 1"),
    (["montecarlo", "--reps", "3", "--data-seed", str(2**64 - 1)], "data seed must be"),
    (["montecarlo", "--reps", "3", "--data-seed", str(2**63 - 2)], "the seed of the last rep"),
    (["lecture", "--n", str(10**30)], "n must be an integer from 2 to 10**7"),
    (["lecture", "--n", "10**30"], "n must be an integer from 2 to 10**7, got '10**30'"),
    (["lecture", "--epochs", str(10**30)], "epochs must be an integer from 1 to 10**7"),
    (["sweep", "--epochs", str(2**63)], "epochs must be an integer from 1 to 10**7"),
    (["landscape", "--grid", str(10**30)], "grid size must be an integer from 3 to 2001"),
    # item 6: finite values that overflow float32
    (["lecture", "--w1", "1e39"], "w1 must be a finite number with |w1| <="),
    (["landscape", "--w1", "1e39"], "w1 must be a finite number"),
    (["animate", "--w1", "1e39"], "w1 must be a finite number"),
    (["sweep", "--w1", "1e39"], "w1 must be a finite number"),
    (["montecarlo", "--w1", "1e39"], "w1 must be a finite number"),
    (["lecture", "--w0", "2e38", "--w1", "2e38"], "must keep the logits w0 + w1 x"),
    (["lecture", "--engine", "eager", "--lr", "1e39"], "lr must be a finite number > 0 and"),
    (["lecture", "--lr", "1e308"], "lr must be a finite number > 0 and <= 3.4028235e+38"),
    (["sweep", "--lr", "0.1,1e308"], "lr must be a finite number > 0 and"),
    (["animate", "--start", "1e39,0"], "start w0 must be a finite number"),
    (["landscape", "--plateau-start", "0,1e39"], "plateau start w1 must be a finite number"),
    # item 7: negative numbers, refused for their value rather than "expected one argument"
    (["lecture", "--w0", "-inf"], "w0 must be a finite number"),
    (["animate", "--start", "-5,3e39"], "start w1 must be a finite number"),
    (["landscape", "--plateau-start", "-1e39,5"], "plateau start w0 must be a finite number"),
    # item 11: runs too large to be tried
    (["montecarlo", "--reps", str(10**8)], "reps must be an integer from 1 to 10**6"),
    (["lecture", "--epochs", str(2**31)], "epochs must be an integer from 1 to 10**7"),
    (["sweep", "--epochs", str(2**31)], "epochs must be an integer from 1 to 10**7"),
    (["landscape", "--grid", "30000"], "grid size must be an integer from 3 to 2001"),
    (["animate", "--frames", "10001"], "frames must be an integer from 2 to 2000"),
    (["lecture", "--n", str(10**9)], "n must be an integer from 2 to 10**7"),
]


@pytest.fixture
def no_work(monkeypatch):
    """Should a refusal fail to come, the run stops at its first step instead of running."""

    def started(*args, **kwargs):
        raise AssertionError("the run started")

    for study in ("animation", "lecture", "sweep", "why"):
        monkeypatch.setattr(f"logitlab.studies.{study}.simulate_from", started)
    monkeypatch.setattr("logitlab.studies.montecarlo.simulate", started)


@pytest.mark.parametrize(
    ("args", "message"), ADVERSARIAL, ids=[" ".join(a)[:45] for a, _ in ADVERSARIAL]
)
def test_the_issues_adversarial_inputs_are_refused_cleanly(
    tmp_path, refused, no_work, args, message
):
    err = refused([*args, "--out", str(tmp_path / "out")])
    assert message in err
    assert "Warning" not in err and "expected one argument" not in err
