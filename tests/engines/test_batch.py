"""fit_batch's blocks of compiled work: bounded (a signal stops a fit between two), told to
a progress callable, able to stop the fit, and leaving the numbers alone (the blocks carry
the optimizers' state and the mini-batch orders)."""

import dataclasses

import numpy as np
import pytest

from logitlab import stopping
from logitlab.engines import fused
from logitlab.engines.batch import PROGRESS_BLOCKS, fit_batch

SETTINGS = [
    {"optimizer": "sgd"},
    {"optimizer": "adam", "batch_size": 64},
    {"optimizer": "momentum", "nesterov": True, "batch_size": 300},
]


@pytest.mark.parametrize("engine", ["fused", "eager"])
@pytest.mark.parametrize("settings", SETTINGS)
def test_progress_changes_no_number(lecture_data, settings, engine):
    epochs = 120 if engine == "fused" else 10
    kwargs = dict(loss=["bce", "mse"], lr=0.05, epochs=epochs, record_every=7, engine=engine,
                  **settings)  # fmt: skip
    calls = []
    plain = fit_batch(lecture_data.x, lecture_data.y, **kwargs)
    told = fit_batch(lecture_data.x, lecture_data.y, progress=lambda k, w: calls.append((k, w)),
                     **kwargs)  # fmt: skip
    np.testing.assert_array_equal(told.params, plain.params)
    np.testing.assert_array_equal(told.history_params, plain.history_params)
    np.testing.assert_array_equal(told.history_loss, plain.history_loss)
    done = [k for k, _ in calls]
    assert done == sorted(done) and done[-1] == epochs
    if engine == "fused":
        assert len(calls) >= min(epochs, PROGRESS_BLOCKS) // 2
    np.testing.assert_array_equal(calls[-1][1], plain.params)


def test_progress_can_stop_a_fit(lecture_data):
    class Stop(Exception):
        pass

    seen = []

    def stop_after_three(epochs_done, params):
        seen.append(epochs_done)
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        fit_batch(lecture_data.x, lecture_data.y, loss=["bce", "mse"], epochs=5000,
                  engine="fused", progress=stop_after_three)  # fmt: skip
    assert seen == [100, 200, 300]


def test_compiled_calls_are_bounded_and_change_no_number(lecture_data, monkeypatch):
    """A long fit goes in many bounded compiled calls (a signal is delivered between two),
    the descents and the history both; the numbers are those of one call each."""
    kwargs = dict(loss=["bce", "mse", "bce"], lr=[1.0, 0.05, 1e4], epochs=300, record_every=7,
                  optimizer=["sgd", "adam", "sgd"], batch_size=[None, 300, None], tol=1e-3,
                  engine="fused")  # fmt: skip
    whole = fit_batch(lecture_data.x, lecture_data.y, **kwargs)
    spans = {"descend_many": [], "history_values": []}
    where = {"descend_many": slice(17, 19), "history_values": slice(-2, None)}  # first, stop
    for name, seen in spans.items():
        real = getattr(fused, name)

        def spy(*args, real=real, seen=seen, at=where[name]):
            first, stop = args[at]
            seen.append(stop - first)
            return real(*args)

        monkeypatch.setattr(fused, name, spy)
    monkeypatch.setattr(stopping, "BLOCK_VALUES", 1)  # one epoch, one history point a call
    cut = fit_batch(lecture_data.x, lecture_data.y, **kwargs)
    ran = [int(r) for r in cut.epochs_run]  # the calls end once every fit met tol or diverged
    assert spans["descend_many"] == [1] * max(ran)
    assert spans["history_values"] == [1] * sum(-(-r // 7) + 1 for r in ran)  # ran, and the end
    assert whole.diverged_at[2] > 0 and max(whole.epochs_run[:2]) < 300  # both ways to end
    for field in dataclasses.fields(whole):
        a, b = getattr(whole, field.name), getattr(cut, field.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(b, a, err_msg=field.name)
        else:
            assert b == a, field.name


def test_a_config_holds_the_shared_settings_and_keywords_replace_them(lecture_data):
    from logitlab.config import TrainConfig

    cfg = TrainConfig(lr=0.1, epochs=30, optimizer="momentum", engine="fused")
    given = fit_batch(lecture_data.x, lecture_data.y, cfg, loss=["bce", "mse"], lr=[0.1, 0.2])
    typed = fit_batch(lecture_data.x, lecture_data.y, loss=["bce", "mse"], lr=[0.1, 0.2],
                      epochs=30, optimizer="momentum", engine="fused")  # fmt: skip
    assert given.optimizers == ("momentum", "momentum") and given.epochs == 30
    np.testing.assert_array_equal(given.history_params, typed.history_params)
    with pytest.raises(TypeError, match="'start'"):
        fit_batch(lecture_data.x, lecture_data.y, cfg, start=[0.0, 0.0])


def test_a_batch_shows_one_line_and_a_card_of_how_its_fits_ended(lecture_data):
    batch = fit_batch(lecture_data.x, lecture_data.y, loss=["bce", "bce", "mse"],
                      lr=[1.0, 1e5, 1.0], epochs=200)  # fmt: skip
    ended = ["diverged" if batch.diverged_at[b] else batch.result(b).convergence.verdict
             for b in range(len(batch))]  # fmt: skip
    assert batch.verdicts() == ended and ended[1] == "diverged"
    assert batch.tally() == {"bce": {ended[0]: 1, "diverged": 1}, "mse": {ended[2]: 1}}
    text = repr(batch)
    assert "\n" not in text and len(text) < 200
    assert text == (f"BatchResult(3 fits of 1 feature(s), up to 200 epochs on {batch.engine}: "
                    f"bce 1 {ended[0]}, 1 diverged; mse 1 {ended[2]})")  # fmt: skip
    card = batch._repr_html_()
    assert "<strong>3 fits side by side</strong>" in card
    assert "<tr><td>BCE</td>" in card and "<th>diverged</th>" in card
