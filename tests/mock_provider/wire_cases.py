"""Each wire format as the mock's tests speak it: a minimal valid request, how its stream
events are separated and which one ends a stream, and how its rate-limit error looks.

Keyed by the gateway's adapter registry (``gate_service.providers.registry``): the tests
run over every registered format, and a registered format without a case here fails
``test_formats.py`` by name instead of going untested.
"""

from __future__ import annotations

from typing import Any, Protocol

QUESTION = "Tell me about the moon and the stars tonight"
OPENAI_MESSAGES: list[Any] = [{"role": "user", "content": QUESTION}]

# Path, headers and JSON body of a request.
Request = tuple[str, dict[str, str], Any]


class WireCase(Protocol):
    """What the format-independent fault tests need to know about one wire format."""

    separator: bytes
    """What separates two events of a stream."""

    def request(self, *, stream: bool, key: str) -> Request:
        """A minimal valid request in this format."""
        ...

    def is_terminal(self, event: bytes) -> bool:
        """Whether ``event`` is the one that properly ends a stream."""
        ...

    def check_rate_limit_body(self, body: Any) -> None:
        """Assert ``body`` is this format's own 429 error body."""
        ...


class OpenAICase:
    separator = b"\n\n"

    def request(self, *, stream: bool, key: str) -> Request:
        body = {"model": "gpt-4o-mini", "messages": OPENAI_MESSAGES, "stream": stream}
        return "/v1/chat/completions", {"Authorization": f"Bearer {key}"}, body

    def is_terminal(self, event: bytes) -> bool:
        return event == b"data: [DONE]"

    def check_rate_limit_body(self, body: Any) -> None:
        assert body["error"]["code"] == "rate_limit_exceeded"


class AnthropicCase:
    separator = b"\n\n"

    def request(self, *, stream: bool, key: str) -> Request:
        body = {
            "model": "claude-x",
            "max_tokens": 64,
            "messages": OPENAI_MESSAGES,
            "stream": stream,
        }
        return "/v1/messages", {"x-api-key": key, "anthropic-version": "2023-06-01"}, body

    def is_terminal(self, event: bytes) -> bool:
        return event.startswith(b"event: message_stop")

    def check_rate_limit_body(self, body: Any) -> None:
        assert body["type"] == "error"
        assert body["error"]["type"] == "rate_limit_error"
        assert body["error"]["message"]


class GeminiCase:
    separator = b"\r\n\r\n"

    def request(self, *, stream: bool, key: str) -> Request:
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        body = {"contents": [{"role": "user", "parts": [{"text": QUESTION}]}]}
        return f"/v1beta/models/gemini-2.0-flash:{method}", {"x-goog-api-key": key}, body

    def is_terminal(self, event: bytes) -> bool:
        return b'"finishReason"' in event

    def check_rate_limit_body(self, body: Any) -> None:
        assert body["error"]["code"] == 429
        assert body["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert body["error"]["message"]


CASES: dict[str, WireCase] = {
    "openai": OpenAICase(),
    "anthropic": AnthropicCase(),
    "gemini": GeminiCase(),
}
