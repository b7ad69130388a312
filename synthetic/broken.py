"""Broken variants of a generated delivery, for reader and pipeline tests.

Each function reads a good delivery file ``src`` (from ``generate``) and writes a damaged copy to
``dest`` (a file path), returning ``dest``. ``CATALOGUE`` says which format each variant applies to
and which ``ExtractError.rule_id`` the reader must raise (None: the file reads, and the damage shows
up in the data for the expectation suites: ``_unparsed_`` dates, duplicate ids).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synthetic.writers import excel_like

_HTML = (
    "<!DOCTYPE html>\n<html><head><title>Session expired</title></head>\n"
    "<body><h1>Your session has expired</h1>\n"
    "<p>Please sign in to the reporting portal again.</p></body></html>\n"
)


def _read_rows(src: Path, encoding: str) -> tuple[list[list[str]], str]:
    raw = src.read_bytes().decode(encoding)
    newline = "\r\n" if "\r\n" in raw[:10000] else "\n"
    return list(csv.reader(io.StringIO(raw, newline=""))), newline


def _write_rows(dest: Path, rows: list[list[str]], encoding: str, newline: str, delimiter: str = ",") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(buf.getvalue().encode(encoding))
    return dest


def _col(rows: list[list[str]], column: str | None) -> int:
    return rows[0].index(column) if column else len(rows[0]) - 1


# --- CSV ---------------------------------------------------------------------------------------


def csv_missing_column(src: Path, dest: Path, column: str | None = None, encoding: str = "utf-8") -> Path:
    """The agency dropped a column (default: the last one)."""
    rows, nl = _read_rows(src, encoding)
    i = _col(rows, column)
    return _write_rows(dest, [r[:i] + r[i + 1 :] for r in rows], encoding, nl)


def csv_renamed_column(
    src: Path, dest: Path, column: str | None = None, new_name: str = "RENAMED_COL", encoding: str = "utf-8"
) -> Path:
    """A system upgrade renamed a header."""
    rows, nl = _read_rows(src, encoding)
    rows[0][_col(rows, column)] = new_name
    return _write_rows(dest, rows, encoding, nl)


def csv_semicolon(src: Path, dest: Path, encoding: str = "utf-8") -> Path:
    """Exported with a European-locale delimiter."""
    rows, nl = _read_rows(src, encoding)
    return _write_rows(dest, rows, encoding, nl, delimiter=";")


def csv_truncated(src: Path, dest: Path, encoding: str = "utf-8") -> Path:
    """The transfer stopped in the middle of a record (no final newline)."""
    data = src.read_bytes()
    cut = data.rfind(b",", 0, len(data) // 2)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data[:cut])
    return dest


def csv_extra_field(src: Path, dest: Path, encoding: str = "utf-8") -> Path:
    """An unquoted comma inside one value shifts a row (row 3 gets one field too many)."""
    rows, nl = _read_rows(src, encoding)
    rows[min(2, len(rows) - 1)].append("x")
    return _write_rows(dest, rows, encoding, nl)


def csv_wrong_encoding(src: Path, dest: Path, encoding: str = "utf-8") -> Path:
    """A UTF-8 source re-saved as Windows-1252 (accented names become invalid UTF-8 bytes)."""
    rows, nl = _read_rows(src, encoding)
    if not any(any(ord(ch) > 127 for ch in cell) for row in rows[1:] for cell in row):
        rows[1][-1] = rows[1][-1] + " Peña"  # make sure one non-ASCII letter is there
    return _write_rows(dest, rows, "cp1252", nl)


def csv_bad_dates(src: Path, dest: Path, column: str, encoding: str = "utf-8", every: int = 7) -> Path:
    """Every ``every``-th value of a date column replaced by text no date format accepts."""
    rows, nl = _read_rows(src, encoding)
    i = rows[0].index(column)
    junk = ("13/45/2024", "N/A", "2024-02-30", "unknown", "00/00/0000")
    for k, row in enumerate(rows[1:], start=1):
        if k % every == 1 and i < len(row):
            row[i] = junk[k % len(junk)]
    return _write_rows(dest, rows, encoding, nl)


def csv_duplicate_ids(src: Path, dest: Path, encoding: str = "utf-8", n: int = 3) -> Path:
    """The first ``n`` data rows delivered twice (an export joined a table twice)."""
    rows, nl = _read_rows(src, encoding)
    return _write_rows(dest, rows + rows[1 : 1 + n], encoding, nl)


# --- any format --------------------------------------------------------------------------------


def empty_file(src: Path | None, dest: Path) -> Path:
    """Zero bytes (a failed export still creates the file)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(b"")
    return dest


