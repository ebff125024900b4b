"""The tables. Schema changes go through an Alembic migration in ``migrations/versions``.

Secrets are never stored in the clear: tokens and credential secrets are kept as keyed
hashes, provider keys encrypted (Fernet) in ``provider_key.secret``; nothing outside the
vault module reads that column.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, the single clock for stored timestamps."""
    return datetime.now(UTC)


class Meta(SQLModel, table=True):
    """Installation-wide values, e.g. the token hashing key."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str


class Brand(SQLModel, table=True):
    """A brand (workspace): the unit of isolation. Its id is its client_id."""

    __tablename__ = "brand"
    client_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(index=True, unique=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    # Monthly budget for the whole brand (None: no cap); soft warns, hard blocks (402).
    budget_usd: float | None = None
    budget_mode: str = Field(default="hard", max_length=8)
    # Budgets reset on this day of each month (UTC); 1..28.
    billing_anchor_day: int = 1
    # Content capture for traces (docs/capture.md): off by default; when on, each
    # request's messages are kept ``capture_retention_days`` days, every message cut to
    # ``capture_max_chars`` characters.
    capture_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    capture_retention_days: int = Field(default=30, sa_column_kwargs={"server_default": "30"})
    capture_max_chars: int = Field(default=32768, sa_column_kwargs={"server_default": "32768"})


class ClientCredential(SQLModel, table=True):
    """A client credential ``client_id:api_key:api_secret``; only keyed hashes are kept.

    Looked up by ``key_hash``, the keyed hash of the ``sk_`` part (migration 0004 hashed
    the rows that held it in the clear).
    """

    __tablename__ = "client_credential"
    key_hash: str = Field(primary_key=True, max_length=128)
    # The first characters of the sk_ part (16 of its 128 bits), to recognise it in a list.
    prefix: str = Field(max_length=32)
    client_id: str = Field(foreign_key="brand.client_id", index=True, max_length=32)
    secret_hash: str = Field(max_length=128)
    # Indexed: the authenticator reads the credentials created since its last refresh.
    created_at: datetime = Field(default_factory=utcnow, index=True)
    revoked_at: datetime | None = None


class AgentToken(SQLModel, table=True):
    """A per-agent token ``spideriq_pat_<32 hex>``; looked up by its keyed hash."""

    __tablename__ = "agent_token"
    id: str = Field(primary_key=True, max_length=40)
    client_id: str = Field(foreign_key="brand.client_id", index=True, max_length=32)
    name: str = Field(max_length=200)
    token_hash: str = Field(index=True, unique=True, max_length=128)
    # The first characters of the token, to recognise it in a list.
    prefix: str = Field(max_length=32)
    # Space-separated scopes.
    scopes: str = Field(default="gate:chat gate:models gate:usage", max_length=200)
    # Indexed: the authenticator reads the tokens minted since its last refresh.
    created_at: datetime = Field(default_factory=utcnow, index=True)
    revoked_at: datetime | None = None
    # Per-token controls (auth-and-controls.md); None: no limit.
    rpm_limit: int | None = None
    rpd_limit: int | None = None
    budget_usd: float | None = None
    budget_mode: str = Field(default="hard", max_length=8)
    # Space-separated aliases and model ids; empty: every model.
    allowed_models: str = Field(default="", max_length=4000)
    free_only: bool = False
    # Content capture for this token's requests: None follows the brand, True / False
    # overrides it (the brand's retention and size cap apply either way).
    capture: bool | None = None


class ProviderKey(SQLModel, table=True):
    """A provider account key. ``client_id`` None means a pool key (the operator's).

    ``secret`` holds ``fernet:<token>`` (see ``gate_service/vault/cipher.py``); only the
    vault module reads it. A deleted key keeps its row (``deleted_at`` set, secret wiped)
    so usage history still names it.
    """

    __tablename__ = "provider_key"
    id: str = Field(primary_key=True, max_length=40)
    client_id: str | None = Field(default=None, foreign_key="brand.client_id", index=True)
    provider: str = Field(index=True, max_length=64)
    secret: str = Field(max_length=4096)
    # Masked preview, the only form of the secret that ever leaves the vault.
    preview: str = Field(max_length=32)
    base_url: str | None = Field(default=None, max_length=500)
    label: str = Field(default="", max_length=200)
    active: bool = True
    # Routing order among a brand's (or the pool's) keys: primary first, then priority
    # (lower first), then headroom.
    primary: bool = False
    priority: int = 100
    # The account's own limits; None = unlimited.
    rpm_limit: int | None = None
    rpd_limit: int | None = None
    spend_limit_usd: float | None = None
    spend_period: str = Field(default="monthly", max_length=16)  # daily | monthly
    spend_action: str = Field(default="warn", max_length=16)  # warn | block
    supports_embeddings: bool = False
    # A brand key its owner shared into the pool: serves every brand, after their own keys.
    shared: bool = False
    # When the provider last refused the key (401/403): routing skips it, across restarts,
    # until it is edited (new secret or address) or switched back on.
    invalid_at: datetime | None = None
    deleted_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CatalogEntry(SQLModel, table=True):
    """One provider, model or alias of the catalog, as the JSON document the loader reads.

    Stored as documents so the catalog's shape can grow without schema migrations; the
    catalog module owns the document format.
    """

    __tablename__ = "catalog_entry"
    kind: str = Field(primary_key=True, max_length=16)
    id: str = Field(primary_key=True, max_length=200)
    data: str
    updated_at: datetime = Field(default_factory=utcnow)


class RequestLog(SQLModel, table=True):
    """The ledger: one row per request, with its attempts (journaled, then written in
    batches; see ``gate_service/ledger``).

    The row of a ``gate_service.ledger.record.RequestRecord``: a column per field, of the
    same name and in the same order (``tests/ledger/test_record.py`` holds them to it), so
    ``ledger/rows.py`` maps one to the other without a list of its own. What is declared
    here is only what the database needs: types, lengths, indexes.
    """

    __tablename__ = "request_log"
    __table_args__ = (
        # Covering on PostgreSQL: a brand's sums of status, latency and cost are an
        # index-only scan (migration 0009).
        Index(
            "ix_request_log_client_created_covering",
            "client_id",
            "created_at",
            postgresql_include=["status", "latency_ms", "cost_usd"],
        ),
        Index("ix_request_log_token_created", "token_id", "created_at"),
        # The operator's newest-first list across brands (migration 0017).
        Index("ix_request_log_created_id", "created_at", "id"),
    )
    id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=32)
    token_id: str | None = Field(default=None, max_length=40)
    agent_name: str | None = Field(default=None, max_length=200)
    requested_model: str = Field(max_length=300)
    # The alias asked for, when the request named one.
    alias: str | None = Field(default=None, max_length=100)
    # The kind of call (ledger.record.RequestKind); rows from before migration 0006 are
    # chat completions, the only kind there was.
    kind: str = Field(default="chat", max_length=16, sa_column_kwargs={"server_default": "chat"})
    served_model: str | None = Field(default=None, max_length=300)
    provider: str | None = Field(default=None, max_length=64)
    key_id: str | None = Field(default=None, max_length=64)
    key_preview: str | None = Field(default=None, max_length=32)
    status: int
    error_code: str | None = Field(default=None, max_length=64)
    latency_ms: float
    ttft_ms: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    streamed: bool = False
    cache_hit: bool = False
    # JSON list of "provider:model" tried before the one that served (or all, on failure).
    fallback_chain: str = "[]"
    # JSON list of the attempts in the order tried: {"provider", "model", "key", "outcome",
    # "status", "latency_ms", "error_code", "error_message"} (migration 0005 moved them here
    # from a table of their own: one random-key index less per row written).
    attempts: str = "[]"
    created_at: datetime = Field(default_factory=utcnow)
    # The span timings before the first attempt (migration 0008; NULL in older rows).
    auth_ms: float | None = None
    plan_ms: float | None = None
    admission_ms: float | None = None


class UsageRollup(SQLModel, table=True):
    """The ledger summed per hour and per (token, requested and served model, provider,
    alias, agent, request kind), kept by the ledger writer in the transaction that writes
    the rows, so ``GET /usage`` over months reads a few thousand of these instead of every
    request, and ``GET /traces`` with a filter skips the hours without a match
    (``gate_service/ledger``).

    ``id`` is a digest of the grouping values and the hour; ``latency`` the histogram of the
    successful requests' latencies (``gate_service/ledger/histogram.py``).
    """

    __tablename__ = "usage_rollup"
    __table_args__ = (
        Index("ix_usage_rollup_client_hour", "client_id", "hour"),
        Index("ix_usage_rollup_token_hour", "token_id", "hour"),
    )
    id: str = Field(primary_key=True, max_length=32)
    client_id: str = Field(max_length=32)
    token_id: str | None = Field(default=None, max_length=40)
    hour: datetime
    requested_model: str = Field(max_length=300)
    served_model: str | None = Field(default=None, max_length=300)
    provider: str | None = Field(default=None, max_length=64)
    alias: str | None = Field(default=None, max_length=100)
    agent_name: str | None = Field(default=None, max_length=200)
    # Last of the grouping values: a chat rollup's id is the digest of the others alone,
    # as before kinds (ledger/rollups.py), so migration 0006 keeps the rollups it finds.
    kind: str = Field(default="chat", max_length=16, sa_column_kwargs={"server_default": "chat"})
    requests: int = Field(default=0, sa_type=BigInteger)
    errors: int = Field(default=0, sa_type=BigInteger)
    prompt_tokens: int = Field(default=0, sa_type=BigInteger)
    completion_tokens: int = Field(default=0, sa_type=BigInteger)
    cached_tokens: int = Field(default=0, sa_type=BigInteger)
    reasoning_tokens: int = Field(default=0, sa_type=BigInteger)
    cost_usd: float = 0.0
    latency: str = "[]"
    # Requests answered from the response cache, and requests whose fallback chain holds
    # two or more candidates (migration 0019).
    cache_hits: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    fallbacks: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


class UsageRollupDay(SQLModel, table=True):
    """``usage_rollup`` summed per UTC day instead of per hour (same grouping values, same
    sums, histograms merged), kept by the ledger writer in the same transaction as the
    hourly rollups. ``GET /usage`` reads a window's whole days from here: a month of the
    largest brand is ~13k rows instead of ~107k hourly ones (docs/ledger.md).

    ``id`` is the digest of the grouping values and the day, as the hourly one's.
    """

    __tablename__ = "usage_rollup_day"
    __table_args__ = (
        Index("ix_usage_rollup_day_client_day", "client_id", "day"),
        Index("ix_usage_rollup_day_token_day", "token_id", "day"),
    )
    id: str = Field(primary_key=True, max_length=32)
    client_id: str = Field(max_length=32)
    token_id: str | None = Field(default=None, max_length=40)
    day: datetime
    requested_model: str = Field(max_length=300)
    served_model: str | None = Field(default=None, max_length=300)
    provider: str | None = Field(default=None, max_length=64)
    alias: str | None = Field(default=None, max_length=100)
    agent_name: str | None = Field(default=None, max_length=200)
    kind: str = Field(default="chat", max_length=16, sa_column_kwargs={"server_default": "chat"})
    requests: int = Field(default=0, sa_type=BigInteger)
    errors: int = Field(default=0, sa_type=BigInteger)
    prompt_tokens: int = Field(default=0, sa_type=BigInteger)
    completion_tokens: int = Field(default=0, sa_type=BigInteger)
    cached_tokens: int = Field(default=0, sa_type=BigInteger)
    reasoning_tokens: int = Field(default=0, sa_type=BigInteger)
    cost_usd: float = 0.0
    latency: str = "[]"
    # Requests answered from the response cache, and requests whose fallback chain holds
    # two or more candidates (migration 0019).
    cache_hits: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    fallbacks: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


class StoredResponse(SQLModel, table=True):
    """A Responses API response kept for ``GET /responses/{id}``, its input items and
    ``previous_response_id`` (``gate_service/responses/store.py``), scoped to its brand and
    purged after ``responses_retention_days``.

    ``context`` is the conversation before this response's input (what
    ``previous_response_id`` prepended, as Responses items), so continuing a conversation
    reads one row, not a chain of them; the JSON columns are OpenAI's item shapes.
    """

    __tablename__ = "stored_response"
    __table_args__ = (Index("ix_stored_response_created", "created_at"),)
    id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=32, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # The Response object, the input items and the context, as JSON text.
    response: str
    input_items: str
    context: str


class ConsoleSession(SQLModel, table=True):
    """A web console sign-in (``bridge/console``), in the database so that every replica
    sees it and a sign-out ends it everywhere.

    The session id itself is never stored: ``id_hash`` is its SHA-256, so a copy of this
    table opens no session. The credential the console calls the API with is sealed
    (AES-GCM) under a key derived from the session id, so the row alone does not give it
    back either: only the browser that holds the cookie can.
    """

    __tablename__ = "console_session"
    __table_args__ = (Index("ix_console_session_last_seen", "last_seen_at"),)
    id_hash: str = Field(primary_key=True, max_length=64)
    # client_credential, agent_token or operator.
    kind: str = Field(max_length=32)
    # The brand (empty for the operator) and what the page shows as who is signed in.
    client_id: str = Field(max_length=32)
    label: str = Field(max_length=256)
    sealed: bytes
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class TraceContent(SQLModel, table=True):
    """The captured messages of one request (``gate_service/capture/``), apart from its
    ``request_log`` row: keyed by the same id (the trace id), written in the ledger
    writer's transaction, read only by ``GET /traces/{id}``, purged at ``expires_at``.

    ``input_messages`` and ``output_messages`` are JSON lists of OpenAI-shaped messages,
    secrets already redacted and each message cut to the brand's size cap (the flags say
    whether any was cut).
    """

    __tablename__ = "trace_content"
    __table_args__ = (Index("ix_trace_content_expires", "expires_at"),)
    id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    input_messages: str = "[]"
    output_messages: str = "[]"
    input_truncated: bool = False
    output_truncated: bool = False


class ModelProbe(SQLModel, table=True):
    """What the gateway learnt about one model (catalog id ``provider/model``): the
    probe's verdict (``catalog/probes.py``; all null until probed) and routing's
    measurement of empty answers (``routing/empty_budgets.py``; ``empty_at_budget``
    null when none, or cleared at ``empty_updated_at``)."""

    __tablename__ = "model_probe"
    model_id: str = Field(primary_key=True, max_length=300)
    supports_tools: bool | None = None
    last_probe_status: str | None = Field(default=None, max_length=16)
    probed_at: datetime | None = None
    empty_at_budget: int | None = None
    empty_updated_at: datetime | None = None


class AliasHistory(SQLModel, table=True):
    """One version of a platform alias's chain (``gate_service/aliasadmin``): written by
    every change and every rollback, so any earlier chain can be restored. Version 1 of an
    alias is the chain it had before its first change (the data files' seed, actor
    ``seed``); an alias never changed has no rows. The live chain stays in its
    ``catalog_entry`` row, which routing reads; this table is the record.
    """

    __tablename__ = "alias_history"
    __table_args__ = (Index("ux_alias_history_alias_version", "alias_id", "version", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    alias_id: str = Field(max_length=200)
    version: int
    # The chain as the catalog document holds it: a JSON list of "provider:model".
    chain: str
    # seed, operator or cli.
    actor: str = Field(max_length=64)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class SavedPrompt(SQLModel, table=True):
    """A brand's saved prompt (``gate_service/prompts/``), its current version: what a
    request's ``prompt: "prompt:<id>"`` or ``"prompt.<name>"`` applies. Every version,
    the current one included, is also a :class:`SavedPromptVersion` row, so version N is
    one primary-key read. ``settings`` and ``variables`` are JSON text (an object of
    sampling keys, a list of names). ``last_used_at`` is written behind, in batches.
    """

    __tablename__ = "saved_prompt"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "project_id", "name", name="uq_saved_prompt_name"),
        Index("ix_saved_prompt_client_created", "client_id", "created_at"),
    )
    id: str = Field(primary_key=True, max_length=32)
    client_id: str = Field(foreign_key="brand.client_id", max_length=32)
    project_id: str = Field(max_length=64)
    name: str = Field(max_length=64)
    description: str = Field(default="", max_length=1000)
    system_prompt: str = ""
    model: str = Field(default="", max_length=200)
    settings: str = "{}"
    variables: str = "[]"
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class SavedPromptVersion(SQLModel, table=True):
    """One version of a saved prompt, as it was made (``GET /prompts/{id}?version=N``);
    deleted with its prompt."""

    __tablename__ = "saved_prompt_version"
    prompt_id: str = Field(
        primary_key=True,
        max_length=32,
        sa_column_args=[sa.ForeignKey("saved_prompt.id", ondelete="CASCADE")],
    )
    version: int = Field(primary_key=True)
    name: str = Field(max_length=64)
    description: str = Field(default="", max_length=1000)
    system_prompt: str = ""
    model: str = Field(default="", max_length=200)
    settings: str = "{}"
    variables: str = "[]"
    created_at: datetime = Field(default_factory=utcnow)


class ClientAliasRow(SQLModel, table=True):
    """A brand's client alias (``client:<client_id>/<leaf>``, ``gate_service/client_aliases``).

    One row per (brand, leaf), the primary key; ``slots`` is the chain as a JSON list of
    ``{"key_id", "provider", "model", "enabled"}``, read whole and replaced whole (a chain
    is at most 16 slots and always used together).
    """

    __tablename__ = "client_alias"
    client_id: str = Field(primary_key=True, foreign_key="brand.client_id", max_length=32)
    leaf: str = Field(primary_key=True, max_length=64)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool = True
    slots: str = "[]"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    """A contributor invite (``gate_service/invites``): a brand asks an email address to
    add a provider key to its vault through a mailed link.

    Neither link's token is stored: ``token_hash`` and ``revoke_hash`` are their SHA-256,
    so a copy of this table opens nothing. ``outbox`` holds the link's token sealed with
    the vault cipher only until the mail has gone (or been given up), so a restart or
    another replica can still send it; then it is cleared. ``status`` is stored as
    ``pending``, ``used`` or ``revoked``; ``expired`` is a pending invite past
    ``expires_at``, decided when read.
    """

    __tablename__ = "invite"
    __table_args__ = (
        Index("ix_invite_client_created", "client_id", "created_at"),
        Index("ix_invite_mail_due", "mail_status", "mail_next_at"),
    )
    id: str = Field(primary_key=True, max_length=40)
    client_id: str = Field(foreign_key="brand.client_id", max_length=32)
    email: str = Field(max_length=320)
    provider: str = Field(max_length=64)
    message: str = Field(default="", max_length=2000)
    base_url: str | None = Field(default=None, max_length=500)
    label: str = Field(default="", max_length=200)
    token_hash: str = Field(max_length=64, unique=True)
    revoke_hash: str | None = Field(default=None, max_length=64, unique=True)
    status: str = Field(default="pending", max_length=16)
    revoked_by: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    key_id: str | None = Field(default=None, max_length=40)
    key_preview: str = Field(default="", max_length=32)
    # queued | sent | failed | cancelled
    mail_status: str = Field(default="queued", max_length=16)
    mail_attempts: int = 0
    mail_error: str = Field(default="", max_length=500)
    mail_sent_at: datetime | None = None
    # When the mail may next be tried (also a sender's lease while it tries).
    mail_next_at: datetime | None = None
    outbox: str | None = Field(default=None, max_length=1024)
