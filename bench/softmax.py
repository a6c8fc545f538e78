"""Softmax regression on the ten digits (scikit-learn's load_digits: all 1,797 images, 64
pixels / 16, K = 10), Adam at lr 0.01: the fused engine against the eager CrossEntropyLoss loop,
200 epochs on the full batch and 50 on DataLoader's mini-batches of 64, with the ratio of each.

    .venv/bin/python bench/softmax.py            # a minute or two
    .venv/bin/python bench/softmax.py --quick    # fewer epochs, one repetition

The eager loop is the course's, as a student writes it (torch.nn.Linear(64, 10),
CrossEntropyLoss, torch.optim.Adam, DataLoader), recording nothing; logitlab's eager engine
(the same loop, recording the loss each epoch) is timed beside it. Each timing is the best of
its repetitions (the machine is shared and noisy: the best run is the one least disturbed);
the fused kernels are compiled (or loaded from the cache) first. The fused fit's largest
weight difference from the eager engine's is printed with it, and its time a step beside the
faster loop's (all costs in: set-up, shuffles, the fused fit's loss each epoch). run()
returns the rows for bench/run.py to print.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

from logitlab.config import TrainConfig
from logitlab.engines.softmax import fit_softmax
from timing import best  # bench/timing.py, beside this file

#: Issue #22's target: the fused engine this many times faster than the eager loop.
TARGET = 50
BATCH, LR, CLASSES = 64, 0.01, 10


def course_loop(x: torch.Tensor, codes: torch.Tensor, epochs: int, batch: int | None) -> None:
    """The course's ten-digit loop: Linear(64, 10), CrossEntropyLoss, Adam, the full batch or
    a DataLoader's shuffled mini-batches."""
    torch.manual_seed(43052)
    model = torch.nn.Linear(x.shape[1], CLASSES)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = [(x, codes)]
    if batch is not None:
        loader = DataLoader(TensorDataset(x, codes), batch_size=batch, shuffle=True,
                            generator=torch.Generator().manual_seed(0))  # fmt: skip
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()


def on_one_thread(call: Callable[[], object]) -> Callable[[], object]:
    """call run with torch on one thread (its count restored afterwards)."""

    def run() -> object:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return call()
        finally:
            torch.set_num_threads(before)

    return run


def run(quick: bool = False) -> list[tuple[str, float, str]]:
    """(label, seconds, note) rows: per batch setting the course's loop (on torch's threads
    and on one: a small problem is often faster on one), logitlab's eager engine and the
    fused engine, with its ratio to the faster loop and to eager and its distance from eager."""
    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    codes = torch.tensor(digits.target, dtype=torch.int64)
    full_epochs, mini_epochs, repeat = (20, 5, 1) if quick else (200, 50, 3)
    threads = torch.get_num_threads()
    course_loop(x, codes, 2, BATCH)  # torch.optim's first step imports its compiler (seconds)
    fit_softmax(x, codes, CLASSES, TrainConfig(epochs=2, batch_size=BATCH), engine="fused")
    rows = []
    for batch in (None, BATCH):
        what = "full batch" if batch is None else f"batch {batch}"
        epochs = full_epochs if batch is None else mini_epochs
        cfg = TrainConfig(optimizer="adam", lr=LR, epochs=epochs, batch_size=batch)
        loop, _ = best(lambda b=batch, e=epochs: course_loop(x, codes, e, b), 1)
        single, _ = best(on_one_thread(lambda b=batch, e=epochs: course_loop(x, codes, e, b)), 1)
        eager_fit = fit_softmax(x, codes, CLASSES, cfg, engine="eager")
        eager, _ = best(lambda c=cfg: fit_softmax(x, codes, CLASSES, c, engine="eager"), 1)
        fused_fit = fit_softmax(x, codes, CLASSES, cfg, engine="fused")
        fused, _ = best(lambda c=cfg: fit_softmax(x, codes, CLASSES, c, engine="fused"), repeat)
        apart = np.max(np.abs(fused_fit.weight - eager_fit.weight))
        fastest = min(loop, single)
        steps = epochs * (1 if batch is None else -(-len(x) // batch))
        label = f"digits, Adam, {what}, {epochs} epochs"
        rows += [
            (f"{label}: course's loop, {threads} torch threads", loop, ""),
            (f"{label}: course's loop, 1 torch thread", single, ""),
            (f"{label}: logitlab eager", eager, ""),
            (f"{label}: logitlab fused", fused,
             f"{fastest / fused:.0f}x the faster loop, {eager / fused:.0f}x eager (target >= "
             f"{TARGET}x); {fused / steps * 1e6:.1f} against {fastest / steps * 1e6:.0f} us a "
             f"step; weights {apart:.1e} from eager"),
        ]  # fmt: skip
    return rows


def show(rows: list[tuple[str, float, str]]) -> None:
    """Print the rows."""
    for label, seconds, note in rows:
        print(f"{label:<66} {seconds:9.3f} s  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, one repetition")
    show(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
