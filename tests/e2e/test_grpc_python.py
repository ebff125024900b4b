"""The generated Python stubs against the real gRPC core (the gateway's own port).

Every service over a real HTTP/2 channel: chat, stream, catalog and auth; the rich error
status (``ErrorDetail`` + ``ErrorInfo`` in ``grpc-status-details-bin``) and its parity with
the REST envelope; server reflection and health checking. Sync gRPC on purpose: the
gateway runs on its own loop in another thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import grpc
import httpx
import orjson
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status

from gate_service.auth.principal import ALL_SCOPES
from spidergate.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    catalog_pb2,
    catalog_pb2_grpc,
    chat_pb2,
    chat_pb2_grpc,
    common_pb2,
    stream_pb2,
    stream_pb2_grpc,
)
from tests.stack import Stack

SPIDERGATE_SERVICES = (
    "spidergate.v1.ChatService",
    "spidergate.v1.StreamService",
    "spidergate.v1.CatalogService",
    "spidergate.v1.AuthService",
)
AGENT_TOKEN_RE = re.compile(r"spideriq_pat_[0-9a-f]{32}")
TIMEOUT = 30

Metadata = Sequence[tuple[str, str]]


# ------------------------------------------------------------------------------ helpers


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def chat_request(
    model: str = "spideriq/fast", content: str = "Say hello in three languages.", **fields: Any
) -> common_pb2.ChatCompletionRequest:
    return common_pb2.ChatCompletionRequest(
        model=model,
        messages=[
            common_pb2.ChatMessage(role="system", text="You are a concise assistant."),
            common_pb2.ChatMessage(role="user", text=content),
        ],
        **fields,
    )


def rich_error(
    exc: grpc.RpcError,
) -> tuple[common_pb2.ErrorDetail, error_details_pb2.ErrorInfo]:
    """The ErrorDetail and ErrorInfo packed in the call's google.rpc.Status."""
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None, "no grpc-status-details-bin on the failed call"
    assert status.code == exc.code().value[0]  # type: ignore[attr-defined]
    assert status.message == exc.details()  # type: ignore[attr-defined]
    detail, info = common_pb2.ErrorDetail(), error_details_pb2.ErrorInfo()
    found = set()
    for any_detail in status.details:
        if any_detail.Is(common_pb2.ErrorDetail.DESCRIPTOR):
            any_detail.Unpack(detail)
            found.add("detail")
        elif any_detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            any_detail.Unpack(info)
            found.add("info")
    assert found == {"detail", "info"}, f"details packed: {found}"
    assert info.reason == detail.code
    assert info.domain == "spidergate.ai"
    assert detail.message == exc.details()  # type: ignore[attr-defined]
    return detail, info


def rest_envelope(detail: common_pb2.ErrorDetail) -> dict[str, Any]:
    """The REST error body the bridge must build from this detail."""
    extra = orjson.loads(detail.body_json) if detail.body_json else {}
    return {
        "error": {
            "type": detail.type,
            "code": detail.code,
            "message": detail.message,
            "param": detail.param or None,
        },
        **extra,
    }


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def channel(stack: Stack) -> Iterator[grpc.Channel]:
    ch = grpc.insecure_channel(stack.grpc_target)
    grpc.channel_ready_future(ch).result(timeout=TIMEOUT)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def chat(channel: grpc.Channel) -> chat_pb2_grpc.ChatServiceStub:
    return chat_pb2_grpc.ChatServiceStub(channel)


@pytest.fixture(scope="module")
def stream(channel: grpc.Channel) -> stream_pb2_grpc.StreamServiceStub:
    return stream_pb2_grpc.StreamServiceStub(channel)


@pytest.fixture(scope="module")
def catalog(channel: grpc.Channel) -> catalog_pb2_grpc.CatalogServiceStub:
    return catalog_pb2_grpc.CatalogServiceStub(channel)


@pytest.fixture(scope="module")
def auth(channel: grpc.Channel) -> auth_pb2_grpc.AuthServiceStub:
    return auth_pb2_grpc.AuthServiceStub(channel)


