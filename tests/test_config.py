import math
import re
from dataclasses import fields, replace

import pytest

from logitlab.config import (
    AnimationConfig,
    DataConfig,
    DigitsConfig,
    LectureConfig,
    MonteCarloConfig,
    OptimizersConfig,
    SweepConfig,
    TrainConfig,
    check_losses,
)
from logitlab.errors import ConfigError, LogitlabError
from logitlab.records import to_record


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"n": 1}, "n must be an integer from 2 to 10**7"),
        ({"n": 2.5}, "n must be an integer from 2 to 10**7"),
        ({"n": True}, "n must be an integer from 2 to 10**7"),
        ({"w0": math.nan}, "w0 must be a finite number"),
        ({"w1": math.inf}, "w1 must be a finite number"),
        ({"w1": "five"}, "w1 must be a finite number"),
        ({"seed": -1}, "data seed must be an integer from 0 to 2**63 - 1"),
    ],
)
def test_data_config_rejects(kwargs, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        DataConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"lr": 0}, "lr must be a finite number > 0"),
        ({"lr": -0.1}, "lr must be a finite number > 0"),
        ({"lr": math.inf}, "lr must be a finite number > 0"),
        ({"epochs": 0}, "epochs must be an integer from 1 to 10**7"),
        ({"epochs": 10.0}, "epochs must be an integer from 1 to 10**7"),
        ({"loss": "hinge"}, "loss must be one of bce, mse"),
        ({"init_seed": 1.5}, "init seed must be an integer from 0 to 2**63 - 1"),
    ],
)
def test_train_config_rejects(kwargs, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        TrainConfig(**kwargs)


def test_errors_are_the_packages_own():
    with pytest.raises(LogitlabError):
        LectureConfig(training=TrainConfig(lr=-1))


def test_losses_by_name():
    assert check_losses("both") == ("bce", "mse")
    assert check_losses("mse") == ("mse",)
    with pytest.raises(ConfigError):
        check_losses("all")
    with pytest.raises(ConfigError):
        check_losses(["bce", "bce"])


def test_lecture_config_records_every_setting():
    training = TrainConfig(lr=0.1, epochs=7, optimizer="adam", betas=(0.8, 0.99), batch_size=4,
                           shuffle_seed=5, init=(1, -2))  # fmt: skip
    cfg = LectureConfig(data=DataConfig(n=10, seed=3), training=training, losses="bce")
    assert to_record(cfg) == {
        "n": 10,
        "w0": -1.0,
        "w1": 5.0,
        "data_seed": 3,
        "init_seed": 43052,
        "lr": 0.1,
        "epochs": 7,
        "losses": ["bce"],
        "engine": "auto",
        "tol": None,
        "optimizer": "adam",
        "momentum": 0.9,
        "nesterov": False,
        "betas": [0.8, 0.99],
        "eps": 1e-8,
        "batch_size": 4,
        "shuffle_seed": 5,
        "init": [1.0, -2.0],
    }
    assert cfg.train("bce") == replace(training, loss="bce")
    # every TrainConfig setting but the per-run loss is in the record, under its own name
    names = {f.name for f in fields(TrainConfig)} - {"loss"}
    assert names <= set(to_record(cfg)) and "loss" not in to_record(cfg)


def test_sweep_config_records_the_swept_lists_instead_of_the_template_values():
    lecture = LectureConfig(data=DataConfig(n=100), training=TrainConfig(momentum=0.5))
    cfg = SweepConfig(lecture=lecture, lrs=(0.1, 1), optimizers=("sgd", "momentum"),
                      batch_sizes=(None, 32))  # fmt: skip
    record = to_record(cfg)
    assert record["lrs"] == [0.1, 1.0] and record["optimizers"] == ["sgd", "momentum"]
    assert record["batch_sizes"] == [None, 32] and record["momentum"] == 0.5
    assert not {"lr", "optimizer", "batch_size"} & set(record)
    # and the default sweeps the template's own optimizer and batch size
    assert to_record(SweepConfig(lecture=lecture))["optimizers"] == ["sgd"]


def test_monte_carlo_config_records_the_training_settings():
    lecture = LectureConfig(training=TrainConfig(optimizer="momentum", nesterov=True))
    record = to_record(MonteCarloConfig(lecture=lecture, reps=3))
    assert record["optimizer"] == "momentum" and record["nesterov"] is True
    assert record["reps"] == 3 and record["init"] is None


def test_the_film_has_one_start_the_training_init():
    assert "start" not in {f.name for f in fields(AnimationConfig)}
    with pytest.raises(ConfigError, match=re.escape("start must be two numbers w0, w1")):
        AnimationConfig(train=TrainConfig(init=(1, 2, 3)))
    film = OptimizersConfig(starts=((-2, -1), (-8, -1))).film("adam")
    assert film.train.init == (-8.0, -1.0) and film.train.optimizer == "adam"


@pytest.mark.parametrize("size", [0, 1, -0.1, 1.5, math.nan, "0.2", True])
def test_test_size_is_one_check_for_digits_and_split_rows(size):
    """DigitsConfig and stats.metrics.split_rows refuse a test size in the same words."""
    from logitlab.stats.metrics import split_rows

    with pytest.raises(ConfigError) as digits:
        DigitsConfig(test_size=size)
    with pytest.raises(ConfigError) as split:
        split_rows([0, 1] * 10, size)
    assert str(digits.value) == str(split.value)
    assert str(digits.value).startswith("test size must be")


def test_digits_and_optimizers_settings_live_in_config():
    from logitlab.studies import digits, optimizers

    assert digits.DigitsConfig is DigitsConfig and optimizers.OptimizersConfig is OptimizersConfig
    assert DigitsConfig(test_size=0.5).test_size == 0.5


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, momentum, adam, got 'rmsprop'"),
        ({"momentum": 1.0}, "momentum must be a number from 0 up to (not including) 1, got 1.0"),
        ({"momentum": -0.1}, "momentum must be a number from 0 up to (not including) 1"),
        ({"nesterov": "yes"}, "nesterov must be True or False, got 'yes'"),
        ({"betas": (0.9, 1.0)}, "beta2 must be a number from 0 up to (not including) 1, got 1.0"),
        ({"betas": (-0.5, 0.9)}, "beta1 must be a number from 0 up to (not including) 1"),
        ({"betas": (math.nan, 0.9)}, "beta1 must be a number from 0 up to (not including) 1"),
        ({"betas": 0.9}, "betas must be two numbers beta1, beta2"),
        ({"betas": (0.9, 0.99, 0.5)}, "betas must be two numbers beta1, beta2"),
        ({"eps": 0.0}, "eps must be a finite number > 0"),
        ({"eps": -1e-8}, "eps must be a finite number > 0"),
        ({"batch_size": 0}, "batch size must be an integer from 1 to 10**7"),
        ({"batch_size": 2.5}, "batch size must be an integer from 1 to 10**7"),
        ({"shuffle_seed": -1}, "shuffle seed must be an integer from 0 to 2**63 - 1"),
        ({"init": (1.0, math.nan)}, "init w1 must be a finite number"),
        ({"init": (1.0, "a")}, "init w1 must be a finite number"),
        ({"init": (1.0,)}, "init must be finite numbers w0, w1, ..., got (1.0,)"),
        ({"init": "1,2"}, "init must be finite numbers w0, w1, ..."),
    ],
)
def test_optimizer_settings_rejects(kwargs, words):
    with pytest.raises(ConfigError, match=re.escape(words)) as info:
        TrainConfig(**kwargs)
    assert "\n" not in str(info.value)


