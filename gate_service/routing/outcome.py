"""What one routed request leaves behind, as values: every attempt, what served it, and
the errors that end a request none served (the 502/503/504 listing the attempts).

The runner (:mod:`gate_service.routing.runner`) returns these instead of writing into
the caller's context, so the same outcome serves answer shaping, budget settlement and
the ledger whatever kind of call was routed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from gate_service.deadline import SHUTDOWN, Deadline, unbounded
from gate_service.domain import RouteAttempt, Usage
from gate_service.errors import GateError
from gate_service.providers.base import FailureKind

# One try at one provider with one key, for route_trace, the ledger and 502 bodies: the
# domain's route-trace entry, so an answer's trace is the outcome's attempts as they are.
Attempt = RouteAttempt


@dataclass(slots=True)
class Served:
    """What served a request, for metadata, the ledger and budget settlement."""

    provider: str
    model: str
    key_id: str
    key_preview: str
    usage: Usage | None = None
    cost_usd: float = 0.0
    ttft_ms: float | None = None


@dataclass(slots=True)
class Outcome:
    """How a routed request went, readable however it ended (served, failed, cancelled).

    ``served`` is set once an upstream answered (a stream: once its first item went to
    the caller, or when a stream the provider accepted ends before that and is billed);
    ``index`` is the candidate that served (0: the first choice, more: a fallback);
    ``latency_ms`` is measured when the answer is complete."""

    attempts: list[Attempt] = field(default_factory=list)
    served: Served | None = None
    index: int | None = None
    latency_ms: float | None = None

    @property
    def cost_usd(self) -> float:
        return self.served.cost_usd if self.served is not None else 0.0


@dataclass(slots=True)
class RequestContext:
    """Who asks, under which id and with which model controls (filled by the servicer),
    and the request's overall time bound (shutdown's handle on it too)."""

    client_id: str | None
    request_id: str
    include_route_trace: bool = False
    allowed_models: frozenset[str] = frozenset()
    free_only: bool = False
    deadline: Deadline = field(default_factory=unbounded)
    # How long authenticating the caller took (ms), for the trace's span waterfall.
    auth_ms: float | None = None
    # The caller's W3C trace context (gRPC metadata; the bridge forwards the REST
    # headers): the parent of the request's OpenTelemetry span (gate_service/telemetry).
    traceparent: str | None = None
    tracestate: str | None = None


def skipped(provider: str, model: str, key: str, reason: str) -> Attempt:
    return Attempt(provider, model, key, "skipped", 0, 0.0, reason)


def all_failed(attempts: list[Attempt]) -> GateError:
    tried = [a for a in attempts if a.outcome != "skipped"]
    body = {"spidergate_error": {"attempts": [asdict(a) for a in attempts]}}
    if tried and all(a.error_code == FailureKind.TIMEOUT.value for a in tried):
        return GateError(
            "upstream_timeout", f"All {len(tried)} attempts timed out.", status=504, body=body
        )
    statuses = {a.status for a in tried}
    # 503 when every account is busy (rate limits, cooldowns, no headroom), 502 otherwise.
    status = 503 if not tried or statuses <= {429, 503} else 502
    message = (
        f"All {len(tried)} attempts failed."
        if tried
        else "Every provider account that could serve this is cooling down or at its limit."
    )
    return GateError("all_providers_failed", message, status=status, body=body)


def out_of_time(deadline: Deadline, attempts: list[Attempt]) -> GateError:
    """The answer for a request whose deadline passed (504) or that shutdown ended (503)."""
    body = {"spidergate_error": {"attempts": [asdict(a) for a in attempts]}}
    if deadline.ended == SHUTDOWN:
        return GateError(
            "service_unavailable",
            "The gateway is shutting down; this request was ended. Retry it.",
            body=body,
        )
    return GateError(
        "upstream_timeout",
        f"No answer within the request's deadline of {deadline.budget_s or 0:g} s.",
        body=body,
    )