def complete(
    chat: chat_pb2_grpc.ChatServiceStub, req: common_pb2.ChatCompletionRequest, md: Metadata
) -> chat_pb2.CreateChatCompletionResponse:
    return chat.CreateChatCompletion(
        chat_pb2.CreateChatCompletionRequest(request=req), metadata=md, timeout=TIMEOUT
    )


def stream_all(
    stream: stream_pb2_grpc.StreamServiceStub, req: common_pb2.ChatCompletionRequest, md: Metadata
) -> list[stream_pb2.StreamChatCompletionResponse]:
    return list(
        stream.StreamChatCompletion(
            stream_pb2.StreamChatCompletionRequest(request=req), metadata=md, timeout=TIMEOUT
        )
    )


# --------------------------------------------------------------------------------- chat


def test_create_chat_completion_is_typed(
    chat: chat_pb2_grpc.ChatServiceStub, token: str, stack: Stack
) -> None:
    reply = complete(chat, chat_request(), bearer(token))
    c = reply.completion
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", c.id)
    assert c.object == "chat.completion"
    assert c.created > 0
    assert c.model == "llama-3.1-8b-instant"  # the concrete model, never the alias
    assert len(c.choices) == 1
    choice = c.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.HasField("content") and choice.message.content
    assert choice.finish_reason == "stop"
    assert c.HasField("usage")
    assert c.usage.prompt_tokens > 0 and c.usage.completion_tokens > 0
    assert c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens
    meta = c.spidergate_metadata
    assert meta.provider == "groq"
    assert meta.provider_model == "llama-3.1-8b-instant"
    assert meta.requested_model == "spideriq/fast"
    assert meta.fallback_used is False
    assert meta.cost_usd >= 0
    assert meta.request_id
    assert len(c.route_trace) == 0  # only when include_route_trace

    # The provider got the concrete model and our messages.
    sent = stack.mock.state.records[-1].body
    assert sent["model"] == "llama-3.1-8b-instant"
    assert sent["messages"][-1] == {"role": "user", "content": "Say hello in three languages."}


def test_route_trace_on_request(chat: chat_pb2_grpc.ChatServiceStub, token: str) -> None:
    c = complete(chat, chat_request(include_route_trace=True), bearer(token)).completion
    assert c.route_trace[-1].outcome == "success"
    assert c.route_trace[-1].provider == "groq"
    assert all("demo-key" not in a.key for a in c.route_trace)


def test_client_request_id_is_used(chat: chat_pb2_grpc.ChatServiceStub, token: str) -> None:
    md = (*bearer(token), ("x-request-id", "grpc-test-rid-1"))
    c = complete(chat, chat_request(), md).completion
    assert c.spidergate_metadata.request_id == "grpc-test-rid-1"


def test_stream_role_first_finish_last_same_text_as_unary(
    chat: chat_pb2_grpc.ChatServiceStub, stream: stream_pb2_grpc.StreamServiceStub, token: str
) -> None:
    req = chat_request(model="spideriq/chat", content="Count to five.")
    messages = stream_all(stream, req, bearer(token))
    # Chunks that arrived together travel in one message; every message carries some.
    assert all(m.chunks for m in messages)
    chunks = [c for m in messages for c in m.chunks]
    assert len(chunks) >= 2
    # Headers ride on the first message only.
    assert all(not m.headers for m in messages[1:])

    first = chunks[0]
    assert first.choices[0].delta.HasField("role")
    assert first.choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(ch.choices[0].finish_reason == "" for ch in chunks[:-1])
    assert all(not ch.HasField("usage") for ch in chunks)  # not asked for
    assert len({ch.id for ch in chunks}) == 1
    assert all(ch.object == "chat.completion.chunk" for ch in chunks)
    assert all(ch.model == "llama-3.3-70b-versatile" for ch in chunks)

    text = "".join(ch.choices[0].delta.content for ch in chunks if ch.choices)
    assert text
    whole = complete(chat, req, bearer(token)).completion
    assert text == whole.choices[0].message.content


