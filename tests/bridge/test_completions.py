"""A chat answer turned back into ``text_completion`` objects (``bridge/completions.py``):
whole and streamed, ``echo``, and ``logprobs`` in the legacy shape with their offsets."""

from __future__ import annotations

from typing import Any

from bridge.completions import TextOffsets, legacy_logprobs, text_chunk, text_completion
from gate_service.proto_convert.completions_json import completion_to_chat

CHAT_LOGPROBS = {
    "content": [
        {"token": "Hel", "logprob": -0.1, "top_logprobs": [{"token": "Hel", "logprob": -0.1}]},
        {"token": "lo", "logprob": -0.2, "top_logprobs": [{"token": "lo", "logprob": -0.2}]},
    ]
}


def _chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}
    return {"id": "chatcmpl-abc", "created": 1, "model": "m", "choices": [choice]}


def test_logprobs_in_the_legacy_shape() -> None:
    assert legacy_logprobs(CHAT_LOGPROBS, start=4) == {
        "tokens": ["Hel", "lo"],
        "token_logprobs": [-0.1, -0.2],
        "top_logprobs": [{"Hel": -0.1}, {"lo": -0.2}],
        "text_offset": [4, 7],
    }
    assert legacy_logprobs(None) is None


def test_a_whole_answer() -> None:
    chat = {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1,
        "model": "served-model",
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello"},
                "finish_reason": "stop",
                "logprobs": CHAT_LOGPROBS,
            }
        ],
    }
    legacy = completion_to_chat({"model": "m", "prompt": "Say ", "logprobs": 1})
    answer = text_completion(chat, legacy)
    assert answer["id"] == "cmpl-abc" and answer["object"] == "text_completion"
    assert (answer["model"], answer["usage"]) == ("served-model", chat["usage"])
    [choice] = answer["choices"]
    assert (choice["text"], choice["finish_reason"]) == ("Hello", "stop")
    assert choice["logprobs"]["text_offset"] == [0, 3]
    echoed = text_completion(
        chat, completion_to_chat({"model": "m", "prompt": "Say ", "echo": True})
    )
    assert echoed["choices"][0]["text"] == "Say Hello"
    assert echoed["choices"][0]["logprobs"] is None  # not asked for


def test_a_stream_echoes_once_and_drops_the_role_only_delta() -> None:
    legacy = completion_to_chat({"model": "m", "prompt": "Say ", "echo": True})
    offsets = TextOffsets()
    out = [
        text_chunk(c, legacy, offsets)
        for c in (
            _chunk(0, {"role": "assistant"}),
            _chunk(0, {"content": "Hel"}),
            _chunk(0, {"content": "lo"}, "stop"),
        )
    ]
    texts = [o["choices"][0]["text"] if o else None for o in out]
    assert texts == ["Say ", "Hel", "lo"]
    assert out[2] and out[2]["choices"][0]["finish_reason"] == "stop"
    plain = completion_to_chat({"model": "m", "prompt": "Say "})
    assert text_chunk(_chunk(0, {"role": "assistant"}), plain, TextOffsets()) is None
    usage = {"id": "chatcmpl-abc", "choices": [], "usage": {"total_tokens": 5}}
    assert text_chunk(usage, plain, TextOffsets()) == {
        "id": "cmpl-abc",
        "object": "text_completion",
        "usage": {"total_tokens": 5},
        "choices": [],
    }


def test_streamed_logprobs_count_offsets_across_chunks() -> None:
    legacy = completion_to_chat({"model": "m", "prompt": "Say ", "logprobs": 0})
    offsets = TextOffsets()
    first = _chunk(0, {"content": "Hel"})
    first["choices"][0]["logprobs"] = {"content": CHAT_LOGPROBS["content"][:1]}
    second = _chunk(0, {"content": "lo"})
    second["choices"][0]["logprobs"] = {"content": CHAT_LOGPROBS["content"][1:]}
    a, b = text_chunk(first, legacy, offsets), text_chunk(second, legacy, offsets)
    assert a and b
    assert a["choices"][0]["logprobs"]["text_offset"] == [0]
    assert b["choices"][0]["logprobs"]["text_offset"] == [3]