def test_optimizer_settings_are_recorded_and_reach_the_lecture():
    train = TrainConfig(optimizer="adam", betas=[0.8, 0.99], batch_size=32, init=[1, -2])
    assert train.betas == (0.8, 0.99) and train.init == (1.0, -2.0)
    settings = train.optimizer_settings()
    assert settings == {
        "optimizer": "adam",
        "momentum": 0.9,
        "nesterov": False,
        "betas": (0.8, 0.99),
        "eps": 1e-8,
        "batch_size": 32,
        "shuffle_seed": 0,
    }
    record = to_record(train)  # results.json's serializer of a TrainConfig
    assert {k: record[k] for k in settings} == {k: to_record(v) for k, v in settings.items()}
    assert record["init"] == [1.0, -2.0]
    lecture = LectureConfig(training=train)
    assert lecture.train("mse") == TrainConfig(
        loss="mse", optimizer="adam", betas=(0.8, 0.99), batch_size=32, init=(1, -2)
    )
    assert lecture.epochs == train.epochs and lecture.lr == train.lr


def test_defaults_are_the_lectures_loop():
    train = TrainConfig()
    assert (train.optimizer, train.batch_size, train.init) == ("sgd", None, None)


def test_fit_settings_of_keywords_reach_the_model_or_the_fit():
    from logitlab.config import TABLE_EPOCHS, FitSettings, ModelOptions

    base = FitSettings(model=ModelOptions(target="y"), losses="both")
    assert base.losses == ("bce", "mse") and base.train.epochs == TABLE_EPOCHS
    given = FitSettings.of(base, features=["a", "b"], max_levels=3, lr=0.5, train=None)
    assert given.model == ModelOptions(target="y", features=["a", "b"], max_levels=3)
    assert given.lr == 0.5 and given.losses == base.losses and given.train == base.train
    assert FitSettings.of() == FitSettings()
    with pytest.raises(TypeError, match="'chunk'"):
        FitSettings.of(chunk=5)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"lr": "fast"}, "lr must be a number > 0 or 'auto', got 'fast'"),
        ({"lr": 0}, "lr must be a finite number > 0"),
        ({"losses": "huber"}, "loss must be bce, mse or both"),
        ({"test_size": 1}, "test size must be a share between 0 and 1"),
        ({"split_seed": -1}, "split seed must be an integer from 0"),
        ({"chunk_rows": 0}, "chunk_rows must be an integer from 1"),
        ({"workers": 0}, "workers must be an integer from 1"),
        ({"threshold": 1}, "threshold must be a probability between 0 and 1"),
        ({"train": {"epochs": 5}}, "train must be a TrainConfig, got dict"),
        ({"settings": "fast"}, "settings must be a FitSettings, got str"),
    ],
)
def test_fit_settings_refuse_bad_values_once(given, words):
    from logitlab.config import FitSettings

    settings = given.pop("settings", None)
    with pytest.raises(ConfigError) as caught:
        FitSettings.of(settings, **given)
    assert words in str(caught.value)


