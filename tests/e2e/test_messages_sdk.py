"""The official anthropic SDK against ``/v1/messages`` and ``/v1/messages/count_tokens``
(the real bridge, core and mock provider): through task aliases served by an
OpenAI-format, an Anthropic and a Gemini upstream, both base URLs, both ways of sending
the token, every request parameter reaching the upstream in its own format, and errors as
the SDK's typed exceptions. Streams are in test_messages_stream.py."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest
from anthropic import Anthropic

from gate_service.auth.principal import TokenControls
from tests.e2e.messages_support import (
    CLIENTS,
    FORMATS,
    QUESTION,
    TOOLS,
    UPSTREAMS,
    make_client,
    root,
    text_of,
)
from tests.stack import Stack

# A 1x1 PNG.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


@pytest.fixture(autouse=True)
def clean(stack: Stack) -> Iterator[None]:
    stack.core.router.health.clear()
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    stack.core.router.health.clear()


@pytest.fixture(scope="module", params=CLIENTS)
def client(request: pytest.FixtureRequest, stack: Stack, token: str) -> Anthropic:
    return make_client(stack, token, request.param)


@pytest.fixture(scope="module")
def gate(stack: Stack, token: str) -> Anthropic:
    return make_client(stack, token, CLIENTS[0])


@pytest.fixture(scope="module")
def limited(stack: Stack, brand: tuple[str, str]) -> str:
    """A token with request limits, so that its answers carry ``X-RateLimit-*``."""
    controls = TokenControls(rpm=10_000)
    _, token = stack.core.identity.mint_token(brand[0], "messages-limited", None, controls)
    return str(token)


def _upstream_body(stack: Stack, fmt: str) -> dict[str, Any]:
    """The body the upstream received for the last request, checked to be ``fmt``'s."""
    record = stack.mock.state.records[-1]
    assert record.endpoint.startswith(fmt), record.endpoint
    body: dict[str, Any] = record.body
    return body


@pytest.mark.parametrize("fmt", FORMATS)
def test_create(client: Anthropic, stack: Stack, fmt: str) -> None:
    up = UPSTREAMS[fmt]
    message = client.messages.create(
        model=up.alias,
        max_tokens=200,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello there"}],
        extra_body=up.extra_body(),
    )
    assert message.id.startswith("msg_") and message.type == "message"
    assert message.role == "assistant"
    assert message.model == up.served  # the model that served, not the alias
    assert text_of(message) and message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert "Be brief." in json.dumps(_upstream_body(stack, fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_system_as_blocks(gate: Anthropic, stack: Stack, fmt: str) -> None:
    up = UPSTREAMS[fmt]
    message = gate.messages.create(
        model=up.alias,
        max_tokens=100,
        system=[
            {"type": "text", "text": "You work for ACME."},
            {"type": "text", "text": "Answer in one line."},
        ],
        messages=QUESTION,
        extra_body=up.extra_body(),
    )
    assert text_of(message)
    sent = json.dumps(_upstream_body(stack, fmt))
    assert "You work for ACME." in sent and "Answer in one line." in sent


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_image_block(gate: Anthropic, stack: Stack, fmt: str) -> None:
    up = UPSTREAMS[fmt]
    message = gate.messages.create(
        model=up.alias,
        max_tokens=100,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PIXEL},
                    },
                ],
            }
        ],
        extra_body=up.extra_body(),
    )
    assert text_of(message) and message.model == up.served
    assert PIXEL in json.dumps(_upstream_body(stack, fmt))  # the image went upstream


@pytest.mark.parametrize("fmt", FORMATS)
def test_thinking_blocks_are_accepted(gate: Anthropic, stack: Stack, fmt: str) -> None:
    """A conversation replayed with the assistant's thinking blocks (as Claude returns
    them, and as the SDK sends them back) is served; the reasoning is not sent on."""
    up = UPSTREAMS[fmt]
    message = gate.messages.create(
        model=up.alias,
        max_tokens=100,
        messages=[
            *QUESTION,
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "PRIVATE-REASONING", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "PRIVATE-REDACTED"},
                    {"type": "text", "text": "It ships tomorrow."},
                ],
            },
            {"role": "user", "content": "And order 43?"},
        ],
        extra_body=up.extra_body(),
    )
    assert text_of(message) and message.model == up.served
    sent = json.dumps(_upstream_body(stack, fmt))
    assert "It ships tomorrow." in sent and "And order 43?" in sent
    assert "PRIVATE-REASONING" not in sent and "PRIVATE-REDACTED" not in sent


def _listed(stop: Any) -> Any:
    return [stop] if isinstance(stop, str) else stop  # OpenAI's one stop may be a string


