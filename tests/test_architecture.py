"""The package's shape: imports flow one way down the data flow of DESIGN.md, with no circles.

Every import statement counts, including those inside functions (lazy imports) and under
TYPE_CHECKING: a circle that only closes at run time is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import logitlab

ROOT = Path(logitlab.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The package's modules that `name` imports, resolved to module names."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from .pkg import mod` imports the submodule pkg.mod when there is one
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]  # fmt: skip
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_graph_sees_the_lazy_imports():
    # a check that could fail: these edges exist only inside functions
    assert "logitlab.engines.batch" in GRAPH["logitlab.engines"]
    assert "logitlab.records" in GRAPH["logitlab.report.writers"]


def test_no_two_modules_import_each_other():
    circles = sorted(name for name in MODULES if name in reachable(name))
    assert circles == [], f"modules on an import circle: {circles}"


def test_result_types_import_nothing_of_the_package():
    assert GRAPH["logitlab.result"] == set()


def test_train_is_the_loop_alone():
    assert GRAPH["logitlab.train"] <= {"logitlab.model", "logitlab.losses"}


#: layer -> the layers it must never reach (DESIGN.md: nothing below reaches back up)
FORBIDDEN = {
    "core": ("studies", "viz", "report", "cli", "records"),
    "stats": ("studies", "viz", "report", "cli", "records"),
    "engines": ("studies", "viz", "report", "cli", "records", "stats"),
    "studies": ("viz", "report", "cli", "records"),
    "viz": ("report", "cli", "records"),
    "report": ("cli",),
}
CORE = {"config", "errors", "result", "model", "losses", "train", "data"}


def layer(name: str) -> str:
    part = name.split(".")[1] if "." in name else ""
    return "core" if part in CORE else part


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_flow_down(name):
    banned = FORBIDDEN.get(layer(name), ())
    bad = sorted(m for m in reachable(name) if layer(m) in banned)
    assert bad == [], f"{name} reaches up to {bad}"
