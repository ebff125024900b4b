"""``prompts/apply.py`` and ``prompts/template.py``: which prompt a request names, and
what of a prompt a request keeps (the request wins). Pure, so tested without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gate_service.domain import ChatRequest, Message
from gate_service.errors import GateError
from gate_service.prompts.apply import Reference, apply, names_prompt, take_reference
from gate_service.prompts.records import PromptSettings, PromptView
from gate_service.prompts.template import render

NOW = datetime(2026, 12, 1, tzinfo=UTC)
PROMPT = PromptView(
    id="prm_0123456789abcdef01234567",
    client_id="cli_x",
    project_id="p",
    name="n",
    description="",
    system_prompt="For {{who}}: {{ what }}, {{who}} again.",
    model="spideriq/fast",
    settings=PromptSettings(temperature=0.2, top_p=0.9, max_tokens=50, stop=("END",), seed=4),
    variables=("who", "what"),
    version=3,
    created_at=NOW,
    updated_at=NOW,
)


def request(model: str = "", kind: Any = "chat", **extra: Any) -> ChatRequest:
    req = ChatRequest(model=model, messages=[Message(role="user", content="hi")], extra=extra)
    req.kind = kind
    return req


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"prompt": "prompt:prm_abc123"}, Reference(prompt_id="prm_abc123")),
        ({"prompt": "prm_abc123"}, Reference(prompt_id="prm_abc123")),
        (
            {"prompt": "prompt.my.name", "project_id": "p1"},
            Reference(name="my.name", project_id="p1"),
        ),
        ({"prompt": "prompt.name"}, None),  # no project: ignored
        ({"prompt": "prompt.name", "project_id": ""}, None),
        ({"prompt_variables": {"a": 1}}, None),
        (
            {
                "prompt": {"id": "prm_ab", "version": "2", "variables": {"a": "x"}},
                "prompt_variables": {"b": "y", "a": "z"},
            },
            Reference(prompt_id="prm_ab", version=2, variables={"a": "z", "b": "y"}),
        ),
        (
            {"prompt": {"id": "prompt:prm_ab", "version": 1}},
            Reference(prompt_id="prm_ab", version=1),
        ),
    ],
)
def test_references(extra: dict[str, Any], expected: Reference | None) -> None:
    req = request(**extra, other="kept")
    assert names_prompt(req)
    assert take_reference(req) == expected
    assert req.extra == {"other": "kept"}  # the prompt keys never go upstream


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"prompt": 5}, "prompt"),
        ({"prompt": "gibberish"}, "prompt"),
        ({"prompt": "prompt:prm_../x"}, "prompt"),
        ({"prompt": "prompt.bad name", "project_id": "p"}, "prompt"),
        ({"prompt": "prompt.n", "project_id": "bad/project"}, "project_id"),
        ({"prompt": {"version": 1}}, "prompt.id"),
        ({"prompt": {"id": "prm_a", "version": "two"}}, "prompt.version"),
        ({"prompt": {"id": "prm_a", "version": 0}}, "prompt.version"),
        ({"prompt": {"id": "prm_a", "variables": []}}, "prompt.variables"),
        ({"prompt": "prm_a", "prompt_variables": "x"}, "prompt_variables"),
        ({"prompt_variables": "x"}, "prompt_variables"),
        ({"project_id": 3}, "project_id"),
    ],
)
def test_malformed_references_are_400_naming_the_key(extra: dict[str, Any], param: str) -> None:
    with pytest.raises(GateError) as caught:
        take_reference(request(**extra))
    assert caught.value.code == "invalid_request" and caught.value.param == param


def test_only_the_surfaces_that_name_prompts_are_read() -> None:
    assert not names_prompt(request())
    assert not names_prompt(request(kind="completion", prompt="prompt:prm_a"))
    for kind in ("chat", "message", "response"):
        assert names_prompt(request(kind=kind, prompt="prompt:prm_a"))


def test_the_stored_prompt_applies_where_the_request_says_nothing() -> None:
    req = request()
    apply(req, PROMPT, {"who": "Ann", "what": 7})
    assert req.messages[0] == Message(role="system", content="For Ann: 7, Ann again.")
    assert req.model == "spideriq/fast"
    assert (req.temperature, req.top_p, req.max_tokens, req.stop, req.seed) == (
        0.2,
        0.9,
        50,
        ["END"],
        4,
    )
    assert req.presence_penalty is None and req.frequency_penalty is None


def test_the_request_wins() -> None:
    req = request(model="spideriq/chat")
    req.messages.insert(0, Message(role="developer", content="mine"))
    req.temperature, req.max_completion_tokens, req.stop, req.seed = 1.0, 9, ["X"], 0
    apply(req, PROMPT, {})  # the stored system prompt is not used: no variables needed
    assert [m.content for m in req.messages] == ["mine", "hi"]
    assert req.model == "spideriq/chat"
    assert (req.temperature, req.max_tokens, req.max_completion_tokens) == (1.0, None, 9)
    assert req.stop == ["X"] and req.seed == 0 and req.top_p == 0.9


def test_variables() -> None:
    assert render("Hi {{a}} {{ a }} {{b}}", ("a",), {"a": True}) == "Hi true true {{b}}"
    assert render("x", (), {}) == "x"
    typed = {"type": "input_text", "text": "from Responses"}
    assert render("{{a}}", ("a",), {"a": typed}) == "from Responses"
    for values, param in (
        ({}, "prompt_variables.a"),
        ({"a": "x", "zz": "y"}, "prompt_variables.zz"),
        ({"a": ["no"]}, "prompt_variables.a"),
        ({"a": None}, "prompt_variables.a"),
    ):
        with pytest.raises(GateError) as caught:
            render("{{a}}", ("a",), values)
        assert caught.value.param == param
