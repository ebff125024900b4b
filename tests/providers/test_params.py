"""The parameter table (providers.params) and the pure parts of what it promises: the
README shows the same table, vendors' exceptions, neutral values, the n merge, and
Anthropic's JSON answer through a forced tool (whole and streamed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.schema import ProviderInfo
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.several import merge_completions, single, sum_usage
from gate_service.domain import ChatRequest, Message, ResponseFormat, Usage
from gate_service.providers import openai_shapes as shapes
from gate_service.providers.anthropic_request import RESPONSE_TOOL, build_body
from gate_service.providers.anthropic_response import parse_message
from gate_service.providers.anthropic_stream import AnthropicStreamDecoder
from gate_service.providers.params import (
    REJECTABLE,
    Handling,
    dropped,
    emulates_n,
    handling,
    readme_table,
    refused,
    request_params,
)
from tests.domain.build import chat_request as request_from_json
from tests.providers.support import PROVIDERS

ROOT = Path(__file__).resolve().parents[2]
CATALOG = Catalog(load_bundled())
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"],
    "additionalProperties": False,
}


def _provider(provider_id: str) -> ProviderInfo:
    found = CATALOG.provider(provider_id)
    assert found is not None
    return found


def test_readme_shows_the_table_of_the_code() -> None:
    assert readme_table() in (ROOT / "README.md").read_text()


def test_every_parameter_a_vendor_rejects_is_named_in_the_readme() -> None:
    listed = {p for provider in CATALOG.providers for p in provider.rejected_params}
    assert listed <= REJECTABLE


def test_vendor_exceptions_follow_rejected_params() -> None:
    groq, cerebras, mistral = _provider("groq"), _provider("cerebras"), _provider("mistral")
    assert handling(groq, "n") is Handling.EMULATED and emulates_n(groq)
    assert handling(groq, "logprobs") is Handling.REFUSED
    assert handling(cerebras, "frequency_penalty") is Handling.REFUSED
    assert handling(cerebras, "service_tier") is Handling.DROPPED
    assert handling(mistral, "user") is Handling.DROPPED
    openrouter = _provider("openrouter")
    assert handling(openrouter, "n") is Handling.HONOURED and not emulates_n(openrouter)
    assert handling(openrouter, "logprobs") is Handling.HONOURED


def test_neutral_values_ask_for_nothing() -> None:
    request = request_from_json(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "n": 1,
            "logprobs": False,
            "frequency_penalty": 0,
            "parallel_tool_calls": True,
            "logit_bias": {},
            "response_format": {"type": "text"},
        }
    )
    assert request_params(request) == ()
    asked = request_from_json(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "n": 2,
            "logprobs": True,
            "top_logprobs": 2,
            "seed": 1,
            "logit_bias": {"50256": -100},
        }
    )
    assert set(request_params(asked)) == {"n", "logprobs", "top_logprobs", "seed", "logit_bias"}


def test_refused_and_dropped_per_format() -> None:
    anthropic, gemini = PROVIDERS["anthropic"], PROVIDERS["gemini"]
    params = ("n", "logprobs", "seed", "response_format", "user")
    assert refused(anthropic, params, stream=False) == ["logprobs"]
    # Emulated n cannot be streamed: such candidates are filtered.
    assert refused(anthropic, params, stream=True) == ["n", "logprobs"]
    assert refused(gemini, params, stream=True) == []
    assert dropped(anthropic, "claude-3-5-haiku-latest", params) == ["seed"]
    assert dropped(gemini, "gemini-2.0-flash", params) == ["user"]
    # Unknown fields have no place on the Anthropic wire: named, not silently lost.
    assert dropped(anthropic, "claude-3-5-haiku-latest", ("x_custom",)) == ["x_custom"]
    assert handling(PROVIDERS["openai"], "x_custom") is Handling.HONOURED


def test_anthropic_sampling_rules_are_named() -> None:
    anthropic = PROVIDERS["anthropic"]
    both = ("temperature", "top_p")
    assert dropped(anthropic, "claude-3-5-haiku-latest", both) == ["top_p"]
    assert dropped(anthropic, "claude-opus-4-7", both) == ["temperature", "top_p"]
    assert dropped(anthropic, "claude-3-5-haiku-latest", ("temperature",)) == []
    # top_k (the Messages API's) is sent where sampling is taken, named where it is not,
    # and never makes top_p give way.
    with_k = ("temperature", "top_k")
    assert dropped(anthropic, "claude-3-5-haiku-latest", with_k) == []
    assert dropped(anthropic, "claude-opus-4-7", with_k) == ["temperature", "top_k"]
    assert dropped(PROVIDERS["gemini"], "gemini-2.0-flash", ("top_k",)) == []


def test_n_merge_indexes_choices_and_sums_usage() -> None:
    def part(text: str, prompt: int, out: int) -> shapes.Completion:
        msg = shapes.message([text])
        usage = Usage(prompt, out, prompt + out, cached_tokens=1)
        return shapes.completion("id1", "m", 1, [shapes.choice(0, msg, "stop")], usage)

    merged = merge_completions([part("a", 10, 2), part("b", 10, 3)])
    assert [(c.index, c.message.content) for c in merged.choices] == [(0, "a"), (1, "b")]
    assert merged.usage == Usage(20, 5, 25, cached_tokens=2)
    assert sum_usage([None, None]) is None
    request = ChatRequest("m", [Message("user", "hi")], n=3)
    assert single(request).n is None and request.n == 3


def _json_request(**changes: Any) -> ChatRequest:
    fmt = ResponseFormat("json_schema", {"name": "weather", "schema": SCHEMA})
    return dataclasses.replace(
        ChatRequest("m", [Message("user", "Weather?")], response_format=fmt), **changes
    )


def test_anthropic_json_schema_is_a_forced_tool() -> None:
    body = build_body(_json_request(), "claude-3-5-haiku-latest", stream=False)
    assert body["tools"] == [
        {
            "name": RESPONSE_TOOL,
            "description": "Give your whole answer as this tool's input.",
            "input_schema": SCHEMA,
        }
    ]
    assert body["tool_choice"] == {
        "type": "tool",
        "name": RESPONSE_TOOL,
        "disable_parallel_tool_use": True,
    }
    plain = build_body(
        _json_request(response_format=ResponseFormat("json_object")),
        "claude-3-5-haiku",
        stream=False,
    )
    assert plain["tools"][0]["input_schema"] == {"type": "object", "additionalProperties": True}


def test_anthropic_json_with_client_tools_requires_some_tool() -> None:
    request = request_from_json(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": SCHEMA}}],
            "response_format": {"type": "json_object"},
        }
    )
    body = build_body(request, "claude-3-5-haiku-latest", stream=False)
    assert [t["name"] for t in body["tools"]] == ["f", RESPONSE_TOOL]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


def test_anthropic_answer_tool_becomes_the_content() -> None:
    answer = {"city": "Paris", "days": 3}
    data = {
        "id": "msg_1",
        "model": "claude",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": RESPONSE_TOOL, "input": answer}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 5, "output_tokens": 7},
    }
    completion = parse_message(data, 1, "claude")
    choice = completion.choices[0]
    assert orjson.loads(choice.message.content or "") == answer
    assert choice.message.tool_calls == [] and choice.finish_reason == "stop"


def test_anthropic_streamed_answer_tool_becomes_content_deltas() -> None:
    decoder = AnthropicStreamDecoder("claude", 1)
    start = {"id": "toolu_1", "type": "tool_use", "name": RESPONSE_TOOL, "input": {}}
    events = [
        {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 5}}},
        {"type": "content_block_start", "index": 0, "content_block": start},
        *(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            }
            for piece in ('{"city": "Pa', 'ris", "days": 3}')
        ),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 7},
        },
        {"type": "message_stop"},
    ]
    chunks = [c for event in events for c in decoder.feed(orjson.dumps(event))]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert orjson.loads(text) == {"city": "Paris", "days": 3}
    assert not any(c.choices[0].delta.tool_calls for c in chunks if c.choices)
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"] and decoder.done
