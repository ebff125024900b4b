"""Log lines as text (the default) or as one JSON object per line (``--log-format json``),
the JSON ones carrying the id of the request they were written for and, when the caller
sent a W3C ``traceparent``, its trace id, so a log store can join lines to requests and
to traces.

The ids live in a context variable set once per request by the servicer
(:func:`bind_request`); asyncio copies context into each task, so a line logged anywhere
while serving the request (the failover loop, an adapter, the pipeline) finds them, and
lines logged outside any request carry neither.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

from gate_service.ledger.record import RequestRecord
from gate_service.routing.outcome import RequestContext

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# (request id, trace id or None) of the request being served.
_REQUEST: ContextVar[tuple[str, str | None] | None] = ContextVar("spidergate_request", default=None)


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id of a well-formed W3C ``traceparent`` (version 00), else None."""
    if not traceparent or len(traceparent) != 55:
        return None
    parts = traceparent.split("-")
    if len(parts) != 4:
        return None
    version, trace_id, span_id, flags = parts
    if version != "00" or len(trace_id) != 32 or len(span_id) != 16 or len(flags) != 2:
        return None
    try:
        int(trace_id, 16), int(span_id, 16), int(flags, 16)
    except ValueError:
        return None
    return None if trace_id == "0" * 32 else trace_id.lower()


def bind_request(request_id: str, traceparent: str | None) -> None:
    """Mark the current task as serving ``request_id`` (for the log lines it writes)."""
    _REQUEST.set((request_id, trace_id_of(traceparent)))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request and trace ids
    when there are any, and the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        bound = _REQUEST.get()
        if bound is not None:
            line["request_id"] = bound[0]
            if bound[1] is not None:
                line["trace_id"] = bound[1]
        fields = getattr(record, "request", None)
        if isinstance(fields, dict):
            line["request"] = fields
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


_access = logging.getLogger("spidergate.access")


def access_line(record: RequestRecord, ctx: RequestContext, ledger_ms: float) -> None:
    """The access log's line for one finished request (a record observer): as text, a
    readable summary; as JSON, the same fields under ``request``."""
    fields = {
        "kind": record.kind,
        "status": record.status,
        "model": record.requested_model,
        "served_model": record.served_model,
        "provider": record.provider,
        "latency_ms": record.latency_ms,
        "attempts": len(record.attempts),
        "cost_usd": record.cost_usd,
        "streamed": record.streamed,
        "error_code": record.error_code,
    }
    _access.info(
        "%s %s -> %s %s %.1f ms",
        record.kind,
        record.requested_model,
        record.served_model or "-",
        record.status,
        record.latency_ms,
        extra={"request": fields},
    )


def configure(level: str, log_format: str) -> None:
    """The root logger's level and format (``text`` or ``json``) for ``spidergate serve``."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
