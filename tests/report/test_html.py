"""The page kit: a viewport for small screens, a table of contents built from the sections,
every value escaped, nothing from outside."""

import jinja2
import pytest

from logitlab.report import html as htmlpage


@pytest.fixture
def templates(monkeypatch):
    """The kit's environment with extra page templates beside the shipped ones."""

    def use(**pages):
        env = htmlpage.environment()
        loader = jinja2.ChoiceLoader([jinja2.DictLoader(pages), env.loader])
        monkeypatch.setattr(env, "loader", loader)
        env.cache.clear()  # templates are cached by name

    yield use
    htmlpage.environment().cache.clear()


def test_page_has_a_viewport_and_contents_linking_each_section(templates):
    templates(
        **{"t.html": '{{ section("1. One") }}<p>a</p>{{ section(two) }}<p>b</p>{{ section(two) }}'}
    )
    page = htmlpage.page("T", "t.html", two="2. Two & more")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<h2 id="1-one">1. One</h2>' in page
    assert '<h2 id="2-two-more">2. Two &amp; more</h2>' in page
    assert '<h2 id="2-two-more-2">' in page  # ids stay unique
    assert '<a href="#1-one">1. One</a>' in page and '<a href="#2-two-more-2">' in page
    assert page.index("<nav") < page.index('<h2 id="1-one">')
    assert "http" not in page


def test_a_page_with_one_section_or_none_has_no_contents(templates):
    templates(**{"one.html": '{{ section("Only") }}<p>x</p>', "none.html": "<p>x</p>"})
    assert "<nav" not in htmlpage.page("T", "one.html")
    assert "<nav" not in htmlpage.page("T", "none.html")


def test_values_are_escaped_and_the_title_too(templates):
    templates(**{"v.html": "<p>{{ value }}</p>"})
    page = htmlpage.page("a < b", "v.html", value='<script>alert("x")</script>')
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<title>a &lt; b</title>" in page and "<h1>a &lt; b</h1>" in page


def test_tables_scroll_on_narrow_screens(templates):
    templates(**{"t.html": '{% from "kit.html" import table %}{{ table(["", "a"], rows) }}'})
    table = str(htmlpage.fragment("t.html", rows=[["x", 1.0], ["<y>", 2]]))
    assert table.startswith('<div class="table"><table>') and "<td>1.0000</td>" in table
    assert "<td>&lt;y&gt;</td><td>2</td>" in table


def test_contents_give_each_heading_a_unique_id():
    contents = htmlpage.Contents()
    assert contents.heading("A & B") == '<h2 id="a-b">A &amp; B</h2>'
    assert contents.heading("a b") == '<h2 id="a-b-2">a b</h2>'
    assert contents.heading("!!") == '<h2 id="section">!!</h2>'
    assert contents.entries == [("a-b", "A & B"), ("a-b-2", "a b"), ("section", "!!")]


def test_percent_has_one_decimal():
    assert htmlpage.percent(0.92345) == "92.3%" and htmlpage.percent(1.0) == "100.0%"


def test_the_templates_ship_with_the_package():
    names = htmlpage.environment().list_templates()
    for page in ("page", "kit", "lecture", "why", "fit", "digits", "optimizers", "montecarlo"):
        assert f"{page}.html" in names


def test_verdict_words_give_the_gradient_against_the_tolerance():
    record = {"verdict": "converged", "grad_norm": 2e-8, "tol": 1e-4}
    assert htmlpage.verdict_words(record) == "converged (|gradient| 2e-08 ≤ tol 0.0001)"
    record = {"verdict": "not converged", "grad_norm": 0.5, "tol": 1e-4}
    assert htmlpage.verdict_words(record) == "not converged (|gradient| 0.5 > tol 0.0001)"
