"""Test connection: one minimal real call to the provider before a key is saved.

A one-token chat to the provider's first chat model in the catalog (or the model the
caller names), through the same wire adapter and transport routing uses, so a key that
passes here is a key routing can use. A failure becomes a 400 ``invalid_request`` carrying
the provider's own message, redacted first (:mod:`gate_service.providers.redact`): a
provider that echoes the key it was sent must not have it repeated in our answer.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from gate_service.catalog.schema import ProviderInfo
from gate_service.catalog.snapshot import Catalog
from gate_service.domain import ChatRequest, Message
from gate_service.errors import invalid
from gate_service.providers.base import FailureKind, Target, UpstreamFailure, WireAdapter
from gate_service.providers.redact import redact_failure
from gate_service.providers.transport import post
from gate_service.vault.records import mask

PROBE_TIMEOUT_S = 20.0


def probe_model(catalog: Catalog, provider: ProviderInfo, model: str | None) -> str:
    """The provider's model id to call: the one given (plain or ``provider/model``), else
    the first chat model the catalog lists for the provider."""
    if model:
        return model.removeprefix(f"{provider.id}/")
    for info in catalog.models:
        if info.provider == provider.id and not info.has("embeddings"):
            return info.provider_model
    raise invalid(
        f"the catalog lists no model for '{provider.id}': name one in test_model", "test_model"
    )


async def check_connection(
    *,
    catalog: Catalog,
    adapters: Mapping[str, WireAdapter],
    session: aiohttp.ClientSession,
    provider_id: str,
    secret: str,
    base_url: str | None,
    model: str | None = None,
    timeout_s: float = PROBE_TIMEOUT_S,
) -> str:
    """Send the probe; returns the model that answered, raises a 400 GateError otherwise."""
    provider = catalog.provider(provider_id)
    if provider is None:
        raise invalid(f"unknown provider '{provider_id}'", "provider")
    adapter = adapters.get(provider.api_format)
    if adapter is None:
        raise invalid(f"cannot test '{provider_id}': its wire format is not supported", "provider")
    url = base_url or provider.base_url
    if not url or "{" in url:
        raise invalid(f"provider '{provider_id}' needs a base_url for each key", "base_url")
    target = Target(
        provider=provider,
        model=probe_model(catalog, provider, model),
        base_url=url,
        secret=secret,
        key_id="probe",
        key_preview=mask(secret),
    )
    request = ChatRequest(target.model, [Message("user", "ping")], max_tokens=1)
    try:
        upstream = adapter.build_request(target, request, stream=False)
        response = await post(session, upstream, timeout_s)
        if response.status >= 400:
            raise adapter.classify_error(response.status, response.headers, response.body)
        adapter.parse_response(target, response.body)
    except UpstreamFailure as failure:
        raise _failed(provider, redact_failure(failure, secret)) from None
    return target.model


def _failed(provider: ProviderInfo, failure: UpstreamFailure) -> Exception:
    param = {
        FailureKind.AUTH: "secret",
        FailureKind.CONNECTION: "base_url",
        FailureKind.TIMEOUT: "base_url",
        FailureKind.MODEL_NOT_FOUND: "test_model",
    }.get(failure.kind)
    what = "rejected the key" if failure.kind is FailureKind.AUTH else "answered with an error"
    return invalid(
        f"test connection failed: {provider.name} {what} ({failure.status}): {failure.message}",
        param,
    )
