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
from warehouse.totp_keys import BOX, KEYS_ENV, key_file, write_key_file

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
                totp_secret=BOX.encrypt(secret),  # never stored in the clear (warehouse/totp_keys.py)
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
    #: the new session's cookie token (on ``ok``)
    token: str | None = None


def authenticate(
    engine: sa.Engine, settings: ReviewSettings, username: str, password: str, code: str
) -> LoginResult:
    """Password and one-time code together; counts failures, locks the account after too many, and
    starts a session on success. A locked account refuses even correct credentials until it expires.

    Three steps, so that it holds for simultaneous requests on any backend and the argon2 hash (tens
    of milliseconds of CPU) never runs while the database holds a lock:

    1. reserve: lock the account row (``SELECT ... FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE``) and
       count this attempt as a failure before checking anything. Only ``max_failed_logins`` attempts
       get a reservation until one succeeds or the lock expires, however many arrive at once; the
       one that uses the last reservation sets the lock;
    2. check the password and the code, outside any transaction;
    3. on success, one conditional UPDATE takes the code's time step only if no login took it or a
       later one first (one-time codes are good once even for simultaneous logins), forgives this
       attempt and the failures counted before it, and starts the session.
    """
    now = utcnow()
    name = username.strip()
    with write_transaction(engine) as conn:
        row = (
            conn.execute(sa.select(USERS).where(USERS.c.username == name).with_for_update())
            .mappings()
            .first()
        )
        attempt = _reserve_attempt(conn, settings, row, now) if row is not None else None
    # a refused or unknown account costs the same hash, so timing does not tell whether it exists
    password_ok = verify_password(row["password_hash"] if attempt else None, password)
    if row is None:
        return LoginResult(None, "bad_credentials")
    if attempt is None:
        return LoginResult(None, "locked")
    refused = LoginResult(None, "locked" if attempt >= settings.max_failed_logins else "bad_credentials")
    step = totp_step(BOX.decrypt(row["totp_secret"]), code, row["totp_last_step"]) if password_ok else None
    if step is None:
        return refused
    if not row["active"]:
        return LoginResult(None, "inactive")
    user = User(row["id"], row["username"], row["role"])
    with write_transaction(engine) as conn:
        taken = conn.execute(
            sa.update(USERS)
            .where(
                USERS.c.id == row["id"],
                sa.or_(USERS.c.totp_last_step.is_(None), USERS.c.totp_last_step < step),
            )
            .values(
                # attempts reserved after this one (still in flight) stay counted
                failed_logins=sa.case(
                    (USERS.c.failed_logins > attempt, USERS.c.failed_logins - attempt), else_=0
                ),
                locked_until=None,
                totp_last_step=step,
                last_login_at=now,
            )
        ).rowcount
        if taken != 1:  # a simultaneous login used this code (or a later one) first
            return refused
        token = start_session(conn, user)[0]
    return LoginResult(user, "ok", token)


def _reserve_attempt(
    conn: sa.Connection, settings: ReviewSettings, row: sa.RowMapping, now: datetime
) -> int | None:
    """Count one more attempt on the (locked) account row: its number, or None when refused."""
    expired = row["locked_until"] is not None and row["locked_until"] <= now
    failures = 0 if expired else row["failed_logins"]
    if (not expired and row["locked_until"] is not None) or failures >= settings.max_failed_logins:
        return None
    failures += 1
    locked = (
        now + timedelta(minutes=settings.lockout_minutes) if failures >= settings.max_failed_logins else None
    )
    conn.execute(
        sa.update(USERS).where(USERS.c.id == row["id"]).values(failed_logins=failures, locked_until=locked)
    )
    return failures


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


def rotate_totp_key(engine: sa.Engine) -> tuple[int, str]:
    """Re-encrypt every TOTP secret under a new key: (secrets re-encrypted, what the operator does next).

    Key file: a new key goes first in the file, every secret is re-encrypted in one transaction,
    then the old keys leave the file (a running review app re-reads the file when a secret does not
    decrypt). ``SAFETYNET_TOTP_KEYS``: the operator has put the new key first already; secrets are
    re-encrypted under it, and the old keys can then be taken out of the variable.
    """
    from cryptography.fernet import Fernet

    import settings
    from warehouse.totp_keys import _read_keys

    from_env = bool(settings.current().totp_keys)
    if not from_env:
        old = _read_keys(create=True)
        new = Fernet.generate_key()
        write_key_file(key_file(), [new, *old])
        BOX.forget()
    with write_transaction(engine) as conn:
        rows = conn.execute(sa.select(USERS.c.id, USERS.c.totp_secret)).all()
        for user_id, stored in rows:
            conn.execute(sa.update(USERS).where(USERS.c.id == user_id).values(totp_secret=BOX.rotate(stored)))
    if from_env:
        return len(rows), f"secrets are under the first key of {KEYS_ENV}; remove the others from it"
    write_key_file(key_file(), [new])
    BOX.forget()
    return len(rows), f"new key in {key_file()}; the old one is gone"
