"""Agent token controls between the domain (``TokenControls``) and ``auth.proto``.

``UpdateAgentToken`` follows the update-mask convention: the mask names the fields that
change, and a named optional field left absent clears it, so "no limit" and "leave alone"
stay distinguishable over the wire.
"""

from __future__ import annotations

from typing import Any

from gate_service import errors
from gate_service.auth.principal import TokenControls
from spidergate.v1 import auth_pb2

# The mask names UpdateAgentToken accepts, and the keyword of IdentityStore.update_token
# each one sets.
MASK_FIELDS = (
    "rpm",
    "rpd",
    "budget_usd",
    "budget_mode",
    "allowed_models",
    "free_only",
    "capture",
    "scopes",
)


def controls_to_proto(controls: TokenControls) -> auth_pb2.TokenControls:
    """The wire form of a token's controls (absent optional fields: no limit)."""
    message = auth_pb2.TokenControls(
        budget_mode=controls.budget_mode,
        allowed_models=sorted(controls.allowed_models),
        free_only=controls.free_only,
    )
    if controls.rpm is not None:
        message.rpm = controls.rpm
    if controls.rpd is not None:
        message.rpd = controls.rpd
    if controls.budget_usd is not None:
        message.budget_usd = controls.budget_usd
    if controls.capture is not None:
        message.capture = controls.capture
    return message


def controls_from_proto(message: auth_pb2.TokenControls) -> TokenControls:
    """A mint request's controls (unset fields: no limit, a hard budget)."""
    return TokenControls(
        rpm=message.rpm if message.HasField("rpm") else None,
        rpd=message.rpd if message.HasField("rpd") else None,
        budget_usd=message.budget_usd if message.HasField("budget_usd") else None,
        budget_mode=message.budget_mode or "hard",
        allowed_models=frozenset(message.allowed_models),
        free_only=message.free_only,
        capture=message.capture if message.HasField("capture") else None,
    )


def update_changes(request: auth_pb2.UpdateAgentTokenRequest) -> dict[str, Any]:
    """Keyword arguments for ``IdentityStore.update_token``: only what the mask names."""
    unknown = [name for name in request.update_mask if name not in MASK_FIELDS]
    if unknown:
        raise errors.invalid(
            f"update_mask names unknown fields: {', '.join(unknown)} "
            f"(known: {', '.join(MASK_FIELDS)})",
            "update_mask",
        )
    controls = request.controls
    optional = {"rpm", "rpd", "budget_usd", "capture"}
    changes: dict[str, Any] = {}
    for name in dict.fromkeys(request.update_mask):
        if name in optional:
            changes[name] = getattr(controls, name) if controls.HasField(name) else None
        elif name == "scopes":
            changes[name] = list(request.scopes)
        elif name == "allowed_models":
            changes[name] = list(controls.allowed_models)
        elif name == "budget_mode":
            changes[name] = controls.budget_mode or "hard"
        else:
            changes[name] = controls.free_only
    return changes
