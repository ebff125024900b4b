"""Scripted misbehaviour: what a fault rule says, and checking it before it is used.

A rule is posted as JSON (``POST /__mock/faults``) or passed to
``MockState.add_fault``.  It matches requests on model / key / path prefix /
wire format, fires ``times`` times (forever when omitted), and rules are tried
in the order they were added.  ``delay_ms`` (sleep before answering) works with
every kind; ``headers`` are added to whatever response the rule shapes (every
kind but ``reset``, which sends none).  The kinds, with an example each (all work for every format,
streaming or not; :mod:`mock_provider.formats.answer` carries them out):

``error``
    Answer ``status`` with the format's own error body and ``headers``::

        {"kind": "error", "status": 429, "times": 1, "match": {"key": "k1"},
         "headers": {"Retry-After": "7", "x-ratelimit-reset-requests": "7s"}}

    ``message`` / ``error_type`` / ``code`` override the body's usual text
    (``error_type`` is Anthropic's ``error.type`` and Gemini's ``status``).
``delay``
    Sleep ``delay_ms`` then answer normally - to trip the gateway's timeouts
    or keep requests in flight: ``{"kind": "delay", "delay_ms": 1500}``.
``reset``
    Drop the connection (TCP reset) without any HTTP answer:
    ``{"kind": "reset", "times": 2}``.
``stream_cut``
    Streaming: send the first ``after_chunks`` events (every SSE event
    counts: OpenAI's role delta, Anthropic's ``message_start``...), then close
    the connection with no terminating event / ``[DONE]``.  The final event
    is never sent, however large ``after_chunks`` is.  Non-streaming: like
    ``reset``.  ``{"kind": "stream_cut", "after_chunks": 3}``.
``malformed_sse``
    Streaming: send ``after_chunks`` events, then one event whose data is
    ``{not json``, then close the connection.  Non-streaming: a 200 whose
    JSON body is cut in half.  ``{"kind": "malformed_sse", "after_chunks": 2}``.
``slow_stream``
    Streaming: sleep ``chunk_delay_ms`` between events (the first is sent at
    once); the stream completes normally.  Non-streaming requests are answered
    normally.  ``{"kind": "slow_stream", "chunk_delay_ms": 50}``.
``headers``
    No failure; add ``headers`` to the successful answer, e.g. to script the
    quota a provider reports:
    ``{"kind": "headers", "headers": {"x-ratelimit-remaining-requests": "3"}}``.
``empty``
    A 200 in the format's own shape whose completion is empty: no text, no tool
    call, ``finish_reason`` ``length`` - what a reasoning model that spent its
    whole ``max_tokens`` thinking answers.  Usually with a budget match:
    ``{"kind": "empty", "match": {"model": "m", "max_tokens_at_most": 16}}``.

Besides model / key / path / format, ``match`` can look at the request body:
``tools`` (true: only requests that send tools; false: only those that do not)
and ``max_tokens_at_most`` (only requests whose output budget - ``max_tokens``,
``max_completion_tokens``, Gemini's ``maxOutputTokens`` - is set and at most
this).  So a model that cannot call tools is
``{"kind": "error", "status": 400, "message": "tools not supported",
"match": {"model": "m", "tools": true}}``, and a delisted one a 404 rule.

``stream_cut`` and ``malformed_sse`` also take ``chunk_delay_ms`` to pace the
events they do send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["FAULT_KINDS", "KIND_FIELDS", "FaultMatch", "FaultRule", "describe_kinds"]

FAULT_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "error": "answer `status` with the format's error body (and `headers`)",
        "delay": "sleep `delay_ms`, then answer normally",
        "reset": "drop the connection (TCP reset) without any HTTP answer",
        "stream_cut": (
            "streaming: send `after_chunks` events, then close the connection with no "
            "terminating event; non-streaming: like reset"
        ),
        "malformed_sse": (
            "streaming: send `after_chunks` events, then `data: {not json`, then close; "
            "non-streaming: a 200 with a half JSON body"
        ),
        "slow_stream": "streaming: sleep `chunk_delay_ms` between events (no effect otherwise)",
        "headers": "no failure: add `headers` to the successful answer",
        "empty": "a 200 whose completion is empty (no text, no tool call, finish 'length')",
    }
)
"""Every fault kind with a one-line description (served by ``GET /__mock/faults``)."""

_COMMON_FIELDS = frozenset({"kind", "times", "match", "delay_ms"})
KIND_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "error": frozenset({"status", "headers", "message", "error_type", "code"}),
        "delay": frozenset({"headers"}),
        "reset": frozenset(),
        "stream_cut": frozenset({"headers", "after_chunks", "chunk_delay_ms"}),
        "malformed_sse": frozenset({"headers", "after_chunks", "chunk_delay_ms"}),
        "slow_stream": frozenset({"headers", "chunk_delay_ms"}),
        "headers": frozenset({"headers"}),
        "empty": frozenset({"headers"}),
    }
)
"""The fields each kind takes besides ``kind``, ``times``, ``match`` and ``delay_ms``."""
_REQUIRED: Mapping[str, str] = MappingProxyType(
    {"delay": "delay_ms", "slow_stream": "chunk_delay_ms", "headers": "headers"}
)
_ALL_FIELDS = _COMMON_FIELDS.union(*KIND_FIELDS.values())
_MATCH_FIELDS = ("model", "key", "path", "format", "tools", "max_tokens_at_most")
_TEXT_MATCH_FIELDS = ("model", "key", "path", "format")


def describe_kinds() -> dict[str, dict[str, Any]]:
    """Kinds, their fields and required fields, for humans reading ``/__mock/faults``."""
    return {
        kind: {
            "description": text,
            "fields": sorted(_COMMON_FIELDS | KIND_FIELDS[kind]),
            "required": [_REQUIRED[kind]] if kind in _REQUIRED else [],
        }
        for kind, text in FAULT_KINDS.items()
    }


@dataclass(slots=True)
class FaultMatch:
    """Which requests a fault applies to; ``None`` fields match anything."""

    model: str | None = None
    key: str | None = None
    path: str | None = None
    """A path prefix, e.g. ``/groq`` to fail only the Groq-shaped upstream."""
    format: str | None = None
    """A wire-format name, one of the gateway registry's (``server.FORMATS``)."""
    tools: bool | None = None
    """True: only requests that send tools; False: only requests that send none."""
    max_tokens_at_most: int | None = None
    """Only requests whose output budget is set and at most this (:func:`body_facts`)."""

    def matches(
        self,
        *,
        model: str | None,
        key: str | None,
        path: str,
        fmt: str,
        body: Any = None,
    ) -> bool:
        if not (
            (self.model is None or self.model == model)
            and (self.key is None or self.key == key)
            and (self.path is None or path.startswith(self.path))
            and (self.format is None or self.format == fmt)
        ):
            return False
        if self.tools is None and self.max_tokens_at_most is None:
            return True
        has_tools, budget = body_facts(body)
        if self.tools is not None and self.tools != has_tools:
            return False
        return self.max_tokens_at_most is None or (
            budget is not None and budget <= self.max_tokens_at_most
        )


