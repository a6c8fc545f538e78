import math
import re

import pytest

from logitlab.config import DataConfig, LectureConfig, TrainConfig, check_losses
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
        LectureConfig(lr=-1)


def test_losses_by_name():
    assert check_losses("both") == ("bce", "mse")
    assert check_losses("mse") == ("mse",)
    with pytest.raises(ConfigError):
        check_losses("all")
    with pytest.raises(ConfigError):
        check_losses(["bce", "bce"])


def test_lecture_config_records_every_setting():
    cfg = LectureConfig(data=DataConfig(n=10, seed=3), lr=0.1, epochs=7, losses="bce")
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
    }
    assert cfg.train("bce") == TrainConfig(loss="bce", lr=0.1, epochs=7)
