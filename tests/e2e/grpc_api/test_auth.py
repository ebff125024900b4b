"""AuthService through the generated Python stubs: authenticating, the agent token
lifecycle, narrowed scopes, operator-only calls."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from google.protobuf.message import Message

from gate_service.auth.principal import ALL_SCOPES
from spidergate.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    chat_pb2_grpc,
)
from tests.e2e.grpc_api.support import (
    AGENT_TOKEN_RE,
    TIMEOUT,
    bearer,
    chat_request,
    complete,
    rich_error,
)

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
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rich_error(err.value)[0].code == "invalid_api_key"

    with pytest.raises(grpc.RpcError) as err:
        auth.Authenticate(auth_pb2.AuthenticateRequest(token="not-a-token"), timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rich_error(err.value)[0].code == "invalid_token_format"


def test_agent_token_lifecycle(
    auth: auth_pb2_grpc.AuthServiceStub,
    chat: chat_pb2_grpc.ChatServiceStub,
    token: str,
    brand: tuple[str, str],
) -> None:
    admin = bearer(brand[1])  # token management needs the brand's client credential
    minted = auth.MintAgentToken(
        auth_pb2.MintAgentTokenRequest(name="grpc-agent"), metadata=admin, timeout=TIMEOUT
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
        auth_pb2.ListAgentTokensRequest(), metadata=admin, timeout=TIMEOUT
    )
    assert minted.id in [t.id for t in listed.tokens]
    assert all(t.token == "" for t in listed.tokens)
    assert all(t.client_id == brand[0] for t in listed.tokens)
    raw = listed.SerializeToString()
    assert secret.encode() not in raw and token.encode() not in raw

    revoked = auth.RevokeAgentToken(
        auth_pb2.RevokeAgentTokenRequest(id=minted.id), metadata=admin, timeout=TIMEOUT
    ).token
    assert revoked.id == minted.id and revoked.revoked > 0 and revoked.token == ""

    # Revoked through this process: the cache was invalidated, so it fails at once.
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(content="after revocation"), bearer(secret))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert rich_error(err.value)[0].code == "invalid_api_key"

    active = auth.ListAgentTokens(
        auth_pb2.ListAgentTokensRequest(), metadata=admin, timeout=TIMEOUT
    )
    assert minted.id not in [t.id for t in active.tokens]
    everything = auth.ListAgentTokens(
        auth_pb2.ListAgentTokensRequest(include_revoked=True),
        metadata=admin,
        timeout=TIMEOUT,
    )
    again = {t.id: t for t in everything.tokens}[minted.id]
    assert again.revoked == revoked.revoked and again.token == ""

    # Revoking is idempotent; an unknown id is not_found.
    auth.RevokeAgentToken(
        auth_pb2.RevokeAgentTokenRequest(id=minted.id), metadata=admin, timeout=TIMEOUT
    )
    with pytest.raises(grpc.RpcError) as err:
        auth.RevokeAgentToken(
            auth_pb2.RevokeAgentTokenRequest(id="tok_0000000000000000"),
            metadata=admin,
            timeout=TIMEOUT,
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert rich_error(err.value)[0].code == "not_found"


def test_narrow_scopes_are_enforced(
    auth: auth_pb2_grpc.AuthServiceStub,
    chat: chat_pb2_grpc.ChatServiceStub,
    brand: tuple[str, str],
) -> None:
    minted = auth.MintAgentToken(
        auth_pb2.MintAgentTokenRequest(name="models-only", scopes=["gate:models"]),
        metadata=bearer(brand[1]),
        timeout=TIMEOUT,
    ).token
    assert list(minted.scopes) == ["gate:models"]
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(), bearer(minted.token))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    detail, _ = rich_error(err.value)
    assert detail.code == "insufficient_scope" and detail.http_status == 403

    with pytest.raises(grpc.RpcError) as err:
        auth.MintAgentToken(
            auth_pb2.MintAgentTokenRequest(name="bad", scopes=["gate:everything"]),
            metadata=bearer(brand[1]),
            timeout=TIMEOUT,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rich_error(err.value)[0].param == "scopes"

    with pytest.raises(grpc.RpcError) as err:
        auth.MintAgentToken(
            auth_pb2.MintAgentTokenRequest(name="  "), metadata=bearer(brand[1]), timeout=TIMEOUT
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rich_error(err.value)[0].param == "name"


def test_token_controls_are_minted_listed_and_updated(
    auth: auth_pb2_grpc.AuthServiceStub,
    chat: chat_pb2_grpc.ChatServiceStub,
    brand: tuple[str, str],
) -> None:
    admin = bearer(brand[1])
    controls = auth_pb2.TokenControls(
        rpm=1, budget_usd=2.5, budget_mode="soft", allowed_models=["gpt-4o"], capture=False
    )
    minted = auth.MintAgentToken(
        auth_pb2.MintAgentTokenRequest(name="limited", controls=controls),
        metadata=admin,
        timeout=TIMEOUT,
    ).token
    assert minted.controls.rpm == 1 and not minted.controls.HasField("rpd")
    assert minted.controls.budget_usd == 2.5 and minted.controls.budget_mode == "soft"
    assert list(minted.controls.allowed_models) == ["gpt-4o"]
    assert minted.controls.HasField("capture") and minted.controls.capture is False

    # Enforced: the minute limit lets one request through.
    complete(chat, chat_request(model="gpt-4o", content="one"), bearer(minted.token))
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(model="gpt-4o", content="two"), bearer(minted.token))
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    # The mask names what changes; a named optional field left absent clears it.
    updated = auth.UpdateAgentToken(
        auth_pb2.UpdateAgentTokenRequest(
            id=minted.id,
            controls=auth_pb2.TokenControls(rpd=100),
            update_mask=["rpm", "rpd", "capture"],
        ),
        metadata=admin,
        timeout=TIMEOUT,
    ).token
    assert not updated.controls.HasField("rpm") and updated.controls.rpd == 100
    assert not updated.controls.HasField("capture")
    assert updated.controls.budget_usd == 2.5  # not in the mask: unchanged
    assert updated.token == ""
    # Live in this process at once.
    complete(chat, chat_request(model="gpt-4o", content="three"), bearer(minted.token))
    listed = auth.ListAgentTokens(auth_pb2.ListAgentTokensRequest(), metadata=admin)
    assert {t.id: t for t in listed.tokens}[minted.id].controls == updated.controls

    bad = [
        (auth_pb2.UpdateAgentTokenRequest(id=minted.id, update_mask=["owner"]), "update_mask"),
        (
            auth_pb2.UpdateAgentTokenRequest(
                id=minted.id, controls=auth_pb2.TokenControls(rpm=0), update_mask=["rpm"]
            ),
            "rpm",
        ),
    ]
    for request, param in bad:
        with pytest.raises(grpc.RpcError) as err:
            auth.UpdateAgentToken(request, metadata=admin, timeout=TIMEOUT)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert rich_error(err.value)[0].param == param
    with pytest.raises(grpc.RpcError) as err:
        auth.UpdateAgentToken(
            auth_pb2.UpdateAgentTokenRequest(id="tok_0000000000000000", update_mask=["rpm"]),
            metadata=admin,
            timeout=TIMEOUT,
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_agent_tokens_cannot_manage_tokens(auth: auth_pb2_grpc.AuthServiceStub, token: str) -> None:
    """An agent token may not mint a sibling without its limits, lift its own budget,
    list or revoke the brand's tokens, or make a client credential."""
    who = auth.Authenticate(auth_pb2.AuthenticateRequest(), metadata=bearer(token))
    calls: tuple[tuple[Callable[..., object], Message], ...] = (
        (auth.MintAgentToken, auth_pb2.MintAgentTokenRequest(name="escape")),
        (auth.ListAgentTokens, auth_pb2.ListAgentTokensRequest()),
        (auth.RevokeAgentToken, auth_pb2.RevokeAgentTokenRequest(id=who.principal.token_id)),
        (
            auth.UpdateAgentToken,
            auth_pb2.UpdateAgentTokenRequest(id=who.principal.token_id, update_mask=["rpm"]),
        ),
        (auth.CreateClientCredential, auth_pb2.CreateClientCredentialRequest()),
    )
    for call, req in calls:
        with pytest.raises(grpc.RpcError) as err:
            call(req, metadata=bearer(token), timeout=TIMEOUT)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED, call
        assert rich_error(err.value)[0].code == "permission_denied"


