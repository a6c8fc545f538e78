"""Self-contained HTML pages from the Jinja2 templates in report/templates: images embedded as
data URIs, no external links, every value escaped by the templates (autoescape)."""

from __future__ import annotations

import base64
import functools
import io
import re
from pathlib import Path

import jinja2
from markupsafe import Markup
from matplotlib.figure import Figure


def png_data_uri(source: Figure | Path) -> str:
    """A data: URI for a Matplotlib Figure (rendered to PNG) or an existing PNG file."""
    if isinstance(source, Figure):
        buffer = io.BytesIO()
        source.savefig(buffer, format="png", dpi=110)
        payload = buffer.getvalue()
    else:
        payload = Path(source).read_bytes()
    return "data:image/png;base64," + base64.b64encode(payload).decode("ascii")


def cell(value: object) -> object:
    """A table cell's value: floats with 4 decimals, anything else as it is."""
    return f"{value:.4f}" if isinstance(value, float) else value


def percent(share: float) -> str:
    """A share as a percentage with one decimal: 0.9234 -> '92.3%'."""
    return f"{100 * share:.1f}%"


def verdict_words(convergence: dict) -> str:
    """A fit's convergence verdict (a Convergence record) with the numbers behind it."""
    sign = "≤" if convergence["grad_norm"] <= convergence["tol"] else ">"
    return (
        f"{convergence['verdict']} (|gradient| {convergence['grad_norm']:.2g} {sign} "
        f"tol {convergence['tol']:.2g})"
    )


def slug(text: str) -> str:
    """An id for a heading: lower case letters and digits joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


class Contents:
    """A page's sections in order: each heading gets an id unique on the page, and the table
    of contents is built from the headings given (not read back from the HTML)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def heading(self, text: str) -> Markup:
        """The <h2> of a section titled `text` (plain text), recorded for the contents."""
        name = base = slug(text)
        taken, k = {entry[0] for entry in self.entries}, 1
        while name in taken:
            k += 1
            name = f"{base}-{k}"
        self.entries.append((name, text))
        return Markup('<h2 id="{}">{}</h2>').format(name, text)


@functools.cache
def environment() -> jinja2.Environment:
    """The templates shipped in report/templates, escaping every value put into HTML."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("logitlab.report"),
        autoescape=jinja2.select_autoescape(),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        lstrip_blocks=True,
    )
    env.globals["data_uri"] = png_data_uri
    env.filters["cell"] = cell
    env.filters["fmt"] = format
    env.filters["percent"] = percent
    return env


def fragment(template: str, **context: object) -> Markup:
    """A part of a page (no sections of its own), rendered from `template`."""
    return Markup(environment().get_template(template).render(**context))


def page(title: str, template: str, **context: object) -> str:
    """A whole HTML document from `template` (which calls `section(title)` for each <h2>),
    readable on a phone as on a projector, with a table of contents when it has two sections
    or more."""
    env, contents = environment(), Contents()
    body = env.get_template(template).render(section=contents.heading, **context)
    return env.get_template("page.html").render(
        title=title, contents=contents.entries, body=Markup(body)
    )
