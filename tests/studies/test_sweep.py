"""`logitlab sweep`: one fit per learning rate and loss, a table and a figure."""

import csv
import json
import re

import numpy as np
import pytest

from logitlab.cli import main
from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.engines import fit
from logitlab.report.staging import MARKER

SMALL = ["--epochs", "200", "--n", "300", "--quiet"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "out"
    argv = ["sweep", "--lr", "0.05,0.5,1e7", "--loss", "both", "--out", str(out), *SMALL]
    assert main(argv) == 0
    return out


def test_files_and_schema(sweep):
    assert {p.name for p in sweep.iterdir()} == {"sweep.csv", "sweep.json", "sweep.png", MARKER}
    with (sweep / "sweep.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(float(r["lr"]), r["loss"]) for r in rows] == [
        (lr, loss) for lr in (0.05, 0.5, 1e7) for loss in ("bce", "mse")
    ]
    record = json.loads((sweep / "sweep.json").read_text())
    assert record["settings"]["lrs"] == [0.05, 0.5, 1e7]
    assert len(record["fits"]) == 6


def test_each_row_is_the_single_fit(sweep, assert_ulps):
    data = simulate(n=300)
    rows = json.loads((sweep / "sweep.json").read_text())["fits"]
    for row in rows[:4]:
        cfg = TrainConfig(loss=row["loss"], lr=row["lr"], epochs=200)
        expected = fit(data.x, data.y, cfg).params
        assert_ulps([row["w0_hat"], row["w1_hat"]], expected, precision=np.float32)


def test_a_diverging_lr_is_reported_and_spares_the_others(sweep):
    rows = json.loads((sweep / "sweep.json").read_text())["fits"]
    bce_huge = rows[4]
    assert bce_huge["diverged_at"] == 1 and bce_huge["w0_hat"] is None
    assert bce_huge["verdict"] == "diverged"
    assert all(r["diverged_at"] == 0 and r["w0_hat"] is not None for r in rows[:4])


def test_console_names_the_diverged_run(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", "--lr", "0.1,1e7", "--loss", "bce", "--out", str(out), *SMALL]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"1e\+07  bce +diverged at epoch 1\n", printed)


def test_console_columns_keep_their_width(tmp_path, capsys):
    # Unstable steps end far out (w1 ~ 34 at lr 100), large numbers once ran columns together.
    out = tmp_path / "out"
    argv = ["sweep", "--lr", "1e-9,0.05,100", "--out", str(out), "--epochs", "2000", "--quiet"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    header, rows = lines[0], lines[1:7]
    start = header.index("verdict")
    for row in rows:
        assert row[start - 2 : start] == "  " and row[start] != " ", row
        assert row[start:] in ("converged", "not converged", "unstable"), row
        for end in (
            header.index(name) + len(name) for name in ("w0", "w1", "final loss", "|grad|")
        ):
            assert row[end - 1] != " " and row[end] == " ", row  # right-aligned, apart
    assert sum("unstable" in row for row in rows) >= 1


def test_every_fit_diverging_still_draws_a_figure(tmp_path):
    out = tmp_path / "out"
    assert main(["sweep", "--lr", "1e6", "--loss", "bce", "--out", str(out), *SMALL]) == 0
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"


BAD = [
    (
        ["--lr", "0.1,abc"],
        "lr must be a finite number > 0 and <= 3.4028235e+38 (float32's largest), got 'abc'",
    ),
    (
        ["--lr", "0.1,-1"],
        "lr must be a finite number > 0 and <= 3.4028235e+38 (float32's largest), got -1",
    ),
    (["--lr", "0"], "lr must be a finite number > 0"),
    (["--engine", "warp"], "engine must be one of auto, eager, fused"),
    (["--loss", "l1"], "loss must be bce, mse or both"),
    (["--epochs", "0"], "epochs must be an integer from 1 to 10**7"),
]


@pytest.mark.parametrize("args, words", BAD)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, refused, args, words):
    assert words in refused(["sweep", "--out", str(tmp_path / "out"), *SMALL, *args])


def test_tol_stops_each_fit_early_and_judges_it(tmp_path):
    out = tmp_path / "out"
    argv = ["sweep", "--lr", "0.05,1", "--loss", "bce", "--tol", "1e-5", "--out", str(out)]
    assert main([*argv, "--n", "300", "--quiet"]) == 0
    rows = json.loads((out / "sweep.json").read_text())["fits"]
    slow, fast = rows
    assert fast["epochs_run"] < 10_000 and fast["verdict"] == "converged"
    assert fast["grad_norm"] <= 1e-5
    assert slow["epochs_run"] == 10_000 and slow["verdict"] == "not converged"


def test_sweep_over_optimizers_matches_torch_optim_on_dataloader_batches():
    """The sweep's Adam-on-mini-batches row against the course's own loop: torch.optim.Adam,
    BCEWithLogitsLoss, DataLoader(shuffle=True) under a seeded generator."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from logitlab.config import DataConfig, LectureConfig, SweepConfig
    from logitlab.model import initial_params
    from logitlab.studies.sweep import run_sweep

    training = TrainConfig(epochs=5, shuffle_seed=3)
    lecture = LectureConfig(data=DataConfig(n=100), losses="bce", training=training)
    run = run_sweep(SweepConfig(lecture=lecture, lrs=(0.1,), optimizers=("sgd", "adam"),
                                batch_sizes=(None, 16)))  # fmt: skip
    (row,) = [b for b in range(len(run.batch))
              if run.batch.optimizers[b] == "adam" and run.batch.batch_size[b] == 16]  # fmt: skip
    data = simulate(n=100)
    net = torch.nn.Linear(1, 1)
    w0, w1 = initial_params()
    with torch.no_grad():
        net.bias.fill_(float(w0))
        net.weight.fill_(float(w1))
    loader = DataLoader(TensorDataset(data.x, data.y), batch_size=16, shuffle=True,
                        generator=torch.Generator().manual_seed(3))  # fmt: skip
    optimizer = torch.optim.Adam(net.parameters(), lr=0.1)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(5):
        for xb, yb in loader:
            loss = loss_fn(net(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    expected = [net.bias.item(), net.weight.item()]
    np.testing.assert_allclose(run.batch.params[row], expected, rtol=1e-4, atol=1e-6)
    # and the full-batch SGD row is elsewhere: the grid's settings reached each fit
    assert not np.allclose(run.batch.params[0], expected, rtol=1e-2)


def test_repr_is_one_short_line_and_the_card_has_a_row_per_fit():
    from logitlab.config import DataConfig, LectureConfig, SweepConfig
    from logitlab.studies.sweep import run_sweep

    lecture = LectureConfig(data=DataConfig(n=100), training=TrainConfig(epochs=50))
    run = run_sweep(SweepConfig(lecture=lecture, lrs=(0.5, 1e7)))
    line = repr(run)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert line.startswith(f"SweepRun({len(run.batch)} fits, lrs [0.5, 1e+07]: ")
    assert run.batch.tally_words() in line and "diverged" in line
    assert f"MLE [{run.mle.params[0]:.4g}, {run.mle.params[1]:.4g}]" in line
    card = run._repr_html_()
    verdicts = run.batch.verdicts()
    for b in range(len(run.batch)):
        cells = ["sgd", "full", f"{run.batch.lr[b]:g}", run.batch.losses[b].upper(), verdicts[b]]
        if verdicts[b] != "diverged":
            cells += [f"{run.batch.final_loss[b]:.4f}", *(f"{v:.4f}" for v in run.batch.params[b])]
        assert "<tr><td>" + "</td><td>".join(cells) + "</td>" in card
    assert f"<td>{run.mle.params[1]:.4f}</td>" in card
