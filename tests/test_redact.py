"""A delivery file without some records' rows (integrations/redact.py), as a seal rewrites the archive:
the file reads back through its source's reader exactly as before minus those records. CSV (a
quoted field across lines, another encoding) and a multi-sheet workbook. Synthetic data only."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl

from integrations.config import load_sources
from integrations.readers import read_extract
from integrations.redact import drop_records
from sync.pipeline import delivery_files


def _ids(extract, table: str) -> list[str]:
    return [str(r) for r in extract.tables[table]["record_id"]]


def test_csv_rows_dropped_every_other_byte_kept(tmp_path: Path) -> None:
    source = load_sources()["probation"]
    header = (
        "YOUTH_ID,FIRST_NM,MIDDLE_NM,LAST_NM,AKA,BIRTH_DT,GENDER,ETHNICITY,ADDR,CITY,ZIP,REFERRAL_NO,"
        "REFERRAL_DT,SUPV_STATUS,PO_NAME,COURT,PLCMT_TYPE,FACILITY,PLCMT_START,PLCMT_END\r\n"
    )
    keep = (
        "P-1,Ana,,Ruiz,,01/02/2010,FEMALE,HISPANIC,1 A St,Oakland,94601,R-1,01/02/2024,PROBATION,Lee,,,,,\r\n"
    )
    gone = (
        'P-2,Bea,,"Multi\r\nLine",,03/04/2010,FEMALE,BLACK,2 B St,Oakland,94601,R-2,01/03/2024,'
        "PROBATION,Lee,,,,,\r\n"
        "P-2,Bea,,Smith,,03/04/2010,FEMALE,BLACK,2 B St,Oakland,94601,R-3,01/04/2024,PROBATION,Lee,,,,,\r\n"
    )
    path = tmp_path / "probation_youth_20261116.csv"
    path.write_bytes((header + keep + gone + keep.replace("R-1", "R-4")).encode("utf-8"))
    out = tmp_path / "out.csv"
    assert drop_records(path, source, lambda rid: rid == "P-2", out) == 2
    assert out.read_bytes() == (header + keep + keep.replace("R-1", "R-4")).encode("utf-8")
    assert _ids(read_extract(out, source), "probation_referrals") == ["P-1", "P-1"]
    # nothing to drop: nothing written
    assert drop_records(out, source, lambda rid: rid == "P-9", tmp_path / "none.csv") == 0
    assert not (tmp_path / "none.csv").exists()


def test_workbook_rows_dropped_from_every_mapped_sheet(generated, tmp_path: Path) -> None:
    source = load_sources()["social_services"]
    original = delivery_files(source, generated.landing_dir)[-1]
    path = shutil.copy(original, tmp_path / original.name)
    before = read_extract(path, source)
    victim = _ids(before, "welfare_referrals")[0]
    out = tmp_path / "out.xlsx"
    dropped = drop_records(Path(path), source, lambda rid: rid == victim, out)
    after = read_extract(out, source)
    counted = 0
    for table in ("welfare_clients", "welfare_referrals", "welfare_placements"):
        ids = _ids(before, table)
        counted += ids.count(victim)
        assert _ids(after, table) == [i for i in ids if i != victim], table
    assert dropped == counted > 1
    # the victim's id is in no cell of the new workbook (shared strings are written from the cells left)
    book = openpyxl.load_workbook(out, read_only=True)
    cells = {str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row}
    assert victim not in cells