# Where each format carries stop_sequences, top_k and metadata.user_id upstream.
_SENT = {
    "openai": lambda b: (_listed(b.get("stop")), b.get("top_k"), b.get("user")),
    "anthropic": lambda b: (
        b.get("stop_sequences"),
        b.get("top_k"),
        (b.get("metadata") or {}).get("user_id"),
    ),
    # Gemini has no end-user field: user_id is not sent (docs/api.md says so).
    "gemini": lambda b: (
        b["generationConfig"].get("stopSequences"),
        b["generationConfig"].get("topK"),
        "user-42" if "user-42" in json.dumps(b) else None,
    ),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_stop_sequences_top_k_and_metadata(gate: Anthropic, stack: Stack, fmt: str) -> None:
    up = UPSTREAMS[fmt]
    ask: list[anthropic.types.MessageParam] = [
        {"role": "user", "content": "Name apples then pears then plums"}
    ]
    whole = gate.messages.create(
        model=up.alias, max_tokens=100, messages=ask, extra_body=up.extra_body()
    )
    assert "pears" in text_of(whole)
    cut = gate.messages.create(
        model=up.alias,
        max_tokens=100,
        messages=ask,
        stop_sequences=["pears"],
        metadata={"user_id": "user-42"},
        extra_body=up.extra_body(top_k=7),  # the SDK (2.x) has no top_k argument
    )
    # The upstream stopped at the sequence: the answer ends just before it.
    assert text_of(whole).startswith(text_of(cut)) and "pears" not in text_of(cut)
    assert "apples" in text_of(cut) and cut.stop_reason == "end_turn"
    stops, top_k, user = _SENT[fmt](_upstream_body(stack, fmt))
    assert stops == ["pears"] and top_k == 7
    assert user == (None if fmt == "gemini" else "user-42")


def test_temperature_and_top_p_reach_the_upstream(gate: Anthropic, stack: Stack) -> None:
    up = UPSTREAMS["openai"]
    gate.messages.create(
        model=up.alias,
        max_tokens=50,
        messages=QUESTION,
        extra_body=up.extra_body(temperature=0.3, top_p=0.8),
    )
    body = _upstream_body(stack, "openai")
    assert (body["temperature"], body["top_p"]) == (0.3, 0.8)


@pytest.mark.parametrize("fmt", FORMATS)
def test_count_tokens(client: Anthropic, fmt: str) -> None:
    up = UPSTREAMS[fmt]
    short = client.messages.count_tokens(
        model=up.alias, messages=QUESTION, extra_body=up.extra_body()
    )
    long = client.messages.count_tokens(
        model=up.alias,
        system=[{"type": "text", "text": "You are a meticulous assistant. " * 20}],
        messages=QUESTION,
        tools=TOOLS,
        extra_body=up.extra_body(),
    )
    assert 0 < short.input_tokens < long.input_tokens


@pytest.mark.parametrize("base", ["gate", "root"])
@pytest.mark.parametrize("auth", ["x-api-key", "bearer"])
def test_both_base_urls_with_both_auth_headers(
    stack: Stack, token: str, base: str, auth: str
) -> None:
    sdk = make_client(stack, token, f"{base}-{auth}")
    up = UPSTREAMS["anthropic"]
    message = sdk.messages.create(
        model=up.alias, max_tokens=50, messages=QUESTION, extra_body=up.extra_body()
    )
    assert text_of(message) and message.model == up.served
    counted = sdk.messages.count_tokens(
        model=up.alias, messages=QUESTION, extra_body=up.extra_body()
    )
    assert counted.input_tokens > 0


def _error(exc: anthropic.APIStatusError) -> dict[str, Any]:
    """The error object of Anthropic's shape, checked to be exactly that shape."""
    body = exc.body
    assert isinstance(body, dict) and set(body) == {"type", "error"} and body["type"] == "error"
    error: dict[str, Any] = body["error"]
    assert set(error) == {"type", "message", "code", "param"} and error["message"]
    return error


@pytest.mark.parametrize("kind", CLIENTS)
def test_authentication_errors(stack: Stack, kind: str) -> None:
    stranger = make_client(stack, "sg-not-a-token", kind)
    with pytest.raises(anthropic.AuthenticationError) as bad:
        stranger.messages.create(model="spideriq/fast", max_tokens=10, messages=QUESTION)
    assert _error(bad.value)["type"] == "authentication_error"
    with pytest.raises(anthropic.AuthenticationError) as counting:
        stranger.messages.count_tokens(model="spideriq/fast", messages=QUESTION)
    assert _error(counting.value)["type"] == "authentication_error"
    anonymous = httpx.post(root(stack) + "/v1/messages", json={"model": "spideriq/fast"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "missing_api_key"


def test_not_found_and_bad_request(gate: Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as missing:
        gate.messages.create(model="nobody/no-such-model", max_tokens=10, messages=QUESTION)
    assert _error(missing.value)["type"] == "not_found_error"
    assert _error(missing.value)["code"] == "model_not_found"
    with pytest.raises(anthropic.NotFoundError):
        gate.messages.count_tokens(model="nobody/no-such-model", messages=QUESTION)
    unknown_source: Any = {"type": "image", "source": {"type": "x"}}  # no SDK type has it
    with pytest.raises(anthropic.BadRequestError) as bad:
        gate.messages.create(
            model="spideriq/fast",
            max_tokens=10,
            messages=[{"role": "user", "content": [unknown_source]}],
        )
    assert _error(bad.value)["type"] == "invalid_request_error"
    assert _error(bad.value)["param"] == "messages[0].content[0].source.type"
    with pytest.raises(anthropic.BadRequestError) as top_k:
        gate.messages.create(
            model="spideriq/fast", max_tokens=10, messages=QUESTION, extra_body={"top_k": -3}
        )
    assert _error(top_k.value)["param"] == "top_k"
    with pytest.raises(anthropic.BadRequestError) as server_tool:
        gate.messages.create(
            model="spideriq/fast",
            max_tokens=10,
            messages=QUESTION,
            tools=[{"type": "web_search_20250305", "name": "web_search"}],
        )
    assert "web_search_20250305" in _error(server_tool.value)["message"]


def test_permission_and_unprocessable(
    stack: Stack, brand: tuple[str, str], gate: Anthropic
) -> None:
    controls = TokenControls(allowed_models=frozenset({"spideriq/fast"}))
    _, fenced = stack.core.identity.mint_token(brand[0], "messages-fenced", None, controls)
    sdk = make_client(stack, str(fenced), CLIENTS[1])
    assert text_of(sdk.messages.create(model="spideriq/fast", max_tokens=10, messages=QUESTION))
    with pytest.raises(anthropic.PermissionDeniedError) as forbidden:
        sdk.messages.create(model="spideriq/chat", max_tokens=10, messages=QUESTION)
    assert _error(forbidden.value)["type"] == "permission_error"
    assert _error(forbidden.value)["code"] == "model_not_allowed"
    # Over every candidate's output limit: no candidate qualifies. (A timeout of our own:
    # the SDK refuses to wait that long for so many tokens without streaming.)
    with pytest.raises(anthropic.UnprocessableEntityError) as none:
        gate.messages.create(
            model="spideriq/fast", max_tokens=10_000_000, messages=QUESTION, timeout=30
        )
    assert _error(none.value)["type"] == "invalid_request_error"
    assert _error(none.value)["code"] == "no_qualifying_model"


def test_an_upstream_failure_is_a_server_error(stack: Stack, gate: Anthropic) -> None:
    model = "anthropic/claude-3-5-haiku-latest"  # pinned: nothing to fail over to
    fault = {"kind": "error", "status": 500, "match": {"model": "claude-3-5-haiku-latest"}}
    httpx.post(stack.mock.url + "/__mock/faults", json=fault).raise_for_status()
    with pytest.raises(anthropic.InternalServerError) as failed:
        gate.messages.create(model=model, max_tokens=10, messages=QUESTION)
    assert failed.value.status_code == 502
    assert _error(failed.value)["type"] == "api_error"


def test_an_untranslatable_body_is_refused_after_authentication(stack: Stack, limited: str) -> None:
    url = stack.base_url + "/messages"
    body: dict[str, Any] = {"model": "spideriq/fast", "messages": "not a list"}
    anonymous = httpx.post(url, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "authentication_error"
    headers = {"x-api-key": limited, "anthropic-version": "2023-06-01"}
    refused = httpx.post(url, json=body, headers=headers)
    assert refused.status_code == 400
    assert refused.json() == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": refused.json()["error"]["message"],
            "code": "invalid_request",
            "param": "messages",
        },
    }
    assert "X-RateLimit-Limit-Requests" in refused.headers and refused.headers["X-Request-Id"]
    no_max = httpx.post(url, json={"model": "spideriq/fast", "messages": QUESTION}, headers=headers)
    assert no_max.status_code == 400 and no_max.json()["error"]["param"] == "max_tokens"


@pytest.mark.parametrize("path", ["/v1/messages", "/api/gate/v1/messages/count_tokens"])
def test_a_wrong_method_is_refused_in_anthropic_shape(stack: Stack, path: str) -> None:
    r = httpx.get(root(stack) + path)
    assert r.status_code == 405 and r.headers["X-Request-Id"]
    body = r.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
