"""Sealing and purge: a sealing notice removes a source record and everything derived from it.

``seal_record`` deletes, in one transaction, the record's facts (arrest charges with their arrest),
their history (``fact_versions``), the agency's person row, its links, its review items, the
review decisions about it (with the identity a youth decision remembers of it) and the names it
taught about a client, and writes a tombstone (``sealed_records``). Every later delivery drops
rows of a tombstoned record before anything is stored (``sealed_record_ids``), so a sealed record
never comes back. The tombstone keeps a SHA-256 of (source, record id), not the id, plus who sealed
it, when, under which notice, and how many rows were removed: that row is the audit of the seal.

Deleted rows must not linger in the database files either (``scrub_storage``): on SQLite every
connection runs with ``secure_delete`` (freed content is overwritten with zeros), and after a seal
the WAL is checkpointed and truncated, the file is rebuilt by ``VACUUM`` (so no free page keeps an
older copy of a row) and checkpointed again; on PostgreSQL the touched tables are vacuumed, so the
dead row versions are pruned from their pages. Copies outside the database (archived extracts,
packets) are the caller's: ``sync/sealing.py``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from warehouse.db import utcnow, write_transaction
from warehouse.models import (
    FACT_TABLES,
    ArrestCharge,
    ClientLearnedName,
    FactVersion,
    MatchLink,
    PurgePermit,
    ReviewDecision,
    ReviewDecisionLink,
    ReviewItem,
    ReviewUndo,
    ReviewYouthRow,
    SealedRecord,
    SourcePerson,
)

log = logging.getLogger(__name__)


def record_hash(source: str, record_id: str) -> str:
    return hashlib.sha256(f"{source}\x1f{str(record_id).strip()}".encode()).hexdigest()


@dataclass
class SealResult:
    tombstone_id: int
    already_sealed: bool
    removed: dict[str, int] = field(default_factory=dict)


def sealed_hashes(conn: sa.Connection, source: str) -> set[str]:
    """The tombstones' hashes of ``source`` (compare ``record_hash(source, record_id)``)."""
    sr = SealedRecord.__table__
    return set(conn.execute(sa.select(sr.c.record_hash).where(sr.c.source == source)).scalars())


def sealed_record_ids(conn: sa.Connection, source: str, record_ids: Iterable[str]) -> set[str]:
    """Which of ``record_ids`` of ``source`` carry a tombstone."""
    hashes = sealed_hashes(conn, source)
    if not hashes:
        return set()
    return {r for r in record_ids if record_hash(source, r) in hashes}


def clients_of_record(engine: sa.Engine, source: str, record_id: str) -> set[str]:
    """Every client the record was linked to, proposed for, decided about or taught a name to:
    the youth whose packets may show it (read before the purge)."""
    record_id = str(record_id).strip()
    ids: set[str] = set()
    with engine.connect() as conn:
        for table in (MatchLink.__table__, ReviewDecision.__table__, ClientLearnedName.__table__):
            ids.update(
                conn.execute(
                    sa.select(table.c.client_id).where(
                        table.c.source == source,
                        table.c.record_id == record_id,
                        table.c.client_id.is_not(None),
                    )
                ).scalars()
            )
    return ids


#: tables a seal deletes from (vacuumed on PostgreSQL afterwards)
def sealed_tables() -> list[str]:
    return [
        *(t.name for t in FACT_TABLES.values()),
        ArrestCharge.__table__.name,
        FactVersion.__table__.name,
        SourcePerson.__table__.name,
        MatchLink.__table__.name,
        ReviewItem.__table__.name,
        ClientLearnedName.__table__.name,
        ReviewYouthRow.__table__.name,
        ReviewDecisionLink.__table__.name,
        ReviewUndo.__table__.name,
        ReviewDecision.__table__.name,
        PurgePermit.__table__.name,
    ]


#: how long a checkpoint waits for readers (the review app) to leave the old snapshot
CHECKPOINT_WAIT_SECONDS = 30.0


def scrub_storage(engine: sa.Engine, tables: list[str] | None = None) -> dict[str, object]:
    """Leave no byte of deleted rows in the database files (see the module doc); what was done."""
    if engine.dialect.name == "sqlite":
        return _scrub_sqlite(engine)
    names = tables or sealed_tables()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in names:
            conn.exec_driver_sql(f'VACUUM "{name}"')  # our own table names, never input
    return {"vacuumed_tables": len(names)}


