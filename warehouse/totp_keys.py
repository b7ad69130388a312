"""TOTP secrets encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256), keys kept outside the database.

In warehouse/ because the column it protects is stored here and a migration (0006_totp_encrypted)
encrypts existing secrets; the review app (accounts) uses it through ``BOX``.

Keys, newest first: ``SAFETYNET_TOTP_KEYS`` (comma-separated Fernet keys; production: from the
service's secret store), else the key file ``SAFETYNET_TOTP_KEY_FILE`` (default ``var/totp.keys``,
one key a line, mode 0600; created with a fresh key the first time a secret is stored). The first
key encrypts; every key decrypts (``MultiFernet``), so a rotation never locks anyone out:
``safetynet users rotate-key`` (see ``review/README.md``, "TOTP secrets at rest").

A copy of the warehouse (a backup, a dump, a stolen disk image) without the key gives no usable
one-time-code secret; the password hashes beside them are argon2id.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

import settings

KEYS_ENV = "SAFETYNET_TOTP_KEYS"
KEY_FILE_ENV = "SAFETYNET_TOTP_KEY_FILE"
#: every Fernet token starts with its version byte 0x80, base64url "gAAAAA"; a base32 secret never does
TOKEN_PREFIX = "gAAAAA"


class TotpKeyError(RuntimeError):
    """No usable key: names where keys are looked for, never a key."""


def key_file() -> Path:
    return settings.current().totp_key_file


def _read_keys(create: bool) -> list[bytes]:
    env = settings.current().totp_keys
    if env:
        return [k.strip().encode() for k in env.split(",") if k.strip()]
    path = key_file()
    if path.is_file():
        keys = [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]
        if keys:
            return keys
    if not create:
        raise TotpKeyError(f"no TOTP encryption key: set {KEYS_ENV} or provide the key file {path}")
    write_key_file(path, [Fernet.generate_key()])
    return _read_keys(create=False)


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Write the keys (newest first) to ``path``, mode 0600, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(k.decode() + "\n" for k in keys))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


class SecretBox:
    """Encrypts and decrypts TOTP secrets; re-reads the keys once when a token does not decrypt
    (another process rotated them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fernet: MultiFernet | None = None

    def _keys(self, create: bool = False, reload: bool = False) -> MultiFernet:
        with self._lock:
            if self._fernet is None or reload:
                try:
                    self._fernet = MultiFernet([Fernet(k) for k in _read_keys(create)])
                except ValueError:
                    raise TotpKeyError(
                        f"a TOTP key in {KEYS_ENV} / {key_file()} is not a Fernet key"
                    ) from None
            return self._fernet

    def encrypt(self, secret: str) -> str:
        return self._keys(create=True).encrypt(secret.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(TOKEN_PREFIX):
            raise TotpKeyError("a TOTP secret is stored unencrypted: run the warehouse migrations")
        try:
            return self._keys().decrypt(stored.encode()).decode()
        except InvalidToken:
            try:
                return self._keys(reload=True).decrypt(stored.encode()).decode()
            except InvalidToken:
                raise TotpKeyError(
                    f"no key in {KEYS_ENV} / {key_file()} decrypts a stored TOTP secret"
                ) from None

    def rotate(self, stored: str) -> str:
        """The same secret under the first key (``MultiFernet.rotate``)."""
        if not stored.startswith(TOKEN_PREFIX):
            return self.encrypt(stored)
        return self._keys().rotate(stored.encode()).decode()

    def forget(self) -> None:
        with self._lock:
            self._fernet = None


#: one per process
BOX = SecretBox()
