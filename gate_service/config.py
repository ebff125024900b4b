"""Settings: one immutable object built once at start-up and passed to whoever needs it.

Nothing reads the environment deep inside the code: ``Settings.from_env`` is the single
place where environment variables and command-line overrides meet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path(os.path.expanduser("~")) / ".spidergate"


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
    # Default upstream timeout when the request gives no spidergate_options.timeout_ms.
    upstream_timeout_s: float = 120.0
    # Operator token for operator-only RPCs (brand creation, the vault's pool keys); empty
    # disables them.
    operator_token: str = ""
    # Provider keys from the environment: variable name (GROQ_API_KEY, ...) -> secret. The
    # catalog says which variables each provider reads.
    env_keys: dict[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    # Master keys of the provider-key vault (Fernet, url-safe base64): the first encrypts,
    # every one decrypts, so a new key goes first and old ones stay until `vault rotate`
    # has re-encrypted every row. Empty: the key file <data_dir>/vault.key (made on first
    # start, owner-only). Kept out of repr so it never reaches a log line.
    vault_keys: tuple[str, ...] = field(default=(), repr=False)
    # Redis for state shared by replicas (the response cache now; counters later). None:
    # in-process, for the embedded default.
    redis_url: str | None = field(default=None, repr=False)

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
            vault_keys=tuple(
                k.strip() for k in env.get("SPIDERGATE_VAULT_KEYS", "").split(",") if k.strip()
            ),
            env_keys={k: v for k, v in env.items() if k.endswith("_API_KEY") and v},
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in clean:
            clean["data_dir"] = Path(clean["data_dir"])
        return replace(base, **clean)
