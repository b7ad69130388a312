"""Accounts, logins with lockout, and server-side sessions (tokens hashed at rest).

A session cookie carries 32 random bytes; the warehouse stores only their SHA-256, with the
session's CSRF token, its last use (idle expiry) and its start (absolute expiry).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from review.passwords import hash_password, new_totp_secret, totp_step, verify_password
from review.settings import ReviewSettings
from warehouse.db import utcnow, write_transaction
from warehouse.models import USER_ROLES, ReviewSession, ReviewUser

USERS = ReviewUser.__table__
SESSIONS = ReviewSession.__table__
#: a session's last use is written at most this often (reads stay reads)
TOUCH_EVERY = timedelta(seconds=15)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str


@dataclass(frozen=True)
class Session:
    token_hash: str
    user: User
    csrf_token: str
    skipped: tuple[int, ...]


class AccountError(ValueError):
    """A user-facing problem with an account command (name taken, unknown role, weak password)."""


def create_user(engine: sa.Engine, username: str, role: str, password: str) -> str:
    """A new active account; returns its TOTP secret (shown once, to be put in an authenticator)."""
    username = username.strip()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise AccountError("a user name is 1-64 letters, digits, '.', '-' or '_'")
    if role not in USER_ROLES:
        raise AccountError(f"role must be one of: {', '.join(USER_ROLES)}")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    secret = new_totp_secret()
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(USERS.c.id).where(USERS.c.username == username)).first():
            raise AccountError(f"user {username!r} already exists")
        conn.execute(
            sa.insert(USERS).values(
                username=username,
                role=role,
                password_hash=password_hash,
                totp_secret=secret,
                active=True,
                failed_logins=0,
                created_at=utcnow(),
            )
        )
    return secret


def list_users(conn: sa.Connection) -> list[dict]:
    cols = [
        USERS.c[c]
        for c in (
            "id",
            "username",
            "role",
            "active",
            "failed_logins",
            "locked_until",
            "created_at",
            "last_login_at",
        )
    ]
    return [dict(r) for r in conn.execute(sa.select(*cols).order_by(USERS.c.username)).mappings()]


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    #: ok | bad_credentials | locked | inactive
    outcome: str


def authenticate(
    conn: sa.Connection, settings: ReviewSettings, username: str, password: str, code: str
) -> LoginResult:
    """Password and one-time code together; counts failures and locks the account after too many.

    A locked account refuses even correct credentials until the lock expires.
    """
    now = utcnow()
    row = conn.execute(sa.select(USERS).where(USERS.c.username == username.strip())).mappings().first()
    password_ok = verify_password(row["password_hash"] if row else None, password)
    if row is None:
        return LoginResult(None, "bad_credentials")
    if row["locked_until"] is not None and row["locked_until"] > now:
        return LoginResult(None, "locked")
    step = totp_step(row["totp_secret"], code, row["totp_last_step"]) if password_ok else None
    if step is None:
        failures = (0 if row["locked_until"] is not None else row["failed_logins"]) + 1
        locked = (
            now + timedelta(minutes=settings.lockout_minutes)
            if failures >= settings.max_failed_logins
            else None
        )
        conn.execute(
            sa.update(USERS)
            .where(USERS.c.id == row["id"])
            .values(failed_logins=failures, locked_until=locked)
        )
        return LoginResult(None, "locked" if locked else "bad_credentials")
    if not row["active"]:
        return LoginResult(None, "inactive")
    conn.execute(
        sa.update(USERS)
        .where(USERS.c.id == row["id"])
        .values(failed_logins=0, locked_until=None, totp_last_step=step, last_login_at=now)
    )
    return LoginResult(User(row["id"], row["username"], row["role"]), "ok")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn: sa.Connection, user: User) -> tuple[str, str]:
    """A new session for ``user``: returns (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        sa.insert(SESSIONS).values(
            token_hash=_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            skipped=[],
        )
    )
    return token, csrf


def load_session(
    engine: sa.Engine, settings: ReviewSettings, token: str | None
) -> tuple[Session | None, str]:
    """The live session behind a cookie, or (None, why): ``none``, ``unknown``, ``ended``, ``expired``.

    A read, except when the session expires or its last use is due to be written (every 15 s), so
    requests do not queue behind one another for the write lock.
    """
    if not token:
        return None, "none"
    now = utcnow()
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(SESSIONS, USERS.c.username, USERS.c.role, USERS.c.active)
                .join(USERS, USERS.c.id == SESSIONS.c.user_id)
                .where(SESSIONS.c.token_hash == _hash(token))
            )
            .mappings()
            .first()
        )
    if row is None:
        return None, "unknown"
    if row["ended_at"] is not None or not row["active"]:
        return None, "ended"
    this = SESSIONS.c.token_hash == row["token_hash"]
    idle = now - row["last_seen_at"] > timedelta(minutes=settings.idle_minutes)
    if idle or now - row["created_at"] > timedelta(hours=settings.absolute_hours):
        with write_transaction(engine) as conn:
            conn.execute(sa.update(SESSIONS).where(this).values(ended_at=now))
        return None, "expired"
    if now - row["last_seen_at"] > TOUCH_EVERY:
        with write_transaction(engine) as conn:
            conn.execute(sa.update(SESSIONS).where(this).values(last_seen_at=now))
    user = User(row["user_id"], row["username"], row["role"])
    return Session(row["token_hash"], user, row["csrf_token"], tuple(row["skipped"] or ())), "ok"


def end_session(conn: sa.Connection, session: Session) -> None:
    conn.execute(
        sa.update(SESSIONS).where(SESSIONS.c.token_hash == session.token_hash).values(ended_at=utcnow())
    )


def remember_skip(conn: sa.Connection, session: Session, item_id: int) -> None:
    skipped = [i for i in session.skipped if i != item_id] + [item_id]
    conn.execute(
        sa.update(SESSIONS).where(SESSIONS.c.token_hash == session.token_hash).values(skipped=skipped[-500:])
    )


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def set_active(conn: sa.Connection, user_id: int, active: bool) -> None:
    conn.execute(sa.update(USERS).where(USERS.c.id == user_id).values(active=active))
    if not active:
        conn.execute(sa.update(SESSIONS).where(SESSIONS.c.user_id == user_id).values(ended_at=utcnow()))


def unlock(conn: sa.Connection, user_id: int) -> None:
    conn.execute(sa.update(USERS).where(USERS.c.id == user_id).values(failed_logins=0, locked_until=None))


def locked(row: dict, now: datetime | None = None) -> bool:
    return row["locked_until"] is not None and row["locked_until"] > (now or utcnow())
