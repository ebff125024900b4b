"""How the client CLI prints what the API answered, for a human at a terminal: tables on
stdout, notes (the served model, the trace id) on stderr so that ``spidergate chat ... >
answer.txt`` keeps only the answer. ``--json`` bypasses all of it (:func:`dump`)."""

from __future__ import annotations

import sys
from typing import Any

import orjson

from gate_service.cli.support import note, table


def dump(body: Any) -> None:
    """One JSON document per line (a stream's chunks: one per line, as they arrive)."""
    print(orjson.dumps(body).decode(), flush=True)


def pretty(body: Any) -> None:
    print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _usd(value: Any) -> str:
    return "-" if value is None else f"${float(value):.6f}"


# ------------------------------------------------------------------ chat


def delta(chunk: dict[str, Any]) -> None:
    """A stream chunk's text, printed the moment it arrives."""
    for choice in chunk.get("choices") or ():
        text = (choice.get("delta") or {}).get("content")
        if text:
            sys.stdout.write(text)
            sys.stdout.flush()


def stream_end(model: str, trace_id: str) -> None:
    sys.stdout.write("\n")
    note(f"[model {model or '-'} · trace {trace_id or '-'}]")


def chat_answer(summary: dict[str, Any]) -> None:
    print(summary.get("content") or "")
    note(
        f"[model {summary.get('model') or '-'} via {summary.get('provider') or '-'} · "
        f"cost {_usd(summary.get('cost_usd'))} · trace {summary.get('trace_id') or '-'}]"
    )


# ------------------------------------------------------------------ catalog


def models(body: dict[str, Any]) -> None:
    rows = []
    for m in body.get("data") or ():
        info = m.get("spidergate_info") or {}
        pricing = info.get("pricing") or {}
        rows.append(
            (
                m.get("id", ""),
                info.get("kind") or "model",
                info.get("provider") or "-",
                "yes" if info.get("is_configured") else "no",
                _cell(info.get("context_window")),
                f"{_cell(pricing.get('input_per_million'))}/{_cell(pricing.get('output_per_million'))}",
            )
        )
    table(("ID", "KIND", "PROVIDER", "CONFIGURED", "CONTEXT", "$/M IN/OUT"), rows, "no models")
    if body.get("has_more"):
        note(f"{len(rows)} of {body.get('total')}: more with --limit")


def aliases(body: dict[str, Any]) -> None:
    rows = [
        (a.get("id", ""), a.get("use_case") or "-", " > ".join(a.get("models") or ()) or "-")
        for a in body.get("data") or ()
    ]
    table(("ALIAS", "USE CASE", "CHAIN"), rows, "no aliases")


# ------------------------------------------------------------------ analytics


def usage(body: dict[str, Any]) -> None:
    totals = body.get("totals") or {}
    latency = totals.get("latency_ms") or {}
    print(f"window   {body.get('from', '-')} .. {body.get('to', '-')}")
    print(f"requests {_cell(totals.get('requests'))}  errors {_cell(totals.get('errors'))}")
    print(
        f"tokens   {_cell(totals.get('prompt_tokens'))} in, "
        f"{_cell(totals.get('completion_tokens'))} out"
    )
    print(f"cost     {_usd(totals.get('cost_usd'))}")
    print(f"latency  p50 {_cell(latency.get('p50'))} ms, p95 {_cell(latency.get('p95'))} ms")
    rows = [
        (
            _cell(g.get("model")),
            _cell(g.get("requests")),
            _cell(g.get("errors")),
            _usd(g.get("cost_usd")),
        )
        for g in body.get("by_model") or ()
    ]
    if rows:
        print()
        table(("MODEL", "REQUESTS", "ERRORS", "COST"), rows, "")


def traces(body: dict[str, Any]) -> None:
    rows = [
        (
            t.get("id", ""),
            _cell(t.get("created_at")),
            _cell(t.get("agent")),
            _cell(t.get("model") or t.get("requested_model")),
            _cell(t.get("status")),
            _cell(t.get("latency_ms")),
            _usd(t.get("cost_usd")),
        )
        for t in body.get("data") or ()
    ]
    table(("ID", "CREATED", "AGENT", "MODEL", "STATUS", "MS", "COST"), rows, "no traces")
    if body.get("has_more"):
        note("more with --offset")


def trace(body: dict[str, Any]) -> None:
    skip = {"spans", "attempts", "input_messages", "output_messages"}
    for key, value in body.items():
        if key not in skip:
            print(f"{key:<22} {_cell(value)}")
    spans = [
        (s.get("name", ""), _cell(s.get("start_ms")), _cell(s.get("duration_ms")))
        for s in body.get("spans") or ()
    ]
    if spans:
        print()
        table(("SPAN", "START MS", "DURATION MS"), spans, "")
