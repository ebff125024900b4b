"""Contributor invites: a brand invites an email address to add a provider key to its
vault through a mailed, single-use link (docs/invites.md)."""

from gate_service.invites.records import InviteView, NewInvite
from gate_service.invites.service import InviteService

__all__ = ["InviteService", "InviteView", "NewInvite"]
