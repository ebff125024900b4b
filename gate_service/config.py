"""Settings: one immutable object built once at start-up and passed to whoever needs it.

Nothing reads the environment deep inside the code: ``Settings.from_env`` is the single
place where environment variables and command-line overrides meet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gate_service.telemetry.config import TraceExport

DEFAULT_DATA_DIR = Path(os.path.expanduser("~")) / ".spidergate"


def comma_list(value: str) -> tuple[str, ...]:
    """A command-line list (``--cors-origins a,b``): its items, blanks dropped."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the core and the bridge are configured with."""

    data_dir: Path = DEFAULT_DATA_DIR
    # None: embedded SQLite at <data_dir>/spidergate.db.
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    # How long an authentication result is trusted before the database is asked again.
    # This is the bound on how long a revoked token keeps working on another replica.
    auth_cache_ttl_s: float = 5.0
    # How often provider keys and the catalog are re-read from the database, so changes
    # made by the CLI or another replica are picked up without a restart.
    refresh_interval_s: float = 5.0
    # Seconds SIGTERM waits for in-flight requests and streams before cutting them.
    shutdown_grace_s: float = 10.0
    # Seconds between SIGTERM and the listeners closing, during which the process still
    # serves but says it is not ready (/ready 503, gRPC health NOT_SERVING), so a load
    # balancer's health check (every 0.5-5 s) takes it out before a connection is refused.
    drain_delay_s: float = 5.0
    # Per attempt: how long one upstream call may take to answer (to its headers, and
    # between two stream events) when the request gives no spidergate_options.timeout_ms.
    upstream_timeout_s: float = 60.0
    # ---- Bounds (issue "promises hold under faults and load") -------------------------
    # The overall deadline of a request, over every attempt: a non-streaming answer, or a
    # stream's first chunk, must come within this or the client gets 504
    # upstream_timeout. Separate from (and above) the per-attempt timeout.
    request_deadline_s: float = 120.0
    # Days a stored Responses API response (store: true) is kept; older ones are never
    # returned and are purged (gate_service/responses/store.py).
    responses_retention_days: float = 30.0
    # How often captured trace content past its retention is purged (docs/capture.md),
    # in bounded batches on a thread of its own; 0: never (tools and tests purge themselves).
    capture_purge_interval_s: float = 3600.0
    # Largest request body the bridge reads; past it 413 request_too_large, refused
    # before the body is read past the limit. Sized for a large chat with images.
    max_body_bytes: int = 20 * 1024 * 1024
    # The bound for audio uploads (/audio/transcriptions, /audio/translations) instead:
    # OpenAI's 25 MB file, with room for the form's framing.
    max_upload_bytes: int = 26 * 1024 * 1024
    # Bodies larger than this are parsed in a worker thread, off the event loop.
    json_offload_bytes: int = 256 * 1024
    # Deepest JSON nesting accepted in a request body (400 beyond).
    max_json_depth: int = 64
    # A connection must finish sending a request's headers within this many seconds.
    header_timeout_s: float = 10.0
    # Requests (and streams) served at once by one process; past it an immediate 503
    # overloaded with Retry-After. /health and /metrics are never refused. 512: a burst
    # of 1,500 instant answers keeps the accepted ones' p99 at ~1.4 s on one core, where
    # 1,024 sat at the 2 s edge (docs/limits.md); raise it for many long streams.
    max_concurrent_requests: int = 512
    # Brand keys may not point at loopback, link-local, private or reserved addresses
    # unless the address is inside one of these networks (CIDR, e.g. "10.0.0.0/8").
    allowed_upstream_networks: tuple[str, ...] = ()
    # Origins browsers may call the bridge from (bridge/cors.py): "*" is any origin,
    # without credentials (tokens are headers, never cookies); empty turns CORS off.
    cors_origins: tuple[str, ...] = ("*",)
    # ---- Ledger journal (no record lost: docs/ledger.md) ------------------------------
    # Where each process journals ledger entries before answering (a folder per database,
    # a slot per running process). None: <data_dir>/ledger-journal.
    ledger_journal_dir: Path | None = None
    # Seconds between fsyncs of the journal: the most a power loss can take (a SIGKILL
    # takes nothing acknowledged). 0: never fsync (leave it to the OS).
    ledger_fsync_interval_s: float = 1.0
    # Entries the ledger writer keeps in memory; beyond, it reads them back from disk.
    ledger_queue_size: int = 10_000
    # The most of the process's time ledger reads (/usage, /traces) may take.
    ledger_read_share: float = 0.1
    # Operator token for operator-only RPCs (brand creation, the vault's pool keys); empty
    # disables them.
    operator_token: str = ""
    # Provider keys from the environment: variable name (GROQ_API_KEY, ...) -> secret. The
    # catalog says which variables each provider reads.
    env_keys: dict[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    # "text" or "json" (one object per line, with the request and trace ids).
    log_format: str = "text"
    # One INFO line per finished request (logger spidergate.access); off by default.
    access_log: bool = False
    # OpenTelemetry trace export, from the standard OTEL_* variables (telemetry/config.py),
    # read by `spidergate serve`; None: off, the default.
    trace_export: TraceExport | None = None
    # Master keys of the provider-key vault (Fernet, url-safe base64): the first encrypts,
    # every one decrypts, so a new key goes first and old ones stay until `vault rotate`
    # has re-encrypted every row. Empty: the key file <data_dir>/vault.key (made on first
    # start, owner-only). Kept out of repr so it never reaches a log line.
    vault_keys: tuple[str, ...] = field(default=(), repr=False)
    # Redis for state shared by replicas (the response cache now; counters later). None:
    # in-process, for the embedded default.
    redis_url: str | None = field(default=None, repr=False)
    # Media generation on a pooled key is billed at the provider's cost times (1 + this);
    # on the brand's own key it is billed nothing (media.md).
    media_markup: float = 0.0
    # The web console's sessions (bridge/console): a session unused for console_idle_s, or
    # older than console_max_age_s however used, is over and its cookie opens nothing.
    console_idle_s: float = 1800.0
    console_max_age_s: float = 12 * 3600.0
    # ---- Contributor invites (docs/invites.md) ----------------------------------------
    # The address people reach the bridge at, for links in mails (https://gate.example.com);
    # empty: invites are off (a link needs it).
    public_url: str = ""
    # The mail server invites are sent through; empty host: invites are off.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    # "starttls" (upgrade a plain connection; refused if the server cannot), "ssl"
    # (TLS from the first byte, usually port 465) or "none" (a local relay only).
    smtp_security: str = "starttls"
    # How long an invite's link works.
    invite_ttl_s: float = 72 * 3600.0
    # A mail that failed for a passing reason is retried after this, doubling each time,
    # up to invite_mail_attempts tries.
    invite_mail_retry_s: float = 30.0
    invite_mail_attempts: int = 6

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL: the configured one, or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'spidergate.db'}"

    @property
    def vault_key_file(self) -> Path:
        """Where the embedded default keeps its vault key when no vault_keys are set."""
        return self.data_dir / "vault.key"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from environment variables, then apply non-None overrides."""
        env = dict(os.environ if env is None else env)
        base = cls(
            data_dir=Path(env.get("SPIDERGATE_DATA_DIR", str(DEFAULT_DATA_DIR))),
            database_url=env.get("DATABASE_URL") or None,
            operator_token=env.get("SPIDERGATE_OPERATOR_TOKEN", ""),
            redis_url=env.get("REDIS_URL") or None,
            log_level=env.get("SPIDERGATE_LOG_LEVEL", "INFO"),
            log_format=env.get("SPIDERGATE_LOG_FORMAT", "text"),
            access_log=env.get("SPIDERGATE_ACCESS_LOG", "").lower() in ("1", "true", "yes"),
            console_idle_s=float(env.get("SPIDERGATE_CONSOLE_IDLE_S", "1800")),
            console_max_age_s=float(env.get("SPIDERGATE_CONSOLE_MAX_AGE_S", str(12 * 3600))),
            public_url=env.get("SPIDERGATE_PUBLIC_URL", ""),
            smtp_host=env.get("SPIDERGATE_SMTP_HOST", ""),
            smtp_port=int(env.get("SPIDERGATE_SMTP_PORT", "587")),
            smtp_from=env.get("SPIDERGATE_SMTP_FROM", ""),
            smtp_user=env.get("SPIDERGATE_SMTP_USER", ""),
            smtp_password=env.get("SPIDERGATE_SMTP_PASSWORD", ""),
            smtp_security=env.get("SPIDERGATE_SMTP_SECURITY", "starttls"),
            vault_keys=tuple(
                k.strip() for k in env.get("SPIDERGATE_VAULT_KEYS", "").split(",") if k.strip()
            ),
            env_keys={k: v for k, v in env.items() if k.endswith("_API_KEY") and v},
            allowed_upstream_networks=tuple(
                n.strip()
                for n in env.get("SPIDERGATE_ALLOWED_UPSTREAM_NETWORKS", "").split(",")
                if n.strip()
            ),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in clean:
            clean["data_dir"] = Path(clean["data_dir"])
        return replace(base, **clean)
