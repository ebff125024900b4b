"""The OpenAI-compatible chat-completions wire format.

Serves every vendor that speaks it (Groq, Cerebras, Mistral, OpenRouter, ...). A vendor is
configuration in the catalog — base URL, auth style, extra headers, parameters it rejects —
not code here. This wire's JSON is the domain's OpenAI JSON form
(``domain.openai_json``): the request goes out as the client sent it, minus our options
and what the vendor rejects, and answers are read back leniently.
"""

from __future__ import annotations

import orjson

from gate_service.domain import ChatRequest, Chunk, Completion
from gate_service.domain.openai_json import chunk_from_json, completion_from_json, request_to_json
from gate_service.providers.base import (
    FailureKind,
    Target,
    UpstreamFailure,
    UpstreamRequest,
)
from gate_service.providers.errors import classify_status, error_message


def auth_headers(target: Target) -> dict[str, str]:
    """The vendor's auth header for the key (none for keyless local servers)."""
    headers = {"content-type": "application/json", **dict(target.provider.headers)}
    if target.secret:
        style = target.provider.auth
        if style == "x-api-key":
            headers["x-api-key"] = target.secret
        elif style == "x-goog-api-key":
            headers["x-goog-api-key"] = target.secret
        else:
            headers["authorization"] = f"Bearer {target.secret}"
    return headers


class OpenAIStreamDecoder:
    """Decodes ``data:`` payloads of an OpenAI SSE stream."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def feed(self, data: bytes) -> list[Chunk]:
        if data == b"[DONE]":
            self.done = True
            return []
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise UpstreamFailure(
                FailureKind.PROTOCOL, 502, "malformed event in the upstream stream"
            ) from exc
        if not isinstance(chunk, dict):
            raise UpstreamFailure(FailureKind.PROTOCOL, 502, "unexpected upstream stream event")
        if "error" in chunk and "choices" not in chunk:
            message = error_message(data) or "the upstream stream reported an error"
            raise UpstreamFailure(FailureKind.SERVER, 502, message)
        return [chunk_from_json(chunk)]


class OpenAIAdapter:
    """Adapter for the OpenAI chat-completions format."""

    name = "openai"

    def build_request(
        self, target: Target, request: ChatRequest, *, stream: bool
    ) -> UpstreamRequest:
        # Our own extensions (spidergate_options) never go upstream.
        body = request_to_json(request, options=False)
        for name in target.provider.rejected_params:
            body.pop(name, None)
        body["model"] = target.model
        if stream:
            body["stream"] = True
            # Always ask for usage so streamed requests are metered; the router strips the
            # usage chunk again when the client did not ask for it.
            body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        else:
            body.pop("stream", None)
            body.pop("stream_options", None)
        return UpstreamRequest(
            url=target.base_url.rstrip("/") + "/chat/completions",
            headers=auth_headers(target),
            body=orjson.dumps(body),
        )

    def parse_response(self, target: Target, body: bytes) -> Completion:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise UpstreamFailure(FailureKind.PROTOCOL, 502, "malformed upstream answer") from exc
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise UpstreamFailure(FailureKind.PROTOCOL, 502, "upstream answer has no choices")
        return completion_from_json(data)

    def stream_decoder(self, target: Target) -> OpenAIStreamDecoder:
        return OpenAIStreamDecoder()

    def classify_error(self, status: int, headers: dict[str, str], body: bytes) -> UpstreamFailure:
        return classify_status(status, headers, body)