def body_facts(body: Any) -> tuple[bool, int | None]:
    """Whether a request body sends tools, and its output budget if it sets one, read
    the same way for every format (OpenAI's ``max_tokens`` / ``max_completion_tokens``,
    Anthropic's ``max_tokens``, Gemini's ``generationConfig.maxOutputTokens``)."""
    if not isinstance(body, Mapping):
        return False, None
    budget: Any = None
    for name in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
        if body.get(name) is not None:
            budget = body[name]
            break
    config = body.get("generationConfig")
    if budget is None and isinstance(config, Mapping):
        budget = config.get("maxOutputTokens")
    if not isinstance(budget, int) or isinstance(budget, bool):
        budget = None
    return bool(body.get("tools")), budget


@dataclass(slots=True)
class FaultRule:
    """A scripted misbehaviour.  Build from JSON with :meth:`from_dict`."""

    status: int = 500
    """The HTTP status of an ``error``; unused by the other kinds."""
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
    delay_ms: int = 0
    """Sleep this long before answering (any kind)."""
    after_chunks: int = 0
    """``stream_cut`` / ``malformed_sse``: events delivered before the failure."""
    chunk_delay_ms: int = 0
    """``slow_stream`` (and the cut kinds): pause between streamed events."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Validate a rule posted as JSON; raises ``ValueError`` with a readable reason."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault rule must be a JSON object")
        unknown = set(data) - _ALL_FIELDS
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        kind = data.get("kind", "error")
        if not isinstance(kind, str) or kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        allowed = _COMMON_FIELDS | KIND_FIELDS[kind]
        misplaced = sorted(set(data) - allowed)
        if misplaced:
            raise ValueError(
                f"{', '.join(misplaced)} cannot be used with kind {kind!r} "
                f"(it takes: {', '.join(sorted(allowed))})"
            )
        required = _REQUIRED.get(kind)
        if required is not None and data.get(required) is None:
            raise ValueError(f"kind {kind!r} needs {required!r}")
        status = data.get("status", 500)
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise ValueError("status must be an integer HTTP error status (400-599)")
        headers = data.get("headers") or {}
        if not isinstance(headers, Mapping):
            raise ValueError("headers must be an object")
        if kind == "headers" and not headers:
            raise ValueError("kind 'headers' needs a non-empty 'headers' object")
        times = data.get("times")
        if times is not None and (
            not isinstance(times, int) or isinstance(times, bool) or times < 1
        ):
            raise ValueError("times must be a positive integer (omit it for 'forever')")
        texts = {name: data.get(name) for name in ("message", "error_type", "code")}
        if any(v is not None and not isinstance(v, str) for v in texts.values()):
            raise ValueError("message, error_type and code must be strings")
        return cls(
            status=status,
            kind=kind,
            headers={str(k): str(v) for k, v in headers.items()},
            times=times,
            match=_parse_match(data.get("match")),
            message=texts["message"],
            error_type=texts["error_type"],
            code=texts["code"],
            delay_ms=_non_negative(data, "delay_ms"),
            after_chunks=_non_negative(data, "after_chunks"),
            chunk_delay_ms=_non_negative(data, "chunk_delay_ms"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status if self.kind == "error" else None,
            "headers": self.headers,
            "times": self.times,
            "hits": self.hits,
            "match": {
                name: value
                for name in _MATCH_FIELDS
                if (value := getattr(self.match, name)) is not None
            },
            "message": self.message,
            "error_type": self.error_type,
            "code": self.code,
            "delay_ms": self.delay_ms,
            "after_chunks": self.after_chunks,
            "chunk_delay_ms": self.chunk_delay_ms,
        }


def _parse_match(raw: Any) -> FaultMatch:
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise ValueError("match must be an object")
    unknown = set(raw) - set(_MATCH_FIELDS)
    if unknown:
        raise ValueError(f"unknown match fields: {sorted(unknown)}")
    if any(raw.get(n) is not None and not isinstance(raw[n], str) for n in _TEXT_MATCH_FIELDS):
        raise ValueError("match values model, key, path and format must be strings")
    tools = raw.get("tools")
    if tools is not None and not isinstance(tools, bool):
        raise ValueError("match.tools must be true or false")
    at_most = raw.get("max_tokens_at_most")
    if at_most is not None and (
        not isinstance(at_most, int) or isinstance(at_most, bool) or at_most < 1
    ):
        raise ValueError("match.max_tokens_at_most must be a positive integer")
    return FaultMatch(**raw)


def _non_negative(data: Mapping[str, Any], name: str) -> int:
    """A non-negative integer field (milliseconds or an event count); 0 when absent."""
    value = data.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value
