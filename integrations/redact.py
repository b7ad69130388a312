"""A delivery file without some records' rows: how a seal reaches the extracts kept on disk.

``drop_records(path, source, sealed, out)`` writes a copy of the delivery at ``path`` without every
row whose record id (the agency column mapped to ``record_id``, in every table of the source) is one
``sealed(record_id)`` says yes to, and returns how many rows it dropped (nothing is written when none).

- CSV: the file's own bytes, minus the physical lines of the dropped records (a quoted field may
  span lines): every other byte is kept as the agency sent it.
- XLSX: the workbook read and saved again with openpyxl, the rows deleted from each mapped sheet.
  openpyxl writes its shared strings from the cells left, so no dropped value stays in the file.

The header row is found as the readers find it (the first non-blank CSV row; in a sheet, the first
of its top rows that names the record id column), so the file reads back exactly as before, minus
those rows. Errors name the file and the table, never a value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

from integrations.config import SourceConfig, TableMapping
from settings.files import write_private

#: rows of a sheet searched for its header (title rows above it are allowed)
HEADER_SEARCH_ROWS = 20
_BOM = b"\xef\xbb\xbf"


class RedactError(ValueError):
    """The file cannot be read as its source's layout (no record id column found)."""


def record_key(value: object) -> str | None:
    """A cell as the record id the readers give it (an Excel number 1234.0 is "1234"); None if blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def drop_records(path: Path, source: SourceConfig, sealed: Callable[[str], bool], out: Path) -> int:
    """Write ``path`` without the rows of every record ``sealed`` says yes to into ``out``; rows dropped."""
    if source.format == "xlsx":
        return _drop_xlsx(Path(path), source, sealed, Path(out))
    return _drop_csv(Path(path), source, sealed, Path(out))


def _id_column(source: SourceConfig, mapping: TableMapping) -> str:
    column = mapping.columns.get("record_id")
    if not isinstance(column, str):
        raise RedactError(f"source {source.name}, table {mapping.table}: no single record_id column")
    return column


# --- CSV -----------------------------------------------------------------------------------------------


def _drop_csv(path: Path, source: SourceConfig, sealed: Callable[[str], bool], out: Path) -> int:
    ((_, mapping),) = source.tables.items()
    column = _id_column(source, mapping)
    raw_lines = path.read_bytes().splitlines(keepends=True)
    drop: set[int] = set()  # physical line indexes (0-based) of the dropped records
    reader = csv.reader(_decoded(raw_lines, source.encoding))
    header: list[str] | None = None
    position = -1
    start = 0
    for row in reader:
        end = reader.line_num  # the record spans physical lines start .. end-1
        if header is None:
            if any(cell.strip() for cell in row):
                header = [cell.strip() for cell in row]
                if column not in header:
                    raise RedactError(f"{path.name}: no {mapping.table} record id column in its header")
                position = header.index(column)
        elif position < len(row):
            key = record_key(row[position])
            if key is not None and sealed(key):
                drop.update(range(start, end))
        start = end
    if not drop:
        return 0
    kept = b"".join(line for i, line in enumerate(raw_lines) if i not in drop)
    write_private(out, kept)
    return _records(drop, raw_lines, source.encoding)


def _decoded(raw_lines: list[bytes], encoding: str) -> Iterator[str]:
    for i, raw in enumerate(raw_lines):
        if i == 0 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode(encoding, errors="replace")


def _records(drop: set[int], raw_lines: list[bytes], encoding: str) -> int:
    """How many records the dropped lines were (a record may span lines)."""
    reader = csv.reader(_decoded([raw_lines[i] for i in sorted(drop)], encoding))
    return sum(1 for _ in reader)


# --- XLSX ----------------------------------------------------------------------------------------------


def _drop_xlsx(path: Path, source: SourceConfig, sealed: Callable[[str], bool], out: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path)
    dropped = 0
    for mapping in source.tables.values():
        if mapping.sheet is None or mapping.sheet not in book.sheetnames:
            continue
        sheet = book[mapping.sheet]
        column = _id_column(source, mapping)
        header_row, position = _sheet_header(sheet, column)
        if header_row is None:
            raise RedactError(f"{path.name}: no {mapping.table} record id column in sheet {mapping.sheet}")
        rows = [
            i
            for i, row in enumerate(
                sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
            )
            if position < len(row) and (key := record_key(row[position])) is not None and sealed(key)
        ]
        for i in reversed(rows):  # bottom up: deleting a row moves the ones below it
            sheet.delete_rows(i)
        dropped += len(rows)
    if dropped:
        buffer = io.BytesIO()
        book.save(buffer)
        write_private(out, buffer.getvalue())
    return dropped


def _sheet_header(sheet, column: str) -> tuple[int | None, int]:
    """(1-based header row, 0-based position of ``column``), or (None, -1)."""
    for i, row in enumerate(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1):
        names = [str(v).strip() if v is not None else "" for v in row]
        if column in names:
            return i, names.index(column)
    return None, -1
