"""The in-memory snapshot of usable provider keys that routing reads on every request.

Rebuilt from the vault table every ``refresh_interval_s`` (and at once after a change made
in this process), so the request path never touches the database. Environment keys
(``GROQ_API_KEY``...) and demo keys join as pool keys. Brand keys always come before pool
keys for that brand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gate_service.catalog.schema import ProviderInfo
from gate_service.catalog.snapshot import Catalog
from gate_service.providers.base import UpstreamFailure
from gate_service.providers.redact import Redactor, redact_failure
from gate_service.routing.health import HealthBook, Limits
from gate_service.vault.keys import mask


@dataclass(frozen=True, slots=True)
class UsableKey:
    """A key routing may use. ``secret`` never appears in a repr, log or answer."""

    id: str
    provider: str
    client_id: str | None
    preview: str
    base_url: str | None
    source: str  # vault, env or demo
    secret: str = field(repr=False, default="")
    primary: bool = False
    # Lower runs first (like MX records); keys of equal priority share by headroom.
    priority: int = 100
    limits: Limits = field(default_factory=Limits)
    # May serve /embeddings (a vault key's option; environment and demo keys may).
    supports_embeddings: bool = True


def resolve_base_url(provider: ProviderInfo, key: UsableKey) -> str | None:
    """The address for this key: its own, else the provider's (None if a placeholder stays)."""
    url = key.base_url or provider.base_url
    return None if not url or "{" in url else url


class KeyPool:
    """Keys by provider: pool keys and brand keys, swapped atomically on refresh.

    Also what the snapshot implies for secrets: the :class:`Redactor` of every key's
    secret (built when a failure first needs it after the set of secrets changed) and
    brand keys' own base URLs (whose addresses the transport checks).
    """

    def __init__(self) -> None:
        self._pool: dict[str, list[UsableKey]] = {}
        self._brand: dict[tuple[str, str], list[UsableKey]] = {}
        self._ephemeral: list[UsableKey] = []
        self._secrets: frozenset[str] = frozenset()
        self._redactor: Redactor | None = None
        self.brand_base_urls: frozenset[str] = frozenset()

    def replace(self, keys: Iterable[UsableKey]) -> None:
        """Install a new snapshot (plus the ephemeral demo keys)."""
        pool: dict[str, list[UsableKey]] = {}
        brand: dict[tuple[str, str], list[UsableKey]] = {}
        every = [*keys, *self._ephemeral]
        for key in every:
            if key.client_id is None:
                pool.setdefault(key.provider, []).append(key)
            else:
                brand.setdefault((key.client_id, key.provider), []).append(key)
        self._pool, self._brand = pool, brand
        self._note_secrets(every)
        self.brand_base_urls = frozenset(
            k.base_url
            for k in every
            if k.client_id is not None and k.source == "vault" and k.base_url
        )

    def _note_secrets(self, keys: Iterable[UsableKey]) -> None:
        secrets = frozenset(k.secret for k in keys if k.secret)
        if secrets != self._secrets:
            self._secrets, self._redactor = secrets, None

    def redactor(self) -> Redactor:
        """Removes every secret of the snapshot (and well-known key formats) from text."""
        redactor = self._redactor
        if redactor is None:
            redactor = self._redactor = Redactor(self._secrets)
        return redactor

    def redact(self, failure: UpstreamFailure, secret: str) -> UpstreamFailure:
        """``failure`` with its provider text free of ``secret`` (the attempt's key), of
        every secret of the snapshot and of well-known key formats."""
        return redact_failure(failure, secret, self.redactor())

    def add_ephemeral(self, key: UsableKey) -> None:
        """A key that lives only as long as this process (``serve --demo``)."""
        self._ephemeral.append(key)
        self._pool.setdefault(key.provider, []).append(key)
        self._note_secrets(self.all())

    def keys_for(self, client_id: str | None, provider: str) -> list[UsableKey]:
        """Brand keys first, then pool keys; a brand key it shared into the pool once."""
        own = self._brand.get((client_id, provider), []) if client_id else []
        if not own:
            return list(self._pool.get(provider, ()))
        mine = {k.id for k in own}
        return [*own, *(k for k in self._pool.get(provider, ()) if k.id not in mine)]

    def all(self) -> list[UsableKey]:
        """Every key once (a shared brand key sits in two lists), for metrics."""
        keys = {k.id: k for ks in (*self._brand.values(), *self._pool.values()) for k in ks}
        return list(keys.values())

    def has_key(self, client_id: str | None, provider: str) -> bool:
        if client_id and (client_id, provider) in self._brand:
            return True
        return provider in self._pool


_STATE_RANK = {"healthy": 0, "degraded": 1, "unhealthy": 2}


def order_keys(keys: list[UsableKey], book: HealthBook) -> list[UsableKey]:
    """The keys that may be tried now, best first (vault-and-routing.md, "Choosing a key"):
    brand keys before pool keys; healthy before degraded (an unhealthy key only when its
    quarantine is over and no other request is probing it: it is the probe); primary, then
    priority; then the most headroom, so load spreads across accounts; then the least
    recently used. Keys in cooldown, invalid or without headroom are left out.
    """
    ranked = []
    for k in keys:
        if not book.available(k.id, k.limits):
            continue
        state = book.key(k.id)
        health = _STATE_RANK.get(state.state(book.clock()), 3)
        ranked.append(
            (
                (
                    k.client_id is None,
                    health,
                    not k.primary,
                    k.priority,
                    -book.headroom(k.id, k.limits),
                    state.last_used,
                ),
                k,
            )
        )
    ranked.sort(key=lambda pair: pair[0])
    return [k for _, k in ranked]


def env_keys(catalog: Catalog, environ: Mapping[str, str]) -> list[UsableKey]:
    """Pool keys from environment variables named in the catalog (GROQ_API_KEY, ...)."""
    out = []
    for provider in catalog.providers:
        for var in provider.env_vars:
            if secret := environ.get(var):
                out.append(
                    UsableKey(
                        id=f"env:{var}",
                        provider=provider.id,
                        client_id=None,
                        preview=mask(secret),
                        base_url=None,
                        source="env",
                        secret=secret,
                    )
                )
                break
    return out
