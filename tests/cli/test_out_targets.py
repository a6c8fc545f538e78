"""Where a command may write: bad output folders and files are refused in one line before
any work, --force never destroys an input nor replaces what logitlab did not write, signals
and failures at the end leave no half-written folder, and two runs on one folder never both
report success."""

import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from logitlab.cli import main
from logitlab.report import lecture as lecture_report
from logitlab.report.staging import MARKER
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


# --- never an input, never what logitlab did not write ---------------------------------------


def snapshot(folder):
    """Every path under folder with its kind and bytes: what a refusal must leave as it was."""
    found = {}
    for path in sorted(Path(folder).rglob("*")):
        info = os.lstat(path)
        found[str(path)] = (
            stat.S_IFMT(info.st_mode),
            path.read_bytes() if stat.S_ISREG(info.st_mode) else None,
        )
    return found


@pytest.fixture
def data(tmp_path):
    """A table as one CSV file, as a folder of two CSV shares, and as one Parquet file."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"y": rng.integers(0, 2, 40), "x": rng.normal(size=40)})
    folder = tmp_path / "data"
    folder.mkdir()
    frame.to_csv(folder / "t.csv", index=False)
    (folder / "parts").mkdir()
    frame.iloc[:20].to_csv(folder / "parts" / "a.csv", index=False)
    frame.iloc[20:].to_csv(folder / "parts" / "b.csv", index=False)
    frame.to_parquet(folder / "t.parquet")
    return folder


FIT = ["fit", "--target", "y", "--epochs", "20", "--quiet"]


@pytest.mark.parametrize(
    "source, out, extra, how",
    [
        ("data/parts", "data/parts", ["--force"], "is"),  # `fit DIR --out DIR --force`
        ("data/t.csv", "data", ["--force"], "holds"),  # `fit dir/t.csv --out dir --force`
        ("data/parts", "data/parts/out", [], "lies inside"),  # read as a share next time
        ("data/t.parquet", "data", ["--force", "--chunk-rows", "10"], "holds"),  # streamed
        ("data/parts/a.csv", "data/./parts/", ["--force"], "holds"),
    ],
)
def test_fit_never_writes_over_or_into_its_data(data, capsys, monkeypatch, source, out, extra, how):
    monkeypatch.chdir(data.parent)
    with (data / "parts" / MARKER).open("w"):  # even where logitlab wrote before
        pass
    before = snapshot(data)
    code = main([*FIT, source, "--out", out, *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"output folder {Path(out)} {how} the input {source}; choose another place" in err
    assert snapshot(data) == before


@pytest.fixture
def model(data, tmp_path):
    out = tmp_path / "fit"
    assert main([*FIT, str(data / "t.csv"), "--out", str(out)]) == 0
    return out / "model.json"


@pytest.mark.parametrize("target", ["model", "new", "spelled"])
def test_predict_never_writes_over_its_model_or_its_rows(model, data, capsys, target):
    new = data / "t.csv"
    out = {"model": model, "new": new, "spelled": data / "parts" / ".." / "t.csv"}[target]
    before = snapshot(model.parent) | snapshot(data)
    argv = ["predict", str(model), str(new), "--out", str(out), "--force"]
    err = refused_leaving(argv, capsys)
    given = model if target == "model" else new
    assert f"output file {out} is the input {given}; choose another place" in err
    assert snapshot(model.parent) | snapshot(data) == before


def test_predict_never_replaces_a_pipe_or_a_device(model, data, tmp_path, capsys):
    nodes = tmp_path / "nodes"
    nodes.mkdir()
    os.mkfifo(nodes / "fifo")
    os.mknod(nodes / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # as /dev/null is
    for name, what in [("fifo", "a pipe (FIFO)"), ("null", "a character device")]:
        argv = ["predict", str(model), str(data / "t.csv"), "--out", str(nodes / name)]
        err = refused_leaving([*argv, "--force"], capsys, nodes)
        assert f"output file {nodes / name} is {what}, not a regular file" in err
    assert stat.S_ISFIFO(os.lstat(nodes / "fifo").st_mode)
    assert stat.S_ISCHR(os.lstat(nodes / "null").st_mode)


@pytest.mark.parametrize("place", ["/proc", "/sys"])
def test_predict_into_a_place_that_takes_no_files_is_one_line(model, data, capsys, place):
    argv = ["predict", str(model), str(data / "t.csv"), "--out", f"{place}/p.csv", "--force"]
    err = refused_leaving(argv, capsys, place)
    assert f"output file {place}/p.csv cannot be made: " in err


def test_predict_with_a_long_file_name(model, data, tmp_path, capsys):
    new = str(data / "t.csv")
    out = tmp_path / ("p" * 250)  # fits; its hidden stage needs a shorter name
    assert main(["predict", str(model), new, "--out", str(out)]) == 0, capsys.readouterr().err
    assert out.read_text().startswith("row,p_hat,predicted,label\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["data", "fit", out.name])
    err = refused_leaving(["predict", str(model), new, "--out", str(tmp_path / ("p" * 300))],
                          capsys, tmp_path)  # fmt: skip
    assert "has a name of 300 bytes" in err


def test_force_replaces_only_a_folder_logitlab_wrote(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.html").write_text("my own page")
    err = refused_leaving(lecture(mine, "--force"), capsys, mine)
    assert f"output folder {mine} was not written by logitlab (it holds no {MARKER} file)" in err
    assert (mine / "report.html").read_text() == "my own page"
    out = tmp_path / "out"
    assert main(lecture(out)) == 0
    (out / "report.html").write_text("an old run's")
    assert main(lecture(out, "--force")) == 0, capsys.readouterr().err
    assert "an old run's" not in (out / "report.html").read_text()
    assert MARKER in listing(out) and listing(tmp_path) == ["mine", "out"]


def test_the_help_of_force_says_what_it_replaces(capsys):
    with pytest.raises(SystemExit):
        main(["lecture", "--help"])
    words = " ".join(capsys.readouterr().out.split())
    assert f"replace DIR if it is a folder logitlab wrote (it holds a {MARKER} file)" in words
    assert "never an input, a file or another folder" in words


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
