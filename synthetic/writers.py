"""Write canonical tables in an agency's own layout, driven only by its ``config/sources.yaml`` entry.

The column mapping is reversed: canonical values go back through ``values:`` to agency codes, list
columns are joined with the source's separator (or spread over CHARGE_1..n style columns), a
datetime mapped to a date column and a time column is split, dates use the table's formats. CSV is
written in the source's encoding; XLSX through openpyxl with the mess of real exports (a title row
and a blank row above the header, real Excel dates, styled empty rows at the bottom). Workbooks are
re-zipped with fixed timestamps so the same data gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from integrations.config import SourceConfig, TableMapping
from integrations.kinds import Column, TableSpec

_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_FIXED_CORE_TIME = "2020-01-01T00:00:00Z"
_DEFAULT_DATE = "%m/%d/%Y"
_DEFAULT_DATETIME = "%m/%d/%Y %H:%M"


def _reverse(mapping: TableMapping, col: Column) -> tuple[dict[str, str], dict[str, str]]:
    """(canonical -> agency value, canonical -> canonical value the reader will give back)."""
    rev: dict[str, str] = {}
    for agency, canon in mapping.values.get(col.name, {}).items():
        rev.setdefault(canon, agency)
    back = {c: c for c in rev}
    fallback = next((f for f in ("Other", "Unknown") if f in rev), None)
    for code in col.codes or ():
        if code not in rev and fallback and rev:
            rev[code], back[code] = rev[fallback], fallback
    return rev, back


def conform(src: SourceConfig, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The canonical tables exactly as a reader will see them in this source's layout.

    Unmapped columns become empty, codes without an agency value fall back to the agency's
    "Other"/"Unknown", lists longer than the agency's CHARGE_1..n columns are cut.
    """
    out = {}
    for name, frame in tables.items():
        mapping, spec = src.tables[name], src.spec.table(name)
        frame = frame.copy()
        for col in spec.columns:
            if col.name not in frame.columns:
                frame[col.name] = None
            if col.name not in mapping.columns:
                frame[col.name] = pd.NaT if col.type in ("date", "datetime") else None
                continue
            agency = mapping.columns[col.name]
            if col.codes:
                _, back = _reverse(mapping, col)
                frame[col.name] = frame[col.name].map(
                    lambda v, b=back: b.get(v, v) if isinstance(v, str) else None
                )
            if col.type == "list" and isinstance(agency, list):
                n = len(agency)
                frame[col.name] = frame[col.name].map(
                    lambda v, n=n: "|".join(v.split("|")[:n]) if isinstance(v, str) else None
                )
        out[name] = frame[list(spec.column_names)].reset_index(drop=True)
    return out


def _excel_value(v: object) -> object:
    """Digits-only text becomes a number, as Excel does with ids and ZIP codes (no leading zeros lost)."""
    if isinstance(v, str) and v.isdigit() and not v.startswith("0") and len(v) <= 12:
        return int(v)
    return v


def agency_frame(src: SourceConfig, name: str, frame: pd.DataFrame, excel: bool = False) -> pd.DataFrame:
    """One canonical table as the agency's columns: text cells for CSV, typed cells for XLSX."""
    mapping, spec = src.tables[name], src.spec.table(name)
    out: dict[str, object] = {}
    for canon, agency in mapping.columns.items():
        col = spec.column(canon)
        values = frame[canon]
        cols = [agency] if isinstance(agency, str) else list(agency)
        if col.type in ("date", "datetime"):
            default = _DEFAULT_DATETIME if col.type == "datetime" else _DEFAULT_DATE
            fmt = (mapping.datetime_format if col.type == "datetime" else mapping.date_format) or default
            if excel and len(cols) == 1:
                out[cols[0]] = _excel_dates(values, col.type == "date")
                continue
            text = pd.Series(values).dt.strftime(fmt).astype(object).where(values.notna(), "")
            if len(cols) == 1:
                out[cols[0]] = text
                continue
            parts = text.str.split(" ", n=len(cols) - 1, expand=True)
            for i, c in enumerate(cols):
                out[c] = parts[i].fillna("").astype(object) if i in parts.columns else ""
            continue
        if col.type == "int":
            ints = values.astype("Int64")
            out[cols[0]] = ints.astype(object).where(ints.notna(), None if excel else "")
            if not excel:
                out[cols[0]] = out[cols[0]].map(lambda v: "" if v in ("", None) else str(v))
            continue
        if col.codes:
            rev, _ = _reverse(mapping, col)
            values = values.map(lambda v, r=rev: r.get(v, v) if isinstance(v, str) else None)
        if col.type == "list":
            lists = values.map(lambda v: v.split("|") if isinstance(v, str) else [])
            if len(cols) == 1:
                out[cols[0]] = lists.map(lambda parts: mapping.list_separator.join(parts))
            else:
                for i, c in enumerate(cols):
                    out[c] = lists.map(lambda parts, i=i: parts[i] if i < len(parts) else "")
            continue
        text = values.astype(object).where(values.notna(), "")
        out[cols[0]] = text.map(_excel_value) if excel else text
    result = pd.DataFrame(out, index=frame.index)
    if excel:
        result = result.astype(object).where(result.map(lambda v: v != ""), None)
    return result