#: A formula and a target (or features) at once.
BOTH = "give either a formula or a target (and features), not both"


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"missing": "keep"}, "missing must be one of drop, error, got 'keep'"),
        ({"missing": None}, "missing must be one of drop, error, got None"),
        ({"max_levels": 0}, "max_levels must be an integer from 1 to 2**63 - 1, got 0"),
        ({"max_levels": 2.5}, "max_levels must be an integer from 1 to 2**63 - 1, got 2.5"),
        ({"max_levels": True}, "max_levels must be an integer from 1 to 2**63 - 1, got True"),
        ({"formula": "y ~ a", "target": "y"}, BOTH),
        ({"formula": "y ~ a", "features": ["a"]}, BOTH),
        ({"formula": "  "}, "formula must be a text like 'y ~ a + b', got '  '"),
        ({"formula": 3}, "formula must be a text like 'y ~ a + b', got 3"),
        ({"target": 3}, "target must be a column name, got 3"),
        ({"target": "y", "features": []}, "features must be one or more column names, got []"),
        ({"target": "y", "features": [1]}, "features must be one or more column names, got [1]"),
        ({"target": "y", "features": 5}, "features must be one or more column names, got 5"),
        ({"target": "y", "features": ["a", "y"]}, "the target 'y' cannot also be a feature"),
        ({"target": "y", "features": ["b", "a", "b", "a"]}, "features name a, b more than once"),
        ({"weights": "w", "trials": "n"}, "weights ('w') and trials ('n') cannot be combined"),
    ],
)
def test_model_options_refuse_each_bad_value_as_the_command_line_says_it(given, words):
    from logitlab.config import FitSettings, ModelOptions

    with pytest.raises(ConfigError) as caught:
        ModelOptions(**given)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(ConfigError) as again:  # the same refusal through a fit's settings
        FitSettings.of(**given)
    assert str(again.value) == str(caught.value)


