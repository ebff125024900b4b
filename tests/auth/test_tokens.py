"""Token formats and header parsing: pure functions, no database."""

from __future__ import annotations

import re

import pytest

from gate_service.auth import tokens
from gate_service.errors import GateError

HEX32 = "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"
AGENT = f"spideriq_pat_{HEX32}"
CLIENT_ID = "cli_upxjrhfj3dzqmyf3"
CREDENTIAL = f"{CLIENT_ID}:sk_{HEX32}:secret_{HEX32}"


def test_generated_values_have_the_documented_shapes() -> None:
    assert re.fullmatch(r"cli_[a-z0-9]{16}", tokens.new_client_id())
    assert re.fullmatch(r"sk_[0-9a-f]{32}", tokens.new_api_key())
    assert re.fullmatch(r"secret_[0-9a-f]{32}", tokens.new_api_secret())
    assert re.fullmatch(r"spideriq_pat_[0-9a-f]{32}", tokens.new_agent_token())
    assert re.fullmatch(r"tok_[0-9a-f]{16}", tokens.new_token_id())
    assert len({tokens.new_agent_token() for _ in range(100)}) == 100


def test_generated_tokens_parse_back() -> None:
    client_id = tokens.new_client_id()
    api_key, api_secret = tokens.new_api_key(), tokens.new_api_secret()
    parsed = tokens.parse_token(tokens.credential_token(client_id, api_key, api_secret))
    assert (parsed.kind, parsed.client_id, parsed.api_key, parsed.api_secret) == (
        "client_credential",
        client_id,
        api_key,
        api_secret,
    )
    agent = tokens.new_agent_token()
    assert tokens.parse_token(agent).kind == "agent_token"
    assert tokens.parse_token(agent).raw == agent


@pytest.mark.parametrize("token", [AGENT, CREDENTIAL])
def test_valid_examples(token: str) -> None:
    assert tokens.parse_token(token).raw == token


@pytest.mark.parametrize(
    "token",
    [
        f"spideriq_pat_{HEX32[:-1]}",  # 31 hex digits
        f"spideriq_pat_{HEX32}0",  # 33 hex digits
        f"spideriq_pat_{HEX32.upper()}",  # uppercase hex
        f"spideriq_pat_{HEX32[:-1]}g",  # not hex
        f"spideriq_pak_{HEX32}",  # wrong prefix
        f"SPIDERIQ_PAT_{HEX32}",
        f"pat_{HEX32}",
        HEX32,
        f"{AGENT}\n",
        f" {AGENT}",
        f"{CLIENT_ID[:-1]}:sk_{HEX32}:secret_{HEX32}",  # client id 15 chars
        f"{CLIENT_ID.upper()}:sk_{HEX32}:secret_{HEX32}",
        f"client_upxjrhfj3dzqmyf3:sk_{HEX32}:secret_{HEX32}",
        f"{CLIENT_ID}:key_{HEX32}:secret_{HEX32}",  # wrong api key prefix
        f"{CLIENT_ID}:sk_{HEX32[:-2]}:secret_{HEX32}",
        f"{CLIENT_ID}:sk_{HEX32}:secret_{HEX32.upper()}",
        f"{CLIENT_ID}:sk_{HEX32}",  # missing part
        f"{CREDENTIAL}:extra",
        "cli_abc123:key_xxx:secret_xxx",
        "sk-proj-abc",
    ],
)
def test_invalid_examples_are_invalid_token_format(token: str) -> None:
    with pytest.raises(GateError) as caught:
        tokens.parse_token(token)
    assert caught.value.code == "invalid_token_format"
    assert token.strip() not in caught.value.message


@pytest.mark.parametrize(
    "header",
    [f"Bearer {AGENT}", f"bearer {AGENT}", f"BEARER {AGENT}", f"  Bearer   {AGENT}  "],
)
def test_parse_bearer_scheme_is_case_insensitive(header: str) -> None:
    assert tokens.parse_bearer(header).raw == AGENT


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_api_key"),
        ("", "missing_api_key"),
        ("   ", "missing_api_key"),
        ("Bearer", "missing_api_key"),
        ("Bearer   ", "missing_api_key"),
        (f"Basic {AGENT}", "invalid_token_format"),
        (f"Token {AGENT}", "invalid_token_format"),
        (AGENT, "invalid_token_format"),  # no scheme
        (f"Bearer{AGENT}", "invalid_token_format"),
        (f"Bearer {AGENT} {AGENT}", "invalid_token_format"),
        ("Bearer sk-not-ours-1234567890", "invalid_token_format"),
    ],
)
def test_parse_bearer_errors_are_401_with_www_authenticate(header: str | None, code: str) -> None:
    with pytest.raises(GateError) as caught:
        tokens.parse_bearer(header)
    error = caught.value
    assert error.code == code
    assert error.http_status == 401
    assert error.headers["WWW-Authenticate"] == "Bearer"
    if code == "missing_api_key":
        assert error.message == ("Missing API key. Pass it as 'Authorization: Bearer <token>'.")
    else:
        assert "spideriq_pat_" in error.message and "<client_id>" in error.message
        assert AGENT not in error.message and "sk-not-ours" not in error.message


def test_parsed_token_repr_hides_secrets() -> None:
    text = repr(tokens.parse_token(CREDENTIAL)) + repr(tokens.parse_token(AGENT))
    assert HEX32 not in text


def test_hash_secret_is_keyed_hmac_sha256_hex() -> None:
    first = tokens.hash_secret(b"k" * 32, AGENT)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert tokens.hash_secret(b"k" * 32, AGENT) == first
    assert tokens.hash_secret(b"j" * 32, AGENT) != first
    assert tokens.digests_equal(first, tokens.hash_secret(b"k" * 32, AGENT))
    assert not tokens.digests_equal(first, tokens.hash_secret(b"j" * 32, AGENT))


def test_token_prefix_keeps_only_a_few_secret_characters() -> None:
    assert tokens.token_prefix(AGENT) == "spideriq_pat_0a1b"
