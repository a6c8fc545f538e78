"""Optimizers and mini-batches, side by side on the lecture's data: one 10,000-epoch Adam fit
fused against the eager torch.optim.Adam loop; a mini-batch epoch loop (batch 32) fused
against the course's DataLoader loop; and Monte Carlo of 1,000 Adam fits (fit_batch) against
one eager Adam fit.

    .venv/bin/python bench/optim.py            # a minute or two
    .venv/bin/python bench/optim.py --quick    # fewer epochs and fits, one repetition

Each timing is the best of its repetitions (the machine is shared and noisy: the best run is
the one least disturbed); the fused kernels are compiled (or loaded from the cache) first.
run() returns the rows for bench/run.py to print beside its own.
"""

from __future__ import annotations

import argparse

import torch
from torch.utils.data import DataLoader, TensorDataset

from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.engines import fit
from logitlab.engines.batch import fit_batch
from timing import best  # bench/timing.py, beside this file

#: Targets of issue #10: x faster than eager, and Monte Carlo within N eager fits.
FUSED_TARGET, MONTECARLO_TARGET = 100, 6
BATCH = 32


def dataloader_loop(x: torch.Tensor, y: torch.Tensor, epochs: int) -> None:
    """The course's week-6 loop as a student writes it: Adam, BCEWithLogitsLoss, DataLoader."""
    torch.manual_seed(43052)
    layer = torch.nn.Linear(1, 1)
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.05)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(0))  # fmt: skip
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(layer(xb), yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()


def run(quick: bool = False) -> list[tuple[str, float, str]]:
    """(label, seconds, note) rows: each fused timing with its ratio to the eager one."""
    data = simulate()
    x, y = data.x, data.y
    repeat = 1 if quick else 3
    epochs, mini_epochs, reps = (2_000, 20, 200) if quick else (10_000, 100, 1_000)
    adam = TrainConfig(optimizer="adam", epochs=epochs)
    mini = TrainConfig(optimizer="adam", epochs=mini_epochs, batch_size=BATCH)
    fit(x, y, TrainConfig(optimizer="adam", epochs=2, batch_size=BATCH), engine="fused")

    eager, _ = best(lambda: fit(x, y, adam, engine="eager"), 1)
    fused, _ = best(lambda: fit(x, y, adam, engine="fused"), repeat)
    loader, _ = best(lambda: dataloader_loop(x, y, mini_epochs), 1)
    mini_fused, _ = best(lambda: fit(x, y, mini, engine="fused"), repeat)
    ys = torch.stack([simulate(seed=2022 + r).y[:, 0] for r in range(reps)])
    many, _ = best(lambda: fit_batch(x, ys, optimizer="adam", data=list(range(reps)),
                                  epochs=epochs, record_every=101, engine="fused"), 1)  # fmt: skip
    return [
        (f"Adam, {epochs:,} full-batch epochs, eager (torch.optim.Adam)", eager, ""),
        (f"Adam, {epochs:,} full-batch epochs, fused", fused,
         f"{eager / fused:.0f}x faster (target >= {FUSED_TARGET}x)"),
        (f"Adam, batch {BATCH}, {mini_epochs} epochs, DataLoader loop", loader, ""),
        (f"Adam, batch {BATCH}, {mini_epochs} epochs, fused", mini_fused,
         f"{loader / mini_fused:.0f}x faster (target >= {FUSED_TARGET}x)"),
        (f"Monte Carlo: {reps:,} Adam fits of {epochs:,} epochs, fit_batch", many,
         f"{many / eager:.2f} eager fits (target <= {MONTECARLO_TARGET})"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and fits")
    for label, seconds, note in run(parser.parse_args().quick):
        print(f"{label:<58} {seconds:9.3f} s  {note}")


if __name__ == "__main__":
    main()
