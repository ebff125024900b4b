"""The console's data pages: Overview, Usage (with its CSV export) and Catalog.

Each page reads the API's own answers (:mod:`bridge.console.data_calls`) with the
signed-in credential, so the core decides what a caller sees exactly as for the API: an
agent token its own requests, a brand credential its brand's, the operator every brand's.
Moved here from :mod:`bridge.console.pages` (Overview) so the data pages live together.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bridge.console import data_calls
from bridge.console.charts import Chart, bar_chart
from bridge.console.pages import page, render
from bridge.console.sessions import ConsoleUser
from bridge.responses import request_id
from gate_service.errors import GateError

TOP = 5
# The breakdowns of the Usage page and its CSV: (``GET /usage`` key, its group field, label).
DIMENSIONS = (
    ("by_model", "model", "Model"),
    ("by_provider", "provider", "Provider"),
    ("by_alias", "alias", "Alias"),
    ("by_agent", "agent", "Agent"),
    ("by_kind", "kind", "Request kind"),
)
KINDS = ("chat", "embedding", "image", "speech", "transcription", "moderation")
CSV_COLUMNS = (
    "dimension",
    "key",
    "requests",
    "errors",
    "error_rate",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_usd",
    "latency_p50_ms",
    "latency_p95_ms",
)


def _window(request: Request) -> str:
    window = request.query_params.get("window", "24h")
    return window if window in data_calls.WINDOWS else "24h"


def _core(request: Request) -> Any:
    return request.app.state.core()


def _n(v: float) -> str:
    return f"{v:,.0f}"


def _charts(usage: dict[str, Any]) -> list[Chart]:
    return [
        bar_chart(usage, "requests", "Requests", lambda b: b["requests"], _n),
        bar_chart(usage, "spend", "Spend (USD)", lambda b: b["cost_usd"], lambda v: f"${v:,.4f}"),
        bar_chart(
            usage, "errors", "Error rate", lambda b: b["error_rate"], lambda v: f"{v * 100:.1f}%"
        ),
        bar_chart(
            usage, "p95", "Latency p95", lambda b: b["latency_ms"]["p95"], lambda v: f"{v:,.0f} ms"
        ),
    ]


def _top(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (-r["requests"], -r["cost_usd"]))[:TOP]


def active_agents(usage: dict[str, Any]) -> int:
    """The agents with a request in the report's window: what ``GET /stats`` counts as
    ``active_agents`` (the brand credential's own requests have no agent)."""
    return sum(1 for row in usage["by_agent"] if row["agent"] is not None and row["requests"])


async def _overview(request: Request, user: ConsoleUser) -> Response:
    """The window's figures from one usage report (its totals, buckets and breakdowns
    hold the requests, errors, spend, latency and active agents ``/stats`` and
    ``/traces/stats`` would answer again: the ledger's reads run one at a time, so each
    call more is time added to the page), the response-cache hits and the fallbacks
    among them."""
    window = _window(request)
    usage = await data_calls.usage(_core(request), user.secret, request_id(request), window)
    return render(
        request,
        "overview.html",
        user=user,
        page="overview",
        window=window,
        windows=tuple(data_calls.WINDOWS),
        usage=usage,
        active_agents=active_agents(usage),
        charts=_charts(usage),
        top={
            "Models": [(r["model"] or "not served", r) for r in _top(usage["by_model"])],
            "Providers": [(r["provider"] or "none", r) for r in _top(usage["by_provider"])],
            "Agents": [(r["agent"] or "brand credential", r) for r in _top(usage["by_agent"])],
        },
    )


def _kind(request: Request) -> str:
    kind = request.query_params.get("kind", "")
    return kind if kind in KINDS else ""


def _groups(usage: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, dict[str, Any]]]]]:
    """Each breakdown as (its key, its label, [(row's name, row)]), busiest first."""
    out = []
    for key, field, label in DIMENSIONS:
        rows = sorted(usage[key], key=lambda r: (-r["requests"], str(r[field])))
        out.append((key, label, [(str(r[field] or "–"), r) for r in rows]))
    return out


