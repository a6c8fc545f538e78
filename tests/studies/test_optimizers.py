"""The optimizers study: the eight end points against a plain torch.optim loop, the plateau
against the gradient there, Adam's first step against its closed form, the words' branches."""

import math
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from logitlab import ConfigError
from logitlab.config import DataConfig
from logitlab.data import simulate
from logitlab.engines.eager import threads_for
from logitlab.studies import optimizers as study
from logitlab.studies.optimizers import OptimizersConfig, conclusion, run_optimizers, timed_fit

EPOCHS = 1000


@pytest.fixture(scope="module")
def run():
    """The course's experiment at its own settings (no timing growth: not what is tested)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(study, "TIMING_REPEATS", 1)
        patch.setattr(study, "TIMING_WORK", 0.0)
        return run_optimizers(OptimizersConfig(batch_sizes=(256,), frames=2, grid_size=11))


def torch_descent(start, optimizer, loss, epochs=EPOCHS, lr=0.05):
    """The course's loop written out: Linear + BCEWithLogitsLoss or MSE, torch.optim."""
    data = simulate(seed=1)
    layer = torch.nn.Linear(1, 1)
    with torch.no_grad():
        layer.bias.fill_(start[0])
        layer.weight.fill_(start[1])
    kind = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    opt = kind(layer.parameters(), lr=lr)
    bce = torch.nn.BCEWithLogitsLoss()
    with threads_for(data.x):  # one thread: a 2,000-point op is too small to share
        for _ in range(epochs):
            u = layer(data.x)
            if loss == "bce":
                value = bce(u, data.y)
            else:
                value = torch.mean((data.y - torch.sigmoid(u)) ** 2)
            value.backward()
            opt.step()
            opt.zero_grad()
    return np.array([layer.bias.item(), layer.weight.item()])


@pytest.mark.parametrize("start", study.STARTS)
@pytest.mark.parametrize("optimizer", study.STUDY_OPTIMIZERS)
@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_each_end_point_is_where_torch_optim_ends(run, start, optimizer, loss):
    end = run.descent(start, optimizer, loss).result.params
    assert end == pytest.approx(torch_descent(start, optimizer, loss), rel=1e-3, abs=1e-4)


def test_eight_descents_and_the_mle_against_statsmodels(run):
    import statsmodels.api as sm

    assert len(run.descents) == 8
    assert {(d.start, d.optimizer, d.loss) for d in run.descents} == {
        (s, o, loss) for s in study.STARTS for o in ("sgd", "adam") for loss in ("bce", "mse")
    }
    data = simulate(seed=1)
    x, y = data.x.double().numpy(), data.y.double().numpy().ravel()
    reference = np.asarray(sm.Logit(y, sm.add_constant(x)).fit(disp=0, tol=1e-12).params)
    assert run.mle.params == pytest.approx(reference, abs=1e-6)
    for start in study.STARTS:  # Adam on BCE ends at the MLE: within a tenth of its SE
        adam = run.descent(start, "adam", "bce")
        assert np.all(np.abs(adam.result.params - reference) <= 0.1 * run.mle.se)
        assert run.outcome(adam) == "arrived"
        sgd = run.descent(start, "sgd", "bce")  # 1,000 SGD epochs are not enough
        assert run.outcome(sgd) == "on its way" and 0 < run.share_of_way(sgd) < 1


def test_sgd_on_mse_from_the_far_start_moves_what_its_gradient_allows(run):
    """An SGD step is lr times the gradient; on the plateau the gradient barely changes, so
    1,000 steps move at most about 1,000 x lr x |gradient at the start| (closed form below).
    Somewhat less in float32: a step of w0 (~1.2e-6) rounds to whole units of float32's
    spacing at -10 (9.5e-7), as in torch itself."""
    far = study.STARTS[-1]
    sgd = run.descent(far, "sgd", "mse")
    data = simulate(seed=1)
    x, y = data.x.numpy().ravel().astype(float), data.y.numpy().ravel()
    p = 1 / (1 + np.exp(-(far[0] + far[1] * x)))
    slope = 2 * (p - y) * p * (1 - p)
    gradient = np.array([slope.mean(), (slope * x).mean()])
    expected = EPOCHS * 0.05 * np.linalg.norm(gradient)
    assert 0.5 * expected < run.moved(sgd) <= 1.05 * expected
    assert run.outcome(sgd) == "stalled"
    adam = run.descent(far, "adam", "mse")
    assert run.outcome(adam) == "arrived"  # off the plateau, to MSE's own minimum
    assert np.all(np.abs(adam.result.params - run.mse_minimum) <= 0.1 * run.mle.se)


def test_adams_first_step_is_lr_in_each_coordinate(run):
    """Adam's bias-corrected first step is lr g / (|g| + eps) per coordinate: lr sqrt(2) long
    for two parameters, however small the gradient g."""
    far = study.STARTS[-1]
    assert run.first_step(run.descent(far, "adam", "mse")) == pytest.approx(0.05 * math.sqrt(2),
                                                                            rel=1e-3)  # fmt: skip


