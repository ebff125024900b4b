"""Legacy ``POST /completions`` end to end: the official openai SDK's
``client.completions.create`` (plain, streamed, echo) through aliases served by each of the
three wire formats, the sampling parameters as the upstream gets them, ``suffix`` and the
other refusals (400 naming the parameter, after the 401), LangChain's completion LLM
(``langchain_openai.OpenAI``) and LlamaIndex's (the SDK's own call), both prefixes, and
the ledger's kind."""

from __future__ import annotations

import itertools

import httpx
import openai
import orjson
import pytest
from jsonschema import Draft202012Validator
from langchain_openai import OpenAI as LangChainOpenAI
from openai import OpenAI
from pydantic import SecretStr

from gate_service.auth.principal import TokenControls
from tests.stack import Stack

# An alias per wire format, and the provider it prefers so that format serves.
ALIASES = {
    "openai": ("spideriq/fast", ["groq"]),
    "anthropic": ("spideriq/lead-analysis", ["anthropic"]),
    "gemini": ("spideriq/free", ["google_ai"]),
}
SERVED = {
    "openai": "llama-3.1-8b-instant",
    "anthropic": "claude-3-5-haiku-latest",
    "gemini": "gemini-2.0-flash",
}
PROMPT = "Once upon a time"
_names = itertools.count()


@pytest.fixture(scope="module")
def limited(stack: Stack, brand: tuple[str, str]) -> str:
    """A token of its own (its rate-limit headers are checked)."""
    _, token = stack.core.identity.mint_token(
        brand[0], f"completions-{next(_names)}", None, TokenControls(rpm=1000)
    )
    return str(token)


@pytest.fixture(scope="module")
def client(stack: Stack, limited: str) -> OpenAI:
    stack.core.router.health.clear()
    return OpenAI(base_url=stack.base_url, api_key=limited, max_retries=0)


def _options(fmt: str) -> dict[str, object]:
    alias, preferred = ALIASES[fmt]
    return {
        "model": alias,
        "extra_body": {"spidergate_options": {"preferred_providers": preferred}},
    }