@pytest.mark.parametrize("with_token", [False, True])
def test_create_brand_needs_the_operator_token(
    auth: auth_pb2_grpc.AuthServiceStub, token: str, with_token: bool
) -> None:
    md = bearer(token) if with_token else ()
    with pytest.raises(grpc.RpcError) as err:
        auth.CreateBrand(auth_pb2.CreateBrandRequest(name="intruder"), metadata=md, timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    detail, _ = rich_error(err.value)
    assert detail.code == "permission_denied" and detail.http_status == 403


def test_auth_calls_need_a_token(auth: auth_pb2_grpc.AuthServiceStub) -> None:
    calls: tuple[tuple[Callable[..., object], Message], ...] = (
        (auth.MintAgentToken, auth_pb2.MintAgentTokenRequest(name="x")),
        (auth.ListAgentTokens, auth_pb2.ListAgentTokensRequest()),
        (auth.RevokeAgentToken, auth_pb2.RevokeAgentTokenRequest(id="tok_0000000000000000")),
        (auth.CreateClientCredential, auth_pb2.CreateClientCredentialRequest()),
        (auth.UpdateAgentToken, auth_pb2.UpdateAgentTokenRequest(id="tok_0000000000000000")),
    )
    for call, req in calls:
        with pytest.raises(grpc.RpcError) as err:
            call(req, timeout=TIMEOUT)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert rich_error(err.value)[0].code == "missing_api_key"
