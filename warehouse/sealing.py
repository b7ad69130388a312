"""Sealing and purge: a sealing notice removes a source record and everything derived from it.

``seal_record`` deletes, in one transaction, the record's facts (arrest charges with their arrest),
their history (``fact_versions``), the agency's person row, its links, its review items, the
review decisions about it (with the identity a youth decision remembers of it) and the names it
taught about a client, and writes a tombstone (``sealed_records``). Every later delivery drops
rows of a tombstoned record before anything is stored (``sealed_record_ids``), so a sealed record
never comes back. The tombstone keeps a SHA-256 of (source, record id), not the id, plus who sealed
it, when, under which notice, and how many rows were removed: that row is the audit of the seal.
"""

from __future__ import annotations

import hashlib
import logging
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
