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


def resolve_base_url(provider: ProviderInfo, key: UsableKey) -> str | None:
    """The address for this key: its own, else the provider's (None if a placeholder stays)."""
    url = key.base_url or provider.base_url
    return None if not url or "{" in url else url


class KeyPool:
    """Keys by provider: pool keys and brand keys, swapped atomically on refresh."""

    def __init__(self) -> None:
        self._pool: dict[str, list[UsableKey]] = {}
        self._brand: dict[tuple[str, str], list[UsableKey]] = {}
        self._ephemeral: list[UsableKey] = []

    def replace(self, keys: Iterable[UsableKey]) -> None:
        """Install a new snapshot (plus the ephemeral demo keys)."""
        pool: dict[str, list[UsableKey]] = {}
        brand: dict[tuple[str, str], list[UsableKey]] = {}
        for key in [*keys, *self._ephemeral]:
            if key.client_id is None:
                pool.setdefault(key.provider, []).append(key)
            else:
                brand.setdefault((key.client_id, key.provider), []).append(key)
        self._pool, self._brand = pool, brand

    def add_ephemeral(self, key: UsableKey) -> None:
        """A key that lives only as long as this process (``serve --demo``)."""
        self._ephemeral.append(key)
        self._pool.setdefault(key.provider, []).append(key)

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
    quarantine is over: the probe); primary, then priority; then the most headroom, so load
    spreads across accounts; then the least recently used. Keys in cooldown, invalid or
    without headroom are left out.
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
