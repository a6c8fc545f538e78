"""Where a command may write: bad output folders are refused in one line before any work,
signals and failures at the end leave no half-written folder, and two runs on one folder
never both report success."""

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from logitlab.cli import main
from logitlab.report import lecture as lecture_report
from logitlab.studies import lecture as lecture_study

SMALL = ["--n", "50", "--epochs", "20", "--engine", "eager", "--quiet"]


def lecture(out, *extra):
    return ["lecture", *SMALL, "--out", str(out), *extra]


@pytest.fixture
def no_work(monkeypatch):
    """Refusals must come before the training: make the training itself fail the test."""

    def started(*args, **kwargs):
        raise AssertionError("the work started before the output folder was checked")

    monkeypatch.setattr(lecture_study, "run_lecture", started)


def listing(folder):
    return sorted(os.listdir(folder))


def refused_leaving(argv, capsys, *folders):
    """Like the `refused` fixture, for targets outside tmp_path or beside other files:
    exit 2, one line, no traceback, and the listed folders unchanged."""
    before = {folder: listing(folder) for folder in folders}
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert {folder: listing(folder) for folder in folders} == before
    return err


# --- refused before the work ---------------------------------------------------------------


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "force"])
def test_the_current_folder_is_refused(refused, no_work, tmp_path, monkeypatch, force):
    monkeypatch.chdir(tmp_path)
    assert "output folder . is the current folder" in refused(lecture(".", *force))


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "force"])
def test_a_folder_holding_the_current_folder_is_refused(
    refused, no_work, tmp_path, monkeypatch, force
):
    monkeypatch.chdir(tmp_path)
    err = refused(lecture("..", *force))  # the stage would have gone into tmp_path
    assert "output folder .. is a folder holding the current folder" in err


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "force"])
def test_the_root_folder_is_refused(refused, no_work, force):
    before = listing("/")
    assert "output folder / is the root folder" in refused(lecture("/", *force))
    assert listing("/") == before


