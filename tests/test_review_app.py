"""The review app through Flask's test client: login with TOTP and lockout, sessions, CSRF, roles,
the queue, the item page, decisions and undo, the profile, the audit log. SQLite unless marked."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from review.app import SESSION_COOKIE, create_app
from review.settings import ReviewSettings
from review.testing import login_code
from tests.review_support import MEETING, add_user, build, csrf_of, item_id, login
from warehouse import Warehouse
from warehouse.db import utcnow


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """Built once per module; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("review") / "template.db"
    build(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def wh(template_db, tmp_path):
    shutil.copy(template_db, tmp_path / "warehouse.db")
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    yield warehouse
    warehouse.dispose()


@pytest.fixture
def app(wh):
    # the lockout is tested here; the rate limits in tests/test_review_logins.py
    application = create_app(wh.url, ReviewSettings(logins_per_minute_per_account=100))
    yield application
    application.config["SAFETYNET_ENGINE"].dispose()


@pytest.fixture
def coordinator(app, wh):
    client = app.test_client()
    secret = add_user(wh, "cora", "coordinator")
    assert login(client, "cora", secret).status_code == 303
    return client


def audit(wh, where: str = "") -> list[dict]:
    with wh.engine.connect() as conn:
        return [
            dict(r) for r in conn.execute(sa.text(f"SELECT * FROM audit_log {where} ORDER BY id")).mappings()
        ]


def scalar(wh, sql: str, **params):
    with wh.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


# --- login, sessions, CSRF ---------------------------------------------------------------------


def test_login_needs_password_and_one_time_code_and_locks_after_five_failures(app, wh):
    secret = add_user(wh, "cora", "coordinator")
    client = app.test_client()
    wrong_code = "000000" if login_code(secret) != "000000" else "111111"
    assert login(client, "cora", secret, code=wrong_code).status_code == 401
    token = csrf_of(client.get("/login").text)
    bad_pw = {
        "csrf_token": token,
        "username": "cora",
        "password": "wrong-password-x",
        "code": login_code(secret),
    }
    for _ in range(4):
        assert client.post("/login", data=bad_pw).status_code == 401
    assert scalar(wh, "SELECT locked_until FROM review_users WHERE username = 'cora'") is not None
    # locked: even the right password and code are refused for 10 minutes
    response = login(client, "cora", secret)
    assert response.status_code == 401 and "locked for 10 minutes" in response.text
    assert client.get("/queue").status_code == 302
    outcomes = [r["outcome"] for r in audit(wh, "WHERE action = 'login'")]
    assert outcomes == ["bad_credentials"] * 4 + ["locked", "locked"]
    # the lock expires
    with wh.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE review_users SET locked_until = :t"), {"t": utcnow() - timedelta(seconds=1)}
        )
    assert login(client, "cora", secret).status_code == 303
    assert client.get("/queue").status_code == 200


def test_a_one_time_code_is_good_once(app, wh):
    secret = add_user(wh, "cora", "coordinator")
    code = login_code(secret)
    assert login(app.test_client(), "cora", secret, code=code).status_code == 303
    assert login(app.test_client(), "cora", secret, code=code).status_code == 401  # replayed