def html_page(src: Path | None, dest: Path) -> Path:
    """The reporting portal's login page saved under the extract's name."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(_HTML, encoding="utf-8")
    return dest


# --- XLSX --------------------------------------------------------------------------------------


def _xlsx_edit(src: Path, dest: Path, edit: Callable) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(src)
    edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(excel_like(buf.getvalue()))
    return dest


def _header_cell(ws, column: str | None):
    for row in ws.iter_rows(min_row=1, max_row=20):
        names = [c.value for c in row]
        if column is not None and column in names:
            return row[names.index(column)]
        if column is None and sum(v is not None for v in names) > 2:
            return [c for c in row if c.value is not None][-1]
    raise KeyError("header not found")


def xlsx_missing_sheet(src: Path, dest: Path, sheet: str | None = None) -> Path:
    """A sheet (default: the last) left out; a one-sheet workbook gets Excel's default name instead."""

    def edit(wb) -> None:
        name = sheet or wb.sheetnames[-1]
        if len(wb.sheetnames) == 1:
            wb[name].title = "Sheet1"
        else:
            del wb[name]

    return _xlsx_edit(src, dest, edit)


def xlsx_missing_column(src: Path, dest: Path, sheet: str | None = None, column: str | None = None) -> Path:
    """A column deleted from one sheet (default: the first sheet's last column)."""

    def edit(wb) -> None:
        ws = wb[sheet or wb.sheetnames[0]]
        ws.delete_cols(_header_cell(ws, column).column)

    return _xlsx_edit(src, dest, edit)


def xlsx_renamed_column(
    src: Path, dest: Path, sheet: str | None = None, column: str | None = None, new_name: str = "Renamed"
) -> Path:
    """A header renamed on one sheet."""

    def edit(wb) -> None:
        ws = wb[sheet or wb.sheetnames[0]]
        _header_cell(ws, column).value = new_name

    return _xlsx_edit(src, dest, edit)


def xlsx_duplicate_ids(src: Path, dest: Path, sheet: str | None = None, n: int = 3) -> Path:
    """The first ``n`` data rows of a sheet (default: the first) delivered twice, right below them."""

    def edit(wb) -> None:
        ws = wb[sheet or wb.sheetnames[0]]
        header = _header_cell(ws, None).row
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=header + 1, max_row=header + n)]
        ws.insert_rows(header + n + 1, amount=len(rows))
        for i, values in enumerate(rows):
            for j, v in enumerate(values, start=1):
                ws.cell(row=header + n + 1 + i, column=j).value = v

    return _xlsx_edit(src, dest, edit)


