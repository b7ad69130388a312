"""warehouse.decisions.decide / undo: one record's decisions applied at once, on SQLite and PostgreSQL;
and a nightly run after decisions keeps every one of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.helpers import configure, sync_once, table
from tests.review_support import build
from warehouse import Warehouse, WarehouseError
from warehouse.decisions import decide, undo


@pytest.fixture
def wh(warehouse_url):
    warehouse = build(warehouse_url)
    yield warehouse
    warehouse.dispose()


def links_of(wh: Warehouse, record_id: str) -> set[tuple]:
    with wh.engine.connect() as conn:
        return {
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT client_id, decision, decided_by, score FROM match_links WHERE record_id = :r"
                ),
                {"r": record_id},
            )
        }


def item_status(wh: Warehouse, record_id: str) -> tuple:
    with wh.engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.text("SELECT status, best_score FROM review_items WHERE record_id = :r"), {"r": record_id}
            ).one()
        )


def d(wh: Warehouse, record_id: str, client_id: str, decision: str, source: str = "oakland_pd"):
    return decide(
        wh.engine,
        source=source,
        record_id=record_id,
        client_id=client_id,
        decision=decision,
        decided_by="cora",
    )


def test_same_person_then_undo_restores_every_candidate(wh):
    before = links_of(wh, "B2")
    out = d(wh, "B2", "C3", "same_person")
    assert links_of(wh, "B2") == {("C3", "match", "human", 0.55)}  # C2 dropped, score kept
    assert out.item_status == "decided" and out.clients == ("C3",) and not out.purged
    back = undo(wh.engine, out.decision_id, "cora")
    assert links_of(wh, "B2") == before
    assert item_status(wh, "B2") == ("open", 0.62) and back.clients == ("C3",)
    with pytest.raises(WarehouseError, match="already undone"):
        undo(wh.engine, out.decision_id, "cora")


def test_not_this_person_keeps_the_item_open_for_the_other_candidates(wh):
    out = d(wh, "B2", "C2", "not_this_person")
    assert out.item_status == "open" and not out.purged
    assert links_of(wh, "B2") == {("C3", "review", "model", 0.55)}
    assert item_status(wh, "B2") == ("open", 0.55)  # best remaining score
    last = d(wh, "B2", "C3", "not_this_person")
    assert last.purged and last.item_status == "decided"
    assert table(wh.url, "arrests").query("record_id == 'B2'").empty
    assert table(wh.url, "source_persons").query("record_id == 'B2'").empty
    # an undo cannot bring back rows that left; the agency's next delivery will ask again
    undo(wh.engine, last.decision_id, "cora")
    assert links_of(wh, "B2") == set()


def test_link_to_another_client_and_a_later_decision_blocks_undo_of_an_earlier_one(wh):
    first = d(wh, "B5", "C1", "link_other_client")
    assert links_of(wh, "B5") == {("C1", "match", "human", None)}
    second = d(wh, "B5", "C4", "link_other_client")
    assert links_of(wh, "B5") == {("C4", "match", "human", None)}
    with pytest.raises(WarehouseError, match="later decision"):
        undo(wh.engine, first.decision_id, "cora")
    undo(wh.engine, second.decision_id, "cora")
    assert links_of(wh, "B5") == {("C1", "match", "human", None)}
    undo(wh.engine, first.decision_id, "cora")
    assert links_of(wh, "B5") == {("C2", "review", "model", 0.65)}
    assert item_status(wh, "B5") == ("open", 0.65)
    with pytest.raises(WarehouseError, match="unknown client"):
        d(wh, "B5", "C99", "link_other_client")


def test_rejecting_an_auto_match_removes_the_facts_from_the_profile(wh):
    out = d(wh, "B1", "C1", "not_this_person")
    assert out.purged and out.clients == ("C1",) and out.item_status is None
    assert table(wh.url, "arrests").query("record_id == 'B1'").empty


# --- a nightly run after decisions --------------------------------------------------------------


def _redeliver(originals: Path, landing: Path, old: str = "20261116", new: str = "20261123") -> None:
    """Every CSV delivery again, a week later, with new bytes and the same rows (XLSX stays as is),
    made from the generated ``originals`` (the loaded files have left ``landing`` for the archive)."""
    for path in originals.rglob(f"*{old}.csv"):
        later = landing / path.parent.name / path.name.replace(old, new)
        shutil.copy(path, later)
        with open(later, "a", encoding="utf-8") as fh:
            fh.write("\n")


@pytest.mark.slow
def test_a_nightly_run_after_decisions_keeps_every_decision(
    monkeypatch, warehouse_url, landing_copy, tmp_path, generated
):
    from assets.runner import sync_until_idle

    configure(monkeypatch, warehouse_url, landing_copy, tmp_path / "var")
    assert sync_once().success
    wh = Warehouse(warehouse_url)
    open_items = table(warehouse_url, "review_items").query("status == 'open'")
    open_items = open_items[open_items["source"] != "safetynet_clients"]
    links = table(warehouse_url, "match_links").query("decision == 'review'")
    csv_sources = {p.parent.name for p in generated.landing_dir.rglob("*.csv")}
    per_record = links.groupby(["source", "record_id"])["client_id"].apply(list).to_dict()

    def single(items: pd.DataFrame) -> list[tuple[str, str]]:
        pairs = zip(items["source"], items["record_id"], strict=True)
        return [(s, r) for s, r in pairs if len(per_record[(s, r)]) == 1]

    # three decisions on rows that come again in a re-delivered CSV; the undone one needs no
    # re-delivery (undo reopens it, and the next run must leave it open), so any source serves
    redelivered = single(open_items[open_items["source"].isin(csv_sources)])
    assert len(redelivered) >= 3, "the generated data should leave a few review items"
    (s1, r1), (s2, r2), (s3, r3) = redelivered[:3]
    s4, r4 = next(sr for sr in single(open_items) if sr not in redelivered[:3])
    other = next(c for c in table(warehouse_url, "clients")["client_id"] if c != per_record[(s3, r3)][0])

    d(wh, r1, per_record[(s1, r1)][0], "same_person", s1)
    rejected = d(wh, r2, per_record[(s2, r2)][0], "not_this_person", s2)
    d(wh, r3, other, "link_other_client", s3)
    taken_back = d(wh, r4, per_record[(s4, r4)][0], "same_person", s4)
    undo(wh.engine, taken_back.decision_id, "cora")
    assert rejected.purged
    decisions_before = table(warehouse_url, "review_decisions")

    _redeliver(generated.landing_dir, landing_copy)
    runs = sync_until_idle()
    assert all(r.success for r in runs)
    assert table(warehouse_url, "deliveries")["file_name"].str.contains("20261123").sum() >= 4

    after = table(warehouse_url, "match_links")

    def pairs(source, record):
        rows = after[(after["source"] == source) & (after["record_id"] == record)]
        return {
            (c, dec, by)
            for c, dec, by in zip(rows["client_id"], rows["decision"], rows["decided_by"], strict=True)
        }

    assert pairs(s1, r1) == {(per_record[(s1, r1)][0], "match", "human")}
    assert pairs(s2, r2) == set()  # ruled out: the row came again and was not kept
    assert table(warehouse_url, "source_persons").query("source == @s2 and record_id == @r2").empty
    assert pairs(s3, r3) == {(other, "match", "human")}
    items_after = table(warehouse_url, "review_items").set_index(["source", "record_id"])["status"]
    assert items_after[(s1, r1)] == "decided" and items_after[(s2, r2)] == "decided"
    assert items_after[(s3, r3)] == "decided"
    assert items_after[(s4, r4)] == "open"  # the undone decision: asked again
    assert len(table(warehouse_url, "review_decisions")) == len(decisions_before)  # append-only, untouched
    wh.dispose()
