"""Output folders and files that appear whole or not at all, and never replace a user's files
unasked (what goes into them is report.writers' job).

How `staged_dir` keeps that promise (one mechanism for the CLI, the library and the web):

* Before any work, `check_out_dir` refuses what could never be written: a file, a symbolic
  link, the root or the current folder (or one containing it), a name the file system cannot
  take, a parent that is a file or takes no new folders (probed by making and removing one).
  It also refuses what must never be replaced: the run's inputs (an output that is, holds or
  lies inside one), and, even with force, a non-empty folder logitlab did not write.
* A folder logitlab wrote is one holding the file MARKER (`.logitlab`), which staged_dir puts
  in every folder it writes: the one rule force goes by, also at the final move.
* The block writes into a hidden stage `.NAME.XXXXXXXX.partial` beside the target. Any
  exception removes it: a failed write (an OSError, reported as OutputError), Ctrl-C, or
  SIGTERM/SIGHUP, which `terminate_gracefully` turns into the exception `Terminated`.
* The finished stage is moved into place by one system call. On Linux that is renameat2:
  RENAME_NOREPLACE never replaces anything that appeared during the run (the output is then
  kept under a visible `NAME.logitlab-XXXXXXXX` and OutputError says where); with force,
  RENAME_EXCHANGE swaps the folders atomically, so the target never goes missing, and the old
  contents (now at the stage's name) are deleted; a folder without MARKER is never swapped
  out (the output is kept beside it, as above). An existing empty folder counts as absent:
  `rmdir` removes it only while it is empty, then the no-replace move follows. SIGINT,
  SIGTERM and SIGHUP are held back during this commit and delivered right after it.
* Elsewhere (no renameat2 in the C library, or a file system without those flags) os.rename
  is used. It refuses a non-empty folder and a file but would replace an empty folder made
  between the check and the move; with force the old folder is first renamed aside, a moment
  in which the target is missing (signals are held back, but other processes may see it).
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import ConfigError, OutputError
from ..stopping import Terminated, signals_held, terminate_gracefully

#: What mkdtemp adds around a stage's name: "." + name + "." + 8 random characters + suffix.
_STAGE_EXTRA = len("..") + 8 + len(".partial")
#: What a kept output adds to the target's name: name + ".logitlab-" + 8 hex digits.
_KEPT_TAG = ".logitlab-"
_ATTEMPTS = 5
#: The file in every folder staged_dir writes: force replaces a non-empty folder only if it
#: holds this file (a user's folder of data or notes never does).
MARKER = ".logitlab"
_MARKER_TEXT = "This folder was written by logitlab; --force may replace it whole.\n"

_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2  # <linux/fs.h>
_AT_FDCWD = -100


def check_out_dir(path: str | Path, force: bool, *, inputs: Sequence[str | Path]) -> Path:
    """Refuse, before any work, an output folder that could not be written or must not be
    replaced (ConfigError).

    Refused: a symbolic link (links are not followed: give the folder itself), the root
    folder, the current folder or one containing it, a path not ending in a name, a folder
    that is, holds or lies inside one of the run's `inputs` (files or folders it reads), an
    existing file or other node, a non-empty folder unless force, and with force one that
    logitlab did not write (it holds no MARKER), a name longer than the file system takes, a
    parent that is a file, and a place that takes no new folders (/proc, /sys, read-only or
    unwritable folders: a folder is made there and removed again to find out).
    """
    path, to_make = _check_place(Path(path))
    _refuse_inputs(path, inputs, "output folder")
    if not to_make:
        _refuse_existing(path, force)
    return path


def _refuse_inputs(path: Path, inputs: Sequence[str | Path], what: str) -> None:
    """ConfigError if the output at path is, holds or lies inside an input: replacing it
    would destroy the input, and an output inside a folder of inputs is read as one next
    time. Paths are compared resolved (links followed, '..' taken out)."""
    real = Path(os.path.realpath(path))
    for given in inputs:
        source = Path(os.path.realpath(given))
        if real == source:
            how = "is"
        elif real in source.parents:
            how = "holds"
        elif source in real.parents:
            how = "lies inside"
        else:
            continue
        raise ConfigError(f"{what} {path} {how} the input {given}; choose another place")


def _check_place(path: Path) -> tuple[Path, list[str]]:
    """check_out_dir's checks that hold whatever is at path; also the folders to make."""
    if os.path.islink(path):
        target = os.readlink(path)
        missing = "" if os.path.exists(path) else ", which does not exist"
        raise ConfigError(
            f"output folder {path} is a symbolic link to {target}{missing}; links are not "
            "followed, give the path of a real folder"
        )
    _refuse_root_and_current(path)
    ancestor, to_make = _existing_ancestor(path)
    _check_names(path, ancestor, [*to_make, path.name], "output folder")
    _probe(path, ancestor, "output folder")
    return path, to_make


