"""Saved prompts applied end to end, through each surface's official SDK: the openai SDK's
chat completions and Responses, the anthropic SDK's Messages. What went upstream is read
from the mock provider's request log (system prompt, model, sampling values), so each
precedence rule is seen where it matters: the request wins.

The stored model is ``spideriq/fast`` (served by llama-3.1-8b-instant), the requests'
own ``spideriq/chat`` (llama-3.3-70b-versatile): which one served tells whose model won.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import openai
import pytest
from anthropic import Anthropic
from openai import OpenAI

from tests.e2e.messages_support import make_client
from tests.stack import Stack

STORED_MODEL, STORED_SERVED = "spideriq/fast", "llama-3.1-8b-instant"
OWN_MODEL, OWN_SERVED = "spideriq/chat", "llama-3.3-70b-versatile"
TEMPLATE = "You answer for {{company}} in {{language}}."
SETTINGS = {"temperature": 0.3, "top_p": 0.9, "max_tokens": 77, "stop": ["END"], "seed": 11}
VARS = {"company": "Acme", "language": "French"}
RENDERED = "You answer for Acme in French."
_names = itertools.count()


class Tenant:
    """A brand of its own: its credential (to save prompts), an agent token (to use
    them), and one saved prompt."""

    def __init__(self, stack: Stack) -> None:
        view, credential = stack.core.identity.create_brand(f"apply-brand-{next(_names)}")
        _, agent = stack.core.identity.mint_token(view.client_id, "agent", None)
        self.stack, self.credential, self.agent = stack, str(credential), str(agent)
        self.prompt = self.save(
            name="answerer",
            project_id="support",
            system_prompt=TEMPLATE,
            model=STORED_MODEL,
            settings=SETTINGS,
        )

    def save(self, **body: Any) -> dict[str, Any]:
        response = self.rest("POST", "/prompts", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def rest(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.credential}"}
        return httpx.request(method, self.stack.base_url + path, headers=headers, timeout=30, **kw)

    @property
    def ref(self) -> str:
        return f"prompt:{self.prompt['id']}"


@pytest.fixture(scope="module")
def tenant(stack: Stack) -> Tenant:
    stack.core.router.health.clear()
    return Tenant(stack)


@pytest.fixture(scope="module")
def oai(stack: Stack, tenant: Tenant) -> OpenAI:
    return OpenAI(base_url=stack.base_url, api_key=tenant.agent, max_retries=0)


@pytest.fixture(scope="module")
def claude(stack: Stack, tenant: Tenant) -> Anthropic:
    return make_client(stack, tenant.agent, "gate-bearer")


def upstream(stack: Stack) -> tuple[str | None, dict[str, Any]]:
    """(model, body) of the last request the mock provider received."""
    record = stack.mock.state.records[-1]
    body: dict[str, Any] = record.body
    return record.model, body


def system_of(body: dict[str, Any]) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] in ("system", "developer")]


# ------------------------------------------------------------------ one call per surface

Surface = Callable[..., Any]


def via_chat(oai: OpenAI, _: Anthropic) -> Surface:
    def send(
        *, model: str = "", system: str | None = None, extra: dict[str, Any], **kw: Any
    ) -> Any:
        messages: list[Any] = [{"role": "user", "content": "Hello"}]
        if system is not None:
            messages.insert(0, {"role": "system", "content": system})
        return oai.chat.completions.create(model=model, messages=messages, extra_body=extra, **kw)

    return send


def via_responses(oai: OpenAI, _: Anthropic) -> Surface:
    def send(
        *, model: str = "", system: str | None = None, extra: dict[str, Any], **kw: Any
    ) -> Any:
        if "max_tokens" in kw:
            kw["max_output_tokens"] = kw.pop("max_tokens")
        kw.pop("seed", None)
        return oai.responses.create(
            model=model, input="Hello", instructions=system, extra_body=extra, store=False, **kw
        )

    return send


def via_messages(_: OpenAI, claude: Anthropic) -> Surface:
    def send(
        *, model: str = "", system: str | None = None, extra: dict[str, Any], **kw: Any
    ) -> Any:
        kw.setdefault("max_tokens", 64)  # the Messages API requires it
        kw.pop("seed", None)
        if "temperature" in kw:  # a body field this SDK version has no argument for
            extra = {**extra, "temperature": kw.pop("temperature")}
        if system is not None:
            kw["system"] = system
        return claude.messages.create(
            model=model, messages=[{"role": "user", "content": "Hello"}], extra_body=extra, **kw
        )

    return send


SURFACES = {"chat": via_chat, "responses": via_responses, "messages": via_messages}


@pytest.fixture(params=sorted(SURFACES))
def send(request: pytest.FixtureRequest, oai: OpenAI, claude: Anthropic) -> Surface:
    surface: Surface = SURFACES[request.param](oai, claude)
    return surface


# ------------------------------------------------------------------ precedence


def test_the_stored_prompt_model_and_settings_apply(
    stack: Stack, tenant: Tenant, send: Surface
) -> None:
    send(extra={"prompt": tenant.ref, "prompt_variables": VARS})
    model, body = upstream(stack)
    assert model == STORED_SERVED
    assert system_of(body) == [RENDERED]
    assert body["messages"][0]["role"] == "system"
    assert body["temperature"] == 0.3 and body["top_p"] == 0.9
    assert body["stop"] in ("END", ["END"])  # one stop may be sent as a string
    assert "prompt" not in body and "prompt_variables" not in body and "project_id" not in body


def test_stored_settings_fill_only_what_the_request_left_unset(
    stack: Stack, tenant: Tenant, send: Surface
) -> None:
    send(extra={"prompt": tenant.ref, "prompt_variables": VARS}, model=OWN_MODEL, temperature=1.5)
    model, body = upstream(stack)
    assert model == OWN_SERVED  # an explicit model wins
    assert body["temperature"] == 1.5  # the request's own value wins...
    assert body["top_p"] == 0.9  # ...and the stored one fills what it left unset
    assert system_of(body) == [RENDERED]


def test_a_callers_system_message_replaces_the_stored_one(
    stack: Stack, tenant: Tenant, send: Surface
) -> None:
    # No variables: the stored system prompt is not used, so none are asked for.
    send(extra={"prompt": tenant.ref}, system="Only my own rules.")
    model, body = upstream(stack)
    assert system_of(body) == ["Only my own rules."]
    assert model == STORED_SERVED and body["temperature"] == 0.3


def test_chat_max_tokens_stop_and_seed(stack: Stack, tenant: Tenant, oai: OpenAI) -> None:
    via_chat(oai, None)(extra={"prompt": tenant.ref, "prompt_variables": VARS})  # type: ignore[arg-type]
    _, body = upstream(stack)
    assert body.get("max_tokens", body.get("max_completion_tokens")) == 77
    assert body["seed"] == 11
    via_chat(oai, None)(  # type: ignore[arg-type]
        extra={"prompt": tenant.ref, "prompt_variables": VARS}, max_tokens=5, seed=1, stop="X"
    )
    _, body = upstream(stack)
    assert body.get("max_tokens", body.get("max_completion_tokens")) == 5
    assert body["seed"] == 1 and body["stop"] in ("X", ["X"])


# ------------------------------------------------------------------ references and variables


def test_by_name_within_the_project_and_ignored_without_one(
    stack: Stack, tenant: Tenant, send: Surface
) -> None:
    send(extra={"prompt": "prompt.answerer", "project_id": "support", "prompt_variables": VARS})
    model, body = upstream(stack)
    assert system_of(body) == [RENDERED] and model == STORED_SERVED
    # Without project_id the reference is ignored: no stored prompt, no stored model.
    send(extra={"prompt": "prompt.answerer"}, model=OWN_MODEL)
    model, body = upstream(stack)
    assert system_of(body) == [] and model == OWN_SERVED and "prompt" not in body


def _refused(send: Surface, status: int, **kw: Any) -> Any:
    with pytest.raises((openai.APIStatusError, anthropic.APIStatusError)) as caught:
        send(**kw)
    error: Any = caught.value
    assert error.status_code == status, error.body
    return error


def _param(error: Any) -> Any:
    body = error.body if isinstance(error.body, dict) else {}
    return body.get("param", body.get("error", {}).get("param"))


def test_a_missing_variable_is_a_400_naming_it(tenant: Tenant, send: Surface) -> None:
    error = _refused(send, 400, extra={"prompt": tenant.ref, "prompt_variables": {"company": "A"}})
    assert "language" in str(error.message)
    if not isinstance(error, anthropic.APIStatusError):
        assert _param(error) == "prompt_variables.language"
    error = _refused(
        send, 400, extra={"prompt": tenant.ref, "prompt_variables": {**VARS, "typo": "x"}}
    )
    assert "typo" in str(error.message)


def test_unknown_and_other_brands_prompts_are_404(
    stack: Stack, tenant: Tenant, send: Surface
) -> None:
    _refused(send, 404, extra={"prompt": "prompt:prm_00000000000000000000ffff"})
    _refused(send, 404, extra={"prompt": "prompt.nope", "project_id": "support"})
    theirs = Tenant(stack)
    _refused(send, 404, extra={"prompt": theirs.ref, "prompt_variables": VARS})
    _refused(send, 400, extra={"prompt": "not-a-reference"})


def test_no_model_anywhere_is_the_usual_400(tenant: Tenant, send: Surface) -> None:
    bare = tenant.save(name=f"bare-{next(_names)}", system_prompt="Plain.")
    error = _refused(send, 400, extra={"prompt": f"prompt:{bare['id']}"})
    assert "model" in str(error.message)


# ------------------------------------------------------------------ versions and use


def test_versions_and_the_responses_prompt_object(
    stack: Stack, tenant: Tenant, oai: OpenAI
) -> None:
    p = tenant.save(name=f"versioned-{next(_names)}", system_prompt="First {{x}}.")
    patched = tenant.rest("PATCH", f"/prompts/{p['id']}", json={"system_prompt": "Second {{x}}."})
    assert patched.json()["version"] == 2
    # The Responses API's own shape: {id, version, variables}.
    oai.responses.create(
        model=OWN_MODEL,
        input="Hi",
        store=False,
        prompt={"id": p["id"], "version": "1", "variables": {"x": "one"}},
    )
    assert system_of(upstream(stack)[1]) == ["First one."]
    oai.responses.create(
        model=OWN_MODEL, input="Hi", store=False, prompt={"id": p["id"], "variables": {"x": "two"}}
    )
    assert system_of(upstream(stack)[1]) == ["Second two."]
    # The same object through chat.
    oai.chat.completions.create(
        model=OWN_MODEL,
        messages=[{"role": "user", "content": "Hi"}],
        extra_body={
            "prompt": {"id": f"prompt:{p['id']}", "version": 1},
            "prompt_variables": {"x": 3},
        },
    )
    assert system_of(upstream(stack)[1]) == ["First 3."]
    with pytest.raises(openai.NotFoundError):
        oai.responses.create(model=OWN_MODEL, input="Hi", prompt={"id": p["id"], "version": "9"})


def test_use_bumps_last_used(stack: Stack, tenant: Tenant, oai: OpenAI) -> None:
    p = tenant.save(name=f"used-{next(_names)}", system_prompt="Hi.", model=STORED_MODEL)
    assert p["last_used"] is None
    oai.chat.completions.create(
        model="",
        messages=[{"role": "user", "content": "Hi"}],
        extra_body={"prompt": f"prompt:{p['id']}"},
    )
    # Written behind, in batches: the write waits for the next flush, which the test makes
    # happen now instead of sleeping until the background one.
    stack.run(stack.core.prompts.flush())
    used = tenant.rest("GET", f"/prompts/{p['id']}").json()["last_used"]
    assert isinstance(used, int) and used > 0


def test_streams_apply_the_prompt_too(stack: Stack, tenant: Tenant, oai: OpenAI) -> None:
    chunks = oai.chat.completions.create(
        model="",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        extra_body={"prompt": tenant.ref, "prompt_variables": VARS},
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    model, body = upstream(stack)
    assert model == STORED_SERVED and system_of(body) == [RENDERED]
