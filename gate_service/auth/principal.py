"""The authenticated caller, as every handler after authentication sees it.

A principal carries the controls that apply to it (auth-and-controls.md, "Per-token
controls"), read from the database together with the token, so the request path enforces
them from the authentication cache without another query. A control changed by the CLI
therefore reaches a running gateway within the cache's TTL (``Settings.auth_cache_ttl_s``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ALL_SCOPES: tuple[str, ...] = ("gate:chat", "gate:models", "gate:usage")
BUDGET_MODES: tuple[str, ...] = ("soft", "hard")

PrincipalKind = Literal["client_credential", "agent_token"]


@dataclass(frozen=True, slots=True)
class TokenControls:
    """An agent token's own limits; the defaults mean "no limit".

    ``rpm`` / ``rpd``: requests per sliding minute / day. ``budget_usd``: monthly cap,
    ``budget_mode`` ``soft`` (warn) or ``hard`` (402). ``allowed_models``: aliases and
    concrete ids, empty for every model. ``free_only``: only free-tier models may serve.
    """

    rpm: int | None = None
    rpd: int | None = None
    budget_usd: float | None = None
    budget_mode: str = "hard"
    allowed_models: frozenset[str] = frozenset()
    free_only: bool = False
    # Content capture: None follows the brand; True / False overrides it for this token.
    capture: bool | None = None


@dataclass(frozen=True, slots=True)
class BrandControls:
    """A brand's monthly budget and the day of the month (UTC) its budgets reset, and
    its content capture settings (docs/capture.md): off by default; kept
    ``capture_retention_days`` days, each message cut to ``capture_max_chars``."""

    budget_usd: float | None = None
    budget_mode: str = "hard"
    billing_anchor_day: int = 1
    capture_enabled: bool = False
    capture_retention_days: int = 30
    capture_max_chars: int = 32768


@dataclass(frozen=True, slots=True)
class Principal:
    """A brand, and for agent tokens the agent, on whose behalf a request runs.

    Usage, spend and traces are attributed to ``client_id``; ``token_id`` (agent tokens
    only) selects the per-token controls. Client credentials carry every scope and no
    token controls; the brand's controls apply to both kinds.
    """

    client_id: str
    brand_name: str
    kind: PrincipalKind
    token_id: str | None
    agent_name: str | None
    scopes: frozenset[str]
    controls: TokenControls = field(default_factory=TokenControls)
    brand_controls: BrandControls = field(default_factory=BrandControls)

    @property
    def captures(self) -> bool:
        """Whether this caller's requests have their messages captured: the token's
        override when it has one, else the brand's setting. The one check the request
        path makes when capture is off."""
        own = self.controls.capture
        return self.brand_controls.capture_enabled if own is None else own

    def has_scope(self, scope: str) -> bool:
        """Whether the caller may use what ``scope`` guards."""
        return scope in self.scopes
