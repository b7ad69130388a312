"""Warehouse: migrations, loads in one transaction, privacy rule 1, human decisions, status.

Every test runs on SQLite and on a fresh PostgreSQL database (``warehouse_url``). Extracts are built
by hand in the canonical schema (as integrations/mapping.py produces it), small enough to read.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from expectations.report import RuleResult, ValidationReport
from integrations.kinds import PERSON_FIELDS
from tests.warehouse_data import (
    ARREST_LINKS,
    ARRESTS,
    CLIENTS,
    add_decision,
    arrests,
    dump,
    extract,
    links,
    record,
    rows,
)
from warehouse import Warehouse, WarehouseError, decisions
from warehouse import facts as facts_module
from warehouse.models import Base

# --- schema ------------------------------------------------------------------------------------


def _script_heads() -> tuple[str, ...]:
    """Every head of the packaged migrations."""
    import warehouse as warehouse_package

    return ScriptDirectory(str(Path(warehouse_package.__file__).parent / "migrations")).get_heads()


def test_the_migrations_have_one_head() -> None:
    """`safetynet db upgrade` has one target: a new migration revises the head, two heads are merged."""
    assert len(_script_heads()) == 1, f"merge the heads {_script_heads()} into one migration"


def test_migrations_from_empty_match_the_models(warehouse_url: str) -> None:
    wh = Warehouse(warehouse_url)
    try:
        wh.migrate()
        wh.migrate()  # at head: a no-op
        with wh.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert set(ctx.get_current_heads()) == set(_script_heads())
            assert compare_metadata(ctx, Base.metadata) == []
            tables = set(sa.inspect(conn).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"} == tables
        # foreign keys are enforced on both backends (SQLite needs PRAGMA foreign_keys per connection)
        with pytest.raises(sa.exc.IntegrityError), wh.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO match_links (source, record_id, client_id, decision, decided_by,"
                    " delivery_id, updated_at) VALUES ('s', 'r', 'nobody', 'match', 'model', 999,"
                    " '2026-01-01 00:00:00')"
                )
            )
    finally:
        wh.dispose()


def test_downgrade_to_base_and_back(wh: Warehouse) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(Path(__import__("warehouse").__file__).parent / "alembic.ini"))
    cfg.attributes["configure_logger"] = False
    with wh.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with wh.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {"alembic_version"}
    wh.migrate()
    assert "arrests" in sa.inspect(wh.engine).get_table_names()


def test_sqlite_transactions_are_real(sqlite_url: str) -> None:
    """pysqlite's legacy mode would autocommit the first statement; our engine emits BEGIN itself."""
    wh = Warehouse(sqlite_url)
    wh.migrate()
    with pytest.raises(RuntimeError), wh.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO runs (trigger, started_at, status) VALUES ('t', '2026-01-01', 'x')")
        )
        with conn.begin_nested():  # SAVEPOINT works
            conn.execute(
                sa.text("INSERT INTO runs (trigger, started_at, status) VALUES ('u', '2026-01-01', 'x')")
            )
        raise RuntimeError("boom")
    assert rows(wh, "runs") == []
    wh.dispose()


# --- runs, deliveries, validation ----------------------------------------------------------------


def test_runs_and_record_validation(wh: Warehouse) -> None:
    run_id = wh.start_run("schedule")
    ex = arrests()
    report = ValidationReport(
        "oakland_pd",
        ex.file.name,
        4,
        [
            RuleResult(
                "arrests.dob.parses",
                "dates parse",
                "blocking",
                False,
                "arrests",
                "dob",
                2,
                (3, 5),
                "Send dates as MM/DD/YYYY",
            ),
            RuleResult("arrests.record_id.unique", "ids unique", "warning", True, "arrests", "record_id"),
        ],
    )
    delivery_id = wh.record_validation(
        source="oakland_pd",
        file_name=ex.file.name,
        sha256=ex.sha256,
        delivered_on=ex.delivered_on,
        rows_read=4,
        report=report,
        run_id=run_id,
    )
    # the same bytes again: the same delivery, no second set of results
    again = wh.record_validation(
        source="oakland_pd",
        file_name="renamed.csv",
        sha256=ex.sha256,
        delivered_on=ex.delivered_on,
        rows_read=4,
        report=report,
        run_id=run_id,
    )
    assert again == delivery_id
    info = wh.find_delivery("oakland_pd", ex.sha256)
    assert info is not None and info.id == delivery_id and info.status == "quarantined"
    assert info.rows_quarantined == 4 and info.run_id == run_id
    assert wh.find_delivery("oakland_pd", "0" * 64) is None
    dq = sorted(rows(wh, "dq_results"), key=lambda r: r["rule_id"])
    assert [r["rule_id"] for r in dq] == ["arrests.dob.parses", "arrests.record_id.unique"]
    row_numbers = dq[0]["row_numbers"]
    assert (json.loads(row_numbers) if isinstance(row_numbers, str) else row_numbers) == [3, 5]
    assert wh.recent_row_counts("oakland_pd") == []  # quarantined deliveries are not a baseline
    with pytest.raises(WarehouseError, match="quarantined"):
        wh.load_delivery(delivery_id, ex, links(*ARREST_LINKS))
    wh.finish_run(run_id, "success", {"deliveries": 1, "as_of": date(2026, 11, 16)})
    (run,) = rows(wh, "runs")
    assert run["status"] == "success" and run["finished_at"] is not None


