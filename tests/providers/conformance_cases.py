"""What the conformance suite checks of each wire format's upstream request: the shape the
shared OpenAI request takes in that format, and how the format asks for a stream.

Keyed by the adapter registry's names; ``test_every_registered_adapter_has_a_case`` fails
by name for a registered format without one, so a new adapter cannot skip the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.providers.canned import MODELS

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class OpenAIShape:
    def check_request(self, body: Json, url: str) -> None:
        assert body["model"] == MODELS["openai"]
        assert [m["role"] for m in body["messages"]] == ["system", "user"]

    def asks_to_stream(self, body: Json, url: str) -> bool:
        return body.get("stream") is True and body["stream_options"]["include_usage"] is True


@dataclass(frozen=True, slots=True)
class AnthropicShape:
    def check_request(self, body: Json, url: str) -> None:
        assert body["model"] == MODELS["anthropic"]
        assert body["system"] == "Be brief."
        assert body["messages"] == [
            {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}
        ]
        assert body["tools"][0]["input_schema"]["required"] == ["city"]

    def asks_to_stream(self, body: Json, url: str) -> bool:
        return body.get("stream") is True


@dataclass(frozen=True, slots=True)
class GeminiShape:
    def check_request(self, body: Json, url: str) -> None:
        assert f"/models/{MODELS['gemini']}:" in url
        assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
        assert body["contents"] == [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}]
        assert body["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"

    def asks_to_stream(self, body: Json, url: str) -> bool:
        return url.endswith(":streamGenerateContent?alt=sse")


RequestShape = OpenAIShape | AnthropicShape | GeminiShape

SHAPES: dict[str, RequestShape] = {
    "openai": OpenAIShape(),
    "anthropic": AnthropicShape(),
    "gemini": GeminiShape(),
}
