"""Shared test material: one target per wire format, adapters with a fixed clock, and
the client-side reassembly of a streamed answer."""

from __future__ import annotations

from typing import Any

from gate_service.catalog.schema import ProviderInfo
from gate_service.providers.anthropic import AnthropicAdapter
from gate_service.providers.base import Target, WireAdapter
from gate_service.providers.gemini import GeminiAdapter
from gate_service.providers.openai_compat import OpenAIAdapter

SECRET = "sk-test-SECRET-0123456789abcdef"
CREATED = 1_750_000_000

PROVIDERS = {
    "openai": ProviderInfo(
        id="openai",
        name="OpenAI",
        api_format="openai",
        base_url="https://api.openai.com/v1",
        auth="bearer",
    ),
    "anthropic": ProviderInfo(
        id="anthropic",
        name="Anthropic",
        api_format="anthropic",
        base_url="https://api.anthropic.com/v1",
        auth="x-api-key",
        headers=(("anthropic-version", "2023-06-01"),),
    ),
    "gemini": ProviderInfo(
        id="google_ai",
        name="Google AI Studio (Gemini API)",
        api_format="gemini",
        base_url="https://generativelanguage.googleapis.com/v1beta",
        auth="x-goog-api-key",
    ),
}

# The header that must carry the key, and how, per format.
AUTH_HEADERS = {
    "openai": ("authorization", f"Bearer {SECRET}"),
    "anthropic": ("x-api-key", SECRET),
    "gemini": ("x-goog-api-key", SECRET),
}


def adapter(fmt: str) -> WireAdapter:
    """The adapter of a format, with the clock fixed for golden comparisons."""
    adapters: dict[str, WireAdapter] = {
        "openai": OpenAIAdapter(),
        "anthropic": AnthropicAdapter(clock=lambda: CREATED),
        "gemini": GeminiAdapter(clock=lambda: CREATED),
    }
    return adapters[fmt]


def target(fmt: str, model: str) -> Target:
    provider = PROVIDERS[fmt]
    return Target(
        provider=provider,
        model=model,
        base_url=provider.base_url,
        secret=SECRET,
        key_id="key-1",
        key_preview="sk-t…def",
    )


def reassemble(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """What a client rebuilds from chunks (choice 0): content and reasoning concatenated,
    tool-call deltas merged by index, the finish reason, and the usage chunk's usage."""
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish = None
    usage = None
    for chunk in chunks:
        if not chunk["choices"] and "usage" in chunk:
            usage = chunk["usage"]
        for choice in chunk["choices"]:
            if choice["index"] != 0:
                continue
            delta = choice["delta"]
            content.append(delta.get("content") or "")
            reasoning.append(delta.get("reasoning_content") or "")
            for part in delta.get("tool_calls") or []:
                call = calls.setdefault(
                    part["index"], {"id": "", "type": "function", "name": "", "arguments": ""}
                )
                call["id"] = part.get("id") or call["id"]
                function = part.get("function") or {}
                call["name"] = function.get("name") or call["name"]
                call["arguments"] += function.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    tool_calls = [
        {
            "id": c["id"],
            "type": "function",
            "function": {"name": c["name"], "arguments": c["arguments"]},
        }
        for _, c in sorted(calls.items())
    ]
    text = "".join(content)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text or not tool_calls else None,
    }
    if "".join(reasoning):
        message["reasoning_content"] = "".join(reasoning)
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"message": message, "finish_reason": finish, "usage": usage}
