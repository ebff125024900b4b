"""UsageService: the caller's own usage and traces, read from the ledger.

Who sees what is decided here once, from the principal, and then travels inside the query
(:class:`LedgerScope`): an agent token reads the requests it made, a client credential
its brand's. Request fields only ever narrow that, and a trace outside the scope is
answered exactly like an unknown one (``not_found``), so ids cannot be probed.

Queries go through the ledger's read gate (``gate_service/ledger/reads.py``): one at a
time, on a thread of their own, at most a set share of the time, so readers in a loop slow
themselves down rather than the chat path or the ledger writer.

The operator token reads every brand's rows (``LedgerScope.everyone``); ``GetCapacity``
weighs the ledger's attempts against the keys the caller may route to
(:mod:`gate_service.vault.capacity`).

A query string the bridge could not type arrives as is (``raw_query``) and is read here,
after authentication, with the bridge's own parser: the 401 comes first, and the 400
carries the token's ``X-RateLimit-*`` (``unary`` adds them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc

from gate_service.capture.store import StoredContent, get_content
from gate_service.core import Core
from gate_service.errors import GateError
from gate_service.ledger import analytics, queries
from gate_service.ledger.analytics_views import CapacityQuery, ProviderLoad
from gate_service.ledger.record import RequestRecord
from gate_service.ledger.spans import spans_of
from gate_service.ledger.views import LedgerScope, TimeWindow, TracePage, UsageReport
from gate_service.proto_convert import analytics as convert
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
from gate_service.servicers.common import (
    authenticate,
    call_headers,
    is_operator,
    unary,
)
from gate_service.storage.text import storable
from gate_service.vault.capacity import Capacity, KeyCapacity, assess
from gate_service.vault.health import key_health
from gate_service.vault.manager import Caller, VaultManager
from gate_service.vault.records import KeyQuery
from spidergate.v1 import usage_pb2 as pb
from spidergate.v1 import usage_pb2_grpc


class UsageServicer(usage_pb2_grpc.UsageServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._vault = VaultManager.for_core(core)

    async def _scope(self, context: grpc.aio.ServicerContext) -> LedgerScope:
        if is_operator(self._core, context):
            return LedgerScope.everyone()
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

    @unary
    async def GetTraceStats(
        self, request: pb.GetTraceStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTraceStatsResponse:
        scope = await self._scope(context)
        if request.raw_query:
            request = convert.trace_stats_request_from_query(query_params(request.raw_query))
        convert.trace_stats_query_from_proto(request, scope, datetime.now(UTC))  # 400 now
        stats = await self._core.ledger.reads.run(
            lambda: analytics.trace_stats(
                self._core.db,
                convert.trace_stats_query_from_proto(request, scope, datetime.now(UTC)),
            )
        )
        reply = convert.trace_stats_to_proto(stats)
        reply.headers.update(call_headers())
        return reply

    @unary
    async def GetStats(
        self, request: pb.GetStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetStatsResponse:
        scope = await self._scope(context)
        if request.raw_query:
            request = convert.stats_request_from_query(query_params(request.raw_query))
        convert.stats_window_from_proto(request, datetime.now(UTC))  # a bad window: 400 now
        stats = await self._core.ledger.reads.run(
            lambda: analytics.stats(
                self._core.db, scope, convert.stats_window_from_proto(request, datetime.now(UTC))
            )
        )
        reply = convert.stats_to_proto(stats)
        reply.headers.update(call_headers())
        return reply

    @unary
    async def GetFlow(
        self, request: pb.GetFlowRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetFlowResponse:
        scope = await self._scope(context)
        if request.raw_query:
            request = convert.flow_request_from_query(query_params(request.raw_query))
        query = convert.flow_query_from_proto(request, scope)
        flow = await self._core.ledger.reads.run(
            lambda: analytics.flow(self._core.db, query, datetime.now(UTC))
        )
        reply = convert.flow_to_proto(flow)
        reply.headers.update(call_headers())
        return reply

    @unary
    async def GetCapacity(
        self, request: pb.GetCapacityRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCapacityResponse:
        scope = await self._scope(context)
        if request.raw_query:
            request = convert.capacity_request_from_query(query_params(request.raw_query))
        query = convert.capacity_query_from_proto(request, scope)
        now = datetime.now(UTC)
        window = TimeWindow(now - timedelta(days=query.days), now)
        loads = await self._core.ledger.reads.run(
            analytics.provider_loads, self._core.db, scope, window
        )
        rows = await self._capacity(query, loads)
        reply = convert.capacity_to_proto(rows, window)
        reply.headers.update(call_headers())
        return reply

    async def _capacity(
        self, query: CapacityQuery, loads: dict[str, ProviderLoad]
    ) -> list[Capacity]:
        """One verdict per provider the caller has keys at or sent traffic to: a brand's
        (and an agent token's) keys are its own and the pool's; the operator's, every key."""
        caller = Caller(query.scope.client_id)
        views = await self._vault.list_keys(caller, KeyQuery(include_pool=True))
        by_provider: dict[str, list[KeyCapacity]] = {p: [] for p in loads}
        registered: dict[str, int] = {}
        book = self._vault.health
        # Routing order (brand keys before the pool's, then by id) decides which keys count.
        for view in sorted(views, key=lambda v: (v.is_pool, v.id)):
            registered[view.provider] = registered.get(view.provider, 0) + 1
            keys = by_provider.setdefault(view.provider, [])
            if len(keys) >= query.key_limit:
                continue
            health = key_health(view, book)
            keys.append(
                KeyCapacity(
                    state=health.state,
                    spend_blocked=health.spend_blocked,
                    rpm_limit=view.options.rpm_limit,
                    rpd_limit=view.options.rpd_limit,
                )
            )
        return [
            assess(
                provider,
                keys,
                loads.get(provider, ProviderLoad(provider)),
                query.days,
                registered.get(provider, 0),
            )
            for provider, keys in sorted(by_provider.items())
        ]
