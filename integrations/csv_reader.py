"""CSV delivery -> one raw agency table (text cells) with physical line numbers.

Parsed with the ``csv`` module rather than ``pandas.read_csv``: every record's physical line is known
(quoted fields may span lines), a record with the wrong number of fields is an error at that line
instead of silently shifted columns, and a file cut off mid-record is told apart from a malformed one.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from integrations.config import SourceConfig
from integrations.errors import ExtractError
from integrations.header import check_header

_HTML_STARTS = (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<table")
_OLE = b"\xd0\xcf\x11\xe0"


def _sniff(file_name: str, head: bytes) -> None:
    start = head.lstrip().lstrip(b"\xef\xbb\xbf")[:200].lower()
    if start.startswith(_HTML_STARTS):
        raise ExtractError(
            file_name,
            "file.not_csv",
            "the file is an HTML/XML page, not a CSV extract",
            "The export saved a web page (often a login or error page). Export the report as CSV.",
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(_OLE):
        raise ExtractError(
            file_name,
            "file.not_csv",
            "the file is an Excel workbook, not a CSV extract",
            "Save the extract as CSV (comma-separated values).",
        )


def _is_utf8(enc: str) -> bool:
    return enc.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")


def _decode(file_name: str, data: bytes, encoding: str, notes: list[str]) -> str:
    """The file's text in the source's encoding, tolerating two unambiguous deviations.

    An Excel "CSV UTF-8" byte-order mark is accepted. A legacy-code-page source (cp1252) that sent
    valid UTF-8 with accented letters is read as UTF-8 with a note: real cp1252 text with accents is
    practically never valid UTF-8, and decoding it as cp1252 would silently garble names.
    """
    if not _is_utf8(encoding) and (data.startswith(b"\xef\xbb\xbf") or not data.isascii()):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        else:
            notes.append(f"the file is UTF-8, not the configured {encoding}; read as UTF-8")
            return text
    codec = "utf-8-sig" if _is_utf8(encoding) else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = " (it looks like Windows-1252 text)" if codec == "utf-8-sig" else ""
        raise ExtractError(
            file_name,
            "file.encoding",
            f"line {line} is not valid {encoding} text{hint}",
            f"Export the file as {encoding} text.",
            row=line,
        ) from None


def read_csv_table(path: Path, source: SourceConfig, notes: list[str]) -> dict[str, pd.DataFrame]:
    """{table: raw frame of the mapped agency columns as text, plus ``row_number``}."""
    if len(source.tables) != 1:
        raise ExtractError(
            path.name,
            "reader.internal",
            "a CSV source must map exactly one table (check config/sources.yaml)",
        )
    ((table_name, mapping),) = source.tables.items()
    data = path.read_bytes()
    _sniff(path.name, data[:4096])
    text = _decode(path.name, data, source.encoding, notes)
    if not text.strip():
        raise ExtractError(
            path.name,
            "file.empty",
            "the file has no header and no rows",
            "Re-export the extract; it is blank.",
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        positions = check_header(path.name, None, header, mapping, text.splitlines()[0])
        width = len(header)
        wanted = list(positions)
        columns: list[list[str]] = [[] for _ in wanted]
        numbers: list[int] = []
        dropped = 0
        start = reader.line_num + 1
        for row in reader:
            if not any(cell.strip() for cell in row):
                dropped += len(row) > 0  # ",,,," rows; truly blank lines are not rows at all
                start = reader.line_num + 1
                continue
            if len(row) != width:
                _bad_width(
                    path.name,
                    start,
                    len(row),
                    width,
                    at_end=reader.line_num >= _line_count(text) and not text.endswith(("\n", "\r")),
                )
            for k, c in enumerate(wanted):
                columns[k].append(row[positions[c]])
            numbers.append(start)
            start = reader.line_num + 1
    except csv.Error:
        line = reader.line_num or 1
        raise ExtractError(
            path.name,
            "file.malformed",
            f"the CSV cannot be parsed at line {line}",
            "Check quoting: a text field containing commas or quotes must be quoted.",
            row=line,
        ) from None
    if dropped:
        notes.append(f"{dropped} empty row(s) skipped")
    frame = pd.DataFrame({c: pd.Series(columns[k], dtype=object) for k, c in enumerate(wanted)})
    frame["row_number"] = numbers
    return {table_name: frame}


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _bad_width(file_name: str, line: int, got: int, width: int, at_end: bool) -> None:
    if at_end and got < width:
        raise ExtractError(
            file_name,
            "file.truncated",
            f"the file ends in the middle of the record at line {line} "
            f"({got} of {width} fields); it was cut off",
            "Send the complete file again (the transfer or export stopped early).",
            row=line,
        )
    raise ExtractError(
        file_name,
        "file.malformed",
        f"line {line} has {got} fields, the header has {width}",
        "Check that text fields containing commas are quoted and the delimiter is a comma.",
        row=line,
    )
