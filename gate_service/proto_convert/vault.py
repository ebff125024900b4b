"""Vault: domain ⇄ proto for the servicer, JSON ⇄ proto for the bridge.

JSON uses the proto's snake_case field names; enums are their lower-case words
(``"daily"``, ``"block"``, ``"cooldown"``); optional numbers are ``null`` when unset. In
an update, ``null`` removes a limit or the key's own ``base_url``. A value of the wrong
type, or a field we do not know, is a 400 naming it: an admin API should not guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import as_bool, as_float, as_int, as_str
from gate_service.vault.health import ProviderHealth
from gate_service.vault.records import (
    DEFAULT_PRIORITY,
    KeyOptions,
    KeyPatch,
    KeyQuery,
    KeyView,
    NewKey,
)
from spidergate.v1 import vault_pb2 as pb

PERIODS = {"daily": pb.SPEND_PERIOD_DAILY, "monthly": pb.SPEND_PERIOD_MONTHLY}
ACTIONS = {"warn": pb.SPEND_ACTION_WARN, "block": pb.SPEND_ACTION_BLOCK}
STATES = {
    "healthy": pb.KEY_STATE_HEALTHY,
    "degraded": pb.KEY_STATE_DEGRADED,
    "unhealthy": pb.KEY_STATE_UNHEALTHY,
    "cooldown": pb.KEY_STATE_COOLDOWN,
    "invalid": pb.KEY_STATE_INVALID,
    "inactive": pb.KEY_STATE_INACTIVE,
}
PERIOD_NAMES = {v: k for k, v in PERIODS.items()}
ACTION_NAMES = {v: k for k, v in ACTIONS.items()}
STATE_NAMES = {v: k for k, v in STATES.items()}

_STRINGS = ("secret", "base_url", "label", "test_model")
_BOOLS = ("active", "primary", "supports_embeddings", "shared", "test_connection")
_INTS = ("priority", "rpm_limit", "rpd_limit")
_CREATE_FIELDS = frozenset(
    {"provider", *_STRINGS, *_BOOLS, *_INTS, "spend_limit_usd", "spend_period", "spend_action"}
)
_UPDATE_FIELDS = _CREATE_FIELDS - {"provider"}
_INT32 = 2**31

# ------------------------------------------------------------------ domain -> proto


def key_to_proto(view: KeyView, state: str) -> pb.ProviderKey:
    o = view.options
    return pb.ProviderKey(
        id=view.id,
        client_id=view.client_id or "",
        provider=view.provider,
        preview=view.preview,
        base_url=view.base_url or "",
        label=view.label,
        active=view.active,
        primary=o.primary,
        priority=o.priority,
        rpm_limit=o.rpm_limit,
        rpd_limit=o.rpd_limit,
        spend_limit_usd=o.spend_limit_usd,
        spend_period=PERIODS[o.spend_period],
        spend_action=ACTIONS[o.spend_action],
        supports_embeddings=o.supports_embeddings,
        shared=o.shared,
        created=int(view.created_at.timestamp()),
        updated=int(view.updated_at.timestamp()),
        state=STATES[state],
    )


def health_to_proto(providers: list[ProviderHealth]) -> pb.GetHealthSummaryResponse:
    return pb.GetHealthSummaryResponse(
        providers=[
            pb.ProviderHealth(
                provider=p.provider,
                recommendation=p.recommendation,
                keys=[
                    pb.KeyHealth(
                        key_id=k.key_id,
                        preview=k.preview,
                        label=k.label,
                        pool=k.pool,
                        state=STATES[k.state],
                        failures=k.failures,
                        last_error=k.last_error,
                        cooldown_seconds=k.cooldown_s,
                        spend_usd=k.spend_usd,
                        spend_limit_usd=k.spend_limit_usd,
                        spend_period=PERIODS[k.spend_period],
                        spend_blocked=k.spend_blocked,
                    )
                    for k in p.keys
                ],
            )
            for p in providers
        ]
    )


# ------------------------------------------------------------------ proto -> domain


def _opt(message: Any, name: str) -> Any:
    return getattr(message, name) if message.HasField(name) else None


def new_key_from_proto(req: pb.CreateKeyRequest) -> NewKey:
    priority = _opt(req, "priority")
    return NewKey(
        provider=req.provider,
        secret=req.secret,
        base_url=req.base_url or None,
        label=req.label,
        options=KeyOptions(
            primary=req.primary,
            priority=DEFAULT_PRIORITY if priority is None else priority,
            rpm_limit=_opt(req, "rpm_limit"),
            rpd_limit=_opt(req, "rpd_limit"),
            spend_limit_usd=_opt(req, "spend_limit_usd"),
            spend_period=PERIOD_NAMES.get(req.spend_period, "monthly"),
            spend_action=ACTION_NAMES.get(req.spend_action, "warn"),
            supports_embeddings=req.supports_embeddings,
            shared=req.shared,
        ),
        test_connection=req.test_connection,
        test_model=req.test_model or None,
    )


def patch_from_proto(req: pb.UpdateKeyRequest) -> KeyPatch:
    return KeyPatch(
        secret=_opt(req, "secret"),
        base_url=_opt(req, "base_url"),
        label=_opt(req, "label"),
        active=_opt(req, "active"),
        primary=_opt(req, "primary"),
        priority=_opt(req, "priority"),
        rpm_limit=_opt(req, "rpm_limit"),
        rpd_limit=_opt(req, "rpd_limit"),
        spend_limit_usd=_opt(req, "spend_limit_usd"),
        spend_period=PERIOD_NAMES.get(req.spend_period),
        spend_action=ACTION_NAMES.get(req.spend_action),
        supports_embeddings=_opt(req, "supports_embeddings"),
        shared=_opt(req, "shared"),
    )


def query_from_proto(req: pb.ListKeysRequest) -> KeyQuery:
    return KeyQuery(
        provider=req.provider or None,
        active=_opt(req, "active"),
        include_pool=req.include_pool,
        state=STATE_NAMES.get(req.state),
    )


# ------------------------------------------------------------------ JSON -> proto


def _enum(value: Any, param: str, names: Mapping[str, int]) -> int:
    text = as_str(value, param)
    if text not in names:
        raise invalid(f"'{param}' must be one of {', '.join(names)}", param)
    return names[text]


def _fill(message: Any, body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Copy typed JSON fields into a request message; ``null`` leaves a field unset,
    except in an update where it clears (0 for limits, "" for base_url)."""
    clearing = isinstance(message, pb.UpdateKeyRequest)
    for name, value in body.items():
        if name not in allowed:
            if name == "provider":
                raise invalid("provider cannot be changed: add a new key instead", name)
            raise invalid(f"unknown field '{name}'", name)
        if value is None:
            if clearing and name in ("rpm_limit", "rpd_limit", "spend_limit_usd"):
                setattr(message, name, 0)
            elif clearing and name == "base_url":
                message.base_url = ""
            continue
        if name in ("provider", *_STRINGS):
            setattr(message, name, as_str(value, name))
        elif name in _BOOLS:
            setattr(message, name, as_bool(value, name))
        elif name in _INTS:
            number = as_int(value, name)
            if not -_INT32 <= number < _INT32:
                raise invalid(f"'{name}' is out of range", name)
            setattr(message, name, number)
        elif name == "spend_limit_usd":
            message.spend_limit_usd = as_float(value, name)
        elif name == "spend_period":
            message.spend_period = _enum(value, name, PERIODS)
        elif name == "spend_action":
            message.spend_action = _enum(value, name, ACTIONS)


