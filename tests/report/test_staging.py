import errno
import os
import signal
import threading
from pathlib import Path

import pytest

from logitlab.errors import ConfigError, OutputError
from logitlab.report import staging
from logitlab.report.staging import MARKER, check_out_dir, staged_dir, staged_file


def test_staged_dir_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staged_dir(out) as stage:
        (stage / "half.txt").write_text("x")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with staged_dir(out) as stage:
        (stage / "whole.txt").write_text("x")
        assert not out.exists()
    assert names(out) == written("whole.txt")


def test_staged_dir_replaces_only_with_force(tmp_path):
    out = tmp_path / "out"
    with staged_dir(out) as stage:
        (stage / "old.txt").write_text("old")
    with pytest.raises(ConfigError, match=r"not empty.*--force"):
        check_out_dir(out, force=False, inputs=())
    with pytest.raises(OutputError, match=r"exists now and was left") as caught, staged_dir(out):
        pass  # without a check first the work is done, and kept beside it
    assert names(caught.value.kept) == written() and names(out) == written("old.txt")
    (caught.value.kept / MARKER).unlink()
    caught.value.kept.rmdir()
    assert check_out_dir(out, force=True, inputs=()) == out
    with staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
    assert names(out) == written("new.txt")
    assert names(tmp_path) == ["out"]


