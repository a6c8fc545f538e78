"""Training as the lecture writes it: the four steps, in plain PyTorch, and nothing else.

Any torch.optim optimizer takes the step; the batches are the full data or a DataLoader's
mini-batches. Recording the history, the progress bar and the checks live around this loop,
in logitlab.engines.eager: each step's loss is handed out after its step, while the
gradients it took are still there to read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

from .losses import LossFn
from .model import logits

#: What train() walks through each epoch: (x, y) batches, e.g. [(x, y)] for the full batch
#: (the lecture's way) or a torch.utils.data.DataLoader for mini-batches.
Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def train(
    net: torch.nn.Sequential,
    batches: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    epochs: int,
) -> Iterator[torch.Tensor]:
    """Run the lecture's loop for `epochs` passes over `batches`; yield each step's loss
    after its step (one step per batch)."""
    for _epoch in range(epochs):
        for x, y in batches:
            ## 1. forward (we keep the logits: yhat = sigmoid(u) = net(x))
            u = logits(net, x)
            ## 2. loss
            loss = loss_fn(u, y)
            ## 3. backward
            loss.backward()
            ## 4. step, then clear the gradients
            optimizer.step()
            yield loss
            optimizer.zero_grad()
