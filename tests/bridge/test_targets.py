"""``--core`` targets (bridge/targets.py): gRPC's own forms pass, the older comma list
becomes one ipv4:/ipv6: target, and a malformed one is refused with its reason."""

from __future__ import annotations

import socket

import pytest

from bridge.targets import core_target

HOSTS: dict[tuple[str, int], list[str]] = {
    ("core-a", socket.AF_INET): ["10.0.0.1"],
    ("core-b", socket.AF_INET): ["10.0.0.2"],
    ("v6only", socket.AF_INET6): ["fd00::1"],
}


def _resolve(host: str, family: int) -> list[str]:
    return HOSTS.get((host, family), [])


@pytest.mark.parametrize(
    "given",
    [
        "dns:///core.internal:50051",
        "dns://8.8.8.8/core.internal:50051",
        "unix:///run/spidergate.sock",
        "core.internal:50051",
        "127.0.0.1:50051",
        "ipv4:10.0.0.1:50051,10.0.0.2:50051",
        "ipv6:[::1]:50051,[fd00::2]:50052",
    ],
)
def test_grpc_targets_pass(given: str) -> None:
    assert core_target(given, _resolve) == given


@pytest.mark.parametrize(
    ("given", "target"),
    [
        (" 10.0.0.1:1, 10.0.0.2:2 ,", "ipv4:10.0.0.1:1,10.0.0.2:2"),
        ("core-a:50051,core-b:50051", "ipv4:10.0.0.1:50051,10.0.0.2:50051"),
        ("[::1]:1,v6only:2", "ipv6:[::1]:1,[fd00::1]:2"),
        ("ipv4: 10.0.0.1:1 ,10.0.0.2:2", "ipv4:10.0.0.1:1,10.0.0.2:2"),
    ],
)
def test_an_address_list_becomes_one_target(given: str, target: str) -> None:
    assert core_target(given, _resolve) == target


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (" , ", "no core"),
        ("a:1,a:1", "repeated"),
        ("core-a", "not host:port"),
        ("core-a:99999", "not host:port"),
        ("10.0.0.1:1,nowhere:2", "not all reachable"),
        ("10.0.0.1:1,v6only:2", "not all reachable"),
        ("ipv4:", "empty address"),
        ("ipv4:10.0.0.1:1,,10.0.0.2:2", "empty address"),
        ("ipv4:core-a:1", "not an IPv4"),
        ("ipv4:[::1]:1", "not an IPv4"),
        ("ipv6:::1:1", "not an IPv6"),
    ],
)
def test_bad_targets_are_refused_with_their_reason(given: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        core_target(given, _resolve)


def test_localhost_is_resolved_by_the_system() -> None:
    assert core_target("localhost:1,127.0.0.1:2") == "ipv4:127.0.0.1:1,127.0.0.1:2"
