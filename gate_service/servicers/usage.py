"""UsageService: the caller's own usage and traces, read from the ledger.

Who sees what is decided here once, from the principal, and then travels inside the query
(:class:`LedgerScope`): an agent token reads the requests it made, a client credential
its brand's. Request fields only ever narrow that, and a trace outside the scope is
answered exactly like an unknown one (``not_found``), so ids cannot be probed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import grpc

from gate_service.core import Core
from gate_service.errors import GateError
from gate_service.ledger import queries
from gate_service.ledger.views import LedgerScope
from gate_service.proto_convert.usage import (
    page_to_proto,
    trace_query_from_proto,
    trace_to_proto,
    usage_query_from_proto,
    usage_to_proto,
)
from gate_service.servicers.common import authenticate, call_headers, unary
from spidergate.v1 import usage_pb2 as pb
from spidergate.v1 import usage_pb2_grpc


class UsageServicer(usage_pb2_grpc.UsageServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    async def _scope(self, context: grpc.aio.ServicerContext) -> LedgerScope:
        return LedgerScope.of(await authenticate(self._core, context, "gate:usage"))

    @unary
    async def GetUsage(
        self, request: pb.GetUsageRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetUsageResponse:
        scope = await self._scope(context)
        query = usage_query_from_proto(request, scope, datetime.now(UTC))
        report = await asyncio.to_thread(queries.usage, self._core.db, query)
        reply = usage_to_proto(report)
        reply.headers.update(call_headers())
        return reply

    @unary
    async def ListTraces(
        self, request: pb.ListTracesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListTracesResponse:
        scope = await self._scope(context)
        query = trace_query_from_proto(request, scope, datetime.now(UTC))
        page = await asyncio.to_thread(queries.list_traces, self._core.db, query)
        reply = page_to_proto(page)
        reply.headers.update(call_headers())
        return reply

    @unary
    async def GetTrace(
        self, request: pb.GetTraceRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTraceResponse:
        scope = await self._scope(context)
        trace = None
        if request.trace_id:
            trace = await asyncio.to_thread(
                queries.get_trace, self._core.db, scope, request.trace_id
            )
        if trace is None:
            raise GateError("not_found", "No such trace.", param="trace_id")
        return pb.GetTraceResponse(trace=trace_to_proto(trace), headers=call_headers())
