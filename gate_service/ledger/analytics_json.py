"""The analytics routes' JSON bodies (the bridge answers with these; docs/api.md shows
them). Times are ISO 8601 UTC, as in the usage report."""

from __future__ import annotations

from typing import Any

from gate_service.ledger.analytics_views import Flow, Stats, TraceStats
from gate_service.ledger.json_shapes import iso
from gate_service.ledger.views import TimeWindow
from gate_service.vault.capacity import Capacity


def _window(window: TimeWindow) -> dict[str, str]:
    return {"from": iso(window.start), "to": iso(window.end)}


def trace_stats_to_json(s: TraceStats) -> dict[str, Any]:
    return {
        "object": "trace.stats",
        **_window(s.window),
        "count": s.count,
        "success_count": s.success_count,
        "error_count": s.error_count,
        "latency_p95_ms": s.latency_p95_ms,
        "cost_usd": s.cost_usd,
    }


def stats_to_json(s: Stats) -> dict[str, Any]:
    return {
        "object": "stats",
        **_window(s.window),
        "active_agents": s.active_agents,
        "requests": s.requests,
        "errors": s.errors,
        "cost_usd": s.cost_usd,
    }


def flow_to_json(f: Flow) -> dict[str, Any]:
    return {
        "object": "flow",
        **_window(f.window),
        "data": [
            {
                "requested_model": r.requested_model,
                "served_model": r.served_model,
                "provider": r.provider,
                "requests": r.requests,
                "errors": r.errors,
                "cost_usd": r.cost_usd,
            }
            for r in f.rows
        ],
        "truncated": f.truncated,
    }


def capacity_to_json(rows: list[Capacity], window: TimeWindow) -> dict[str, Any]:
    return {
        "object": "capacity",
        **_window(window),
        "data": [
            {
                "provider": c.provider,
                "verdict": c.verdict,
                "suggested_keys": c.suggested_keys,
                "headroom_pct": c.headroom_pct,
                "attempts": c.attempts,
                "errors": c.errors,
                "rate_limited": c.rate_limited,
                "rate_limited_share": c.rate_limited_share,
                "serving_keys": c.serving_keys,
                "eligible_keys": c.eligible_keys,
                "registered_keys": c.registered_keys,
                "limit_source": c.limit_source,
            }
            for c in rows
        ],
    }
