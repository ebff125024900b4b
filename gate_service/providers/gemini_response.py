"""Gemini ``GenerateContentResponse`` -> a completion (and shared pieces).

A stream sends the same message type in fragments, so the part reading, finish-reason
mapping, usage and log-probability conversion here serve ``gemini_stream`` too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from gate_service.domain import Choice, Completion, Usage
from gate_service.providers import openai_shapes as shapes
from gate_service.providers.base import FailureKind, Json, UpstreamFailure
from gate_service.providers.json_codec import compact

_FILTERED = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)


def finish_reason(reason: Any, called_tools: bool) -> str:
    """OpenAI's ``finish_reason``: STOP is ``tool_calls`` when the model called a tool,
    because Gemini has no reason of its own for that; unknown reasons map to stop."""
    if reason == "MAX_TOKENS":
        return "length"
    if reason in _FILTERED:
        return "content_filter"
    return "tool_calls" if called_tools else "stop"


def _count(meta: Json, key: str) -> int:
    value = meta.get(key)
    return value if isinstance(value, int) else 0


def usage(meta: Json) -> Usage:
    """Usage from ``usageMetadata``.

    Thinking tokens are billed as output, so they count as completion tokens (and as
    ``reasoning_tokens``); ``promptTokenCount`` already includes the cached tokens.
    Prompt tokens of server-side tool use are input too.
    """
    thoughts = _count(meta, "thoughtsTokenCount")
    prompt = _count(meta, "promptTokenCount") + _count(meta, "toolUsePromptTokenCount")
    completion = _count(meta, "candidatesTokenCount") + thoughts
    total = meta.get("totalTokenCount")
    return shapes.usage(
        prompt,
        completion,
        total if isinstance(total, int) else None,
        cached=_count(meta, "cachedContentTokenCount"),
        reasoning=thoughts,
    )


def call_id(response_id: str, candidate: int, index: int) -> str:
    """A tool-call id for a call Gemini gave none: stable for the same response, so the
    same answer always yields the same ids (and golden tests stay golden)."""
    digest = hashlib.sha256(f"{response_id}/{candidate}/{index}".encode()).hexdigest()
    return "call_" + digest[:24]


@dataclass(slots=True)
class CandidateParts:
    """What one candidate (or one streamed fragment of it) holds, in OpenAI terms."""

    texts: list[str] = field(default_factory=list)
    thoughts: list[str] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (id or "", name, args)


def read_parts(candidate: Json) -> CandidateParts:
    """Text parts (``thought: true`` ones as reasoning) and function calls of a candidate;
    signature-only and other part kinds carry nothing OpenAI can show."""
    out = CandidateParts()
    for part in (candidate.get("content") or {}).get("parts") or []:
        if not isinstance(part, dict):
            continue
        if isinstance(call := part.get("functionCall"), dict):
            arguments = compact(call.get("args") or {})
            out.calls.append((str(call.get("id") or ""), str(call.get("name") or ""), arguments))
        elif isinstance(text := part.get("text"), str) and text:
            (out.thoughts if part.get("thought") else out.texts).append(text)
    return out


def logprobs(candidate: Json) -> Json | None:
    """OpenAI ``logprobs`` from ``logprobsResult`` (present when responseLogprobs was set)."""
    result = candidate.get("logprobsResult")
    if not isinstance(result, dict):
        return None
    tops = result.get("topCandidates") or []
    content = []
    for n, chosen in enumerate(result.get("chosenCandidates") or []):
        alternatives = (tops[n].get("candidates") or []) if n < len(tops) else []
        entry = _logprob(chosen)
        entry["top_logprobs"] = [_logprob(alt) for alt in alternatives]
        content.append(entry)
    return {"content": content, "refusal": None}


def _logprob(item: Json) -> Json:
    token = str(item.get("token") or "")
    value = item.get("logProbability")
    return {
        "token": token,
        "logprob": value if isinstance(value, int | float) else 0.0,
        "bytes": list(token.encode()),
    }


def parse_response(data: Json, created: int, fallback_model: str) -> Completion:
    """The whole answer as a ``chat.completion``; a prompt blocked before any candidate
    was generated becomes one empty ``content_filter`` choice."""
    response_id = str(data.get("responseId") or "")
    candidates = data.get("candidates") or []
    if candidates:
        choices = [_choice(c, n, response_id) for n, c in enumerate(candidates)]
    elif (data.get("promptFeedback") or {}).get("blockReason"):
        choices = [shapes.choice(0, shapes.message([]), "content_filter")]
    else:
        raise UpstreamFailure(FailureKind.PROTOCOL, 502, "upstream answer has no candidates")
    meta = data.get("usageMetadata")
    return shapes.completion(
        response_id,
        str(data.get("modelVersion") or fallback_model),
        created,
        choices,
        usage(meta) if isinstance(meta, dict) else None,
    )


def _choice(candidate: Json, position: int, response_id: str) -> Choice:
    index = candidate.get("index")
    index = index if isinstance(index, int) else position
    parts = read_parts(candidate)
    calls = [
        shapes.tool_call(given or call_id(response_id, index, n), name, arguments)
        for n, (given, name, arguments) in enumerate(parts.calls)
    ]
    msg = shapes.message(parts.texts, reasoning=parts.thoughts, tool_calls=calls)
    reason = finish_reason(candidate.get("finishReason"), bool(calls))
    return shapes.choice(index, msg, reason, logprobs(candidate))
