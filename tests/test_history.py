"""History (SCD-2), deliveries twice / out of order / corrected, sealing with tombstones, source locks.

Every test runs on SQLite and PostgreSQL. Extracts are built by hand (tests/test_warehouse.py builders).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
from datetime import date

import pytest
import sqlalchemy as sa

from safetynet.cli import main
from tests.warehouse_data import (
    ARREST_LINKS,
    CLIENTS,
    arrests,
    extract,
    links,
    record,
    rows,
)
from warehouse import Warehouse, decisions
from warehouse.locks import SourceBusyError
from warehouse.profiles import client_profile

REFERRAL = {
    "record_id": "P1",
    "first_name": "Aaliyah",
    "last_name": "Brooks",
    "dob": "2009-03-04",
    "referral_id": "R1",
    "referral_date": "2025-06-01",
    "supervision_status": "probation",
    "placement_type": "group_home",
    "placement_start": "2025-07-01",
}


def probation(day: date, tag: str, **changes: object) -> object:
    ex = extract("probation", "probation", {"probation_referrals": [{**REFERRAL, **changes}]}, tag)
    return dataclasses.replace(ex, delivered_on=day)


P_LINKS = links(("P1", "C1", 0.995, "match"))
OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


@pytest.fixture
def wh(warehouse_url: str):
    warehouse = Warehouse(warehouse_url)
    warehouse.migrate()
    clients = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    clients = dataclasses.replace(clients, delivered_on=date(2026, 9, 1))
    warehouse.load_clients(record(warehouse, clients), clients)
    yield warehouse
    warehouse.dispose()


def load(wh: Warehouse, ex, link_frame=P_LINKS):
    return wh.load_delivery(record(wh, ex), ex, link_frame)


def versions(wh: Warehouse, table: str = "probation_referrals") -> list[tuple]:
    return [
        (r["fact_key"], r["valid_from"], r["valid_to"], '"closed"' in r["data"])
        for r in sorted(
            rows(wh, "fact_versions", f"WHERE table_name = '{table}'"), key=lambda r: str(r["valid_from"])
        )
    ]


def state(wh: Warehouse) -> dict:
    """What the warehouse says, without surrogate ids and delivery ids (load order differs by design)."""
    cur = [
        (r["referral_id"], r["supervision_status"], str(r["valid_from"]))
        for r in rows(wh, "probation_referrals")
    ]
    return {"current": sorted(cur), "versions": [tuple(map(str, v)) for v in versions(wh)]}


def _d(value: object) -> str:
    return str(value)[:10]


def test_history_shows_the_profile_as_of_any_date(wh: Warehouse) -> None:
    load(wh, probation(OCT, "a"))
    load(wh, probation(NOV, "b", supervision_status="closed", placement_end="2026-10-20"))
    got = [(k, _d(f), _d(t) if t else None, closed) for k, f, t, closed in versions(wh)]
    assert got == [("R1", "2026-10-01", "2026-11-01", False), ("R1", "2026-11-01", None, True)]
    october = client_profile(wh.engine, "C1", date(2026, 10, 15))
    assert october.measures["probation_current"] and october.measures["probation_custody_current"]
    assert october.facts["probation_referrals"]["as_of"].iloc[0].date() == OCT
    november = client_profile(wh.engine, "C1", date(2026, 11, 16))
    assert not november.measures["probation_current"] and not november.measures["probation_custody_current"]
    assert november.measures["probation_custody_ever"]
    assert november.facts["probation_referrals"]["as_of"].iloc[0].date() == NOV
    # before the referral itself there is nothing to show
    assert client_profile(wh.engine, "C1", date(2025, 5, 1)).facts["probation_referrals"].empty


def test_delivery_twice_changes_nothing(wh: Warehouse) -> None:
    load(wh, probation(OCT, "a"))
    before = state(wh)
    again = probation(OCT, "a")
    assert load(wh, again).skipped  # the same bytes
    reexport = probation(NOV, "b")  # the same facts in a later file: no new version
    load(wh, reexport)
    after = state(wh)
    assert after["versions"] == before["versions"]
    assert len(after["current"]) == 1 and after["current"][0][1] == "probation"


def _forget_probation(wh: Warehouse) -> None:
    with wh.engine.begin() as conn:
        for t in ("fact_versions", "probation_referrals", "match_links", "source_persons", "review_items"):
            conn.execute(sa.text(f"DELETE FROM {t} WHERE source = 'probation'"))
        conn.execute(sa.text("DELETE FROM deliveries WHERE source = 'probation'"))


def test_out_of_order_gives_the_in_order_state(wh: Warehouse) -> None:
    load(wh, probation(OCT, "a"))
    load(wh, probation(NOV, "b", supervision_status="closed"))
    in_order = state(wh)
    _forget_probation(wh)
    load(wh, probation(NOV, "b", supervision_status="closed"))
    load(wh, probation(OCT, "a"))  # the older file turns up late
    assert state(wh) == in_order
    assert in_order["current"][0][1] == "closed"


def test_correction_replaces_that_days_version(wh: Warehouse) -> None:
    load(wh, probation(OCT, "a"))
    load(wh, probation(NOV, "b", supervision_status="closed"))
    load(wh, probation(NOV, "b-corrected", supervision_status="warrant"))  # the agency's fix
    s = state(wh)
    assert s["current"][0][1] == "warrant"
    assert len(s["versions"]) == 2 and s["versions"][1][2] == "None"
    assert client_profile(wh.engine, "C1", NOV).measures["probation_status"] == "warrant"


def test_seal_removes_everything_and_keeps_it_out(wh: Warehouse) -> None:
    load(wh, arrests(), links(*ARREST_LINKS))
    decisions.decide(
        wh.engine,
        source="oakland_pd",
        record_id="B2",
        client_id="C2",
        decision="same_person",
        decided_by="coordinator",
    )
    assert rows(wh, "arrests", "WHERE record_id = 'B1'") and rows(wh, "arrest_charges")
    result = wh.seal("oakland_pd", "B2", sealed_by="coordinator", reference="JV-2026-0042")
    assert not result.already_sealed
    assert result.removed["arrests"] == 1 and result.removed["review_decisions"] == 1
    for table in (
        "arrests",
        "fact_versions",
        "source_persons",
        "match_links",
        "review_items",
        "review_decisions",
    ):
        assert not rows(wh, table, "WHERE record_id = 'B2'"), table
    assert rows(wh, "arrests", "WHERE record_id = 'B1'")  # the other record is untouched
    tomb = rows(wh, "sealed_records")
    assert len(tomb) == 1 and "B2" not in str(tomb) and tomb[0]["reference"] == "JV-2026-0042"

    later = dataclasses.replace(arrests(tag="2"), delivered_on=DEC)
    load(wh, later, links(*ARREST_LINKS))
    assert not rows(wh, "arrests", "WHERE record_id = 'B2'")
    assert not rows(wh, "fact_versions", "WHERE record_id = 'B2'")
    assert not rows(wh, "review_items", "WHERE record_id = 'B2'")
    assert wh.seal("oakland_pd", "B2", sealed_by="coordinator").already_sealed


def test_seal_purges_append_only_review_history_and_nothing_else_can(wh: Warehouse) -> None:
    """A decision made and undone in the review app goes with a sealed record; no other DELETE can."""
    from warehouse.decisions import decide, undo

    load(wh, arrests(), links(*ARREST_LINKS))
    first = decide(
        wh.engine,
        source="oakland_pd",
        record_id="B2",
        client_id="C2",
        decision="same_person",
        decided_by="cora",
    )
    undo(wh.engine, first.decision_id, undone_by="cora")
    decide(
        wh.engine,
        source="oakland_pd",
        record_id="B2",
        client_id="C2",
        decision="same_person",
        decided_by="cora",
    )
    decide(
        wh.engine,
        source="oakland_pd",
        record_id="B1",
        client_id="C1",
        decision="same_person",
        decided_by="cora",
    )
    assert len(rows(wh, "review_decisions", "WHERE record_id = 'B2'")) == 2
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), wh.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM review_decisions WHERE record_id = 'B2'"))

    result = wh.seal("oakland_pd", "B2", sealed_by="coordinator", reference="JV-2026-0043")
    assert result.removed["review_decisions"] == 2 and result.removed["review_undos"] == 1
    for table in ("review_decisions", "review_items", "match_links", "arrests"):
        assert not rows(wh, table, "WHERE record_id = 'B2'"), table
    assert not rows(wh, "review_undos") and not rows(wh, "purge_permits")
    assert len(rows(wh, "review_decisions", "WHERE record_id = 'B1'")) == 1  # another record's stays
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), wh.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM review_decisions WHERE record_id = 'B1'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), wh.engine.begin() as conn:
        conn.execute(sa.text("UPDATE review_decisions SET note = 'x' WHERE record_id = 'B1'"))


def test_seal_command(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path
) -> None:
    load(wh, arrests(), links(*ARREST_LINKS))
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", wh.url)
    # the seal also reaches the archive and packets: this test's own, not the checkout's
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAFETYNET_LANDING_DIR", str(tmp_path / "landing"))
    assert main(["seal", "oakland_pd", "B1", "--by", "clerk", "--reference", "N-1"]) == 0
    out = capsys.readouterr().out
    assert "sealed" in out and "B1" not in out
    assert not rows(wh, "arrests", "WHERE record_id = 'B1'")
    assert main(["seal", "no_such_source", "X"]) == 2


def _hold_lock(url: str, ready) -> None:
    wh = Warehouse(url)
    with wh.source_lock("probation"):
        ready.set()
        signal.pause()


def test_concurrent_runs_of_a_source_are_refused(wh: Warehouse) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(wh.url, ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(SourceBusyError, match="refused"):
            with wh.source_lock("probation"):
                pass
        with wh.source_lock("oakland_pd"):  # another source is free
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(10)
    with wh.source_lock("probation", timeout=10):  # the OS / server released the dead holder's lock
        pass
