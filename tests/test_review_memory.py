"""One decision per youth, remembered (issue 17), on SQLite and PostgreSQL: a youth's rows decided
at once, her later rows answered by the decision, "same person" teaching her names to every later
run, undo taking all of it back, sealing removing what a row left behind."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from matchers.config import load
from matchers.engine import FellegiSunterMatcher
from review.deciding import decide_item, item_group
from review.queue import QueueFilter, QueueOrder, queue_page
from tests.memory_support import BEA, JOSE, LEGAL_NAME, NAMESAKE, NIGHT_2, TWIN, booking, build, load_night
from warehouse import Warehouse
from warehouse.learned_names import active_names, remove_name
from warehouse.youth import client_decisions, undo_youth


@pytest.fixture
def night1(warehouse_url: str):
    wh = build(warehouse_url)
    yield wh
    wh.dispose()


def item(wh: Warehouse, source: str, record_id: str) -> int | None:
    with wh.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT id FROM review_items WHERE source = :s AND record_id = :r AND status = 'open'"),
            {"s": source, "r": record_id},
        ).scalar_one_or_none()


def links_of(wh: Warehouse, source: str, record_id: str) -> list[tuple]:
    with wh.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT client_id, decision, decided_by FROM match_links"
                    " WHERE source = :s AND record_id = :r"
                ),
                {"s": source, "r": record_id},
            )
        ]


def test_rows_of_one_youth_are_one_item_and_twins_are_not_grouped(night1: Warehouse) -> None:
    order = QueueOrder()
    with night1.engine.connect() as conn:
        page = queue_page(conn, order, QueueFilter())
        group = item_group(conn, item(night1, "oakland_pd", "B1"), order)
    # four open rows, three youths: Bea (booking + probation), Marcus, Destiny's namesake
    assert page.total == 3
    bea = next(r for r in page.rows if r["rows"] == 2)
    assert set(bea["sources"]) == {"oakland_pd", "probation"}
    assert [r.code for r in bea["reasons"]][0] == "possible_twin"
    assert {(r.source, r.record_id) for r in group.rows} == {("oakland_pd", "B1"), ("probation", "P1")}
    assert group.clients == ("C1",)


def test_the_queue_filters_by_reason(night1: Warehouse) -> None:
    with night1.engine.connect() as conn:
        order = QueueOrder()
        twins = queue_page(conn, order, QueueFilter(reason="possible_twin"))
        namesakes = queue_page(conn, order, QueueFilter(reason="namesake"))
        unrelated = queue_page(conn, order, QueueFilter(reason="given_name_unrelated"))
        legal = queue_page(conn, order, QueueFilter(reason="legal_name_or_twin"))
    assert twins.total == 1 and twins.rows[0]["rows"] == 2
    assert namesakes.total == 1 and namesakes.rows[0]["source"] == "oakland_pd"
    assert unrelated.total == 2  # the twin and the legal name both have another given name
    assert legal.total == 1 and legal.rows[0]["source"] == "oakland_usd"
    assert twins.reasons["possible_twin"] == 1 and twins.reasons["namesake"] == 1


def test_one_decision_for_the_youth_and_the_twins_next_booking_is_not_asked(night1: Warehouse) -> None:
    b1 = item(night1, "oakland_pd", "B1")
    outcome = decide_item(
        night1.engine, b1, client_id="C1", decision="not_this_person", decided_by="cora", order=QueueOrder()
    )
    assert len(outcome.outcomes) == 2 and outcome.purged == 2  # both rows, both gone (privacy rule 1)
    assert item(night1, "probation", "P1") is None

    load_night(night1, NIGHT_2, "2")
    assert item(night1, "oakland_pd", "B3") is None  # Bea's next booking: answered, not asked
    assert links_of(night1, "oakland_pd", "B3") == []  # and not kept
    assert item(night1, "oakland_pd", "B4") is not None  # Marcus was never decided: asked
    with night1.engine.connect() as conn:
        (decision,) = client_decisions(conn, "C1")
    assert (decision["rows"], decision["remembered"]) == (2, 1)
    assert decision["last_remembered"] is not None


def test_same_person_teaches_her_legal_name_to_every_later_run(night1: Warehouse) -> None:
    s1 = item(night1, "oakland_usd", "S1")
    outcome = decide_item(night1.engine, s1, client_id="C2", decision="same_person", decided_by="cora")
    assert outcome.learned == 1
    assert links_of(night1, "oakland_usd", "S1") == [("C2", "match", "human")]
    with night1.engine.connect() as conn:
        names = active_names(conn, ["C2"])["C2"]
    assert [(n["name"], n["kind"]) for n in names] == [("Marcus", "given_name")]
    clients = night1.clients_frame()
    assert clients.set_index("client_id").at["C2", "aliases"] == "Marcus"

    # a later run of another source: the matcher compares her rows with the learned name
    records = pd.DataFrame([{**NIGHT_2["oakland_pd"][0][1], "aliases": None}])[
        ["record_id", "first_name", "last_name", "dob", "sex", "address", "city", "zip"]
    ]
    matched = FellegiSunterMatcher(load()).link(clients, records)
    pair = matched[matched["client_id"] == "C2"].iloc[0]
    assert '"field": "first_name", "level": "alias_or_part"' in pair["explanation"]
    # and the memory links her next booking (the same youth as the row decided) without asking
    load_night(night1, NIGHT_2, "2")
    assert item(night1, "oakland_pd", "B4") is None
    assert links_of(night1, "oakland_pd", "B4") == [("C2", "match", "human")]


def test_undo_takes_back_the_whole_decision_and_what_it_answered_later(night1: Warehouse) -> None:
    s1 = item(night1, "oakland_usd", "S1")
    outcome = decide_item(night1.engine, s1, client_id="C2", decision="same_person", decided_by="cora")
    load_night(night1, NIGHT_2, "2")
    assert links_of(night1, "oakland_pd", "B4") == [("C2", "match", "human")]
    undone = undo_youth(night1.engine, outcome.youth_decision_id, "cora")
    assert len(undone.outcomes) == 2  # the row decided and the later row it answered
    assert links_of(night1, "oakland_usd", "S1") == [("C2", "review", "model")]
    assert links_of(night1, "oakland_pd", "B4") == [("C2", "review", "model")]
    assert item(night1, "oakland_usd", "S1") is not None and item(night1, "oakland_pd", "B4") is not None
    with night1.engine.connect() as conn:
        assert active_names(conn, ["C2"]) == {}


def test_unticked_rows_stay_open_and_a_changed_item_is_refused(night1: Warehouse) -> None:
    from warehouse.errors import WarehouseError

    b1, p1 = item(night1, "oakland_pd", "B1"), item(night1, "probation", "P1")
    with pytest.raises(WarehouseError, match="changed"):
        decide_item(
            night1.engine, b1, client_id="C1", decision="not_this_person", decided_by="cora", rows=[b1, 999]
        )
    decide_item(night1.engine, b1, client_id="C1", decision="not_this_person", decided_by="cora", rows=[b1])
    assert item(night1, "oakland_pd", "B1") is None and item(night1, "probation", "P1") == p1


def test_removed_learned_names_and_sealed_rows_leave_nothing_behind(night1: Warehouse) -> None:
    s1 = item(night1, "oakland_usd", "S1")
    decide_item(night1.engine, s1, client_id="C2", decision="same_person", decided_by="cora")
    with night1.engine.connect() as conn:
        (name,) = active_names(conn, ["C2"])["C2"]
    remove_name(night1.engine, name["id"], "C2", "cora")
    assert "Marcus" not in str(night1.clients_frame()["aliases"].tolist())

    b1 = item(night1, "oakland_pd", "B1")
    decide_item(night1.engine, b1, client_id="C1", decision="not_this_person", decided_by="cora")
    night1.seal("probation", "P1", sealed_by="records clerk")
    night1.seal("oakland_usd", "S1", sealed_by="records clerk")
    with night1.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT count(*) FROM review_youth_rows")).scalar_one()
        learned = conn.execute(sa.text("SELECT count(*) FROM client_learned_names")).scalar_one()
    assert kept == 1  # only B1's: P1's identity and decision went with the seal, and S1's
    assert learned == 0  # the name S1 taught is gone with S1


def test_the_identity_key_is_made_once_outside_the_warehouse(monkeypatch, tmp_path) -> None:
    from sync.memory import KEY_ENV, identity_key

    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(tmp_path / "var"))
    first = identity_key()
    assert identity_key() == first and len(first) == 64
    assert (tmp_path / "var" / "identity.key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(KEY_ENV, "from the environment")
    assert identity_key() == b"from the environment"


def test_a_namesakes_next_booking_with_her_dob_two_days_off_is_not_asked(night1: Warehouse) -> None:
    b2 = item(night1, "oakland_pd", "B2")
    decide_item(
        night1.engine, b2, client_id="C3", decision="not_this_person", decided_by="cora", order=QueueOrder()
    )
    namesake = {"first_name": "DESTINY", "last_name": "OKAFOR", "sex": "F"}
    later = {
        "oakland_pd": (
            [
                # her DOB mistyped two days off (2007-09-30 -> 2007-10-02: more than one digit)
                booking("B5", {**namesake, "dob": "2007-10-02"}, "2026-11-04 02:00"),
                # another Destiny Okafor, three weeks apart: not her
                booking("B6", {**namesake, "dob": "2007-10-21"}, "2026-11-05 02:00"),
            ],
            [("B5", "C3", 0.7, "review", NAMESAKE), ("B6", "C3", 0.7, "review", NAMESAKE)],
        )
    }
    load_night(night1, later, "3")
    assert item(night1, "oakland_pd", "B5") is None and links_of(night1, "oakland_pd", "B5") == []
    assert item(night1, "oakland_pd", "B6") is not None


def test_a_legal_name_her_matched_row_stated_is_used_by_later_runs_while_the_link_stands(
    night1: Warehouse,
) -> None:
    from sync.memory import clients_for_matching
    from warehouse import decisions

    assert clients_for_matching(night1).set_index("client_id").at["C2", "aliases"] is None
    # Probation files her under her legal name and states hers as an AKA: the matcher linked it
    stated = {**JOSE, "record_id": "P2", "aliases": "Josie", "referral_id": "R2",
              "referral_date": "2026-10-05", "supervision_status": "probation"}  # fmt: skip
    load_night(night1, {"probation": ([stated], [("P2", "C2", 0.999, "match", LEGAL_NAME)])}, "3")
    clients = clients_for_matching(night1)
    assert clients.set_index("client_id").at["C2", "aliases"] == "Marcus"
    assert night1.clients_frame().set_index("client_id").at["C2", "aliases"] is None  # nothing stored
    # a later run of another source compares the school's Marcus Cruz with it
    records = pd.DataFrame([{**NIGHT_2["oakland_pd"][0][1], "aliases": None}])[
        ["record_id", "first_name", "last_name", "dob", "sex", "address", "city", "zip"]
    ]
    pair = FellegiSunterMatcher(load()).link(clients, records).set_index("client_id").loc["C2"]
    assert '"field": "first_name", "level": "alias_or_part"' in pair["explanation"]
    # a person unlinks the row: it states nothing any more
    decisions.decide(night1.engine, source="probation", record_id="P2", client_id="C2",
                     decision="not_this_person", decided_by="cora")  # fmt: skip
    assert clients_for_matching(night1).set_index("client_id").at["C2", "aliases"] is None


def test_a_namesake_ruled_out_without_a_dob_does_not_unlink_the_clients_own_matched_row(
    night1: Warehouse,
) -> None:
    """Same youth through a missing DOB is weaker than the model's confident match: the client's
    own row stays matched (review_workload at 1,200 clients lost 12 such rows); a pair in review
    is still answered by the memory."""
    namesake = {"first_name": "Destiny", "last_name": "Okafor", "sex": "F"}
    load_night(
        night1,
        {
            "oakland_pd": (
                [booking("B7", namesake, "2026-11-06 02:00")],
                [("B7", "C3", 0.7, "review", NAMESAKE)],
            )
        },
        "3",
    )
    ruled_out = item(night1, "oakland_pd", "B7")
    decide_item(night1.engine, ruled_out, client_id="C3", decision="not_this_person", decided_by="cora")
    own = {**namesake, "dob": "2008-02-02"}
    later = {
        "oakland_pd": (
            [booking("B8", own, "2026-11-07 02:00"), booking("B9", namesake, "2026-11-08 02:00")],
            [("B8", "C3", 0.99, "match", NAMESAKE), ("B9", "C3", 0.7, "review", NAMESAKE)],
        )
    }
    load_night(night1, later, "4")
    assert links_of(night1, "oakland_pd", "B8") == [("C3", "match", "model")]
    assert item(night1, "oakland_pd", "B9") is None and links_of(night1, "oakland_pd", "B9") == []


def test_a_twin_ruled_out_stays_ruled_out_when_the_model_matches_her_next_booking(night1: Warehouse) -> None:
    ruled_out = item(night1, "oakland_pd", "B1")
    decide_item(night1.engine, ruled_out, client_id="C1", decision="not_this_person", decided_by="cora")
    later = {"oakland_pd": ([booking("B10", BEA, "2026-11-09 02:00")], [("B10", "C1", 0.99, "match", TWIN)])}
    load_night(night1, later, "5")
    assert links_of(night1, "oakland_pd", "B10") == []
