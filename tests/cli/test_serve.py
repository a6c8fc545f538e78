"""`logitlab serve`: its options, the default address, and a port in use refused in one line."""

from __future__ import annotations

import socket
import sys

import pytest

from logitlab.cli import serve
from logitlab.cli.common import OneLineParser
from logitlab.errors import ConfigError


def parser() -> OneLineParser:
    """The command's parser as logitlab.cli.build_parser makes it."""
    built = OneLineParser(prog=f"logitlab {serve.NAME}", description=serve.HELP)
    serve.add_arguments(built)
    return built


def test_help_names_the_options(capsys):
    with pytest.raises(SystemExit) as stop:
        parser().parse_args(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for word in ("--host", "--port", "--open", "127.0.0.1", "8000", "logitlab[web]"):
        assert word in out


def test_defaults_bind_this_machine_only():
    args = parser().parse_args([])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 8000, False)


def test_a_port_in_use_is_one_line_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"port {port} on 127.0.0.1 is in use") as err:
            serve.run(parser().parse_args(["--port", str(port)]))
    assert err.value.exit_code == 2 and "\n" not in str(err.value)


def test_a_bad_port_or_host_is_refused():
    with pytest.raises(ConfigError, match="port must be an integer from 1 to 65535"):
        serve.run(parser().parse_args(["--port", "70000"]))
    with pytest.raises(ConfigError, match="host must be an address"):
        serve.bind("no-such-host.invalid", 8000)


def test_without_the_web_extra_it_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    with pytest.raises(ConfigError, match=r"pip install 'logitlab\[web\]'") as err:
        serve.run(parser().parse_args([]))
    assert err.value.exit_code == 2


def test_a_free_port_is_bound_on_the_host_asked():
    listener = serve.bind("127.0.0.1", 0)
    try:
        host, port = listener.getsockname()
        assert host == "127.0.0.1" and port > 0
    finally:
        listener.close()
