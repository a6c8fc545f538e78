"""The 2-D view in a real browser (Debian's chromium via Playwright): opened from its tab by
mouse or keyboard, it draws the library's fit as a probability surface (each side of the drawn
decision line is the library's), its sentence follows the server's numbers when x1·x2 is
ticked on XOR, its L2 slider draws the penalized fit's decision line dashed (each side of it
the penalized fit's prediction), its settings live in the URL, and it works at a phone's
width. Screenshots:
out/artifacts/playground-2d.png (1,400 px) and playground-2d-phone.png (390 px)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np

from logitlab.config import TrainConfig
from logitlab.model import probabilities
from logitlab.studies.playground import (
    LINE,
    PlaneSettings,
    plane_design,
    run_plane,
    trajectory_stride,
)

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
                                   tuple(state["features"]), cfg, every, state["lam"]))  # fmt: skip


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


#: The dashed line's vertices, the plot's pixels of a 9 x 9 grid in data coordinates, and the
#: chart's colour under each vertex (device pixels) as its darkness from 0 to 255.
L2_DRAWING_JS = """(() => {
  const plane = playground.plane, f = plane.frame, path = plane.l2Path;
  const canvas = document.getElementById('plane-chart');
  const dpr = canvas.width / canvas.clientWidth, ctx = canvas.getContext('2d');
  const data = ([px, py]) => [f.xlim[0] + (px - f.m.l) / f.pw * (f.xlim[1] - f.xlim[0]),
                              f.ylim[1] - (py - f.m.t) / f.ph * (f.ylim[1] - f.ylim[0])];
  const spots = [];
  for (let a = 1; a < 10; a++) for (let b = 1; b < 10; b++)
    spots.push([f.m.l + a / 10 * f.pw, f.m.t + b / 10 * f.ph]);
  const dark = path.map(([x, y]) => {
    const px = ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
    return 255 - Math.min(px[0], px[1], px[2]);
  });
  return { path, vertices: path.map(data), spots, spotData: spots.map(data), dark };
})()"""


def test_the_l2_slider_draws_the_penalized_fits_line_dashed(playground, artifacts):
    tab = playground.open("?view=plane&shape=noise")
    tab.wait(SETTLED)
    assert tab.text("#plane-lam-value") == "off" and tab.text("#plane-ref-head") == "MLE ± SE"
    assert tab.js("playground.plane.l2Path") is None
    assert tab.js("document.getElementById('plane-l2-legend').hidden") is True
    assert "plam" not in parse_qs(urlsplit(tab.page.url).query)
    off = tab.js("document.getElementById('plane-chart').toDataURL()")
    tab.page.focus("#plane-lam")  # by keyboard: End is the right end, lambda = 1
    tab.page.keyboard.press("End")
    tab.wait(SETTLED + " && playground.plane.answer.l2 !== null")
    assert parse_qs(urlsplit(tab.page.url).query)["plam"] == ["1"]
    run = library_run(tab)
    assert run.settings.lam == 1.0 and run.l2 is not None
    assert tab.text("#plane-lam-value") == "1"
    assert tab.js("document.getElementById('plane-lam').getAttribute('aria-valuetext')") == "1"
    assert tab.text("#plane-ref-head") == "L2 fit, λ = 1"
    columns = tab.js("[...document.querySelectorAll('#plane-params tr')].map((tr) => "
                     "[...tr.querySelectorAll('td')].map((td) => td.textContent))")  # fmt: skip
    assert [row[0] for row in columns] == [f"{v:.3f}" for v in run.fit.params]  # unpenalized
    assert [row[1] for row in columns] == [f"{v:.3f}" for v in run.l2.params]
    assert tab.text("#plane-l2-sentence") == run.l2_sentence
    assert run.l2_sentence.startswith("λ = 1 shrinks the coefficients' size")
    assert tab.js("document.getElementById('plane-l2-legend').hidden") is False
    assert tab.js("document.getElementById('plane-chart').toDataURL()") != off
    drawn = tab.js(L2_DRAWING_JS)
    path, spots = np.array(drawn["path"]), np.array(drawn["spots"])
    assert len(path) > 20
    # on the line: the penalized fit's p at each vertex is 1/2 (within a cell's width)
    p_line = probabilities(run.l2.params, plane_design(np.array(drawn["vertices"]), LINE))
    np.testing.assert_allclose(p_line, 0.5, atol=0.02)
    # dashed: some vertices lie under a dash (dark), some in a gap (the surface's light tint)
    dark = np.array(drawn["dark"]) > 150
    assert 0.2 < dark.mean() < 0.9
    # x1, x2 draw a straight line: the side of it each sampled pixel is on is the class the
    # penalized fit predicts there
    start, direction = path[0], path[-1] - path[0]

    def across(points: np.ndarray) -> np.ndarray:
        """Signed pixels from the line through the path's ends (the 2-D cross product)."""
        rel = points - start
        return (direction[0] * rel[:, 1] - direction[1] * rel[:, 0]) / np.linalg.norm(direction)

    assert np.abs(across(path)).max() < 1
    side = across(spots)
    logit = run.l2.params[0] + plane_design(np.array(drawn["spotData"]), LINE) @ run.l2.params[1:]
    clear = np.abs(side) > 3  # pixels off the line
    agree = np.sign(side[clear]) == np.sign(logit[clear])
    assert clear.sum() > 60 and (agree.all() or not agree.any())
    assert 0 < (side[clear] > 0).sum() < clear.sum()  # pixels on both sides
    assert tab.errors == []
    tab.page.screenshot(path=artifacts / "playground-2d.png", full_page=True)
    tab.page.keyboard.press("Home")  # off again: the MLE's column and no dashed line
    tab.wait(SETTLED + " && playground.plane.answer.l2 === null")
    assert tab.text("#plane-ref-head") == "MLE ± SE" and tab.js("playground.plane.l2Path") is None
    assert tab.text("#plane-lam-value") == "off"
    assert "plam" not in parse_qs(urlsplit(tab.page.url).query)
    tab.page.goto(tab.page.url.replace("view=plane", "plam=0.01&view=plane"))  # a link's lambda
    tab.wait(SETTLED + " && playground.plane.answer.l2 !== null")
    assert tab.text("#plane-ref-head") == "L2 fit, λ = 0.01"
    assert tab.js("Number(document.getElementById('plane-lam').value)") == -2


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
    tab.page.focus("#plane-lam")
    tab.page.keyboard.press("End")  # the L2 fit's column must fit the phone too
    tab.wait(SETTLED + " && playground.plane.answer.l2 !== null")
    width = tab.js("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    assert tab.text("#plane-ref-head") == "L2 fit, λ = 1"
    assert tab.errors == []
    tab.page.screenshot(path=artifacts / "playground-2d-phone.png", full_page=True)
