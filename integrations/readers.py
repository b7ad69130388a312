"""Read one delivery file (CSV or XLSX) into the canonical tables of its source's kind.

One reader per file format, both driven by the source's mapping in ``config/sources.yaml``:
raw agency cells come in as text (or Excel-typed values), ``mapping.map_table`` turns them into
canonical typed columns. Errors are ``ExtractError`` naming file, sheet and columns only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from integrations.config import SourceConfig, TableMapping
from integrations.errors import ExtractError
from integrations.extract import Extract
from integrations.mapping import map_table

#: rows searched for the header of a worksheet (title rows and blank rows sit above it)
HEADER_SEARCH_ROWS = 20

_STAMP_RE = re.compile(r"(20\d{2})-?([01]\d)-?([0-3]\d)")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def delivery_date(path: Path) -> date:
    """The date stamped in the file name (YYYYMMDD or YYYY-MM-DD), else the file's modification date."""
    m = _STAMP_RE.search(path.name)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime).date()


def read_extract(path: Path | str, source: SourceConfig) -> Extract:
    """Read and map one delivery file. Raises ``ExtractError`` for anything unreadable."""
    path = Path(path)
    if not path.is_file():
        raise ExtractError(path.name, "file.missing", "file not found")
    if path.stat().st_size == 0:
        raise ExtractError(path.name, "file.empty", "the file is empty", "Re-export the extract; it has no bytes.")
    raw_tables = _read_xlsx(path, source) if source.format == "xlsx" else _read_csv(path, source)
    tables = {
        name: map_table(frame, source.tables[name], source.spec.table(name), path.name)
        for name, frame in raw_tables.items()
    }
    return Extract(
        source=source.name,
        kind=source.kind,
        file=path,
        sha256=file_sha256(path),
        tables=tables,
        delivered_on=delivery_date(path),
    )


# --- CSV ---------------------------------------------------------------------------------------


def _sniff_html(head: bytes) -> bool:
    start = head.lstrip()[:200].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<table"))


def _read_csv(path: Path, source: SourceConfig) -> dict[str, pd.DataFrame]:
    (table_name, mapping), = source.tables.items()
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if _sniff_html(head):
        raise ExtractError(
            path.name,
            "file.not_csv",
            "the file is an HTML/XML page, not a CSV extract",
            "The export saved a web page (often a login or error page). Export the report as CSV.",
        )
    if head.startswith(b"PK\x03\x04"):
        raise ExtractError(path.name, "file.not_csv", "the file is a ZIP/XLSX workbook, not a CSV extract",
                           "Save the extract as CSV (comma-separated values).")
    try:
        text_head = head.decode(source.encoding)
    except UnicodeDecodeError:
        raise ExtractError(
            path.name,
            "file.encoding",
            f"the file is not valid {source.encoding} text",
            f"Export the file as {source.encoding} text.",
        ) from None
    header_line = text_head.splitlines()[0] if text_head.splitlines() else ""
    _check_header(path.name, None, next(csv.reader([header_line])), mapping, header_line)
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding=source.encoding,
            skip_blank_lines=True,
            on_bad_lines="error",
        )
    except UnicodeDecodeError:
        raise ExtractError(path.name, "file.encoding", f"the file is not valid {source.encoding} text",
                           f"Export the file as {source.encoding} text.") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f" at line {line.group(1)}" if line else ""
        raise ExtractError(
            path.name,
            "file.malformed",
            f"the CSV is malformed{where} (a row has more fields than the header, or a quote is not closed)",
            "Check that text fields containing commas are quoted and the file was not cut off.",
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    # pandas drops blank lines, so take physical line numbers from the index only when none were blank
    frame["row_number"] = _csv_line_numbers(path, source.encoding, len(frame))
    return {table_name: frame}


def _csv_line_numbers(path: Path, encoding: str, n_rows: int) -> list[int]:
    """Physical line numbers (header = 1) of the data records, skipping blank lines as pandas does."""
    numbers: list[int] = []
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row) or len(row) > 1:
                numbers.append(start)
            start = reader.line_num + 1
    if len(numbers) != n_rows:  # unusual quoting; fall back to record order
        return list(range(2, n_rows + 2))
    return numbers


def _check_header(file_name: str, sheet: str | None, header: list, mapping: TableMapping, raw_line: str = "") -> None:
    present = {str(h).strip() for h in header if h is not None}
    missing = [c for c in mapping.agency_columns() if c not in present]
    if not missing:
        return
    where = f" on sheet '{sheet}'" if sheet else ""
    hint = ""
    if len(present) <= 1 and raw_line:
        for sep in (";", "\t", "|"):
            if raw_line.count(sep) >= 2:
                hint = f" The header looks '{sep}'-separated; the extract must be comma-separated."
                break
    raise ExtractError(
        file_name,
        "schema.missing_columns",
        f"column(s) missing{where}: {', '.join(missing)}.{hint}",
        "Deliver every column of the agreed layout with its exact header; a renamed column counts as missing.",
    )


# --- XLSX --------------------------------------------------------------------------------------


def _read_xlsx(path: Path, source: SourceConfig) -> dict[str, pd.DataFrame]:
    from openpyxl import load_workbook  # imported here: CSV-only runs don't pay for it

    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            head = fh.read(8)
        reason = (
            "the workbook is password-protected or encrypted"
            if head.startswith(b"\xd0\xcf\x11\xe0")
            else "the file is not a readable XLSX workbook (corrupt or another format)"
        )
        raise ExtractError(path.name, "file.unreadable", reason,
                           "Save the workbook as a plain .xlsx without a password and send it again.")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged archive; none may leak a traceback
        raise ExtractError(path.name, "file.unreadable", "the XLSX workbook is damaged and cannot be opened",
                           "Save the workbook again from Excel and send it again.") from None
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
                )
            out[table_name] = _sheet_frame(path.name, wb[sheet_name], sheet_name, mapping)
        return out
    finally:
        wb.close()


def _sheet_frame(file_name: str, ws, sheet_name: str, mapping: TableMapping) -> pd.DataFrame:
    wanted = set(mapping.agency_columns())
    rows = ws.iter_rows(values_only=True)
    header: list | None = None
    best: tuple[int, list] = (-1, [])
    header_row = 0
    for i, row in enumerate(rows, start=1):
        names = [str(v).strip() if v is not None else "" for v in row]
        hits = len(wanted.intersection(names))
        if hits > best[0]:
            best = (hits, names)
        if hits == len(wanted):
            header, header_row = names, i
            break
        if i >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        _check_header(file_name, sheet_name, best[1], mapping)
    assert header is not None
    index = {name: pos for pos, name in enumerate(header) if name}
    records: list[list] = []
    numbers: list[int] = []
    for excel_row, row in enumerate(rows, start=header_row + 1):
        if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue  # blank and trailing rows carry nothing
        records.append([row[index[c]] if index[c] < len(row) else None for c in index])
        numbers.append(excel_row)
    frame = pd.DataFrame(records, columns=list(index), dtype=object)
    frame["row_number"] = numbers
    return frame


__all__ = ["read_extract", "file_sha256", "delivery_date", "ExtractError", "io"]
