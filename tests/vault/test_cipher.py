"""The vault's encryption: Fernet tokens, rotation, and where the master keys come from."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken

from gate_service.config import Settings
from gate_service.vault.cipher import (
    PREFIX,
    VaultCipher,
    VaultKeyError,
    generate_key,
    load_cipher,
    read_key_file,
    write_key_file,
)

SECRET = "sk-or-v1-0123456789abcdefxyz"


def test_encrypt_and_decrypt() -> None:
    cipher = VaultCipher([generate_key()])
    stored = cipher.encrypt(SECRET)
    assert stored.startswith(PREFIX) and SECRET not in stored
    assert cipher.is_sealed(stored) and not cipher.is_sealed(SECRET)
    assert cipher.decrypt(stored) == SECRET
    assert cipher.encrypt(SECRET) != stored  # a fresh IV every time
    assert cipher.decrypt(cipher.encrypt("")) == ""


def test_a_wrong_key_or_plaintext_does_not_decrypt() -> None:
    stored = VaultCipher([generate_key()]).encrypt(SECRET)
    other = VaultCipher([generate_key()])
    with pytest.raises(InvalidToken):
        other.decrypt(stored)
    with pytest.raises(InvalidToken):
        other.decrypt(SECRET)
    assert not other.can_decrypt(stored)


def test_rotation_keeps_old_rows_readable_and_rotate_moves_them() -> None:
    old, new = generate_key(), generate_key()
    written_with_old = VaultCipher([old]).encrypt(SECRET)
    both = VaultCipher([new, old])  # the new key first: it encrypts, both decrypt
    assert both.decrypt(written_with_old) == SECRET
    assert VaultCipher([old]).can_decrypt(both.encrypt(SECRET)) is False

    rotated = both.rotate(written_with_old)
    assert VaultCipher([new]).decrypt(rotated) == SECRET  # the old key is no longer needed
    assert not VaultCipher([old]).can_decrypt(rotated)
    assert both.rotate(SECRET).startswith(PREFIX)  # plaintext gets sealed


def test_nothing_secret_in_reprs_or_errors() -> None:
    key = generate_key()
    assert key not in repr(VaultCipher([key]))
    with pytest.raises(VaultKeyError) as caught:
        VaultCipher([key, "not-a-key"])
    assert "#2" in str(caught.value) and "not-a-key" not in str(caught.value)
    settings = Settings(vault_keys=(key,), operator_token="")
    assert key not in repr(settings)


def test_settings_read_the_keys_from_the_environment(tmp_path: Path) -> None:
    a, b = generate_key(), generate_key()
    settings = Settings.from_env(env={"SPIDERGATE_VAULT_KEYS": f" {a}, {b} ,"}, data_dir=tmp_path)
    assert settings.vault_keys == (a, b)
    assert Settings.from_env(env={}).vault_keys == ()
    cipher = load_cipher(settings)
    assert cipher.key_count == 2
    assert not (tmp_path / "vault.key").exists()  # configured keys: no key file
    bad = Settings.from_env(env={"SPIDERGATE_VAULT_KEYS": "nope"}, data_dir=tmp_path)
    with pytest.raises(VaultKeyError, match="SPIDERGATE_VAULT_KEYS"):
        load_cipher(bad)


def test_key_file_is_created_owner_only_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    first = load_cipher(settings)
    path = settings.vault_key_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = first.encrypt(SECRET)
    assert load_cipher(settings).decrypt(stored) == SECRET  # same key on the next start


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_key_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    settings = Settings(data_dir=tmp_path)
    load_cipher(settings)
    os.chmod(settings.vault_key_file, mode)
    with pytest.raises(VaultKeyError) as caught:
        load_cipher(settings)
    message = str(caught.value)
    assert "chmod 600" in message and f"{mode:04o}" in message
    assert settings.vault_key_file.read_text().strip() not in message


def test_key_file_with_several_keys_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    old, new = generate_key(), generate_key()
    write_key_file(path, [new, old])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text(f"# rotated\n{new}\n\n{old}\n")
    os.chmod(path, 0o600)
    assert read_key_file(path, create=False) == [new, old]
    path.write_text("# nothing\n")
    with pytest.raises(VaultKeyError, match="holds no key"):
        read_key_file(path, create=False)
    with pytest.raises(VaultKeyError, match="does not exist"):
        read_key_file(tmp_path / "missing.key", create=False)