def test_a_path_ending_in_dot_dot_is_refused(refused, no_work, tmp_path, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    err = refused(lecture(elsewhere / "sub" / ".."))
    assert "does not end in a folder name" in err and str(elsewhere) in err


def test_a_parent_that_is_a_file_is_refused(no_work, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("files")
    (folder / "notes.txt").write_text("mine")
    err = refused_leaving(lecture(folder / "notes.txt" / "deeper" / "out"), capsys, folder)
    assert f"{folder / 'notes.txt'} is a file, not a folder" in err


@pytest.mark.parametrize("place", ["/proc", "/proc/self", "/sys"])
def test_a_place_that_takes_no_folders_is_refused(refused, no_work, place):
    if not os.path.isdir(place):
        pytest.skip(f"no {place} here")
    err = refused(lecture(f"{place}/logitlab-out"))
    assert f"output folder {place}/logitlab-out cannot be made: " in err
    assert f"{place} is not writable" in err or f"can be made in {place} (" in err


def test_a_name_too_long_for_the_file_system_is_refused(refused, no_work, tmp_path):
    err = refused(lecture(tmp_path / ("x" * 300)))
    assert "has a name of 300 bytes" in err and "at most 255" in err


def test_a_missing_parent_with_a_name_too_long_is_refused(refused, no_work, tmp_path):
    err = refused(lecture(tmp_path / ("y" * 300) / "out"))
    assert "has a name of 300 bytes" in err


@pytest.mark.parametrize("points_to", ["missing", "folder"])
def test_a_symbolic_link_is_refused(no_work, tmp_path_factory, capsys, points_to):
    folder = tmp_path_factory.mktemp("links")
    target = folder / points_to
    if points_to == "folder":
        target.mkdir()
    (folder / "link").symlink_to(target)
    err = refused_leaving(lecture(folder / "link", "--force"), capsys, folder)
    assert f"output folder {folder / 'link'} is a symbolic link to {target}" in err
    assert ("which does not exist" in err) == (points_to == "missing")
    if points_to == "folder":
        assert listing(target) == []


# --- accepted targets ----------------------------------------------------------------------


def test_a_name_near_the_file_systems_limit_is_written(tmp_path, capsys):
    out = tmp_path / ("x" * 250)
    assert main(lecture(out)) == 0, capsys.readouterr().err
    assert "report.html" in listing(out)
    assert listing(tmp_path) == [out.name]


def test_an_existing_empty_folder_is_filled(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()
    assert main(lecture("out")) == 0, capsys.readouterr().err
    assert "report.html" in listing(tmp_path / "out")
    assert listing(tmp_path) == ["out"]


# --- at the end: failures and races --------------------------------------------------------


def test_a_full_disk_while_writing_is_one_line_and_leaves_nothing(refused, tmp_path, monkeypatch):
    real = lecture_report.write_lecture

    def full(run, folder, **options):
        real(run, folder)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder / "fit-bce.png"))

    monkeypatch.setattr(lecture_report, "write_lecture", full)
    out = tmp_path / "out"
    err = refused(lecture(out))
    assert (
        f"could not write output folder {out} (No space left on device: {out}/fit-bce.png)" in err
    )


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_a_failed_final_move_keeps_the_output_and_says_where(
    tmp_path, capsys, monkeypatch, refuse_final_move, code
):
    out = tmp_path / "out"
    refuse_final_move(out, code)
    assert main(lecture(out)) == 2
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert err.count("\n") == 1 and "Traceback" not in err, err
    (kept,) = tmp_path.iterdir()
    assert kept.name.startswith("out.logitlab-") and "report.html" in listing(kept)
    assert os.strerror(code) in err and f"it is kept in {kept}" in err


@pytest.mark.parametrize("when", ["working", "writing"])
def test_a_second_run_finishing_first_is_not_replaced(tmp_path, capsys, monkeypatch, when):
    """Two runs on one folder without force: the one finishing second must not report
    success nor move the first one's folder aside; its output is kept beside it."""
    out = tmp_path / "out"
    module, name = (
        (lecture_study, "run_lecture") if when == "working" else (lecture_report, "write_lecture")
    )
    real = getattr(module, name)

    def raced(*args, **kwargs):
        done = real(*args, **kwargs)
        out.mkdir()  # the other run lands its folder meanwhile
        (out / "report.html").write_text("the other run's")
        return done

    monkeypatch.setattr(module, name, raced)
    assert main(lecture(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert listing(out) == ["report.html"]
    assert (out / "report.html").read_text() == "the other run's"
    kept = [p for p in tmp_path.iterdir() if p != out]
    assert len(kept) == 1 and kept[0].name.startswith("out.logitlab-")
    assert f"output folder {out} " in err and f"this run's output is in {kept[0]}" in err
    assert "report.html" in listing(kept[0])


# --- signals -------------------------------------------------------------------------------

#: The lecture command, with its writer pausing once the stage holds every file: the test
#: signals then, mid-run, deterministically. Run as a script, as the console command runs.
SLOW_WRITER = """
import signal, sys, time
for signum in (signal.SIGTERM, signal.SIGHUP):  # as under a terminal, whatever ran the tests
    signal.signal(signum, signal.SIG_DFL)
from logitlab.report import lecture
real = lecture.write_lecture
def slow(run, folder, **options):
    names = real(run, folder, **options)
    (folder / "ready").touch()
    time.sleep(120)
    return names
lecture.write_lecture = slow
from logitlab.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_a_signal_while_writing_leaves_nothing(tmp_path, signum):
    out = tmp_path / "T"
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, *lecture(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    try:
        deadline = time.monotonic() + 180
        while not list(tmp_path.glob(".T.*.partial/ready")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the stage never filled"
            time.sleep(0.05)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum, err
    assert err == f"logitlab: terminated ({name}); nothing was written\n"
    assert list(tmp_path.iterdir()) == []


def test_main_puts_the_signal_handlers_back(refused, no_work, tmp_path):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    refused(lecture(tmp_path / ("x" * 300)))
    assert {s: signal.getsignal(s) for s in before} == before