def test_every_page_but_login_needs_a_session(app, wh):
    client = app.test_client()
    assert client.get("/login").status_code == 200
    for path in ("/", "/queue", "/items/1", "/clients/anything", "/reports", "/admin/users", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302 and urlsplit(response.location).path == "/login", path
    assert client.post("/items/1/decide", data={"decision": "same_person"}).status_code == 302
    assert scalar(wh, "SELECT count(*) FROM review_decisions") == 0


def test_session_cookie_is_httponly_strict_and_secure_when_asked(app, wh):
    secret = add_user(wh, "cora", "coordinator")
    cookie = login(app.test_client(), "cora", secret).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    secure_app = create_app(wh.url, ReviewSettings(secure_cookies=True))
    secret2 = add_user(wh, "cora2", "coordinator")
    cookie = login(secure_app.test_client(), "cora2", secret2).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    secure_app.config["SAFETYNET_ENGINE"].dispose()


def test_forged_and_expired_sessions_are_refused(app, wh, coordinator):
    forged = app.test_client()
    forged.set_cookie(SESSION_COOKIE, "forged-token-that-was-never-issued")
    response = forged.get("/queue")
    assert response.status_code == 302 and "m=invalid" in response.location

    assert coordinator.get("/queue").status_code == 200
    token = coordinator.get_cookie(SESSION_COOKIE).value
    with wh.engine.begin() as conn:  # 31 minutes without a request
        conn.execute(
            sa.text("UPDATE review_sessions SET last_seen_at = :t"), {"t": utcnow() - timedelta(minutes=31)}
        )
    response = coordinator.get("/queue")
    assert response.status_code == 302 and "m=expired" in response.location
    coordinator.set_cookie(SESSION_COOKIE, token)  # the browser dropped it; a copy is replayed
    assert coordinator.get("/queue").status_code == 302  # ended for good, not revived
    assert [r["outcome"] for r in audit(wh, "WHERE action = 'session_refused'")] == [
        "unknown",
        "expired",
        "ended",
    ]


def test_the_expired_message_names_the_configured_idle_time(wh):
    app = create_app(wh.url, ReviewSettings(idle_minutes=45))
    client = app.test_client()
    assert login(client, "cora", add_user(wh, "cora", "coordinator")).status_code == 303
    with wh.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE review_sessions SET last_seen_at = :t"), {"t": utcnow() - timedelta(minutes=46)}
        )
    response = client.get("/queue")
    page = client.get(response.location).text
    assert "expired after 45 minutes without activity" in page and "30 minutes" not in page
    app.config["SAFETYNET_ENGINE"].dispose()


def test_post_without_the_csrf_token_is_refused(coordinator, wh):
    item = item_id(wh, "oakland_pd", "B4")
    page = coordinator.get(f"/items/{item}").text
    ref = re.search(r'name="client_ref" value="([^"]+)"', page).group(1)
    for token in (None, "wrong"):
        data = {"decision": "same_person", "client_ref": ref, **({"csrf_token": token} if token else {})}
        response = coordinator.post(f"/items/{item}/decide", data=data)
        assert response.status_code == 400 and "CSRF" in response.text
    assert scalar(wh, "SELECT count(*) FROM review_decisions") == 0
    assert len(audit(wh, "WHERE action = 'csrf_refused'")) == 2
    # the login form has its own token (double-submit cookie)
    fresh = coordinator.application.test_client()
    response = fresh.post("/login", data={"username": "cora", "password": "x", "code": "123456"})
    assert response.status_code == 400


def test_logout_ends_the_session(coordinator):
    token = csrf_of(coordinator.get("/queue").text)
    assert coordinator.post("/logout", data={"csrf_token": token}).status_code == 303
    assert coordinator.get("/queue").status_code == 302


# --- roles -------------------------------------------------------------------------------------


def test_roles_decide_who_sees_what(app, wh, coordinator):
    analyst, admin = app.test_client(), app.test_client()
    assert login(analyst, "ana", add_user(wh, "ana", "analyst")).location.endswith("/reports")
    assert login(admin, "adam", add_user(wh, "adam", "admin")).location.endswith("/admin/users")
    item = item_id(wh, "oakland_pd", "B2")
    ref = re.search(r'href="/clients/([^"]+)"', coordinator.get(f"/items/{item}").text).group(1)

    for path in ("/queue", f"/items/{item}", f"/clients/{ref}", "/admin/users", "/admin/audit"):
        assert analyst.get(path).status_code == 403, path
    report = analyst.get("/reports")
    assert report.status_code == 200
    for secret in ("Maria", "Lopez", "Jasmine", "C2", "B2", "2010-07-21"):
        assert secret not in report.text
    assert "1-10" in report.text  # small cells suppressed

    for path in ("/queue", f"/items/{item}", f"/clients/{ref}"):
        assert admin.get(path).status_code == 403, path
    assert admin.get("/admin/users").status_code == 200 and "ana" in admin.get("/admin/users").text
    assert coordinator.get("/admin/audit").status_code == 403
    denied = audit(wh, "WHERE action = 'access_denied'")
    assert {r["username"] for r in denied} == {"ana", "adam", "cora"}