def _check_names(path: Path, folder: Path, names: list[str], what: str) -> None:
    """ConfigError if a name to make in folder is longer than its file system takes."""
    name_max = _name_max(folder)
    for name in names:
        size = len(os.fsencode(name))
        if size > name_max:
            shown = str(path).replace(name, f"{name[:12]}...")
            raise ConfigError(
                f"{what} {shown} has a name of {size} bytes; the file system of "
                f"{folder} takes names of at most {name_max}"
            )


def _refuse_root_and_current(path: Path) -> None:
    try:
        real, here = path.resolve(), Path.cwd()
    except (OSError, RuntimeError) as exc:  # a deleted current folder, a loop of links
        raise ConfigError(f"output folder {path} cannot be located: {_why(exc)}") from None
    if real == Path(real.anchor):
        raise ConfigError(f"output folder {path} is the root folder; give a new folder inside it")
    if real == here or real in here.parents:
        what = "the current folder" if real == here else "a folder holding the current folder"
        raise ConfigError(f"output folder {path} is {what}; give a new folder")
    if path.name in ("", ".", ".."):
        raise ConfigError(f"output folder {path} does not end in a folder name; give it as {real}")


def _existing_ancestor(path: Path) -> tuple[Path, list[str]]:
    """The nearest existing folder above path, and the names of the folders to make below it."""
    folder, to_make = path.parent, []
    while True:
        try:
            info = os.stat(folder)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
                raise ConfigError(f"output folder {path} cannot be made: {_why(exc)}") from None
            if os.path.islink(folder):
                raise ConfigError(
                    f"output folder {path} cannot be made: {folder} is a symbolic link to "
                    "a folder that does not exist"
                ) from None
            if folder.parent == folder:
                raise ConfigError(
                    f"output folder {path} cannot be made: {folder} is missing"
                ) from None
            to_make.append(folder.name)
            folder = folder.parent
            continue
        if not stat.S_ISDIR(info.st_mode):
            raise ConfigError(
                f"output folder {path} cannot be made: {folder} is a file, not a folder"
            )
        return folder, to_make[::-1]