def test_force_replaces_only_a_folder_logitlab_wrote(tmp_path, moves):
    """A folder of the user's, even one holding report.html, is never swapped out: refused
    before the work, and at the end (had it appeared meanwhile) the output is kept beside."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("mine")
    with pytest.raises(ConfigError, match=rf"was not written by logitlab \(it holds no {MARKER}"):
        check_out_dir(out, force=True, inputs=())
    with (
        pytest.raises(OutputError, match="exists now and was left") as caught,
        staged_dir(out, force=True) as stage,
    ):
        (stage / "report.html").write_text("new")
    assert names(out) == ["report.html"] and (out / "report.html").read_text() == "mine"
    assert names(caught.value.kept) == written("report.html")


@pytest.mark.parametrize(
    "out, inputs, how",
    [
        ("d", ["d"], "is"),
        ("d", ["d/t.csv"], "holds"),
        ("d/sub/out", ["d"], "lies inside"),
        ("link/out", ["d"], "lies inside"),  # through a link to the input folder
        ("d/../d", ["./d/"], "is"),
    ],
)
def test_an_output_over_an_input_is_refused_even_with_force(
    tmp_path, monkeypatch, out, inputs, how
):
    monkeypatch.chdir(tmp_path)
    Path("link").symlink_to("d")
    with staged_dir("d") as stage:  # even a folder logitlab wrote, holding the input
        (stage / "t.csv").write_text("y,x\n1,2\n")
    for force in (False, True):
        with pytest.raises(ConfigError) as caught:
            check_out_dir(out, force, inputs=inputs)
        assert str(caught.value) == (
            f"output folder {out} {how} the input {inputs[0]}; choose another place"
        )
    assert names(tmp_path / "d") == written("t.csv")
    assert check_out_dir("e", True, inputs=inputs) == Path("e")  # a sibling is fine


# --- interruptions, races and failures at the end (see report/staging.py's notes) -----------

MOVES = ["renameat2", "fallback"]


@pytest.fixture(params=MOVES)
def moves(request, monkeypatch):
    """Run a test with renameat2 (where the C library has it) and with the portable fallback."""
    if request.param == "fallback":
        monkeypatch.setattr(staging, "_renameat2", lambda: None, raising=False)
    elif getattr(staging, "_renameat2", lambda: True)() is None:
        pytest.skip("no renameat2 here")
    return request.param


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def written(*names):
    """The listing of a folder staged_dir wrote with these files: they and the marker."""
    return sorted([MARKER, *names])


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="no SIGTERM")
def test_sigterm_in_the_block_removes_the_stage_and_restores_the_handler(tmp_path):
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("SIGTERM already has a handler here")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stopped, staged_dir(out) as stage:
        (stage / "half.mp4").write_bytes(b"\0" * 100)
        # without a handler the signal would kill the test run: check before sending it
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_staged_dir_works_in_a_worker_thread_and_leaves_handlers_alone(tmp_path):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    seen, failures = {}, []

    def work():
        try:
            with staged_dir(tmp_path / "out") as stage:
                seen.update({s: signal.getsignal(s) for s in before})
                (stage / "a.txt").write_text("a")
        except BaseException as exc:  # reported to the main thread
            failures.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert failures == []
    assert seen == before
    assert names(tmp_path / "out") == written("a.txt")


def test_a_folder_appearing_during_the_run_is_left_alone(tmp_path, moves):
    out = tmp_path / "out"
    with pytest.raises(OutputError) as caught, staged_dir(out) as stage:
        (stage / "mine.txt").write_text("mine")
        out.mkdir()  # another run finished first
        (out / "theirs.txt").write_text("theirs")
    message = str(caught.value)
    assert "\n" not in message and f"output folder {out} appeared" in message
    kept = caught.value.kept
    assert kept.parent == tmp_path and kept.name.startswith("out.logitlab-")
    assert str(kept) in message
    assert names(kept) == written("mine.txt")
    assert names(out) == ["theirs.txt"] and (out / "theirs.txt").read_text() == "theirs"
    assert names(tmp_path) == sorted(["out", kept.name])


def test_an_empty_folder_appearing_during_the_run_is_filled(tmp_path, moves):
    out = tmp_path / "out"
    with staged_dir(out) as stage:
        (stage / "mine.txt").write_text("mine")
        out.mkdir()
    assert names(out) == written("mine.txt")
    assert names(tmp_path) == ["out"]


def test_force_replaces_a_folder_that_appeared_during_the_run(tmp_path, moves):
    out = tmp_path / "out"
    with staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
        out.mkdir()  # another run's
        (out / "old.txt").write_text("old")
        (out / MARKER).write_text("")
    assert names(out) == written("new.txt")
    assert names(tmp_path) == ["out"]


def test_an_interrupt_during_the_final_move_never_loses_the_old_folder(
    tmp_path, moves, monkeypatch
):
    """Ctrl-C at every step of the move: the target holds the old or the new output, never
    nothing; the interrupt is delivered once the new output is in place."""
    out = tmp_path / "out"
    with staged_dir(out) as stage:
        (stage / "old.txt").write_text("old")

    def interrupted(step):
        def wrapper(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGINT)
            done = step(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGINT)
            return done

        return wrapper

    monkeypatch.setattr(os, "rename", interrupted(os.rename))
    monkeypatch.setattr(
        staging, "_rename2", interrupted(getattr(staging, "_rename2", None)), raising=False
    )
    with pytest.raises(KeyboardInterrupt) as caught, staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
    monkeypatch.undo()
    assert names(out) == written("new.txt")
    assert names(tmp_path) == ["out"]
    assert caught.value.output_written == out


def test_a_failed_write_removes_the_stage_and_says_why(tmp_path):
    out = tmp_path / "new" / "out"
    with pytest.raises(OutputError) as caught, staged_dir(out) as stage:
        (stage / "a.png").write_bytes(b"png")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(stage / "b.mp4"))
    message = str(caught.value)
    assert message == (
        f"could not write output folder {out} ({os.strerror(errno.ENOSPC)}: {out / 'b.mp4'}); "
        "nothing was written"
    )
    assert caught.value.kept is None
    assert list(tmp_path.iterdir()) == []  # the parent made for it is gone too


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_failed_final_move_keeps_the_finished_output(
    tmp_path, moves, monkeypatch, refuse_final_move, code
):
    out = tmp_path / "out"
    refuse_final_move(out, code)
    with pytest.raises(OutputError) as caught, staged_dir(out) as stage:
        (stage / "done.txt").write_text("done")
    monkeypatch.undo()
    kept = caught.value.kept
    assert os.strerror(code) in str(caught.value) and str(kept) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert names(kept) == written("done.txt") and not out.exists()
    assert names(tmp_path) == [kept.name]


def test_force_leaves_a_file_alone(tmp_path):
    out = tmp_path / "out"
    out.write_text("mine")
    with pytest.raises(ConfigError, match="is an existing file"):
        check_out_dir(out, force=True, inputs=())
    with pytest.raises(OutputError) as caught, staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
    assert out.read_text() == "mine" and names(caught.value.kept) == written("new.txt")


def test_a_name_near_the_limit_gets_a_stage_that_fits(tmp_path):
    out = tmp_path / ("x" * 250)
    with staged_dir(out) as stage:
        assert len(stage.name) <= os.pathconf(tmp_path, "PC_NAME_MAX")
        (stage / "a.txt").write_text("a")
    assert names(out) == written("a.txt")
    assert names(tmp_path) == [out.name]


@pytest.mark.parametrize("place", ["/proc", "/sys"])
def test_an_output_file_where_no_file_can_be_made_is_refused_before_the_work(place):
    with pytest.raises(ConfigError) as caught:
        staging.check_out_file(f"{place}/p.csv", force=True, inputs=())
    message = str(caught.value)
    assert message.startswith(f"output file {place}/p.csv cannot be made: ") and "\n" not in message


def test_staged_file_appears_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "p.txt"
    with (
        pytest.raises(OutputError, match="No space left on device"),
        staged_file(target, force=False, inputs=()) as stage,
    ):
        assert stage.parent == tmp_path and stage.name.startswith(".p.txt.")
        stage.write_text("half")
        raise OSError(28, "No space left on device")
    assert names(tmp_path) == []
    with staged_file(target, force=False, inputs=()) as stage:
        stage.write_text("whole")
    assert target.read_text() == "whole" and names(tmp_path) == ["p.txt"]
