"""A seal reaches every copy (issue 15 part 5): the warehouse's rows and its files (SQLite's file, WAL
and shared memory), the delivery's archived file, and the packets that showed the youth.

A real delivery file goes through the real path (checked, loaded, archived by ``load_pending``) with a
stand-in matcher that links the record to a client, so the record is stored in the warehouse; a
packet is built for her meeting. Then ``safetynet seal`` runs and the raw bytes of every file are
searched for the record's id, each of its names and its date of birth (both ways it is written).
On PostgreSQL the server's files are not ours to read: the vacuum runs and no row holds any of them.
Synthetic data only.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from integrations.config import load_sources
from safetynet.cli import main
from sync.landing import LandingZone
from sync.pipeline import ingest_next, load_pending
from tests.warehouse_data import CLIENTS, extract, record
from warehouse import Warehouse

MEETING = date(2026, 11, 20)
SEALED_ID = "OPD-SEAL-48213"
COLUMNS = [
    "BookingNumber", "ORI", "ArrestDateTime", "FirstName", "MiddleName", "LastName", "AKA", "DOB",
    "Sex", "Race", "Address", "City", "Zip", "Charges",
]  # fmt: skip
SEALED_ROW = [
    SEALED_ID, "CA0010900", "10/02/2026 21:40", "Quintessa", "Marguerite", "Vandermolen", "Zinnia Thackeray",
    "02/17/2010", "F", "B", "4417 Wisteria Crescent", "Oakland", "94601", "647(b) PC",
]  # fmt: skip
KEPT_ROW = [
    "OPD-KEEP-20001", "CA0010900", "10/01/2026 22:15", "Aaliyah", "", "Brooks", "Lia",
    "03/04/2009", "F", "B", "12 Elm St", "Oakland", "94601", "PC 148(a)(1)",
]  # fmt: skip
#: not to be found anywhere after the seal: id, names, address, DOB as the file and the warehouse write it
NEEDLES = [SEALED_ID, "Quintessa", "Marguerite", "Vandermolen", "Zinnia", "Thackeray", "Wisteria",
           "02/17/2010", "2010-02-17"]  # fmt: skip


class LinkAll:
    """A stand-in matcher: every row of the delivery is client C1's (so the sealed record is stored)."""

    stats = None

    def link(self, clients: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"record_id": r, "client_id": "C1", "score": 12.0, "decision": "match", "explanation": "{}"}
                for r in persons["record_id"]
            ],
            columns=["record_id", "client_id", "score", "decision", "explanation"],
        )


def found(folder_or_files, needles=NEEDLES) -> dict[str, list[str]]:
    """File name -> the needles its raw bytes hold (UTF-8 and UTF-16, any case)."""
    files = folder_or_files
    if isinstance(folder_or_files, Path):
        files = [p for p in folder_or_files.rglob("*") if p.is_file()]
    out = {}
    for path in files:
        if not Path(path).is_file():
            continue
        data = Path(path).read_bytes().lower()
        hits = [n for n in needles if n.lower().encode() in data or n.lower().encode("utf-16-le") in data]
        if hits:
            out[Path(path).name] = hits
    return out


def rows_holding(engine: sa.Engine, needles=NEEDLES) -> dict[str, int]:
    """Table -> rows whose text holds one of the needles (DOB as a date column too)."""
    out = {}
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            hits = 0
            for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                text = " ".join(str(v) for v in row).lower()
                hits += any(n.lower() in text for n in needles)
            if hits:
                out[name] = hits
    return out


