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

    @classmethod
    def from_env(cls) -> ReviewSettings:
        secure = os.environ.get("SAFETYNET_REVIEW_SECURE_COOKIES", "auto").strip().lower()
        return cls(
            idle_minutes=_int("SAFETYNET_REVIEW_IDLE_MINUTES", cls.idle_minutes),
            secure_cookies={"1": True, "true": True, "0": False, "false": False}.get(secure),
        )
