"""Login rate limits: one token bucket per client address and one per account name, in memory,
and a cap on how many password checks (argon2, CPU-heavy by design) run at once.

Why not Flask-Limiter: its in-memory storage is per process too (sharing limits across processes
needs Redis or memcached, which we do not run), the account key comes from the form, not the URL,
and what we need is two buckets checked in one view. The cross-process guarantee is the lockout
kept on the account row in the warehouse; these buckets only keep a flood from costing an argon2
hash per request. Names are counted whether or not an account has them, so a refusal says nothing
about which accounts exist.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float
    #: when a refusal from this bucket was last reported (audited), so a flood writes one entry a minute
    reported: float = float("-inf")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: seconds until a token is back (0 when allowed)
    retry_after: float = 0.0
    #: the first refusal from this bucket in a minute: worth an audit entry
    report: bool = False


class TokenBuckets:
    """``per_minute`` requests a minute per key, in bursts of at most ``per_minute``.

    Thread-safe. At most ``max_keys`` buckets are kept; the least recently used is dropped first
    (a dropped bucket starts again full, which the account lockout still bounds).
    """

    def __init__(self, per_minute: int, max_keys: int = 10_000, clock=time.monotonic) -> None:
        self.capacity = float(max(per_minute, 1))
        self.rate = self.capacity / 60.0
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> Verdict:
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.capacity, now)
                if len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return Verdict(True)
            report = now - bucket.reported >= 60.0
            if report:
                bucket.reported = now
            return Verdict(False, (1.0 - bucket.tokens) / self.rate, report)


class LoginLimits:
    """The two limits a login attempt must pass: its client address and the account name it names."""

    def __init__(
        self, per_address_per_minute: int, per_account_per_minute: int, checks_at_once: int = 2
    ) -> None:
        self.addresses = TokenBuckets(per_address_per_minute)
        self.accounts = TokenBuckets(per_account_per_minute)
        self.password_checks = PasswordCheckSlots(checks_at_once)

    def check(self, address: str | None, username: str) -> tuple[Verdict, str | None]:
        """(verdict, which limit refused: ``address`` / ``account``, or None when allowed)."""
        verdict = self.addresses.take(address or "-")
        if not verdict.allowed:
            return verdict, "address"
        verdict = self.accounts.take(username.strip().lower())
        return verdict, None if verdict.allowed else "account"


class PasswordCheckSlots:
    """At most ``at_once`` logins checking a password (or waiting to) at a time in this process.

    A login that finds every slot taken is answered "busy" at once instead of queueing: a queue of
    logins would hold the server's threads, and the coordinator's pages would wait behind them.
    """

    def __init__(self, at_once: int) -> None:
        self._slots = threading.BoundedSemaphore(max(at_once, 1))

    def try_acquire(self) -> bool:
        return self._slots.acquire(blocking=False)

    def release(self) -> None:
        self._slots.release()
