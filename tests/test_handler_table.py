"""The server's handler table: every generated registration lands in it by name, each
handler bounded once; a method only registered generically is found and bounded too;
an unknown method is None (the server answers UNIMPLEMENTED)."""

from __future__ import annotations

from typing import Any, cast

import grpc

from gate_service.handler_table import HandlerTable
from gate_service.services import SERVICES


class _Details(grpc.HandlerCallDetails):
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


class _AnyServicer:
    """Answers every method name (the generated registration reads one per RPC)."""

    def __getattr__(self, name: str) -> Any:
        async def method(request: Any, context: Any) -> Any:
            return request

        return method


def _marking() -> tuple[HandlerTable, list[str]]:
    bounded: list[str] = []

    def bound(method: str, handler: Any) -> Any:
        bounded.append(method)
        return handler

    return HandlerTable(bound), bounded


def test_every_service_method_is_in_the_table_by_name_and_bounded_once() -> None:
    table, bounded = _marking()
    for service in SERVICES:
        service.register(_AnyServicer(), cast(grpc.aio.Server, table))
    expected = {f"/{s.name}/{m.name}" for s in SERVICES for m in s.methods}
    assert set(table.methods()) == expected
    assert sorted(bounded) == sorted(expected)
    for method in expected:
        assert table.service(_Details(method)) is not None
    assert len(bounded) == len(expected)  # lookups do not bound again


def test_a_generic_only_method_is_found_once_and_an_unknown_one_is_none() -> None:
    table, bounded = _marking()
    handler: Any = grpc.unary_unary_rpc_method_handler(lambda request, context: request)
    table.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("x.v1.Only", {"Call": handler}),)
    )
    assert table.service(_Details("/x.v1.Only/Call")) is handler
    assert table.service(_Details("/x.v1.Only/Call")) is handler
    assert bounded == ["/x.v1.Only/Call"]
    assert table.service(_Details("/x.v1.Only/Missing")) is None