def create_request_from_json(body: Mapping[str, Any]) -> pb.CreateKeyRequest:
    allowed = _CREATE_FIELDS - {"active"}
    message = pb.CreateKeyRequest()
    _fill(message, body, allowed)
    if "provider" not in body:
        raise invalid("'provider' is required", "provider")
    return message


def update_request_from_json(key_id: str, body: Mapping[str, Any]) -> pb.UpdateKeyRequest:
    message = pb.UpdateKeyRequest(key_id=key_id)
    _fill(message, body, _UPDATE_FIELDS)
    return message


def _flag(params: Mapping[str, str], name: str) -> bool | None:
    value = params.get(name)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in ("true", "false", "1", "0"):
        raise invalid(f"'{name}' must be true or false", name)
    return lowered in ("true", "1")


def list_request_from_query(params: Mapping[str, str]) -> pb.ListKeysRequest:
    message = pb.ListKeysRequest(
        provider=params.get("provider", ""), include_pool=bool(_flag(params, "include_pool"))
    )
    if (active := _flag(params, "active")) is not None:
        message.active = active
    if "state" in params:
        message.state = _enum(params["state"], "state", STATES)  # type: ignore[assignment]
    return message


def health_request_from_query(params: Mapping[str, str]) -> pb.GetHealthSummaryRequest:
    return pb.GetHealthSummaryRequest(
        provider=params.get("provider", ""), include_pool=bool(_flag(params, "include_pool"))
    )


# ------------------------------------------------------------------ proto -> JSON


def key_to_json(key: pb.ProviderKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "object": "vault.key",
        "client_id": key.client_id or None,
        "pool": not key.client_id,
        "provider": key.provider,
        "preview": key.preview,
        "base_url": key.base_url or None,
        "label": key.label,
        "active": key.active,
        "state": STATE_NAMES.get(key.state, "healthy"),
        "primary": key.primary,
        "priority": key.priority,
        "rpm_limit": _opt(key, "rpm_limit"),
        "rpd_limit": _opt(key, "rpd_limit"),
        "spend_limit_usd": _opt(key, "spend_limit_usd"),
        "spend_period": PERIOD_NAMES.get(key.spend_period, "monthly"),
        "spend_action": ACTION_NAMES.get(key.spend_action, "warn"),
        "supports_embeddings": key.supports_embeddings,
        "shared": key.shared,
        "created": key.created,
        "updated": key.updated,
    }


def health_to_json(reply: pb.GetHealthSummaryResponse) -> dict[str, Any]:
    return {
        "object": "vault.health",
        "providers": [
            {
                "provider": p.provider,
                "recommendation": p.recommendation,
                "keys": [
                    {
                        "key_id": k.key_id,
                        "preview": k.preview,
                        "label": k.label,
                        "pool": k.pool,
                        "state": STATE_NAMES.get(k.state, "healthy"),
                        "failures": k.failures,
                        "last_error": k.last_error,
                        "cooldown_seconds": k.cooldown_seconds,
                        "spend_usd": k.spend_usd,
                        "spend_limit_usd": _opt(k, "spend_limit_usd"),
                        "spend_period": PERIOD_NAMES.get(k.spend_period, "monthly"),
                        "spend_blocked": k.spend_blocked,
                    }
                    for k in p.keys
                ],
            }
            for p in reply.providers
        ],
    }
