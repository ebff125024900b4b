"""The legacy completions -> chat translation (``proto_convert/completions_json.py``): what
each parameter becomes, and the 400 naming each one that cannot be honoured."""

from __future__ import annotations

from typing import Any

import pytest

from gate_service.errors import GateError
from gate_service.proto_convert.completions_json import DEFAULT_MAX_TOKENS, completion_to_chat

BASE: dict[str, Any] = {"model": "spideriq/fast", "prompt": "Once"}


def test_the_prompt_becomes_the_one_user_message_and_the_rest_travels() -> None:
    body = {**BASE, "n": 2, "stop": ["\n"], "temperature": 0.2, "user": "u", "max_tokens": 5}
    legacy = completion_to_chat(body)
    assert legacy.chat == {
        "model": "spideriq/fast",
        "n": 2,
        "stop": ["\n"],
        "temperature": 0.2,
        "user": "u",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "Once"}],
    }
    assert (legacy.prompt, legacy.echo, legacy.logprobs) == ("Once", False, None)


def test_the_defaults_and_what_changes_nothing() -> None:
    legacy = completion_to_chat({**BASE, "prompt": ["Once"], "suffix": "", "best_of": 1})
    assert legacy.chat["max_tokens"] == DEFAULT_MAX_TOKENS
    assert "suffix" not in legacy.chat and "best_of" not in legacy.chat
    assert completion_to_chat({**BASE, "n": 3, "best_of": 3}).chat["n"] == 3
    assert "max_tokens" not in completion_to_chat({**BASE, "max_completion_tokens": 9}).chat


def test_echo_and_logprobs() -> None:
    assert completion_to_chat({**BASE, "echo": True}).echo is True
    legacy = completion_to_chat({**BASE, "logprobs": 3})
    assert (legacy.chat["logprobs"], legacy.chat["top_logprobs"], legacy.logprobs) == (True, 3, 3)
    assert "logprobs" not in completion_to_chat({**BASE, "logprobs": None}).chat


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "m"}, "prompt"),
        ({**BASE, "prompt": ["a", "b"]}, "prompt"),
        ({**BASE, "prompt": [1, 2]}, "prompt"),
        ({**BASE, "prompt": [[1, 2]]}, "prompt"),
        ({**BASE, "prompt": []}, "prompt"),
        ({**BASE, "suffix": "end"}, "suffix"),
        ({**BASE, "suffix": 3}, "suffix"),
        ({**BASE, "echo": "yes"}, "echo"),
        ({**BASE, "logprobs": 6}, "logprobs"),
        ({**BASE, "logprobs": 1, "echo": True}, "logprobs"),
        ({**BASE, "best_of": 2}, "best_of"),
        ({**BASE, "messages": []}, "messages"),
        ({**BASE, "tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
        ({**BASE, "function_call": "auto"}, "function_call"),
    ],
)
def test_what_cannot_be_honoured_is_a_400_naming_it(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GateError) as info:
        completion_to_chat(body)
    assert (info.value.code, info.value.param) == ("invalid_request", param)
