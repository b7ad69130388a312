"""The landing zone's lifecycle (issue 15 part 5, privacy rule 8): a loaded delivery's file leaves the
landing zone for the archive and is deleted after the retention; a quarantined one is held until a
later delivery of its source loads; ``safetynet status`` says what is held (counts, bytes, ages).

Real delivery files through the real path (``ingest_next``, ``load_pending``) with a stand-in
matcher; on SQLite and PostgreSQL. Synthetic data only.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from integrations.config import load_sources
from safetynet.cli import main
from sync.landing import LandingZone, expire, holdings, settle
from sync.pipeline import delivery_file, ingest_next, load_pending
from tests.warehouse_data import CLIENTS, extract, record
from warehouse import Warehouse

HEADER = [
    "BookingNumber", "ORI", "ArrestDateTime", "FirstName", "MiddleName", "LastName", "AKA", "DOB",
    "Sex", "Race", "Address", "City", "Zip", "Charges",
]  # fmt: skip


def booking(n: int) -> list[str]:
    return [
        f"OPD-{n:05d}", "CA0010900", "10/01/2026 22:15", "Aaliyah", "", "Brooks", "Lia", "03/04/2009",
        "F", "B", "12 Elm St", "Oakland", "94601", "PC 148(a)(1)",
    ]  # fmt: skip


class LinkNone:
    """A stand-in matcher that links nothing (the lifecycle does not care what matched)."""

    stats = None

    def link(self, clients: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(columns=["record_id", "client_id", "score", "decision", "explanation"])


def deliver(zone: LandingZone, stamp: str, rows: int, header: list[str] = HEADER) -> Path:
    folder = zone.root / "oakland_pd"
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    csv.writer(text).writerows([header, *(booking(n) for n in range(rows))])
    path = folder / f"opd_arrests_{stamp}.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    return path


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(zone: LandingZone, wh: Warehouse, day: date) -> str:
    """One night for Oakland PD: check the oldest new file, load what is pending, settle."""
    source = load_sources()["oakland_pd"]
    outcome = ingest_next(source, zone, wh, today=day)
    load_pending(source, zone, wh, LinkNone())
    return outcome.status


@pytest.fixture
def zone(wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LandingZone:
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", wh.url)
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAFETYNET_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("SAFETYNET_ARCHIVE_RETENTION_DAYS", "30")
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    wh.load_clients(record(wh, ex), ex)
    return LandingZone.configured()


def test_loaded_files_are_archived_quarantined_ones_held_until_resolved(zone: LandingZone, wh: Warehouse):
    source = load_sources()["oakland_pd"]
    first = deliver(zone, "20261102", 3)
    assert run(zone, wh, date(2026, 11, 2)) == "pending"
    # loaded: gone from the landing zone, in the archive under its delivery id, private
    assert not first.exists()
    (archived,) = zone.archived_files(source)
    assert archived.name == f"{wh.find_delivery('oakland_pd', _sha(archived)).id}-{first.name}"
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600
    assert stat.S_IMODE(archived.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(zone.archive.stat().st_mode) == 0o700

    # a broken delivery (a column renamed): quarantined, held out of the landing zone, kept
    broken = deliver(zone, "20261109", 3, [h if h != "DOB" else "BirthDate" for h in HEADER])
    assert run(zone, wh, date(2026, 11, 9)) == "quarantined"
    assert not broken.exists()
    (held,) = zone.held_files(source)
    assert held.name.endswith(broken.name)
    # the retention does not run on it while it is unresolved
    later = time.time() + 90 * 86400
    settle(source, zone, wh, now=later - 89 * 86400)
    assert zone.held_files(source) == [held]

    # the agency sends the same broken bytes again: one copy is kept, the landing zone is emptied
    deliver(zone, "20261109", 3, [h if h != "DOB" else "BirthDate" for h in HEADER])
    assert run(zone, wh, date(2026, 11, 10)) == "no_delivery"
    assert zone.held_files(source) == [held] and not broken.exists()

    # a fixed delivery loads: the quarantine is resolved, its file joins the archive (retention from now)
    fixed = deliver(zone, "20261111", 4)
    assert run(zone, wh, date(2026, 11, 11)) == "pending"
    assert not fixed.exists() and zone.held_files(source) == []
    assert len(zone.archived_files(source)) == 3

    # the retention: nothing before 30 days, everything after
    now = time.time()
    assert expire(source, zone, now=now + 29 * 86400) == 0
    assert expire(source, zone, now=now + 31 * 86400) == 3
    assert zone.archived_files(source) == []


def test_status_shows_what_is_held_and_a_retention_not_running(
    zone: LandingZone, wh: Warehouse, capsys: pytest.CaptureFixture
):
    source = load_sources()["oakland_pd"]
    deliver(zone, "20261102", 3)
    run(zone, wh, date(2026, 11, 2))
    deliver(zone, "20261109", 2, [h if h != "DOB" else "BirthDate" for h in HEADER])
    run(zone, wh, date(2026, 11, 9))
    waiting = deliver(zone, "20261116", 5)

    held = holdings({"oakland_pd": source}, zone)
    files = held["sources"]["oakland_pd"]
    assert held["archive_retention_days"] == 30
    assert files["landing"]["files"] == 1 and files["landing"]["bytes"] == waiting.stat().st_size
    assert files["quarantined"]["files"] == 1 and files["archived"]["files"] == 1
    assert files["archived"]["oldest_days"] == 0.0

    main(["status", "--json"])
    status = json.loads(capsys.readouterr().out)
    entry = next(s for s in status["sources"] if s["source"] == "oakland_pd")
    assert entry["files"] == files and status["archive_retention_days"] == 30
    # no file name, no content: counts, bytes and ages only
    assert set(entry["files"]["archived"]) == {"files", "bytes", "oldest_days"}
    assert "archive_not_expiring" not in entry["attention"]

    # an archived file older than the retention (the lifecycle did not run): the status says so
    (archived,) = zone.archived_files(source)
    old = time.time() - 40 * 86400
    os.utime(archived, (old, old))
    assert main(["status"]) == 1
    out, err = capsys.readouterr()
    assert "oakland_pd: " in err and "archive_not_expiring" in err
    assert "A1" in out and "Q1" in out and "L1" in out


def test_a_run_that_finds_its_delivery_archived_by_another_skips_it(
    zone: LandingZone, wh: Warehouse, monkeypatch: pytest.MonkeyPatch
):
    """Two runs at once: the one that listed a pending delivery (and found its file in the landing
    zone) before the other loaded and archived it skips it: nothing twice, no missing-file error."""
    import sync.pipeline

    source = load_sources()["oakland_pd"]
    path = deliver(zone, "20261102", 3)
    assert ingest_next(source, zone, wh, today=date(2026, 11, 2)).status == "pending"
    pending = wh.pending_deliveries(source.name)
    load_pending(source, zone, wh, LinkNone())  # the other run: loads and archives
    # a lookup now finds the archived copy
    assert delivery_file(source, zone, pending[0]) == zone.archived_files(source)[0]
    # this run listed it as pending and found it in the landing zone, before the other moved it
    monkeypatch.setattr(wh, "pending_deliveries", lambda name: pending)
    monkeypatch.setattr(sync.pipeline, "delivery_file", lambda *_: path)
    assert load_pending(source, zone, wh, LinkNone()) == []
    # a file that is really missing while its delivery is still pending is still an error
    monkeypatch.setattr(wh, "delivery", lambda _id: pending[0])
    with pytest.raises(Exception, match="file"):
        load_pending(source, zone, wh, LinkNone())


def test_a_killed_run_leaves_a_loaded_file_in_landing_that_the_next_run_settles(
    zone: LandingZone, wh: Warehouse
):
    source = load_sources()["oakland_pd"]
    path = deliver(zone, "20261102", 3)
    outcome = ingest_next(source, zone, wh, today=date(2026, 11, 2))
    # the load committed, then the process died before settling: the file is still in landing/
    from sync.pipeline import link_and_load

    link_and_load(outcome, source, wh, LinkNone())
    assert path.exists() and wh.delivery(outcome.delivery_id).status == "loaded"
    assert run(zone, wh, date(2026, 11, 3)) == "no_delivery"
    assert not path.exists() and len(zone.archived_files(source)) == 1


def test_retention_setting(tmp_path: Path) -> None:
    import settings

    s = settings.load({"SAFETYNET_HOME": str(tmp_path), "SAFETYNET_ARCHIVE_RETENTION_DAYS": "7"})
    assert s.archive_retention_days == 7 and s.archive_dir == tmp_path / "var" / "archive"
    assert LandingZone.configured().retention >= timedelta(days=0)
    with pytest.raises(settings.SettingsError, match="SAFETYNET_ARCHIVE_RETENTION_DAYS"):
        settings.load({"SAFETYNET_HOME": str(tmp_path), "SAFETYNET_ARCHIVE_RETENTION_DAYS": "-1"})
