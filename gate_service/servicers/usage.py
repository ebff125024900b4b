"""UsageService: the caller's own usage and traces, read from the ledger.

Who sees what is decided here once, from the principal, and then travels inside the query
(:class:`LedgerScope`): an agent token reads the requests it made, a client credential
its brand's. Request fields only ever narrow that, and a trace outside the scope is
answered exactly like an unknown one (``not_found``), so ids cannot be probed.

Queries go through the ledger's read gate (``gate_service/ledger/reads.py``): one at a
time, on a thread of their own, at most a set share of the time, so readers in a loop slow
themselves down rather than the chat path or the ledger writer.

A query string the bridge could not type arrives as is (``raw_query``) and is read here,
after authentication, with the bridge's own parser: the 401 comes first, and the 400
carries the token's ``X-RateLimit-*`` (``unary`` adds them).
"""

from __future__ import annotations

from datetime import UTC, datetime

import grpc

from gate_service.capture.store import StoredContent, get_content
from gate_service.core import Core
from gate_service.errors import GateError
from gate_service.ledger import queries
from gate_service.ledger.record import RequestRecord
from gate_service.ledger.spans import spans_of
from gate_service.ledger.views import LedgerScope, TracePage, UsageReport
from gate_service.proto_convert.untyped import query_params
from gate_service.proto_convert.usage import (
    content_to_proto,
    page_to_proto,
    record_to_proto,
    span_to_proto,
    trace_query_from_proto,
    traces_request_from_query,
    usage_query_from_proto,
    usage_request_from_query,
    usage_to_proto,
)
from gate_service.servicers.common import authenticate, call_headers, unary
from gate_service.storage.text import storable
from spidergate.v1 import usage_pb2 as pb
from spidergate.v1 import usage_pb2_grpc


class UsageServicer(usage_pb2_grpc.UsageServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    async def _scope(self, context: grpc.aio.ServicerContext) -> LedgerScope:
        return LedgerScope.of(await authenticate(self._core, context, "gate:usage"))

    # A window's default end is "now" when the query runs, not when it was asked: a read
    # that waited its turn at the read gate would otherwise find every row written in the
    # meantime after its end, and count them out of the current hour one by one.

    def _usage(self, request: pb.GetUsageRequest, scope: LedgerScope) -> UsageReport:
        query = usage_query_from_proto(request, scope, datetime.now(UTC))
        return queries.usage(self._core.db, query)

    def _traces(self, request: pb.ListTracesRequest, scope: LedgerScope) -> TracePage:
        query = trace_query_from_proto(request, scope, datetime.now(UTC))
        return queries.list_traces(self._core.db, query)

    @unary
    async def GetUsage(
        self, request: pb.GetUsageRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetUsageResponse:
        scope = await self._scope(context)
        if request.raw_query:  # a query string the bridge could not type: read it now
            request = usage_request_from_query(query_params(request.raw_query))
        usage_query_from_proto(request, scope, datetime.now(UTC))  # a bad parameter: 400 now
        report = await self._core.ledger.reads.run(self._usage, request, scope)
        reply = usage_to_proto(report)
        reply.headers.update(call_headers())
        return reply

    @unary
    async def ListTraces(
        self, request: pb.ListTracesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListTracesResponse:
        scope = await self._scope(context)
        if request.raw_query:  # a query string the bridge could not type: read it now
            request = traces_request_from_query(query_params(request.raw_query))
        trace_query_from_proto(request, scope, datetime.now(UTC))  # a bad parameter: 400 now
        page = await self._core.ledger.reads.run(self._traces, request, scope)
        reply = page_to_proto(page)
        reply.headers.update(call_headers())
        return reply

    @unary
    async def GetTrace(
        self, request: pb.GetTraceRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTraceResponse:
        scope = await self._scope(context)
        trace = None
        # An id no row can have (a control character; PostgreSQL refuses a NUL) is
        # simply not found.
        if request.trace_id and storable(request.trace_id):
            trace = await self._core.ledger.reads.run(self._trace, scope, request.trace_id)
        if trace is None:
            raise GateError("not_found", "No such trace.", param="trace_id")
        record, content = trace
        return pb.GetTraceResponse(
            trace=record_to_proto(record),
            headers=call_headers(),
            content=content_to_proto(content),
            spans=[span_to_proto(s) for s in spans_of(record)],
        )

    def _trace(
        self, scope: LedgerScope, trace_id: str
    ) -> tuple[RequestRecord, StoredContent | None] | None:
        """The trace within the scope and, when it was captured, its messages: the
        content is looked up only for a trace the caller may see, under its brand."""
        record = queries.get_trace(self._core.db, scope, trace_id)
        if record is None:
            return None
        return record, get_content(self._core.db, record.client_id, record.id)
