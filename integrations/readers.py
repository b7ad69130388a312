"""Read one delivery file (CSV or XLSX) into the canonical tables of its source's kind.

One reader per file format (``csv_reader``, ``xlsx_reader``), both driven by the source's mapping in
``config/sources.yaml``: raw agency cells come in as text (or Excel-typed values), ``mapping.map_table``
turns them into canonical typed columns. Errors are ``ExtractError`` naming file, line/sheet and
columns only; their rule ids are listed in ``errors.READER_RULE_IDS``.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from integrations.config import SourceConfig
from integrations.csv_reader import iter_csv_tables, read_csv_table
from integrations.errors import ExtractError
from integrations.extract import Extract
from integrations.mapping import map_table
from integrations.xlsx_reader import read_xlsx_tables

_STAMP_RE = re.compile(r"(20\d{2})-?([01]\d)-?([0-3]\d)")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file's bytes (the warehouse recognises a re-sent delivery by it)."""
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
    """Read and map one delivery file. Raises ``ExtractError`` for anything unreadable.

    Any unexpected failure is turned into ``reader.internal`` naming only the exception type: an
    exception's own text may quote a cell, and nothing from a file may reach logs or alerts.
    """
    path = Path(path)
    try:
        return _read(path, source)
    except ExtractError:
        raise
    except Exception as exc:
        raise _internal(path.name, exc) from None


def _internal(file_name: str, exc: BaseException) -> ExtractError:
    return ExtractError(
        file_name,
        "reader.internal",
        f"the file could not be read ({type(exc).__name__})",
        "Check the file opens in Excel; if it does, report this to county IT.",
    )


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ExtractError(path.name, "file.missing", "file not found")
    if path.stat().st_size == 0:
        raise ExtractError(
            path.name, "file.empty", "the file is empty", "Re-export the extract; it has no bytes."
        )


def iter_extracts(path: Path | str, source: SourceConfig, chunk_rows: int) -> Iterator[Extract]:
    """The delivery as consecutive extracts of at most ``chunk_rows`` rows each (bounded memory).

    CSV files are streamed (the same parser as ``read_extract``); an XLSX workbook is one extract
    (a worksheet holds at most ~1 million rows, and its sheets refer to each other). Chunks carry
    no ``sha256``. Errors as ``read_extract``.
    """
    path = Path(path)
    if source.format == "xlsx":
        yield read_extract(path, source)
        return
    _check_file(path)
    with open(path, "rb") as fh:
        yield from iter_stream_extracts(fh, path.name, source, chunk_rows, delivered_on=delivery_date(path))


def iter_stream_extracts(
    stream: BinaryIO,
    file_name: str,
    source: SourceConfig,
    chunk_rows: int,
    delivered_on: date | None = None,
) -> Iterator[Extract]:
    """A CSV delivery read from any binary stream, ``chunk_rows`` rows per extract."""
    notes: list[str] = []
    try:
        for name, raw in iter_csv_tables(stream, file_name, source, notes, chunk_rows):
            yield Extract(
                source=source.name,
                kind=source.kind,
                file=Path(file_name),
                sha256="",
                tables={name: map_table(raw, source.tables[name], source.spec.table(name), file_name)},
                delivered_on=delivered_on,
                notes=notes,
            )
    except ExtractError:
        raise
    except Exception as exc:
        raise _internal(file_name, exc) from None


def _read(path: Path, source: SourceConfig) -> Extract:
    _check_file(path)
    notes: list[str] = []
    if source.format == "xlsx":
        raw_tables = read_xlsx_tables(path, source, notes)
    else:
        raw_tables = read_csv_table(path, source, notes)
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
        notes=notes,
    )


__all__ = [
    "ExtractError",
    "delivery_date",
    "file_sha256",
    "io",
    "iter_extracts",
    "iter_stream_extracts",
    "read_extract",
]
