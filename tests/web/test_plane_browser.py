"""The 2-D view in a real browser (Debian's chromium via Playwright): opened from its tab by
mouse or keyboard, it draws the library's fit as a probability surface (each side of the drawn
decision line is the library's), its sentence follows the server's numbers when x1·x2 is
ticked on XOR, its settings live in the URL, and it works at a phone's width. Screenshots:
out/artifacts/playground-2d.png (1,400 px) and playground-2d-phone.png (390 px)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np

from logitlab.config import TrainConfig
from logitlab.model import probabilities
from logitlab.studies.playground import PlaneSettings, plane_design, run_plane, trajectory_stride

from .conftest import Playground
from .test_browser import CONTRAST_JS

#: The 2-D fit on screen is the state's, and nothing is pending.
SETTLED = "playground.plane && playground.plane.fresh() && !playground.plane.busy"


def library_run(tab: Playground):
    """run_plane of the settings the page shows."""
    state = tab.js("playground.plane.state")
    data, train = state["data"], state["train"]
    cfg = TrainConfig(loss=train["loss"], lr=train["lr"], epochs=train["epochs"],
                      optimizer=train["optimizer"])  # fmt: skip
    every = trajectory_stride(train["epochs"], state["frames"])
    return run_plane(PlaneSettings(data["shape"], data["n"], data["seed"],
                                   tuple(state["features"]), cfg, every))  # fmt: skip


def surface_sides(tab: Playground, run) -> tuple[list[str], list[str]]:
    """Where the library's fit is sure (p < 0.3 or p > 0.7) on a grid over the plot: the
    class each such spot has, and the class whose colour the page's surface (its image of a
    pixel per cell, under the points) has there."""
    frame = tab.js("(({xlim, ylim}) => ({xlim, ylim}))(playground.plane.frame)")
    (x0, x1), (y0, y1) = frame["xlim"], frame["ylim"]
    grid = np.linspace(0.1, 0.9, 9)
    spots = np.array([(x0 + a * (x1 - x0), y0 + b * (y1 - y0)) for a in grid for b in grid])
    p = probabilities(run.fit.params, plane_design(spots, run.settings.features))
    sure = (p < 0.3) | (p > 0.7)
    painted = tab.js(f"""(() => {{
        const f = playground.plane.frame, cells = playground.plane.cells;
        const ctx = cells.getContext('2d');
        const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
        const classes = ['class0', 'class1'].map((k) => rgb(playground.config.colors[k]));
        return {spots[sure].tolist()}.map(([x, y]) => {{
          const col = Math.floor((x - f.xlim[0]) / (f.xlim[1] - f.xlim[0]) * cells.width);
          const row = Math.floor((f.ylim[1] - y) / (f.ylim[1] - f.ylim[0]) * cells.height);
          const px = ctx.getImageData(col, row, 1, 1).data;
          // the class whose colour the cell leans to, from white
          const lean = classes.map((c) => c.reduce((s, v, i) => s + (255 - px[i]) * (255 - v), 0));
          return lean[1] > lean[0] ? 'class1' : 'class0';
        }});
    }})()""")
    return [f"class{int(q > 0.5)}" for q in p[sure]], painted


def test_xor_with_a_cross_term_bends_the_boundary_as_the_library_fits_it(playground, artifacts):
    tab = playground.open()
    assert tab.js("document.getElementById('view-plane').hidden") is True  # 1-D is the default
    tab.page.click("#tab-plane")
    tab.wait(SETTLED)
    assert tab.js("document.getElementById('view-line').hidden") is True
    assert tab.js("playground.plane.answer.shape") != "xor"
    tab.page.select_option("#plane-shape", "xor")
    tab.wait(SETTLED + " && playground.plane.answer.shape === 'xor'")
    line = library_run(tab)
    flat = tab.js("document.getElementById('plane-chart').toDataURL()")
    assert tab.js("document.getElementById('plane-sentence').hidden") is True
    assert tab.text("#plane-accuracy-value") == f"{100 * line.accuracy[-1]:.1f}%"
    drawn = tab.js("playground.plane.draws.length")
    tab.page.check("#plane-in-x1x2")
    tab.wait(SETTLED + " && playground.plane.answer.features.includes('x1x2')")
    since = tab.js(f"playground.plane.draws.slice({drawn})")  # no surface until the fit comes
    assert not since[0]["fresh"] and since[0]["points"] and since[-1]["fresh"]
    cross = library_run(tab)
    assert cross.settings.features == ("x1", "x2", "x1x2")
    assert tab.text("#plane-sentence") == cross.sentence
    assert cross.sentence.startswith("The classes of XOR are not separable by a line: x1, x2 "
                                     f"alone reach {line.accuracy[-1]:.0%} accuracy")  # fmt: skip
    assert cross.accuracy[-1] > 0.95 > 0.6 > line.accuracy[-1]
    assert tab.text("#plane-accuracy-value") == f"{100 * cross.accuracy[-1]:.1f}%"
    assert tab.js("document.getElementById('plane-chart').toDataURL()") != flat
    shown = tab.js("[...document.querySelectorAll('#plane-params tr td:first-of-type')]"
                   ".map((td) => td.textContent)")  # fmt: skip
    assert shown == [f"{v:.3f}" for v in cross.fit.params]
    truth, painted = surface_sides(tab, cross)
    assert len(truth) > 20 and painted == truth
    query = parse_qs(urlsplit(tab.page.url).query)
    assert query["view"] == ["plane"] and query["shape"] == ["xor"]
    assert query["inputs"] == ["x1,x2,x1x2"]
    assert tab.errors == []
    tab.page.screenshot(path=artifacts / "playground-2d.png", full_page=True)


def test_a_link_reopens_the_2d_view_and_play_moves_the_surface(playground):
    query = "?view=plane&shape=circles&inputs=x1sq,x2sq&plr=0.3&pepochs=600&pseed=5"
    tab = playground.open(query)
    tab.wait(SETTLED)
    state = tab.js("playground.plane.state")
    assert state["data"] == {"shape": "circles", "n": 400, "seed": 5}
    assert state["features"] == ["x1sq", "x2sq"] and state["train"]["lr"] == 0.3
    run = library_run(tab)
    assert tab.text("#plane-sentence") == run.sentence != ""
    truth, painted = surface_sides(tab, run)
    assert len(truth) > 20 and painted == truth
    assert tab.js("document.getElementById('plane-link').href") == tab.page.url
    assert tab.js(CONTRAST_JS) == []  # WCAG AA for the view's text, as for the lecture's
    last = tab.js("document.getElementById('plane-chart').toDataURL()")
    tab.page.click("#plane-reset")
    assert tab.text("#plane-epoch").startswith("0 of 600")
    first = tab.js("document.getElementById('plane-chart').toDataURL()")
    tab.page.click("#plane-play")
    tab.wait("document.getElementById('plane-epoch').textContent.startsWith('600 of')")
    assert tab.js("document.getElementById('plane-chart').toDataURL()") == last != first
    assert len({d["frame"] for d in tab.js("playground.plane.draws")}) >= 5
    tab.page.goto(tab.page.url)  # the address it wrote opens the same view
    tab.wait(SETTLED)
    assert tab.js("playground.plane.state") == state
    assert tab.errors == []


def test_a_bad_link_and_a_bad_value_are_said_in_one_line(playground):
    tab = playground.open("?view=plane&shape=moons&inputs=x1,x9")
    tab.wait(SETTLED)
    alert = tab.text("#alert-text")
    assert "shape=moons is not one of blobs, xor, circles, noise" in alert
    assert "inputs=x1,x9 must name some of" in alert
    tab.page.fill("#plane-n", "5000")
    tab.page.press("#plane-n", "Enter")
    tab.wait("!playground.plane.busy")
    tab.wait("document.getElementById('alert-text').textContent.includes('n must be')")
    assert tab.text("#alert-text") == "n must be an integer from 4 to 1000, got 5000"
    assert tab.text("#plane-status").startswith("No fit is shown")
    assert tab.js("playground.plane.fresh()") is False
    tab.page.fill("#plane-n", "400")  # back to the settings whose fit the page holds
    tab.page.press("#plane-n", "Enter")
    tab.wait(SETTLED)
    assert tab.text("#plane-status").startswith("2,000 epochs of BCE on 400 points")
    assert tab.text("#plane-accuracy-value").endswith("%")


def test_the_2d_view_works_by_keyboard_at_a_phones_width(phone, artifacts):
    tab = phone.open()
    tab.page.focus("#tab-line")
    tab.page.keyboard.press("ArrowRight")
    tab.wait(SETTLED)
    assert tab.js("document.activeElement.id") == "tab-plane"
    assert tab.js("document.getElementById('tab-plane').getAttribute('aria-selected')") == "true"
    tab.page.focus("#plane-in-x1sq")
    tab.page.keyboard.press("Space")
    tab.wait(SETTLED + " && playground.plane.answer.features.includes('x1sq')")
    width = tab.js("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    box = tab.page.locator("#plane-chart").bounding_box()
    assert 300 <= box["width"] <= 390 and abs(box["width"] - box["height"]) < 2
    tab.page.keyboard.press("Shift+Tab")
    assert tab.js("document.activeElement.id") == "plane-in-x2"
    assert tab.errors == []
    tab.page.screenshot(path=artifacts / "playground-2d-phone.png", full_page=True)
