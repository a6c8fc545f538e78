"""The `logitlab` command itself: --version, --help, a missing command, and default output
folders that git ignores."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import logitlab
from logitlab.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
COMMANDS = ["lecture", "landscape", "animate", "sweep", "montecarlo", "optimizers", "digits", "fit",
            "predict", "datasets"]  # fmt: skip


def run(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
        **kwargs,
    )


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """The real parser's subcommands, by name."""
    (action,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def writers() -> dict[str, argparse.ArgumentParser]:
    """The subcommands that write a folder (those with --out), by name."""
    return {name: sub for name, sub in subcommands().items()
            if any("--out" in a.option_strings for a in sub._actions)}  # fmt: skip


def default_out(parser: argparse.ArgumentParser) -> str:
    (action,) = [a for a in parser._actions if "--out" in a.option_strings]
    return action.default


def git_ignores(path: str) -> bool:
    """Whether git, run in the repository root, ignores path (which need not exist)."""
    proc = run("git", "check-ignore", "-q", path, cwd=REPO)
    assert proc.returncode in (0, 1), proc.stderr  # 128: git itself failed
    return proc.returncode == 0


def test_version_from_the_installed_script():
    script = Path(sys.executable).with_name("logitlab")
    assert script.exists(), f"console script not installed next to {sys.executable}"
    proc = run(str(script), "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"logitlab {logitlab.__version__}\n"
    assert proc.stderr == ""


def test_help_lists_every_command():
    proc = run(sys.executable, "-m", "logitlab", "--help")
    assert proc.returncode == 0, proc.stderr
    for name in COMMANDS:
        assert name in proc.stdout, f"{name} missing from --help:\n{proc.stdout}"
    assert set(COMMANDS) <= set(subcommands())


def test_no_command_is_one_line_and_exit_2():
    proc = run(sys.executable, "-m", "logitlab")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("logitlab: error:"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_command_that_writes_has_its_own_default_out():
    outs = {name: default_out(sub) for name, sub in writers().items()}
    assert {"lecture", "landscape", "animate", "sweep", "montecarlo"} <= set(outs)
    assert all(outs.values()), outs
    assert len(set(outs.values())) == len(outs), f"commands share a default folder: {outs}"


@pytest.mark.parametrize("command", sorted(writers()))
def test_default_output_folder_is_ignored_by_git(command):
    path = default_out(writers()[command])
    assert git_ignores(path), f"{path!r}, where `logitlab {command}` writes, is not git-ignored"


def test_make_demo_output_folder_is_ignored_by_git():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^OUT\s*\?=\s*(\S+)", makefile, re.MULTILINE)
    assert match, "the Makefile no longer sets a default OUT"
    assert git_ignores(match.group(1)), (
        f"{match.group(1)!r}, where `make demo` writes, is not git-ignored"
    )


def test_an_error_is_one_line_whatever_its_message(monkeypatch, capsys):
    """A value in a message may hold a line break (a column named so): it is escaped."""
    from logitlab.cli import datasets, main
    from logitlab.errors import DataError

    def refuse(args):
        raise DataError("columns y and line\nbreak\r\nare dependent")

    monkeypatch.setattr(datasets, "run", refuse)
    assert main(["datasets"]) == 2
    err = capsys.readouterr().err
    assert err == "logitlab datasets: error: columns y and line\\nbreak\\nare dependent\n"