def test_admin_unlocks_and_exports_one_clients_audit_trail(app, wh, coordinator):
    admin = app.test_client()
    login(admin, "adam", add_user(wh, "adam", "admin"))
    item = item_id(wh, "oakland_pd", "B4")
    coordinator.get(f"/items/{item}")  # a view of C4's data
    token = csrf_of(admin.get("/admin/audit").text)
    export = admin.post("/admin/audit/export", data={"csrf_token": token, "client_id": "C4"})
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = export.text.strip().splitlines()
    assert lines[0].startswith("id,at,username,action") and any(",view_item," in line for line in lines)
    assert not any(
        ",view_item," in line
        for line in admin.post(
            "/admin/audit/export", data={"csrf_token": token, "client_id": "C1"}
        ).text.splitlines()
    )
    with wh.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE review_users SET failed_logins = 5, locked_until = :t WHERE username = 'cora'"),
            {"t": utcnow() + timedelta(minutes=10)},
        )
    assert "locked until" in admin.get("/admin/users").text
    cora = scalar(wh, "SELECT id FROM review_users WHERE username = 'cora'")
    admin.post(f"/admin/users/{cora}/unlock", data={"csrf_token": token})
    assert scalar(wh, "SELECT locked_until FROM review_users WHERE username = 'cora'") is None


