"""Cells are data, never formulas: every XLSX and CSV the service writes, reopened and checked.

The warehouse carries formula payloads (``=HYPERLINK(...)``, ``=cmd|...``, ``+``, ``-``, ``@``,
tab, carriage return) in every agency text field and in the client list (``tests/output_payloads``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from outputs.cells import FORMULA_START, SafeCsvWriter, append_row, csv_frame, csv_value, is_formula_like
from packets.build import build_packet
from reports.quarterly import build_report
from tests.output_payloads import (
    FORMULA_FIELDS,
    MEETING,
    QUARTER,
    REPORT_FIELDS,
    build_payload_warehouse,
    texts,
)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cells")
    wh = build_payload_warehouse(f"sqlite:///{root / 'warehouse.db'}")
    packet = build_packet(wh.engine, MEETING, root / "out", pdf=False)
    report = build_report(wh.engine, QUARTER, root / "out")
    wh.dispose()
    return {"xlsx": next(p for p in packet.files if p.suffix == ".xlsx"), "csv": report.csv}


def test_formula_like_text_and_numbers() -> None:
    for text in ("=1+2", "+SUM(1,2)", "-2+3", "@SUM(1)", "\t=1", "\r=1", "=cmd|'/C calc'!A0", "-", "+x"):
        assert is_formula_like(text) and csv_value(text) == "'" + text
    for value in ("-3", "+4", "-2.5", "1e5", "12", "Oakland", "", " =1", -3, -2.5, 0, None):
        assert not is_formula_like(value) and csv_value(value) == value


def _cells(path: Path) -> list:
    wb = load_workbook(path)
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def test_packet_workbook_has_no_formula_and_keeps_each_payload_as_text(written) -> None:
    path = written["xlsx"]
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in s or "<f " in s for s in sheets), "a formula element in the file"
    cells = _cells(path)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [str(c.value) for c in cells if c.value is not None]
    # every payload is in some cell, as the text the agency typed (XML reads a CR back as LF)
    missing = [t for t in texts(FORMULA_FIELDS) if not any(t.replace("\r", "\n") in v for v in values)]
    assert missing == [], f"payloads not found as text: {missing}"
    for cell in cells:
        if is_formula_like(cell.value):
            assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    # the agenda's first cell is the youth's name, which starts with "=": text, quote-prefixed
    agenda = load_workbook(path)["Agenda"]
    names = {agenda.cell(r, 1).value: agenda.cell(r, 1) for r in range(2, agenda.max_row + 1)}
    name = next(v for v in names if v.startswith("=1+2"))
    assert names[name].data_type == "s" and names[name].quotePrefix


def test_report_csv_has_no_formula_and_counts_stay_numbers(written) -> None:
    rows = list(csv.reader(open(written["csv"], encoding="utf-8", newline="")))
    assert rows[0] == ["table", "row", "year_of_referral", "count", "percent"]
    fields = [v for row in rows for v in row]
    assert not [v for v in fields if v.startswith(FORMULA_START)]
    labels = {row[1] for row in rows[1:]}
    for payload in texts({k: FORMULA_FIELDS[k] for k in REPORT_FIELDS}):
        shown = payload.replace("_", " ")
        assert "'" + shown in labels, f"row label {shown!r} not written as quoted text"
    assert all(row[3] == "s" or row[3].isdigit() for row in rows[1:])
    assert all(row[4] == "" or row[4].endswith("%") for row in rows[1:])


def test_shared_helpers_on_openpyxl_and_csv(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    append_row(ws, ["=1+2", "@x", -5, 2.5, "-7", "text", "\r=1"])
    wb.save(tmp_path / "t.xlsx")
    got = load_workbook(tmp_path / "t.xlsx").active
    assert [(c.value, c.data_type) for c in got[1]] == [
        ("=1+2", "s"),
        ("@x", "s"),
        (-5, "n"),  # a negative number is a number
        (2.5, "n"),
        ("-7", "s"),
        ("text", "s"),
        ("\n=1", "s"),  # XML reads a carriage return back as a line feed
    ]
    assert [c.quotePrefix for c in got[1]] == [True, True, False, False, False, False, True]

    out = io.StringIO()
    SafeCsvWriter(out, lineterminator="\n").writerow(["=1+2", -5, "-5", "+SUM(1)", "ok"])
    assert out.getvalue() == "'=1+2,-5,-5,'+SUM(1),ok\n"
    SafeCsvWriter(out, lineterminator="\n").writerow(["\r=1", 3])
    assert list(csv.reader(io.StringIO(out.getvalue()), strict=True))[1] == ["'\r=1", "3"]

    frame = pd.DataFrame({"record_id": ["=1+2", "r2"], "score": [-0.5, 0.9]})
    assert csv_frame(frame)["record_id"].tolist() == ["'=1+2", "r2"]
    assert csv_frame(frame)["score"].tolist() == [-0.5, 0.9]
    plain = frame.assign(record_id=["r1", "r2"])
    assert csv_frame(plain) is plain  # nothing to change: no copy


def test_audit_export_quotes_formula_text(sqlite_url: str) -> None:
    from review import audit
    from warehouse import Warehouse

    wh = Warehouse(sqlite_url)
    wh.migrate()
    with wh.engine.begin() as conn:
        audit.record(conn, username='=HYPERLINK("x")', action="view_client", clients=["C1"], detail="@SUM(1)")
        text = audit.export_client_csv(conn, "C1")
    wh.dispose()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][2] == '\'=HYPERLINK("x")' and rows[1][7] == "'@SUM(1)"
