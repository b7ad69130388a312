"""XLSX delivery -> one raw agency table per mapped sheet (Excel-typed cells), with Excel row numbers.

Real exports put title and blank rows above the header and formatted empty rows below the data;
the header is searched among the first rows (also as two rows, for a merged group header over its
sub-columns) and empty rows are skipped.
"""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import pandas as pd

from integrations.config import SourceConfig, TableMapping
from integrations.errors import ExtractError
from integrations.header import check_header

#: rows searched for the header of a worksheet (title rows and blank rows sit above it)
HEADER_SEARCH_ROWS = 20
_OLE = b"\xd0\xcf\x11\xe0"


def read_xlsx_tables(path: Path, source: SourceConfig, notes: list[str]) -> dict[str, pd.DataFrame]:
    from openpyxl import load_workbook  # imported here: CSV-only runs don't pay for it

    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(_OLE):
            raise ExtractError(
                path.name,
                "file.encrypted",
                "the workbook is password-protected or encrypted (or an old .xls file)",
                "Save the workbook as a plain .xlsx without a password and send it again.",
            )
        raise ExtractError(
            path.name,
            "file.unreadable",
            "the file is not a readable XLSX workbook (corrupt, cut off or another format)",
            "Save the workbook again from Excel as .xlsx and send it again.",
        )
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise ExtractError(
            path.name,
            "file.unreadable",
            "the XLSX workbook is damaged and cannot be opened",
            "Save the workbook again from Excel and send it again.",
        ) from None
    try:
        out = {}
        for table_name, mapping in source.tables.items():
            sheet_name = mapping.sheet or wb.sheetnames[0]
            if sheet_name not in wb.sheetnames:
                raise ExtractError(
                    path.name,
                    "schema.missing_sheet",
                    f"sheet '{sheet_name}' is missing (the workbook has: {', '.join(wb.sheetnames)})",
                    f"Keep the sheet named '{sheet_name}' in the workbook.",
                    sheet=sheet_name,
                )
            try:
                out[table_name] = _sheet_frame(path.name, wb[sheet_name], sheet_name, mapping, notes)
            except ExtractError:
                raise
            except Exception:
                raise ExtractError(
                    path.name,
                    "file.unreadable",
                    f"sheet '{sheet_name}' is damaged and cannot be read",
                    "Save the workbook again from Excel and send it again.",
                    sheet=sheet_name,
                ) from None
        return out
    finally:
        wb.close()


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _names(row: tuple) -> list[str]:
    return [str(v).strip() if v is not None else "" for v in row]


def _two_row_header(top: list[str], bottom: list[str]) -> list[str]:
    """A header split over two rows: a merged group cell above its parts ("Days" over "Enrolled",
    "Absent") reads "Days Enrolled", "Days Absent"; a header cell merged down keeps its own name.

    A merged cell holds its text in its first column only, so the group name is carried right
    until the next non-empty cell above.
    """
    width = max(len(top), len(bottom))
    top = top + [""] * (width - len(top))
    bottom = bottom + [""] * (width - len(bottom))
    out, group = [], ""
    for above, below in zip(top, bottom, strict=True):
        if above:
            group = above
        if below:
            out.append(f"{group} {below}".strip() if group and group != below else below)
        else:
            out.append(above)
    return out


def _find_header(
    file_name: str, sheet_name: str, head: list[tuple], mapping: TableMapping
) -> tuple[dict[str, int], int]:
    """(column positions, index in ``head`` of the header's last row); ExtractError if none fits."""
    wanted = set(mapping.agency_columns())
    best: tuple[int, list[str]] = (-1, [])
    for i, row in enumerate(head):
        names = _names(row)
        hits = len(wanted.intersection(names))
        if hits == len(wanted):
            return check_header(file_name, sheet_name, names, mapping), i
        best = max(best, (hits, names), key=lambda b: b[0])
    for i in range(len(head) - 1):
        names = _two_row_header(_names(head[i]), _names(head[i + 1]))
        if wanted.issubset(names):
            return check_header(file_name, sheet_name, names, mapping), i + 1
    check_header(file_name, sheet_name, best[1], mapping)  # raises: names the missing columns
    raise AssertionError("unreachable")


def _sheet_frame(
    file_name: str, ws, sheet_name: str, mapping: TableMapping, notes: list[str]
) -> pd.DataFrame:
    ws.reset_dimensions()  # some writers store a wrong used range; read every row that is there
    rows = ws.iter_rows(values_only=True)
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    positions, last = _find_header(file_name, sheet_name, head, mapping)
    header_row = last + 1
    rows = itertools.chain(head[header_row:], rows)
    cols = list(positions)
    records: list[list] = []
    numbers: list[int] = []
    for excel_row, row in enumerate(rows, start=header_row + 1):
        if row is None or all(_blank(v) for v in row):
            continue
        records.append([row[positions[c]] if positions[c] < len(row) else None for c in cols])
        numbers.append(excel_row)
    frame = (
        pd.DataFrame(records, columns=cols, dtype=object)
        if records
        else pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    )
    frame["row_number"] = pd.Series(numbers, dtype=int)
    return frame
