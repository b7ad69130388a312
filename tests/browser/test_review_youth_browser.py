"""Issue 17 in a real browser (Debian's Chromium via Playwright): the coordinator filters the queue
by reason, opens the twin's item (her booking and her probation row side by side), rules her out
once with the keyboard, and the twin's next booking a week later is not asked about; and on a fresh
warehouse, one undo of a grouped decision puts both rows back in the queue as one item."""

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


@pytest.fixture
def fresh_site(tmp_path, chromium):
    wh = build(f"sqlite:///{tmp_path / 'warehouse.db'}")
    secret = add_user(wh, "cora", "coordinator")
    app = create_app(wh.url)
    with serve(app) as base:
        yield {"base": base, "wh": wh, "secret": secret}
    app.config["SAFETYNET_ENGINE"].dispose()
    wh.dispose()


def log_in(page, site) -> None:
    page.goto(f"{site['base']}/login")
    page.fill("#username", "cora")
    page.fill("#password", PASSWORD)
    page.fill("#code", login_code(site["secret"]))
    page.click("#btn-login")
    page.wait_for_url("**/queue")


def standing(wh, source: str, record_id: str) -> int:
    """Row decisions on one row that no undo took back."""
    with wh.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM review_decisions d LEFT JOIN review_undos u ON u.decision_id = d.id "
                "WHERE d.source = :s AND d.record_id = :r AND u.decision_id IS NULL"
            ),
            {"s": source, "r": record_id},
        ).scalar_one()


def test_grouped_item_reason_filter_and_a_remembered_decision(page, site):
    wh, base = site["wh"], site["base"]
    b1, p1 = item_id(wh, "oakland_pd", "B1"), item_id(wh, "probation", "P1")
    log_in(page, site)
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


def test_one_undo_undoes_the_whole_grouped_decision(page, fresh_site):
    wh, base = fresh_site["wh"], fresh_site["base"]
    b1, p1 = item_id(wh, "oakland_pd", "B1"), item_id(wh, "probation", "P1")
    log_in(page, fresh_site)
    page.goto(f"{base}/items/{b1}")
    assert page.locator("th.row-head").count() == 2
    # a slip: "same person" for both rows at once (a ruled-out row would leave the warehouse until
    # its agency's next delivery; a linked one stays, so the undo shows at once)
    page.keyboard.press("s")
    page.wait_for_url(re.compile(r"/items/\d+\?done=\d+"))
    assert "for 2 rows of one youth" in page.inner_text("#done-banner")
    assert standing(wh, "oakland_pd", "B1") == 1 and standing(wh, "probation", "P1") == 1
    page.goto(f"{base}/queue")
    assert page.locator("a.item-link").count() == 2  # Marcus and the namesake are left

    page.keyboard.press("u")  # one undo
    page.wait_for_url("**m=undone*")
    assert "Decision undone." in page.inner_text("main")
    assert standing(wh, "oakland_pd", "B1") == 0 and standing(wh, "probation", "P1") == 0
    page.goto(f"{base}/queue?reason=possible_twin")
    assert page.locator("a.item-link").count() == 1  # both rows back, still one item
    assert "2 rows" in page.locator("table.queue tbody tr").first.inner_text()
    page.goto(f"{base}/items/{b1}")
    assert page.locator(f"input[name=rows][value='{b1}']").is_checked()
    assert page.locator(f"input[name=rows][value='{p1}']").is_checked()
