"""The JSON of the usage and traces routes, from the ledger's domain objects (no protobuf:
the bridge converts the core's answer back to these objects first). A ``TRACE`` is the
JSON form of a :class:`~gate_service.ledger.record.RequestRecord`.

JSON answers (``GET /usage``)::

    {"object": "usage", "from": "2026-10-26T12:00:00.000Z", "to": "...", "bucket": "day",
     "totals": METRICS,
     "by_model": [{"model": "gpt-4o", **METRICS}, ...],      # null: not served
     "by_provider": [{"provider": ...}], "by_alias": [{"alias": ...}],
     "by_agent": [{"agent": ...}],                            # null: a client credential
     "by_kind": [{"kind": "embedding", **METRICS}],   # chat, embedding, image, speech, ...
     "by_bucket": [{"start": "2026-11-25T00:00:00.000Z", **METRICS}, ...]}

    METRICS = {"requests", "errors", "error_rate", "prompt_tokens", "completion_tokens",
               "cached_tokens", "reasoning_tokens", "total_tokens", "cost_usd",
               "latency_ms": {"p50", "p95", "p99"}}   # of successes; null without any

(``GET /traces``) ``{"object": "list", "data": [TRACE, ...], "has_more", "limit",
"offset"}``; (``GET /traces/{id}``) one ``TRACE`` with ``attempts``::

    TRACE = {"id", "object": "trace", "created" (unix s), "created_at" (ISO), "client_id",
             "token_id", "agent", "requested_model", "alias", "kind", "model", "provider",
             "key_preview", "status", "error_code", "latency_ms", "ttft_ms",
             "usage": {"prompt_tokens", "completion_tokens", "total_tokens",
                       "cached_tokens", "reasoning_tokens"},
             "cost_usd", "streamed", "cache_hit", "fallback_chain": ["provider:model"],
             "attempts": [{"provider", "model", "key", "outcome", "status", "latency_ms",
                           "error_code", "error_message"}]}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gate_service.capture.store import StoredContent
from gate_service.ledger.record import (
    ATTEMPT_FIELDS,
    SHOWN,
    TOKEN_FIELDS,
    Attempt,
    RequestRecord,
    shown_name,
)
from gate_service.ledger.spans import Span
from gate_service.ledger.views import TracePage, UsageGroup, UsageMetrics, UsageReport


def iso(value: datetime) -> str:
    """``2026-11-25T10:00:00.000Z``: millisecond precision, UTC."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def metrics_to_json(m: UsageMetrics) -> dict[str, Any]:
    return {
        "requests": m.requests,
        "errors": m.errors,
        "error_rate": m.error_rate,
        "prompt_tokens": m.prompt_tokens,
        "completion_tokens": m.completion_tokens,
        "cached_tokens": m.cached_tokens,
        "reasoning_tokens": m.reasoning_tokens,
        "total_tokens": m.total_tokens,
        "cost_usd": m.cost_usd,
        "latency_ms": {"p50": m.latency_p50_ms, "p95": m.latency_p95_ms, "p99": m.latency_p99_ms},
        "cache_hits": m.cache_hits,
        "cache_hit_rate": m.cache_hit_rate,
        "fallbacks": m.fallbacks,
    }


def usage_to_json(report: UsageReport) -> dict[str, Any]:
    def groups(name: str, items: tuple[UsageGroup, ...]) -> list[dict[str, Any]]:
        return [{name: g.key, **metrics_to_json(g.metrics)} for g in items]

    body = {
        "object": "usage",
        "from": iso(report.window.start),
        "to": iso(report.window.end),
        "bucket": report.bucket,
        "totals": metrics_to_json(report.totals),
        "by_model": groups("model", report.by_model),
        "by_provider": groups("provider", report.by_provider),
        "by_alias": groups("alias", report.by_alias),
        "by_agent": groups("agent", report.by_agent),
        "by_kind": groups("kind", report.by_kind),
        "by_bucket": [
            {"start": iso(b.start), **metrics_to_json(b.metrics)} for b in report.by_bucket
        ],
    }
    if report.comparison is not None:
        before = usage_to_json(report.comparison)
        body["comparison"] = {k: v for k, v in before.items() if k not in ("object", "bucket")}
    return body


# Fields the contract places itself: the id and times first, the token counts grouped under
# "usage" (with their total, where the first count would be), the attempts last and only
# for one trace. The rest follow the record's order under their shown names.
_PLACED = frozenset({"id", "created_at", "attempts", *TOKEN_FIELDS})
_USAGE = "usage"
_LAYOUT: tuple[tuple[str, str], ...] = tuple(
    (_USAGE, name) if name == TOKEN_FIELDS[0] else (shown_name(name), name)
    for name in SHOWN
    if name == TOKEN_FIELDS[0] or name not in _PLACED
)


def usage_counts_to_json(r: RequestRecord) -> dict[str, int]:
    """The token counts in OpenAI's ``usage`` shape."""
    return {
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "total_tokens": r.prompt_tokens + r.completion_tokens,
        "cached_tokens": r.cached_tokens,
        "reasoning_tokens": r.reasoning_tokens,
    }


def attempt_to_json(a: Attempt) -> dict[str, Any]:
    return {name: getattr(a, name) for name in ATTEMPT_FIELDS}


def record_to_json(r: RequestRecord, *, attempts: bool) -> dict[str, Any]:
    """A request record as a ``TRACE``: every field a client sees (``record.SHOWN``) under
    its shown name, in the record's order, placed as the contract says."""
    body: dict[str, Any] = {
        "id": r.id,
        "object": "trace",
        "created": int(r.created_at.timestamp()),
        "created_at": iso(r.created_at),
    }
    for key, name in _LAYOUT:
        if key == _USAGE:
            body[key] = usage_counts_to_json(r)
        else:
            value = getattr(r, name)
            body[key] = list(value) if isinstance(value, tuple) else value
    if attempts:
        body["attempts"] = [attempt_to_json(a) for a in r.attempts]
    return body


def page_to_json(page: TracePage, limit: int, offset: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [record_to_json(t, attempts=False) for t in page.traces],
        "has_more": page.has_more,
        "limit": limit,
        "offset": offset,
    }


def content_to_json(c: StoredContent | None) -> dict[str, Any]:
    """The captured-messages keys of ``GET /traces/{id}`` (docs/capture.md)."""
    if c is None:
        return {
            "captured": False,
            "input_messages": [],
            "output_messages": [],
            "input_truncated": False,
            "output_truncated": False,
        }
    return {
        "captured": True,
        "input_messages": c.input_messages,
        "output_messages": c.output_messages,
        "input_truncated": c.input_truncated,
        "output_truncated": c.output_truncated,
    }


def span_to_json(s: Span) -> dict[str, Any]:
    """One bar of a trace's waterfall; the attempt fields only on attempts."""
    body: dict[str, Any] = {"name": s.name, "start_ms": s.start_ms, "duration_ms": s.duration_ms}
    if s.name == "attempt":
        body.update(
            provider=s.provider, model=s.model, key=s.key, status=s.status, outcome=s.outcome
        )
    return body
