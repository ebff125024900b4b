"""Checks on what callers put in the vault: a bad value is a 400 naming the field.

Pure functions shared by the gRPC service and the CLI, so both refuse the same things
with the same messages (only :func:`check_brand_address` does I/O: it resolves a host
name). Messages never include a secret. Text with a control character is refused, never
stripped (:mod:`gate_service.storage.text`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import re
import socket
from dataclasses import replace

from gate_service.catalog.schema import ProviderInfo
from gate_service.errors import invalid
from gate_service.providers.address_policy import AddressPolicy, host_of, ip_literal
from gate_service.storage.text import check_storable
from gate_service.vault.records import SPEND_ACTIONS, SPEND_PERIODS, KeyOptions, KeyPatch

MAX_PRIORITY = 1_000_000
MAX_REQUEST_LIMIT = 1_000_000_000
MAX_SPEND_USD = 1_000_000_000.0
_PROVIDER_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def clean_text(value: str, param: str, max_length: int, *, required: bool) -> str:
    value = check_storable(value.strip(), param)
    if required and not value:
        raise invalid(f"{param} must not be empty", param)
    if len(value) > max_length:
        raise invalid(f"{param} is longer than {max_length} characters", param)
    return value


def clean_provider(value: str) -> str:
    provider = clean_text(value, "provider", 64, required=True).lower()
    if not _PROVIDER_RE.fullmatch(provider):
        raise invalid("provider must be a provider id such as 'groq'", "provider")
    return provider


# The secret is stored encrypted in a column of 4,096 characters: "fernet:" and the
# url-safe base64 of a Fernet token (57 bytes of overhead plus the UTF-8 bytes padded to
# 16) leave room for 2,990 bytes; 2,048 is far above any provider's key (a Google service
# account's JSON is about 2,300 characters but is not an API key) and always fits.
MAX_SECRET_BYTES = 2048


def clean_secret(value: str) -> str:
    secret = clean_text(value, "secret", MAX_SECRET_BYTES, required=False)
    if len(secret.encode("utf-8")) > MAX_SECRET_BYTES:
        raise invalid(f"secret is longer than {MAX_SECRET_BYTES} bytes", "secret")
    return secret


def clean_label(value: str) -> str:
    return clean_text(value, "label", 200, required=False)


def clean_base_url(value: str | None) -> str | None:
    """A key's own endpoint, without a trailing slash; None or "" means none."""
    if value is None or not value.strip():
        return None
    base_url = clean_text(value, "base_url", 500, required=True).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise invalid("base_url must start with http:// or https://", "base_url")
    if any(ch.isspace() for ch in base_url):
        raise invalid("base_url must not contain spaces", "base_url")
    if not host_of(base_url):
        raise invalid("base_url must name a host", "base_url")
    return base_url


async def check_brand_address(policy: AddressPolicy, base_url: str | None) -> None:
    """A brand key's base URL may only reach addresses the policy allows (400 naming
    ``base_url`` otherwise): an address literal is judged as it is, a host name by every
    address it resolves to now. A name that does not resolve is accepted: nothing can be
    reached through it, and the transport checks the addresses again when it resolves
    them for a request (:mod:`gate_service.providers.transport`)."""
    if base_url is None:
        return
    host = host_of(base_url)
    literal = ip_literal(host)
    if literal is not None:
        policy.check_addresses(host, [literal])
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
    policy.check_addresses(host, sorted(addresses, key=str))


def require_secret_or_url(secret: str, base_url: str | None) -> None:
    if not secret and base_url is None:
        raise invalid("secret is required unless a base_url is given", "secret")


def _limit(value: int | None, param: str) -> int | None:
    if value is None or value == 0:
        return None
    if value < 0 or value > MAX_REQUEST_LIMIT:
        raise invalid(f"{param} must be between 1 and {MAX_REQUEST_LIMIT} (0: no limit)", param)
    return value


def check_options(options: KeyOptions) -> KeyOptions:
    """Validated options; a limit of 0 becomes None (no limit)."""
    if not 0 <= options.priority <= MAX_PRIORITY:
        raise invalid(f"priority must be between 0 and {MAX_PRIORITY}", "priority")
    spend = options.spend_limit_usd
    if spend is not None:
        if not math.isfinite(spend) or spend < 0 or spend > MAX_SPEND_USD:
            raise invalid(
                "spend_limit_usd must be a positive amount (0: no limit)", "spend_limit_usd"
            )
        spend = spend or None
    if options.spend_period not in SPEND_PERIODS:
        raise invalid("spend_period must be 'daily' or 'monthly'", "spend_period")
    if options.spend_action not in SPEND_ACTIONS:
        raise invalid("spend_action must be 'warn' or 'block'", "spend_action")
    return replace(
        options,
        rpm_limit=_limit(options.rpm_limit, "rpm_limit"),
        rpd_limit=_limit(options.rpd_limit, "rpd_limit"),
        spend_limit_usd=spend,
    )


def patched_options(current: KeyOptions, patch: KeyPatch) -> KeyOptions:
    """The options after a patch, validated."""
    changes = {
        name: value
        for name in (
            "primary",
            "priority",
            "rpm_limit",
            "rpd_limit",
            "spend_limit_usd",
            "spend_period",
            "spend_action",
            "supports_embeddings",
            "shared",
        )
        if (value := getattr(patch, name)) is not None
    }
    return check_options(replace(current, **changes))


def check_against_catalog(info: ProviderInfo | None, provider: str, base_url: str | None) -> None:
    """The provider must exist, and have an address: its own or the key's."""
    if info is None:
        raise invalid(f"unknown provider '{provider}'", "provider")
    if base_url is None and (not info.base_url or "{" in info.base_url):
        raise invalid(
            f"provider '{provider}' needs a base_url for each key ({info.base_url or 'none'})",
            "base_url",
        )


def check_owner_may_share(client_id: str | None, options: KeyOptions) -> None:
    """Only a brand key can be shared into the pool; a pool key already is there."""
    if client_id is None and options.shared:
        raise invalid(
            "shared applies to brand keys; a pool key serves every brand already", "shared"
        )
