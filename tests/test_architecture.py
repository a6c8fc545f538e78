"""The package's shape: imports flow one way down the data flow of DESIGN.md, with no circles,
every room in its layer, and a module's underscore names its own.

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


def resolved(name: str, node: ast.ImportFrom) -> str:
    """The module an ImportFrom reads from, relative imports resolved."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, *([base] if base else [])])
    return base


def imports_of(name: str) -> set[str]:
    """The package's modules that `name` imports, resolved to module names."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolved(name, node)
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
    # but display, when a notebook shows a result: a leaf, which imports nothing of it either
    assert GRAPH["logitlab.result"] <= {"logitlab.display"}
    assert GRAPH["logitlab.display"] == set()


def test_train_is_the_loop_alone():
    assert GRAPH["logitlab.train"] <= {"logitlab.model", "logitlab.losses"}


#: layer -> the layers it must never reach (DESIGN.md: nothing below reaches back up)
FORBIDDEN = {
    "core": ("studies", "viz", "report", "cli", "records", "web", "estimator"),
    "data": ("engines", "stats", "studies", "viz", "report", "cli", "records", "web", "estimator"),
    "budget": ("engines", "stats", "studies", "viz", "report", "cli", "records", "web",
               "estimator"),
    "engines": ("studies", "viz", "report", "cli", "records", "stats", "web", "estimator"),
    "stats": ("studies", "viz", "report", "cli", "records", "web", "estimator"),
    "studies": ("viz", "report", "cli", "records", "web", "estimator"),
    "viz": ("report", "cli", "records", "web", "estimator"),
    "records": ("viz", "report", "cli", "web", "estimator"),
    "report": ("cli", "web", "estimator"),
    "estimator": ("viz", "report", "cli", "records", "web"),
    "web": ("cli", "report", "estimator"),
}  # fmt: skip
CORE = {"config", "errors", "extras", "result", "model", "losses", "train", "stopping", "display"}
#: The rooms at the top, which may reach any other: the command line, and the package's
#: own entry points (its lazy public list, `python -m logitlab`).
TOP = {"cli", "", "__main__"}


def layer(name: str) -> str:
    part = name.split(".")[1] if "." in name else ""
    return "core" if part in CORE else part


def test_every_room_has_its_layer():
    unknown = sorted({layer(name) for name in MODULES} - set(FORBIDDEN) - TOP)
    assert unknown == [], f"rooms the architecture test does not know: {unknown}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_flow_down(name):
    banned = FORBIDDEN.get(layer(name), ())
    bad = sorted(m for m in reachable(name) if layer(m) in banned)
    assert bad == [], f"{name} reaches up to {bad}"


def test_only_the_command_line_imports_the_web_server():
    bad = sorted(
        f"{name} -> {m}"
        for name in MODULES
        if layer(name) not in ("web", "cli")
        for m in GRAPH[name]
        if layer(m) == "web"
    )
    assert bad == [], f"imports of web outside the command line: {bad}"


# --- a module's underscore names are its own -----------------------------------------------


def private(name: str) -> bool:
    """An underscore name that is not a dunder (__version__, __all__ are everyone's)."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def foreign_private_uses(name: str, tree: ast.AST) -> list[str]:
    """Where module `name` imports another module's underscore name (`from x import _y`), or
    reaches for one through a package module it imported (`x._y`, `from . import x`)."""
    modules: dict[str, str] = {}  # local name -> the package module it stands for
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = resolved(name, node)
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    modules[alias.asname or alias.name] = f"{base}.{alias.name}"
                elif base in MODULES and base != name and private(alias.name):
                    found.append(f"line {node.lineno}: from {base} import {alias.name}")
        elif isinstance(node, ast.Import):
            modules |= {a.asname: a.name for a in node.names if a.asname and a.name in MODULES}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and private(node.attr)
            and isinstance(node.value, ast.Name)
            and modules.get(node.value.id, name) != name
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_private_name_check_sees_both_forms():
    # checks that could fail: one module of each form, and a module's own names are fine
    source = """
from . import design as design_module
from .checks import _plain, check_kind
from .shards import __all__
design_module._parse("y ~ x")
_own()
"""
    found = foreign_private_uses("logitlab.data.shards", ast.parse(source))
    assert found == ["line 3: from logitlab.data.checks import _plain",
                     "line 5: design_module._parse"]  # fmt: skip


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_uses_another_modules_underscore_names(name):
    found = foreign_private_uses(name, ast.parse(MODULES[name].read_text()))
    assert found == [], f"{name} uses another module's underscore names: {found}"
