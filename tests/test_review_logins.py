"""Logins under concurrency and floods: real simultaneous HTTP requests against the app served on
loopback (Werkzeug's threaded server, one thread per request), on SQLite and on PostgreSQL.

- the lockout holds when many wrong passwords arrive at once: only the policy's 5 are checked;
- a one-time code opens exactly one session however many logins race with it;
- the rate limits per client address and per account name answer 429 before any hash is computed.
"""

from __future__ import annotations

import http.client
import os
import re
import threading
from collections import Counter
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

import review.accounts
from review.app import create_app
from review.ratelimit import TokenBuckets
from review.settings import ReviewSettings
from review.testing import login_code, serve
from tests.review_support import PASSWORD, add_user
from warehouse import Warehouse

#: limits high enough that only the account lockout decides (the limits have their own tests)
NO_LIMITS = ReviewSettings(
    logins_per_minute_per_address=10_000, logins_per_minute_per_account=10_000, password_checks_at_once=64
)


class LoginForm:
    """One browser's login: GET /login for the CSRF cookie and token, then POST (from ``source``)."""

    def __init__(self, base: str, source: str = "127.0.0.1") -> None:
        url = urlsplit(base)
        self.host, self.port, self.source = url.hostname, url.port, source
        response, body = self.request("GET", "/login")
        cookie = response.getheader("Set-Cookie")
        self.cookie = cookie.split(";", 1)[0]
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60, source_address=(self.source, 0))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response, response.read().decode()
        finally:
            conn.close()

    def post(self, username: str, password: str, code: str) -> http.client.HTTPResponse:
        body = urlencode({"csrf_token": self.token, "username": username, "password": password, "code": code})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        return self.request("POST", "/login", body, headers)[0]


def all_at_once(forms: list[LoginForm], username: str, password: str, code: str) -> list[int]:
    """POST every form at the same moment (a barrier releases all threads together): status codes."""
    barrier = threading.Barrier(len(forms))
    statuses: list[int] = [0] * len(forms)

    def go(i: int) -> None:
        barrier.wait()
        statuses[i] = forms[i].post(username, password, code).status

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return statuses


@pytest.fixture
def served(warehouse_url):
    """(warehouse, base URL, TOTP secret of coordinator 'cora') with the app served on loopback."""
    wh = Warehouse(warehouse_url)
    wh.migrate()
    secret = add_user(wh, "cora", "coordinator")
    app = create_app(wh.url, NO_LIMITS)
    with serve(app) as base:
        yield wh, base, secret
    app.config["SAFETYNET_ENGINE"].dispose()
    wh.dispose()


@pytest.fixture
def real_password_checks(monkeypatch) -> list[int]:
    """Counts the argon2 verifications against a real account's hash (the real function still runs)."""
    calls: list[int] = []
    verify = review.accounts.verify_password

    def counted(password_hash, password):
        if password_hash is not None:
            calls.append(1)
        return verify(password_hash, password)

    monkeypatch.setattr(review.accounts, "verify_password", counted)
    return calls


def scalar(wh: Warehouse, sql: str):
    with wh.engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def login_outcomes(wh: Warehouse) -> Counter:
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT outcome FROM audit_log WHERE action = 'login'")).scalars()
        return Counter(rows)


def test_24_simultaneous_wrong_passwords_lock_the_account_after_5(served, real_password_checks):
    wh, base, secret = served
    forms = [LoginForm(base) for _ in range(24)]
    statuses = all_at_once(forms, "cora", "wrong-password-guess", login_code(secret))
    assert statuses == [401] * 24
    # only the policy's 5 guesses were checked against the hash; the 5th set the lock
    assert len(real_password_checks) == 5
    assert scalar(wh, "SELECT failed_logins FROM review_users") == 5
    assert scalar(wh, "SELECT locked_until FROM review_users") is not None
    assert login_outcomes(wh) == Counter({"bad_credentials": 4, "locked": 20})
    # locked: the right password and a fresh code are refused too
    response = LoginForm(base).post("cora", PASSWORD, login_code(secret))
    assert response.status == 401
    assert scalar(wh, "SELECT count(*) FROM review_sessions") == 0