@pytest.mark.parametrize("fmt", sorted(ALIASES))
def test_plain_and_streamed_through_every_wire_format(
    client: OpenAI, stack: Stack, fmt: str
) -> None:
    done = client.completions.create(prompt=PROMPT, max_tokens=64, **_options(fmt))  # type: ignore[call-overload]
    assert done.object == "text_completion" and done.id.startswith("cmpl-")
    assert done.model == SERVED[fmt]  # the model that served, never the alias
    [choice] = done.choices
    assert choice.text and choice.index == 0 and choice.finish_reason in ("stop", "length")
    assert choice.logprobs is None
    assert done.usage and done.usage.prompt_tokens > 0 and done.usage.completion_tokens > 0
    assert stack.mock.state.records[-1].endpoint.startswith(fmt)

    stream = client.completions.create(
        prompt=PROMPT,
        max_tokens=64,
        stream=True,
        stream_options={"include_usage": True},
        **_options(fmt),  # type: ignore[call-overload]
    )
    chunks = list(stream)
    assert stack.mock.state.records[-1].endpoint.startswith(fmt)
    assert all(c.object == "text_completion" and c.id.startswith("cmpl-") for c in chunks)
    assert {c.model for c in chunks} == {SERVED[fmt]}
    assert "".join(c.choices[0].text for c in chunks if c.choices) == choice.text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == choice.finish_reason and not any(finishes[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == done.usage.completion_tokens


@pytest.mark.parametrize("fmt", sorted(ALIASES))
def test_echo_puts_the_prompt_before_the_text(client: OpenAI, stack: Stack, fmt: str) -> None:
    plain = client.completions.create(prompt=PROMPT, max_tokens=32, **_options(fmt))  # type: ignore[call-overload]
    echoed = client.completions.create(
        prompt=[PROMPT],
        max_tokens=32,
        echo=True,
        **_options(fmt),  # type: ignore[call-overload]
    )
    assert echoed.choices[0].text == PROMPT + plain.choices[0].text
    stream = client.completions.create(
        prompt=PROMPT,
        max_tokens=32,
        echo=True,
        stream=True,
        **_options(fmt),  # type: ignore[call-overload]
    )
    texts = [c.choices[0].text for c in stream if c.choices]
    assert texts[0].startswith(PROMPT) and "".join(texts) == echoed.choices[0].text
    assert stack.mock.state.records[-1].endpoint.startswith(fmt)


def test_max_tokens_defaults_to_openais_16(client: OpenAI, stack: Stack) -> None:
    client.completions.create(model="spideriq/fast", prompt=PROMPT)
    sent = stack.mock.state.records[-1]
    assert sent.body.get("max_tokens") == 16 or sent.body.get("max_completion_tokens") == 16


def test_langchain_completion_llm(stack: Stack, limited: str) -> None:
    """LangChain's (non-chat) OpenAI LLM: the prompt as an array of one string, best_of=1,
    logit_bias {}, logprobs null and the rest of its defaults."""
    llm = LangChainOpenAI(
        model="spideriq/fast", base_url=stack.base_url, api_key=SecretStr(limited), max_retries=0
    )
    text = llm.invoke(PROMPT)
    assert isinstance(text, str) and text
    assert "".join(llm.stream(PROMPT)) == text


def test_llamaindex_completion_llm_is_the_sdk(client: OpenAI) -> None:
    """LlamaIndex's ``OpenAI``/``OpenAILike`` LLM with ``is_chat_model=False`` calls
    ``client.completions.create(prompt=..., stream=..., model=, temperature=, max_tokens=)``
    (its ``_complete`` / ``_stream_complete``): nothing beyond what the SDK tests cover."""
    kwargs = {"model": "spideriq/fast", "temperature": 0.1, "max_tokens": 256}
    done = client.completions.create(prompt=PROMPT, stream=False, **kwargs)  # type: ignore[call-overload]
    assert done.object == "text_completion" and done.choices[0].text
    streamed = client.completions.create(prompt=PROMPT, stream=True, **kwargs)  # type: ignore[call-overload]
    assert "".join(c.choices[0].text for c in streamed if c.choices) == done.choices[0].text


def test_raw_http_answer_and_headers(stack: Stack, limited: str) -> None:
    """The JSON answer as a plain HTTP client reads it, under both prefixes."""
    body = {"model": "spideriq/fast", "prompt": PROMPT, "max_tokens": 16, "logprobs": None}
    root = stack.base_url.removesuffix("/api/gate/v1")
    for prefix in ("/api/gate/v1", "/v1"):
        r = httpx.post(
            root + prefix + "/completions?include_route_trace=true",
            json=body,
            headers={"Authorization": f"Bearer {limited}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["object"] == "text_completion" and answer["choices"][0]["text"]
        assert answer["choices"][0]["logprobs"] is None
        assert answer["spidergate_metadata"]["provider"] and r.headers["x-request-id"]
        assert answer["route_trace"][-1]["outcome"] == "success"
        assert r.headers["x-ratelimit-limit-requests"] == "1000"


def test_sampling_parameters_reach_the_upstream(client: OpenAI, stack: Stack) -> None:
    client.completions.create(
        model="groq/llama-3.3-70b-versatile",
        prompt=PROMPT,
        max_tokens=20,
        temperature=0.3,
        top_p=0.9,
        stop=["\n\n", "END"],
        user="agent-7",
        suffix="",  # empty: nothing to fill in, so accepted
    )
    sent = stack.mock.state.records[-1].body
    assert sent["messages"] == [{"role": "user", "content": PROMPT}]
    assert (sent["temperature"], sent["top_p"], sent["stop"]) == (0.3, 0.9, ["\n\n", "END"])
    assert sent.get("max_tokens") == 20 or sent.get("max_completion_tokens") == 20
    assert "suffix" not in sent and "prompt" not in sent


def test_suffix_is_refused_by_name(client: OpenAI) -> None:
    """Fill-in-the-middle: no chat upstream takes a suffix, and asking for the middle in
    prose would be another answer than the client asked for: a 400, streamed or not."""
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(model="spideriq/fast", prompt=PROMPT, suffix="The end.")
    error = info.value.body
    assert isinstance(error, dict) and error["param"] == "suffix"
    assert "fill-in-the-middle" in error["message"]


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"suffix": "The end.", "stream": True}, "suffix"),
        ({"extra_body": {"messages": [{"role": "user", "content": "hi"}]}}, "messages"),
        ({"prompt": ["one", "two"]}, "prompt"),
        ({"prompt": [1, 2, 3]}, "prompt"),
        ({"logprobs": 2, "echo": True}, "logprobs"),
        ({"logprobs": 9}, "logprobs"),
        ({"best_of": 3}, "best_of"),
        ({"temperature": "hot"}, "temperature"),
    ],
)
def test_what_cannot_be_honoured_is_a_400_naming_it(
    client: OpenAI, extra: dict[str, object], param: str
) -> None:
    body = {"model": "spideriq/fast", "prompt": PROMPT, **extra}
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(**body)  # type: ignore[call-overload]
    error = info.value.body
    assert isinstance(error, dict) and error["param"] == param, error
    assert info.value.response.headers["x-ratelimit-limit-requests"] == "1000"