def test_audit_log_is_append_only(wh, coordinator):
    coordinator.get("/queue")
    for sql in ("UPDATE audit_log SET outcome = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError), wh.engine.begin() as conn:
            conn.execute(sa.text(sql))
    assert len(audit(wh)) >= 1


# --- queue, item, decisions --------------------------------------------------------------------


def test_queue_puts_the_agenda_first_then_the_biggest_change_and_counts_per_source(coordinator, wh):
    page = coordinator.get("/queue").text
    order = [int(i) for i in re.findall(r'class="item-link" href="/items/(\d+)"', page)]
    ids = {
        r: item_id(wh, s, r)
        for s, r in (("oakland_pd", "B2"), ("oakland_pd", "B4"), ("oakland_pd", "B5"), ("probation", "P1"))
    }
    # B2 and B4 have a candidate on the next meeting's agenda; then P1 (two referrals) before B5 (one arrest)
    assert order[:2] == sorted([ids["B2"], ids["B4"]], key=lambda i: -{ids["B2"]: 0.62, ids["B4"]: 0.70}[i])
    assert order[2:] == [ids["P1"], ids["B5"]]
    assert str(MEETING) in page
    assert re.search(r"Oakland Police Department[^<]*<b>3</b>", page)
    only = coordinator.get("/queue?source=probation").text
    assert re.findall(r'class="item-link" href="/items/(\d+)"', only) == [str(ids["P1"])]
    future = (utcnow().date() + timedelta(days=1)).isoformat()
    assert "The queue is clear" in coordinator.get(f"/queue?from={future}").text


def test_item_page_shows_both_sides_field_by_field(coordinator, wh):
    item = item_id(wh, "oakland_pd", "B2")
    page = coordinator.get(f"/items/{item}").text
    assert "Marie" in page and "Maria" in page  # agency row and client side by side
    for badge in ("agree", "partly", "disagree", "missing"):
        assert f'class="badge {badge}"' in page
    assert "62.0%" in page and "55.0%" in page  # probability, and the other candidate
    assert "Candidate clients" in page and "Jasmine" in page
    views = audit(wh, "WHERE action = 'view_item'")
    assert views[-1]["subject_id"] == str(item) and views[-1]["client_ids"] == " C2 C3 "


def _decide(client, item: int, decision: str, ref: str | None = None, note: str = ""):
    page = client.get(f"/items/{item}").text
    ref = ref or re.search(r'name="client_ref" value="([^"]+)"', page).group(1)
    return client.post(
        f"/items/{item}/decide",
        data={"csrf_token": csrf_of(page), "decision": decision, "client_ref": ref, "note": note},
    )


def test_decisions_take_effect_at_once_and_undo_puts_things_back(coordinator, wh):
    b4 = item_id(wh, "oakland_pd", "B4")
    response = _decide(coordinator, b4, "same_person", note="tattoo")
    assert response.status_code == 303 and "/items/" in response.location  # on to the next item
    assert scalar(wh, "SELECT decision FROM match_links WHERE record_id = 'B4'") == "match"
    assert scalar(wh, "SELECT status FROM review_items WHERE id = :i", i=b4) == "decided"
    assert "Recorded:" in coordinator.get(response.location).text
    # the profile of C4 now holds the arrest
    page = coordinator.get(f"/items/{b4}").text
    profile_url = re.search(r'href="(/clients/[^"]+)"', page).group(1)
    profile = coordinator.get(profile_url).text
    assert "VC 10851" in profile
    arrests = int(re.search(r'id="measure-arrests">(\d+)', profile).group(1))
    assert arrests >= 1  # the derived measures count the arrest the decision brought in

    token = csrf_of(page)
    assert coordinator.post("/undo", data={"csrf_token": token}).status_code == 303
    assert scalar(wh, "SELECT decision FROM match_links WHERE record_id = 'B4'") == "review"
    assert scalar(wh, "SELECT status FROM review_items WHERE id = :i", i=b4) == "open"
    assert scalar(wh, "SELECT count(*) FROM review_undos") == 1
    after_undo = coordinator.get(profile_url).text
    assert int(re.search(r'id="measure-arrests">(\d+)', after_undo).group(1)) == arrests - 1

    # not this person, other candidates left: the item stays open for C3 only
    b2 = item_id(wh, "oakland_pd", "B2")
    response = _decide(coordinator, b2, "not_this_person")
    assert response.location.endswith(
        f"/items/{b2}?done=" + str(scalar(wh, "SELECT max(id) FROM review_decisions"))
    )
    assert scalar(wh, "SELECT status FROM review_items WHERE id = :i", i=b2) == "open"
    assert scalar(wh, "SELECT group_concat(client_id) FROM match_links WHERE record_id = 'B2'") == "C3"
    # ... and on the last candidate the row leaves the warehouse
    _decide(coordinator, b2, "not_this_person")
    assert scalar(wh, "SELECT count(*) FROM arrests WHERE record_id = 'B2'") == 0
    assert scalar(wh, "SELECT count(*) FROM source_persons WHERE record_id = 'B2'") == 0
    assert scalar(wh, "SELECT status FROM review_items WHERE id = :i", i=b2) == "decided"
    actions = [(r["action"], r["outcome"]) for r in audit(wh, "WHERE action IN ('decision', 'undo')")]
    assert actions == [("decision", "ok"), ("undo", "ok"), ("decision", "ok"), ("decision", "ok")]


def test_link_to_another_client_via_search(coordinator, wh):
    b5 = item_id(wh, "oakland_pd", "B5")
    page = coordinator.get(f"/items/{b5}").text
    results = coordinator.post(f"/items/{b5}/search", data={"csrf_token": csrf_of(page), "q": "dee"}).text
    assert "Destiny" in results  # found by alias
    ref = re.search(
        r'name="client_ref" value="([^"]+)">\s*'
        r'<input type="hidden" name="decision" value="link_other_client"',
        results,
    ).group(1)
    assert _decide(coordinator, b5, "link_other_client", ref=ref).status_code == 303
    got = scalar(wh, "SELECT client_id || ':' || decided_by FROM match_links WHERE record_id = 'B5'")
    assert got == "C4:human"


def test_a_forged_same_person_naming_a_non_candidate_is_recorded_as_a_link_to_another_client(coordinator, wh):
    b5 = item_id(wh, "oakland_pd", "B5")  # its one candidate is C2
    page = coordinator.get(f"/items/{b5}").text
    results = coordinator.post(f"/items/{b5}/search", data={"csrf_token": csrf_of(page), "q": "dee"}).text
    ref = re.search(  # C4, found by her alias, never proposed for B5
        r'name="client_ref" value="([^"]+)">\s*'
        r'<input type="hidden" name="decision" value="link_other_client"',
        results,
    ).group(1)
    assert (
        coordinator.post(
            f"/items/{b5}/decide",
            data={"csrf_token": csrf_of(page), "decision": "not_this_person", "client_ref": ref},
        ).status_code
        == 400
    )  # a client never proposed cannot be ruled out
    assert _decide(coordinator, b5, "same_person", ref=ref).status_code == 303  # the forged form
    assert scalar(wh, "SELECT decision FROM review_decisions WHERE record_id = 'B5'") == "link_other_client"
    detail = scalar(wh, "SELECT detail FROM audit_log WHERE action = 'decision' AND outcome = 'ok'")
    assert detail.startswith("link_other_client;")


def test_a_wrong_auto_match_is_undone_from_the_profile(coordinator, wh):
    # B1 was auto-matched to C1: reach C1's profile through a search from an item
    b5 = item_id(wh, "oakland_pd", "B5")
    page = coordinator.get(f"/items/{b5}").text
    coordinator.post(f"/items/{b5}/search", data={"csrf_token": csrf_of(page), "q": "aaliyah"})
    with wh.engine.connect() as conn:
        ref = conn.execute(sa.text("SELECT ref FROM client_refs WHERE client_id = 'C1'")).scalar_one()
    profile = coordinator.get(f"/clients/{ref}").text
    assert "PC 647(b)" in profile.replace("PC 647 (b)", "PC 647(b)") or "647" in profile
    link = re.search(r'name="link_id" value="(\d+)"', profile).group(1)
    response = coordinator.post(
        f"/clients/{ref}/reject", data={"csrf_token": csrf_of(profile), "link_id": link}
    )
    assert response.status_code == 303
    after = coordinator.get(response.location).text
    assert "No agency rows linked yet" in after and "Recorded:" in after
    assert scalar(wh, "SELECT count(*) FROM arrests WHERE record_id = 'B1'") == 0  # only candidate: gone
    assert audit(wh, "WHERE action = 'view_client'")[-1]["client_ids"] == " C1 "


def test_no_client_data_in_any_url(coordinator, wh):
    """Every link, form action and redirect a coordinator meets carries opaque ids only."""
    secrets = ["C1", "C2", "C3", "C4", "B1", "B2", "B4", "B5", "P1", "Maria", "Lopez", "Destiny", "2010"]
    seen: list[str] = []
    pages = ["/queue"] + [
        f"/items/{item_id(wh, s, r)}" for s, r in (("oakland_pd", "B2"), ("probation", "P1"))
    ]
    for path in pages:
        html = coordinator.get(path).text
        seen += re.findall(r'(?:href|action)="([^"]+)"', html)
    seen.append(_decide(coordinator, item_id(wh, "oakland_pd", "B4"), "same_person").location)
    assert seen
    for url in seen:
        # Ids would appear as a path segment or a query value; a random opaque token (c=...) may
        # contain "C4" by chance, so short ids are compared with whole parts, names and years as text.
        parts = set(re.split(r"[/?&=#]", url))
        for secret in secrets:
            assert (secret not in url) if len(secret) >= 4 else (secret not in parts), url


def test_security_headers(coordinator):
    response = coordinator.get("/queue")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # HSTS only over https (RFC 6797), or when the operator says a TLS proxy is in front
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_over_https_and_behind_a_tls_proxy(app, wh):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    over_https = app.test_client().get("/login", base_url="https://review.example")
    assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    proxied = create_app(wh.url, ReviewSettings(trusted_proxies=1))
    response = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert (
        "Strict-Transport-Security"
        not in app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"}).headers
    )  # an untrusted header changes nothing
    secure = create_app(wh.url, ReviewSettings(secure_cookies=True))
    assert "Strict-Transport-Security" in secure.test_client().get("/login").headers
    for extra in (proxied, secure):
        extra.config["SAFETYNET_ENGINE"].dispose()


# --- commands ----------------------------------------------------------------------------------


def test_users_add_reads_the_password_from_stdin_and_prints_the_totp_secret_once(wh, monkeypatch, capsys):
    import io

    import pyotp

    from safetynet.cli import main

    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", wh.url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    assert main(["users", "add", "dana", "--role", "admin"]) == 0
    out = capsys.readouterr().out
    secret = re.search(r"TOTP secret: ([A-Z2-7]+)", out).group(1)
    assert f"otpauth://totp/SafetyNet%20review:dana?secret={secret}" in out
    assert pyotp.TOTP(secret).verify(pyotp.TOTP(secret).now())
    stored = scalar(wh, "SELECT password_hash FROM review_users WHERE username = 'dana'")
    assert stored.startswith("$argon2id$") and "a-long-enough-password" not in stored

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "eve", "--role", "analyst"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    assert main(["users", "add", "dana", "--role", "analyst"]) == 2  # taken
    assert main(["users", "list"]) == 0
    assert "dana\tadmin\tactive" in capsys.readouterr().out
    # every account added (or refused) is in the audit log, never with the password or the secret
    entries = audit(wh, "WHERE action = 'user_add'")
    assert [(e["subject_id"], e["outcome"], e["detail"]) for e in entries] == [
        ("dana", "ok", "role admin"),
        ("eve", "refused", "role analyst"),
        ("dana", "refused", "role analyst"),
    ]
    assert all(e["username"].startswith("cli:") and e["remote_addr"] == "command line" for e in entries)
    assert not any(secret in str(v) or "a-long-enough" in str(v) for e in entries for v in e.values())


def test_safetynet_review_serves_the_app(wh, tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, SAFETYNET_WAREHOUSE_URL=wh.url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "safetynet.cli", "review", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    assert response.status == 200 and b"One-time code" in response.read()
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a shell that ignores SIGTERM (nohup, some CI runners)
            proc.kill()
            proc.wait(timeout=10)
