"""Usage and traces: REST query ⇄ proto for the bridge, proto ⇄ domain for both sides.
The JSON the bridge answers with is shaped by :mod:`gate_service.ledger.json_shapes`.

REST query parameters: ``from`` / ``to`` (ISO 8601, or unix seconds), ``bucket``
(``day`` | ``hour``), ``kind`` (a request kind: ``chat``, ``embedding``, ...), and for
traces ``agent``, ``model``, ``status`` (``success``, ``error`` or an HTTP status),
``limit`` (1-500, default 50), ``offset``. A bad value is a 400 ``invalid_request`` naming
the parameter. On the wire times are unix milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, cast

import orjson

from gate_service.capture.store import StoredContent
from gate_service.errors import invalid
from gate_service.ledger.record import (
    ATTEMPT_FIELDS,
    PRIVATE,
    SHOWN,
    Attempt,
    RequestKind,
    RequestRecord,
    shown_name,
)
from gate_service.ledger.spans import Span
from gate_service.ledger.views import (
    DEFAULT_TRACE_LIMIT,
    Bucket,
    LedgerScope,
    StatusClass,
    TimeWindow,
    TracePage,
    TraceQuery,
    UsageBucket,
    UsageGroup,
    UsageMetrics,
    UsageQuery,
    UsageReport,
    check_kind,
)
from gate_service.storage.text import check_storable
from spidergate.v1 import usage_pb2 as pb

BUCKETS: dict[str, int] = {"hour": pb.BUCKET_SIZE_HOUR, "day": pb.BUCKET_SIZE_DAY}
BUCKET_NAMES: dict[int, Bucket] = {pb.BUCKET_SIZE_HOUR: "hour", pb.BUCKET_SIZE_DAY: "day"}
STATUS_CLASSES: dict[str, int] = {
    "success": pb.STATUS_CLASS_SUCCESS,
    "error": pb.STATUS_CLASS_ERROR,
}
STATUS_CLASS_NAMES: dict[int, StatusClass] = {
    pb.STATUS_CLASS_SUCCESS: "success",
    pb.STATUS_CLASS_ERROR: "error",
}
_UNIX = re.compile(r"-?\d+(\.\d+)?")
_MAX_UNIX_S = 253_402_300_799  # 9999-12-31T23:59:59Z
_INT32 = 2**31

# ------------------------------------------------------------------ times


def parse_time(value: str, param: str) -> datetime:
    """ISO 8601 (a naive time is UTC; a date alone is its midnight) or unix seconds."""
    text = value.strip()
    try:
        if _UNIX.fullmatch(text):
            seconds = float(text)
            if not 0 <= seconds <= _MAX_UNIX_S:
                raise ValueError(text)
            return datetime.fromtimestamp(seconds, UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise invalid(
            f"'{param}' must be an ISO 8601 time or unix seconds, not {value!r}", param
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def to_ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def _window_to_proto(params: Mapping[str, str], message: Any) -> None:
    for param, field in (("from", "start_time_ms"), ("to", "end_time_ms")):
        if (value := params.get(param)) is not None:
            setattr(message, field, to_ms(parse_time(value, param)))


def _window_from_proto(message: Any, now: datetime) -> TimeWindow:
    start = from_ms(message.start_time_ms) if message.HasField("start_time_ms") else None
    end = from_ms(message.end_time_ms) if message.HasField("end_time_ms") else None
    return TimeWindow.build(start, end, now)


def _int_param(params: Mapping[str, str], param: str) -> int | None:
    value = params.get(param)
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        raise invalid(f"'{param}' must be an integer", param) from None
    if not -_INT32 <= number < _INT32:
        raise invalid(f"'{param}' is out of range", param)
    return number


def _number_param(params: Mapping[str, str], param: str) -> float | None:
    """A non-negative finite number."""
    value = params.get(param)
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        number = -1.0
    if not 0 <= number < float("inf"):
        raise invalid(f"'{param}' must be a number of at least 0", param)
    return number


def _kind_param(params: Mapping[str, str]) -> str:
    """The ``kind`` filter ("" for every kind)."""
    kind = params.get("kind")
    check_kind(kind)
    return kind or ""


def _kind(value: str) -> RequestKind | None:
    """A kind filter off the wire: "" is every kind; the query types refuse an unknown
    one (400 naming ``kind``)."""
    return cast("RequestKind", value) if value else None


# ------------------------------------------------------------------ REST query -> proto


def usage_request_from_query(params: Mapping[str, str]) -> pb.GetUsageRequest:
    message = pb.GetUsageRequest(kind=_kind_param(params))
    if (compare := params.get("compare")) is not None:
        if compare not in ("true", "false"):
            raise invalid("'compare' must be true or false", "compare")
        message.compare = compare == "true"
    _window_to_proto(params, message)
    if (bucket := params.get("bucket")) is not None:
        if bucket not in BUCKETS:
            raise invalid("'bucket' must be day or hour", "bucket")
        message.bucket = BUCKETS[bucket]  # type: ignore[assignment]
    return message


def traces_request_from_query(params: Mapping[str, str]) -> pb.ListTracesRequest:
    message = pb.ListTracesRequest(
        agent=params.get("agent", ""), model=params.get("model", ""), kind=_kind_param(params)
    )
    _window_to_proto(params, message)
    limit = _int_param(params, "limit")
    if limit is not None:
        if limit == 0:  # on the wire 0 means "the default"
            raise invalid("'limit' must be between 1 and 500", "limit")
        message.limit = limit
    offset = _int_param(params, "offset")
    if offset is not None:
        message.offset = offset
    for param in ("min_latency_ms", "min_cost_usd"):
        if (number := _number_param(params, param)) is not None:
            setattr(message, param, number)
    if (status := params.get("status")) is not None:
        if status in STATUS_CLASSES:
            message.status_class = STATUS_CLASSES[status]  # type: ignore[assignment]
        elif status.isascii() and status.isdigit() and 100 <= int(status) <= 599:
            message.status_code = int(status)
        else:
            raise invalid("'status' must be success, error or an HTTP status", "status")
    return message


# ------------------------------------------------------------------ proto -> domain queries


def usage_query_from_proto(
    req: pb.GetUsageRequest, scope: LedgerScope, now: datetime
) -> UsageQuery:
    bucket = BUCKET_NAMES.get(req.bucket, "day")
    window = _window_from_proto(req, now)
    return UsageQuery(scope, window, bucket, _kind(req.kind), compare=req.compare)


def trace_query_from_proto(
    req: pb.ListTracesRequest, scope: LedgerScope, now: datetime
) -> TraceQuery:
    # A filter is compared with stored text: one no column can hold (a NUL, which
    # PostgreSQL refuses outright) is a 400, as the vault's filters are.
    return TraceQuery(
        scope,
        _window_from_proto(req, now),
        agent=check_storable(req.agent, "agent") or None,
        model=check_storable(req.model, "model") or None,
        status_class=STATUS_CLASS_NAMES.get(req.status_class),
        status=req.status_code or None,
        kind=_kind(req.kind),
        limit=req.limit or DEFAULT_TRACE_LIMIT,
        offset=req.offset,
        min_latency_ms=_opt(req, "min_latency_ms"),
        min_cost_usd=_opt(req, "min_cost_usd"),
    )


# ------------------------------------------------------------------ domain <-> proto


def _opt(message: Any, name: str) -> Any:
    return getattr(message, name) if message.HasField(name) else None


def metrics_to_proto(m: UsageMetrics) -> pb.UsageMetrics:
    return pb.UsageMetrics(
        requests=m.requests,
        errors=m.errors,
        error_rate=m.error_rate,
        prompt_tokens=m.prompt_tokens,
        completion_tokens=m.completion_tokens,
        cached_tokens=m.cached_tokens,
        reasoning_tokens=m.reasoning_tokens,
        cost_usd=m.cost_usd,
        latency_p50_ms=m.latency_p50_ms,
        latency_p95_ms=m.latency_p95_ms,
        latency_p99_ms=m.latency_p99_ms,
        cache_hits=m.cache_hits,
        cache_hit_rate=m.cache_hit_rate,
        fallbacks=m.fallbacks,
    )


def metrics_from_proto(m: pb.UsageMetrics) -> UsageMetrics:
    return UsageMetrics(
        requests=m.requests,
        errors=m.errors,
        prompt_tokens=m.prompt_tokens,
        completion_tokens=m.completion_tokens,
        cached_tokens=m.cached_tokens,
        reasoning_tokens=m.reasoning_tokens,
        cost_usd=m.cost_usd,
        latency_p50_ms=_opt(m, "latency_p50_ms"),
        latency_p95_ms=_opt(m, "latency_p95_ms"),
        latency_p99_ms=_opt(m, "latency_p99_ms"),
        cache_hits=m.cache_hits,
        fallbacks=m.fallbacks,
    )


def _groups_to_proto(groups: tuple[UsageGroup, ...]) -> list[pb.UsageGroup]:
    return [pb.UsageGroup(key=g.key, metrics=metrics_to_proto(g.metrics)) for g in groups]


def _groups_from_proto(groups: Any) -> tuple[UsageGroup, ...]:
    return tuple(UsageGroup(_opt(g, "key"), metrics_from_proto(g.metrics)) for g in groups)


def usage_to_proto(report: UsageReport) -> pb.GetUsageResponse:
    message = _report_to_proto(report)
    if report.comparison is not None:
        before = _report_to_proto(report.comparison)
        message.comparison.CopyFrom(
            pb.UsageComparison(
                **{f.name: getattr(before, f.name) for f in pb.UsageComparison.DESCRIPTOR.fields}
            )
        )
    return message


def _report_to_proto(report: UsageReport) -> pb.GetUsageResponse:
    return pb.GetUsageResponse(
        start_time_ms=to_ms(report.window.start),
        end_time_ms=to_ms(report.window.end),
        bucket=BUCKETS[report.bucket],  # type: ignore[arg-type]
        totals=metrics_to_proto(report.totals),
        by_model=_groups_to_proto(report.by_model),
        by_provider=_groups_to_proto(report.by_provider),
        by_alias=_groups_to_proto(report.by_alias),
        by_agent=_groups_to_proto(report.by_agent),
        by_kind=_groups_to_proto(report.by_kind),
        by_bucket=[
            pb.UsageBucket(start_time_ms=to_ms(b.start), metrics=metrics_to_proto(b.metrics))
            for b in report.by_bucket
        ],
    )


def usage_from_proto(msg: pb.GetUsageResponse) -> UsageReport:
    report = _report_from_proto(msg)
    if not msg.HasField("comparison"):
        return report
    c = msg.comparison
    before = pb.GetUsageResponse(
        bucket=msg.bucket,
        **{f.name: getattr(c, f.name) for f in pb.UsageComparison.DESCRIPTOR.fields},
    )
    return replace(report, comparison=_report_from_proto(before))


def _report_from_proto(msg: pb.GetUsageResponse) -> UsageReport:
    return UsageReport(
        window=TimeWindow(from_ms(msg.start_time_ms), from_ms(msg.end_time_ms)),
        bucket=BUCKET_NAMES.get(msg.bucket, "day"),
        totals=metrics_from_proto(msg.totals),
        by_model=_groups_from_proto(msg.by_model),
        by_provider=_groups_from_proto(msg.by_provider),
        by_alias=_groups_from_proto(msg.by_alias),
        by_agent=_groups_from_proto(msg.by_agent),
        by_kind=_groups_from_proto(msg.by_kind),
        by_bucket=tuple(
            UsageBucket(from_ms(b.start_time_ms), metrics_from_proto(b.metrics))
            for b in msg.by_bucket
        ),
    )


# pb.Trace carries every field a client sees under its shown name (``record.SHOWN_AS``);
# the time travels as unix milliseconds and the attempts as messages of their own.
_PROTO_FIELDS = tuple(f for f in SHOWN if f not in ("created_at", "attempts"))
_PROTO_NAMES = tuple(shown_name(f) for f in _PROTO_FIELDS)
_record_values = attrgetter(*_PROTO_FIELDS)
_attempt_values = attrgetter(*ATTEMPT_FIELDS)
# Read back by kind: ``optional`` fields (unset means None), repeated ones (the record's
# tuples), plain ones.
_OPTIONAL = frozenset(f.name for f in pb.Trace.DESCRIPTOR.fields if f.has_presence)
_OPTIONAL_PAIRS = tuple(
    (f, n) for f, n in zip(_PROTO_FIELDS, _PROTO_NAMES, strict=True) if n in _OPTIONAL
)
_TUPLE_FIELDS = tuple(
    f.name
    for f in fields(RequestRecord)
    if f.name in _PROTO_FIELDS and str(f.type).startswith("tuple[")
)


def record_to_proto(r: RequestRecord) -> pb.Trace:
    return pb.Trace(
        **dict(zip(_PROTO_NAMES, _record_values(r), strict=True)),
        created_ms=to_ms(r.created_at),
        attempts=[
            pb.TraceAttempt(**dict(zip(ATTEMPT_FIELDS, _attempt_values(a), strict=True)))
            for a in r.attempts
        ],
    )


def record_from_proto(t: pb.Trace) -> RequestRecord:
    """The record a trace shows; the fields it never shows (``record.PRIVATE``) are None."""
    values: dict[str, Any] = dict.fromkeys(PRIVATE)
    for field, name in zip(_PROTO_FIELDS, _PROTO_NAMES, strict=True):
        values[field] = getattr(t, name)
    has = t.HasField
    for field, name in _OPTIONAL_PAIRS:
        if not has(name):
            values[field] = None
    for field in _TUPLE_FIELDS:
        values[field] = tuple(values[field])
    values["kind"] = values["kind"] or "chat"  # a core from before kinds sends none
    return RequestRecord(
        **values,
        attempts=tuple(Attempt(*_attempt_values(a)) for a in t.attempts),
        created_at=from_ms(t.created_ms),
    )


def page_to_proto(page: TracePage) -> pb.ListTracesResponse:
    return pb.ListTracesResponse(
        traces=[record_to_proto(t) for t in page.traces], has_more=page.has_more
    )


def page_from_proto(msg: pb.ListTracesResponse) -> TracePage:
    return TracePage(tuple(record_from_proto(t) for t in msg.traces), msg.has_more)


def content_to_proto(c: StoredContent | None) -> pb.TraceContent:
    """A trace's captured messages (``captured`` false when there are none)."""
    if c is None:
        return pb.TraceContent(captured=False)
    return pb.TraceContent(
        captured=True,
        input_messages_json=orjson.dumps(c.input_messages).decode(),
        output_messages_json=orjson.dumps(c.output_messages).decode(),
        input_truncated=c.input_truncated,
        output_truncated=c.output_truncated,
    )


def content_from_proto(m: pb.TraceContent) -> StoredContent | None:
    if not m.captured:
        return None
    return StoredContent(
        orjson.loads(m.input_messages_json or "[]"),
        orjson.loads(m.output_messages_json or "[]"),
        m.input_truncated,
        m.output_truncated,
    )


_SPAN_FIELDS = tuple(f.name for f in fields(Span))


def span_to_proto(s: Span) -> pb.TraceSpan:
    return pb.TraceSpan(**{name: getattr(s, name) for name in _SPAN_FIELDS})


def span_from_proto(m: pb.TraceSpan) -> Span:
    return Span(**{name: getattr(m, name) for name in _SPAN_FIELDS})
