"""The composition root of the core: builds every component once, from settings, and owns
their lifecycles. Nothing else constructs long-lived objects, and nothing happens at import.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import replace

import aiohttp
from sqlalchemy import func
from sqlmodel import select

from gate_service import __version__
from gate_service.audio.service import AudioService
from gate_service.auth.authenticator import Authenticator
from gate_service.auth.identity import IdentityStore
from gate_service.cache import create_cache
from gate_service.capture.purge import Purger
from gate_service.catalog import persist, probe_store
from gate_service.catalog.changes import catalog_changes
from gate_service.catalog.probes import ProbeBook
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.service import ChatService
from gate_service.client_aliases.book import ClientAliasBook
from gate_service.client_aliases.store import ClientAliasStore
from gate_service.config import Settings
from gate_service.embeddings.service import EmbeddingsService
from gate_service.governance import create_governor
from gate_service.invites.service import InviteService
from gate_service.ledger import create_ledger
from gate_service.media.catalog import load_media_catalog
from gate_service.media.generation import MediaService
from gate_service.media.images import ImagesService
from gate_service.media.moderations import ModerationsService
from gate_service.metrics import create_metrics
from gate_service.pipeline import Pipeline
from gate_service.prompts.service import PromptService
from gate_service.prompts.store import PromptStore
from gate_service.providers.address_policy import AddressPolicy
from gate_service.providers.base import WireAdapter
from gate_service.providers.registry import default_adapters
from gate_service.providers.transport import create_session, restrict_base_urls
from gate_service.responses.service import ResponsesService
from gate_service.responses.store import ResponseStore
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import KeyPool, UsableKey, env_keys
from gate_service.routing.keystate_redis import RedisKeyStore
from gate_service.routing.keystates import KeyStates, rules_of
from gate_service.routing.router import Router
from gate_service.storage.database import Database
from gate_service.storage.models import CatalogEntry
from gate_service.telemetry.logs import access_line
from gate_service.telemetry.observers import RecordObserver
from gate_service.telemetry.tracing import Tracing
from gate_service.vault.cipher import load_cipher
from gate_service.vault.keys import KeyRecord, KeyStore

log = logging.getLogger("spidergate.core")


class Core:
    """Everything the servicers need, alive between ``open`` and ``close``."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        catalog: Catalog,
        session: aiohttp.ClientSession,
        adapters: Mapping[str, WireAdapter] | None = None,
    ) -> None:
        self.settings = settings
        self.version = __version__
        self.started_at = time.monotonic()
        self.db = db
        self.catalog = catalog
        self.identity = IdentityStore(db)
        self.authenticator = Authenticator(self.identity, settings.auth_cache_ttl_s)
        # Reads (or on first start creates) the vault key; refuses an unsafe key file.
        cipher = load_cipher(settings)
        self.key_store = KeyStore(db, cipher)
        self._vault_opened = False
        # Each vault key's (secret, address) in the last snapshot, to spot edits made by
        # the CLI or another replica.
        self._vault_seen: dict[str, tuple[str, str | None]] = {}
        self.keys = KeyPool()
        self.adapters = adapters or default_adapters()
        self.session = session
        # Brands' client aliases: stored, and the snapshot routing reads (client_aliases/).
        self.client_alias_store = ClientAliasStore(db)
        self.client_aliases = ClientAliasBook()
        self.router = Router(
            lambda: self.catalog,
            self.keys,
            self.adapters,
            client_aliases=self.client_aliases,
            states=_key_states(settings, self.key_store),
        )
        # What probes found about each model (``spidergate catalog probe``), re-read on
        # every refresh; routing's empty-answer measurements are written and merged then.
        self.probes = ProbeBook()
        self.governor = create_governor(settings, db)
        self.ledger = create_ledger(db, settings)
        self.metrics = create_metrics(
            keys=self.keys.all, health=self.router.health, ledger=self.ledger
        )
        # Every kind of call goes through the one pipeline: admission, settlement, the
        # record, and shutdown's drain of everything in flight.
        self.tracing = Tracing(settings.trace_export) if settings.trace_export else None
        observers: list[RecordObserver] = [access_line] if settings.access_log else []
        if self.tracing is not None:
            observers.append(self.tracing)
        self.pipeline = Pipeline(self.router, self.governor, self.ledger, self.metrics, observers)
        # One response cache for every kind of answer (one bound on its memory).
        self.cache = create_cache(settings.redis_url)
        self.chat = ChatService(
            self.pipeline,
            session,
            self.cache,
            default_timeout_s=settings.upstream_timeout_s,
        )
        # The rest of the OpenAI surface, each kind of call through the same pipeline.
        timeout_s = settings.upstream_timeout_s
        self.images = ImagesService(self.pipeline, session, timeout_s)
        self.moderations = ModerationsService(self.pipeline, session, timeout_s)
        self.embeddings = EmbeddingsService(
            self.pipeline, session, self.cache, default_timeout_s=timeout_s
        )
        # Saved prompts: applied to the chat, Responses and Messages requests naming one.
        self.prompts = PromptService(PromptStore(db))
        # The Responses API: served by the chat service; stored responses in the database.
        self.responses = ResponsesService(
            self.chat,
            ResponseStore(db, settings.responses_retention_days),
            max_depth=settings.max_json_depth,
            prompts=self.prompts,
        )
        self.audio = AudioService(self.pipeline, session, default_timeout_s=timeout_s)
        self.media = MediaService(
            load_media_catalog(), self.images, self.audio, settings.media_markup
        )
        # Captured trace content past its retention: purged off the request path.
        self.capture_purger = Purger(db, settings.capture_purge_interval_s)
        # Contributor invites: the brand's side, the public link's, and the mail outbox.
        self.invites = InviteService.for_core(self, cipher)
        self._refresher: asyncio.Task[None] | None = None
        self._catalog_seen: tuple[int, str] | None = None
        # How an alias chain changed here reaches the other replicas, and theirs this one
        # (PostgreSQL LISTEN/NOTIFY, Redis pub/sub, or this process alone).
        self.catalog_changes = catalog_changes(db, settings.redis_url)
        self._reloading = asyncio.Lock()

    @classmethod
    async def open(cls, settings: Settings) -> Core:
        """Migrate the database, seed the catalog on first start, load the snapshots."""
        db = Database.from_settings(settings)
        await asyncio.to_thread(db.migrate)
        await asyncio.to_thread(persist.seed_if_empty, db.session_factory())
        catalog = await asyncio.to_thread(persist.load_from_db, db.session_factory())
        session = create_session(AddressPolicy.from_settings(settings.allowed_upstream_networks))
        try:
            core = cls(settings, db, catalog, session)
            await core.refresh()
        except BaseException:
            await session.close()
            raise
        await core.ledger.start()
        core.capture_purger.start()
        core.prompts.start()
        if core.invites.outbox is not None:
            core.invites.outbox.start()
        core._refresher = asyncio.create_task(core._refresh_loop(), name="refresh")
        await core.catalog_changes.start(core.reload_catalog)
        return core

    @property
    def uptime_s(self) -> float:
        return time.monotonic() - self.started_at

    def _catalog_version(self) -> tuple[int, str]:
        """A cheap fingerprint of the catalog table, so it is re-read only on change."""
        with self.db.session() as session:
            count, latest = session.exec(
                select(func.count(), func.max(CatalogEntry.updated_at))
            ).one()
        return int(count), str(latest)

    async def reload_catalog(self) -> None:
        """Load the catalog from the database and swap the snapshot routing reads (one
        reference assignment: a request sees the old catalog or the new, never a mix).
        Called on a change made here and on another replica's announcement."""
        async with self._reloading:
            version = await asyncio.to_thread(self._catalog_version)
            catalog = await asyncio.to_thread(persist.load_from_db, self.db.session_factory())
            self.catalog, self._catalog_seen = catalog, version

    async def refresh(self) -> None:
        """Re-read keys, catalog and client aliases so CLI edits and other replicas'
        changes show up.

        The first call opens the vault: it encrypts rows left in plain text by an older
        release and fails (``VaultKeyError``) if stored keys do not decrypt, so a wrong
        master key stops the start instead of silently dropping keys. A key whose secret
        or address changed, or that is back (added or reactivated), gets a clean health
        record, wherever the change was made.
        """
        if not self._vault_opened:
            await asyncio.to_thread(self.key_store.open)
            self._vault_opened = True
        records = await asyncio.to_thread(self.key_store.active_keys)
        version = await asyncio.to_thread(self._catalog_version)
        if version != self._catalog_seen:
            self.catalog = await asyncio.to_thread(persist.load_from_db, self.db.session_factory())
            self._catalog_seen = version
        seen = {r.id: (r.secret, r.view.base_url) for r in records}
        states = self.router.states
        for key_id, identity in seen.items():
            before = self._vault_seen.get(key_id)
            if before is None:
                self.router.health.forget(key_id)  # new here: the shared state stands
            elif before != identity:
                await states.forget(key_id)  # edited elsewhere (the CLI, another replica)
        for record in records:
            if record.invalid:
                states.mark_invalid(record.id)  # its provider refused it, before a restart
        self._vault_seen = seen
        vault = [key for record in records for key in _usable(record)]
        self.keys.replace([*vault, *env_keys(self.catalog, self.settings.env_keys)])
        restrict_base_urls(self.session, self.keys.brand_base_urls)
        self.client_aliases.replace(*await asyncio.to_thread(self.client_alias_store.load))
        await asyncio.to_thread(self.identity.refresh_known)
        await self.sync_model_findings()

    async def sync_model_findings(self) -> None:
        """Write what routing measured since the last time (empty answers), then read
        back every model's probe verdict and the measurements of other replicas (and of
        this one before a restart). A failed write is kept for the next round."""
        budgets = self.router.planner.empty_budgets
        changes = budgets.take_pending()
        try:
            await asyncio.to_thread(probe_store.save_empty_marks, self.db, changes)
        except BaseException:
            budgets.restore_pending(changes)
            raise
        stored = await asyncio.to_thread(probe_store.read_all, self.db)
        self.probes.replace(stored.probes)
        budgets.merge(stored.empty_marks)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.refresh_interval_s)
            try:
                await self.refresh()
            except Exception:
                log.warning("refreshing keys and catalog failed; keeping the last snapshot")

    def add_demo_keys(self, mock_url: str) -> int:
        """Point every provider we have an adapter for at the mock (``serve --demo``)."""
        count = 0
        for provider in self.catalog.providers:
            if provider.api_format in self.adapters:
                self.keys.add_ephemeral(
                    UsableKey(
                        id=f"demo:{provider.id}",
                        provider=provider.id,
                        client_id=None,
                        preview="demo…key",
                        base_url=f"{mock_url.rstrip('/')}/{provider.id}/v1",
                        source="demo",
                        secret=f"demo-key-{provider.id}",
                    )
                )
                count += 1
        return count

    async def close(self) -> None:
        await self.catalog_changes.close()
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await self.capture_purger.close()
        try:
            # What routing learnt since the last refresh outlives the restart.
            await asyncio.to_thread(
                probe_store.save_empty_marks,
                self.db,
                self.router.planner.empty_budgets.take_pending(),
            )
        except Exception:
            log.warning("saving routing's empty-answer measurements failed at shutdown")
        await self.prompts.close()
        if self.invites.outbox is not None:
            await self.invites.outbox.close()
        await self.responses.writer.close()
        await asyncio.to_thread(self.responses.store.close)
        await self.ledger.close()
        if self.tracing is not None:
            await asyncio.to_thread(self.tracing.close)
        await self.governor.close()
        await self.router.states.close()
        await self.session.close()
        if self.cache is not None:
            await self.cache.close()
        await asyncio.to_thread(self.db.dispose)


def _key_states(settings: Settings, key_store: KeyStore) -> KeyStates:
    """Key health in this process (embedded), or shared by every replica through Redis;
    either way a provider's 401/403 is kept in the key's row too."""
    book = HealthBook()
    shared = None
    if settings.redis_url:
        shared = RedisKeyStore.from_url(settings.redis_url, rules_of(book))

    async def persist_invalid(key_id: str) -> None:
        await asyncio.to_thread(key_store.mark_invalid, key_id)

    return KeyStates(book, shared, on_invalid=persist_invalid)


def _usable(record: KeyRecord) -> list[UsableKey]:
    """A vault key as routing sees it. A brand key shared into the pool appears twice,
    with one id and so one health record: as the brand's own key, and as a pool key
    (``client_id`` None) for every other brand."""
    view, options = record.view, record.view.options
    key = UsableKey(
        id=view.id,
        provider=view.provider,
        client_id=view.client_id,
        preview=view.preview,
        base_url=view.base_url,
        source="vault",
        secret=record.secret,
        primary=options.primary,
        priority=options.priority,
        limits=options.limits,
        supports_embeddings=options.supports_embeddings,
    )
    if view.client_id is not None and options.shared:
        return [key, replace(key, client_id=None)]
    return [key]
