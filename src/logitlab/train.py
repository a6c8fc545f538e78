"""Training as the lecture writes it: the four steps, in plain PyTorch, and nothing else.

Recording the history, the progress bar and the checks live around this loop, in
logitlab.engines.eager: each epoch's loss is handed out after its step, while the gradients
it took are still there to read.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from .losses import LossFn
from .model import logits


def train(
    net: torch.nn.Sequential,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    epochs: int,
) -> Iterator[torch.Tensor]:
    """Run the lecture's loop for `epochs` epochs; yield each epoch's loss after its step."""
    for _epoch in range(epochs):
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
