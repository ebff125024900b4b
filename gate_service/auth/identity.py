"""Brands, their client credentials and agent tokens, in the database.

Synchronous on purpose: the async request path calls it through ``asyncio.to_thread``
(see :mod:`gate_service.auth.authenticator`), the CLI calls it directly. Secrets are
returned exactly once, when created; only keyed hashes are stored (an agent token's, and
both the ``sk_`` and the ``secret_`` part of a client credential). The hashing key lives
in the ``meta`` table so that every replica sharing the database hashes alike.

The store keeps :attr:`IdentityStore.known`, the filter of every live token's lookup hash
(:mod:`gate_service.auth.known_tokens`): loaded and refreshed by :meth:`refresh_known`,
and told at once of every token or credential created through this store.

What it returns is in :mod:`gate_service.auth.views`; the queries that find a token by its
hash (to authenticate, to load the filter) are in :mod:`gate_service.auth.lookups`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import col, select

from gate_service import errors
from gate_service.auth import controls as checks
from gate_service.auth import tokens
from gate_service.auth.controls import UNSET, Unset
from gate_service.auth.known_tokens import OVERLAP_S, REBUILD_S, KnownTokens
from gate_service.auth.lookups import (
    agent_principal,
    credential_principal,
    live_counts,
    live_digests,
)
from gate_service.auth.principal import ALL_SCOPES, Principal, TokenControls
from gate_service.auth.views import BrandView, TokenView, brand_view, token_view
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.storage.models import AgentToken, Brand, ClientCredential, utcnow
from gate_service.storage.text import check_storable, storable

HASH_KEY_META = "token_hash_key"
_NAME_MAX = 200


def _brand_not_found() -> GateError:
    return GateError("not_found", "brand not found")


def _clean_name(value: str, param: str) -> str:
    name = check_storable(value.strip(), param)
    if not name:
        raise errors.invalid(f"{param} must not be empty", param)
    if len(name) > _NAME_MAX:
        raise errors.invalid(f"{param} is longer than {_NAME_MAX} characters", param)
    return name


def _check_scopes(scopes: Sequence[str] | None) -> tuple[str, ...]:
    """Validated scopes in canonical order; None means all of them."""
    if scopes is None:
        return ALL_SCOPES
    wanted = {s.strip() for s in scopes if s.strip()}
    unknown = sorted(wanted - set(ALL_SCOPES))
    if unknown:
        raise errors.invalid(
            f"unknown scope '{unknown[0]}'; expected some of {', '.join(ALL_SCOPES)}", "scopes"
        )
    if not wanted:
        raise errors.invalid("at least one scope is required", "scopes")
    return tuple(s for s in ALL_SCOPES if s in wanted)


class IdentityStore:
    """Creates, lists, revokes and authenticates brands, credentials and agent tokens."""

    def __init__(self, db: Database, hash_key: bytes | None = None) -> None:
        self._db = db
        self._hash_key = hash_key
        self._key_lock = threading.Lock()
        self.known = KnownTokens()
        self._known_read_at: datetime | None = None
        self._known_built_at: datetime | None = None

    def _key(self) -> bytes:
        """The token hashing key, created in the meta table by whoever needs it first."""
        if self._hash_key is None:
            with self._key_lock:
                if self._hash_key is None:
                    stored = self._db.get_meta(HASH_KEY_META)
                    if stored is None:
                        stored = self._db.set_meta_if_absent(HASH_KEY_META, secrets.token_hex(32))
                    self._hash_key = bytes.fromhex(stored)
        return self._hash_key

    # Brands and credentials -------------------------------------------------------------

    def create_brand(self, name: str) -> tuple[BrandView, str]:
        """Create a brand and its first client credential; the token is shown only now."""
        name = _clean_name(name, "name")
        duplicate = errors.invalid(f"brand '{name}' already exists", "name")
        client_id = tokens.new_client_id()
        api_key, api_secret = tokens.new_api_key(), tokens.new_api_secret()
        brand = Brand(client_id=client_id, name=name)
        credential = ClientCredential(
            key_hash=tokens.hash_secret(self._key(), api_key),
            prefix=tokens.api_key_prefix(api_key),
            client_id=client_id,
            secret_hash=tokens.hash_secret(self._key(), api_secret),
        )
        with self._db.session() as session:
            if session.exec(select(Brand).where(Brand.name == name)).first() is not None:
                raise duplicate
            session.add(brand)
            try:
                session.flush()  # the brand row first: the credential references it
                session.add(credential)
                session.commit()
            except IntegrityError:
                # Lost a race with another process creating the same name.
                session.rollback()
                raise duplicate from None
        self.known.add(credential.key_hash)
        return brand_view(brand), tokens.credential_token(client_id, api_key, api_secret)

    def brand(self, client_id: str) -> BrandView | None:
        """The brand with this client id, or None."""
        if not storable(client_id):
            return None
        with self._db.session() as session:
            row = session.get(Brand, client_id)
        return None if row is None else brand_view(row)

    def brand_by_name(self, name: str) -> BrandView | None:
        """The brand with this exact name, or None."""
        if not storable(name):
            return None
        with self._db.session() as session:
            row = session.exec(select(Brand).where(Brand.name == name.strip())).first()
        return None if row is None else brand_view(row)

    def list_brands(self) -> list[BrandView]:
        """Every brand, by name."""
        with self._db.session() as session:
            rows = session.exec(select(Brand).order_by(col(Brand.name))).all()
        return [brand_view(row) for row in rows]

    def set_brand_budget(
        self,
        client_id: str,
        *,
        budget_usd: float | Unset | None = UNSET,
        budget_mode: str | Unset = UNSET,
        billing_anchor_day: int | Unset = UNSET,
    ) -> BrandView:
        """Change a brand's monthly budget, its mode or its billing anchor day.

        ``None`` removes the cap. What is not given stays. Running gateways apply the
        change when their authentication cache expires (``Settings.auth_cache_ttl_s``).
        """
        with self._db.session() as session:
            row = session.get(Brand, client_id) if storable(client_id) else None
            if row is None:
                raise _brand_not_found()
            if not isinstance(budget_usd, Unset):
                row.budget_usd = checks.check_budget(budget_usd)
            if not isinstance(budget_mode, Unset):
                row.budget_mode = checks.check_mode(budget_mode)
            if not isinstance(billing_anchor_day, Unset):
                row.billing_anchor_day = checks.check_anchor_day(billing_anchor_day)
            session.add(row)
            session.commit()
        return brand_view(row)

    def set_brand_capture(
        self,
        client_id: str,
        *,
        enabled: bool | Unset = UNSET,
        retention_days: int | Unset = UNSET,
        max_chars: int | Unset = UNSET,
    ) -> BrandView:
        """Switch a brand's content capture on or off, or change how long captured
        messages are kept and the size cap of one message (docs/capture.md).

        What is not given stays. A token's own override (``update_token(capture=)``) wins
        over ``enabled``; retention and cap are the brand's for all its tokens. Running
        gateways apply the change when their authentication cache expires.
        """
        with self._db.session() as session:
            row = session.get(Brand, client_id) if storable(client_id) else None
            if row is None:
                raise _brand_not_found()
            if not isinstance(enabled, Unset):
                row.capture_enabled = bool(enabled)
            if not isinstance(retention_days, Unset):
                row.capture_retention_days = checks.check_retention_days(retention_days)
            if not isinstance(max_chars, Unset):
                row.capture_max_chars = checks.check_max_chars(max_chars)
            session.add(row)
            session.commit()
        return brand_view(row)

    def create_credential(self, client_id: str) -> str:
        """Another client credential for an existing brand; the token is shown only now."""
        api_key, api_secret = tokens.new_api_key(), tokens.new_api_secret()
        credential = ClientCredential(
            key_hash=tokens.hash_secret(self._key(), api_key),
            prefix=tokens.api_key_prefix(api_key),
            client_id=client_id,
            secret_hash=tokens.hash_secret(self._key(), api_secret),
        )
        with self._db.session() as session:
            if not storable(client_id) or session.get(Brand, client_id) is None:
                raise _brand_not_found()
            session.add(credential)
            session.commit()
        self.known.add(credential.key_hash)
        return tokens.credential_token(client_id, api_key, api_secret)

    # Agent tokens -----------------------------------------------------------------------

    def mint_token(
        self,
        client_id: str,
        name: str,
        scopes: Sequence[str] | None = None,
        controls: TokenControls | None = None,
    ) -> tuple[TokenView, str]:
        """A new agent token for one agent of a brand (all scopes unless narrowed, no
        limits unless ``controls`` sets some).

        Returns the listing view and the token itself, which is never available again.
        """
        name = _clean_name(name, "name")
        granted = _check_scopes(scopes)
        checked = checks.check_token_controls(controls or TokenControls())
        token = tokens.new_agent_token()
        row = AgentToken(
            id=tokens.new_token_id(),
            client_id=client_id,
            name=name,
            token_hash=tokens.hash_secret(self._key(), token),
            prefix=tokens.token_prefix(token),
            scopes=" ".join(granted),
        )
        checks.apply_token_controls(row, checked)
        with self._db.session() as session:
            if not storable(client_id) or session.get(Brand, client_id) is None:
                raise _brand_not_found()
            session.add(row)
            session.commit()
        self.known.add(row.token_hash)
        return token_view(row), token

    def update_token(
        self,
        client_id: str,
        token_id: str,
        *,
        rpm: int | Unset | None = UNSET,
        rpd: int | Unset | None = UNSET,
        budget_usd: float | Unset | None = UNSET,
        budget_mode: str | Unset = UNSET,
        allowed_models: Iterable[str] | Unset = UNSET,
        free_only: bool | Unset = UNSET,
        scopes: Sequence[str] | Unset = UNSET,
        capture: bool | Unset | None = UNSET,
    ) -> TokenView:
        """Change some of a token's controls (or scopes); what is not given stays.

        ``None`` clears a limit or the budget; an empty ``allowed_models`` allows every
        model; ``capture`` True / False overrides the brand's content capture, None
        follows it again. Another brand's token answers ``not_found`` like an unknown id; a revoked
        token cannot be changed. Running gateways apply the change when their
        authentication cache expires (``Settings.auth_cache_ttl_s``).
        """
        with self._db.session() as session:
            row = session.get(AgentToken, token_id) if storable(token_id) else None
            if row is None or row.client_id != client_id:
                raise GateError("not_found", "token not found")
            if row.revoked_at is not None:
                raise errors.invalid("token is revoked; mint a new one", "token_id")
            checked = checks.merge_token_controls(
                checks.token_controls(row),
                rpm=rpm,
                rpd=rpd,
                budget_usd=budget_usd,
                budget_mode=budget_mode,
                allowed_models=allowed_models,
                free_only=free_only,
                capture=capture,
            )
            checks.apply_token_controls(row, checked)
            if not isinstance(scopes, Unset):
                row.scopes = " ".join(_check_scopes(scopes))
            session.add(row)
            session.commit()
        return token_view(row)

    def list_tokens(self, client_id: str, include_revoked: bool = False) -> list[TokenView]:
        """A brand's agent tokens, oldest first; revoked ones only when asked."""
        if not storable(client_id):
            return []
        query = select(AgentToken).where(AgentToken.client_id == client_id)
        if not include_revoked:
            query = query.where(col(AgentToken.revoked_at).is_(None))
        query = query.order_by(col(AgentToken.created_at), col(AgentToken.id))
        with self._db.session() as session:
            rows = session.exec(query).all()
        return [token_view(row) for row in rows]

    def revoke_token(self, client_id: str, token_id: str) -> TokenView:
        """Revoke one of the brand's tokens (idempotent).

        Another brand's token answers ``not_found`` exactly like an unknown id. Other
        replicas stop accepting it once their authentication cache expires.
        """
        with self._db.session() as session:
            row = session.get(AgentToken, token_id) if storable(token_id) else None
            if row is None or row.client_id != client_id:
                raise GateError("not_found", "token not found")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                session.add(row)
                session.commit()
        return token_view(row)

    # The filter of known tokens ----------------------------------------------------------

    def lookup_digest(self, parsed: tokens.ParsedToken) -> str:
        """The keyed hash a token is looked up by: the whole agent token's, or the
        credential's ``sk_`` part's."""
        if parsed.kind == "agent_token":
            return tokens.hash_secret(self._key(), parsed.raw)
        return tokens.hash_secret(self._key(), parsed.api_key or "")

    def refresh_known(self, now: datetime | None = None) -> None:
        """Bring :attr:`known` up to date: in full on the first call and every
        ``REBUILD_S``, else the rows created since the last call (less ``OVERLAP_S``)."""
        now = now or utcnow()
        self._key()  # loaded now, so that lookup_digest never reads the database
        built = self._known_built_at
        if built is None or now - built >= timedelta(seconds=REBUILD_S):
            self.known.begin_rebuild()
            try:
                # Core rows, not ORM objects: 200,000 hashes load in about 1.5 s, not 3.
                with self._db.engine.connect() as connection:
                    count = sum(connection.execute(query).scalar_one() for query in live_counts())
                    streamed = connection.execution_options(yield_per=10_000)
                    rows = (
                        str(digest)
                        for query in live_digests(None)
                        for digest in streamed.execute(query).scalars()
                    )
                    self.known.finish_rebuild(rows, count)
            except BaseException:
                self.known.cancel_rebuild()
                raise
            self._known_built_at = now
        else:
            since = (self._known_read_at or now) - timedelta(seconds=OVERLAP_S)
            with self._db.session() as session:
                for query in live_digests(since):
                    self.known.add_all(session.exec(query))
        self._known_read_at = now

    # Authentication ---------------------------------------------------------------------

    def authenticate(self, token: str) -> Principal:
        """Resolve a bare token (without ``Bearer``) to its principal.

        Raises ``invalid_token_format`` for a malformed token and ``invalid_api_key``, with
        one fixed message, for an unknown, revoked or wrong one. The hash is computed before
        any lookup so every path does the same work. A database failure is a 503
        ``service_unavailable`` (the cause chained), never a rejection of a good token.
        """
        parsed = tokens.parse_token(token)
        try:
            if parsed.kind == "agent_token":
                return agent_principal(self._db, self._key(), parsed)
            return credential_principal(self._db, self._key(), parsed)
        except SQLAlchemyError as error:
            raise GateError(
                "service_unavailable", "Authentication is unavailable right now; retry shortly."
            ) from error
