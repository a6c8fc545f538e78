"""What goes into an output folder: CSV tables, strict JSON, figures and diagrams.

Where it goes, and that it appears whole or not at all, is report.staging's job.
"""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .staging import staged_file

if TYPE_CHECKING:
    import graphviz
    import numpy as np
    import pandas
    from matplotlib.figure import Figure

#: Rows of write_columns formatted per join (bounds the texts held at once).
CSV_BLOCK = 1 << 16
#: Lists of more numbers than this are written by write_json in one join.
JSON_BULK = 1000

_NO_DOT = (
    "the Graphviz 'dot' program is not installed; install Graphviz "
    "(Debian/Ubuntu: apt-get install graphviz)"
)


def write_csv(rows: list[dict], path: Path) -> Path:
    """Write dicts sharing the same keys as a CSV table with a header; return the path."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_columns(columns: Mapping[str, np.ndarray], path: Path) -> Path:
    """Write equal-length arrays of numbers or booleans as a CSV table with a header: the
    bytes csv.writer writes for their Python values (str of each, '\\r\\n' line ends), joined
    a block of rows at a time, since csv.DictWriter spends seconds a million rows."""
    arrays = list(columns.values())
    with path.open("w", newline="") as handle:
        handle.write(",".join(columns) + "\r\n")
        for start in range(0, len(arrays[0]) if arrays else 0, CSV_BLOCK):
            cells = [map(str, array[start : start + CSV_BLOCK].tolist()) for array in arrays]
            handle.write("\r\n".join(map(",".join, zip(*cells, strict=True))) + "\r\n")
    return path


def write_json(record: dict, path: Path) -> Path:
    """Write a record as indented, strict JSON (no NaN tokens); return the path."""
    path.write_text(strict_json(record) + "\n")
    return path


def strict_json(record: object) -> str:
    """json.dumps(json_safe(record), indent=2, allow_nan=False), the same text, with each
    list of more than JSON_BULK numbers (a ROC curve of a million rows) formatted in one
    join: json's indented encoder is pure Python, microseconds a number."""
    from ..records import json_safe  # records imports every study: only when writing

    token, bulk = f"\x00{uuid.uuid4().hex}:", []

    def swapped(value: object) -> object:  # long lists of numbers out, a token in their place
        if isinstance(value, dict):
            return {key: swapped(item) for key, item in value.items()}
        if isinstance(value, list):
            if len(value) > JSON_BULK and set(map(type, value)) <= {float, type(None)}:
                bulk.append(value)
                return f"{token}{len(bulk) - 1}"
            return [swapped(item) for item in value]
        return value

    text = json.dumps(swapped(json_safe(record)), indent=2, allow_nan=False)
    if not bulk:
        return text
    marker, lines = json.dumps(token)[1:-1], text.split("\n")
    for k, line in enumerate(lines):
        if (at := line.find(marker)) >= 0:
            end = line.index('"', at)
            pad = " " * (len(line) - len(line.lstrip(" ")))
            numbers = bulk[int(line[at + len(marker) : end])]
            texts = (map(float.__repr__, numbers) if None not in numbers
                     else ("null" if v is None else repr(v) for v in numbers))  # fmt: skip
            items = f",\n{pad}  ".join(texts)
            lines[k] = f"{line[: at - 1]}[\n{pad}  {items}\n{pad}]{line[end + 1 :]}"
    return "\n".join(lines)


def write_csv_pieces(pieces: Iterable[pandas.DataFrame], path: Path) -> int:
    """Write a CSV table given in pieces (frames of the same columns, made one at a time so
    that memory holds one), the header from the first, lines ended as csv.writer ends them;
    return the rows written."""
    rows = 0
    with path.open("w", newline="") as handle:
        for piece in pieces:
            piece.to_csv(handle, header=rows == 0, index=False, lineterminator="\r\n")
            rows += len(piece)
    return rows


def write_file_atomically(
    pieces: Iterable[pandas.DataFrame],
    path: str | Path,
    *,
    force: bool,
    inputs: Sequence[str | Path],
) -> int:
    """write_csv_pieces to `path` whole or not at all (see staging.staged_file): a file
    appearing meanwhile is never replaced, and a failure or a stop part way (an error in
    a later piece, Ctrl-C) leaves nothing (OutputError, or the error itself). The rows."""
    with staged_file(path, force, inputs=inputs) as stage:
        return write_csv_pieces(pieces, stage)


def save_figure(fig: Figure, path: Path, formats: Sequence[str] = ("png",), dpi: int = 120) -> Path:
    """Save a Figure at path (a .png), and beside it in every other format asked for (the
    same name with .svg or .pdf, for slides); return the path."""
    fig.savefig(path, dpi=dpi)
    for extra in formats:
        if extra != path.suffix.lstrip("."):
            fig.savefig(path.with_suffix(f".{extra}"), dpi=dpi)
    return path


def names_in(folder: Path) -> list[str]:
    """The names of the files a writer put in its (fresh) folder, sorted."""
    return sorted(path.name for path in Path(folder).iterdir())


def write_diagram(graph: graphviz.Digraph, path_without_suffix: Path) -> tuple[Path, Path]:
    """Write <name>.dot (the source, to edit or re-render) and <name>.svg (to view).

    Rendering goes through `pipe`, so graphviz leaves no stray files beside them.

    Parameters
    ----------
    graph : graphviz.Digraph
        The diagram, as diagram_detailed or diagram_compact draws it.
    path_without_suffix : Path
        Where to write, without the suffixes .dot and .svg.

    Returns
    -------
    dot_path, svg_path : Path
        The two files written.

    Raises
    ------
    ConfigError
        When Graphviz's dot program is not installed.
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
