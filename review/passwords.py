"""Passwords (argon2id via argon2-cffi) and time-based one-time passwords (RFC 6238 via pyotp).

A password check is argon2: about 0.2 s of CPU on four threads (the hash's four lanes), by design.
A flood of logins would take every core from the coordinator's pages, so checks run on threads of
their own at a lower CPU priority (``nice`` +10 for those threads only, which argon2's lane threads
inherit): when a page and a check both want a core, the page gets it, and a check only uses what
the pages leave. How many run at once is capped by the login view (``review_password_checks``).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: argon2-cffi's defaults are RFC 9106's second recommended (low-memory) argon2id profile
_HASHER = PasswordHasher()
#: verified for unknown user names, so a login takes as long whether or not the account exists
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 12
ISSUER = "SafetyNet review"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


#: added to the nice value of the threads that check passwords (Linux: per thread)
CHECK_NICENESS = 10
#: threads checking passwords; the login view admits fewer at once (``PasswordCheckSlots``)
CHECK_THREADS = 4
_checks: ThreadPoolExecutor | None = None
_checks_lock = threading.Lock()


def _lower_priority() -> None:
    try:  # this thread only: on Linux the nice value belongs to the thread, not the process
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + CHECK_NICENESS)
    except (AttributeError, OSError):  # not on Linux, or not allowed: checks run at normal priority
        pass


def _pool() -> ThreadPoolExecutor:
    global _checks
    with _checks_lock:
        if _checks is None:
            _checks = ThreadPoolExecutor(
                max_workers=CHECK_THREADS, thread_name_prefix="password-check", initializer=_lower_priority
            )
        return _checks


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed (a missing hash costs the same and is False), checked on
    a low-priority thread while the caller waits."""
    return _pool().submit(_verify, password_hash, password).result()


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def totp_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to (now or one step either side, for clock drift), or None.

    A step at or before ``last_step`` is refused: a one-time password is good once.
    """
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for candidate in (step - 1, step, step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            if last_step is not None and candidate <= last_step:
                return None
            return candidate
    return None
