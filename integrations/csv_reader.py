"""CSV delivery -> raw agency table(s) (text cells) with physical line numbers, streamed.

Parsed with the ``csv`` module rather than ``pandas.read_csv``: every record's physical line is known
(quoted fields may span lines), a record with the wrong number of fields is an error at that line
instead of silently shifted columns, and a file cut off mid-record is told apart from a malformed one.

The file is read line by line from a binary stream and decoded per line, so memory is bounded by
the rows kept: ``iter_csv_tables(..., chunk_rows=N)`` yields the table N rows at a time (``safetynet
validate`` on a multi-gigabyte file), ``read_csv_table`` collects every chunk (the nightly run).
Both go through the same parser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from integrations.config import SourceConfig, TableMapping
from integrations.errors import ExtractError
from integrations.header import check_header

_HTML_STARTS = (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<table")
_OLE = b"\xd0\xcf\x11\xe0"
_BOM = b"\xef\xbb\xbf"
#: bytes looked at to recognise a file that is not CSV text at all
SNIFF_BYTES = 4096
#: csv's default field limit is 128 KiB; a longer field is an error, not memory exhaustion
csv.field_size_limit(1 << 20)


def _sniff(file_name: str, head: bytes) -> None:
    start = head.lstrip().lstrip(_BOM)[:200].lower()
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
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractError(
            file_name,
            "file.encoding",
            "the file is UTF-16 text (Excel's 'Unicode text'), not the agreed CSV encoding",
            "Save the extract as 'CSV UTF-8 (comma delimited)' or plain CSV.",
            row=1,
        )


def _is_utf8(enc: str) -> bool:
    return enc.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")


class _Lines:
    """The stream's physical lines as text (line endings kept: csv needs them inside quotes).

    Decoded line by line in the source's encoding, tolerating two unambiguous deviations: an Excel
    "CSV UTF-8" byte-order mark, and valid UTF-8 from a legacy-code-page source (cp1252), read as
    UTF-8 with a note: real cp1252 text with accents is practically never valid UTF-8, and decoding
    it as cp1252 would silently garble names. Anything else undecodable is ``file.encoding`` at
    its line.
    """

    def __init__(self, stream: BinaryIO, file_name: str, encoding: str, notes: list[str]) -> None:
        self.stream = stream
        self.file_name = file_name
        self.encoding = encoding
        self.notes = notes
        self.utf8 = _is_utf8(encoding)
        self.number = 0
        self.ended_with_newline = True
        self.exhausted = False
        self.first_line = ""
        self._noted = False

    def _decode(self, raw: bytes) -> str:
        if raw.isascii():
            return raw.decode("ascii")
        if not self.utf8:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                if not self._noted:
                    self.notes.append(f"the file is UTF-8, not the configured {self.encoding}; read as UTF-8")
                    self._noted = True
                return text
        try:
            return raw.decode("utf-8" if self.utf8 else self.encoding)
        except (UnicodeDecodeError, LookupError):
            hint = " (it looks like Windows-1252 / Latin-1 text)" if self.utf8 else ""
            raise ExtractError(
                self.file_name,
                "file.encoding",
                f"line {self.number} is not valid {self.encoding} text{hint}",
                f"Export the file as {self.encoding} text.",
                row=self.number,
            ) from None

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.number += 1
            if self.number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            text = self._decode(raw)
            if self.number == 1:
                self.first_line = text.rstrip("\r\n")
            self.ended_with_newline = raw.endswith((b"\n", b"\r"))
            yield text
        self.exhausted = True


def _only_table(file_name: str, source: SourceConfig) -> tuple[str, TableMapping]:
    if len(source.tables) != 1:
        raise ExtractError(
            file_name,
            "reader.internal",
            "a CSV source must map exactly one table (check config/sources.yaml)",
        )
    ((table_name, mapping),) = source.tables.items()
    return table_name, mapping


def iter_csv_tables(
    stream: BinaryIO,
    file_name: str,
    source: SourceConfig,
    notes: list[str],
    chunk_rows: int | None = None,
) -> Iterator[tuple[str, pd.DataFrame]]:
    """(table, raw frame) chunks of at most ``chunk_rows`` rows (None: one frame), in file order.

    ``stream`` is any binary file object (a file, or a generator-backed stream in tests); frames
    hold the mapped agency columns as text plus ``row_number`` (the record's first physical line).
    At least one frame is yielded (empty when the file has a header and no rows).
    """
    table_name, mapping = _only_table(file_name, source)
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[arg-type]
    _sniff(file_name, buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES])
    lines = _Lines(buffered, file_name, source.encoding, notes)
    reader = csv.reader(iter(lines))
    yielded = False
    dropped = 0
    try:
        header: list[str] = []
        while not any(cell.strip() for cell in header):
            header = next(reader, None)  # type: ignore[assignment]
            if header is None:
                raise ExtractError(
                    file_name,
                    "file.empty",
                    "the file has no header and no rows",
                    "Re-export the extract; it is blank.",
                )
        positions = check_header(file_name, None, header, mapping, lines.first_line)
        width = len(header)
        wanted = list(positions)
        picks = [positions[c] for c in wanted]
        columns: list[list[str]] = [[] for _ in wanted]
        numbers: list[int] = []
        start = reader.line_num + 1
        for row in reader:
            if not any(cell.strip() for cell in row):
                dropped += len(row) > 0  # ",,,," rows; truly blank lines are not rows at all
                start = reader.line_num + 1
                continue
            if len(row) != width:
                _bad_width(file_name, start, len(row), width, at_end=_at_end(reader, lines))
            for k, p in enumerate(picks):
                columns[k].append(row[p])
            numbers.append(start)
            start = reader.line_num + 1
            if chunk_rows and len(numbers) >= chunk_rows:
                yield table_name, _frame(wanted, columns, numbers)
                yielded = True
                columns, numbers = [[] for _ in wanted], []
    except csv.Error:
        line = reader.line_num or 1
        if lines.exhausted and not lines.ended_with_newline:
            raise ExtractError(
                file_name,
                "file.truncated",
                f"the file ends inside a quoted field that starts at line {start}; it was cut off",
                "Send the complete file again (the transfer or export stopped early).",
                row=start,
            ) from None
        raise ExtractError(
            file_name,
            "file.malformed",
            f"the CSV cannot be parsed at line {line}",
            "Check quoting: a text field containing commas or quotes must be quoted.",
            row=line,
        ) from None
    if dropped:
        notes.append(f"{dropped} empty row(s) skipped")
    if numbers or not yielded:
        yield table_name, _frame(wanted, columns, numbers)


def _frame(wanted: list[str], columns: list[list[str]], numbers: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(columns[k], dtype=object) for k, c in enumerate(wanted)})
    frame["row_number"] = pd.Series(numbers, dtype="int64")
    return frame


def _at_end(reader, lines: _Lines) -> bool:
    """True when the current record is the file's last and the file does not end with a newline."""
    if lines.exhausted:
        return not lines.ended_with_newline
    try:
        next(reader)
    except (StopIteration, csv.Error):
        pass
    else:
        return False
    return lines.exhausted and not lines.ended_with_newline


def read_csv_table(path: Path, source: SourceConfig, notes: list[str]) -> dict[str, pd.DataFrame]:
    """{table: raw frame of the mapped agency columns as text, plus ``row_number``} (whole file)."""
    with open(path, "rb") as fh:
        ((name, frame),) = iter_csv_tables(fh, path.name, source, notes)
    return {name: frame}


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
