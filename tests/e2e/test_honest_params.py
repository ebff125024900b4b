"""Honest parameters end to end (issue 11, item 4), through models served by each wire
format (the mock): ``chat.completions.parse`` returns the parsed object, ``n=2`` returns
two choices (or a clear refusal where emulation cannot stream), ``logprobs`` never comes
back null without an error, dropped parameters are named in a header, and the budget
reservation for ``n=2`` covers both calls."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel

from gate_service.auth.principal import TokenControls
from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.needs import bound_prompt_tokens
from gate_service.providers.params import DROPPED_HEADER
from gate_service.routing.plan import worst_cost
from gate_service.routing.resolve import resolve
from tests.domain.build import chat_request
from tests.e2e.test_wire_formats import MODELS
from tests.stack import Stack

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello there"}]


class Forecast(BaseModel):
    city: str
    days: int
    rainy: bool


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> Iterator[OpenAI]:
    stack.core.router.health.clear()
    with OpenAI(base_url=stack.base_url, api_key=token, max_retries=0) as sdk:
        yield sdk


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_parse_returns_the_object_through_every_format(
    client: OpenAI, stack: Stack, fmt: str
) -> None:
    completion = client.chat.completions.parse(
        model=MODELS[fmt], messages=HELLO, response_format=Forecast
    )
    choice = completion.choices[0]
    assert isinstance(choice.message.parsed, Forecast)
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    sent = stack.mock.state.records[-1].body
    if fmt == "anthropic":  # emulated: the schema went up as a forced tool's input schema
        assert sent["tool_choice"]["type"] == "tool"
        assert sent["tools"][0]["input_schema"]["properties"].keys() == {"city", "days", "rainy"}

    with client.chat.completions.stream(
        model=MODELS[fmt], messages=HELLO, response_format=Forecast
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    assert len(deltas) > 1  # it did stream
    assert final.choices[0].message.parsed == choice.message.parsed


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_n_2_returns_two_choices_everywhere(client: OpenAI, stack: Stack, fmt: str) -> None:
    single = client.chat.completions.create(model=MODELS[fmt], messages=HELLO)
    before = stack.mock.state.total
    resp = client.chat.completions.create(model=MODELS[fmt], messages=HELLO, n=2)
    calls = stack.mock.state.total - before
    assert [c.index for c in resp.choices] == [0, 1]
    assert all(c.message.content == single.choices[0].message.content for c in resp.choices)
    assert resp.usage and single.usage
    assert resp.usage.completion_tokens == 2 * single.usage.completion_tokens
    if fmt == "gemini":  # honoured: candidateCount, one call
        assert calls == 1
        assert stack.mock.state.records[-1].body["generationConfig"]["candidateCount"] == 2
    else:  # groq rejects n and Anthropic has none: two calls, both billed
        assert calls == 2
        assert resp.usage.prompt_tokens == 2 * single.usage.prompt_tokens


def test_streamed_n_2_where_emulated_is_refused_clearly(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODELS["anthropic"], messages=HELLO, n=2, stream=True)
    error = refused.value.body
    assert isinstance(error, dict) and error["param"] == "n"
    # Where n is honoured it streams: the choices arrive with their indexes.
    stream = client.chat.completions.create(
        model=MODELS["gemini"], messages=HELLO, n=2, stream=True
    )
    texts: dict[int, str] = {}
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    assert sorted(texts) == [0, 1] and texts[0] == texts[1] != ""


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_logprobs_are_returned_or_refused(client: OpenAI, fmt: str) -> None:
    if fmt == "gemini":
        resp = client.chat.completions.create(
            model=MODELS[fmt], messages=HELLO, logprobs=True, top_logprobs=2
        )
        probs = resp.choices[0].logprobs
        assert probs is not None and probs.content
        assert all(len(t.top_logprobs) == 2 for t in probs.content)
        return
    # groq rejects logprobs; Anthropic has none: a pinned model is a 400 naming it.
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODELS[fmt], messages=HELLO, logprobs=True)
    error = refused.value.body
    assert isinstance(error, dict) and error["param"] == "logprobs"


def test_logprobs_filter_an_alias_chain(client: OpenAI, stack: Stack) -> None:
    # spideriq/fast starts with groq, which cannot return logprobs: the next one serves.
    resp = client.chat.completions.create(model="spideriq/fast", messages=HELLO, logprobs=True)
    assert resp.choices[0].logprobs is not None and resp.choices[0].logprobs.content
    assert resp.model != "llama-3.1-8b-instant"
    assert not stack.mock.state.records[-1].prefix.startswith("/groq")
    # Nothing left that can: 422 with a verdict per candidate.
    everyone_else = ["cerebras", "sambanova", "mistral"]
    with pytest.raises(openai.UnprocessableEntityError) as none_left:
        client.chat.completions.create(
            model="spideriq/fast",
            messages=HELLO,
            logprobs=True,
            extra_body={"spidergate_options": {"excluded_providers": everyone_else}},
        )
    body = none_left.value.response.json()
    assert body["error"]["code"] == "no_qualifying_model"
    verdicts = {c["provider"]: c["verdict"] for c in body["spidergate_error"]["candidates"]}
    assert "logprobs" in verdicts["groq"]


def test_dropped_params_are_named(client: OpenAI, stack: Stack) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=MODELS["anthropic"], messages=HELLO, seed=7, user="u-1"
    )
    assert raw.headers[DROPPED_HEADER] == "seed"  # user is honoured (metadata.user_id)
    assert "seed" not in stack.mock.state.records[-1].body
    with client.chat.completions.with_streaming_response.create(
        model=MODELS["gemini"], messages=HELLO, user="u-1", stream=True
    ) as streamed:
        assert streamed.headers[DROPPED_HEADER] == "user"
        assert list(streamed.iter_lines())
    plain = client.chat.completions.with_raw_response.create(
        model=MODELS["openai"], messages=HELLO, seed=7
    )
    assert DROPPED_HEADER not in plain.headers
    # An unknown key of any characters is named in a form a header can carry (was a 500).
    odd = client.chat.completions.with_raw_response.create(
        model=MODELS["gemini"], messages=HELLO, extra_body={"\u0100x y,%": 1}
    )
    assert odd.headers[DROPPED_HEADER] == "%C4%80x y%2C%25"


def test_budget_reservation_covers_every_emulated_call(
    stack: Stack, brand: tuple[str, str]
) -> None:
    model = MODELS["anthropic"]
    body = {"model": model, "messages": HELLO, "max_tokens": 2000}
    prompt = bound_prompt_tokens(chat_request(body))
    (item,) = resolve(Catalog(load_bundled()), model)
    assert item.model is not None
    one = worst_cost(item.model, prompt, 2000)
    # Room for one call's worst case, not for two.
    _, token = stack.core.identity.mint_token(
        brand[0], "n2-budget", None, TokenControls(budget_usd=round(one * 1.5, 6))
    )
    headers = {"Authorization": f"Bearer {token}"}
    before = stack.mock.state.total
    with httpx.Client(base_url=stack.base_url, headers=headers, timeout=30) as http:
        two = http.post("/chat/completions", json={**body, "n": 2})
        assert two.status_code == 402 and two.json()["error"]["code"] == "budget_exceeded"
        assert stack.mock.state.total == before  # refused before any call
        served = http.post("/chat/completions", json=body)
        assert served.status_code == 200
