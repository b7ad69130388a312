"""Review-app security settings, from environment variables (defaults are the issue's policy)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class ReviewSettings:
    #: a session unused this long is refused (and ended)
    idle_minutes: int = 30
    #: a session is refused this long after login whatever its use
    absolute_hours: int = 12
    #: consecutive failed logins that lock an account ...
    max_failed_logins: int = 5
    #: ... for this long
    lockout_minutes: int = 10
    #: cookie Secure flag: True / False, or None = set it whenever the request came over https
    secure_cookies: bool | None = None
    page_size: int = 50
    #: login attempts a minute (and burst) per client address and per account name (``review/ratelimit.py``)
    logins_per_minute_per_address: int = 10
    logins_per_minute_per_account: int = 5
    #: logins checking a password at once per process; more are answered 503 "busy" at once
    password_checks_at_once: int = 2
    #: reverse proxies in front of the app whose X-Forwarded-For / -Proto are trusted (0: none);
    #: behind one, the client address (rate limits, audit) and https (cookies, HSTS) come from it
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls) -> ReviewSettings:
        secure = os.environ.get("SAFETYNET_REVIEW_SECURE_COOKIES", "auto").strip().lower()
        return cls(
            idle_minutes=_int("SAFETYNET_REVIEW_IDLE_MINUTES", cls.idle_minutes),
            logins_per_minute_per_address=_int(
                "SAFETYNET_REVIEW_LOGINS_PER_ADDRESS", cls.logins_per_minute_per_address
            ),
            logins_per_minute_per_account=_int(
                "SAFETYNET_REVIEW_LOGINS_PER_ACCOUNT", cls.logins_per_minute_per_account
            ),
            password_checks_at_once=_int("SAFETYNET_REVIEW_PASSWORD_CHECKS", cls.password_checks_at_once),
            trusted_proxies=_int("SAFETYNET_REVIEW_TRUSTED_PROXIES", cls.trusted_proxies),
            secure_cookies={"1": True, "true": True, "0": False, "false": False}.get(secure),
        )
