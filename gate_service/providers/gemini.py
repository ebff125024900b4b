"""The Google Gemini API wire format (``models/{model}:generateContent``).

Translation lives in ``gemini_request`` (chat request -> body), ``gemini_schema``
(tool parameter schemas), ``gemini_response`` (answer -> completion) and
``gemini_stream`` (SSE fragments -> chunks); this module binds them to ``WireAdapter``
and maps Google's structured errors onto the fallback rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson

from gate_service.domain import ChatRequest, Completion
from gate_service.providers.base import FailureKind, Json, Target, UpstreamFailure, UpstreamRequest
from gate_service.providers.errors import classify_status
from gate_service.providers.gemini_request import build_body
from gate_service.providers.gemini_response import parse_response
from gate_service.providers.gemini_stream import GeminiStreamDecoder
from gate_service.providers.json_codec import load_object
from gate_service.providers.openai_compat import auth_headers
from gate_service.providers.openai_request import without_rejected

# google.rpc.Status.status -> failure kind, where it says more than the HTTP code.
_STATUS_KINDS = {
    "RESOURCE_EXHAUSTED": FailureKind.RATE_LIMITED,
    "UNAUTHENTICATED": FailureKind.AUTH,
    "PERMISSION_DENIED": FailureKind.AUTH,
    "NOT_FOUND": FailureKind.MODEL_NOT_FOUND,
    "DEADLINE_EXCEEDED": FailureKind.TIMEOUT,
    "UNAVAILABLE": FailureKind.SERVER,
    "INTERNAL": FailureKind.SERVER,
}
# google.rpc.ErrorInfo reasons that condemn the key or its project, not the request.
# Gemini answers a bad key with 400 INVALID_ARGUMENT + reason API_KEY_INVALID.
_KEY_REASONS = frozenset(
    {
        "API_KEY_INVALID",
        "API_KEY_SERVICE_BLOCKED",
        "API_KEY_HTTP_REFERRER_BLOCKED",
        "API_KEY_IP_ADDRESS_BLOCKED",
        "SERVICE_DISABLED",
        "BILLING_DISABLED",
        "CONSUMER_INVALID",
        "CONSUMER_SUSPENDED",
    }
)
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def _error_object(body: bytes) -> Json | None:
    """The ``error`` object of a Google error body (streamed errors come as a list)."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if isinstance(data, list) and data:
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else None


def _retry_delay(error: Json) -> float | None:
    """``RetryInfo.retryDelay`` ("37s", "1.5s") from the error details, in seconds."""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("@type") == _RETRY_INFO:
            delay = str(detail.get("retryDelay") or "")
            try:
                return float(delay.removesuffix("s"))
            except ValueError:
                return None
    return None


def failure_from_error(
    error: Json, status: int, base: UpstreamFailure | None = None
) -> UpstreamFailure:
    """Classify a ``google.rpc.Status`` error object (from a response body or a stream)."""
    base = base or classify_status(status, {}, orjson.dumps({"error": error}))
    reasons = {d.get("reason") for d in error.get("details") or [] if isinstance(d, dict)}
    if reasons & _KEY_REASONS:
        kind = FailureKind.AUTH
    else:
        kind = _STATUS_KINDS.get(str(error.get("status")), base.kind)
    retry = base.retry_after_s
    if kind in (FailureKind.RATE_LIMITED, FailureKind.SERVER) and retry is None:
        retry = _retry_delay(error)
    return UpstreamFailure(kind, status, base.message, retry)


def _stream_failure(error: Json) -> UpstreamFailure:
    code = error.get("code")
    return failure_from_error(error, code if isinstance(code, int) and code >= 400 else 502)


class GeminiAdapter:
    """Adapter for the Gemini API; ``clock`` stamps ``created`` (tests fix it)."""

    name = "gemini"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def build_request(
        self, target: Target, request: ChatRequest, *, stream: bool
    ) -> UpstreamRequest:
        request = without_rejected(request, target.provider.rejected_params)
        model = quote(target.model.removeprefix("models/"), safe="")
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return UpstreamRequest(
            url=f"{target.base_url.rstrip('/')}/models/{model}:{method}",
            headers=auth_headers(target),
            body=orjson.dumps(build_body(request, target.model)),
        )

    def parse_response(self, target: Target, body: bytes) -> Completion:
        data = load_object(body)
        if isinstance(error := data.get("error"), dict):
            raise _stream_failure(error)
        return parse_response(data, int(self._clock()), target.model)

    def stream_decoder(self, target: Target) -> GeminiStreamDecoder:
        return GeminiStreamDecoder(target.model, int(self._clock()), _stream_failure)

    def classify_error(self, status: int, headers: dict[str, str], body: bytes) -> UpstreamFailure:
        """Status-code rules refined by Google's ``error.status`` and ``ErrorInfo``
        reasons: a 400 for an invalid key is AUTH (next key), RESOURCE_EXHAUSTED is a
        rate limit whose wait comes from ``RetryInfo`` when no header gives it. Other
        400s (INVALID_ARGUMENT, FAILED_PRECONDITION) stay BAD_REQUEST."""
        base = classify_status(status, headers, body)
        error = _error_object(body)
        return base if error is None else failure_from_error(error, status, base)
