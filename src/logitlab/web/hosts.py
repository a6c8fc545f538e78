"""The Host headers the playground answers: the names it was started for, and no other.

Why: DNS rebinding. A page on evil.example can make its own name resolve to 127.0.0.1; the
browser then sends that page's requests to the local server with `Host: evil.example` and
lets the page read the answers. Refusing every Host but this machine's names closes that door
(an address typed as digits cannot be rebound, so when the server listens on every interface
any address of it is fine).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from ..config import shown
from ..errors import ConfigError

#: The names of this machine a browser sends for a server on the loopback interface.
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
#: Addresses that mean "every interface".
WILDCARDS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class Hosts:
    """The Host names a server answers (lower case, no port, IPv6 without brackets)."""

    names: frozenset[str] = frozenset(LOCAL_NAMES)
    #: listening on every interface: any IP address (not a name) is one of this machine's
    any_address: bool = False

    @classmethod
    def serving(cls, bound: str = "127.0.0.1", allowed: Iterable[str] = ()) -> Hosts:
        """The hosts of a server listening on `bound`: the localhost names, `bound` itself,
        and the names `allowed` (`serve --allow-host`); ConfigError for a malformed one."""
        extra = [_checked(name) for name in allowed]
        wildcard = bound.strip("[]") in WILDCARDS
        names = {*LOCAL_NAMES, *extra, *(() if wildcard else (host_name(bound),))}
        return cls(frozenset(names), wildcard)

    def allows(self, header: str | None) -> bool:
        """Whether a request with this Host header (None: none sent) is answered."""
        if header is None:
            return False
        name = host_name(header)
        return name in self.names or (self.any_address and _is_address(name))


def host_name(host: str) -> str:
    """The name of a Host header or address: lower case, without its port or brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        return host.split(":")[0]
    return host


def _checked(name: str) -> str:
    """An --allow-host value as a host name (a port or brackets are dropped)."""
    host = host_name(name)
    if not host or not all(c.isalnum() or c in "-._:" for c in host):
        raise ConfigError(f"--allow-host must be a host name or address, got {shown(name)}")
    return host


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


# --- the addresses a class can reach -------------------------------------------------------


def interface_addresses() -> list[str]:
    """This machine's IPv4 addresses, one per interface (Linux: SIOCGIFADDR on each of
    socket.if_nameindex()), else the address outgoing traffic would leave from."""
    import fcntl
    import struct

    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                answer = fcntl.ioctl(probe.fileno(), 0x8915, request)  # SIOCGIFADDR
            except OSError:  # an interface without an IPv4 address
                continue
            found.append(socket.inet_ntoa(answer[20:24]))
        if not found:
            with suppress(OSError):
                probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
                found.append(probe.getsockname()[0])
    return found


def lan_addresses(addresses: Iterable[str]) -> list[str]:
    """The addresses among `addresses` another machine can reach: not loopback, link-local,
    unspecified or multicast; private ones (a class's network) first."""
    reachable = []
    for text in dict.fromkeys(addresses):
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_link_local or address.is_unspecified
                or address.is_multicast):  # fmt: skip
            reachable.append(address)
    return [str(a) for a in sorted(reachable, key=lambda a: (not a.is_private, a.version))]


def links(bound: str, port: int, addresses: Iterable[str]) -> list[str]:
    """The page's addresses for a server listening on bound:port: each LAN address when it
    listens on every interface (none found: this machine's own), else bound itself."""
    if bound.strip("[]") in WILDCARDS:
        hosts = lan_addresses(addresses) or ["127.0.0.1"]
    else:
        hosts = [bound.strip("[]")]
    return [f"http://{f'[{h}]' if ':' in h else h}:{port}/" for h in hosts]
