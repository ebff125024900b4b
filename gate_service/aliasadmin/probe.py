"""The dry run of a proposed chain: one tiny real upstream call per slot.

Each slot is called the way routing would call it (the catalog's provider, a pool key
from the live key snapshot, the provider's wire adapter, the shared transport), with a
one-token chat (``max_tokens: 1``; a tool alias's probe also offers one tiny tool, so a
provider that refuses tools for the model says so). It goes around the pipeline on
purpose: nothing is admitted, billed, recorded in the ledger, counted against a budget or
a rate limit, and the key's health record is left as it is; the verdict is only returned.
Probes of a chain run concurrently, each within ``PROBE_TIMEOUT_S``. Provider text in a
verdict is redacted of every secret of the snapshot first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import aiohttp

from gate_service.catalog.schema import AliasInfo, Candidate
from gate_service.catalog.snapshot import Catalog
from gate_service.catalog.tool_calling import is_tool_alias
from gate_service.domain import ChatRequest, FunctionDef, Message, Tool
from gate_service.domain.alias_admin import Chain, SlotVerdict, Validation
from gate_service.providers.base import FailureKind, Target, UpstreamFailure, WireAdapter
from gate_service.providers.transport import post
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import KeyPool, UsableKey, order_keys, resolve_base_url

PROBE_TIMEOUT_S = 15.0

_VERDICTS = {
    FailureKind.AUTH: "auth_failed",
    FailureKind.MODEL_NOT_FOUND: "model_not_found",
    FailureKind.RATE_LIMITED: "rate_limited",
    FailureKind.TIMEOUT: "timeout",
    FailureKind.CONNECTION: "unreachable",
    FailureKind.SERVER: "upstream_error",
    FailureKind.BAD_REQUEST: "refused",
    FailureKind.PROTOCOL: "bad_answer",
}

_PROBE_TOOL = Tool(
    function=FunctionDef(
        name="ping",
        description="Answers pong.",
        parameters={"type": "object", "properties": {}},
    )
)


def _pool_key(keys: KeyPool, health: HealthBook, provider: str) -> UsableKey | None:
    """The pool key routing would try first; any pool key when all are resting (a probe
    of a key in cooldown still says whether the slot works)."""
    pool = keys.keys_for(None, provider)
    ordered = order_keys(pool, health)
    chosen = ordered or pool
    return chosen[0] if chosen else None


def _request(model: str, tools: bool) -> ChatRequest:
    request = ChatRequest(model, [Message("user", "ping")], max_tokens=1)
    if tools:
        request.tools = [_PROBE_TOOL]
    return request


class ChainProber:
    """Probes slots with the core's adapters, HTTP session and key snapshot."""

    def __init__(
        self,
        *,
        adapters: Mapping[str, WireAdapter],
        session: aiohttp.ClientSession,
        keys: KeyPool,
        health: HealthBook,
        timeout_s: float = PROBE_TIMEOUT_S,
    ) -> None:
        self._adapters = adapters
        self._session = session
        self._keys = keys
        self._health = health
        self._timeout_s = timeout_s

    async def validate(self, catalog: Catalog, alias: AliasInfo, chain: Chain) -> Validation:
        """A verdict per slot of ``chain`` (already checked against the catalog)."""
        tools = is_tool_alias(alias)
        verdicts = await asyncio.gather(
            *(self._probe(catalog, i, slot, tools) for i, slot in enumerate(chain))
        )
        return Validation(alias.id, tuple(verdicts))

    async def _probe(
        self, catalog: Catalog, index: int, slot: Candidate, tools: bool
    ) -> SlotVerdict:
        def verdict(name: str, message: str = "", ms: float = 0.0, key: str = "") -> SlotVerdict:
            return SlotVerdict(index, slot.provider, slot.model, name, message, round(ms, 1), key)

        provider = catalog.provider(slot.provider)
        adapter = self._adapters.get(provider.api_format) if provider else None
        if provider is None or adapter is None:
            return verdict("unsupported", f"no wire adapter serves '{slot.provider}'")
        key = _pool_key(self._keys, self._health, provider.id)
        if key is None and provider.key_required:
            return verdict("no_key", f"no pool key for '{provider.id}' is configured")
        base_url = resolve_base_url(provider, key) if key else provider.base_url
        if not base_url or "{" in base_url:
            return verdict("no_key", f"no key gives '{provider.id}' an address")
        secret = key.secret if key else ""
        target = Target(
            provider=provider,
            model=slot.model,
            base_url=base_url,
            secret=secret,
            key_id=key.id if key else "",
            key_preview=key.preview if key else "",
        )
        started = time.perf_counter()
        try:
            upstream = adapter.build_request(target, _request(slot.model, tools), stream=False)
            response = await post(self._session, upstream, self._timeout_s)
            if response.status >= 400:
                raise adapter.classify_error(response.status, response.headers, response.body)
            adapter.parse_response(target, response.body)
        except UpstreamFailure as failure:
            clean = self._keys.redact(failure, secret)
            ms = (time.perf_counter() - started) * 1000
            message = f"{provider.name} answered {clean.status}: {clean.message}"
            return verdict(_VERDICTS.get(clean.kind, "upstream_error"), message, ms, target.key_id)
        ms = (time.perf_counter() - started) * 1000
        return verdict("ok", "", ms, target.key_id)
