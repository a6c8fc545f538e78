"""The Host headers the playground answers: the names it was started for, and no other.

Why: DNS rebinding. A page on evil.example can make its own name resolve to 127.0.0.1; the
browser then sends that page's requests to the local server with `Host: evil.example` and
lets the page read the answers. Refusing every Host but this machine's names closes that door
(an address typed as digits cannot be rebound, so when the server listens on every interface
any address of it is fine).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
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
