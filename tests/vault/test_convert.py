"""Vault converters: domain -> proto -> JSON, and JSON -> proto -> domain, both ways."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gate_service.errors import GateError
from gate_service.proto_convert.vault import (
    create_request_from_json,
    health_request_from_query,
    health_to_json,
    health_to_proto,
    key_to_json,
    key_to_proto,
    list_request_from_query,
    new_key_from_proto,
    patch_from_proto,
    query_from_proto,
    update_request_from_json,
)
from gate_service.vault.health import KeyHealth, ProviderHealth
from gate_service.vault.records import KeyOptions, KeyPatch, KeyQuery, KeyView, NewKey

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)


def test_key_to_json() -> None:
    options = KeyOptions(
        primary=True, priority=7, rpm_limit=30, spend_limit_usd=1.5, spend_action="block"
    )
    view = KeyView(
        id="key_1",
        client_id="cli_0123456789abcdef",
        provider="groq",
        preview="gsk_…xyz",
        base_url=None,
        label="main",
        active=True,
        created_at=T0,
        updated_at=T1,
        options=options,
    )
    assert key_to_json(key_to_proto(view, "cooldown")) == {
        "id": "key_1",
        "object": "vault.key",
        "client_id": "cli_0123456789abcdef",
        "pool": False,
        "provider": "groq",
        "preview": "gsk_…xyz",
        "base_url": None,
        "label": "main",
        "active": True,
        "state": "cooldown",
        "primary": True,
        "priority": 7,
        "rpm_limit": 30,
        "rpd_limit": None,
        "spend_limit_usd": 1.5,
        "spend_period": "monthly",
        "spend_action": "block",
        "supports_embeddings": False,
        "shared": False,
        "created": int(T0.timestamp()),
        "updated": int(T1.timestamp()),
    }


def test_create_json_to_domain() -> None:
    body: dict[str, Any] = {
        "provider": "groq",
        "secret": "gsk_x",
        "base_url": "http://h/v1",
        "label": "l",
        "primary": True,
        "priority": 0,
        "rpm_limit": 10,
        "rpd_limit": None,
        "spend_limit_usd": 3,
        "spend_period": "daily",
        "spend_action": "warn",
        "supports_embeddings": True,
        "shared": True,
        "test_connection": True,
        "test_model": "m",
    }
    new = new_key_from_proto(create_request_from_json(body))
    assert new == NewKey(
        provider="groq",
        secret="gsk_x",
        base_url="http://h/v1",
        label="l",
        options=KeyOptions(
            primary=True,
            priority=0,
            rpm_limit=10,
            spend_limit_usd=3.0,
            spend_period="daily",
            supports_embeddings=True,
            shared=True,
        ),
        test_connection=True,
        test_model="m",
    )
    defaults = new_key_from_proto(create_request_from_json({"provider": "groq", "secret": "s"}))
    assert defaults.options == KeyOptions() and defaults.test_connection is False


def test_update_json_to_domain() -> None:
    assert patch_from_proto(update_request_from_json("key_1", {})) == KeyPatch()
    patch = patch_from_proto(
        update_request_from_json(
            "key_1",
            {"rpm_limit": None, "base_url": None, "active": False, "spend_period": "monthly"},
        )
    )
    assert patch == KeyPatch(rpm_limit=0, base_url="", active=False, spend_period="monthly")
    assert patch_from_proto(update_request_from_json("k", {"secret": "new"})).secret == "new"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"provider": 3}, "provider"),
        ({"provider": "groq", "priority": "high"}, "priority"),
        ({"provider": "groq", "rpm_limit": 2**40}, "rpm_limit"),
        ({"provider": "groq", "primary": "yes"}, "primary"),
        ({"provider": "groq", "spend_period": "weekly"}, "spend_period"),
        ({"provider": "groq", "spend_limit_usd": "1"}, "spend_limit_usd"),
        ({"provider": "groq", "colour": "red"}, "colour"),
        ({"provider": "groq", "active": False}, "active"),
        ({"secret": "s"}, "provider"),
    ],
)
def test_bad_create_json_names_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GateError) as caught:
        create_request_from_json(body)
    assert (caught.value.code, caught.value.param) == ("invalid_request", param)


def test_provider_cannot_change() -> None:
    with pytest.raises(GateError) as caught:
        update_request_from_json("k", {"provider": "openai"})
    assert caught.value.param == "provider" and "add a new key" in caught.value.message


def test_list_and_health_queries() -> None:
    assert query_from_proto(list_request_from_query({})) == KeyQuery()
    query = query_from_proto(
        list_request_from_query(
            {"provider": "groq", "active": "false", "include_pool": "1", "state": "invalid"}
        )
    )
    assert query == KeyQuery(provider="groq", active=False, include_pool=True, state="invalid")
    for params, param in [({"active": "maybe"}, "active"), ({"state": "sleepy"}, "state")]:
        with pytest.raises(GateError) as caught:
            list_request_from_query(params)
        assert caught.value.param == param
    request = health_request_from_query({"provider": "groq", "include_pool": "true"})
    assert (request.provider, request.include_pool) == ("groq", True)


def test_health_to_json() -> None:
    key = KeyHealth(
        key_id="key_1",
        preview="gsk_…xyz",
        label="",
        pool=False,
        state="invalid",
        failures=0,
        last_error="auth (401)",
        cooldown_s=0.0,
        spend_usd=0.25,
        spend_limit_usd=None,
        spend_period="monthly",
        spend_blocked=False,
    )
    summary = [ProviderHealth("groq", (key,), "replace invalid key key_1")]
    assert health_to_json(health_to_proto(summary)) == {
        "object": "vault.health",
        "providers": [
            {
                "provider": "groq",
                "recommendation": "replace invalid key key_1",
                "keys": [
                    {
                        "key_id": "key_1",
                        "preview": "gsk_…xyz",
                        "label": "",
                        "pool": False,
                        "state": "invalid",
                        "failures": 0,
                        "last_error": "auth (401)",
                        "cooldown_seconds": 0.0,
                        "spend_usd": 0.25,
                        "spend_limit_usd": None,
                        "spend_period": "monthly",
                        "spend_blocked": False,
                    }
                ],
            }
        ],
    }
