"""What operators see of brands and agent tokens: plain values that hold no secret.

Kept apart from :mod:`gate_service.auth.identity` (which creates and changes the rows)
because the servicers and the CLI show these without touching the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gate_service.auth import controls as checks
from gate_service.auth.principal import BrandControls, TokenControls
from gate_service.storage.models import AgentToken, Brand


@dataclass(frozen=True, slots=True)
class BrandView:
    """A brand as shown to operators; holds no secret."""

    client_id: str
    name: str
    created_at: datetime
    controls: BrandControls = field(default_factory=BrandControls)


@dataclass(frozen=True, slots=True)
class TokenView:
    """An agent token as listed: its public id and prefix, never the token itself."""

    id: str
    client_id: str
    name: str
    scopes: tuple[str, ...]
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    controls: TokenControls = field(default_factory=TokenControls)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def brand_view(row: Brand) -> BrandView:
    """The view of a ``brand`` row."""
    return BrandView(
        client_id=row.client_id,
        name=row.name,
        created_at=row.created_at,
        controls=checks.brand_controls(row),
    )


def token_view(row: AgentToken) -> TokenView:
    """The view of an ``agent_token`` row."""
    return TokenView(
        id=row.id,
        client_id=row.client_id,
        name=row.name,
        scopes=tuple(row.scopes.split()),
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        controls=checks.token_controls(row),
    )
