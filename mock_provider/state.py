"""What the mock saw, and what it has been scripted to do wrong.

The gateway's tests cannot look inside a provider, so the mock remembers every
upstream request it received (which key, which model, which body) and counts
them; that is how a test proves "the gateway used key B after key A was
rate-limited" or "exactly one upstream call was made".

Scripted faults are rules consulted before a request is answered.  A rule
matches on any of model / key / path prefix / wire format and fires ``times``
times (forever when ``times`` is omitted).  Only ``kind="error"`` (answer with
an HTTP error status in the format's error shape) exists so far; delays,
connection resets, stream cuts and malformed SSE are meant to be added as new
kinds in :data:`FAULT_KINDS` and handled where the rule is applied.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "FaultMatch", "FaultRule", "MockState", "RequestRecord"]

DEFAULT_MAX_RECORDS = 1000
FAULT_KINDS = frozenset({"error"})


@dataclass(slots=True)
class RequestRecord:
    """One upstream request as the mock received it."""

    seq: int
    time: float
    method: str
    path: str
    prefix: str
    """The path before the endpoint, e.g. ``/groq/openai/v1``: identifies the provider."""
    endpoint: str
    """Which endpoint answered, e.g. ``openai.chat.completions``; ``unknown`` for 404s."""
    model: str | None
    key: str | None
    """The credential as the format reads it (the bearer token for OpenAI)."""
    authorization: str | None
    x_api_key: str | None
    headers: dict[str, str]
    """All request headers, names lower-cased."""
    body: Any
    """The parsed JSON body (``None`` for no body or invalid JSON)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "prefix": self.prefix,
            "endpoint": self.endpoint,
            "model": self.model,
            "key": self.key,
            "authorization": self.authorization,
            "x_api_key": self.x_api_key,
            "headers": self.headers,
            "body": self.body,
        }


@dataclass(slots=True)
class FaultMatch:
    """Which requests a fault applies to; ``None`` fields match anything."""

    model: str | None = None
    key: str | None = None
    path: str | None = None
    """A path prefix, e.g. ``/groq`` to fail only the Groq-shaped upstream."""
    format: str | None = None
    """A wire-format name, e.g. ``openai``."""

    def matches(self, *, model: str | None, key: str | None, path: str, fmt: str) -> bool:
        return (
            (self.model is None or self.model == model)
            and (self.key is None or self.key == key)
            and (self.path is None or path.startswith(self.path))
            and (self.format is None or self.format == fmt)
        )


