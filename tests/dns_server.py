"""A tiny authoritative DNS server for tests: answers A queries for the names it is given,
so a gRPC client's ``dns://127.0.0.1:PORT/name:port`` target resolves one name to several
loopback addresses (127.0.0.1, 127.0.0.2, ...) without touching the machine's resolver
or /etc/hosts. UDP only (what c-ares and Node's resolver ask first; answers are small).

Any other question gets an empty answer (NOERROR) for a known name, NXDOMAIN otherwise.
"""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

_A, _IN = 1, 1


def _question(packet: bytes) -> tuple[str, int, int]:
    """(name, qtype, end offset of the question) of a query's first question."""
    labels, offset = [], 12
    while packet[offset]:
        length = packet[offset]
        labels.append(packet[offset + 1 : offset + 1 + length].decode("ascii"))
        offset += 1 + length
    qtype, _ = struct.unpack("!HH", packet[offset + 1 : offset + 5])
    return ".".join(labels).lower(), qtype, offset + 5


def answer(packet: bytes, names: Mapping[str, list[str]]) -> bytes:
    """The response to one query."""
    (query_id,) = struct.unpack("!H", packet[:2])
    name, qtype, end = _question(packet)
    addresses = names.get(name.rstrip("."))
    records = addresses if addresses is not None and qtype == _A else []
    rcode = 0 if addresses is not None else 3  # NXDOMAIN
    flags = 0x8400 | 0x0100 | rcode  # response, authoritative, recursion desired echoed
    header = struct.pack("!HHHHHH", query_id, flags, 1, len(records), 0, 0)
    body = b"".join(
        struct.pack("!HHHIH", 0xC00C, _A, _IN, 1, 4) + ipaddress.IPv4Address(a).packed
        for a in records
    )
    return header + packet[12:end] + body


@contextmanager
def dns_server(names: Mapping[str, list[str]]) -> Iterator[str]:
    """Serve ``names`` (name -> IPv4 addresses) on 127.0.0.1; yields ``127.0.0.1:PORT``."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            sock.sendto(answer(data, names), self.client_address)

    server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
    server.address_family = socket.AF_INET
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
