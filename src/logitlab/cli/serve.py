"""`logitlab serve`: the playground (issue #12) on http://127.0.0.1:8000/ until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import io
import socket
import threading

NAME = "serve"
HELP = (
    "Start the playground: the lecture's fit in the browser (data, optimizers, landscapes, "
    "live training) at http://HOST:PORT/; needs the web extra (pip install 'logitlab[web]')."
)
#: Binding to every interface needs saying so (--host 0.0.0.0): the class sees your laptop.
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this host name (repeatable; e.g. the laptop's name on "
        "the class's network). Only localhost, 127.0.0.1, [::1], the --host address and these "
        "are answered: another page's name pointed at this machine is refused (DNS rebinding)",
    )
    parser.add_argument("--open", action="store_true", help="open the page in a browser")


def run(args: argparse.Namespace) -> int:
    from ..config import check_int
    from ..errors import ConfigError
    from ..web.hosts import Hosts, interface_addresses, links

    port = check_int("port", args.port, 1, 65535)
    try:
        import uvicorn

        from ..web.app import create_app
        from ..web.protocol import server_config
    except ImportError as exc:
        raise ConfigError(f"the playground needs the web extra ({exc.name} is missing): "
                          "pip install 'logitlab[web]'") from None  # fmt: skip
    hosts = Hosts.serving(args.host, args.allow_host)
    listener = bind(args.host, port)
    urls = links(args.host, listener.getsockname()[1], interface_addresses())
    config = server_config(create_app(hosts=hosts, share=urls[0]), log_level="warning")
    server = uvicorn.Server(config)
    ended = threading.Event()
    threading.Thread(target=_announce, args=(server, ended, args, urls), daemon=True).start()
    try:
        server.run(sockets=[listener])
    finally:
        ended.set()
    return 0


def _announce(server: object, ended: threading.Event, args: argparse.Namespace,
              urls: list[str]) -> None:  # fmt: skip
    """Print the banner once the server answers (uvicorn's `started`: the page's first load
    made and the socket served), not while it warms up."""
    while not server.started:
        if ended.wait(0.05):
            return
    print(banner(args.host, urls), flush=True)
    if args.open:
        import webbrowser

        webbrowser.open(urls[0])


def banner(host: str, urls: list[str]) -> str:
    """What serve prints: the link, and on every interface the other LAN links, a QR code of
    the first and a one-line warning."""
    from ..web.hosts import WILDCARDS

    lines = [f"logitlab playground: {urls[0]}  (Ctrl-C stops it)"]
    if host.strip("[]") in WILDCARDS:
        import segno

        lines += [f"  also: {url}" for url in urls[1:]]
        qr = io.StringIO()
        segno.make(urls[0], error="l").terminal(out=qr, compact=True, border=1)
        lines.append(qr.getvalue().rstrip("\n"))
        lines.append(f"warning: --host {host} listens on every interface: anyone on this "
                     "network can reach the page")  # fmt: skip
    return "\n".join(lines)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or ConfigError (one line, exit 2) when the port is in
    use or the address is not this machine's.

    Made as an IPPROTO_TCP socket with TCP_NODELAY: asyncio switches Nagle's algorithm off only
    on sockets that say they are TCP, and with it on, a response's body waits for the
    browser's delayed acknowledgement of its headers, 40 ms on Linux, on every request."""
    from ..errors import ConfigError

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ConfigError(f"host must be an address of this machine, got {host!r}") from None
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is in use; choose another port") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listener.set_inheritable(True)
    return listener