@dataclass(slots=True)
class FaultRule:
    """A scripted misbehaviour.  Build from JSON with :meth:`from_dict`."""

    status: int = 500
    kind: str = "error"
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    """How many more times the rule fires; ``None`` means forever."""
    match: FaultMatch = field(default_factory=FaultMatch)
    message: str | None = None
    """Overrides the format's default error message for this status."""
    error_type: str | None = None
    """Overrides the error ``type`` (e.g. ``insufficient_quota`` for a dead key)."""
    code: str | None = None
    """Overrides the error ``code``."""
    id: int = 0
    hits: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Validate a rule posted as JSON; raises ``ValueError`` with a readable reason."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault rule must be a JSON object")
        known = {"kind", "status", "headers", "times", "match", "message", "error_type", "code"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        kind = data.get("kind", "error")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        status = data.get("status", 500)
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise ValueError("status must be an integer HTTP error status (400-599)")
        headers = data.get("headers") or {}
        if not isinstance(headers, Mapping):
            raise ValueError("headers must be an object")
        times = data.get("times")
        if times is not None and (
            not isinstance(times, int) or isinstance(times, bool) or times < 1
        ):
            raise ValueError("times must be a positive integer (omit it for 'forever')")
        raw_match = data.get("match") or {}
        if not isinstance(raw_match, Mapping):
            raise ValueError("match must be an object")
        unknown = set(raw_match) - {"model", "key", "path", "format"}
        if unknown:
            raise ValueError(f"unknown match fields: {sorted(unknown)}")
        if any(v is not None and not isinstance(v, str) for v in raw_match.values()):
            raise ValueError("match values must be strings")
        texts = {name: data.get(name) for name in ("message", "error_type", "code")}
        if any(v is not None and not isinstance(v, str) for v in texts.values()):
            raise ValueError("message, error_type and code must be strings")
        return cls(
            status=status,
            kind=kind,
            headers={str(k): str(v) for k, v in headers.items()},
            times=times,
            match=FaultMatch(**raw_match),
            message=texts["message"],
            error_type=texts["error_type"],
            code=texts["code"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "headers": self.headers,
            "times": self.times,
            "hits": self.hits,
            "match": {
                name: value
                for name in ("model", "key", "path", "format")
                if (value := getattr(self.match, name)) is not None
            },
            "message": self.message,
            "error_type": self.error_type,
            "code": self.code,
        }


class MockState:
    """Recorded requests, counters and fault rules of one mock server.

    Everything runs on the server's event loop, so no locking is needed.
    Tests usually hold the same object the server uses (``MockServer.state``).
    """

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS) -> None:
        self.records: deque[RequestRecord] = deque(maxlen=max_records)
        self.total = 0
        self.by_model: Counter[str] = Counter()
        self.by_prefix: Counter[str] = Counter()
        self.by_key: Counter[str] = Counter()
        self.by_path: Counter[str] = Counter()
        self.faults: list[FaultRule] = []
        self._next_fault_id = 1

    def record(
        self,
        *,
        method: str,
        path: str,
        prefix: str,
        endpoint: str,
        model: str | None,
        key: str | None,
        authorization: str | None,
        x_api_key: str | None,
        headers: dict[str, str],
        body: Any,
    ) -> RequestRecord:
        """Remember one request and bump the counters."""
        self.total += 1
        record = RequestRecord(
            seq=self.total,
            time=time.time(),
            method=method,
            path=path,
            prefix=prefix,
            endpoint=endpoint,
            model=model,
            key=key,
            authorization=authorization,
            x_api_key=x_api_key,
            headers=headers,
            body=body,
        )
        self.records.append(record)
        self.by_prefix[prefix] += 1
        self.by_path[path] += 1
        if model is not None:
            self.by_model[model] += 1
        if key is not None:
            self.by_key[key] += 1
        return record

    def requests(
        self,
        *,
        model: str | None = None,
        key: str | None = None,
        endpoint: str | None = None,
        limit: int | None = None,
    ) -> list[RequestRecord]:
        """Recorded requests, oldest first, optionally filtered; ``limit`` keeps the newest."""
        found = [
            r
            for r in self.records
            if (model is None or r.model == model)
            and (key is None or r.key == key)
            and (endpoint is None or r.endpoint == endpoint)
        ]
        if limit is not None:
            found = found[-limit:] if limit > 0 else []
        return found

    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        """Append a rule (validated if given as a mapping); rules are tried in order."""
        if not isinstance(rule, FaultRule):
            rule = FaultRule.from_dict(rule)
        rule.id = self._next_fault_id
        self._next_fault_id += 1
        self.faults.append(rule)
        return rule

    def take_fault(
        self, *, model: str | None, key: str | None, path: str, fmt: str
    ) -> FaultRule | None:
        """The first rule matching this request, consuming one of its ``times``."""
        for index, rule in enumerate(self.faults):
            if rule.match.matches(model=model, key=key, path=path, fmt=fmt):
                rule.hits += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        del self.faults[index]
                return rule
        return None

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget all requests, counters and faults (between tests)."""
        self.records.clear()
        self.total = 0
        self.by_model.clear()
        self.by_prefix.clear()
        self.by_key.clear()
        self.by_path.clear()
        self.faults.clear()

    def snapshot(
        self,
        *,
        limit: int = 100,
        model: str | None = None,
        key: str | None = None,
        endpoint: str | None = None,
    ) -> dict[str, Any]:
        """The JSON answer of ``GET /__mock/requests``."""
        found = self.requests(model=model, key=key, endpoint=endpoint, limit=limit)
        return {
            "total": self.total,
            "by_model": dict(self.by_model),
            "by_prefix": dict(self.by_prefix),
            "by_key": dict(self.by_key),
            "by_path": dict(self.by_path),
            "requests": [r.to_json() for r in found],
        }
