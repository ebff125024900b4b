"""Client aliases in routing, over the real stack with the official SDKs (openai,
anthropic): the mock provider's request log proves each request was served with the
brand's own keys only, never the pool's, and a slot that cannot serve says why.
"""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from anthropic import Anthropic

from tests.e2e.client_alias_support import (
    MODEL,
    Brand,
    Log,
    astack,
    clean,
    error,
    fault,
    new_brand,
)
from tests.stack import Stack

__all__ = ["astack", "clean", "new_brand"]  # fixtures

# ------------------------------------------------------------------------------ routing


def test_fails_over_between_the_brands_keys_and_never_touches_the_pool(
    astack: Stack, new_brand: Callable[[], Brand]
) -> None:
    brand = new_brand()
    first, second = "gsk-alias-first-0001", "gsk-alias-second-0002"
    brand.alias("pair", brand.key(first, label="first"), brand.key(second, label="second"))
    fault(astack, kind="error", status=500, match={"key": first})
    log = Log(astack)
    answer = brand.openai().chat.completions.create(
        model=brand.model("pair"), messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content
    assert log.seen() == [
        (first, f"Bearer {first}", MODEL),
        (second, f"Bearer {second}", MODEL),
    ]
    # Both keys failing: the request fails; the pool's groq key (and every other model
    # and provider the pool could serve) is never called.
    fault(astack, kind="error", status=500, match={"key": second})
    log = Log(astack)
    with pytest.raises(openai.APIStatusError) as failed:
        brand.openai().chat.completions.create(
            model=brand.model("pair"), messages=[{"role": "user", "content": "hi"}]
        )
    assert failed.value.status_code == 502
    body = failed.value.response.json()
    assert body["error"]["code"] == "all_providers_failed"
    attempts = body["spidergate_error"]["attempts"]
    assert {(a["provider"], a["model"]) for a in attempts} == {("groq", MODEL)}
    assert set(log.keys()) == {first, second}
    assert all(model == MODEL for _, _, model in log.seen())


def test_streaming_through_a_client_alias(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    brand = new_brand()
    first, second = "gsk-stream-first-0001", "gsk-stream-second-0002"
    brand.alias("streamed", brand.key(first), brand.key(second))
    fault(astack, kind="error", status=503, match={"key": first})
    log = Log(astack)
    stream = brand.openai().chat.completions.create(
        model=brand.model("streamed"),
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text
    assert log.keys() == [first, second]


def test_usable_as_a_fallback_model(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    """The first choice (pool keys only: the brand has no cerebras key) fails; the
    fallback is the brand's client alias, served with its own key."""
    brand = new_brand()
    own = "gsk-fallback-own-0001"
    brand.alias("backup", brand.key(own))
    fault(astack, kind="error", status=500, match={"path": "/cerebras"})
    log = Log(astack)
    answer = brand.openai().chat.completions.create(
        model="cerebras/llama3.1-8b",
        messages=[{"role": "user", "content": "hi"}],
        extra_body={"spidergate_options": {"fallback_models": [brand.model("backup")]}},
    )
    assert answer.model == MODEL
    assert log.keys()[-1] == own
    assert log.keys().count(own) == 1


def test_another_brand_gets_404(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    owner, other = new_brand(), new_brand()
    owner.alias("private", owner.key("gsk-private-0001"))
    assert (
        owner.openai()
        .chat.completions.create(
            model=owner.model("private"), messages=[{"role": "user", "content": "hi"}]
        )
        .choices
    )
    log = Log(astack)
    for token in (other.agent, other.credential):
        with pytest.raises(openai.NotFoundError) as missing:
            other.openai(token).chat.completions.create(
                model=owner.model("private"), messages=[{"role": "user", "content": "hi"}]
            )
        assert missing.value.response.json()["error"]["code"] == "model_not_found"
        # As a fallback too, and the same 404 as an alias that does not exist at all.
        with pytest.raises(openai.NotFoundError):
            other.openai(token).chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": "hi"}],
                extra_body={"spidergate_options": {"fallback_models": [owner.model("private")]}},
            )
    assert log.seen() == []
    # Its management routes answer exactly as for a name that does not exist.
    foreign = other.api("GET", "/client-aliases/private")
    missing_one = other.api("GET", "/client-aliases/nothing-here")
    assert foreign.status_code == missing_one.status_code == 404
    assert error(foreign)["code"] == error(missing_one)["code"] == "not_found"
    assert other.api("GET", "/client-aliases").json()["data"] == []


def test_refused_slots_have_verdicts_and_never_reach_the_pool(
    astack: Stack, new_brand: Callable[[], Brand]
) -> None:
    brand = new_brand()
    off_key, on_key = brand.key("gsk-verdict-one-0001"), brand.key("gsk-verdict-two-0002")
    slots = [
        {"key_id": off_key, "model": MODEL, "enabled": False},
        {"key_id": on_key, "model": MODEL},
    ]
    assert brand.api("POST", "/client-aliases", json={"name": "v", "slots": slots}).is_success
    assert brand.api("POST", f"/vault/keys/{on_key}/deactivate").is_success
    log = Log(astack)
    r = brand.api(
        "POST",
        "/chat/completions",
        brand.agent,
        json={"model": brand.model("v"), "messages": [{"role": "user", "content": "hi"}]},
    )
    assert r.status_code == 422 and error(r)["code"] == "no_qualifying_model"
    verdicts = [(c["key_id"], c["verdict"]) for c in r.json()["spidergate_error"]["candidates"]]
    assert verdicts == [(off_key, "slot is disabled"), (on_key, "key is inactive")]
    # Reactivated: served at once, with that key.
    assert brand.api("POST", f"/vault/keys/{on_key}/activate").is_success
    assert (
        brand.openai()
        .chat.completions.create(
            model=brand.model("v"), messages=[{"role": "user", "content": "hi"}]
        )
        .choices
    )
    # The whole alias switched off: every slot refused with that verdict.
    assert brand.api("PATCH", "/client-aliases/v", json={"enabled": False}).is_success
    r = brand.api(
        "POST",
        "/chat/completions",
        json={"model": brand.model("v"), "messages": [{"role": "user", "content": "hi"}]},
    )
    assert r.status_code == 422
    assert {c["verdict"] for c in r.json()["spidergate_error"]["candidates"]} == {
        "client alias is disabled"
    }
    assert log.keys() == ["gsk-verdict-two-0002"]


def test_every_endpoint_that_takes_a_model(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    """Responses, Messages (the anthropic SDK) and embeddings plan through the same
    planner: the alias serves them too, with the brand's key."""
    brand = new_brand()
    chat_key = "gsk-surfaces-chat-0001"
    brand.alias("surfaces", brand.key(chat_key))
    log = Log(astack)
    client = brand.openai()
    answer = client.responses.create(model=brand.model("surfaces"), input="hi")
    assert answer.output_text
    root = f"http://127.0.0.1:{astack.http_port}"
    claude = Anthropic(base_url=root, auth_token=brand.agent, max_retries=0)
    message = claude.messages.create(
        model=brand.model("surfaces"),
        max_tokens=32,
        messages=[{"role": "user", "content": "hi"}],
    )
    assert message.content
    embed_key = "sk-surfaces-embed-0001"
    key_id = brand.key(embed_key, provider="openai", supports_embeddings=True)
    brand.alias("vectors", key_id, model="text-embedding-3-small")
    vectors = client.embeddings.create(model=brand.model("vectors"), input="hi")
    assert vectors.data[0].embedding
    assert log.keys() == [chat_key, chat_key, embed_key]
