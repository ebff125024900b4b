"""The vault: provider keys (API keys of provider accounts), pool and brand-owned.

Encrypted at rest (``cipher``), stored and owned (``keys``), validated (``validation``),
summarised for humans (``health``), tested against the provider (``probe``) and managed
on behalf of a caller (``manager``). Only masked previews ever leave it.
"""

from gate_service.vault.cipher import VaultCipher, VaultKeyError, load_cipher
from gate_service.vault.keys import KeyStore
from gate_service.vault.records import KeyOptions, KeyPatch, KeyRecord, KeyView, mask

__all__ = [
    "KeyOptions",
    "KeyPatch",
    "KeyRecord",
    "KeyStore",
    "KeyView",
    "VaultCipher",
    "VaultKeyError",
    "load_cipher",
    "mask",
]
