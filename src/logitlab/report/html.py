"""Self-contained HTML pages: images embedded as data URIs, no external links."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #222; }
h1, h2 { line-height: 1.2; } img, svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .7rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
code, pre { background: #f4f4f4; padding: .1rem .3rem; } pre { overflow-x: auto; }
figure { margin: 1.5rem 0; } figcaption { color: #555; font-size: .9rem; }
.table { overflow-x: auto; } nav ul { columns: 2; }
"""


def png_data_uri(source: Figure | Path) -> str:
    """A data: URI for a Matplotlib Figure (rendered to PNG) or an existing PNG file."""
    if isinstance(source, Figure):
        buffer = io.BytesIO()
        source.savefig(buffer, format="png", dpi=110)
        payload = buffer.getvalue()
    else:
        payload = Path(source).read_bytes()
    return "data:image/png;base64," + base64.b64encode(payload).decode("ascii")


def figure(source: Figure | Path, caption: str) -> str:
    """An embedded image with a caption."""
    alt = html.escape(caption, quote=True)
    return (
        f'<figure><img src="{png_data_uri(source)}" alt="{alt}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table; floats shown with 4 decimals."""

    def cell(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, float) else html.escape(str(value))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return (
        f'<div class="table"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def slug(text: str) -> str:
    """An id for a heading: lower case letters and digits joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def with_contents(body: str) -> str:
    """`body` with an id on every <h2> and, when there are two or more, a table of contents
    linking to them (links within the page: it stays self-contained)."""
    entries: list[tuple[str, str]] = []

    def anchor(match: re.Match[str]) -> str:
        text = re.sub(r"<[^>]+>", "", match.group(1))
        name = base = slug(html.unescape(text))
        taken, k = {e[0] for e in entries}, 1
        while name in taken:
            k += 1
            name = f"{base}-{k}"
        entries.append((name, text))
        return f'<h2 id="{name}">{match.group(1)}</h2>'

    body = re.sub(r"<h2>(.*?)</h2>", anchor, body, flags=re.S)
    if len(entries) < 2:
        return body
    items = "".join(f'<li><a href="#{name}">{text}</a></li>' for name, text in entries)
    return f'<nav aria-label="Contents"><strong>Contents</strong><ul>{items}</ul></nav>\n{body}'


def page(title: str, body: str) -> str:
    """A whole HTML document around `body` (already HTML), readable on a phone as on a
    projector, with a table of contents when it has sections."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{with_contents(body)}\n</body></html>\n"
    )
