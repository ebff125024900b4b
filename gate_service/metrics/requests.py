"""Per-request metrics of the core: what the chat path served, to whom it said no, and
what it cost, recorded from the same ``RequestRecord`` the ledger stores.

Recording sits on the request path, so it must stay within a few microseconds: label
children are looked up once and kept in plain dicts (``prometheus_client``'s own
``labels()`` validates and locks on every call), and label values come only from bounded
sets (catalog models and providers, HTTP statuses, error codes, the six request kinds),
never from what a client typed: a request for an unknown model is counted under
``model="none"``. The request kind is a label of the request counter only: a model serves
one kind, so it adds series only to ``model="none"`` (at most six times), and it is named
``request_kind`` because ``spidergate_tokens`` already has a ``kind`` (prompt/completion).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from gate_service.ledger.record import RequestRecord

# Error codes of the per-token and per-brand controls (auth-and-controls.md).
LIMIT_CODES = frozenset(
    {"rate_limit_exceeded", "daily_rate_limit_exceeded", "budget_exceeded", "model_not_allowed"}
)
# Upstream attempts: from a fast 429 to a long completion.
ATTEMPT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
NO_MODEL = "none"


class Metrics:
    """Counters and histograms of the chat path, on an explicit registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._requests = Counter(
            "spidergate_requests",
            "Requests answered by the core, by served model, provider, HTTP status and kind"
            " of call (chat, embedding, image, speech, transcription, moderation).",
            ["model", "provider", "code", "request_kind"],
            registry=r,
        )
        self._tokens = Counter(
            "spidergate_tokens",
            "Tokens by served model and kind (prompt or completion).",
            ["model", "kind"],
            registry=r,
        )
        self._cost = Counter(
            "spidergate_cost_usd", "Spend in USD by served model.", ["model"], registry=r
        )
        self._cache_hits = Counter(
            "spidergate_cache_hits", "Requests answered from the response cache.", registry=r
        )
        self._limits = Counter(
            "spidergate_limit_rejections",
            "Requests refused by a token or brand control, by error code.",
            ["code"],
            registry=r,
        )
        self._attempts = Histogram(
            "spidergate_upstream_attempt_duration_seconds",
            "Duration of each call to a provider, by provider and outcome.",
            ["provider", "outcome"],
            buckets=ATTEMPT_BUCKETS,
            registry=r,
        )
        for code in LIMIT_CODES:  # present from the start, so rate() works at once
            self._limits.labels(code)
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe_request(self, entry: RequestRecord) -> None:
        """Count one finished request (any outcome); call it once per ledger entry."""
        model = entry.served_model or NO_MODEL
        child = self._child
        provider = entry.provider or NO_MODEL
        child(self._requests, model, provider, str(entry.status), entry.kind).inc()
        if entry.prompt_tokens:
            child(self._tokens, model, "prompt").inc(entry.prompt_tokens)
        if entry.completion_tokens:
            child(self._tokens, model, "completion").inc(entry.completion_tokens)
        if entry.cost_usd > 0:
            child(self._cost, model).inc(entry.cost_usd)
        if entry.cache_hit:
            self._cache_hits.inc()
        if entry.error_code in LIMIT_CODES:
            child(self._limits, entry.error_code).inc()
        for attempt in entry.attempts:
            if attempt.outcome != "skipped":
                child(self._attempts, attempt.provider, attempt.outcome).observe(
                    attempt.latency_ms / 1000
                )
