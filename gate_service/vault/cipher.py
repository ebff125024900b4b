"""Encryption at rest for provider keys: Fernet under one or more master keys.

Why Fernet: authenticated (AES-128-CBC + HMAC-SHA256), versioned tokens, and
``MultiFernet`` gives rotation for free: the first master key encrypts, every configured
key decrypts, and ``rotate`` re-encrypts a token under the first. Stored values carry a
``fernet:`` prefix so a plaintext row from before encryption (schema 0001) is recognised
and sealed at start-up instead of being mistaken for ciphertext.

Where the master keys come from (``load_cipher``): ``Settings.vault_keys``
(``SPIDERGATE_VAULT_KEYS``, comma-separated) when set: what several replicas sharing one
PostgreSQL must use. Otherwise the key file ``<data_dir>/vault.key``, created on first use
with mode 0600 and refused when group or others may read it. The file may hold several
keys, one per line, first encrypts (``spidergate vault rotate --generate`` prepends one).

Nothing here ever puts a master key or a secret in a message, a repr or a log line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

if TYPE_CHECKING:
    from gate_service.config import Settings

PREFIX = "fernet:"
_PRIVATE_BITS = stat.S_IRWXG | stat.S_IRWXO


class VaultKeyError(Exception):
    """The vault's master keys are missing, unsafe, malformed or do not fit the data."""


class VaultCipher:
    """Encrypts and decrypts stored secrets; ``keys[0]`` encrypts, all of them decrypt."""

    __slots__ = ("_fernet", "key_count")

    def __init__(self, keys: tuple[str, ...] | list[str]) -> None:
        if not keys:
            raise VaultKeyError("no vault key configured")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode()))
            except ValueError:
                raise VaultKeyError(
                    f"vault key #{position} is not a Fernet key"
                    " (32 url-safe base64-encoded bytes, e.g. from `spidergate vault generate-key`)"
                ) from None
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    def __repr__(self) -> str:
        return f"VaultCipher(keys={self.key_count})"

    @staticmethod
    def is_sealed(stored: str) -> bool:
        """Whether a stored value is ciphertext (else: a plaintext row to seal)."""
        return stored.startswith(PREFIX)

    def encrypt(self, secret: str) -> str:
        """The stored form of a secret: ``fernet:`` + a token under the primary key."""
        return PREFIX + self._fernet.encrypt(secret.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The secret behind a stored value; ``InvalidToken`` when no key fits."""
        if not self.is_sealed(stored):
            raise InvalidToken
        return self._fernet.decrypt(stored[len(PREFIX) :].encode("ascii")).decode()

    def can_decrypt(self, stored: str) -> bool:
        try:
            self.decrypt(stored)
        except InvalidToken:
            return False
        return True

    def rotate(self, stored: str) -> str:
        """The same secret re-encrypted under the primary key (plaintext gets sealed)."""
        if not self.is_sealed(stored):
            return self.encrypt(stored)
        token = self._fernet.rotate(stored[len(PREFIX) :].encode("ascii"))
        return PREFIX + token.decode("ascii")


def generate_key() -> str:
    """A fresh master key."""
    return Fernet.generate_key().decode("ascii")


def load_cipher(settings: Settings) -> VaultCipher:
    """The configured keys, else the key file (created on first use)."""
    if settings.vault_keys:
        try:
            return VaultCipher(settings.vault_keys)
        except VaultKeyError as error:
            raise VaultKeyError(f"SPIDERGATE_VAULT_KEYS: {error}") from None
    return VaultCipher(read_key_file(settings.vault_key_file, create=True))


def read_key_file(path: Path, *, create: bool) -> list[str]:
    """The keys in a key file, first one first; refuses a file others can read."""
    if create and not path.exists():
        _create_key_file(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise VaultKeyError(f"the vault key file {path} does not exist") from None
    if mode & _PRIVATE_BITS:
        raise VaultKeyError(
            f"the vault key file {path} is accessible by other users"
            f" (mode {stat.S_IMODE(mode):04o}); it must be owner-only: chmod 600 {path}"
        )
    lines = path.read_text().splitlines()
    keys = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not keys:
        raise VaultKeyError(f"the vault key file {path} holds no key")
    try:
        VaultCipher(keys)
    except VaultKeyError as error:
        raise VaultKeyError(f"{path}: {error}") from None
    return keys


def write_key_file(path: Path, keys: list[str]) -> None:
    """Replace the key file atomically, owner-only from the first byte."""
    temporary = _write_private(path, keys)
    os.replace(temporary, path)


def _create_key_file(path: Path) -> None:
    """Create the file with a new key unless another process just did.

    Written aside, then hard-linked into place: the link fails if the file exists, and
    nobody ever sees a half-written file.
    """
    temporary = _write_private(path, [generate_key()])
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _write_private(path: Path, keys: list[str]) -> Path:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, ("\n".join(keys) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return temporary