def _scrub_sqlite(engine: sa.Engine) -> dict[str, object]:
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        first = _checkpoint(raw)
        raw.execute("VACUUM")
        last = _checkpoint(raw)
    return {"vacuum": True, "wal_truncated": first and last}


def _checkpoint(raw) -> bool:
    """``wal_checkpoint(TRUNCATE)`` until it completes (a reader on an old snapshot makes it busy)."""
    deadline = time.monotonic() + CHECKPOINT_WAIT_SECONDS
    while True:
        busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return True
        if time.monotonic() > deadline:
            log.warning(
                "WAL checkpoint still busy after %.0f s: readers kept it open", CHECKPOINT_WAIT_SECONDS
            )
            return False
        time.sleep(0.2)


def _purge(conn: sa.Connection, source: str, record_id: str) -> dict[str, int]:
    removed: dict[str, int] = {}
    arrests = FACT_TABLES["arrests"]
    charges = ArrestCharge.__table__
    arrest_ids = sa.select(arrests.c.id).where(arrests.c.source == source, arrests.c.record_id == record_id)
    removed["arrest_charges"] = conn.execute(
        sa.delete(charges).where(charges.c.arrest_id.in_(arrest_ids))
    ).rowcount
    tables = [
        *FACT_TABLES.values(),
        FactVersion.__table__,
        SourcePerson.__table__,
        MatchLink.__table__,
        ReviewItem.__table__,
    ]
    for table in tables:
        removed[table.name] = conn.execute(
            sa.delete(table).where(table.c.source == source, table.c.record_id == record_id)
        ).rowcount
    removed.update(_purge_review_history(conn, source, record_id))
    return {k: int(v) for k, v in removed.items() if v}


def _purge_review_history(conn: sa.Connection, source: str, record_id: str) -> dict[str, int]:
    """The record's append-only review rows, deleted under a permit that lives only in this transaction
    (the tables' triggers refuse every other DELETE; migration 0005_seal_review)."""
    rd, permit = ReviewDecision.__table__, PurgePermit.__table__
    conn.execute(sa.insert(permit).values(source=source, record_id=record_id))
    decision_ids = sa.select(rd.c.id).where(rd.c.source == source, rd.c.record_id == record_id)
    removed = {}
    # what decisions remember of the record (its identity tokens) and the names it taught go too
    learned = ClientLearnedName.__table__
    removed[learned.name] = conn.execute(
        sa.delete(learned).where(learned.c.source == source, learned.c.record_id == record_id)
    ).rowcount
    for table in (ReviewYouthRow.__table__, ReviewDecisionLink.__table__, ReviewUndo.__table__):
        removed[table.name] = conn.execute(
            sa.delete(table).where(table.c.decision_id.in_(decision_ids))
        ).rowcount
    removed[rd.name] = conn.execute(
        sa.delete(rd).where(rd.c.source == source, rd.c.record_id == record_id)
    ).rowcount
    conn.execute(sa.delete(permit).where(permit.c.source == source, permit.c.record_id == record_id))
    return removed


def seal_record(
    engine: sa.Engine,
    source: str,
    record_id: str,
    *,
    sealed_by: str,
    reference: str | None = None,
    now: datetime | None = None,
) -> SealResult:
    """Carry out a sealing notice for one record of ``source`` (idempotent: a second seal re-purges)."""
    sr = SealedRecord.__table__
    digest = record_hash(source, record_id)
    with write_transaction(engine) as conn:
        removed = _purge(conn, source, str(record_id).strip())
        existing = conn.execute(
            sa.select(sr.c.id).where(sr.c.source == source, sr.c.record_hash == digest)
        ).scalar_one_or_none()
        if existing is not None:
            result = SealResult(existing, True, removed)
        else:
            tomb = conn.execute(
                sa.insert(sr)
                .values(
                    source=source,
                    record_hash=digest,
                    sealed_at=now or utcnow(),
                    sealed_by=sealed_by,
                    reference=reference,
                    removed=removed,
                )
                .returning(sr.c.id)
            ).scalar_one()
            result = SealResult(tomb, False, removed)
    log.info("seal %s of a %s record: %d rows removed", result.tombstone_id, source, sum(removed.values()))
    return result
