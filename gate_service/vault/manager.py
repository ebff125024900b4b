"""Key management on behalf of a caller: who may touch which key, and what a change does.

A brand manages its own keys; the operator manages the pool's and may read every key.
A key outside the caller's reach answers ``not_found`` exactly as an unknown id would.
After every change the routing snapshot is rebuilt at once (``refresh``), so the change
takes effect in this process immediately (other replicas pick it up on their next
periodic refresh); an edited or reactivated key also gets a clean health record.

A brand's key may only point at public addresses unless the operator allows a network
(:mod:`gate_service.providers.address_policy`): the base URL is checked when it is saved,
and a brand's connection test runs with the transport's address check on, so a name that
resolves elsewhere by the time the probe connects is refused too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp

from gate_service.catalog.snapshot import Catalog
from gate_service.errors import invalid
from gate_service.providers.address_policy import AddressPolicy
from gate_service.providers.base import WireAdapter
from gate_service.providers.transport import checked_addresses
from gate_service.routing.health import HealthBook
from gate_service.routing.keystates import KeyStates
from gate_service.vault import validation as check
from gate_service.vault.health import STATES, ProviderHealth, key_state, summarize
from gate_service.vault.keys import KeyStore
from gate_service.vault.probe import check_connection
from gate_service.vault.records import KeyPatch, KeyQuery, KeyView, NewKey

if TYPE_CHECKING:
    from gate_service.core import Core

__all__ = ["Caller", "VaultManager"]

log = logging.getLogger("spidergate.vault")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who manages keys: a brand (its ``client_id``), or the operator (None)."""

    client_id: str | None

    @property
    def is_operator(self) -> bool:
        return self.client_id is None


class VaultManager:
    """The vault's operations with access rules and side effects."""

    def __init__(
        self,
        store: KeyStore,
        *,
        catalog: Callable[[], Catalog],
        adapters: Mapping[str, WireAdapter],
        session: aiohttp.ClientSession,
        health: HealthBook,
        refresh: Callable[[], Awaitable[None]],
        policy: AddressPolicy | None = None,
        states: KeyStates | None = None,
    ) -> None:
        self._store = store
        self._policy = policy or AddressPolicy()
        self._catalog = catalog
        self._adapters = adapters
        self._session = session
        self.health = health
        # The shared key state too (Redis), when routing has one: an edit clears it there.
        self._states = states or KeyStates(health)
        self._refresh = refresh

    @classmethod
    def for_core(cls, core: Core) -> VaultManager:
        return cls(
            core.key_store,
            catalog=lambda: core.catalog,
            adapters=core.adapters,
            session=core.session,
            health=core.router.health,
            refresh=core.refresh,
            policy=AddressPolicy.from_settings(core.settings.allowed_upstream_networks),
            states=core.router.states,
        )

    def state(self, view: KeyView) -> str:
        return key_state(view, self.health)

    async def _changed(self, key_id: str, *, fresh: bool) -> None:
        if fresh:
            await self._states.forget(key_id)
        try:
            await self._refresh()
        except Exception:
            # The change is stored; the periodic refresh will pick it up.
            log.warning("vault: refreshing the key snapshot after a change failed")

    async def _probe(
        self,
        caller: Caller,
        provider: str,
        secret: str,
        base_url: str | None,
        model: str | None,
    ) -> None:
        # The catalog's own address (a key without base_url) is the operator's choice.
        with checked_addresses(not caller.is_operator and base_url is not None):
            await check_connection(
                catalog=self._catalog(),
                adapters=self._adapters,
                session=self._session,
                provider_id=provider,
                secret=secret,
                base_url=base_url,
                model=model,
            )

    async def _check_address(self, caller: Caller, base_url: str | None) -> None:
        """A brand's base URL must reach allowed addresses; the pool's is the operator's."""
        if not caller.is_operator:
            await check.check_brand_address(self._policy, base_url)

    # ------------------------------------------------------------------ writes

    async def create(self, caller: Caller, new: NewKey) -> KeyView:
        """Store a key for the caller (the operator: a pool key), tested first if asked."""
        provider = check.clean_provider(new.provider)
        base_url = check.clean_base_url(new.base_url)
        check.check_against_catalog(self._catalog().provider(provider), provider, base_url)
        await self._check_address(caller, base_url)
        if new.test_connection:
            await self._probe(
                caller, provider, check.clean_secret(new.secret), base_url, new.test_model
            )
        view = await asyncio.to_thread(
            self._store.add_key,
            provider,
            new.secret,
            client_id=caller.client_id,
            base_url=base_url,
            label=new.label,
            options=new.options,
            active=new.active,
        )
        await self._changed(view.id, fresh=True)
        return view

    async def update(
        self,
        caller: Caller,
        key_id: str,
        patch: KeyPatch,
        *,
        test_connection: bool = False,
        test_model: str | None = None,
    ) -> KeyView:
        """Change a key of the caller's; with ``test_connection`` the resulting secret and
        address are tested first and nothing changes if the provider refuses them."""
        owner = caller.client_id
        if test_connection or patch.base_url is not None:
            current = await asyncio.to_thread(self._store.get_key, key_id, owner)
            base_url = current.base_url
            if patch.base_url is not None:
                base_url = check.clean_base_url(patch.base_url)
                info = self._catalog().provider(current.provider)
                if info is not None:  # a key of a provider since removed stays editable
                    check.check_against_catalog(info, current.provider, base_url)
                await self._check_address(caller, base_url)
            if test_connection:
                secret = patch.secret
                if secret is None:
                    secret = await asyncio.to_thread(self._store.secret_of, key_id, owner)
                await self._probe(
                    caller, current.provider, check.clean_secret(secret), base_url, test_model
                )
        view = await asyncio.to_thread(self._store.update_key, key_id, owner, patch)
        await self._changed(view.id, fresh=patch.gives_fresh_chance)
        return view

    async def set_active(self, caller: Caller, key_id: str, active: bool) -> KeyView:
        view = await asyncio.to_thread(self._store.set_active, key_id, caller.client_id, active)
        await self._changed(view.id, fresh=active)
        return view

    async def delete(self, caller: Caller, key_id: str) -> KeyView:
        view = await asyncio.to_thread(self._store.delete_key, key_id, caller.client_id)
        await self._changed(view.id, fresh=True)
        return view

    # ------------------------------------------------------------------ reads

    async def get(self, caller: Caller, key_id: str) -> KeyView:
        return await asyncio.to_thread(
            self._store.get_key, key_id, caller.client_id, any_owner=caller.is_operator
        )

    async def list_keys(self, caller: Caller, query: KeyQuery) -> list[KeyView]:
        """The caller's keys (plus the pool's with ``include_pool``); the operator's: all."""
        if query.state is not None and query.state not in STATES:
            raise invalid(f"state must be one of {', '.join(STATES)}", "state")
        views = await asyncio.to_thread(
            self._store.list_keys,
            caller.client_id,
            query.provider,
            query.include_pool,
            active=query.active,
            every_owner=caller.is_operator,
        )
        if query.state is not None:
            views = [v for v in views if self.state(v) == query.state]
        return views

    async def health_summary(
        self, caller: Caller, provider: str | None = None, include_pool: bool = False
    ) -> list[ProviderHealth]:
        """Per provider: each visible key's live state and one recommendation."""
        views = await self.list_keys(caller, KeyQuery(provider=provider, include_pool=include_pool))
        named = [check.clean_provider(provider)] if provider else []
        return summarize(views, self.health, named)
