"""TOTP secrets at rest: encrypted with a key kept outside the database, existing plain secrets
migrated, keys rotated without locking anyone out (SQLite; the SQL is the same on PostgreSQL)."""

from __future__ import annotations

import io
import os
import stat

import pyotp
import pytest
import sqlalchemy as sa

from review.accounts import authenticate, rotate_totp_key
from review.settings import ReviewSettings
from tests.review_support import PASSWORD, add_user
from warehouse import Warehouse
from warehouse.totp_keys import BOX, KEYS_ENV, TOKEN_PREFIX, TotpKeyError


def stored_secret(wh: Warehouse, name: str = "cora") -> str:
    with wh.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT totp_secret FROM review_users WHERE username = :n"), {"n": name}
        ).scalar_one()


def can_log_in(wh: Warehouse, secret: str, step_offset: int = 0) -> bool:
    import time

    code = pyotp.TOTP(secret).at(time.time() + 30 * step_offset)
    return authenticate(wh.engine, ReviewSettings(), "cora", PASSWORD, code).outcome == "ok"


@pytest.fixture
def wh(sqlite_url):
    warehouse = Warehouse(sqlite_url)
    warehouse.migrate()
    yield warehouse
    warehouse.dispose()


def test_the_secret_is_stored_encrypted_and_never_in_the_database_files(wh, totp_key_file, tmp_path):
    secret = add_user(wh, "cora", "coordinator")
    stored = stored_secret(wh)
    assert stored.startswith(TOKEN_PREFIX) and secret not in stored
    assert can_log_in(wh, secret)
    wh.dispose()
    for path in tmp_path.glob("warehouse.db*"):  # the file, its WAL and shared memory
        assert secret.encode() not in path.read_bytes(), path.name
    assert stat.S_IMODE(totp_key_file.stat().st_mode) == 0o600


def test_without_the_key_no_secret_can_be_read(wh, monkeypatch, tmp_path):
    secret = add_user(wh, "cora", "coordinator")
    monkeypatch.setenv("SAFETYNET_TOTP_KEY_FILE", str(tmp_path / "missing.keys"))
    BOX.forget()
    with pytest.raises(TotpKeyError, match="no TOTP encryption key") as exc:
        can_log_in(wh, secret)
    assert secret not in str(exc.value)


def test_existing_plain_secrets_are_encrypted_by_the_migration(sqlite_url):
    wh = Warehouse(sqlite_url)
    wh.migrate("0005_seal_review")
    secret = pyotp.random_base32()
    from argon2 import PasswordHasher

    with wh.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO review_users (username, role, password_hash, totp_secret, active, failed_logins,"
                " created_at) VALUES ('cora', 'coordinator', :h, :s, 1, 0, CURRENT_TIMESTAMP)"
            ),
            {"h": PasswordHasher().hash(PASSWORD), "s": secret},
        )
    wh.migrate()
    assert stored_secret(wh).startswith(TOKEN_PREFIX)
    assert can_log_in(wh, secret)
    wh.dispose()


def test_rotating_the_key_file_re_encrypts_every_secret_and_drops_the_old_key(wh, totp_key_file):
    secret = add_user(wh, "cora", "coordinator")
    old_key, before = totp_key_file.read_text(), stored_secret(wh)
    count, message = rotate_totp_key(wh.engine)
    assert count >= 1 and "old one is gone" in message
    new_key = totp_key_file.read_text()
    assert new_key != old_key and len(new_key.split()) == 1
    assert stored_secret(wh) != before
    assert can_log_in(wh, secret)
    assert stat.S_IMODE(totp_key_file.stat().st_mode) == 0o600


def test_rotating_with_keys_from_the_environment(wh, monkeypatch):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv(KEYS_ENV, old)
    BOX.forget()
    secret = add_user(wh, "cora", "coordinator")
    monkeypatch.setenv(KEYS_ENV, f"{new},{old}")  # the operator puts the new key first
    BOX.forget()
    assert rotate_totp_key(wh.engine)[0] == 1
    monkeypatch.setenv(KEYS_ENV, new)  # ... and can then remove the old one
    BOX.forget()
    assert can_log_in(wh, secret)
    BOX.forget()


def test_safetynet_users_rotate_key(wh, monkeypatch, capsys):
    from safetynet.cli import main

    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", wh.url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    assert main(["users", "add", "dana", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["users", "rotate-key"]) == 0
    assert "1 TOTP secrets re-encrypted" in capsys.readouterr().out
    with wh.engine.connect() as conn:
        actions = conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
    assert actions == ["user_add", "totp_key_rotated"]
    assert os.environ.get(KEYS_ENV) is None
