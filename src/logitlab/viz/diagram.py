"""The lecture's two Graphviz diagrams, drawn from the network itself rather than pasted.

Walking the `torch.nn.Sequential` keeps the picture honest: change the net and the diagram
changes with it. Both are `graphviz.Digraph` objects, so a notebook shows them inline;
logitlab.report.writers.write_diagram saves them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import graphviz
import torch

from ..errors import ConfigError

#: Where torch defines its activation modules (Sigmoid, ReLU, Tanh, Softmax, ...).
_ACTIVATION_MODULE = "torch.nn.modules.activation"
#: One look for both diagrams, matching the page's sans-serif text (Graphviz's default is
#: Times): the first family the renderer finds wins, sans-serif whatever the machine has.
FONT = {"fontname": "Helvetica,Arial,sans-serif", "fontsize": "14"}


def _layers(net: torch.nn.Module) -> list[tuple[torch.nn.Linear, str]]:
    """Split the net into (Linear, activation name) pairs, or say why it cannot be drawn."""
    if not isinstance(net, torch.nn.Sequential):
        raise ConfigError(f"can only draw a torch.nn.Sequential, got {type(net).__name__}")
    modules = list(net)
    if not any(isinstance(m, torch.nn.Linear) for m in modules):
        raise ConfigError("can only draw a net with a Linear layer; this one has none")
    names = ", ".join(type(m).__name__ for m in modules)
    if len(modules) % 2 != 0:
        raise ConfigError(f"can only draw Linear -> activation pairs, got ({names})")
    layers = []
    for linear, activation in zip(modules[::2], modules[1::2], strict=True):
        if not (
            isinstance(linear, torch.nn.Linear)
            and type(activation).__module__ == _ACTIVATION_MODULE
        ):
            raise ConfigError(f"can only draw Linear -> activation pairs, got ({names})")
        layers.append((linear, type(activation).__name__))
    return layers


def _digraph() -> graphviz.Digraph:
    """An empty left-to-right graph, as the lecture draws it, in the one font and size both
    diagrams share (so they appear at one scale side by side)."""
    graph = graphviz.Digraph("G", graph_attr=FONT, node_attr=FONT, edge_attr=FONT)
    graph.attr(rankdir="LR")
    return graph


@contextmanager
def _cluster(graph: graphviz.Digraph, layer: int, label: str) -> Iterator[graphviz.Digraph]:
    """A lightgrey box for one layer (Graphviz draws only subgraphs named cluster_* as boxes)."""
    with graph.subgraph(name=f"cluster_{layer + 1}") as cluster:
        cluster.attr(style="filled", color="lightgrey", label=label)
        yield cluster


def _input_layer(graph: graphviz.Digraph) -> None:
    """Layer 0: the input X, drawn as one node (the design matrix) as in the lecture."""
    with _cluster(graph, 0, "Layer 0") as cluster:
        cluster.node("X")


def _bias_label(net_layers: int, layer: int, linear: torch.nn.Linear) -> str:
    """The bias node's text: the lecture's one-unit net calls its bias w0 (and W holds w1)."""
    if net_layers == 1 and linear.in_features == 1 and linear.out_features == 1:
        return "b = w0"
    return "b" if net_layers == 1 else f"b{layer}"


def diagram_detailed(net: torch.nn.Module) -> graphviz.Digraph:
    """The lecture's detailed diagram, one step per module, with the bias drawn as its own
    input: X -> X@W + b -> Sigmoid(X@W + b)=yhat, b (the intercept w0) joining at the sum.
    A Linear layer without a bias gets no bias node: X -> X@W -> Sigmoid(X@W)=yhat.

    Parameters
    ----------
    net : torch.nn.Module
        A Sequential of Linear layers, each followed by its activation (lecture_net's).

    Returns
    -------
    graphviz.Digraph
        The diagram, not rendered (write_diagram writes it).
    """
    layers = _layers(net)
    graph = _digraph()
    _input_layer(graph)
    previous = "X"
    for i, (linear, activation) in enumerate(layers, start=1):
        weight = "W" if len(layers) == 1 else f"W{i}"
        bias = "b" if len(layers) == 1 else f"b{i}"
        product = f"{previous}@{weight}"
        if linear.bias is not None:
            product += f" + {bias}"
        output = f"{activation}({product})"
        if i == len(layers):
            output += "=yhat"
        with _cluster(graph, i, f"Layer {i}") as cluster:
            cluster.edge(previous, product, label=f"@{weight}")
            if linear.bias is not None:
                cluster.node(bias, _bias_label(len(layers), i, linear), shape="box",
                             style="rounded,filled", fillcolor="white")  # fmt: skip
                cluster.edge(bias, product, label=f"+{bias}", constraint="false")
            cluster.edge(product, output, label=activation)
        previous = output
    return graph


def diagram_compact(net: torch.nn.Module) -> graphviz.Digraph:
    """The lecture's compact diagram: one node per output unit, the activation in the title.

    Parameters
    ----------
    net : torch.nn.Module
        The net to draw: Linear layers each followed by an activation.

    Returns
    -------
    graphviz.Digraph
        Its source; write_diagram renders it.
    """
    layers = _layers(net)
    graph = _digraph()
    _input_layer(graph)
    previous = ["X"]
    for i, (linear, activation) in enumerate(layers, start=1):
        last = i == len(layers)
        units = range(1, linear.out_features + 1)
        if last:
            suffix = "=yhat" if linear.out_features == 1 else "=yhat{}"
            nodes = [f"node{j}" + suffix.format(j) for j in units]
        else:
            nodes = [f"h{i}_{j}" for j in units]
        with _cluster(graph, i, f"Layer {i}: {activation}") as cluster:
            for tail in previous:
                for head in nodes:
                    cluster.edge(tail, head)
        previous = nodes
    return graph
