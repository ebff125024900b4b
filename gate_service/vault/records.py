"""The vault's plain types: what a key looks like outside the database.

``KeyView`` is the only shape that leaves the vault for answers, lists and logs: it has
no secret field at all, only the masked preview. ``KeyRecord`` adds the decrypted secret
for the routing snapshot, kept out of ``repr``. ``KeyOptions`` are the tunables a caller
sets (routing order, the account's limits, sharing); ``NewKey`` and ``KeyPatch`` are what
a caller asks to create or change, ``KeyQuery`` what it asks to list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gate_service.routing.health import Limits

SPEND_PERIODS = ("daily", "monthly")
SPEND_ACTIONS = ("warn", "block")
DEFAULT_PRIORITY = 100

_ELLIPSIS = "…"
# Below this length a secret shows only its last 2 characters; below _TINY, none.
_SHORT = 16
_TINY = 6


def mask(secret: str) -> str:
    """A preview safe to show, log or return: at most 7 characters of the secret.

    ``sk-or-v1-abcxyz`` -> ``sk-o…xyz``; a short secret shows its last 2 characters, a
    tiny one nothing, so a preview never gives away a meaningful share of a secret.
    """
    if not secret:
        return ""
    if len(secret) >= _SHORT:
        return f"{secret[:4]}{_ELLIPSIS}{secret[-3:]}"
    if len(secret) >= _TINY:
        return f"{_ELLIPSIS}{secret[-2:]}"
    return _ELLIPSIS


@dataclass(frozen=True, slots=True)
class KeyOptions:
    """How routing treats a key. Limits of None mean unlimited."""

    primary: bool = False
    # Lower runs first; keys of equal priority share the load by headroom.
    priority: int = DEFAULT_PRIORITY
    rpm_limit: int | None = None
    rpd_limit: int | None = None
    spend_limit_usd: float | None = None
    spend_period: str = "monthly"
    spend_action: str = "warn"
    supports_embeddings: bool = False
    # A brand key shared into the pool serves every brand, after each brand's own keys.
    shared: bool = False

    @property
    def limits(self) -> Limits:
        """The routing view of these limits."""
        return Limits(
            rpm=self.rpm_limit,
            rpd=self.rpd_limit,
            spend_limit_usd=self.spend_limit_usd,
            spend_period=self.spend_period,
            spend_block=self.spend_action == "block",
        )


@dataclass(frozen=True, slots=True)
class KeyView:
    """A provider key as shown anywhere: the masked preview, never the secret."""

    id: str
    client_id: str | None  # None: a pool key (the operator's), serving every brand
    provider: str
    preview: str
    base_url: str | None
    label: str
    active: bool
    created_at: datetime
    updated_at: datetime
    options: KeyOptions = field(default_factory=KeyOptions)

    @property
    def is_pool(self) -> bool:
        return self.client_id is None


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A provider key with its secret, for the routing snapshot only.

    The secret is left out of ``repr`` so it never reaches a log line or a traceback.
    """

    view: KeyView
    secret: str = field(repr=False)
    # The provider refused it (401/403) and it was not edited since: routing skips it.
    invalid: bool = False

    @property
    def id(self) -> str:
        return self.view.id

    @property
    def client_id(self) -> str | None:
        return self.view.client_id

    @property
    def provider(self) -> str:
        return self.view.provider

    @property
    def preview(self) -> str:
        return self.view.preview


@dataclass(frozen=True, slots=True)
class KeyPatch:
    """A partial update: None leaves a field as it is.

    For the limits, 0 removes the limit (a limit of zero would be meaningless); an empty
    ``base_url`` removes the key's own address. A new ``secret`` replaces the old one.
    """

    secret: str | None = field(default=None, repr=False)
    base_url: str | None = None
    label: str | None = None
    active: bool | None = None
    primary: bool | None = None
    priority: int | None = None
    rpm_limit: int | None = None
    rpd_limit: int | None = None
    spend_limit_usd: float | None = None
    spend_period: str | None = None
    spend_action: str | None = None
    supports_embeddings: bool | None = None
    shared: bool | None = None

    @property
    def gives_fresh_chance(self) -> bool:
        """Whether the key deserves a clean health record afterwards: it was edited in a
        way that may have fixed it (new secret or address) or was switched back on."""
        return self.secret is not None or self.base_url is not None or self.active is True


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key to create, and whether to test it against the provider first."""

    provider: str
    secret: str = field(repr=False)
    base_url: str | None = None
    label: str = ""
    options: KeyOptions = field(default_factory=KeyOptions)
    active: bool = True
    test_connection: bool = False
    test_model: str | None = None


@dataclass(frozen=True, slots=True)
class KeyQuery:
    """Filters of a key listing; None and False mean "any"."""

    provider: str | None = None
    active: bool | None = None
    include_pool: bool = False
    state: str | None = None
