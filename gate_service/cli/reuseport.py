"""Listening sockets several processes share: ``SO_REUSEPORT`` (``serve --workers N``).

Why ``SO_REUSEPORT`` rather than one socket the supervisor accepts on and hands over: the
kernel gives each worker its own accept queue and spreads new connections over them
(a hash of the connection's addresses), with no process in the path of a request and
nothing to write; gRPC's server sets the option on its port by itself on Linux, so both
of our listeners share their ports the same way. What it costs: balance is per
connection, not per request (a client on one keep-alive connection stays on one
worker), and connections still waiting in the queue of a worker that dies are reset.
"""

from __future__ import annotations

import socket


def _address(host: str, port: int) -> tuple[socket.AddressFamily, tuple[str, int]]:
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return family, (str(address[0]), int(address[1]))


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (asyncio's server
    listens on it): every worker binds one, and the kernel balances between them."""
    family, address = _address(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def claim_port(host: str, port: int) -> int:
    """The port the workers will share: ``port``, or a free one for 0.

    Bound once *without* ``SO_REUSEPORT``, which fails while any socket holds the port:
    so a gateway already running there is an error at start, not a silent third worker
    taking part of its traffic. Raises ``OSError`` naming the address.
    """
    family, address = _address(host, port)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        return int(sock.getsockname()[1])
