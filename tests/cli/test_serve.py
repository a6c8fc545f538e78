"""`logitlab serve`: its options, the default address, and a port in use refused in one line."""

from __future__ import annotations

import socket
import sys
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient

from logitlab.cli import serve
from logitlab.cli.common import OneLineParser
from logitlab.errors import ConfigError
from logitlab.web import hosts as web_hosts


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
    for word in (
        "--host",
        "--port",
        "--allow-host",
        "--open",
        "127.0.0.1",
        "8000",
        "logitlab[web]",
    ):
        assert word in out


def test_defaults_bind_this_machine_only():
    args = parser().parse_args([])
    assert (args.host, args.port, args.open, args.allow_host) == ("127.0.0.1", 8000, False, [])


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


def test_the_server_answers_its_own_and_the_allowed_hosts_only(monkeypatch):
    from fastapi.testclient import TestClient
    from uvicorn import Server

    started = []
    monkeypatch.setattr(serve, "bind", lambda host, port, bind=serve.bind: bind(host, 0))
    monkeypatch.setattr(Server, "run", lambda self, sockets: started.append((self, sockets)))
    args = parser().parse_args(["--allow-host", "mybox.lan", "--allow-host", "Teacher.local:80"])
    assert args.allow_host == ["mybox.lan", "Teacher.local:80"]
    assert serve.run(args) == 0
    ((server, sockets),) = started
    sockets[0].close()
    client = TestClient(server.config.app, base_url="http://127.0.0.1")
    for host in ("mybox.lan", "teacher.local:8000", "localhost:8000", "127.0.0.1"):
        assert client.get("/api/config", headers={"host": host}).status_code == 200, host
    refused = client.post(
        "/api/fit", json={}, headers={"host": "evil.example", "origin": "http://evil.example"}
    )
    assert refused.status_code == 400 and "--allow-host" in refused.json()["error"]


def test_a_malformed_allowed_host_is_refused_before_listening(monkeypatch):
    monkeypatch.setattr(serve, "bind", lambda host, port: pytest.fail("bound"))
    with pytest.raises(ConfigError, match="--allow-host must be a host name") as err:
        serve.run(parser().parse_args(["--allow-host", "evil.example/x"]))
    assert err.value.exit_code == 2 and "\n" not in str(err.value)


def test_every_interface_prints_the_lan_links_a_qr_code_and_a_warning(monkeypatch, capsys):
    monkeypatch.setattr(web_hosts, "interface_addresses", lambda: ["127.0.0.1", "192.168.7.20"])
    seen = []

    def run(self, sockets):
        sockets[0].close()
        seen.append(self)
        self.started = True
        time.sleep(0.3)

    monkeypatch.setattr(serve, "bind", lambda host, port, bind=serve.bind: bind(host, 0))
    monkeypatch.setattr(uvicorn.Server, "run", run)
    assert serve.run(parser().parse_args(["--host", "0.0.0.0"])) == 0
    (server,) = seen
    out = capsys.readouterr().out
    link = server.config.app.state.share
    assert link.startswith("http://192.168.7.20:") and link.endswith("/")
    assert out.splitlines()[0] == f"logitlab playground: {link}  (Ctrl-C stops it)"
    assert "0.0.0.0:" not in out and "127.0.0.1" not in out
    assert "█" in out  # the QR code
    (warning,) = [line for line in out.splitlines() if line.startswith("warning:")]
    assert "anyone on this network can reach the page" in warning and "--host 0.0.0.0" in warning
    client = TestClient(server.config.app, base_url="http://192.168.7.20")
    assert client.get("/api/config").json()["share"] == link


def test_the_banner_waits_until_the_server_answers(monkeypatch, capsys):
    printed_early = []

    def run(self, sockets):
        sockets[0].close()
        time.sleep(0.4)  # warming up: nothing printed yet
        printed_early.append(capsys.readouterr().out)
        self.started = True
        time.sleep(0.3)

    monkeypatch.setattr(serve, "bind", lambda host, port, bind=serve.bind: bind(host, 0))
    monkeypatch.setattr(uvicorn.Server, "run", run)
    assert serve.run(parser().parse_args([])) == 0
    assert printed_early == [""]
    out = capsys.readouterr().out
    assert out.startswith("logitlab playground: http://127.0.0.1:") and "warning" not in out
