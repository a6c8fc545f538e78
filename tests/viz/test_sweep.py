"""The sweep figure: a panel per loss for the final losses, the MLE beside the truth."""

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from logitlab.config import DataConfig, LectureConfig, SweepConfig, TrainConfig
from logitlab.data import simulate
from logitlab.stats.landscape import evaluate, minimise
from logitlab.studies.sweep import run_sweep
from logitlab.viz.sweep import loss_minima, plot_sweep


@pytest.fixture(scope="module")
def sweep():
    lecture = LectureConfig(data=DataConfig(n=300), training=TrainConfig(epochs=400))
    return run_sweep(SweepConfig(lecture=lecture, lrs=(0.05, 0.5, 2.0)))


def labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_each_loss_has_its_own_loss_panel(sweep):
    """BCE (~0.3) and MSE (~0.1) on one axis hid both curves' shapes."""
    axes = plot_sweep(sweep).axes
    assert [ax.get_title() for ax in axes] == [
        "ŵ0 after 400 epochs",
        "ŵ1 after 400 epochs",
        "final BCE loss after 400 epochs",
        "final MSE loss after 400 epochs",
    ]
    finals = sweep.batch.final_loss
    for ax, loss in zip(axes[2:], ("bce", "mse"), strict=True):
        (line,) = [ln for ln in ax.get_lines() if ln.get_label() == loss.upper()]
        mine = np.array(sweep.batch.losses) == loss
        np.testing.assert_allclose(line.get_ydata(), finals[mine])
        assert to_rgba(line.get_color()) == to_rgba({"bce": "C1", "mse": "C2"}[loss])
        assert loss.upper() in ax.get_ylabel()


def test_estimates_show_the_mle_beside_the_truth(sweep):
    axes = plot_sweep(sweep).axes
    for ax, column in zip(axes[:2], (0, 1), strict=True):
        (mle,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("MLE")]
        np.testing.assert_allclose(mle.get_ydata(), sweep.mle.params[column])
        assert f"MLE {sweep.mle.params[column]:.4f}" in labels(ax)
        assert f"true w{column}" in labels(ax)


def test_loss_panels_show_the_lowest_value_each_loss_can_reach(sweep):
    floors = loss_minima(sweep)
    data = simulate(n=300)
    x, y = data.x.numpy(), data.y.numpy()
    assert floors["bce"] == pytest.approx(evaluate("bce", sweep.mle.params, x, y).loss[0])
    mse_min = minimise("mse", x, y, sweep.mle.params)
    assert floors["mse"] == pytest.approx(evaluate("mse", mse_min, x, y).loss[0])
    for ax, loss in zip(plot_sweep(sweep).axes[2:], ("bce", "mse"), strict=True):
        (floor,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("lowest")]
        np.testing.assert_allclose(floor.get_ydata(), floors[loss])
        ok = (np.array(sweep.batch.losses) == loss) & sweep.batch.ok
        assert np.all(sweep.batch.final_loss[ok] >= floors[loss] - 1e-7)


def test_without_an_mle_the_figure_still_draws(sweep):
    from dataclasses import replace

    axes = plot_sweep(replace(sweep, mle=None)).axes
    assert len(axes) == 4
    assert not [ln for ax in axes for ln in ax.get_lines() if ln.get_label().startswith("MLE")]


def test_a_row_of_panels_per_optimizer_and_batch_size():
    lecture = LectureConfig(data=DataConfig(n=200), training=TrainConfig(epochs=50))
    config = SweepConfig(lecture=lecture, lrs=(0.05, 0.5), optimizers=("sgd", "adam"),
                         batch_sizes=(None, 20))  # fmt: skip
    run = run_sweep(config)
    fig = plot_sweep(run)
    rows = fig.subfigs
    assert [row._suptitle.get_text() for row in rows] == [
        "SGD, full batch (200)", "SGD, batches of 20", "Adam, full batch (200)",
        "Adam, batches of 20",
    ]  # fmt: skip
    batch = run.batch
    for row, (optimizer, size) in zip(rows, [(o, b) for o in ("sgd", "adam")
                                             for b in (None, 20)], strict=True):  # fmt: skip
        assert len(row.axes) == 4
        bce_panel = row.axes[2]
        (line,) = [ln for ln in bce_panel.get_lines() if ln.get_label() == "BCE"]
        mine = [b for b in range(len(batch)) if batch.losses[b] == "bce"
                and batch.optimizers[b] == optimizer and batch.batch_size[b] == size]  # fmt: skip
        np.testing.assert_allclose(line.get_xdata(), [0.05, 0.5])
        np.testing.assert_allclose(line.get_ydata(), batch.final_loss[mine])
    # the rows differ: each shows its own fits, not one row's four times
    finals = [row.axes[2].get_lines()[0].get_ydata() for row in rows]
    assert not np.allclose(finals[0], finals[2])
