"""The playground's request bodies: TrainSpec is TrainConfig's fields, derived, not copied."""

from dataclasses import fields

import pytest
from pydantic import ValidationError

from logitlab.config import TrainConfig
from logitlab.web.schemas import PAGE_NAMES, SERVER_SIDE, TrainSpec, train_config


def test_train_spec_holds_train_configs_fields_and_defaults_but_the_servers():
    page = {PAGE_NAMES.get(f.name, f.name): f.default for f in fields(TrainConfig)
            if f.name not in SERVER_SIDE}  # fmt: skip
    assert TrainSpec().model_dump() == page | {"loss": "both"}


@pytest.mark.parametrize("body", [{"engine": "eager"}, {"init": [0, 1]}, {"loss": "hinge"}])
def test_train_spec_refuses_what_the_page_does_not_set(body):
    with pytest.raises(ValidationError):
        TrainSpec.model_validate(body)


def test_train_spec_start_is_train_configs_init():
    spec = TrainSpec.model_validate({"start": [12, -10], "optimizer": "adam"})
    assert TrainConfig(init=spec.start, optimizer=spec.optimizer).init == (12.0, -10.0)


def test_train_config_is_what_the_spec_sets_and_the_server_chooses():
    spec = TrainSpec.model_validate({"start": [1, 2], "optimizer": "momentum", "lr": 0.5,
                                     "nesterov": True, "batch_size": 8})  # fmt: skip
    cfg = train_config(spec, loss="mse", epochs=30)
    assert cfg == TrainConfig(loss="mse", lr=0.5, epochs=30, optimizer="momentum",
                              nesterov=True, batch_size=8, init=(1.0, 2.0))  # fmt: skip
    assert train_config(TrainSpec(), loss="bce") == TrainConfig()