def test_full_loss_starts_at_the_loss_of_the_start(run):
    descent = run.descent(study.STARTS[0], "sgd", "bce")
    data = simulate(seed=1)
    u = -3.0 - 1.0 * data.x.double().ravel()
    expected = float(
        torch.nn.functional.binary_cross_entropy_with_logits(u, data.y.double().ravel())
    )
    assert run.full_loss(descent)[0] == pytest.approx(expected, rel=1e-9)
    assert len(run.full_loss(descent)) == EPOCHS + 1


def test_minibatch_descents_start_far_with_adam(run):
    assert [(d.loss, d.batch_size) for d in run.batches] == [
        ("bce", None), ("bce", 256), ("mse", None), ("mse", 256),
    ]  # fmt: skip
    assert all(d.optimizer == "adam" and d.start == study.STARTS[-1] for d in run.batches)
    full, small = run.batches[0], run.batches[1]
    assert full is run.descent(study.STARTS[-1], "adam", "bce")
    assert not np.allclose(full.result.params, small.result.params)  # a different descent


def test_conclusion_follows_the_numbers(run):
    text = " ".join(conclusion(run))
    sgd = run.descent(study.STARTS[-1], "sgd", "mse")
    assert "plain SGD on MSE stalls" in text and f"moved {run.moved(sgd):.2g}" in text
    assert "Adam does get MSE off the plateau" in text
    assert f"after {run.arrival(run.descent(study.STARTS[-1], 'adam', 'mse')):,} epochs" in text


def test_conclusion_from_a_near_start_says_sgd_does_not_stall():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(study, "TIMING_REPEATS", 1)
        patch.setattr(study, "TIMING_WORK", 0.0)
        near = run_optimizers(OptimizersConfig(data=DataConfig(n=300, seed=1),
                                               starts=((-1.0, 3.0),), epochs=200,
                                               batch_sizes=(), frames=2, grid_size=7))  # fmt: skip
    text = " ".join(conclusion(near))
    assert "SGD on MSE does not stall" in text
    assert "No mini-batch sizes were asked for." in text


def test_timed_fit_counts_work_not_the_fixed_cost(lecture_data):
    import time

    from logitlab.config import TrainConfig
    from logitlab.engines import fit

    config = TrainConfig(epochs=2000, engine="eager")
    fitted, per_epoch = timed_fit(lecture_data, config)
    tick = time.perf_counter()
    fit(lecture_data.x, lecture_data.y, config)
    whole = time.perf_counter() - tick
    assert fitted.epochs == 2000 and 0 < per_epoch * 2000 < 2 * whole


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"starts": ()}, "starts must be 1 to 4 points"),
        ({"starts": "abc"}, "starts must be 1 to 4 points"),
        ({"starts": ((1, 2),) * 5}, "starts must be 1 to 4 points"),
        ({"starts": ((1, "x"),)}, "start w1 must be a finite number"),
        ({"batch_sizes": (0,)}, "batch size must be an integer from 1 to 2000"),
        ({"batch_sizes": (2001,)}, "batch size must be an integer from 1 to 2000"),
        ({"batch_sizes": (32, 32)}, "batch sizes must differ"),
        ({"batch_sizes": (1,) * 7}, "batch sizes must be at most 6"),
        ({"lr": 0}, "lr must be a finite number > 0"),
        ({"epochs": 10, "frames": 12}, "frames must be at most epochs + 1"),
        ({"engine": "warp"}, "engine must be one of"),
    ],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        OptimizersConfig(**settings)


def test_settings_are_checked_without_numpy_or_torch():
    code = (
        "import sys\n"
        "from logitlab import budget\n"
        "from logitlab.studies.optimizers import OptimizersConfig\n"
        "budget.check_study(OptimizersConfig())\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "assert not {'numpy', 'torch', 'matplotlib'} & loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_repr_is_one_short_line_and_the_card_has_every_descent(run):
    line = repr(run)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert "MLE [{:.4g}, {:.4g}]".format(*run.mle.params) in line
    assert "MSE's minimum [{:.4g}, {:.4g}]".format(*run.mse_minimum) in line
    outcomes = [run.outcome(d) for d in run.descents]
    for end in set(outcomes):
        assert f"{outcomes.count(end)} {end}" in line
    card = run._repr_html_()
    for d in (*run.descents, *run.batches):
        arrival = run.arrival(d)
        arrived = "—" if arrival is None else f"{arrival:,}"
        w0, w1 = d.result.params
        far = run.in_se(d.result.params, run.destination(d.loss))
        assert (f"<td>{run.outcome(d)}</td><td>{arrived}</td><td>{w0:.4f}</td><td>{w1:.4f}</td>"
                f"<td>{far:.4f}</td>") in card  # fmt: skip
    assert card.count("<tr><td>") == 2 + len(run.descents) + len(run.batches)
