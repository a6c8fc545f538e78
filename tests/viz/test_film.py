"""The film's title hook: the clock of every frame says what the film shows, and the title
fits inside the frame."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.studies.animation import make_scene
from logitlab.viz.film import render, stage

TITLE = "Adam from (-10, -1), learning rate 0.05"


@pytest.fixture(scope="module")
def scene():
    return make_scene(simulate(n=200), [-1.0, 5.0], TrainConfig(epochs=40), grid_size=9)


def test_the_clock_says_the_title_before_the_epoch(scene):
    built = stage(scene, title=TITLE)
    assert built.clock.get_text() == f"{TITLE}: epoch 40 of 40"
    assert built.clock_text(3) == f"{TITLE}: epoch 3 of 40"
    assert stage(scene).clock.get_text() == "epoch 40 of 40"


def test_the_titled_clock_stays_inside_the_frame(scene):
    built = stage(scene, title=TITLE)
    canvas = FigureCanvasAgg(built.fig)
    canvas.draw()
    box = built.clock.get_window_extent(canvas.get_renderer())
    frame = built.fig.bbox
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and box.y1 <= frame.y1


def test_a_title_changes_only_the_top_of_the_frames(scene):
    plain = next(render(scene, np.array([10])))
    titled = next(render(scene, np.array([10]), title=TITLE))
    rows = np.flatnonzero((plain != titled).any(axis=(1, 2)))
    assert rows.size and rows.max() < plain.shape[0] * 0.1  # the suptitle's band only
