"""The review app in a real browser (Debian's Chromium via Playwright): a coordinator logs in with a
one-time code, clears the queue with the keyboard, undoes, links to another client, sees the profile
change and logs out; an analyst cannot open a client page; expired and forged sessions are refused;
a POST without the CSRF token is refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from review.app import SESSION_COOKIE, create_app
from review.testing import login_code, serve
from tests.review_support import PASSWORD, add_user, build, item_id
from warehouse.db import utcnow

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory, chromium):
    wh = build(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'warehouse.db'}")
    users = {
        name: (role, add_user(wh, name, role))
        for name, role in (("cora", "coordinator"), ("cole", "coordinator"), ("ana", "analyst"))
    }
    app = create_app(wh.url)
    with serve(app) as base:
        yield {"base": base, "wh": wh, "users": users}
    app.config["SAFETYNET_ENGINE"].dispose()
    wh.dispose()


def log_in(page, site, name: str) -> None:
    page.goto(f"{site['base']}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.fill("#code", login_code(site["users"][name][1]))
    page.click("#btn-login")


def heading(page) -> str:
    return page.inner_text("h1")


def test_coordinator_clears_the_queue_with_the_keyboard(page, site):
    wh = site["wh"]
    b4, b2, p1, b5 = (
        item_id(wh, s, r)
        for s, r in (("oakland_pd", "B4"), ("oakland_pd", "B2"), ("probation", "P1"), ("oakland_pd", "B5"))
    )
    log_in(page, site, "cora")
    page.wait_for_url("**/queue")
    assert "Review queue" in heading(page) and page.locator("a.item-link").count() == 4

    page.keyboard.press("o")  # the first item: B4, on the agenda, best score
    page.wait_for_url(f"**/items/{b4}")
    assert "Xanthe" in page.inner_text("main")
    page.click("#client-link")  # C4's profile before any decision
    assert page.inner_text("#link-count") == "0"
    page.go_back()

    page.keyboard.press("s")  # same person -> on to B2
    page.wait_for_url(re.compile(rf"/items/{b2}\?done=\d+"))
    assert "Recorded: Same person" in page.inner_text("#done-banner")
    page.keyboard.press("u")  # undo -> back on B4, open again
    page.wait_for_url(re.compile(rf"/items/{b4}\?m=undone"))
    assert "Decision undone" in page.inner_text("main") and "open" in heading(page).lower()
    page.keyboard.press("s")
    page.wait_for_url(re.compile(rf"/items/{b2}\?done=\d+"))

    # not C2; C3 is still a candidate, so the item stays. The page is already at a URL of this shape:
    # wait for the navigation itself, or the next keys land on the page being left (flaky under load)
    with page.expect_navigation(url=re.compile(rf"/items/{b2}\?done=\d+")):
        page.keyboard.press("n")
    assert "Jasmine" in page.inner_text(".compare") and "open" in heading(page).lower()
    page.keyboard.press("l")  # link to another client: search by alias
    page.keyboard.type("dee")
    page.keyboard.press("Enter")
    page.locator("button.link-client", has_text="Destiny Okafor").click()
    page.wait_for_url(re.compile(rf"/items/{p1}\?done=\d+"))
    assert "Linked to another client" in page.inner_text("#done-banner")

    at = page.url
    page.click("#note")
    page.keyboard.type("same referral ids in both systems")  # S and N typed in a note decide nothing
    page.wait_for_timeout(200)
    assert page.url == at and page.input_value("#note").startswith("same referral")
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    page.wait_for_url(re.compile(rf"/items/{b5}\?done=\d+"))
    page.keyboard.press("k")  # skip: nothing else is left, so back to the queue, where B5 waits
    page.wait_for_url(re.compile(r"/queue\?m=skipped"))
    assert page.locator("a.item-link").count() == 1
    page.keyboard.press("o")
    page.wait_for_url(f"**/items/{b5}")
    page.keyboard.press("n")  # its only candidate: the row leaves, the queue is clear
    page.wait_for_url(re.compile(r"/queue\?done=\d+"))
    assert "The queue is clear" in page.inner_text("main")

    # the profile changed: C4 now holds B4 (same person) and B2 (linked), with their arrests
    page.goto(f"{site['base']}/items/{b4}")
    page.click("#client-link")
    assert page.inner_text("#link-count") == "2"
    facts = page.inner_text("main")
    assert "VC 10851" in facts and "Destiny" in heading(page)
    page.locator("tr", has_text="Marie").locator("button", has_text="Wrong match").click()
    page.wait_for_url(re.compile(r"/clients/[^/?]+\?done=\d+"))
    assert page.inner_text("#link-count") == "1"

    page.click("#btn-logout")
    page.wait_for_url("**/login?m=logged_out")
    page.goto(f"{site['base']}/queue")
    assert page.url.startswith(f"{site['base']}/login") and page.locator("#btn-login").is_visible()
    with wh.engine.connect() as conn:
        actions = [
            a for (a,) in conn.execute(sa.text("SELECT action FROM audit_log WHERE username = 'cora'"))
        ]
    assert actions.count("decision") == 7 and actions.count("undo") == 1 and "logout" in actions


def test_an_analyst_cannot_open_a_client_page_or_a_review_item(page, site):
    wh = site["wh"]
    with wh.engine.begin() as conn:
        from review.profile import refs_for

        ref = refs_for(conn, ["C2"])["C2"]
    log_in(page, site, "ana")
    page.wait_for_url("**/reports")
    assert "De-identified" in heading(page) and "Maria" not in page.inner_text("main")
    for path in (f"/clients/{ref}", f"/items/{item_id(wh, 'probation', 'P1')}", "/queue"):
        response = page.goto(f"{site['base']}{path}")
        assert response.status == 403 and "Not allowed" in heading(page), path
        assert "Maria" not in page.content()


def test_forged_and_expired_sessions_are_refused(page, site):
    base = site["base"]
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": "forged-session-token", "url": base}])
    page.goto(f"{base}/queue")
    assert "/login" in page.url and "not valid" in page.inner_text("main")

    log_in(page, site, "cole")
    page.wait_for_url("**/queue")
    with site["wh"].engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE review_sessions SET last_seen_at = :t WHERE ended_at IS NULL"),
            {"t": utcnow() - timedelta(minutes=31)},
        )
    page.reload()
    assert "/login" in page.url and "expired" in page.inner_text("main")


def test_a_post_without_the_csrf_token_is_refused(chromium, site):
    context = chromium.new_context(bypass_csp=True)  # so the test may edit the page it was given
    page = context.new_page()
    wh = site["wh"]
    with wh.engine.begin() as conn:
        conn.execute(sa.text("UPDATE review_users SET totp_last_step = NULL WHERE username = 'cole'"))
    page.goto(f"{site['base']}/login")
    page.fill("#username", "cole")
    page.fill("#password", PASSWORD)
    page.fill("#code", login_code(site["users"]["cole"][1], offset_steps=1))  # a code not used yet
    page.click("#btn-login")
    page.wait_for_url("**/queue")
    page.goto(f"{site['base']}/reports")
    before = (
        wh.engine.connect()
        .execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'logout'"))
        .scalar()
    )
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.click("#btn-logout")
    assert "Request refused" in heading(page) and "CSRF" in page.inner_text("main")
    with wh.engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'logout'")).scalar() == before
        )
    page.goto(f"{site['base']}/reports")  # still logged in: the refused POST did nothing
    assert "De-identified" in heading(page)
    context.close()
