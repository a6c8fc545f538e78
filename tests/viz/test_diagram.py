"""The diagrams are built from the net: structure, labels, rendering, and refusals."""

from __future__ import annotations

import re

import graphviz
import pytest
import torch

from logitlab.errors import ConfigError
from logitlab.model import lecture_net
from logitlab.report.writers import write_diagram
from logitlab.viz.diagram import diagram_compact, diagram_detailed


def clusters(graph: graphviz.Digraph) -> dict[str, str]:
    """{cluster label: body text} from the DOT source."""
    blocks = re.findall(r"subgraph (cluster_\d+) \{(.*?)\n\t\}", graph.source, flags=re.S)
    out = {}
    for _, body in blocks:
        label = re.search(r'label="([^"]*)"', body).group(1)
        assert "style=filled" in body and "color=lightgrey" in body
        out[label] = body
    return out


def edges(body: str) -> list[tuple[str, str, str | None]]:
    """(tail, head, label or None) for each edge line of a body."""
    pattern = r'^\s*("[^"]*"|\S+) -> ("[^"]*"|\S+)(?: \[label=("[^"]*"|\S+)[^\]]*\])?$'
    return [
        tuple(None if p is None else p.strip('"') for p in m.groups())
        for m in re.finditer(pattern, body, flags=re.M)
    ]


def test_detailed_matches_the_lecture() -> None:
    graph = diagram_detailed(lecture_net())
    assert "rankdir=LR" in graph.source
    layers = clusters(graph)
    assert list(layers) == ["Layer 0", "Layer 1"]
    assert re.search(r"^\s*X$", layers["Layer 0"], flags=re.M)
    assert edges(layers["Layer 0"]) == []
    assert edges(layers["Layer 1"]) == [
        ("X", "X@W + b", "@W"),
        ("b", "X@W + b", "+b"),
        ("X@W + b", "Sigmoid(X@W + b)=yhat", "Sigmoid"),
    ]


def test_detailed_shows_the_bias():
    """The lecture's X@W hid the intercept: w0 is the Linear layer's bias, drawn as a node."""
    layer = clusters(diagram_detailed(lecture_net()))["Layer 1"]
    assert re.search(r'^\s*b \[label="b = w0"', layer, flags=re.M)
    without = torch.nn.Sequential(torch.nn.Linear(1, 1, bias=False), torch.nn.Sigmoid())
    assert edges(clusters(diagram_detailed(without))["Layer 1"]) == [
        ("X", "X@W", "@W"),
        ("X@W", "Sigmoid(X@W)=yhat", "Sigmoid"),
    ]


@pytest.mark.parametrize("draw", [diagram_detailed, diagram_compact])
def test_both_diagrams_share_one_sans_serif_font_and_size(draw):
    source = draw(lecture_net()).source
    for kind in ("graph", "node", "edge"):
        assert f'{kind} [fontname="Helvetica,Arial,sans-serif" fontsize=14]' in source
    assert "Times" not in source


def test_compact_matches_the_lecture() -> None:
    graph = diagram_compact(lecture_net())
    assert "rankdir=LR" in graph.source
    layers = clusters(graph)
    assert list(layers) == ["Layer 0", "Layer 1: Sigmoid"]
    assert edges(layers["Layer 1: Sigmoid"]) == [("X", "node1=yhat", None)]


def test_diagrams_follow_the_net() -> None:
    """Another activation and two layers change the picture: it is read from the net."""
    net = torch.nn.Sequential(
        torch.nn.Linear(1, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1), torch.nn.Tanh()
    )
    detailed = clusters(diagram_detailed(net))
    assert list(detailed) == ["Layer 0", "Layer 1", "Layer 2"]
    assert edges(detailed["Layer 1"]) == [
        ("X", "X@W1 + b1", "@W1"),
        ("b1", "X@W1 + b1", "+b1"),
        ("X@W1 + b1", "ReLU(X@W1 + b1)", "ReLU"),
    ]
    assert edges(detailed["Layer 2"])[-1] == (
        "ReLU(X@W1 + b1)@W2 + b2",
        "Tanh(ReLU(X@W1 + b1)@W2 + b2)=yhat",
        "Tanh",
    )
    compact = clusters(diagram_compact(net))
    assert list(compact) == ["Layer 0", "Layer 1: ReLU", "Layer 2: Tanh"]
    assert edges(compact["Layer 1: ReLU"]) == [("X", "h1_1", None), ("X", "h1_2", None)]
    assert edges(compact["Layer 2: Tanh"]) == [
        ("h1_1", "node1=yhat", None),
        ("h1_2", "node1=yhat", None),
    ]


@pytest.mark.parametrize(
    "net",
    [
        torch.nn.Sequential(torch.nn.Sigmoid()),
        torch.nn.Sequential(torch.nn.Linear(1, 1)),
        torch.nn.Sequential(torch.nn.Sigmoid(), torch.nn.Linear(1, 1)),
        torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Dropout()),
        torch.nn.Linear(1, 1),
    ],
    ids=["no-linear", "no-activation", "wrong-order", "not-an-activation", "not-sequential"],
)
@pytest.mark.parametrize("draw", [diagram_detailed, diagram_compact])
def test_unsupported_nets_raise(net: torch.nn.Module, draw) -> None:
    with pytest.raises(ConfigError) as info:
        draw(net)
    assert "\n" not in str(info.value)


def test_write_diagram_renders_svg(tmp_path) -> None:
    graph = diagram_detailed(lecture_net())
    dot_path, svg_path = write_diagram(graph, tmp_path / "diagram-detailed")
    assert (dot_path, svg_path) == (
        tmp_path / "diagram-detailed.dot",
        tmp_path / "diagram-detailed.svg",
    )
    assert dot_path.read_text() == graph.source
    svg = svg_path.read_text()
    assert "<svg" in svg
    for text in ("Layer 0", "Layer 1", "X@W + b", "Sigmoid(X@W + b)=yhat", "@W", "b = w0"):
        assert f">{text}</text>" in svg
    assert "Times" not in svg and 'font-family="Helvetica,Arial,sans-serif"' in svg
    assert sorted(p.name for p in tmp_path.iterdir()) == [dot_path.name, svg_path.name]


def test_write_diagram_without_dot(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="apt-get install graphviz"):
        write_diagram(diagram_compact(lecture_net()), tmp_path / "d")
    assert list(tmp_path.iterdir()) == []