# --- client list ---------------------------------------------------------------------------------


def test_load_clients_then_clients_frame(wh: Warehouse) -> None:
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    result = wh.load_clients(record(wh, ex), ex)
    assert not result.skipped and result.records_matched == 3
    assert result.facts["client_aliases"] == 2 and result.facts["client_risk_factors"] == 2

    frame = wh.clients_frame()
    assert list(frame.columns) == ["client_id", *PERSON_FIELDS, "given_name_may_differ"]
    assert list(frame["client_id"]) == ["C1", "C2", "C3"]
    c1 = frame.set_index("client_id").loc["C1"]
    assert c1["aliases"] == "Lia|Lee-Lee" and c1["dob"] == pd.Timestamp("2009-03-04")
    assert pd.api.types.is_datetime64_any_dtype(frame["dob"])
    assert frame.set_index("client_id").loc["C2", "aliases"] is None
    # C3 is a trans girl: her agency rows may carry either sex marker, so the matcher gets none
    assert frame.set_index("client_id").loc["C3", "sex"] is None
    assert frame.set_index("client_id").loc["C1", "sex"] is not None
    # ... and her legal given name on an agency's record is another name of hers
    assert frame.set_index("client_id")["given_name_may_differ"].to_dict() == {
        "C1": False,
        "C2": False,
        "C3": True,
    }

    # a new list: C3 left, C1 changed its aliases; C3 stays (links point at it) but inactive
    new = [dict(CLIENTS[0], aliases="Lia", services=None), CLIENTS[1]]
    ex2 = extract("safetynet_clients", "safetynet_clients", {"clients": new}, tag="2")
    wh.load_clients(record(wh, ex2), ex2)
    frame = wh.clients_frame()
    assert list(frame["client_id"]) == ["C1", "C2"]
    assert frame.set_index("client_id").loc["C1", "aliases"] == "Lia"
    active = {r["client_id"]: bool(r["active"]) for r in rows(wh, "clients")}
    assert active == {"C1": True, "C2": True, "C3": False}
    assert [r["client_id"] for r in rows(wh, "client_services")] == []
    c3 = rows(wh, "clients", "WHERE client_id = 'C3'")[0]
    assert c3["gender_identity"] == "trans female"

    empty = extract("safetynet_clients", "safetynet_clients", {"clients": []}, tag="empty")
    with pytest.raises(WarehouseError, match="no clients"):
        wh.load_clients(record(wh, empty), empty)
    assert len(wh.clients_frame()) == 2

    # the same list again: skipped; the same content in a new file: nothing changes
    before = dump(wh)
    assert wh.load_clients(record(wh, ex2), ex2).skipped
    assert dump(wh) == before
    ex3 = extract("safetynet_clients", "safetynet_clients", {"clients": new}, tag="3")
    wh.load_clients(record(wh, ex3), ex3)
    after = dump(wh, skip=("deliveries",))
    before.pop("deliveries")
    assert after == before


# --- agency deliveries ---------------------------------------------------------------------------


