"""The Host names the playground answers (DNS rebinding): this machine's, the address it
listens on, and --allow-host names; any other is a one-line 400 before any work."""

from __future__ import annotations

import ipaddress

import pytest
from fastapi.testclient import TestClient

from logitlab.errors import ConfigError
from logitlab.web.app import create_app
from logitlab.web.hosts import Hosts, host_name, interface_addresses, lan_addresses, links

FIT = {"train": {"epochs": 5}}


@pytest.fixture(scope="module")
def client():
    app = create_app(hosts=Hosts.serving("127.0.0.1", ["mybox.lan"]))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def ask(client, host: str):
    """POST /api/fit with this Host header and an Origin of the same host, as a browser on a
    page of that host sends it."""
    return client.post("/api/fit", json=FIT, headers={"host": host, "origin": f"http://{host}"})


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil", "testserver"],
)
def test_a_foreign_host_is_a_one_line_400(client, host):
    response = ask(client, host)
    assert response.status_code == 400, response.text
    assert list(response.json()) == ["error"]
    error = response.json()["error"]
    assert "\n" not in error and repr(host) in error and "--allow-host" in error
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST", "mybox.lan:80"],
)
def test_this_machines_names_and_the_allowed_ones_are_answered(client, host):
    response = ask(client, host)
    assert response.status_code == 200, response.text
    assert set(response.json()["fits"]) == {"bce", "mse"}


def test_every_route_is_guarded_even_the_page(client):
    for path in ("/", "/api/config", "/static/app.js", "/openapi.json"):
        assert client.get(path, headers={"host": "evil.example"}).status_code == 400, path
        assert client.get(path).status_code == 200, path


def test_the_bound_address_is_answered_and_a_wildcard_answers_addresses_not_names():
    lan = Hosts.serving("192.168.1.20")
    assert lan.allows("192.168.1.20:8000") and lan.allows("localhost")
    assert not lan.allows("10.0.0.3") and not lan.allows("evil.example") and not lan.allows(None)
    every = Hosts.serving("0.0.0.0", ["teacher.local"])
    assert every.allows("10.0.0.3:8000") and every.allows("[fe80::1]:8000")
    assert every.allows("teacher.local") and not every.allows("evil.example")
    assert not Hosts.serving("::").allows("evil.example:8000")


def test_host_names_lose_port_brackets_and_case():
    assert host_name("Example.ORG:8000") == "example.org"
    assert host_name("[::1]:8000") == host_name("::1") == "::1"
    assert host_name("[::1]") == "::1"


@pytest.mark.parametrize("name", ["", "a b", "evil.example/path", "x\ny"])
def test_a_malformed_allowed_host_is_refused_in_one_line(name):
    with pytest.raises(ConfigError, match="--allow-host must be a host name") as err:
        Hosts.serving("127.0.0.1", [name])
    assert "\n" not in str(err.value)


# --- the links a class can open --------------------------------------------------------------

#: A stand-in for this machine's interfaces: loopback, a class's Wi-Fi, a link-local one, a VPN.
INTERFACES = ["127.0.0.1", "169.254.3.4", "192.168.7.20", "10.8.0.2", "192.168.7.20"]


def test_lan_addresses_are_the_ones_another_machine_reaches():
    assert lan_addresses(INTERFACES) == ["192.168.7.20", "10.8.0.2"]
    assert lan_addresses(["127.0.0.1", "::1", "0.0.0.0", "not an address"]) == []


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        ("0.0.0.0", ["http://192.168.7.20:8765/", "http://10.8.0.2:8765/"]),
        ("::", ["http://192.168.7.20:8765/", "http://10.8.0.2:8765/"]),
        ("127.0.0.1", ["http://127.0.0.1:8765/"]),
        ("::1", ["http://[::1]:8765/"]),
    ],
)
def test_links_use_the_lan_address_on_every_interface(bound, expected):
    assert links(bound, 8765, INTERFACES) == expected


def test_links_without_a_lan_fall_back_to_this_machine():
    assert links("0.0.0.0", 8765, ["127.0.0.1"]) == ["http://127.0.0.1:8765/"]


def test_this_machines_addresses_are_addresses():
    found = interface_addresses()
    assert found and all(ipaddress.ip_address(a).version == 4 for a in found)
