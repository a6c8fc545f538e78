"""The playground's request bodies: TrainSpec is TrainConfig's fields, derived, not copied."""

from dataclasses import fields

import pytest
from pydantic import ValidationError

from logitlab.config import TrainConfig
from logitlab.web.schemas import PAGE_NAMES, SERVER_SIDE, TrainSpec


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
