"""The page kit: a viewport for small screens, a table of contents, nothing from outside."""

from logitlab.report import html as htmlpage


def test_page_has_a_viewport_and_contents_linking_each_section():
    body = "<h2>1. One</h2><p>a</p><h2>2. Two &amp; more</h2><p>b</p><h2>2. Two &amp; more</h2>"
    page = htmlpage.page("T", body)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<h2 id="1-one">1. One</h2>' in page
    assert '<h2 id="2-two-more">2. Two &amp; more</h2>' in page
    assert '<h2 id="2-two-more-2">' in page  # ids stay unique
    assert '<a href="#1-one">1. One</a>' in page and '<a href="#2-two-more-2">' in page
    assert page.index("<nav") < page.index('<h2 id="1-one">')
    assert "http" not in page


def test_a_page_with_one_section_or_none_has_no_contents():
    assert "<nav" not in htmlpage.page("T", "<h2>Only</h2><p>x</p>")
    assert "<nav" not in htmlpage.page("T", "<p>x</p>")


def test_tables_scroll_on_narrow_screens():
    table = htmlpage.table(["", "a"], [["x", 1.0]])
    assert table.startswith('<div class="table"><table>') and "<td>1.0000</td>" in table