async def _usage(request: Request, user: ConsoleUser) -> Response:
    window, kind = _window(request), _kind(request)
    usage = await data_calls.usage(_core(request), user.secret, request_id(request), window, kind)
    return render(
        request,
        "usage.html",
        user=user,
        page="usage",
        window=window,
        windows=tuple(data_calls.WINDOWS),
        kind=kind,
        kinds=KINDS,
        usage=usage,
        groups=_groups(usage),
    )


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @`` (or a tab or
    carriage return) is prefixed with a quote (OWASP's advice for CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def usage_csv(usage: dict[str, Any]) -> str:
    """The rows the Usage page shows, one per breakdown row, in its order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for key, _label, rows in _groups(usage):
        for name, r in rows:
            writer.writerow(
                [
                    _cell(key.removeprefix("by_")),
                    _cell(name),
                    r["requests"],
                    r["errors"],
                    r["error_rate"],
                    r["prompt_tokens"],
                    r["completion_tokens"],
                    r["cached_tokens"],
                    r["cost_usd"],
                    _cell(r["latency_ms"]["p50"]),
                    _cell(r["latency_ms"]["p95"]),
                ]
            )
    return out.getvalue()


async def _usage_csv(request: Request, user: ConsoleUser) -> Response:
    window, kind = _window(request), _kind(request)
    usage = await data_calls.usage(_core(request), user.secret, request_id(request), window, kind)
    name = f"spidergate-usage-{window}{'-' + kind if kind else ''}.csv"
    return Response(
        usage_csv(usage),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# The catalog filters the page passes on to ``GET /models`` (the API validates them).
CATALOG_FILTERS = ("kind", "provider", "search", "capability", "free_only", "configured_only")


async def _readiness(
    request: Request, user: ConsoleUser
) -> tuple[dict[str, bool], dict[str, dict[str, Any]], str]:
    """What can serve right now, from the API: each model's ``is_configured`` (a usable
    key exists for this caller) and each provider's ``serving_keys`` from ``/capacity``
    (keys healthy or degraded now, not blocked by their spend limit). Returns
    ({"provider:model": configured}, {provider: capacity row}, a note when capacity was
    refused to this caller)."""
    core, rid = _core(request), request_id(request)
    listing = await data_calls.models(core, user.secret, rid, {"kind": "model", "limit": "2000"})
    configured = {
        f"{m['spidergate_info']['provider']}:{m['spidergate_info']['provider_model']}": m[
            "spidergate_info"
        ]["is_configured"]
        for m in listing["data"]
    }
    configured.update({m["id"]: m["spidergate_info"]["is_configured"] for m in listing["data"]})
    note = ""
    try:
        capacity = await data_calls.capacity(core, user.secret, rid)
        keys = {row["provider"]: row for row in capacity["data"]}
    except GateError as exc:
        if exc.http_status == 401:
            raise
        keys, note = {}, f"Key health is not available to this credential ({exc.message})."
    return configured, keys, note


def _candidate(
    entry: str, configured: dict[str, bool], keys: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    provider, _, model = entry.partition(":")
    row = keys.get(provider)
    is_configured = configured.get(entry, configured.get(model, False))
    # Capacity counts the vault's keys only: with none registered there (keys from the
    # environment or ``--demo``, whose health the API does not expose), or capacity refused
    # to this caller, a usable key existing is all the API says; with vault keys, one of
    # them must be serving now.
    ready = bool(is_configured) and (
        row is None or row["registered_keys"] == 0 or row["serving_keys"] > 0
    )
    return {
        "provider": provider,
        "model": model,
        "configured": is_configured,
        "serving_keys": row["serving_keys"] if row else None,
        "eligible_keys": row["eligible_keys"] if row else None,
        "registered_keys": row["registered_keys"] if row else None,
        "verdict": row["verdict"] if row else None,
        "ready": ready,
    }


async def _catalog(request: Request, user: ConsoleUser) -> Response:
    params = {k: v for k in CATALOG_FILTERS if (v := request.query_params.get(k, "").strip())}
    core, rid = _core(request), request_id(request)
    listing, providers, (configured, keys, note) = await asyncio.gather(
        data_calls.models(core, user.secret, rid, params),
        data_calls.providers(core, user.secret, rid),
        _readiness(request, user),
    )
    for m in listing["data"]:
        info = m["spidergate_info"]
        if info["kind"] == "alias":
            info["candidates"] = [_candidate(c, configured, keys) for c in info["chain"]]
    return render(
        request,
        "catalog.html",
        user=user,
        page="catalog",
        listing=listing,
        providers=providers,
        filters=params,
        note=note,
    )


async def _catalog_alias(request: Request, user: ConsoleUser) -> Response:
    core, rid = _core(request), request_id(request)
    alias, (configured, keys, note) = await asyncio.gather(
        data_calls.model(core, user.secret, rid, request.path_params["alias"]),
        _readiness(request, user),
    )
    info = alias["spidergate_info"]
    candidates = [_candidate(c, configured, keys) for c in info.get("chain", [])]
    return render(
        request,
        "catalog_alias.html",
        user=user,
        page="catalog",
        model=alias,
        info=info,
        candidates=candidates,
        note=note,
    )


overview = page(_overview)
usage = page(_usage)
usage_csv_download = page(_usage_csv)
catalog = page(_catalog)
catalog_alias = page(_catalog_alias)