def _refuse_existing(path: Path, force: bool) -> None:
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise ConfigError(f"output folder {path} cannot be used: {_why(exc)}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"output folder {path} is {_node(info.st_mode)}; give a folder path")
    if not any(path.iterdir()):
        return
    if not force:
        raise ConfigError(
            f"output folder {path} exists and is not empty; choose another or allow "
            "replacing it (--force)"
        )
    if not _written_by_logitlab(path):
        raise ConfigError(
            f"output folder {path} was not written by logitlab (it holds no {MARKER} file), "
            "and --force replaces only such folders; choose another or empty it yourself"
        )


def _written_by_logitlab(path: Path) -> bool:
    return (path / MARKER).is_file() and not (path / MARKER).is_symlink()


def _node(mode: int) -> str:
    """What a path holding something other than a folder is, in words."""
    for test, words in (
        (stat.S_ISREG, "an existing file"),
        (stat.S_ISFIFO, "a pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return "not a regular file"


def _probe(path: Path, folder: Path, what: str) -> None:
    """Make and remove a folder named like the stage where the first new entry will go."""
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {path} cannot be made: {folder} is not writable")
    try:
        probe = tempfile.mkdtemp(
            prefix=_stage_prefix(path.name, folder), suffix=".probe", dir=folder
        )
        os.rmdir(probe)
    except OSError as exc:
        raise ConfigError(
            f"{what} {path} cannot be made: no new folder can be made in {folder} "
            f"({exc.strerror or exc})"
        ) from None


@contextmanager
def staged_dir(path: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; move it into place only if the block succeeds.

    An interrupted or failed run leaves nothing behind (an OSError inside the block becomes
    OutputError). The finished folder gets the MARKER file. With force an existing folder
    logitlab wrote is replaced only at the very end, after the new one is complete, in one
    atomic swap. A file, or a non-empty folder without force or without MARKER, at `path` is
    never replaced, also one that appeared during the run: OutputError, with the output kept
    beside it (see the module's notes). Call check_out_dir first to refuse an existing one
    (or one of the run's inputs) before any work. SIGTERM/SIGHUP raise Terminated inside (see
    terminate_gracefully).
    """
    path, _ = _check_place(Path(path))
    there = os.path.lexists(path) and not _is_empty_folder(path)
    with terminate_gracefully():
        made: list[Path] = []
        stage = None
        try:
            with signals_held():  # a signal right after mkdtemp still finds `stage` set
                made, stage = _make_stage(path)
            yield stage
            (stage / MARKER).write_text(_MARKER_TEXT)
        except BaseException as exc:
            with signals_held():
                if stage is not None:
                    _remove(stage)
                _remove_empty(made)
            if isinstance(exc, OSError):
                raise OutputError(
                    f"could not write output folder {path} ({_why(exc, stage, path)}); "
                    "nothing was written"
                ) from exc
            raise
        try:
            with signals_held():
                _commit(stage, path, force, there)
        except (KeyboardInterrupt, Terminated) as exc:  # held back, delivered after the commit
            exc.output_written = path
            raise


def _make_stage(path: Path) -> tuple[list[Path], Path]:
    """Make the missing parents and the hidden stage; on failure leave nothing (OutputError)."""
    made: list[Path] = []
    try:
        made = _make_folders(path.parent)
        prefix = _stage_prefix(path.name, path.parent)
        stage = Path(tempfile.mkdtemp(prefix=prefix, suffix=".partial", dir=path.parent))
    except OSError as exc:
        _remove_empty(made)
        raise OutputError(f"output folder {path} could not be made ({_why(exc)})") from exc
    with suppress(OSError):  # mkdtemp makes it private; the result is an ordinary folder
        stage.chmod(0o777 & ~_umask())
    return made, stage


def _make_folders(folder: Path) -> list[Path]:
    """Make folder and its missing parents; return those made, outermost first."""
    missing = []
    while not folder.is_dir() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    made = []
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            if not folder.is_dir():
                raise
        else:
            made.append(folder)
    return made


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        with suppress(OSError):
            folder.rmdir()


def _commit(stage: Path, path: Path, force: bool, there: bool) -> None:
    """Move the finished stage to path (see the module's notes); never lose it.

    Failing, it raises OutputError naming where the finished output is kept. `there`: path
    was taken already at the start (for the message).
    """
    try:
        _replace(stage, path) if force else _place(stage, path)
    except FileExistsError:
        kept = _keep(stage, path)
        how = "exists now" if there else "appeared during this run"
        raise OutputError(
            f"output folder {path} {how} and was left as it is; this run's output is in {kept}",
            kept=kept,
        ) from None
    except OSError as exc:
        kept = _keep(stage, path)
        raise OutputError(
            f"could not move the finished output into output folder {path} ({_why(exc)}); "
            f"it is kept in {kept}",
            kept=kept,
        ) from exc


def _place(stage: Path, path: Path) -> None:
    """Move stage to path unless something is there; an empty folder counts as absent."""
    for _ in range(_ATTEMPTS):
        try:
            _move_noreplace(stage, path)
            return
        except FileExistsError:
            pass
        try:
            os.rmdir(path)  # removes a folder only while it is empty, in one system call
        except FileNotFoundError:
            continue  # gone meanwhile: try again
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise FileExistsError(errno.EEXIST, "not empty", str(path)) from None
            raise
    raise FileExistsError(errno.EEXIST, "made again and again", str(path))


def _replace(stage: Path, path: Path) -> None:
    """Put stage at path, swapping out the folder there (force); then delete the old.

    A file, a link, or a non-empty folder without MARKER at path is not replaced
    (FileExistsError): force is for folders logitlab wrote. (It is looked at just before the
    swap; one appearing in between would be swapped out.)
    """
    for _ in range(_ATTEMPTS):
        if os.path.lexists(path) and not (
            _is_folder(path) and (_is_empty_folder(path) or _written_by_logitlab(path))
        ):
            raise FileExistsError(errno.EEXIST, "not a folder logitlab wrote", str(path))
        try:
            swapped = _rename2(stage, path, _RENAME_EXCHANGE)
        except FileNotFoundError:  # nothing to replace (any more)
            swapped = None
        if swapped:
            _remove(stage)  # the stage's name now holds the old contents
            return
        if swapped is False and os.path.lexists(path):
            _replace_in_two_steps(stage, path)
            return
        try:
            _move_noreplace(stage, path)
            return
        except FileExistsError:
            continue  # appeared meanwhile: replace that
    raise FileExistsError(errno.EEXIST, "made again and again", str(path))


def _replace_in_two_steps(stage: Path, path: Path) -> None:
    """Without an atomic swap: rename the old aside, move stage in, delete the old."""
    retired = Path(
        tempfile.mkdtemp(
            prefix=_stage_prefix(path.name, path.parent), suffix=".old", dir=path.parent
        )
    )
    old = retired / path.name
    os.rename(path, old)  # from here until the next move, path is missing
    try:
        _move_noreplace(stage, path)
    except BaseException:
        with suppress(OSError):
            _move_noreplace(old, path)
        with suppress(OSError):
            retired.rmdir()
        raise
    _remove(retired)


def _move_noreplace(src: Path, dst: Path) -> None:
    """Rename src to dst; FileExistsError if dst exists. Atomic where renameat2 works; the
    fallback checks first, and os.rename then refuses a file or non-empty folder that
    appeared in between (an empty one it would replace)."""
    if _rename2(src, dst, _RENAME_NOREPLACE):
        return
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst)) from exc
        raise


def _rename2(src: Path, dst: Path, flags: int) -> bool:
    """renameat2(src, dst, flags): True when done, False when this system or file system has
    no such call or flag (then the caller falls back), an OSError when it refused."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    import ctypes

    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(src), None, str(dst))


@functools.cache
def _renameat2():
    """The C library's renameat2 (Linux, glibc >= 2.28) as a ctypes function, or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = (
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    )
    function.restype = ctypes.c_int
    return function


def _keep(stage: Path, path: Path) -> Path:
    """Give a finished stage that cannot go to path a visible name beside it; return where
    it is (the stage itself, if even that fails)."""
    base = _fit(path.name, _name_max(path.parent) - len(_KEPT_TAG) - 8)
    for _ in range(_ATTEMPTS):
        kept = path.parent / f"{base}{_KEPT_TAG}{os.urandom(4).hex()}"
        try:
            _move_noreplace(stage, kept)
        except FileExistsError:
            continue
        except OSError:
            break
        return kept
    return stage


def _is_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _is_empty_folder(path: Path) -> bool:
    try:
        return _is_folder(path) and not any(path.iterdir())
    except OSError:
        return False


def _remove(path: Path) -> None:
    """Delete a folder tree, or a file or link, as far as possible."""
    if _is_folder(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(OSError):
            path.unlink()


def _stage_prefix(name: str, folder: Path) -> str:
    """'.NAME.' for mkdtemp, NAME cut short so that the whole name fits the file system."""
    return f".{_fit(name, _name_max(folder) - _STAGE_EXTRA)}."


def _fit(name: str, room: int) -> str:
    """name cut (by whole characters) to at most room bytes on the file system."""
    while name and len(os.fsencode(name)) > room:
        name = name[:-1]
    return name


def _name_max(folder: Path) -> int:
    """The longest name, in bytes, that the file system at folder takes (255 if unknown)."""
    try:
        found = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf on Windows
        return 255
    return found if found > 0 else 255


def _why(exc: OSError | RuntimeError, stage: Path | None = None, path: Path | None = None) -> str:
    """An OSError as 'reason: file', a file inside the stage shown inside path."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    name = getattr(exc, "filename", None)
    if not name:
        return reason
    shown = Path(os.fsdecode(name))
    if stage is not None and path is not None and shown.is_relative_to(stage):
        shown = path / shown.relative_to(stage)
    return f"{reason}: {shown}"


def _umask() -> int:
    """The process umask (reading it means setting it, so set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_out_file(path: str | Path, force: bool, *, inputs: Sequence[str | Path]) -> Path:
    """Refuse, before any work, an output file that could not be written or must not be
    replaced (ConfigError): one of the run's `inputs` (or a folder holding one), a folder, a
    symbolic link, a pipe, device or other node that is not a regular file (even with force),
    an existing file unless force, a parent that is no folder, a name longer than the file
    system takes, or a place that takes no new files (/proc, /sys, read-only folders)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"output file {path} cannot be made: {path.parent} is not a folder")
    _check_names(path, path.parent, [path.name], "output file")
    if path.is_symlink():
        raise ConfigError(f"output file {path} is a symbolic link; give the path of a real file")
    _refuse_inputs(path, inputs, "output file")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        _probe(path, path.parent, "output file")
        return path
    except OSError as exc:
        raise ConfigError(f"output file {path} cannot be used: {_why(exc)}") from None
    if stat.S_ISDIR(mode):
        raise ConfigError(f"output file {path} is a folder; give a file name")
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"output file {path} is {_node(mode)}, not a regular file; --force replaces only "
            "files: give a file name"
        )
    if not force:
        raise ConfigError(f"output file {path} exists; choose another name or replace it (--force)")
    _probe(path, path.parent, "output file")
    return path


@contextmanager
def staged_file(path: str | Path, force: bool, *, inputs: Sequence[str | Path]) -> Iterator[Path]:
    """Yield a hidden file beside `path` to write; move it into place only if the block
    succeeds: a hard link that never replaces a file appearing meanwhile (os.replace with
    force, of a regular file only). On any failure or interruption the hidden file is removed
    and nothing is left (OutputError). Checks `path` first as check_out_file does."""
    path = check_out_file(path, force, inputs=inputs)
    stage = None
    try:
        handle, name = tempfile.mkstemp(
            prefix=_stage_prefix(path.name, path.parent), suffix=".partial", dir=path.parent
        )
        os.close(handle)
        stage = Path(name)
        yield stage
        stage.chmod(0o666 & ~_umask())
        if force and _file_or_nothing(path):
            os.replace(stage, path)
        else:
            os.link(stage, path)
    except FileExistsError:
        raise OutputError(
            f"output file {path} appeared while writing and was left as it is; nothing was written"
        ) from None
    except OSError as exc:
        raise OutputError(
            f"could not write {path} ({exc.strerror or exc}); nothing was written"
        ) from None
    finally:
        if stage is not None:
            with suppress(FileNotFoundError):
                stage.unlink()


def _file_or_nothing(path: Path) -> bool:
    """Whether force may replace what is at path now: a regular file, or nothing."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return True