def test_a_bad_token_is_401_before_a_bad_body(stack: Stack) -> None:
    r = httpx.post(
        stack.base_url + "/completions",
        json={"model": "spideriq/fast", "prompt": 42, "suffix": "x"},
        headers={"Authorization": "Bearer sk-gate-nope"},
        timeout=30,
    )
    assert r.status_code == 401


def test_the_ledger_records_kind_completion(client: OpenAI, stack: Stack, limited: str) -> None:
    client.completions.create(model="spideriq/fast", prompt=PROMPT, max_tokens=8)
    assert stack.run(stack.core.ledger.flush())
    r = httpx.get(
        stack.base_url + "/traces?kind=completion",
        headers={"Authorization": f"Bearer {limited}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    traces = r.json()["data"]
    assert traces and {t["kind"] for t in traces} == {"completion"}


def test_answers_and_events_conform_to_the_openapi_document(stack: Stack, limited: str) -> None:
    doc = httpx.get(stack.base_url.removesuffix("/api/gate/v1") + "/openapi.json").json()
    op = doc["paths"]["/completions"]["post"]
    content = op["responses"]["200"]["content"]
    # The whole document as the root, so "#/components/..." references resolve.
    whole = Draft202012Validator({**doc, **content["application/json"]["schema"]})
    event = Draft202012Validator({**doc, **content["text/event-stream"]["x-spidergate-event"]})
    headers = {"Authorization": f"Bearer {limited}"}
    body = {"model": "spideriq/fast", "prompt": PROMPT, "max_tokens": 16}
    url = stack.base_url + "/completions"
    r = httpx.post(url, json=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    assert not [e.message for e in whole.iter_errors(r.json())]
    streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
    with httpx.stream("POST", url, json=streamed, headers=headers, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]" and len(events) > 2
    for data in events[:-1]:
        assert not [e.message for e in event.iter_errors(orjson.loads(data))], data


@pytest.mark.parametrize("fmt", sorted(ALIASES))
def test_n_2_and_logprobs_are_honoured_or_refused(client: OpenAI, fmt: str) -> None:
    """The honest-parameter rules reach the legacy route through the one chat request:
    ``n=2`` gives two choices on every format (emulated where the provider has no ``n``);
    ``logprobs`` comes back in the legacy shape from a candidate that can score, never a
    null."""
    two = client.completions.create(prompt=PROMPT, max_tokens=16, n=2, **_options(fmt))  # type: ignore[call-overload]
    assert sorted(c.index for c in two.choices) == [0, 1]
    assert all(c.text for c in two.choices)
    scored = client.completions.create(
        prompt=PROMPT,
        max_tokens=16,
        logprobs=2,
        **_options(fmt),  # type: ignore[call-overload]
    )
    # Anthropic (and Groq) have no logprobs: their candidates are filtered from the
    # alias, and the next candidate that can score its tokens serves, never a silent null.
    assert "claude" not in scored.model and "instant" not in scored.model
    logprobs = scored.choices[0].logprobs
    assert logprobs is not None and logprobs.tokens and logprobs.token_logprobs
    assert "".join(logprobs.tokens) == scored.choices[0].text
    assert logprobs.top_logprobs and all(len(t) <= 2 for t in logprobs.top_logprobs)
