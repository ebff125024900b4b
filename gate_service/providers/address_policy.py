"""Where a brand's key may be sent: public addresses, plus networks the operator allows.

A brand sets its keys' ``base_url``; without a rule the gateway would send the key, and
the prompt, to any address a brand admin names: the cloud metadata service
(``169.254.169.254``), the gateway's own loopback services, the operator's private
network. So the addresses of a brand key's base URL must be globally routable unicast:
loopback, link-local, private (RFC 1918, ``fc00::/7``), shared (``100.64.0.0/10``),
unspecified, multicast, documentation and other reserved ranges are refused, unless the
address falls inside one of ``Settings.allowed_upstream_networks``
(``SPIDERGATE_ALLOWED_UPSTREAM_NETWORKS``, comma-separated CIDRs).

IPv6 forms that carry an IPv4 address (``::ffff:a.b.c.d``, 6to4 ``2002::/16``, Teredo,
the NAT64 prefix ``64:ff9b::/96``) are judged by the IPv4 address they reach.

Pure and synchronous: :mod:`gate_service.vault.validation` applies it when a key is saved,
:mod:`gate_service.providers.transport` to every address a brand key's request resolves
to. Pool keys (the operator's own) are not restricted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from gate_service.errors import invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTING = "SPIDERGATE_ALLOWED_UPSTREAM_NETWORKS"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs (or single addresses) as networks; a malformed one is a ``ValueError``
    naming the setting, so a typo stops the start instead of silently allowing less."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"{SETTING}: '{value}' is not a network ({error})") from None
    return tuple(networks)


def reached(address: IPAddress) -> IPAddress:
    """The address a packet really goes to: the IPv4 inside a mapped, 6to4, Teredo or
    NAT64 IPv6 address, else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return address


def kind_of(address: IPAddress) -> str | None:
    """Why an address is not a public unicast one ("loopback", "link-local", ...), or None."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved"
    return None


def host_of(url: str) -> str:
    """The host of a URL, without brackets; "" when it has none or cannot be parsed."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names literally (``10.0.0.5``, ``::1``), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """The rule for brand keys' addresses, with the operator's exceptions."""

    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, networks: Iterable[str]) -> AddressPolicy:
        return cls(parse_networks(networks))

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be used for a brand key ("a link-local address"), or
        None when it may."""
        target = reached(address)
        for candidate in {address, target}:
            if any(candidate in n for n in self.allowed if candidate.version == n.version):
                return None
        kind = kind_of(target) or kind_of(address)
        if kind is None:
            return None
        article = "an" if kind[0] in "aeiou" else "a"
        via = "" if target == address else f" (reaching {target})"
        return f"{article} {kind} address{via}"

    def explain(self, host: str, address: IPAddress) -> str | None:
        """A sentence saying why ``host`` may not be used, or None when ``address`` may."""
        reason = self.refusal(address)
        if reason is None:
            return None
        if ip_literal(host) is not None:
            return f"{address} is {reason}"
        return f"'{host}' resolves to {address}, {reason}"

    def check_addresses(self, host: str, addresses: Iterable[IPAddress]) -> None:
        """A 400 naming ``base_url`` if any address of the URL's host is refused."""
        for address in addresses:
            reason = self.explain(host, address)
            if reason is not None:
                raise invalid(
                    f"base_url is refused: {reason}; brand keys must use public addresses "
                    f"unless the operator allows the network ({SETTING})",
                    "base_url",
                )
