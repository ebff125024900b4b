"""The vault: provider keys (API keys of provider accounts), pool and brand-owned.

For now a plain table behind :class:`~gate_service.vault.keys.KeyStore`; encryption at
rest and key pooling/health arrive with the vault issue, behind the same interface.
"""

from gate_service.vault.keys import KeyRecord, KeyStore, KeyView, mask

__all__ = ["KeyRecord", "KeyStore", "KeyView", "mask"]
