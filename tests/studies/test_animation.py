"""The animation: frame schedule, GIF with the requested frame count, MP4, the command."""

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image

from logitlab import ConfigError
from logitlab.cli import main
from logitlab.config import AnimationConfig, TrainConfig
from logitlab.data import simulate
from logitlab.report.animation import HOLD_SECONDS, hold_frames, write_animation
from logitlab.studies.animation import AnimationRun, make_scene
from logitlab.viz.film import frame_epochs, stage


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
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
    # the last frame is held, so the end can be read before the loop starts again
    assert durations == [200] * 6 + [round(1000 * HOLD_SECONDS)] and HOLD_SECONDS >= 2
    reader = imageio.get_reader(film.mp4)
    assert hold_frames(5) == 9  # 10 frames at 5 fps: 2 s
    assert reader.count_frames() == 7 + hold_frames(5)
    assert reader.get_meta_data()["fps"] == pytest.approx(5)
    frames = [reader.get_data(k) for k in range(reader.count_frames())]
    reader.close()

    def differ(a, b):  # H.264 is lossy: a repeated frame decodes nearly, not exactly, equal
        return np.mean(np.abs(a.astype(int) - b.astype(int)))

    assert all(differ(frames[6], frame) < 1 for frame in frames[7:])
    assert differ(frames[0], frames[6]) > 1
    assert film.frames == 7 and film.hold_seconds == HOLD_SECONDS
    assert 0 < film.render_seconds_per_frame <= film.seconds_per_frame


def test_frames_show_the_fit_moving(small_scene):
    from logitlab.viz.film import render

    first, last = list(render(small_scene, np.array([0, 200])))
    assert first.shape == (576, 720, 3) and first.dtype == np.uint8
    assert np.mean(first != last) > 0.001


def test_film_has_one_readable_legend_with_every_mark_off_the_panels(small_scene):
    built = stage(small_scene)
    fig = built.fig
    assert all(ax.get_legend() is None for ax in fig.axes)  # no tiny legends in the panels
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [
        "observed y (0/1)",
        "true π(x)",
        "BCE: fitted curve and path",
        "MSE: fitted curve and path",
        "start",
        "MLE (maximum likelihood)",
        "truth",
    ]
    assert min(t.get_fontsize() for t in legend.get_texts()) >= 11  # pixels, at 72 dpi
    fig.canvas.draw()
    box = legend.get_window_extent()
    for ax in fig.axes:  # below the panels: no curve runs over it
        assert not box.overlaps(ax.get_window_extent())
    # blitting ignores z-order: the truth and the marks are redrawn above the moving fits
    order = built.artists
    truth = [a for a in order if a.get_label() == "true π(x)"]
    assert len(truth) == 2
    assert min(map(order.index, truth)) > max(order.index(m.curve) for m in built.moving)


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
        (["--frames", "1"], "frames must be an integer from 2 to 2000"),
        (["--frames", "60", "--epochs", "50"], "frames must be at most epochs + 1"),
        (["--fps", "0"], "fps must be a finite number > 0"),
        (["--fps", "0.001"], "fps must be from 0.1 to 50"),  # the GIF delay overflowed
        (["--fps", "1e308"], "fps must be a finite number > 0"),  # ffmpeg's pipe broke
        (["--fps", "60"], "fps must be from 0.1 to 50"),
        (["--start", "abc"], "start must be two numbers"),
        (["--start", "1,x"], "start w1 must be a finite number"),
        (["--grid", "2"], "grid size must be an integer from 3 to 2001"),
    ],
)
def test_animate_command_refuses_bad_input_in_one_line(tmp_path, refused, args, message):
    assert message in refused(["animate", "--out", str(tmp_path / "film"), "--quiet", *args])


def test_repr_is_one_short_line_and_the_card_shows_each_end(small_scene):
    run = AnimationRun(config=AnimationConfig(frames=10), scene=small_scene)
    line = repr(run)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    for loss, fit in small_scene.race.fits.items():
        w0, w1 = fit.params
        assert f"{loss} [{w0:.4g}, {w1:.4g}] {fit.convergence.verdict}" in line
    assert "MLE [{:.4g}, {:.4g}]".format(*small_scene.mle) in line
    card = run._repr_html_()
    for loss, fit in small_scene.race.fits.items():
        w0, w1 = fit.params
        assert f"on {loss.upper()}</td><td>{w0:.4f}</td><td>{w1:.4f}</td>" in card
    assert (
        "<td>maximum likelihood</td><td>{:.4f}</td><td>{:.4f}</td>".format(*small_scene.mle) in card
    )
