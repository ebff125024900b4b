"""The authenticated caller, as every handler after authentication sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ALL_SCOPES: tuple[str, ...] = ("gate:chat", "gate:models", "gate:usage")

PrincipalKind = Literal["client_credential", "agent_token"]


@dataclass(frozen=True, slots=True)
class Principal:
    """A brand, and for agent tokens the agent, on whose behalf a request runs.

    Usage, spend and traces are attributed to ``client_id``; ``token_id`` (agent tokens
    only) selects the per-token controls. Client credentials carry every scope.
    """

    client_id: str
    brand_name: str
    kind: PrincipalKind
    token_id: str | None
    agent_name: str | None
    scopes: frozenset[str]

    def has_scope(self, scope: str) -> bool:
        """Whether the caller may use what ``scope`` guards."""
        return scope in self.scopes
