"""What ``serve bridge --core`` accepts, as one gRPC target for one channel.

gRPC names what a channel connects to with a target URI and resolves it itself; its
``round_robin`` policy then spreads calls over every address the resolver returns
(``bridge/core_client.py``). So the bridge passes a target through rather than keeping a
list of its own:

- ``dns:///core.internal:50051``: every address the name resolves to, re-resolved when a
  connection drops (a Kubernetes headless Service names every ready pod this way);
- ``ipv4:10.0.0.1:50051,10.0.0.2:50051`` and ``ipv6:[::1]:50051,[::1]:50052``: a fixed
  list of addresses (checked here, so a typo stops the bridge at start, not at its first
  call); ``unix:``, ``unix-abstract:``, ``vsock:`` and ``xds:`` targets pass as they are;
- a plain ``host:port``: gRPC's default, ``dns:///host:port``;
- the older comma-separated list ``A:1,B:2`` (before gRPC balanced for the bridge): turned
  into an ``ipv4:`` (or ``ipv6:``) target. A host name in such a list is resolved once, at
  start; give a ``dns:///`` name to follow a name whose addresses change.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

# Schemes gRPC's resolvers register, whose targets are passed through.
_CHECKED = ("ipv4:", "ipv6:")
_PASSED = ("dns:", "unix:", "unix-abstract:", "vsock:", "xds:")

Resolve = Callable[[str, int], list[str]]


def _resolve(host: str, family: int) -> list[str]:
    """The addresses of ``host`` in ``family`` (AF_INET or AF_INET6); [] when none."""
    try:
        found = socket.getaddrinfo(host, None, family=family, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return [str(info[4][0]) for info in found]


def _split(address: str) -> tuple[str, int]:
    """``"host:port"`` or ``"[v6]:port"`` -> (host, port); ValueError when malformed."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{address}' is not host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _check_addresses(target: str) -> str:
    """An ``ipv4:`` / ``ipv6:`` target whose every address is of its family."""
    scheme, _, rest = target.partition(":")
    version = 4 if scheme == "ipv4" else 6
    addresses = [a.strip() for a in rest.split(",")]
    if not rest or not all(addresses):
        raise ValueError(f"'{target}' lists an empty address")
    for address in addresses:
        host, _ = _split(address)
        literal = _literal(host)
        bracketed = address.startswith("[")
        if literal is None or literal.version != version or bracketed != (version == 6):
            form = "[address]:port" if version == 6 else "address:port"
            raise ValueError(f"'{address}' in '{target}' is not an IPv{version} {form}")
    return f"{scheme}:{','.join(addresses)}"


def _address_list(addresses: Sequence[str], resolve: Resolve) -> str:
    """``["a:1", "b:2"]`` -> one ``ipv4:`` (else ``ipv6:``) target naming them all."""
    split = [_split(a) for a in addresses]
    for family, scheme in ((socket.AF_INET, "ipv4"), (socket.AF_INET6, "ipv6")):
        version = 4 if family == socket.AF_INET else 6
        found = []
        for host, port in split:
            literal = _literal(host)
            if literal is not None:
                ips = [str(literal)] if literal.version == version else []
            else:
                ips = resolve(host, family)
            if not ips:
                break
            ip = ips[0]
            found.append(f"[{ip}]:{port}" if version == 6 else f"{ip}:{port}")
        else:
            return f"{scheme}:{','.join(found)}"
    raise ValueError(
        f"the cores {', '.join(addresses)} are not all reachable over IPv4, nor all over "
        "IPv6: give an ipv4:, ipv6: or dns:/// target"
    )


def core_target(text: str, resolve: Resolve = _resolve) -> str:
    """The gRPC target for ``--core``; ValueError (naming what is wrong) otherwise."""
    text = text.strip()
    if text.startswith(_CHECKED):
        return _check_addresses(text)
    if text.startswith(_PASSED):
        return text
    addresses = [a.strip() for a in text.split(",") if a.strip()]
    if not addresses:
        raise ValueError("no core address given")
    if len(set(addresses)) != len(addresses):
        raise ValueError(f"a core address is repeated in '{text}'")
    if len(addresses) == 1:
        _split(addresses[0])
        return addresses[0]
    return _address_list(addresses, resolve)
