"""Our canned upstream answers and built request bodies, checked against the official
SDKs' models, so the fixtures are Anthropic's and Google's formats and not our guess
of them. (SDK models are used here only: the adapters stay plain dicts.)"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import orjson
import pydantic
import pytest
from anthropic.types import (
    ImageBlockParam,
    Message,
    RawMessageStreamEvent,
    TextBlockParam,
    ToolChoiceParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
    message_create_params,
)
from anthropic.types.shared import ErrorResponse
from google.genai import types as genai

from tests.providers.canned import CANNED

FIXTURES = Path(__file__).parent / "fixtures"


def _cases(fmt: str, kind: str) -> list[dict[str, Any]]:
    out = []
    for path in sorted((FIXTURES / fmt).glob("*.json")):
        fixture = orjson.loads(path.read_bytes())
        if fixture["kind"] == kind:
            out.extend(fixture["cases"])
    return out


def _drain(value: Any) -> Any:
    """Pydantic validates ``Iterable`` fields lazily; walking them forces validation."""
    if isinstance(value, dict):
        return {k: _drain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or hasattr(value, "__next__"):
        return [_drain(v) for v in value]
    return value


def _keys_known(value: dict[str, Any], typed_dict: Any, also: frozenset[str] = frozenset()) -> None:
    """TypedDict validation ignores unknown keys; Anthropic rejects them, so we don't."""
    unknown = set(value) - set(typing.get_type_hints(typed_dict)) - also
    assert not unknown, f"{typed_dict.__name__} has no {sorted(unknown)}"


# --- Anthropic ------------------------------------------------------------------------

_ANTHROPIC_EVENTS = pydantic.TypeAdapter(RawMessageStreamEvent)
# Kept alive for the whole module: lazily validated iterators refer back to them.
_CREATE_PARAMS: dict[bool, pydantic.TypeAdapter[Any]] = {
    False: pydantic.TypeAdapter(message_create_params.MessageCreateParamsNonStreaming),
    True: pydantic.TypeAdapter(message_create_params.MessageCreateParamsStreaming),
}
_TOOL_CHOICE = pydantic.TypeAdapter(ToolChoiceParam)
# The SDK (2.x) speaks API version 2026-10-21, which removed the sampling knobs; we pin
# 2023-06-01, where models up to Claude 4.6 still take them.
_SAMPLING = frozenset({"temperature", "top_p", "top_k"})
_BLOCKS = {
    "text": TextBlockParam,
    "image": ImageBlockParam,
    "tool_use": ToolUseBlockParam,
    "tool_result": ToolResultBlockParam,
}


def _anthropic_answers() -> list[dict[str, Any]]:
    answers = [c["response"] for c in _cases("anthropic", "response")]
    answers += [CANNED["anthropic"]["text"], CANNED["anthropic"]["tool"]]
    return [a for a in answers if a.get("type") == "message"]


def _anthropic_events() -> list[dict[str, Any]]:
    events = [e for c in _cases("anthropic", "stream") for e in c["events"]]
    events += CANNED["anthropic"]["text_stream"] + CANNED["anthropic"]["tool_stream"]
    return [e for e in events if isinstance(e, dict)]


@pytest.mark.parametrize("answer", _anthropic_answers())
def test_anthropic_answers_are_messages(answer: dict[str, Any]) -> None:
    Message.model_validate(answer)


@pytest.mark.parametrize("event", _anthropic_events())
def test_anthropic_stream_events(event: dict[str, Any]) -> None:
    if event["type"] == "ping":
        return  # the SDK's event union leaves keep-alives out
    if event["type"] == "error":
        ErrorResponse.model_validate(event)
    else:
        _ANTHROPIC_EVENTS.validate_python(event)


def test_anthropic_error_bodies() -> None:
    for case in _cases("anthropic", "error"):
        body = case["body"]
        # request_too_large comes from Cloudflare in front of the API; the SDK's error
        # union does not list it.
        if isinstance(body, dict) and body["error"]["type"] != "request_too_large":
            ErrorResponse.model_validate(body)


@pytest.mark.parametrize(
    "case",
    [c for c in _cases("anthropic", "request") if "body" in c["expected"]],
    ids=lambda c: c["name"],
)
def test_anthropic_request_bodies(case: dict[str, Any]) -> None:
    body = case["expected"]["body"]
    streaming = bool(body.get("stream"))
    _drain(
        _CREATE_PARAMS[streaming].validate_python(
            {k: v for k, v in body.items() if k not in _SAMPLING}
        )
    )
    for knob in {"temperature", "top_p"} & set(body):
        assert 0 <= body[knob] <= 1
    if "top_k" in body:
        assert isinstance(body["top_k"], int) and body["top_k"] >= 0
    _keys_known(
        body,
        message_create_params.MessageCreateParamsStreaming
        if streaming
        else message_create_params.MessageCreateParamsNonStreaming,
        _SAMPLING,
    )
    for message in body["messages"]:
        assert set(message) == {"role", "content"}
        for block in message["content"]:
            _keys_known(block, _BLOCKS[block["type"]])
    for tool in body.get("tools", []):
        _keys_known(tool, ToolParam)
    if "tool_choice" in body:
        _TOOL_CHOICE.validate_python(body["tool_choice"])


# --- Gemini ---------------------------------------------------------------------------

_REQUEST_FIELDS = {
    "contents",
    "systemInstruction",
    "tools",
    "toolConfig",
    "generationConfig",
}


def _gemini_answers() -> list[dict[str, Any]]:
    answers = [c["response"] for c in _cases("gemini", "response")]
    answers += [e for c in _cases("gemini", "stream") for e in c["events"] if isinstance(e, dict)]
    canned = CANNED["gemini"]
    answers += [canned["text"], canned["tool"], *canned["text_stream"], *canned["tool_stream"]]
    return [a for a in answers if "error" not in a and ("candidates" in a or "promptFeedback" in a)]


@pytest.mark.parametrize("answer", _gemini_answers())
def test_gemini_answers_are_responses(answer: dict[str, Any]) -> None:
    # extra="forbid" in the SDK models: a misspelt field fails here.
    genai.GenerateContentResponse.model_validate(answer)


@pytest.mark.parametrize(
    "case",
    [c for c in _cases("gemini", "request") if "body" in c["expected"]],
    ids=lambda c: c["name"],
)
def test_gemini_request_bodies(case: dict[str, Any]) -> None:
    body = case["expected"]["body"]
    assert set(body) <= _REQUEST_FIELDS
    for content in body["contents"]:
        assert content["role"] in ("user", "model")
        genai.Content.model_validate(content)
    if "systemInstruction" in body:
        genai.Content.model_validate(body["systemInstruction"])
    for tool in body.get("tools", []):
        genai.Tool.model_validate(tool)
    if "toolConfig" in body:
        genai.ToolConfig.model_validate(body["toolConfig"])
    if "generationConfig" in body:
        genai.GenerationConfig.model_validate(body["generationConfig"])
