"""The fault kind and matches that read the request: ``empty`` (a 200 with nothing in it)
through every format's official SDK, and rules matching on ``tools`` and on the output
budget (``max_tokens_at_most``), which script a model that cannot call tools and one that
answers empty at small budgets."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from mock_provider import MockState
from mock_provider.fault_rules import FaultRule, body_facts
from tests.mock_provider.wire_cases import OPENAI_MESSAGES, QUESTION

pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    }
]


async def test_empty_answers_nothing_through_the_openai_sdk(
    client: openai.AsyncOpenAI, state: MockState
) -> None:
    state.add_fault({"kind": "empty", "match": {"max_tokens_at_most": 16}})
    empty = await client.chat.completions.create(
        model="gpt-4o", messages=OPENAI_MESSAGES, max_tokens=16, tools=TOOLS
    )
    assert (empty.choices[0].message.content, empty.choices[0].message.tool_calls) == ("", None)
    assert empty.choices[0].finish_reason == "length"
    streamed = await client.chat.completions.create(
        model="gpt-4o", messages=OPENAI_MESSAGES, max_completion_tokens=8, stream=True
    )
    texts = [c.choices[0].delta.content async for c in streamed if c.choices]
    assert not any(texts)
    # Above the budget, and without one, the model answers.
    for budget in (17, None):
        full = await client.chat.completions.create(
            model="gpt-4o", messages=OPENAI_MESSAGES, max_tokens=budget
        )
        assert full.choices[0].message.content


async def test_empty_through_the_anthropic_and_gemini_sdks(
    claude: anthropic.AsyncAnthropic, gemini: genai.Client, state: MockState
) -> None:
    state.add_fault({"kind": "empty"})
    message = await claude.messages.create(
        model="claude-x", max_tokens=16, messages=OPENAI_MESSAGES
    )
    assert not "".join(b.text for b in message.content if b.type == "text")
    assert message.stop_reason == "max_tokens"
    answer = await gemini.aio.models.generate_content(
        model="gemini-2.0-flash",
        contents=QUESTION,
        config=types.GenerateContentConfig(max_output_tokens=16),
    )
    assert not answer.text


async def test_a_model_that_cannot_call_tools(client: openai.AsyncOpenAI, state: MockState) -> None:
    state.add_fault(
        {
            "status": 400,
            "message": "tools not supported",
            "match": {"model": "gpt-4o-mini", "tools": True},
        }
    )
    plain = await client.chat.completions.create(model="gpt-4o-mini", messages=OPENAI_MESSAGES)
    assert plain.choices[0].message.content
    with pytest.raises(openai.BadRequestError, match="tools not supported"):
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=OPENAI_MESSAGES, tools=TOOLS
        )
    other = await client.chat.completions.create(
        model="gpt-4o", messages=OPENAI_MESSAGES, tools=TOOLS
    )
    assert other.choices[0].message.tool_calls


def test_body_facts_read_every_formats_budget() -> None:
    assert body_facts({"max_tokens": 5, "tools": [{}]}) == (True, 5)
    assert body_facts({"max_completion_tokens": 7}) == (False, 7)
    assert body_facts({"generationConfig": {"maxOutputTokens": 9}, "tools": []}) == (False, 9)
    assert body_facts({"max_tokens": True}) == (False, None)
    assert body_facts(None) == (False, None)


@pytest.mark.parametrize(
    ("match", "reason"),
    [
        ({"tools": "yes"}, "match.tools must be true or false"),
        ({"max_tokens_at_most": 0}, "positive integer"),
        ({"model": 3}, "must be strings"),
    ],
)
def test_bad_body_matches_are_refused(match: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        FaultRule.from_dict({"kind": "empty", "match": match})
