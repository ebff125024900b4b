"""OpenTelemetry spans for every request, built from its ledger record when it ends.

One ``SERVER`` span per request with children for authentication, planning, admission,
each upstream attempt (``CLIENT`` spans) and the ledger write, with the attributes of the
GenAI semantic conventions (``gen_ai.operation.name``, ``gen_ai.system``,
``gen_ai.request.model``, ``gen_ai.response.model``, ``gen_ai.usage.input_tokens``, ...).

Why after the fact: the record already holds how long each step took (the same timings as
the trace's span waterfall, :mod:`gate_service.ledger.spans`), so the request path does
no tracing work at all: with tracing off nothing here runs, and with it on the spans are
made once, with explicit start and end times, and exported by the SDK's batch processor
on its own thread. The caller's W3C ``traceparent`` (the REST header, forwarded by the
bridge as gRPC metadata, or a gRPC client's own metadata) makes the request span its
child; an absent or malformed one starts a new trace.

The OpenTelemetry SDK is imported only when tracing is on (it costs start-up time).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gate_service.ledger.record import RequestRecord
from gate_service.ledger.spans import spans_of
from gate_service.routing.outcome import RequestContext
from gate_service.telemetry.config import TraceExport

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

log = logging.getLogger("spidergate.telemetry")

# GenAI semantic conventions: gen_ai.operation.name per kind of call.
OPERATIONS: Mapping[str, str] = {
    "chat": "chat",
    "response": "chat",
    "message": "chat",
    "completion": "text_completion",
    "embedding": "embeddings",
    "image": "image_generation",
    "speech": "speech",
    "transcription": "transcription",
    "moderation": "moderation",
}
_MS = 1_000_000  # nanoseconds


def _exporter(export: TraceExport) -> Any:
    """The OTLP span exporter for the protocol; it reads its endpoint, headers, timeout
    and compression from the ``OTEL_EXPORTER_OTLP_*`` variables itself."""
    if export.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    return HttpExporter()


class Tracing:
    """Makes and exports the spans of finished requests."""

    def __init__(self, export: TraceExport, service_name: str = "spidergate") -> None:
        from opentelemetry.sdk.resources import OTELResourceDetector, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace.propagation.tracecontext import (
            TraceContextTextMapPropagator,
        )

        # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the default name.
        resource = Resource.create({"service.name": service_name}).merge(
            OTELResourceDetector().detect()
        )
        self._provider: TracerProvider = TracerProvider(resource=resource)
        self._provider.add_span_processor(BatchSpanProcessor(_exporter(export)))
        self._tracer: Tracer = self._provider.get_tracer("spidergate")
        self._propagator = TraceContextTextMapPropagator()
        self.protocol = export.protocol
        self._failed = False
        log.info("exporting traces over OTLP (%s)", export.protocol)

    def __call__(self, record: RequestRecord, ctx: RequestContext, ledger_ms: float) -> None:
        """The spans of one finished request (a record observer: ``ledger_ms`` is how
        long its ledger write took). Never raises: a tracing fault must not fail a
        request that was served; it is logged once."""
        try:
            self._request(record, ctx.traceparent, ctx.tracestate, ledger_ms)
        except Exception:
            if not self._failed:
                self._failed = True
                log.exception("could not make a request's spans; further faults are not logged")

    def _request(
        self,
        record: RequestRecord,
        traceparent: str | None,
        tracestate: str | None,
        ledger_ms: float,
    ) -> None:
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        carrier = {"traceparent": traceparent} if traceparent else {}
        if traceparent and tracestate:
            carrier["tracestate"] = tracestate
        parent = self._propagator.extract(carrier)
        now = time.time_ns()
        # The record is made as the request ends; auth ran before the flight started.
        began = now - int(((record.auth_ms or 0.0) + record.latency_ms + ledger_ms) * _MS)
        operation = OPERATIONS.get(record.kind, record.kind)
        root = self._tracer.start_span(
            f"{operation} {record.requested_model}",
            context=parent,
            kind=SpanKind.SERVER,
            start_time=began,
            attributes=_request_attributes(record, operation),
        )
        if record.status >= 400:
            root.set_status(Status(StatusCode.ERROR, record.error_code or str(record.status)))
        inside = trace.set_span_in_context(root, parent)
        served_index = _served_index(record)
        attempt_index = -1
        for span in spans_of(record):
            start = began + int(span.start_ms * _MS)
            if span.name == "ledger":
                # spans_of places the ledger write when the request ended; its length
                # is the one measured here.
                child = self._tracer.start_span("ledger write", context=inside, start_time=start)
                child.end(end_time=start + int(ledger_ms * _MS))
                continue
            if span.name != "attempt":
                child = self._tracer.start_span(span.name, context=inside, start_time=start)
                child.end(end_time=start + int(span.duration_ms * _MS))
                continue
            attempt_index += 1
            if span.outcome == "skipped":
                root.add_event(
                    "candidate skipped",
                    {
                        "gen_ai.system": span.provider,
                        "gen_ai.request.model": span.model,
                        "spidergate.reason": record.attempts[attempt_index].error_message,
                    },
                    timestamp=start,
                )
                continue
            attrs: dict[str, Any] = {
                "gen_ai.operation.name": operation,
                "gen_ai.system": span.provider,
                "gen_ai.provider.name": span.provider,
                "gen_ai.request.model": span.model,
                "spidergate.key": span.key,
                "spidergate.outcome": span.outcome,
                "spidergate.attempt": attempt_index,
            }
            if span.status:
                attrs["http.response.status_code"] = span.status
            if attempt_index == served_index:
                attrs["gen_ai.response.model"] = record.served_model or span.model
                attrs["gen_ai.usage.input_tokens"] = record.prompt_tokens
                attrs["gen_ai.usage.output_tokens"] = record.completion_tokens
            child = self._tracer.start_span(
                f"{operation} {span.model}",
                context=inside,
                kind=SpanKind.CLIENT,
                start_time=start,
                attributes=attrs,
            )
            if span.outcome != "success":
                error = record.attempts[attempt_index].error_code or span.outcome
                child.set_attribute("error.type", error)
                child.set_status(Status(StatusCode.ERROR, error))
            child.end(end_time=start + int(span.duration_ms * _MS))
        root.end(end_time=now)

    def close(self) -> None:
        """Export what is buffered, then stop (bounded by the SDK's export timeout)."""
        self._provider.shutdown()


def _served_index(record: RequestRecord) -> int:
    """The index of the attempt that served, if any did (the last one that succeeded)."""
    if record.served_model is None:
        return -1
    for index in range(len(record.attempts) - 1, -1, -1):
        if record.attempts[index].outcome == "success":
            return index
    return -1


def _request_attributes(record: RequestRecord, operation: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": record.requested_model,
        "http.response.status_code": record.status,
        "spidergate.request_id": record.id,
        "spidergate.kind": record.kind,
        "spidergate.client_id": record.client_id,
        "spidergate.streamed": record.streamed,
        "spidergate.cache_hit": record.cache_hit,
        "spidergate.cost_usd": record.cost_usd,
        "spidergate.attempts": len(record.attempts),
        "gen_ai.usage.input_tokens": record.prompt_tokens,
        "gen_ai.usage.output_tokens": record.completion_tokens,
    }
    if record.provider:
        attrs["gen_ai.system"] = record.provider
        attrs["gen_ai.provider.name"] = record.provider
    if record.served_model:
        attrs["gen_ai.response.model"] = record.served_model
    if record.alias:
        attrs["spidergate.alias"] = record.alias
    if record.agent_name:
        attrs["spidergate.agent"] = record.agent_name
    if record.ttft_ms is not None:
        attrs["spidergate.ttft_ms"] = record.ttft_ms
    if record.cached_tokens:
        attrs["gen_ai.usage.cache_read_input_tokens"] = record.cached_tokens
    if record.status >= 400:
        attrs["error.type"] = record.error_code or str(record.status)
    return attrs
