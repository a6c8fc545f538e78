"""The training loop the reports show is the loop that ran: executed as written, it lands
where logitlab's eager engine does. A Descent lands where its fit does, or mapped back."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from logitlab.config import TrainConfig
from logitlab.display import number
from logitlab.engines import fit
from logitlab.losses import get_loss
from logitlab.model import initial_params, lecture_net
from logitlab.studies.training import Descent, ToMLE, loop_code

SETTINGS = [
    TrainConfig(epochs=30),
    TrainConfig(epochs=30, optimizer="momentum", nesterov=True),
    TrainConfig(epochs=5, optimizer="adam", batch_size=64, shuffle_seed=3),
]


@pytest.mark.parametrize("train", SETTINGS, ids=["sgd", "nesterov", "adam-batches"])
def test_the_shown_loop_runs_and_equals_the_engine(lecture_data, train, assert_ulps):
    X, y = lecture_data.x[:300], lecture_data.y[:300]
    net = lecture_net(train.init_seed)
    scope = {"torch": torch, "DataLoader": DataLoader, "TensorDataset": TensorDataset,
             "net": net, "X": X, "y": y, "loss_fn": get_loss("bce")}  # fmt: skip
    exec(loop_code(train, ["BCE"]), scope)
    shown = np.array([net[0].bias.item(), net[0].weight.item()])
    engine = fit(X, y, train, engine="eager").params
    assert_ulps(shown, engine, precision=np.float32)
    assert not np.allclose(shown, initial_params(train.init_seed, 1), atol=1e-3)  # it trained


def test_full_batch_shows_the_lecture_loop_and_batches_the_loader():
    assert "DataLoader" not in loop_code(TrainConfig(), ["BCE"])
    code = loop_code(TrainConfig(batch_size=32, optimizer="adam"), ["MSE"])
    assert "batch_size=32" in code and "for xb, yb in loader" in code and "Adam" in code


def test_a_descent_lands_where_its_fit_does_unless_mapped_back(lecture_data):
    result = fit(lecture_data.x[:300], lecture_data.y[:300], TrainConfig(epochs=30))
    plain = Descent(loss="bce", result=result, seconds_per_epoch=1e-3)
    np.testing.assert_array_equal(plain.params, result.params)
    assert plain.verdict == result.convergence.verdict
    back = ToMLE(params=2.0 * result.params, max_abs=1.0, max_rel=1.0, max_abs_std=1.0, max_se=1.0)
    np.testing.assert_array_equal(replace(plain, to_mle=back).params, 2.0 * result.params)


def test_a_descent_shows_one_line_and_an_escaped_card(lecture_data):
    result = fit(lecture_data.x[:300], lecture_data.y[:300], TrainConfig(epochs=30),
                 names=["<b>x"])  # fmt: skip
    plain = Descent(loss="mse", result=result, optimizer="adam", batch_size=64)
    w0, w1 = result.params
    line = repr(plain)
    assert line == (f"Descent(mse, adam, batches of 64: params=[{w0:.4g}, {w1:.4g}], "
                    f"{result.convergence.verdict} after 30 epochs)")  # fmt: skip
    card = plain._repr_html_()
    assert "<b>" not in card and f"<td>&lt;b&gt;x</td><td>{number(w1)}</td>" in card
    back = ToMLE(params=2.0 * result.params, max_abs=0.25, max_rel=1.0, max_abs_std=1.0,
                 max_se=0.5)  # fmt: skip
    mapped = replace(plain, to_mle=back)
    assert repr(mapped).endswith("after 30 epochs; max |coef - MLE| 0.25 (0.5 SE))")
    assert len(repr(mapped)) < 200 and f"<td>{number(2 * w1)}</td>" in mapped._repr_html_()