def _excel_dates(values: pd.Series, date_only: bool) -> pd.Series:
    py = values.astype(object).map(lambda v: None if pd.isna(v) else v.to_pydatetime())
    return py.map(lambda v: v.date() if (date_only and v is not None) else v).astype(object)


def write_csv(src: SourceConfig, tables: dict[str, pd.DataFrame], path: Path) -> None:
    """A single-table source as CSV in its encoding (Windows line ends for legacy code pages)."""
    ((name, frame),) = tables.items()
    agency = agency_frame(src, name, frame)
    newline = "\n" if src.encoding.lower().replace("-", "") in ("utf8", "utf8sig") else "\r\n"
    agency.to_csv(path, index=False, encoding=src.encoding, lineterminator=newline)


def write_xlsx(src: SourceConfig, tables: dict[str, pd.DataFrame], path: Path, as_of: date) -> None:
    """A workbook with one sheet per table, a title and a blank row above each header."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Border, Side

    wb = Workbook(write_only=True)
    line = Border(bottom=Side(style="thin"))
    for name, frame in tables.items():
        mapping = src.tables[name]
        ws = wb.create_sheet(mapping.sheet or name)
        agency = agency_frame(src, name, frame, excel=True)
        ws.append([f"{src.agency} - {mapping.sheet or name} - extract as of {as_of:%m/%d/%Y}"])
        ws.append([])
        ws.append(list(agency.columns))
        for row in agency.itertuples(index=False, name=None):
            ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
        for _ in range(3):  # formatted but empty rows, as exports leave below the data
            cell = WriteOnlyCell(ws, value=None)
            cell.border = line
            ws.append([cell])
    wb.properties.creator = src.agency
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(excel_like(buf.getvalue()))


_INLINE = re.compile(
    rb'<c r="([A-Z]+)(\d+)"((?: s="\d+")?) t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
    re.S,
)
_CELL_REF = re.compile(rb'<c r="([A-Z]+)(\d+)"')
_SST_TYPE = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_SST_CT = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _shared(sheet: bytes, table: dict[bytes, int]) -> bytes:
    """Inline strings -> shared-string references, and a ``<dimension>`` as Excel writes them."""

    def repl(m: re.Match) -> bytes:
        idx = table.setdefault(m.group(4), len(table))
        return (
            b'<c r="'
            + m.group(1)
            + m.group(2)
            + b'"'
            + m.group(3)
            + b' t="s"><v>'
            + str(idx).encode()
            + b"</v></c>"
        )

    sheet = _INLINE.sub(repl, sheet)
    refs = _CELL_REF.findall(sheet)
    if refs:
        cols = max(_col_number(c) for c, _ in refs)
        rows = max(int(r) for _, r in refs)
        dim = f'<dimension ref="A1:{_col_letters(cols)}{rows}"/>'.encode()
        at = sheet.find(b"</sheetPr>")
        at = at + len(b"</sheetPr>") if at >= 0 else sheet.find(b">", sheet.find(b"<worksheet")) + 1
        sheet = sheet[:at] + dim + sheet[at:]
    return sheet


def excel_like(data: bytes) -> bytes:
    """An openpyxl workbook made to look like Excel's own output, with stable bytes.

    openpyxl writes inline strings and no used range; Excel writes a shared-string table and a
    ``<dimension>``, which readers rely on (and which read several times faster). Entry and
    document-property times are fixed so reruns give byte-identical files.
    """
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        for info in zin.infolist():
            parts[info.filename] = zin.read(info.filename)
    table: dict[bytes, int] = {}
    for name in sorted(n for n in parts if n.startswith("xl/worksheets/sheet")):
        parts[name] = _shared(parts[name], table)
    if table and "xl/sharedStrings.xml" not in parts:
        items = b"".join(b'<si><t xml:space="preserve">' + t + b"</t></si>" for t in table)
        parts["xl/sharedStrings.xml"] = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="'
            + _MAIN_NS
            + b'" count="'
            + str(len(table)).encode()
            + b'" uniqueCount="'
            + str(len(table)).encode()
            + b'">'
            + items
            + b"</sst>"
        )
        rels = parts["xl/_rels/workbook.xml.rels"]
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(
            b"</Relationships>",
            b'<Relationship Type="'
            + _SST_TYPE
            + b'" Target="sharedStrings.xml" Id="rIdSst" /></Relationships>',
        )
        ct = parts["[Content_Types].xml"]
        parts["[Content_Types].xml"] = ct.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + _SST_CT + b'" /></Types>',
        )
    if "docProps/core.xml" in parts:
        parts["docProps/core.xml"] = re.sub(
            rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
            rb"\g<1>" + _FIXED_CORE_TIME.encode() + rb"\g<2>",
            parts["docProps/core.xml"],
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, content in parts.items():
            zi = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, content)
    return out.getvalue()


def write_source(src: SourceConfig, tables: dict[str, pd.DataFrame], path: Path, as_of: date) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if src.format == "xlsx":
        write_xlsx(src, tables, path, as_of)
    else:
        write_csv(src, tables, path)


def delivery_name(src: SourceConfig, as_of: date) -> str:
    """The source's glob pattern with the delivery date stamped where the ``*`` is."""
    return src.pattern.replace("*", f"{as_of:%Y%m%d}", 1).replace("*", "").replace("?", "0")


__all__ = ["conform", "agency_frame", "write_source", "delivery_name", "TableSpec"]
