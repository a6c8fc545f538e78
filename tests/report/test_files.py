import errno
import json
import math
import os
import signal
import threading

import pytest

from logitlab.errors import ConfigError, OutputError
from logitlab.report import files
from logitlab.report.files import check_out_dir, staged_dir, write_csv, write_json


def test_write_json_turns_non_finite_numbers_into_null(tmp_path):
    path = write_json({"a": math.nan, "b": [1.5, math.inf], "c": {"d": 2}}, tmp_path / "r.json")
    assert json.loads(path.read_text()) == {"a": None, "b": [1.5, None], "c": {"d": 2}}
    assert "NaN" not in path.read_text()


def test_write_csv_has_a_header_row(tmp_path):
    path = write_csv([{"x": 1, "y": 0}, {"x": 2, "y": 1}], tmp_path / "t.csv")
    assert path.read_text().splitlines() == ["x,y", "1,0", "2,1"]


def test_staged_dir_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staged_dir(out) as stage:
        (stage / "half.txt").write_text("x")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with staged_dir(out) as stage:
        (stage / "whole.txt").write_text("x")
        assert not out.exists()
    assert [p.name for p in out.iterdir()] == ["whole.txt"]


def test_staged_dir_replaces_only_with_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(ConfigError, match=r"not empty.*force"):
        check_out_dir(out, force=False)
    with pytest.raises(OutputError, match=r"exists now and was left") as caught, staged_dir(out):
        pass  # without a check first the work is done, and kept beside it
    assert names(caught.value.kept) == [] and names(out) == ["old.txt"]
    caught.value.kept.rmdir()
    with staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# --- interruptions, races and failures at the end (see report/files.py's notes) -----------

MOVES = ["renameat2", "fallback"]


@pytest.fixture(params=MOVES)
def moves(request, monkeypatch):
    """Run a test with renameat2 (where the C library has it) and with the portable fallback."""
    if request.param == "fallback":
        monkeypatch.setattr(files, "_renameat2", lambda: None, raising=False)
    elif getattr(files, "_renameat2", lambda: True)() is None:
        pytest.skip("no renameat2 here")
    return request.param


def names(folder):
    return sorted(p.name for p in folder.iterdir())


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
    assert names(tmp_path / "out") == ["a.txt"]


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
    assert names(kept) == ["mine.txt"]
    assert names(out) == ["theirs.txt"] and (out / "theirs.txt").read_text() == "theirs"
    assert names(tmp_path) == sorted(["out", kept.name])


def test_an_empty_folder_appearing_during_the_run_is_filled(tmp_path, moves):
    out = tmp_path / "out"
    with staged_dir(out) as stage:
        (stage / "mine.txt").write_text("mine")
        out.mkdir()
    assert names(out) == ["mine.txt"]
    assert names(tmp_path) == ["out"]


def test_force_replaces_a_folder_that_appeared_during_the_run(tmp_path, moves):
    out = tmp_path / "out"
    with staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
        out.mkdir()
        (out / "old.txt").write_text("old")
    assert names(out) == ["new.txt"]
    assert names(tmp_path) == ["out"]


def test_an_interrupt_during_the_final_move_never_loses_the_old_folder(
    tmp_path, moves, monkeypatch
):
    """Ctrl-C at every step of the move: the target holds the old or the new output, never
    nothing; the interrupt is delivered once the new output is in place."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")

    def interrupted(step):
        def wrapper(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGINT)
            done = step(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGINT)
            return done

        return wrapper

    monkeypatch.setattr(os, "rename", interrupted(os.rename))
    monkeypatch.setattr(
        files, "_rename2", interrupted(getattr(files, "_rename2", None)), raising=False
    )
    with pytest.raises(KeyboardInterrupt) as caught, staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
    monkeypatch.undo()
    assert names(out) == ["new.txt"]
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
    assert names(kept) == ["done.txt"] and not out.exists()
    assert names(tmp_path) == [kept.name]


def test_force_leaves_a_file_alone(tmp_path):
    out = tmp_path / "out"
    out.write_text("mine")
    with pytest.raises(ConfigError, match="is an existing file"):
        check_out_dir(out, force=True)
    with pytest.raises(OutputError) as caught, staged_dir(out, force=True) as stage:
        (stage / "new.txt").write_text("new")
    assert out.read_text() == "mine" and names(caught.value.kept) == ["new.txt"]


def test_a_name_near_the_limit_gets_a_stage_that_fits(tmp_path):
    out = tmp_path / ("x" * 250)
    with staged_dir(out) as stage:
        assert len(stage.name) <= os.pathconf(tmp_path, "PC_NAME_MAX")
        (stage / "a.txt").write_text("a")
    assert names(out) == ["a.txt"]
    assert names(tmp_path) == [out.name]


def test_single_file_is_atomic_and_never_replaced_unasked(tmp_path, monkeypatch):
    target = tmp_path / "p.csv"
    files.write_file_atomically([{"row": 0, "p_hat": 0.5}], target, force=False)
    assert target.read_text() == "row,p_hat\n0,0.5\n"
    with pytest.raises(ConfigError, match="exists"):
        files.write_file_atomically([{"row": 1}], target, force=False)
    files.write_file_atomically([{"row": 1}], target, force=True)
    assert target.read_text() == "row\n1\n"
    with pytest.raises(ConfigError, match="is a folder"):
        files.check_out_file(tmp_path, force=True)
    with pytest.raises(ConfigError, match="is not a folder"):
        files.check_out_file(tmp_path / "no" / "p.csv", force=False)

    def full_disk(rows, path):
        path.write_text("row\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_csv", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        files.write_file_atomically([{"row": 2}], tmp_path / "q.csv", force=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]
