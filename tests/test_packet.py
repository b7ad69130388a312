"""The weekly case-review packet: agenda from the client list, changes since last meeting, HTML/PDF/XLSX."""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from integrations.kinds import table_spec
from packets.build import CHROMIUM, build_packet
from review import audit
from safetynet.cli import main
from tests.warehouse_data import CLIENTS, extract, links, record
from warehouse import Warehouse

#: one title per table (integrations/kinds.py), used by the packet, its workbook and the review app
PROBATION_SHEET = table_spec("probation_referrals").title

REF = {
    "record_id": "YOUTH-7731",
    "first_name": "Aaliyah",
    "last_name": "Brooks",
    "dob": "2009-03-04",
    "referral_id": "REF-0001",
    "referral_date": "2025-06-01",
    "supervision_status": "probation",
    "court": "Girls' Court",
}


def _clients(day: date, meeting: str, risks: str) -> object:
    rows = [dict(c) for c in CLIENTS]
    rows[0].update(next_meeting=meeting, risk_factors=risks)
    rows[1].update(next_meeting="2026-12-03")
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": rows}, tag=str(day))
    return dataclasses.replace(ex, delivered_on=day)


def _probation(day: date, referrals: list[dict]) -> object:
    ex = extract("probation", "probation", {"probation_referrals": referrals}, tag=str(day))
    return dataclasses.replace(ex, delivered_on=day)


@pytest.fixture
def history(warehouse_url: str):
    wh = Warehouse(warehouse_url)
    wh.migrate()
    plinks = links(("YOUTH-7731", "C1", 0.995, "match"))
    for ex in (_clients(date(2026, 11, 1), "2026-11-12", "runaway"), _probation(date(2026, 11, 1), [REF])):
        load = wh.load_clients if ex.source == "safetynet_clients" else None
        if load:
            load(record(wh, ex), ex)
        else:
            wh.load_delivery(record(wh, ex), ex, plinks)
    second = {
        **REF,
        "referral_id": "REF-0002",
        "referral_date": "2026-11-10",
        "supervision_status": "pending",
    }
    later = [
        _clients(date(2026, 11, 15), "2026-11-19", "runaway|drug_use"),
        _probation(date(2026, 11, 15), [{**REF, "supervision_status": "warrant"}, second]),
    ]
    wh.load_clients(record(wh, later[0]), later[0])
    wh.load_delivery(record(wh, later[1]), later[1], plinks)
    yield wh
    wh.dispose()


def test_packet_highlights_changes_since_the_last_meeting(history: Warehouse, tmp_path: Path) -> None:
    packet = build_packet(history.engine, date(2026, 11, 19), tmp_path, pdf=False)
    assert packet.client_ids == ["C1"]  # C2 is on another meeting's agenda, C3 on none
    youth = packet.youth[0]
    assert youth.previous_meeting == date(2026, 11, 12)
    assert "Probation status: probation -> warrant" in youth.changes
    assert "Risk factor added: drug use" in youth.changes
    probation = next(s for s in youth.sections if s.table == "probation_referrals")
    assert sorted(r["change"] for r in probation.rows) == ["changed", "new"]
    assert all(r["cells"][-1] == "2026-11-15" for r in probation.rows)  # as-of date of each fact
    html = (tmp_path / "packet_2026-11-19.html").read_text(encoding="utf-8")
    assert 'class="changed"' in html and 'class="new"' in html and "@media print" in html
    assert "Alameda County Probation Department" in html  # every fact names its source
    assert "YOUTH-7731" not in html and "REF-0001" not in html  # agency record ids are not needed
    wb = load_workbook(tmp_path / "packet_2026-11-19.xlsx")
    assert wb.sheetnames[0] == "Agenda" and PROBATION_SHEET in wb.sheetnames
    agenda = wb["Agenda"]
    assert agenda["A2"].value == "Aaliyah Brooks" and "warrant" in agenda.cell(2, agenda.max_column).value
    fills = {row[0].fill.fgColor.rgb for row in wb[PROBATION_SHEET].iter_rows(min_row=2)}
    assert {"00FFF2CC", "00FCE4D6"} <= fills


def test_packet_as_of_the_earlier_meeting(history: Warehouse, tmp_path: Path) -> None:
    packet = build_packet(history.engine, date(2026, 11, 12), tmp_path, pdf=False)
    youth = packet.youth[0]
    probation = next(s for s in youth.sections if s.table == "probation_referrals")
    # REF-0001 as delivered by then (status "probation", as of Nov 1); REF-0002 happened before the
    # meeting but was only delivered on Nov 15: shown, with that as-of date
    got = [(r["cells"][1], r["cells"][-1]) for r in probation.rows]
    assert got == [("pending", "2026-11-15"), ("probation", "2026-11-01")]
    assert youth.risk_factors == ["runaway"]


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_packet_command_writes_html_pdf_xlsx(
    history: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("SAFETYNET_REQUIRE_BROWSER") == "1":
            pytest.fail("no /usr/bin/chromium, and SAFETYNET_REQUIRE_BROWSER=1 forbids skipping")
        pytest.skip("no /usr/bin/chromium: the PDF cannot be printed here")
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", history.url)
    assert main(["packet", "--meeting", "2026-11-19", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 youth on the agenda" in out
    pdf = tmp_path / "packet_2026-11-19.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000
    with history.engine.connect() as conn:  # whose records were printed, by whom, for which meeting
        entry = audit.entries(conn, action="packet_written")[0]
    assert (entry["subject_type"], entry["subject_id"], entry["client_ids"]) == (
        "meeting",
        "2026-11-19",
        " C1 ",
    )
    assert entry["username"].startswith("cli:")
    with pytest.raises(SystemExit) as bad:
        main(["packet", "--meeting", "19/11/2026", "--out", str(tmp_path)])
    assert bad.value.code == 2 and "not a date" in capsys.readouterr().err