@pytest.fixture
def site(wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The warehouse with a client list, an Oakland PD delivery loaded and archived, and a packet."""
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", wh.url)
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAFETYNET_LANDING_DIR", str(tmp_path / "landing"))
    clients = [dict(c, next_meeting=MEETING.isoformat()) if c["record_id"] == "C1" else c for c in CLIENTS]
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": clients})
    wh.load_clients(record(wh, ex), ex)
    source = load_sources()["oakland_pd"]
    zone = LandingZone.configured()
    folder = zone.source_folder(source)
    folder.mkdir(parents=True)
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([COLUMNS, KEPT_ROW, SEALED_ROW])
    (folder / "opd_arrests_20261116.csv").write_text(text.getvalue(), encoding="utf-8")
    outcome = ingest_next(source, zone, wh, today=date(2026, 11, 16))
    assert outcome.status == "pending", outcome.report
    assert load_pending(source, zone, wh, LinkAll())[0].records_matched == 2

    from packets.build import build_packet

    packet = build_packet(
        wh.engine, MEETING, tmp_path / "packets", pdf=False, today=MEETING, sources=load_sources()
    )
    assert packet.client_ids == ["C1"]
    return wh, source, zone, tmp_path / "packets"


def _database_files(wh: Warehouse) -> list[Path]:
    db = Path(wh.engine.url.database)
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def test_a_seal_leaves_no_byte_of_the_record_in_any_copy(site, capsys) -> None:
    wh, source, zone, packets = site
    archived = zone.archived_files(source)
    # before: the record is in the warehouse, its archived delivery and the packet
    assert len(archived) == 1 and not list(zone.source_folder(source).iterdir())
    assert set(found(archived)[archived[0].name]) == set(NEEDLES) - {"2010-02-17"}
    assert rows_holding(wh.engine)
    # the packet shows the sealed arrest (as one of her two bookings, not by its number)
    assert "<b>Arrests</b>2 " in (packets / f"packet_{MEETING}.html").read_text(encoding="utf-8")
    sqlite = wh.engine.dialect.name == "sqlite"
    if sqlite:
        assert found(_database_files(wh)), "the record was expected in the SQLite files before the seal"

    assert main(["seal", "oakland_pd", SEALED_ID, "--by", "clerk", "--reference", "N-15"]) == 0
    out = capsys.readouterr().out
    assert SEALED_ID not in out and "packet files deleted: 2" in out, out

    assert rows_holding(wh.engine) == {}
    assert found(zone.archive) == {}
    assert found(packets) == {}
    assert not (packets / f"packet_{MEETING}.html").exists()
    if sqlite:
        assert found(_database_files(wh)) == {}
    # the rest of the delivery is kept: the other record's row is still in the archived file
    assert found(zone.archived_files(source), ["OPD-KEEP-20001"]) != {}
    assert zone.archived_files(source)[0].read_bytes().count(b"\r\n") == 2  # header and one row, as sent


def test_a_delivery_loaded_after_the_seal_is_archived_without_the_record(site) -> None:
    """The tombstone keeps the record out of a later load, and out of that delivery's archived copy."""
    wh, source, zone, _ = site
    assert main(["seal", "oakland_pd", SEALED_ID, "--by", "clerk"]) == 0
    again = zone.source_folder(source) / "opd_arrests_20261123.csv"
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(
        [COLUMNS, SEALED_ROW, ["OPD-KEEP-20002", *KEPT_ROW[1:]]]
    )
    again.write_text(text.getvalue(), encoding="utf-8")
    assert ingest_next(source, zone, wh, today=date(2026, 11, 23)).status == "pending"
    load_pending(source, zone, wh, LinkAll())
    assert not again.exists()
    assert found(zone.archive) == {}
    assert rows_holding(wh.engine) == {}
    assert len(zone.archived_files(source)) == 2


def test_a_held_file_not_readable_as_its_layout_is_deleted_when_it_holds_the_record(site, capsys) -> None:
    """A quarantined file whose record id column was renamed cannot be rewritten row by row: it holds
    the record's id, so the seal deletes it whole; another such file without it is kept."""
    wh, source, zone, _ = site
    renamed = ["Booking", *COLUMNS[1:]]
    for stamp, rows in (("20261123", [SEALED_ROW]), ("20261124", [KEPT_ROW])):
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerows([renamed, *rows])
        (zone.source_folder(source) / f"opd_arrests_{stamp}.csv").write_text(
            text.getvalue(), encoding="utf-8"
        )
        assert ingest_next(source, zone, wh, today=date(2026, 11, 24)).status == "quarantined"
        load_pending(source, zone, wh, LinkAll())
    assert len(zone.held_files(source)) == 2
    assert main(["seal", "oakland_pd", SEALED_ID, "--by", "clerk"]) == 0
    assert "deleted whole (not readable as their layout): 1" in capsys.readouterr().out
    (kept,) = zone.held_files(source)
    assert kept.name.endswith("opd_arrests_20261124.csv")
    assert found(zone.archive) == {}
