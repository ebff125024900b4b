"""What the mock saw, and what it has been scripted to do wrong.

The gateway's tests cannot look inside a provider, so the mock remembers every
upstream request it received (which key, which model, which body) and counts
them; that is how a test proves "the gateway used key B after key A was
rate-limited" or "exactly one upstream call was made".

Scripted faults are rules consulted before a request is answered.  A rule
matches on any of model / key / path prefix / wire format / tools sent / output
budget and fires ``times``
times (forever when ``times`` is omitted); the first matching rule wins.  The
rules themselves (kinds, fields, validation) live in :mod:`fault_rules` and are
re-exported here; :mod:`formats.answer` carries them out.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_provider.fault_rules import FAULT_KINDS, FaultMatch, FaultRule

__all__ = ["FAULT_KINDS", "FaultMatch", "FaultRule", "MockState", "RequestRecord"]

DEFAULT_MAX_RECORDS = 1000


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
        self, *, model: str | None, key: str | None, path: str, fmt: str, body: Any = None
    ) -> FaultRule | None:
        """The first rule matching this request, consuming one of its ``times``."""
        for index, rule in enumerate(self.faults):
            if rule.match.matches(model=model, key=key, path=path, fmt=fmt, body=body):
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
