"""The Anthropic Messages wire format (``POST {base_url}/messages``).

Translation lives in ``anthropic_request`` (chat request -> Messages body),
``anthropic_response`` (message -> completion) and ``anthropic_stream`` (SSE events ->
chunks); this module binds them to the ``WireAdapter`` interface and maps
Anthropic's errors onto the fallback rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson

from gate_service.domain import ChatRequest, Completion
from gate_service.providers.anthropic_request import accepts_sampling, build_body
from gate_service.providers.anthropic_response import parse_message
from gate_service.providers.anthropic_stream import AnthropicStreamDecoder, error_event_failure
from gate_service.providers.base import FailureKind, Target, UpstreamFailure, UpstreamRequest
from gate_service.providers.errors import classify_status
from gate_service.providers.json_codec import load_object
from gate_service.providers.openai_compat import auth_headers
from gate_service.providers.openai_request import without_rejected

ANTHROPIC_VERSION = "2023-06-01"


def _error_type(body: bytes) -> str:
    """``error.type`` of an Anthropic error body (``{"type": "error", "error": {...}}``)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return str(error.get("type") or "") if isinstance(error, dict) else ""


class AnthropicAdapter:
    """Adapter for Anthropic's Messages API; ``clock`` stamps ``created`` (tests fix it)."""

    name = "anthropic"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def build_request(
        self, target: Target, request: ChatRequest, *, stream: bool
    ) -> UpstreamRequest:
        request = without_rejected(request, target.provider.rejected_params)
        headers = auth_headers(target)
        headers.setdefault("anthropic-version", ANTHROPIC_VERSION)
        sampling = accepts_sampling(target.model, headers["anthropic-version"])
        body = build_body(request, target.model, stream=stream, sampling=sampling)
        return UpstreamRequest(
            url=target.base_url.rstrip("/") + "/messages",
            headers=headers,
            body=orjson.dumps(body),
        )

    def parse_response(self, target: Target, body: bytes) -> Completion:
        data = load_object(body)
        if data.get("type") == "error":  # an error event delivered as a 200 body
            raise error_event_failure(data)
        if not isinstance(data.get("content"), list):
            raise UpstreamFailure(FailureKind.PROTOCOL, 502, "upstream answer has no content")
        return parse_message(data, int(self._clock()), target.model)

    def stream_decoder(self, target: Target) -> AnthropicStreamDecoder:
        return AnthropicStreamDecoder(target.model, int(self._clock()))

    def classify_error(self, status: int, headers: dict[str, str], body: bytes) -> UpstreamFailure:
        """Status-code rules, except that a ``billing_error`` (no credit left on the
        account, HTTP 402) disqualifies the key like an auth failure: another key may
        still pay, while the request itself is fine. 529 ``overloaded_error`` is a 5xx
        and so already SERVER."""
        failure = classify_status(status, headers, body)
        if _error_type(body) == "billing_error":
            return UpstreamFailure(FailureKind.AUTH, status, failure.message)
        return failure
