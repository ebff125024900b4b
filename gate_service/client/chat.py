"""A chat request as the MCP tool and the CLI build it, and the short summary of the
answer they show: content, served model and provider, cost, and the trace id (the
request's id, which ``GET /traces/{id}`` takes)."""

from __future__ import annotations

from typing import Any

from gate_service.client.rest import Json

DEFAULT_MODEL = "spideriq/chat"


def chat_body(
    message: str | None,
    *,
    model: str = DEFAULT_MODEL,
    system: str | None = None,
    messages: list[Json] | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    prompt: str | None = None,
) -> Json:
    """The ``POST /chat/completions`` body: ``messages`` as given, else an optional system
    message and the user's ``message``. Unset options are left out (the gateway's and the
    saved prompt's defaults apply), and nothing is checked here: the API validates."""
    if messages is None:
        messages = [{"role": "system", "content": system}] if system else []
        if message is not None:
            messages.append({"role": "user", "content": message})
    body: Json = {"model": model, "messages": messages}
    options: dict[str, Any] = {
        "max_tokens": max_tokens,
        "temperature": temperature,
        "prompt": prompt,
    }
    body.update({k: v for k, v in options.items() if v is not None})
    return body


def chat_summary(answer: Json, request_id: str = "") -> Json:
    """What a caller wants of a completion, from its JSON (and the answer's
    ``X-Request-Id`` when the body has no ``spidergate_metadata.request_id``)."""
    choices = answer.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    meta = answer.get("spidergate_metadata") or {}
    summary: Json = {
        "content": message.get("content"),
        "finish_reason": choice.get("finish_reason"),
        "model": answer.get("model"),
        "provider": meta.get("provider"),
        "cost_usd": meta.get("cost_usd"),
        "fallback_used": meta.get("fallback_used"),
        "trace_id": meta.get("request_id") or request_id or None,
        "usage": answer.get("usage"),
    }
    if message.get("tool_calls"):
        summary["tool_calls"] = message["tool_calls"]
    return summary
