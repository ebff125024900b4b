"""A trace's span waterfall (``GET /traces/{id}``): auth → plan → admission → each attempt
→ ledger, in milliseconds from the request's arrival at the core.

Derived from the record alone, so every trace has one without a table of spans: the
record keeps how long authentication, planning and admission took (measured on the
request path with one ``perf_counter`` each) and, per attempt, its provider, model, masked
key, status and latency. The failover runs attempts one after another, so each is placed
where the previous ended, from the end of admission; the small gaps between them (picking
the next key) are not measured, so later attempts may sit slightly early. The ledger span
is the record being journaled when the request ended (~10 µs: shown with no duration).
Records from before spans (no timings) show their attempts and the ledger only.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate_service.ledger.record import RequestRecord


@dataclass(frozen=True, slots=True)
class Span:
    """One bar of the waterfall; the attempt fields are empty for the other spans."""

    name: str
    start_ms: float
    duration_ms: float
    provider: str = ""
    model: str = ""
    key: str = ""
    status: int = 0
    outcome: str = ""


def spans_of(r: RequestRecord) -> list[Span]:
    """The waterfall of one request (see the module docstring)."""
    out: list[Span] = []
    at = 0.0
    for name, took in (("auth", r.auth_ms), ("plan", r.plan_ms), ("admission", r.admission_ms)):
        if took is not None:
            out.append(Span(name, round(at, 3), took))
            at += took
    for a in r.attempts:
        out.append(
            Span(
                "attempt",
                round(at, 3),
                a.latency_ms,
                a.provider,
                a.model,
                a.key,
                a.status,
                a.outcome,
            )
        )
        at += a.latency_ms
    out.append(Span("ledger", round((r.auth_ms or 0.0) + r.latency_ms, 3), 0.0))
    return out
