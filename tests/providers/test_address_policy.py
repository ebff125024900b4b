"""Where brand keys may send requests: the address rule, and the transport enforcing it
when a name is resolved (DNS rebinding, redirects), against a real local HTTP server."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from gate_service.errors import GateError
from gate_service.providers.address_policy import SETTING, AddressPolicy, parse_networks
from gate_service.providers.base import FailureKind, UpstreamFailure, UpstreamRequest
from gate_service.providers.transport import (
    checked_addresses,
    create_session,
    post,
    restrict_base_urls,
)

REFUSED = {
    "169.254.169.254": "link-local",
    "127.0.0.1": "loopback",
    "10.0.0.5": "private",
    "172.16.3.4": "private",
    "192.168.1.1": "private",
    "100.64.0.1": "reserved",
    "192.0.2.1": "private",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "::1": "loopback",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "::": "unspecified",
    "ff02::1": "multicast",
    # IPv6 spellings of an IPv4 address are judged by where they lead.
    "::ffff:169.254.169.254": "link-local",
    "2002:a9fe:a9fe::1": "link-local",
    "64:ff9b::a9fe:a9fe": "link-local",
}


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    reason = AddressPolicy().refusal(ipaddress.ip_address(address))
    assert reason is not None and kind in reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_the_operator_allows_networks() -> None:
    policy = AddressPolicy.from_settings(["10.0.0.0/8", " 127.0.0.1 ", "fd00::/8"])
    for allowed in ("10.0.0.5", "10.255.0.1", "127.0.0.1", "fd12::1", "::ffff:10.0.0.5"):
        assert policy.refusal(ipaddress.ip_address(allowed)) is None, allowed
    for refused in ("127.0.0.2", "169.254.169.254", "192.168.0.1", "fc00::1"):
        assert policy.refusal(ipaddress.ip_address(refused)) is not None, refused


def test_a_malformed_network_stops_the_start() -> None:
    with pytest.raises(ValueError, match=SETTING):
        parse_networks(["10.0.0.0/33"])


def test_the_400_names_base_url() -> None:
    with pytest.raises(GateError) as caught:
        AddressPolicy().check_addresses("metadata.test", [ipaddress.ip_address("169.254.169.254")])
    assert caught.value.param == "base_url" and caught.value.http_status == 400
    assert "'metadata.test' resolves to 169.254.169.254, a link-local address" in str(
        caught.value.message
    )


# ------------------------------------------------------------------ the transport


class ScriptedDNS(AbstractResolver):
    """A resolver whose answers the test sets (what an attacker's DNS server would do)."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}
        self.asked = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked += 1
        address = self.answers[host]
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        pass


class Upstream:
    def __init__(self, server: TestServer, seen: list[str]) -> None:
        self.server, self.seen = server, seen

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    """A provider on 127.0.0.1 that closes every connection (each request connects anew,
    so each resolves its host again) and redirects ``/redirect`` to the metadata address."""
    seen: list[str] = []

    async def answer(request: web.Request) -> web.StreamResponse:
        seen.append(request.path)
        if request.path.endswith("/redirect"):
            raise web.HTTPTemporaryRedirect("http://169.254.169.254/latest/meta-data")
        return web.json_response({"ok": True}, headers={"Connection": "close"})

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", answer)
    # Entered by name: ``TestServer.__aenter__`` is typed as returning the base class.
    server = TestServer(app, host="127.0.0.1")
    async with server:
        yield Upstream(server, seen)


def _request(url: str) -> UpstreamRequest:
    return UpstreamRequest(url=url, headers={"Authorization": "Bearer k"}, body=b"{}")


async def _refusal(session: Any, url: str) -> UpstreamFailure:
    with pytest.raises(UpstreamFailure) as caught:
        await post(session, _request(url), 5)
    assert caught.value.kind is FailureKind.CONNECTION and caught.value.status == 502
    return caught.value


async def test_a_name_rebound_to_a_forbidden_address_is_refused(upstream: Upstream) -> None:
    dns = ScriptedDNS()
    dns.answers["brand.test"] = "127.0.0.1"
    async with create_session(AddressPolicy.from_settings(["127.0.0.1/32"]), dns) as session:
        base = f"http://brand.test:{upstream.port}/v1"
        restrict_base_urls(session, [base])
        ok = await post(session, _request(base + "/chat/completions"), 5)
        assert ok.status == 200 and upstream.seen == ["/v1/chat/completions"]

        # The record now points elsewhere (and the DNS cache entry ran out).
        dns.answers["brand.test"] = "127.0.0.2"
        session.connector.clear_dns_cache()  # type: ignore[union-attr]
        refused = await _refusal(session, base + "/chat/completions")
        assert refused.message == (
            "upstream address refused: 'brand.test' resolves to 127.0.0.2, a loopback address"
        )
        assert upstream.seen == ["/v1/chat/completions"]  # nothing was sent
        assert dns.asked == 2


async def test_address_literals_and_unrestricted_requests(upstream: Upstream) -> None:
    dns = ScriptedDNS()
    dns.answers["pool.test"] = "127.0.0.1"
    async with create_session(resolver=dns) as session:
        restrict_base_urls(session, ["http://169.254.169.254", "http://brand.test/v1"])
        refused = await _refusal(session, "http://169.254.169.254/latest/meta-data")
        assert refused.message.endswith("169.254.169.254 is a link-local address")

        # A request not under a brand key's base URL (a pool key's) is not checked...
        pool = f"http://pool.test:{upstream.port}/v1/chat/completions"
        assert (await post(session, _request(pool), 5)).status == 200
        # ...unless the caller asks (a brand's connection test of a new key).
        with checked_addresses():
            refused = await _refusal(session, pool)
        assert "'pool.test' resolves to 127.0.0.1, a loopback address" in refused.message
        assert upstream.seen == ["/v1/chat/completions"]


async def test_a_redirect_cannot_lead_a_brand_key_inside(upstream: Upstream) -> None:
    async with create_session(AddressPolicy.from_settings(["127.0.0.1/32"])) as session:
        base = f"http://127.0.0.1:{upstream.port}/v1"
        restrict_base_urls(session, [base])
        refused = await _refusal(session, base + "/redirect")
        assert refused.message.endswith("169.254.169.254 is a link-local address")
        assert upstream.seen == ["/v1/redirect"]
