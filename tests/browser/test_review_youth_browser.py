"""Issue 17 in a real browser (Debian's Chromium via Playwright): the coordinator filters the queue
by reason, opens the twin's item (her booking and her probation row side by side), rules her out
once with the keyboard, and the twin's next booking a week later is not asked about."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from review.app import create_app
from review.testing import login_code, serve
from tests.memory_support import NIGHT_2, build, load_night
from tests.review_support import PASSWORD, add_user, item_id

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory, chromium):
    wh = build(f"sqlite:///{tmp_path_factory.mktemp('youth') / 'warehouse.db'}")
    secret = add_user(wh, "cora", "coordinator")
    app = create_app(wh.url)
    with serve(app) as base:
        yield {"base": base, "wh": wh, "secret": secret}
    app.config["SAFETYNET_ENGINE"].dispose()
    wh.dispose()


def test_grouped_item_reason_filter_and_a_remembered_decision(page, site):
    wh, base = site["wh"], site["base"]
    b1, p1 = item_id(wh, "oakland_pd", "B1"), item_id(wh, "probation", "P1")
    page.goto(f"{base}/login")
    page.fill("#username", "cora")
    page.fill("#password", PASSWORD)
    page.fill("#code", login_code(site["secret"]))
    page.click("#btn-login")
    page.wait_for_url("**/queue")
    assert page.locator("a.item-link").count() == 3  # four rows, three youths

    # the reason filter
    page.select_option("#reason-filter", "possible_twin")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/queue?*reason=possible_twin*")
    assert page.locator("a.item-link").count() == 1
    row = page.locator("table.queue tbody tr").first
    assert "2 rows" in row.inner_text() and "possible twin" in row.inner_text()

    # the grouped item: both rows beside the client, both ticked
    page.keyboard.press("o")
    page.wait_for_url(f"**/items/{b1}")
    assert "possible twin" in page.inner_text("#reasons")
    heads = page.locator("th.row-head")
    assert heads.count() == 2
    assert page.locator(f"input[name=rows][value='{b1}']").is_checked()
    assert page.locator(f"input[name=rows][value='{p1}']").is_checked()
    side = page.inner_text("#side-by-side")
    assert side.count("Bea") == 2 and "Ana" in side

    page.keyboard.press("n")  # not this person: one decision for both rows
    page.wait_for_url(re.compile(r"/items/\d+\?done=\d+"))
    assert "for 2 rows of one youth" in page.inner_text("#done-banner")

    # a week later: the twin's next booking comes in, and is not asked about
    load_night(wh, NIGHT_2, "2")
    page.goto(f"{base}/queue")
    assert page.locator("a.item-link").count() == 2  # Marcus (now two rows) and the namesake: not Bea
    page.goto(f"{base}/queue?reason=possible_twin")
    assert "The queue is clear" in page.inner_text("main")
    with wh.engine.connect() as conn:
        b3 = conn.execute(
            sa.text("SELECT count(*) FROM review_items WHERE source = 'oakland_pd' AND record_id = 'B3'")
        ).scalar_one()
        remembered = conn.execute(
            sa.text("SELECT count(*) FROM review_youth_rows WHERE remembered")
        ).scalar_one()
        ref = conn.execute(sa.text("SELECT ref FROM client_refs WHERE client_id = 'C1'")).scalar_one()
    assert b3 == 0 and remembered == 1
    page.goto(f"{base}/clients/{ref}")  # Ana's page: the decision, and the later row it answered
    assert "Decisions that hold for later rows" in page.inner_text("#remembered")
    assert re.search(r"Not this person\s+cora\s+2\s+1", page.inner_text("#remembered"))