def test_stream_usage_chunk_only_when_asked(
    stream: stream_pb2_grpc.StreamServiceStub, token: str
) -> None:
    req = chat_request(content="hi", stream_options=common_pb2.StreamOptions(include_usage=True))
    chunks = [c for m in stream_all(stream, req, bearer(token)) for c in m.chunks]
    last = chunks[-1]
    assert len(last.choices) == 0
    assert last.HasField("usage")
    assert last.usage.completion_tokens > 0 and last.usage.total_tokens > 0
    assert all(not ch.HasField("usage") for ch in chunks[:-1])
    assert chunks[-2].choices[0].finish_reason == "stop"

    explicit_off = chat_request(
        content="hi", stream_options=common_pb2.StreamOptions(include_usage=False)
    )
    chunks = [c for m in stream_all(stream, explicit_off, bearer(token)) for c in m.chunks]
    assert all(not ch.HasField("usage") for ch in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stream_error_before_first_chunk_is_a_plain_status(
    stream: stream_pb2_grpc.StreamServiceStub, token: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stream_all(stream, chat_request(model="no-such-model"), bearer(token))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    detail, _ = rich_error(err.value)
    assert detail.code == "model_not_found" and detail.param == "model"


# ------------------------------------------------------------------------------ catalog


def test_get_health(catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack) -> None:
    health = catalog.GetHealth(catalog_pb2.GetHealthRequest(), timeout=TIMEOUT)
    assert health.status == "ok"
    assert health.version == stack.core.version
    assert health.uptime_seconds >= 0


def test_list_models_filters_paging_total(
    catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack
) -> None:
    every = catalog.ListModels(catalog_pb2.ListModelsRequest(), timeout=TIMEOUT)
    n = len(stack.core.catalog.models)
    assert every.total == n
    assert len(every.models) == min(n, 500)
    assert len({m.id for m in every.models}) == len(every.models)

    page1 = catalog.ListModels(catalog_pb2.ListModelsRequest(limit=3), timeout=TIMEOUT)
    page2 = catalog.ListModels(catalog_pb2.ListModelsRequest(limit=3, offset=3), timeout=TIMEOUT)
    six = catalog.ListModels(catalog_pb2.ListModelsRequest(limit=6), timeout=TIMEOUT)
    assert len(page1.models) == len(page2.models) == 3
    assert page1.total == page2.total == n
    assert [m.id for m in (*page1.models, *page2.models)] == [m.id for m in six.models]
    past_end = catalog.ListModels(catalog_pb2.ListModelsRequest(offset=n + 10), timeout=TIMEOUT)
    assert past_end.total == n and len(past_end.models) == 0

    groq = catalog.ListModels(catalog_pb2.ListModelsRequest(provider="groq"), timeout=TIMEOUT)
    expected_groq = sum(1 for m in stack.core.catalog.models if m.provider == "groq")
    assert groq.total == expected_groq > 0
    assert all(m.provider == "groq" and m.owned_by == "groq" for m in groq.models)

    free = catalog.ListModels(catalog_pb2.ListModelsRequest(free_only=True), timeout=TIMEOUT)
    assert 0 < free.total < n
    assert all(m.free_tier for m in free.models)

    found = catalog.ListModels(catalog_pb2.ListModelsRequest(search="GPT-4O"), timeout=TIMEOUT)
    assert found.total > 0
    assert all("gpt-4o" in m.id.lower() or "gpt-4o" in m.display_name.lower() for m in found.models)
    assert "openai/gpt-4o" in [m.id for m in found.models]

    capability = every.models[0].capabilities[0]
    capable = catalog.ListModels(
        catalog_pb2.ListModelsRequest(capability=capability), timeout=TIMEOUT
    )
    assert capable.total > 0
    assert all(capability in m.capabilities for m in capable.models)

    nothing = catalog.ListModels(
        catalog_pb2.ListModelsRequest(provider="no-such-provider"), timeout=TIMEOUT
    )
    assert nothing.total == 0 and len(nothing.models) == 0

    by_name = catalog.ListModels(
        catalog_pb2.ListModelsRequest(sort_by=catalog_pb2.MODEL_SORT_NAME, limit=2000),
        timeout=TIMEOUT,
    )
    keys = [(m.display_name.casefold(), m.id) for m in by_name.models]
    assert keys == sorted(keys)
    by_context = catalog.ListModels(
        catalog_pb2.ListModelsRequest(sort_by=catalog_pb2.MODEL_SORT_CONTEXT, limit=2000),
        timeout=TIMEOUT,
    )
    windows = [m.context_window for m in by_context.models]
    assert windows == sorted(windows, reverse=True)


def test_list_models_configured_only_counts_demo_keys(
    catalog: catalog_pb2_grpc.CatalogServiceStub, token: str
) -> None:
    configured = catalog.ListModels(
        catalog_pb2.ListModelsRequest(configured_only=True, provider="groq"),
        metadata=bearer(token),
        timeout=TIMEOUT,
    )
    assert configured.total > 0
    assert all(m.is_configured for m in configured.models)


@pytest.mark.parametrize(
    ("list_request", "param"),
    [
        (catalog_pb2.ListModelsRequest(limit=2001), "limit"),
        (catalog_pb2.ListModelsRequest(limit=-1), "limit"),
        (catalog_pb2.ListModelsRequest(offset=-1), "offset"),
    ],
    ids=["limit-too-big", "limit-negative", "offset-negative"],
)
def test_list_models_bad_paging_is_invalid_argument(
    catalog: catalog_pb2_grpc.CatalogServiceStub,
    list_request: catalog_pb2.ListModelsRequest,
    param: str,
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        catalog.ListModels(list_request, timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    detail, _ = rich_error(err.value)
    assert detail.code == "invalid_request" and detail.param == param
    assert detail.http_status == 400


def test_get_model_with_slashes(catalog: catalog_pb2_grpc.CatalogServiceStub) -> None:
    m = catalog.GetModel(catalog_pb2.GetModelRequest(id="openai/gpt-4o"), timeout=TIMEOUT).model
    assert m.id == "openai/gpt-4o"
    assert m.provider == "openai"
    assert m.context_window > 0
    assert m.HasField("pricing") and m.pricing.input_per_million > 0

    resale = catalog.GetModel(
        catalog_pb2.GetModelRequest(id="openrouter/openai/gpt-4o"), timeout=TIMEOUT
    ).model
    assert resale.id == "openrouter/openai/gpt-4o"
    assert resale.provider == "openrouter"

    # A provider's own model id resolves to the model serving it.
    bare = catalog.GetModel(
        catalog_pb2.GetModelRequest(id="llama-3.1-8b-instant"), timeout=TIMEOUT
    ).model
    assert bare.provider_model == "llama-3.1-8b-instant"
    assert "spideriq/fast" in bare.in_task_aliases

    with pytest.raises(grpc.RpcError) as err:
        catalog.GetModel(catalog_pb2.GetModelRequest(id="nope/nothing"), timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    detail, _ = rich_error(err.value)
    assert detail.code == "model_not_found" and detail.http_status == 404


def test_list_aliases(catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack) -> None:
    aliases = catalog.ListAliases(catalog_pb2.ListAliasesRequest(), timeout=TIMEOUT).aliases
    assert len(aliases) == 26
    assert [a.id for a in aliases] == [a.id for a in stack.core.catalog.chat_aliases()]
    by_id = {a.id: a for a in aliases}
    fast = by_id["spideriq/fast"]
    assert fast.candidates[0].provider == "groq"
    assert fast.candidates[0].model == "llama-3.1-8b-instant"
    for a in aliases:
        assert a.use_case
        assert len(a.candidates) > 0
        assert list(a.models) == [f"{c.provider}:{c.model}" for c in a.candidates]
        if a.falls_through_to:
            assert a.falls_through_to in by_id


def test_list_providers(
    catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack, token: str
) -> None:
    providers = catalog.ListProviders(
        catalog_pb2.ListProvidersRequest(), metadata=bearer(token), timeout=TIMEOUT
    ).providers
    assert [p.id for p in providers] == [p.id for p in stack.core.catalog.providers]
    by_id = {p.id: p for p in providers}
    groq = by_id["groq"]
    assert groq.name and groq.api_format == "openai"
    assert groq.is_configured  # the demo key points groq at the mock
    assert {p.api_format for p in providers} <= {"openai", "anthropic", "gemini"}


# --------------------------------------------------------------------------------- auth


def test_authenticate_returns_the_principal(
    auth: auth_pb2_grpc.AuthServiceStub, token: str, brand: tuple[str, str]
) -> None:
    p = auth.Authenticate(
        auth_pb2.AuthenticateRequest(), metadata=bearer(token), timeout=TIMEOUT
    ).principal
    assert p.client_id == brand[0]
    assert p.brand_name == "acme"
    assert p.kind == "agent_token"
    assert p.agent_name == "agent-1"
    assert p.token_id.startswith("tok_")
    assert list(p.scopes) == sorted(ALL_SCOPES)

    # The token may come in the request instead of the metadata.
    same = auth.Authenticate(auth_pb2.AuthenticateRequest(token=token), timeout=TIMEOUT)
    assert same.principal == p

    cred = auth.Authenticate(
        auth_pb2.AuthenticateRequest(), metadata=bearer(brand[1]), timeout=TIMEOUT
    ).principal
    assert cred.client_id == brand[0]
    assert cred.kind == "client_credential"
    assert cred.token_id == "" and cred.agent_name == ""
    assert list(cred.scopes) == sorted(ALL_SCOPES)


def test_authenticate_bad_token(auth: auth_pb2_grpc.AuthServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        auth.Authenticate(
            auth_pb2.AuthenticateRequest(token="spideriq_pat_" + "0" * 32), timeout=TIMEOUT
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    assert rich_error(err.value)[0].code == "invalid_api_key"

    with pytest.raises(grpc.RpcError) as err:
        auth.Authenticate(auth_pb2.AuthenticateRequest(token="not-a-token"), timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    assert rich_error(err.value)[0].code == "invalid_token_format"


def test_agent_token_lifecycle(
    auth: auth_pb2_grpc.AuthServiceStub,
    chat: chat_pb2_grpc.ChatServiceStub,
    token: str,
    brand: tuple[str, str],
) -> None:
    minted = auth.MintAgentToken(
        auth_pb2.MintAgentTokenRequest(name="grpc-agent"), metadata=bearer(token), timeout=TIMEOUT
    ).token
    secret = minted.token
    assert AGENT_TOKEN_RE.fullmatch(secret), secret
    assert minted.id.startswith("tok_")
    assert minted.client_id == brand[0]
    assert minted.name == "grpc-agent"
    assert list(minted.scopes) == list(ALL_SCOPES)
    assert minted.prefix and secret.startswith(minted.prefix) and minted.prefix != secret
    assert minted.created > 0 and minted.revoked == 0

    # The new token works (and is now in the authenticator's cache).
    reply = complete(chat, chat_request(content="from a minted token"), bearer(secret))
    assert reply.completion.model == "llama-3.1-8b-instant"
    who = auth.Authenticate(auth_pb2.AuthenticateRequest(), metadata=bearer(secret))
    assert who.principal.token_id == minted.id and who.principal.agent_name == "grpc-agent"

    listed = auth.ListAgentTokens(
        auth_pb2.ListAgentTokensRequest(), metadata=bearer(token), timeout=TIMEOUT
    )
    assert minted.id in [t.id for t in listed.tokens]
    assert all(t.token == "" for t in listed.tokens)
    assert all(t.client_id == brand[0] for t in listed.tokens)
    raw = listed.SerializeToString()
    assert secret.encode() not in raw and token.encode() not in raw

    revoked = auth.RevokeAgentToken(
        auth_pb2.RevokeAgentTokenRequest(id=minted.id), metadata=bearer(token), timeout=TIMEOUT
    ).token
    assert revoked.id == minted.id and revoked.revoked > 0 and revoked.token == ""

    # Revoked through this process: the cache was invalidated, so it fails at once.
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(content="after revocation"), bearer(secret))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    assert rich_error(err.value)[0].code == "invalid_api_key"

    active = auth.ListAgentTokens(
        auth_pb2.ListAgentTokensRequest(), metadata=bearer(token), timeout=TIMEOUT
    )
    assert minted.id not in [t.id for t in active.tokens]
    everything = auth.ListAgentTokens(
        auth_pb2.ListAgentTokensRequest(include_revoked=True),
        metadata=bearer(token),
        timeout=TIMEOUT,
    )
    again = {t.id: t for t in everything.tokens}[minted.id]
    assert again.revoked == revoked.revoked and again.token == ""

    # Revoking is idempotent; an unknown id is not_found.
    auth.RevokeAgentToken(
        auth_pb2.RevokeAgentTokenRequest(id=minted.id), metadata=bearer(token), timeout=TIMEOUT
    )
    with pytest.raises(grpc.RpcError) as err:
        auth.RevokeAgentToken(
            auth_pb2.RevokeAgentTokenRequest(id="tok_0000000000000000"),
            metadata=bearer(token),
            timeout=TIMEOUT,
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    assert rich_error(err.value)[0].code == "not_found"


def test_narrow_scopes_are_enforced(
    auth: auth_pb2_grpc.AuthServiceStub, chat: chat_pb2_grpc.ChatServiceStub, token: str
) -> None:
    minted = auth.MintAgentToken(
        auth_pb2.MintAgentTokenRequest(name="models-only", scopes=["gate:models"]),
        metadata=bearer(token),
        timeout=TIMEOUT,
    ).token
    assert list(minted.scopes) == ["gate:models"]
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(), bearer(minted.token))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    detail, _ = rich_error(err.value)
    assert detail.code == "insufficient_scope" and detail.http_status == 403

    with pytest.raises(grpc.RpcError) as err:
        auth.MintAgentToken(
            auth_pb2.MintAgentTokenRequest(name="bad", scopes=["gate:everything"]),
            metadata=bearer(token),
            timeout=TIMEOUT,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert rich_error(err.value)[0].param == "scopes"

    with pytest.raises(grpc.RpcError) as err:
        auth.MintAgentToken(
            auth_pb2.MintAgentTokenRequest(name="  "), metadata=bearer(token), timeout=TIMEOUT
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert rich_error(err.value)[0].param == "name"


@pytest.mark.parametrize("with_token", [False, True])
def test_create_brand_needs_the_operator_token(
    auth: auth_pb2_grpc.AuthServiceStub, token: str, with_token: bool
) -> None:
    md = bearer(token) if with_token else ()
    with pytest.raises(grpc.RpcError) as err:
        auth.CreateBrand(auth_pb2.CreateBrandRequest(name="intruder"), metadata=md, timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    detail, _ = rich_error(err.value)
    assert detail.code == "permission_denied" and detail.http_status == 403


def test_auth_calls_need_a_token(auth: auth_pb2_grpc.AuthServiceStub) -> None:
    for call, req in (
        (auth.MintAgentToken, auth_pb2.MintAgentTokenRequest(name="x")),
        (auth.ListAgentTokens, auth_pb2.ListAgentTokensRequest()),
        (auth.RevokeAgentToken, auth_pb2.RevokeAgentTokenRequest(id="tok_0000000000000000")),
        (auth.CreateClientCredential, auth_pb2.CreateClientCredentialRequest()),
    ):
        with pytest.raises(grpc.RpcError) as err:
            call(req, timeout=TIMEOUT)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
        assert rich_error(err.value)[0].code == "missing_api_key"


# ------------------------------------------------------------------------------- errors


def test_no_metadata_is_unauthenticated(chat: chat_pb2_grpc.ChatServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(), ())
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    detail, info = rich_error(err.value)
    assert detail.code == "missing_api_key"
    assert detail.type == "authentication_error"
    assert detail.http_status == 401
    assert dict(detail.headers) == {"WWW-Authenticate": "Bearer"}
    assert detail.param == ""
    assert info.reason == "missing_api_key"


def test_unknown_model_is_not_found(chat: chat_pb2_grpc.ChatServiceStub, token: str) -> None:
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(model="no-such-model"), bearer(token))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    detail, _ = rich_error(err.value)
    assert detail.code == "model_not_found"
    assert detail.type == "not_found_error"
    assert detail.param == "model"
    assert detail.http_status == 404


def test_out_of_range_temperature_is_invalid_argument(
    chat: chat_pb2_grpc.ChatServiceStub, token: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(temperature=3), bearer(token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    detail, _ = rich_error(err.value)
    assert detail.code == "invalid_request"
    assert detail.type == "invalid_request_error"
    assert detail.param == "temperature"
    assert detail.http_status == 400


PARITY_CASES: dict[str, tuple[dict[str, Any], bool]] = {
    "missing_api_key": ({"model": "spideriq/fast"}, False),
    "model_not_found": ({"model": "no-such-model"}, True),
    "invalid_temperature": ({"model": "spideriq/fast", "temperature": 3}, True),
}


@pytest.mark.parametrize("case", list(PARITY_CASES))
def test_grpc_and_rest_report_the_same_error(
    chat: chat_pb2_grpc.ChatServiceStub, stack: Stack, token: str, case: str
) -> None:
    fields, authed = PARITY_CASES[case]
    content = "parity check"
    req = chat_request(content=content, **{k: v for k, v in fields.items() if k != "model"})
    req.model = str(fields["model"])
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, req, bearer(token) if authed else ())
    detail, _ = rich_error(err.value)

    body = {
        **fields,
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": content},
        ],
    }
    headers = {"Authorization": f"Bearer {token}"} if authed else {}
    r = httpx.post(stack.base_url + "/chat/completions", json=body, headers=headers, timeout=30)
    assert r.status_code == detail.http_status
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == rest_envelope(detail)
    for name, value in detail.headers.items():
        assert r.headers[name] == value


# --------------------------------------------------------------------- reflection, health


def test_reflection_lists_every_service(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = list(
        stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=TIMEOUT
        )
    )
    assert len(replies) == 1
    names = {s.name for s in replies[0].list_services_response.service}
    assert set(SPIDERGATE_SERVICES) <= names
    assert "grpc.health.v1.Health" in names
    assert "grpc.reflection.v1alpha.ServerReflection" in names


def test_reflection_resolves_a_file_by_symbol(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    (reply,) = stub.ServerReflectionInfo(
        iter(
            [reflection_pb2.ServerReflectionRequest(file_containing_symbol=SPIDERGATE_SERVICES[0])]
        ),
        timeout=TIMEOUT,
    )
    assert reply.WhichOneof("message_response") == "file_descriptor_response"
    files = {}
    for raw in reply.file_descriptor_response.file_descriptor_proto:
        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
        files[fd.name] = fd
    chat_file = files["spidergate/v1/chat.proto"]
    assert chat_file.package == "spidergate.v1"
    assert "spidergate/v1/common.proto" in chat_file.dependency
    (service,) = chat_file.service
    assert service.name == "ChatService"
    (method,) = service.method
    assert method.name == "CreateChatCompletion"
    assert method.input_type == ".spidergate.v1.CreateChatCompletionRequest"
    assert method.output_type == ".spidergate.v1.CreateChatCompletionResponse"

    with_missing = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.such.Thing")]),
        timeout=TIMEOUT,
    )
    (missing,) = with_missing
    assert missing.WhichOneof("message_response") == "error_response"
    assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_reflection_is_enough_to_call_without_stubs(channel: grpc.Channel, token: str) -> None:
    """A generic client (grpcurl-like) builds the types from reflection alone and calls."""
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    service = pool.FindServiceByName("spidergate.v1.ChatService")
    method = service.methods_by_name["CreateChatCompletion"]
    request_cls = message_factory.GetMessageClass(method.input_type)
    response_cls = message_factory.GetMessageClass(method.output_type)
    request = request_cls()
    request.request.model = "spideriq/fast"
    msg = request.request.messages.add()
    msg.role = "user"
    msg.text = "hello via reflection"
    call = channel.unary_unary(
        f"/{service.full_name}/{method.name}",
        request_serializer=request_cls.SerializeToString,
        response_deserializer=response_cls.FromString,
    )
    reply = call(request, metadata=bearer(token), timeout=TIMEOUT)
    assert reply.completion.model == "llama-3.1-8b-instant"
    assert reply.completion.choices[0].message.content


def test_health_checking(channel: grpc.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    serving = health_pb2.HealthCheckResponse.SERVING
    for name in ("", *SPIDERGATE_SERVICES):
        reply = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=TIMEOUT)
        assert reply.status == serving, name
    with pytest.raises(grpc.RpcError) as err:
        stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]

    watch = stub.Watch(
        health_pb2.HealthCheckRequest(service="spidergate.v1.ChatService"), timeout=TIMEOUT
    )
    try:
        assert next(watch).status == serving
    finally:
        watch.cancel()
