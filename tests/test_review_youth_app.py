"""The review app's side of issue 17 through Flask's test client: reasons in the queue and on the
item page, the reason filter, one item per youth decided once (all rows, or the rows ticked), undo of
the whole decision, the twin's next booking not asked again, learned names shown and removable on
the client page, every step audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from review.app import create_app
from review.settings import ReviewSettings
from tests.memory_support import NIGHT_2, build, load_night
from tests.review_support import add_user, csrf_of, item_id, login


@pytest.fixture
def wh(tmp_path):
    warehouse = build(f"sqlite:///{tmp_path / 'warehouse.db'}")
    yield warehouse
    warehouse.dispose()


@pytest.fixture
def coordinator(wh):
    app = create_app(wh.url, ReviewSettings(logins_per_minute_per_account=100))
    client = app.test_client()
    secret = add_user(wh, "cora", "coordinator")
    assert login(client, "cora", secret).status_code == 303
    yield client
    app.config["SAFETYNET_ENGINE"].dispose()


def client_ref(page: str) -> str:
    return re.search(r'name="client_ref" value="([^"]+)"', page).group(1)


def scalar(wh, sql: str, **params):
    with wh.engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def test_queue_shows_one_item_per_youth_with_its_reasons_and_filters_by_reason(coordinator, wh):
    page = coordinator.get("/queue").text
    assert page.count('class="item-link"') == 3  # four rows, three youths
    assert "2 rows" in page
    assert "possible twin: same surname and date of birth, another given name" in page
    assert "namesake: same name, another birthday and home" in page
    filtered = coordinator.get("/queue?reason=possible_twin").text
    assert filtered.count('class="item-link"') == 1 and "2 rows" in filtered
    assert 'option value="possible_twin" selected' in filtered
    assert coordinator.get("/queue?reason=names_swapped").text.count('class="item-link"') == 0


def test_item_page_puts_the_youths_rows_side_by_side(coordinator, wh):
    b1, p1 = item_id(wh, "oakland_pd", "B1"), item_id(wh, "probation", "P1")
    page = coordinator.get(f"/items/{b1}").text
    assert 'id="reasons"' in page and "possible twin" in page
    assert f'name="rows" value="{b1}"' in page and f'name="rows" value="{p1}"' in page
    assert page.count("Bea") >= 2 and "Ana" in page  # both rows beside the client
    assert 'id="group-note"' in page
    entry = scalar(wh, "SELECT detail FROM audit_log WHERE action = 'view_item' ORDER BY id DESC LIMIT 1")
    assert entry == f"items {b1} {p1}"


def test_one_decision_for_all_rows_undo_takes_it_all_back(coordinator, wh):
    b1, p1 = item_id(wh, "oakland_pd", "B1"), item_id(wh, "probation", "P1")
    page = coordinator.get(f"/items/{b1}").text
    ref = client_ref(page)
    done = coordinator.post(
        f"/items/{b1}/decide",
        data={"csrf_token": csrf_of(page), "client_ref": ref, "decision": "not_this_person"},
    )
    assert done.status_code == 303 and "done=" in done.location
    assert (
        scalar(wh, "SELECT count(*) FROM review_items WHERE status = 'open' AND id IN (:a, :b)", a=b1, b=p1)
        == 0
    )
    detail = scalar(wh, "SELECT detail FROM audit_log WHERE action = 'decision'")
    assert "2 rows" in detail and "2 rows left the warehouse" in detail
    banner = coordinator.get(done.location).text
    assert "for 2 rows of one youth" in banner

    undo = coordinator.post("/undo", data={"csrf_token": csrf_of(banner)})
    assert undo.status_code == 303
    assert scalar(wh, "SELECT count(*) FROM review_undos") == 2
    assert "2 row decisions undone" in scalar(wh, "SELECT detail FROM audit_log WHERE action = 'undo'")


def test_unticked_rows_stay_in_the_queue(coordinator, wh):
    b1, p1 = item_id(wh, "oakland_pd", "B1"), item_id(wh, "probation", "P1")
    page = coordinator.get(f"/items/{b1}").text
    ref = client_ref(page)
    done = coordinator.post(
        f"/items/{b1}/decide",
        data={
            "csrf_token": csrf_of(page),
            "client_ref": ref,
            "decision": "not_this_person",
            "rows": [str(p1)],
        },
    )
    assert done.status_code == 303 and f"/items/{b1}?" in done.location  # B1 is still open: stay
    assert scalar(wh, "SELECT status FROM review_items WHERE id = :i", i=b1) == "open"
    assert scalar(wh, "SELECT status FROM review_items WHERE id = :i", i=p1) == "decided"


def test_twins_next_booking_is_not_asked_and_the_client_page_says_so(coordinator, wh):
    b1 = item_id(wh, "oakland_pd", "B1")
    page = coordinator.get(f"/items/{b1}").text
    coordinator.post(f"/items/{b1}/decide", data={"csrf_token": csrf_of(page), "decision": "none_of_these"})
    load_night(wh, NIGHT_2, "2")
    queue = coordinator.get("/queue").text
    assert queue.count('class="item-link"') == 2  # Marcus's next booking and the namesake; not Bea's
    c1 = scalar(wh, "SELECT ref FROM client_refs WHERE client_id = 'C1'")
    if c1 is None:
        coordinator.get(f"/items/{b1}")  # the item page created the client's reference
        c1 = scalar(wh, "SELECT ref FROM client_refs WHERE client_id = 'C1'")
    profile = coordinator.get(f"/clients/{c1}").text
    assert 'id="remembered"' in profile and "None of these clients" in profile
    assert re.search(r'<td class="num">2</td><td class="num">1</td>', profile)


def test_learned_names_are_shown_removable_and_audited(coordinator, wh):
    s1 = item_id(wh, "oakland_usd", "S1")
    page = coordinator.get(f"/items/{s1}").text
    ref = client_ref(page)
    coordinator.post(
        f"/items/{s1}/decide",
        data={"csrf_token": csrf_of(page), "client_ref": ref, "decision": "same_person"},
    )
    assert "1 names learned" in scalar(wh, "SELECT detail FROM audit_log WHERE action = 'decision'")
    profile = coordinator.get(f"/clients/{ref}").text
    assert 'id="learned-names"' in profile and "Marcus" in profile
    name_id = scalar(wh, "SELECT id FROM client_learned_names")
    removed = coordinator.post(
        f"/clients/{ref}/learned/{name_id}/remove", data={"csrf_token": csrf_of(profile)}
    )
    assert removed.status_code == 303
    assert scalar(wh, "SELECT removed_by FROM client_learned_names") == "cora"
    assert scalar(wh, "SELECT client_ids FROM audit_log WHERE action = 'remove_learned_name'").strip() == "C2"
    assert "Marcus" not in coordinator.get(f"/clients/{ref}").text.split('id="aliases"')[1].split("</dl>")[0]
    forged = coordinator.post(f"/clients/{ref}/learned/{name_id}/remove", data={})
    assert forged.status_code == 400  # no CSRF token