def test_model_options_keep_good_values_checked_once():
    from logitlab.config import ModelOptions

    model = ModelOptions(target="y", features="a", missing="error", max_levels=3)
    assert (model.features, model.missing, model.max_levels) == (("a",), "error", 3)
    assert ModelOptions(target="y", features=["b", "a"]).features == ("b", "a")
    assert ModelOptions(formula="y ~ a").formula == "y ~ a"


def test_check_missing_knows_its_rules():
    from logitlab.config import check_missing

    assert [check_missing(rule) for rule in ("drop", "error")] == ["drop", "error"]
    with pytest.raises(ConfigError, match="missing must be one of drop, error, got 'keep'"):
        check_missing("keep")


@pytest.mark.parametrize("value", [0, 1, 0.0, 1.0, -0.1, 1.5, math.nan, math.inf, "0.5", True])
def test_threshold_is_a_probability_strictly_between_0_and_1(value):
    from logitlab.config import check_threshold

    with pytest.raises(ConfigError, match=r"^threshold must be a probability between 0 and 1"):
        check_threshold(value)


@pytest.mark.parametrize("value", [0.5, 1e-9, 0.999, 1 - 2**-53])
def test_threshold_inside_0_and_1_is_kept_as_given(value):
    from logitlab.config import check_threshold

    assert check_threshold(value) == value


@pytest.mark.parametrize(
    ("given", "kept", "kind", "column"),
    [
        ("nonrobust", "nonrobust", "nonrobust", None),
        ("HC3", "hc3", "hc3", None),
        (" robust ", "robust", "robust", None),
        ("cluster:firm id", "cluster:firm id", "cluster", "firm id"),
        ("Cluster: State", "cluster:State", "cluster", "State"),
        ("cluster:a:b", "cluster:a:b", "cluster", "a:b"),
    ],
)
def test_cov_is_a_type_or_cluster_and_its_column(given, kept, kind, column):
    from logitlab.config import FitSettings

    settings = FitSettings(cov=given)
    assert (settings.cov, settings.cov_type, settings.cluster) == (kept, kind, column)


@pytest.mark.parametrize("value", ["cluster", "cluster:", "cluster: ", "hc4", "hc1:x", "", None, 3])
def test_cov_refuses_what_is_no_covariance_in_one_line(value):
    from logitlab.config import FitSettings

    with pytest.raises(ConfigError) as caught:
        FitSettings(cov=value)
    words = str(caught.value)
    assert words.startswith("cov must be one of nonrobust, robust, hc0, hc1, hc2, hc3 or "
                            "cluster:COLUMN") and "\n" not in words  # fmt: skip


@pytest.mark.parametrize("value", [0, 1, -0.5, 1.5, math.nan, math.inf, "0.9", True, None])
def test_conf_level_is_strictly_between_0_and_1(value):
    from logitlab.config import FitSettings

    with pytest.raises(ConfigError, match=r"^conf level must be a number between 0 and 1"):
        FitSettings(conf_level=value)


def test_conf_level_and_cov_default_to_statsmodels_and_keywords_set_them():
    from logitlab.config import FitSettings

    assert (FitSettings().conf_level, FitSettings().cov) == (0.95, "nonrobust")
    given = FitSettings.of(conf_level=0.9, cov="hc1")
    assert (given.conf_level, given.cov) == (0.9, "hc1")