def xlsx_corrupt(src: Path, dest: Path) -> Path:
    """A workbook cut in half by a failed transfer (not a readable ZIP any more)."""
    data = src.read_bytes()
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data[: len(data) // 2])
    return dest


def xlsx_damaged_sheet(src: Path, dest: Path) -> Path:
    """A valid ZIP whose first worksheet part is garbage."""
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>999999"
            zout.writestr(info, data)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(out.getvalue())
    return dest


def xlsx_encrypted(src: Path | None, dest: Path) -> Path:
    """What Excel writes for a password-protected workbook: an OLE compound file, not a ZIP."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(header + bytes(512 - len(header)) + b"EncryptionInfo".ljust(512, b"\x00"))
    return dest


# --- size ----------------------------------------------------------------------------------------


class ArrestLogStream(io.RawIOBase):
    """An Oakland PD arrest log of ``rows`` made-up rows (``duplicate_every``: a booking number
    repeated), generated as it is read: a multi-gigabyte delivery for the streaming reader without
    writing it to disk. ~100 bytes a row: 20 million rows are about 2 GB."""

    HEADER = (
        "BookingNumber,ORI,ArrestDateTime,FirstName,MiddleName,LastName,AKA,DOB,Sex,Race,"
        "Address,City,Zip,Charges\r\n"
    )

    def __init__(self, rows: int, duplicate_every: int = 0, block_rows: int = 2000) -> None:
        self.rows = rows
        self.duplicate_every = duplicate_every
        self.block_rows = block_rows
        self._next = 0
        self._buf = self.HEADER.encode("ascii")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def _row(self, i: int) -> str:
        booking = i - 1 if self.duplicate_every and i and i % self.duplicate_every == 0 else i
        return (
            f"22-{booking:08d},CA0010900,{1 + i % 12:02d}/{1 + i % 28:02d}/2024 {i % 24:02d}:{i % 60:02d},"
            f"ANA{i % 97},,GARCIA{i % 89},,{1 + i % 12:02d}/{1 + i % 27:02d}/{1990 + i % 15},F,B,"
            f"{i % 9000} MAIN ST,OAKLAND,94601,PC 459;HS 11350\r\n"
        )

    def readinto(self, b) -> int:
        if self._pos >= len(self._buf) and self._next < self.rows:
            end = min(self.rows, self._next + self.block_rows)
            self._buf = "".join(self._row(i) for i in range(self._next, end)).encode("ascii")
            self._pos, self._next = 0, end
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos : self._pos + n]
        self._pos += n
        return n


@dataclass(frozen=True)
class Variant:
    """One kind of damage: which formats it applies to, what the reader must say about it."""

    name: str
    formats: tuple[str, ...]
    rule_id: str | None
    make: Callable[..., Path]


CATALOGUE: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("missing_column", ("csv",), "schema.missing_columns", csv_missing_column),
        Variant("renamed_column", ("csv",), "schema.missing_columns", csv_renamed_column),
        Variant("semicolon", ("csv",), "schema.missing_columns", csv_semicolon),
        Variant("truncated", ("csv",), "file.truncated", csv_truncated),
        Variant("extra_field", ("csv",), "file.malformed", csv_extra_field),
        Variant("wrong_encoding", ("csv",), "file.encoding", csv_wrong_encoding),
        Variant("bad_dates", ("csv",), None, csv_bad_dates),
        Variant("duplicate_ids", ("csv",), None, csv_duplicate_ids),
        Variant("empty", ("csv", "xlsx"), "file.empty", empty_file),
        Variant("html", ("csv",), "file.not_csv", html_page),
        Variant("html_xlsx", ("xlsx",), "file.unreadable", html_page),
        Variant("xlsx_missing_sheet", ("xlsx",), "schema.missing_sheet", xlsx_missing_sheet),
        Variant("xlsx_missing_column", ("xlsx",), "schema.missing_columns", xlsx_missing_column),
        Variant("xlsx_renamed_column", ("xlsx",), "schema.missing_columns", xlsx_renamed_column),
        Variant("xlsx_corrupt", ("xlsx",), "file.unreadable", xlsx_corrupt),
        Variant("xlsx_damaged_sheet", ("xlsx",), "file.unreadable", xlsx_damaged_sheet),
        Variant("xlsx_encrypted", ("xlsx",), "file.encrypted", xlsx_encrypted),
    )
}

__all__ = [
    "CATALOGUE",
    "ArrestLogStream",
    "Variant",
    "csv_bad_dates",
    "csv_duplicate_ids",
    "csv_extra_field",
    "csv_missing_column",
    "csv_renamed_column",
    "csv_semicolon",
    "csv_truncated",
    "csv_wrong_encoding",
    "empty_file",
    "html_page",
    "xlsx_corrupt",
    "xlsx_damaged_sheet",
    "xlsx_encrypted",
    "xlsx_missing_column",
    "xlsx_missing_sheet",
    "xlsx_renamed_column",
]