def test_8_simultaneous_logins_with_one_code_open_exactly_one_session(served):
    wh, base, secret = served
    forms = [LoginForm(base) for _ in range(8)]
    statuses = all_at_once(forms, "cora", PASSWORD, login_code(secret))
    assert sorted(statuses) == [303] + [401] * 7
    assert scalar(wh, "SELECT count(*) FROM review_sessions") == 1
    outcomes = login_outcomes(wh)
    # the others are replays (or, past the policy's 5 attempts in flight, refused unchecked)
    assert outcomes["ok"] == 1 and outcomes["bad_credentials"] + outcomes["locked"] == 7


def test_a_correct_login_forgives_only_the_failures_counted_before_it(served):
    wh, base, secret = served
    for _ in range(3):
        assert LoginForm(base).post("cora", "wrong-password-guess", "000000").status == 401
    assert scalar(wh, "SELECT failed_logins FROM review_users") == 3
    assert LoginForm(base).post("cora", PASSWORD, login_code(secret)).status == 303
    assert scalar(wh, "SELECT failed_logins FROM review_users") == 0
    assert scalar(wh, "SELECT locked_until FROM review_users") is None


def test_rate_limits_per_client_address_and_per_account_name(sqlite_url):
    wh = Warehouse(sqlite_url)
    wh.migrate()
    add_user(wh, "cora", "coordinator")
    settings = ReviewSettings(logins_per_minute_per_address=6, logins_per_minute_per_account=4)
    app = create_app(wh.url, settings)
    with serve(app) as base:
        # one address, many names (none of them an account): 6 attempts pass, then 429
        form = LoginForm(base, "127.0.0.1")
        statuses = [form.post(f"nobody{i}", "wrong-password-guess", "000000").status for i in range(8)]
        assert statuses == [401] * 6 + [429] * 2
        response = form.post("nobody99", "wrong-password-guess", "000000")
        assert response.status == 429 and int(response.getheader("Retry-After")) >= 1
        # other addresses are not held back by it ...
        other = LoginForm(base, "127.0.0.2")
        assert other.post("nobody0", "wrong-password-guess", "000000").status == 401
        # ... but one account name is limited whatever the address (4 a minute: 1 used above)
        forms = [LoginForm(base, f"127.0.0.{10 + i}") for i in range(5)]
        statuses = [f.post("cora", "wrong-password-guess", "000000").status for f in forms]
        assert statuses == [401, 401, 401, 401, 429]
        # the same limit for a name no account has (a 429 does not tell which names exist)
        statuses = [f.post("ghost", "wrong-password-guess", "000000").status for f in forms]
        assert statuses == [401, 401, 401, 401, 429]
    app.config["SAFETYNET_ENGINE"].dispose()
    # a flood writes one audit entry per limit and minute, not one per refused request
    outcomes = login_outcomes(wh)
    assert outcomes["rate_limited_address"] == 1 and outcomes["rate_limited_account"] == 2
    with wh.engine.connect() as conn:
        addresses = set(conn.execute(sa.text("SELECT remote_addr FROM audit_log")).scalars())
    assert {"127.0.0.1", "127.0.0.2", "127.0.0.10"} <= addresses
    wh.dispose()


def test_token_buckets_refill_over_time_and_stay_bounded():
    now = [0.0]
    buckets = TokenBuckets(per_minute=2, max_keys=3, clock=lambda: now[0])
    assert [buckets.take("a").allowed for _ in range(3)] == [True, True, False]
    refused = buckets.take("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(30.0)
    now[0] = 30.0
    assert buckets.take("a").allowed and not buckets.take("a").allowed
    for key in "bcd":
        buckets.take(key)
    assert len(buckets._buckets) == 3 and "a" not in buckets._buckets  # least recently used dropped


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread nice values are a Linux feature")
def test_password_checks_run_at_a_lower_cpu_priority_than_the_pages():
    """argon2 runs on threads niced +10 (its lane threads inherit it), so a login flood leaves the
    cores to the coordinator's pages (benchmarks/login_flood.py); the request threads are untouched."""
    from review import passwords

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    mine = niceness()
    checker = passwords._pool().submit(niceness).result()
    assert checker == min(19, mine + passwords.CHECK_NICENESS)
    assert niceness() == mine
    hashed = passwords.hash_password("a-long-enough-password")
    assert passwords.verify_password(hashed, "a-long-enough-password")
    assert not passwords.verify_password(hashed, "another-long-password")
    assert not passwords.verify_password(None, "a-long-enough-password")