def test_load_delivery_keeps_only_linked_records(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    delivery_id = record(wh, ex)
    result = wh.load_delivery(delivery_id, ex, links(*ARREST_LINKS))
    assert not result.skipped and result.delivery_id == delivery_id
    assert result.rows_read == 4 and result.records_matched == 1 and result.review_items_open == 1
    assert result.facts["arrests"] == 2 and result.facts["source_persons"] == 2
    assert result.facts["match_links"] == 2 and result.facts["arrest_charges"] == 3

    # privacy rule 1: nothing of B3 (non-match pair) or B4 (no candidate) anywhere in the database
    everything = json.dumps(dump(wh))
    for forbidden in ("B3", "B4", "Zoey", "Quintrell", "Xanthe", "Vorhees", "11350", "10851"):
        assert forbidden not in everything, forbidden
    assert {r["record_id"] for r in rows(wh, "arrests")} == {"B1", "B2"}
    assert {
        (r["record_id"], r["client_id"], r["decision"], r["decided_by"]) for r in rows(wh, "match_links")
    } == {("B1", "C1", "match", "model"), ("B2", "C2", "review", "model")}
    persons = {r["record_id"]: r for r in rows(wh, "source_persons")}
    assert persons["B2"]["first_name"] == "Marie" and str(persons["B2"]["dob"]) == "2010-07-12"
    (item,) = rows(wh, "review_items")
    assert (item["record_id"], item["status"], item["best_score"]) == ("B2", "open", 0.6)
    link = rows(wh, "match_links", "WHERE record_id = 'B1'")[0]
    assert json.loads(link["explanation"])["fields"][0]["field"] == "dob"

    info = wh.delivery(delivery_id)
    assert info.status == "loaded" and info.kind == "arrest_log"
    assert wh.recent_row_counts("oakland_pd") == [4]
    lf = wh.links_frame()
    assert set(lf.columns) >= {"source", "record_id", "client_id", "decision"} and len(lf) == 2


def test_arrest_charges_normalised(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    wh.load_delivery(record(wh, ex), ex, links(*ARREST_LINKS))
    with wh.engine.connect() as conn:
        got = conn.execute(
            sa.text(
                "SELECT a.record_id, c.position, c.charge_text, c.code, c.section FROM arrest_charges c"
                " JOIN arrests a ON a.id = c.arrest_id ORDER BY a.record_id, c.position"
            )
        ).all()
    assert [tuple(r) for r in got] == [
        ("B1", 1, "647(b) PC", "PC", "647(b)"),
        ("B1", 2, "PC 148(a)(1)", "PC", "148(a)(1)"),
        ("B2", 1, "653.22", "PC", "653.22"),
    ]
    (b1,) = rows(wh, "arrests", "WHERE record_id = 'B1'")
    assert b1["charges"] == "647(b) PC|PC 148(a)(1)" and b1["agency_ori"] == "CA0010900"
    assert str(b1["arrest_datetime"]).startswith("2026-10-01 22:15")

    # a later delivery changes B1's charges: its charge rows are replaced, B2's stay as they were
    changed = [dict(ARRESTS[0], charges="PC647B"), ARRESTS[1]]
    ex2 = arrests(changed, tag="2")
    wh.load_delivery(record(wh, ex2), ex2, links(*ARREST_LINKS[:2]))
    b1_charges = rows(wh, "arrest_charges", f"WHERE arrest_id = {b1['id']}")
    assert [(c["charge_text"], c["code"], c["section"]) for c in b1_charges] == [("PC647B", "PC", "647(b)")]


def test_reload_is_idempotent(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    delivery_id = record(wh, ex)
    wh.load_delivery(delivery_id, ex, links(*ARREST_LINKS))
    before = dump(wh)

    again = wh.load_delivery(delivery_id, ex, links(*ARREST_LINKS))
    assert again.skipped and again.records_matched == 1 and again.review_items_open == 1
    assert dump(wh) == before
    # the same bytes are the same delivery
    assert record(wh, ex) == delivery_id

    # the same facts in another file: only the new deliveries row appears
    ex2 = arrests(tag="2")
    result = wh.load_delivery(record(wh, ex2), ex2, links(*ARREST_LINKS))
    assert result.facts["arrests"] == 2
    after = dump(wh)
    assert len(after.pop("deliveries")) == len(before.pop("deliveries")) + 1
    assert after == before


def test_failure_mid_load_leaves_previous_state(
    with_clients: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = with_clients
    ex = arrests()
    wh.load_delivery(record(wh, ex), ex, links(*ARREST_LINKS))
    before = dump(wh)

    # a second delivery that changes facts, links and charges fails at its last fact step
    changed = [dict(ARRESTS[0], charges="PC 236.1(c)", agency_ori="CA0019999"), ARRESTS[1], ARRESTS[2]]
    ex2 = arrests(changed, tag="2")
    delivery_id = record(wh, ex2)
    before = dump(wh)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full while writing Aaliyah Brooks")

    monkeypatch.setattr(facts_module, "write_arrest_charges", boom)
    new_links = links(("B1", "C1", 0.99, "match"), ("B2", "C2", 0.95, "match"), ("B3", "C3", 0.7, "review"))
    with pytest.raises(WarehouseError) as err:
        wh.load_delivery(delivery_id, ex2, new_links)
    assert "Aaliyah" not in str(err.value) and err.value.__cause__ is None and err.value.__suppress_context__
    assert dump(wh) == before
    assert wh.delivery(delivery_id).status == "pending"

    # links to a client not on the list: refused before anything is written, message without the id
    monkeypatch.undo()
    bad = links(("B1", "C1", 0.99, "match"), ("B2", "C-UNKNOWN-77", 0.95, "match"))
    with pytest.raises(WarehouseError) as err:
        wh.load_delivery(delivery_id, ex2, bad)
    assert "C-UNKNOWN-77" not in str(err.value) and "1 client" in str(err.value)
    assert dump(wh) == before

    # and the delivery still loads once the cause is gone
    assert not wh.load_delivery(delivery_id, ex2, new_links).skipped
    assert {r["record_id"] for r in rows(wh, "arrests")} == {"B1", "B2", "B3"}


def test_database_error_is_rolled_back_and_carries_no_data(
    with_clients: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A driver error mid-load (a NOT NULL violation) rolls back; its message (with values) is not chained."""
    wh = with_clients
    ex = arrests()
    wh.load_delivery(record(wh, ex), ex, links(*ARREST_LINKS))
    ex2 = arrests([dict(ARRESTS[0], charges="PC 187"), ARRESTS[1]], tag="2")
    delivery_id = record(wh, ex2)
    before = dump(wh)
    real = facts_module.write_arrest_charges

    def null_charge(conn, **kw):
        real(conn, **kw)
        conn.execute(
            sa.text(
                "INSERT INTO arrest_charges (arrest_id, position, charge_text) "
                "SELECT id, 99, NULL FROM arrests WHERE record_id = 'B1'"
            )
        )

    monkeypatch.setattr(facts_module, "write_arrest_charges", null_charge)
    with pytest.raises(WarehouseError) as err:
        wh.load_delivery(delivery_id, ex2, links(*ARREST_LINKS))
    assert err.value.original_type == "IntegrityError" and "B1" not in str(err.value)
    assert dump(wh) == before


def test_human_decisions_survive_and_win(with_clients: Warehouse) -> None:
    wh = with_clients
    rows_ = [*ARRESTS[:2], dict(ARRESTS[1], record_id="B5", first_name="Mari")]
    model = [
        ("B1", "C1", 0.99, "match"),
        ("B2", "C2", 0.6, "review"),
        ("B5", "C2", 0.55, "review"),
        ("B5", "C3", 0.5, "review"),
    ]
    ex = arrests(rows_)
    wh.load_delivery(record(wh, ex), ex, links(*model))
    assert {r["record_id"] for r in rows(wh, "review_items", "WHERE status = 'open'")} == {"B2", "B5"}

    add_decision(wh, "B2", "C2", "same_person")
    add_decision(wh, "B5", "C2", "not_this_person")
    add_decision(wh, "B1", "C3", "link_other_client")
    decisions_before = rows(wh, "review_decisions")

    # the next delivery: the model says exactly what it said before
    ex2 = arrests(rows_, tag="2")
    result = wh.load_delivery(record(wh, ex2), ex2, links(*model))
    got = {(r["record_id"], r["client_id"], r["decision"], r["decided_by"]) for r in rows(wh, "match_links")}
    assert got == {
        ("B1", "C3", "match", "human"),  # link_other_client: the model's C1 match is gone
        ("B2", "C2", "match", "human"),  # same_person: review became a human match
        ("B5", "C3", "review", "model"),  # not_this_person C2: only that pair dropped
    }
    # B5: C2 ruled out, C3 still a candidate: the item stays open for C3 (and only for C3)
    assert result.records_matched == 2 and result.review_items_open == 1
    items = {r["record_id"]: (r["status"], r["best_score"]) for r in rows(wh, "review_items")}
    assert items == {"B2": ("decided", 0.6), "B5": ("open", 0.5)}
    assert rows(wh, "review_decisions") == decisions_before  # append-only, untouched
    human = rows(wh, "match_links", "WHERE record_id = 'B2'")[0]
    assert human["score"] == 0.6  # the model's score for that pair is kept beside the human decision

    # and a third delivery still does not re-open anything or bring back the model's links
    ex3 = arrests(rows_, tag="3")
    wh.load_delivery(record(wh, ex3), ex3, links(*model))
    assert {(r["record_id"], r["client_id"], r["decided_by"]) for r in rows(wh, "match_links")} == {
        ("B1", "C3", "human"),
        ("B2", "C2", "human"),
        ("B5", "C3", "model"),
    }
    assert len(rows(wh, "review_items")) == 2
    assert [r["record_id"] for r in rows(wh, "review_items", "WHERE status = 'open'")] == ["B5"]


def test_not_this_person_on_the_only_candidate_removes_the_record(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    wh.load_delivery(record(wh, ex), ex, links(*ARREST_LINKS))
    assert {r["record_id"] for r in rows(wh, "arrests")} == {"B1", "B2"}
    add_decision(wh, "B2", "C2", "not_this_person")

    ex2 = arrests(tag="2")
    result = wh.load_delivery(record(wh, ex2), ex2, links(*ARREST_LINKS))
    assert result.review_items_open == 0
    for table in ("arrests", "source_persons", "match_links"):
        assert {r["record_id"] for r in rows(wh, table)} == {"B1"}, table
    assert "Marie" not in json.dumps(dump(wh))
    # what stays: the decision, and the decided item that says a person looked (no person data)
    assert [(r["record_id"], r["status"]) for r in rows(wh, "review_items")] == [("B2", "decided")]
    assert len(rows(wh, "review_decisions")) == 1


def test_review_item_opened_once(with_clients: Warehouse) -> None:
    wh = with_clients
    first = wh.load_delivery(record(wh, arrests()), arrests(), links(*ARREST_LINKS))
    assert first.review_items_open == 1
    ex2 = arrests(tag="2")
    wh.load_delivery(record(wh, ex2), ex2, links(("B2", "C2", 0.65, "review")))
    (item,) = rows(wh, "review_items")
    assert item["status"] == "open" and item["best_score"] == 0.65  # still the one item, score refreshed
    assert wh.delivery(record(wh, ex2)).status == "loaded"

    # the model becomes sure about B2: the open item is no longer needed
    ex3 = arrests(tag="3")
    wh.load_delivery(record(wh, ex3), ex3, links(("B1", "C1", 0.99, "match"), ("B2", "C2", 0.97, "match")))
    assert rows(wh, "review_items") == []


def test_social_services_children_kept_for_linked_records_only(with_clients: Warehouse) -> None:
    wh = with_clients
    person = {"first_name": "Aaliyah", "last_name": "Brooks", "dob": "2009-03-04"}
    ex = extract(
        "social_services",
        "social_services",
        {
            "welfare_clients": [
                dict(person, record_id="W1"),
                {"record_id": "W2", "first_name": "Noor", "last_name": "Haddad"},
            ],
            "welfare_referrals": [
                {
                    "referral_id": "R1",
                    "record_id": "W1",
                    "referral_date": "2024-05-01",
                    "allegation_type": "CSEC",
                    "disposition": "substantiated",
                },
                {
                    "referral_id": "R2",
                    "record_id": "W2",
                    "referral_date": "2024-06-01",
                    "allegation_type": "Neglect",
                    "disposition": "unfounded",
                },
            ],
            "welfare_placements": [
                {
                    "episode_id": "E1",
                    "record_id": "W1",
                    "placement_type": "str_tp",
                    "start_date": "2024-06-01",
                },
                {
                    "episode_id": "E2",
                    "record_id": "W2",
                    "placement_type": "relative",
                    "start_date": "2024-07-01",
                },
            ],
        },
    )
    result = wh.load_delivery(
        record(wh, ex), ex, links(("W1", "C1", 0.98, "match"), ("W2", "C2", 0.02, "nonmatch"))
    )
    assert result.facts == {
        "source_persons": 1,
        "match_links": 1,
        "welfare_referrals": 1,
        "welfare_placements": 1,
    }
    assert [r["referral_id"] for r in rows(wh, "welfare_referrals")] == ["R1"]
    assert [
        (r["episode_id"], str(r["start_date"]), r["end_date"]) for r in rows(wh, "welfare_placements")
    ] == [("E1", "2024-06-01", None)]
    assert "Noor" not in json.dumps(dump(wh)) and "W2" not in json.dumps(dump(wh))


def test_school_chronic_absence(with_clients: Warehouse) -> None:
    wh = with_clients
    base = {
        "first_name": "Aaliyah",
        "last_name": "Brooks",
        "record_id": "S1",
        "school": "Castlemont High",
        "school_year": "2025-26",
    }
    ex = extract(
        "oakland_usd",
        "school_district",
        {
            "school_enrollments": [
                dict(
                    base, enroll_start="2025-08-11", days_enrolled=100, days_absent=10
                ),  # exactly 10%: chronic
                dict(base, enroll_start="2024-08-12", days_enrolled=100, days_absent=9),  # 9%: not
                dict(
                    base, enroll_start="2023-08-14", days_enrolled=0, days_absent=0
                ),  # nothing enrolled: unknown
                dict(base, enroll_start="2022-08-15", days_enrolled=None, days_absent=5),  # missing: unknown
                dict(
                    base,
                    record_id="S2",
                    first_name="Other",
                    enroll_start="2025-08-11",
                    days_enrolled=50,
                    days_absent=40,
                ),
            ]
        },
    )
    result = wh.load_delivery(record(wh, ex), ex, links(("S1", "C1", 0.97, "match")))
    assert result.facts["school_enrollments"] == 4
    got = {str(r["enroll_start"]): r["chronic_absence"] for r in rows(wh, "school_enrollments")}
    assert {k: (None if v is None else bool(v)) for k, v in got.items()} == {
        "2025-08-11": True,
        "2024-08-12": False,
        "2023-08-14": None,
        "2022-08-15": None,
    }


def test_probation_referrals(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = extract(
        "probation",
        "probation",
        {
            "probation_referrals": [
                {
                    "record_id": "Y1",
                    "first_name": "Jasmine",
                    "last_name": "Carter",
                    "referral_id": "P-1",
                    "referral_date": "2025-04-01",
                    "supervision_status": "wardship",
                    "court": "Girls' Court",
                },
                {
                    "record_id": "Y1",
                    "first_name": "Jasmine",
                    "last_name": "Carter",
                    "referral_id": "P-2",
                    "referral_date": "2025-09-01",
                    "supervision_status": "probation",
                },
            ]
        },
    )
    result = wh.load_delivery(record(wh, ex), ex, links(("Y1", "C3", 0.93, "match")))
    assert result.facts["probation_referrals"] == 2 and result.facts["source_persons"] == 1
    assert sorted(r["referral_id"] for r in rows(wh, "probation_referrals")) == ["P-1", "P-2"]


def test_status(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    wh.load_delivery(record(wh, ex), ex, links(*ARREST_LINKS))
    bad = extract("alameda_so", "arrest_log", {"arrests": ARRESTS[:1]})
    record(
        wh,
        bad,
        ValidationReport(
            "alameda_so",
            bad.file.name,
            1,
            [
                RuleResult(
                    "arrests.charges.present",
                    "charges present",
                    "blocking",
                    False,
                    "arrests",
                    "charges",
                    1,
                    (2,),
                )
            ],
        ),
    )

    status = {s["source"]: s for s in wh.status()}
    json.dumps(wh.status())  # JSON-serialisable as is
    assert set(status) == {"safetynet_clients", "oakland_pd", "alameda_so"}
    opd = status["oakland_pd"]
    assert opd["kind"] == "arrest_log" and opd["rows_read"] == 4 and opd["rows_quarantined"] == 0
    assert opd["matches"] == 1 and opd["review_items_open"] == 1
    assert opd["last_delivery"]["status"] == "loaded" and opd["last_delivery"]["delivered_on"] == "2026-11-16"
    assert opd["last_delivery"]["file_name"] == "oakland_pd_1.csv"
    aso = status["alameda_so"]
    assert aso["last_delivery"]["status"] == "quarantined" and aso["rows_quarantined"] == 1
    assert aso["matches"] == 0 and aso["kind"] == "arrest_log"  # from config/sources.yaml


def test_no_person_data_in_logs(with_clients: Warehouse, caplog: pytest.LogCaptureFixture) -> None:
    wh = with_clients
    caplog.set_level("DEBUG", logger="warehouse")
    ex = arrests()
    wh.load_delivery(record(wh, ex), ex, links(*ARREST_LINKS))
    text = caplog.text
    assert "loaded" in text
    for secret in ("B1", "B2", "C1", "Aaliyah", "Brooks", "2009-03-04"):
        assert secret not in text


# --- on the synthetic deliveries, when the generator is there ----------------------------------


def test_synthetic_deliveries_load(generated, warehouse_url: str) -> None:
    pytest.importorskip("matchers.engine")
    from integrations.config import load_sources
    from integrations.readers import read_extract
    from matchers import default_matcher

    wh = Warehouse(warehouse_url)
    wh.migrate()
    sources = load_sources()
    clients = read_extract(generated.files["safetynet_clients"], sources["safetynet_clients"])
    wh.load_clients(record(wh, clients), clients)
    matcher = default_matcher()
    for name in ("oakland_pd", "social_services", "oakland_usd"):
        ex = read_extract(generated.files[name], sources[name])
        result = wh.load_delivery(record(wh, ex), ex, matcher.link(wh.clients_frame(), ex.persons()))
        assert result.records_matched > 0
        linked = {r["record_id"] for r in rows(wh, "match_links", f"WHERE source = '{name}'")}
        stored = {r["record_id"] for r in rows(wh, "source_persons", f"WHERE source = '{name}'")}
        assert stored == linked
        assert len(stored) < ex.persons()["record_id"].nunique()  # non-clients left with the run
        for table in result.facts:
            if table in ("source_persons", "match_links", "arrest_charges"):
                continue
            kept = {r["record_id"] for r in rows(wh, table, f"WHERE source = '{name}'")}
            assert kept and kept <= linked, table
    wh.dispose()


def test_decision_reaches_records_missing_from_later_deliveries(with_clients: Warehouse) -> None:
    """A ruled-out record leaves with the next load, whatever that file holds; a decision applies at once."""
    wh = with_clients
    rows_ = [*ARRESTS[:2], dict(ARRESTS[1], record_id="B5", first_name="Mari")]
    model = [("B1", "C1", 0.99, "match"), ("B2", "C2", 0.6, "review"), ("B5", "C2", 0.55, "review")]
    ex = arrests(rows_)
    wh.load_delivery(record(wh, ex), ex, links(*model))

    # B2 ruled out, then the next file carries only B1: B2 must still leave
    add_decision(wh, "B2", "C2", "not_this_person")
    ex2 = arrests(ARRESTS[:1], tag="2")
    wh.load_delivery(record(wh, ex2), ex2, links(("B1", "C1", 0.99, "match")))
    for table in ("arrests", "source_persons", "match_links"):
        assert "B2" not in {r["record_id"] for r in rows(wh, table)}, table
    assert {r["record_id"]: r["status"] for r in rows(wh, "review_items")} == {"B2": "decided", "B5": "open"}

    # B5: decided between deliveries; the review app's decision applies at once
    decisions.decide(
        wh.engine,
        source="oakland_pd",
        record_id="B5",
        client_id="C3",
        decision="link_other_client",
        decided_by="coordinator",
    )
    (b5,) = rows(wh, "match_links", "WHERE record_id = 'B5'")
    assert (b5["client_id"], b5["decision"], b5["decided_by"], b5["score"]) == ("C3", "match", "human", None)
    assert rows(wh, "review_items", "WHERE status = 'open'") == []
    assert {r["record_id"] for r in rows(wh, "arrests")} == {"B1", "B5"}

    # and the next delivery, which does not carry B5, re-applies it and changes nothing about it
    def b5_rows() -> list[list[dict]]:
        return [rows(wh, t, "WHERE record_id = 'B5'") for t in ("match_links", "arrests", "review_items")]

    before = b5_rows()
    ex3 = arrests(ARRESTS[:1], tag="3")
    wh.load_delivery(record(wh, ex3), ex3, links(("B1", "C1", 0.99, "match")))
    assert b5_rows() == before


def test_model_changing_its_mind_removes_the_record(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    wh.load_delivery(record(wh, ex), ex, links(*ARREST_LINKS))
    ex2 = arrests(tag="2")
    result = wh.load_delivery(
        record(wh, ex2), ex2, links(("B1", "C1", 0.99, "match"), ("B2", "C2", 0.1, "nonmatch"))
    )
    assert result.review_items_open == 0
    assert {r["record_id"] for r in rows(wh, "arrests")} == {"B1"}
    assert rows(wh, "review_items") == []  # never decided: the item goes with the record
    assert "Marie" not in json.dumps(dump(wh))


def test_later_delivery_updates_facts(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    first = record(wh, ex)
    wh.load_delivery(first, ex, links(*ARREST_LINKS))
    ex2 = arrests([dict(ARRESTS[0], agency_ori="CA0019999"), ARRESTS[1]], tag="2")
    second = record(wh, ex2)
    wh.load_delivery(second, ex2, links(*ARREST_LINKS[:2]))
    got = {r["record_id"]: (r["agency_ori"], r["delivery_id"]) for r in rows(wh, "arrests")}
    assert got == {
        "B1": ("CA0019999", second),
        "B2": ("CA0010900", first),
    }  # unchanged rows keep their delivery


def test_load_refuses_wrong_inputs(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    with pytest.raises(WarehouseError, match="unknown delivery 999"):
        wh.load_delivery(999, ex, links(*ARREST_LINKS))
    other = extract("alameda_so", "arrest_log", {"arrests": ARRESTS})
    with pytest.raises(WarehouseError, match="another source"):
        wh.load_delivery(record(wh, other), ex, links(*ARREST_LINKS))
    with pytest.raises(WarehouseError, match="client list"):
        wh.load_delivery(
            record(wh, ex), extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS}), links()
        )
    bad = links(("B1", "C1", 0.9, "maybe"))
    with pytest.raises(WarehouseError):
        wh.load_delivery(record(wh, ex), ex, bad)
    # no candidates at all (an empty frame, even without columns) is a valid load
    result = wh.load_delivery(record(wh, ex), ex, pd.DataFrame())
    assert result.records_matched == 0 and result.facts["arrests"] == 0


def test_default_url_is_under_the_project_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(tmp_path)  # not the home: the working directory plays no part
    monkeypatch.setenv("SAFETYNET_HOME", str(home))
    monkeypatch.delenv("SAFETYNET_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("SAFETYNET_VAR_DIR", raising=False)
    wh = Warehouse()
    wh.migrate()
    assert (home / "var" / "warehouse.db").is_file() and not (tmp_path / "var").exists()
    wh.dispose()
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", "sqlite:///other.db")  # relative: under the home too
    assert Warehouse().url == f"sqlite:///{home / 'other.db'}"


def test_awkward_text_survives_the_bulk_paths(with_clients: Warehouse) -> None:
    """Quotes, backslashes, tabs, newlines and non-ASCII letters through COPY (PostgreSQL) and executemany."""
    wh = with_clients
    name = 'O\'Brien-Núñez \\N\t"Dee"\nJr'
    ex = arrests(
        [dict(ARRESTS[0], first_name=name, address="12 \\ Main St\tApt 3", charges="PC 647(b)|Ñ 1\\2")]
    )
    result = wh.load_delivery(record(wh, ex), ex, links(("B1", "C1", 0.99, "match")))
    assert result.facts["arrest_charges"] == 2
    (person,) = rows(wh, "source_persons")
    assert person["first_name"] == name and person["address"] == "12 \\ Main St\tApt 3"
    assert rows(wh, "arrests")[0]["charges"] == "PC 647(b)|Ñ 1\\2"


def test_decisions_append_and_the_latest_wins(with_clients: Warehouse) -> None:
    wh = with_clients
    ex = arrests()
    wh.load_delivery(record(wh, ex), ex, links(*ARREST_LINKS))
    first = decisions.decide(
        wh.engine,
        source="oakland_pd",
        record_id="B2",
        client_id="C2",
        decision="same_person",
        decided_by="coordinator",
        note="tattoo matches",
    ).decision_id
    (b2,) = rows(wh, "match_links", "WHERE record_id = 'B2'")
    assert (b2["decision"], b2["decided_by"]) == ("match", "human")
    assert [r["status"] for r in rows(wh, "review_items")] == ["decided"]
    # a person changes their mind later: appended, the latest decision wins, the first stays on record
    decisions.decide(
        wh.engine,
        source="oakland_pd",
        record_id="B2",
        client_id="C2",
        decision="not_this_person",
        decided_by="supervisor",
    )
    assert [r["id"] for r in rows(wh, "review_decisions")] == [first, first + 1]
    assert {r["record_id"] for r in rows(wh, "arrests")} == {"B1"}
    with pytest.raises(WarehouseError):  # unknown decision word
        decisions.decide(
            wh.engine, source="oakland_pd", record_id="B1", client_id="C1", decision="maybe", decided_by="x"
        )
    assert len(rows(wh, "review_decisions")) == 2


@pytest.mark.postgres
def test_bare_postgresql_url_loads_through_psycopg3(postgres_url: str) -> None:
    """``postgresql://`` (SQLAlchemy's default driver there is psycopg2, which has no COPY) is read as
    psycopg 3, so a bulk load works; another driver is refused by name before anything connects."""
    from settings import SettingsError

    bare = sa.engine.make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    wh = Warehouse(bare)
    try:
        wh.migrate()
        ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
        wh.load_clients(record(wh, ex), ex)  # COPY into a staging table
        assert len(wh.clients_frame()) == len(CLIENTS)
    finally:
        wh.dispose()
    other = sa.engine.make_url(postgres_url).set(drivername="postgresql+psycopg2")
    with pytest.raises(SettingsError, match="postgresql\\+psycopg2"):
        Warehouse(other.render_as_string(hide_password=False))
