"""Output folders that appear whole or not at all, and never replace a user's files unasked."""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    import graphviz
    from matplotlib.figure import Figure

_NO_DOT = (
    "the Graphviz 'dot' program is not installed; install Graphviz "
    "(Debian/Ubuntu: apt-get install graphviz)"
)


def check_out_dir(path: str | Path, force: bool) -> Path:
    """Validate an output folder before any work: not a file; empty unless force."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"output folder {path} is an existing file; give a folder path")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise ConfigError(
            f"output folder {path} exists and is not empty; choose another or allow "
            "replacing it (force)"
        )
    return path


@contextmanager
def staged_dir(path: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; move it into place only if the block succeeds.

    An interrupted or failed run leaves nothing behind; with force an existing folder is
    replaced only at the very end, after the new one is complete.
    """
    path = check_out_dir(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    stage.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the result is an ordinary folder
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if path.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        path.rename(retired / path.name)
        stage.rename(path)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        stage.rename(path)


def _umask() -> int:
    """The process umask (reading it means setting it, so set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_figure(fig: Figure, path: Path, dpi: int = 120) -> Path:
    """Save a Figure as PNG (or by the suffix of path) and return the path."""
    fig.savefig(path, dpi=dpi)
    return path


def write_diagram(graph: graphviz.Digraph, path_without_suffix: Path) -> tuple[Path, Path]:
    """Write <name>.dot (the source, to edit or re-render) and <name>.svg (to view).

    Rendering goes through `pipe`, so graphviz leaves no stray files beside them.
    """
    import graphviz

    path = Path(path_without_suffix)
    dot_path = path.with_name(path.name + ".dot")
    svg_path = path.with_name(path.name + ".svg")
    try:
        svg = graph.pipe(format="svg")
    except graphviz.ExecutableNotFound:
        raise ConfigError(_NO_DOT) from None
    dot_path.write_text(graph.source)
    svg_path.write_bytes(svg)
    return dot_path, svg_path


def require_dot() -> None:
    """Fail early, before any training, when diagrams could not be rendered."""
    if shutil.which("dot") is None:
        raise ConfigError(_NO_DOT)


def write_csv(rows: list[dict], path: Path) -> Path:
    """Write dicts sharing the same keys as a CSV table with a header; return the path."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(record: dict, path: Path) -> Path:
    """Write a record as indented, strict JSON (no NaN tokens); return the path."""
    from ..records import json_safe  # records imports every study: only when writing

    path.write_text(json.dumps(json_safe(record), indent=2, allow_nan=False) + "\n")
    return path
