"""Review-app security policy: the issue's defaults; the tunable ones come from the settings object."""

from __future__ import annotations

from dataclasses import dataclass


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
    def configured(cls) -> ReviewSettings:
        """The ``review_*`` settings (``SAFETYNET_REVIEW_*``, README "Configuration")."""
        import settings

        s = settings.current()
        return cls(
            idle_minutes=s.review_idle_minutes,
            logins_per_minute_per_address=s.review_logins_per_address,
            logins_per_minute_per_account=s.review_logins_per_account,
            password_checks_at_once=s.review_password_checks,
            trusted_proxies=s.review_trusted_proxies,
            secure_cookies={"1": True, "0": False}.get(s.review_secure_cookies),
        )
