"""The animation: frame schedule, GIF with the requested frame count, MP4, the command."""

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image

from logitlab import ConfigError
from logitlab.cli import main
from logitlab.config import AnimationConfig, TrainConfig
from logitlab.data import simulate
from logitlab.report.animation import write_animation
from logitlab.studies.animation import AnimationRun, make_scene
from logitlab.viz.film import frame_epochs


@pytest.mark.parametrize(("epochs", "frames"), [(10_000, 120), (10, 11), (5, 2), (300, 299)])
def test_frame_epochs_are_distinct_and_span_the_run(epochs, frames):
    chosen = frame_epochs(epochs, frames)
    assert len(chosen) == frames and chosen[0] == 0 and chosen[-1] == epochs
    assert np.all(np.diff(chosen) >= 1)


@pytest.mark.parametrize(("epochs", "frames"), [(10, 12), (10, 1), (10, 0)])
def test_impossible_frame_counts_are_refused(epochs, frames):
    with pytest.raises(ConfigError, match="frames"):
        AnimationConfig(train=TrainConfig(epochs=epochs), frames=frames)


@pytest.fixture(scope="module")
def small_scene():
    return make_scene(simulate(n=300), [-1.0, 5.0], TrainConfig(epochs=200), grid_size=15)


def test_gif_and_mp4_hold_the_requested_frames(small_scene, tmp_path):
    config = AnimationConfig(train=TrainConfig(epochs=200), frames=7, fps=5)
    film = write_animation(AnimationRun(config=config, scene=small_scene), tmp_path)
    assert film.names == ["fitting.gif", "fitting.mp4"]
    with Image.open(film.gif) as gif:
        assert gif.n_frames == 7
        assert gif.size == (720, 576)
        assert gif.info["duration"] == 200
    reader = imageio.get_reader(film.mp4)
    assert reader.count_frames() == 7
    assert reader.get_meta_data()["fps"] == pytest.approx(5)
    reader.close()
    assert 0 < film.render_seconds_per_frame <= film.seconds_per_frame


def test_frames_show_the_fit_moving(small_scene):
    from logitlab.viz.film import render

    first, last = list(render(small_scene, np.array([0, 200])))
    assert first.shape == (576, 720, 3) and first.dtype == np.uint8
    assert np.mean(first != last) > 0.001


def test_animate_command_writes_gif_with_n_frames(tmp_path, capsys):
    out = tmp_path / "film"
    code = main(
        [
            "animate",
            "--out",
            str(out),
            "--frames",
            "5",
            "--fps",
            "4",
            "--epochs",
            "50",
            "--n",
            "200",
            "--grid",
            "9",
            "--start",
            "12,-10",
            "--quiet",
        ]
    )
    assert code == 0
    with Image.open(out / "fitting.gif") as gif:
        assert gif.n_frames == 5
    assert (out / "fitting.mp4").stat().st_size > 0
    assert "s per frame" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frames", "1"], "frames must be an integer >= 2"),
        (["--frames", "60", "--epochs", "50"], "frames must be at most epochs + 1"),
        (["--fps", "0"], "fps must be a finite number > 0"),
        (["--start", "abc"], "start must be two numbers"),
        (["--start", "1,x"], "start w1 must be a finite number"),
        (["--grid", "2"], "grid size must be an integer >= 3"),
    ],
)
def test_animate_command_refuses_bad_input_in_one_line(tmp_path, refused, args, message):
    assert message in refused(["animate", "--out", str(tmp_path / "film"), "--quiet", *args])
