"""A study's TrainConfig as the engines and the results files take it, in one place.

Every study on the lecture's data (lecture, landscape, animation, sweep, Monte Carlo) trains
with one TrainConfig; these turn it into fit_batch's keywords, check it against the data
before any work, and name its settings for the results files.
"""

from __future__ import annotations

from dataclasses import fields

from ..config import DataConfig, TrainConfig, check_batch_size, check_point


def batch_keywords(train: TrainConfig) -> dict[str, object]:
    """engines.batch.fit_batch's keywords for `train`: every setting but the loss, which a
    study sets per problem (as it may the lr, optimizer or batch size)."""
    return {
        "lr": train.lr,
        "epochs": train.epochs,
        "init_seed": train.init_seed,
        "engine": train.engine,
        "tol": train.tol,
        "init": train.init,
        **train.optimizer_settings(),
    }


def check_on_lecture_data(train: TrainConfig, data: DataConfig) -> None:
    """Refuse before any work what the lecture's data cannot take (ConfigError): a start
    that is not one point (w0, w1) whose logits stay in range on x in [-1, 1], or a batch
    of more than the n points."""
    if train.init is not None:
        check_point("start", train.init)
    check_batch_size(train.batch_size, data.n)


def training_record(train: TrainConfig) -> dict[str, object]:
    """Every training setting but the loss (a study trains each of its losses with them),
    for a results file: lr, epochs, the optimizer and its settings, the batch size (None:
    the full batch), the shuffle seed and the start `init` (None: the net of init_seed)."""
    return {f.name: getattr(train, f.name) for f in fields(train) if f.name != "loss"}
