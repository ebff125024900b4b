"""The OpenAI JSON form of the domain: what the OpenAI-compatible adapter sends and reads,
and what the cache stores. Writing gives the gateway's answers exactly; reading an
upstream's answer is lenient (a bad value is the field's zero, never a failed answer)."""

from __future__ import annotations

from typing import Any

from gate_service.domain import Usage
from gate_service.domain.openai_json import (
    INT32,
    INT64,
    chunk_from_json,
    chunk_to_json,
    completion_from_json,
    completion_to_json,
    request_to_json,
    usage_from_json,
    usage_to_json,
)
from tests.domain.build import chat_request

BODY: dict[str, Any] = {
    "model": "m",
    "messages": [{"role": "user", "content": "hi"}],
    "spidergate_options": {"timeout_ms": 5, "future": [1]},
    "stream": True,
}


def test_request_json_keeps_options_unless_asked_not_to() -> None:
    typed = chat_request(BODY)
    assert request_to_json(typed) == BODY
    assert request_to_json(typed, options=False) == {
        k: v for k, v in BODY.items() if k != "spidergate_options"
    }


def test_empty_options_stay_as_sent() -> None:
    body = {**BODY, "spidergate_options": {}}
    assert request_to_json(chat_request(body)) == body
    bare = {k: v for k, v in BODY.items() if k != "spidergate_options"}
    assert request_to_json(chat_request(bare)) == bare


def test_usage_details_merge_with_the_typed_counts() -> None:
    raw = {
        "prompt_tokens": 10,
        "completion_tokens": 2,
        "total_tokens": 12,
        "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 1},
        "completion_tokens_details": {"reasoning_tokens": 1},
    }
    usage = usage_from_json(raw)
    assert (usage.cached_tokens, usage.reasoning_tokens) == (4, 1)
    assert usage_to_json(usage) == raw
    usage.cached_tokens = 6  # the typed value wins over what rode along
    assert usage_to_json(usage)["prompt_tokens_details"] == {"cached_tokens": 6, "audio_tokens": 1}
    assert usage_to_json(Usage(1, 2, 3)) == {
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "total_tokens": 3,
    }


def test_reading_an_upstream_answer_is_lenient() -> None:
    completion = completion_from_json(
        {
            "id": 5,
            "created": "yesterday",
            "choices": [
                "not a choice",
                {
                    "index": 2**40,
                    "message": {"content": 7, "tool_calls": "x", "refusal": None},
                    "finish_reason": 3,
                },
            ],
            "usage": {"prompt_tokens": float("nan"), "completion_tokens": 10**30},
            "spidergate_metadata": {"cost_usd": "free", "cache_hit": 1},
        }
    )
    assert (completion.id, completion.created) == ("5", 0)
    [choice] = completion.choices
    assert choice.index == INT32 - 1
    assert (choice.message.content, choice.message.tool_calls, choice.finish_reason) == (
        None,
        [],
        None,
    )
    assert completion.usage == Usage(0, INT64 - 1, 0)
    assert completion.metadata is not None
    assert (completion.metadata.cost_usd, completion.metadata.cache_hit) == (0.0, False)


def test_a_completion_reads_back_as_written() -> None:
    whole = {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "hi", "refusal": None, "x": 1},
                "logprobs": {"content": []},
                "finish_reason": "stop",
                "y": 2,
            }
        ],
        "service_tier": "default",
        "z": 3,
    }
    assert completion_to_json(completion_from_json(whole)) == whole


def test_a_delta_carries_only_what_the_chunk_has() -> None:
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{"}}]},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    }
    assert chunk_to_json(chunk_from_json(chunk)) == chunk
