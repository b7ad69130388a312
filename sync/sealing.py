"""A seal that reaches every copy (issue 15 part 5; privacy rule 8): ``safetynet seal`` calls ``seal``.

1. The warehouse: ``warehouse.sealing.seal_record`` deletes the record and all derived from it and
   writes its tombstone (one transaction).
2. The delivery files kept on disk (``sync/landing.py``): every archived and held (quarantined)
   file of the source is rewritten without the record's rows (``integrations/redact.py``). A file
   still in the landing zone is an unloaded delivery: its load drops the record's rows (the
   tombstone) and its archived copy is written without them (``landing.settle``). A loaded one a
   killed run left in the landing zone is settled first, so it is rewritten too.
3. Packets on disk: every file the packet index (``warehouse/packet_files.py``) says shows a youth
   the record was linked to is deleted (a packet is a printout of the warehouse: the command says
   which meetings to print again).
4. The database files: ``warehouse.sealing.scrub_storage`` (SQLite: checkpoint, VACUUM,
   checkpoint; PostgreSQL: VACUUM of the touched tables).

Counts and meeting dates only are returned and logged: never the record id or a name.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from integrations.config import SourceConfig
from integrations.redact import drop_records
from sync.landing import LandingZone, as_zone, delivery_files, settle
from warehouse import Warehouse
from warehouse.db import write_transaction
from warehouse.packet_files import forget_packet_files, packet_files_showing
from warehouse.sealing import SealResult, clients_of_record, record_hash, scrub_storage

log = logging.getLogger(__name__)


@dataclass
class SealReach:
    """What a seal did beyond the warehouse's rows (counts, meeting dates)."""

    warehouse: SealResult
    files_rewritten: int = 0
    rows_dropped_from_files: int = 0
    #: kept files that could not be read as their source's layout (a quarantined file with a broken
    #: header) and hold the record's id, or cannot be searched at all: deleted whole
    files_deleted: int = 0
    files_waiting_in_landing: int = 0
    packet_files_deleted: int = 0
    packet_meetings: list[date] = field(default_factory=list)
    storage: dict[str, object] = field(default_factory=dict)


def seal(
    warehouse: Warehouse,
    source: SourceConfig,
    record_id: str,
    *,
    landing: LandingZone | Path | None = None,
    sealed_by: str,
    reference: str | None = None,
) -> SealReach:
    """Carry out a sealing notice everywhere the record is kept (see the module doc)."""
    zone = as_zone(landing) if landing is not None else LandingZone.configured()
    record_id = str(record_id).strip()
    clients = clients_of_record(warehouse.engine, source.name, record_id)
    reach = SealReach(warehouse.seal(source.name, record_id, sealed_by=sealed_by, reference=reference))
    settle(source, zone, warehouse)  # a loaded file a killed run left behind goes to the archive first
    digest = record_hash(source.name, record_id)
    for path in (*zone.archived_files(source), *zone.held_files(source)):
        try:
            dropped = _rewrite_without(path, source, lambda rid: record_hash(source.name, rid) == digest)
        except Exception as exc:  # not readable as the source's layout: it may still hold the record
            log.warning(
                "seal: a kept %s file is not readable as its layout (%s)", source.name, type(exc).__name__
            )
            if _mentions(path, source, record_id):
                path.unlink(missing_ok=True)
                reach.files_deleted += 1
            continue
        if dropped:
            reach.files_rewritten += 1
            reach.rows_dropped_from_files += dropped
    reach.files_waiting_in_landing = len(delivery_files(source, zone.root))
    reach.packet_files_deleted, reach.packet_meetings = _delete_packets(warehouse, clients)
    reach.storage = scrub_storage(warehouse.engine)
    log.info(
        "seal %s reached %d kept files (%d rows), %d packet files",
        reach.warehouse.tombstone_id,
        reach.files_rewritten,
        reach.rows_dropped_from_files,
        reach.packet_files_deleted,
    )
    return reach


def _rewrite_without(path: Path, source: SourceConfig, sealed) -> int:
    """``path`` rewritten in place without the sealed rows (its archive time kept); rows dropped."""
    stat = path.stat()
    tmp = path.with_name(f".{path.name}.sealing")
    dropped = drop_records(path, source, sealed, tmp)
    if dropped:
        tmp.replace(path)
        # the retention still counts from when it was archived
        os.utime(path, (stat.st_atime, stat.st_mtime))
    return dropped


def _mentions(path: Path, source: SourceConfig, record_id: str) -> bool:
    """Whether a file that cannot be read as its layout holds ``record_id`` anywhere (True when it
    cannot be searched either: a seal deletes what it cannot clear)."""
    if source.format == "xlsx":
        try:
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True)
            return any(
                str(v).strip() == record_id
                for ws in book.worksheets
                for row in ws.iter_rows(values_only=True)
                for v in row
                if v is not None
            )
        except Exception:  # not a workbook openpyxl can read
            return True
    data = path.read_bytes()
    return any(
        record_id.encode(enc, errors="ignore") in data for enc in ("utf-8", source.encoding, "utf-16-le")
    )


def _delete_packets(warehouse: Warehouse, clients: set[str]) -> tuple[int, list[date]]:
    with warehouse.engine.connect() as conn:
        files = packet_files_showing(conn, clients)
    deleted = [p for p in files if _unlink(Path(p))]
    with write_transaction(warehouse.engine) as conn:
        forget_packet_files(conn, list(files))
    return len(deleted), sorted(set(files.values()))


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
