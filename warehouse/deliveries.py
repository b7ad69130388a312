"""Delivery bookkeeping (``deliveries``): which files the warehouse received, and what became of them.

A delivery is identified by (source, SHA-256 of its bytes): the same file twice is one delivery.
Its status goes ``pending`` (checked, recorded, not loaded yet) -> ``loaded``, or ``quarantined`` (a
blocking rule failed: it never loads). A ``pending`` delivery is never forgotten: every run loads the
pending deliveries of its source first, so a run killed between the checks and the load is picked
up by the next one (the load itself is one transaction: never half a load).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from expectations.report import RuleResult, ValidationReport
from warehouse.db import utcnow, write_transaction
from warehouse.dq_results import write_dq_results
from warehouse.errors import WarehouseError, rolled_back
from warehouse.models import Delivery, DqResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryInfo:
    id: int
    source: str
    kind: str | None
    file_name: str
    sha256: str
    delivered_on: date | None
    received_at: datetime
    status: str
    rows_read: int
    rows_quarantined: int
    run_id: int | None


def find_delivery(engine: sa.Engine, source: str, sha256: str) -> DeliveryInfo | None:
    """An earlier delivery of the same bytes from ``source``, or None."""
    d = Delivery.__table__
    with engine.connect() as conn:
        row = conn.execute(sa.select(d).where(d.c.source == source, d.c.sha256 == sha256)).mappings().first()
    return _delivery_info(row) if row else None


def get_delivery(engine: sa.Engine, delivery_id: int) -> DeliveryInfo:
    with engine.connect() as conn:
        return _delivery_info(delivery_row(conn, delivery_id))


def record_validation(
    engine: sa.Engine,
    *,
    source: str,
    file_name: str,
    sha256: str,
    delivered_on: date | None,
    rows_read: int,
    report: ValidationReport,
    run_id: int | None = None,
    kind: str | None = None,
) -> int:
    """One ``deliveries`` row and its ``dq_results``; the existing id if these bytes were seen before.

    A quarantined delivery counts all its rows as quarantined: a blocking failure stops the
    whole file, not just the failing rows.
    """
    existing = find_delivery(engine, source, sha256)
    if existing is not None:
        return existing.id
    try:
        with rolled_back("recording a delivery"):
            return _insert_delivery(
                engine,
                source,
                file_name,
                sha256,
                delivered_on,
                rows_read,
                report,
                run_id,
                kind or _configured_kind(source),
            )
    except WarehouseError as err:
        # two runs recorded the same bytes at once: the other one won, and that is the delivery
        again = find_delivery(engine, source, sha256) if err.original_type == "IntegrityError" else None
        if again is None:
            raise
        return again.id


def _insert_delivery(
    engine: sa.Engine,
    source: str,
    file_name: str,
    sha256: str,
    delivered_on: date | None,
    rows_read: int,
    report: ValidationReport,
    run_id: int | None,
    kind: str | None,
) -> int:
    d = Delivery.__table__
    quarantined = report.quarantined
    with write_transaction(engine) as conn:
        delivery_id = conn.execute(
            sa.insert(d)
            .values(
                source=source,
                kind=kind,
                file_name=file_name,
                sha256=sha256,
                delivered_on=delivered_on,
                received_at=utcnow(),
                run_id=run_id,
                status="quarantined" if quarantined else "pending",
                rows_read=int(rows_read),
                rows_quarantined=int(rows_read) if quarantined else 0,
                records_matched=0,
                review_items_opened=0,
            )
            .returning(d.c.id)
        ).scalar_one()
        write_dq_results(conn, delivery_id, report)
    log.info(
        "delivery %s recorded: %s, %d rule results",
        delivery_id,
        "quarantined" if quarantined else "pending",
        len(report.results),
    )
    return delivery_id


def mark_loaded(
    conn: sa.Connection, delivery_id: int, kind: str, matched: int, opened: int, now: datetime
) -> None:
    d = Delivery.__table__
    conn.execute(
        sa.update(d)
        .where(d.c.id == delivery_id)
        .values(
            status="loaded", kind=kind, records_matched=matched, review_items_opened=opened, loaded_at=now
        )
    )


def delivery_row(conn: sa.Connection, delivery_id: int, for_update: bool = False) -> sa.RowMapping:
    d = Delivery.__table__
    stmt = sa.select(d).where(d.c.id == delivery_id)
    if for_update:  # two workers loading the same delivery: the second waits, then sees "loaded"
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise WarehouseError(f"unknown delivery {delivery_id}")
    return row


def pending_deliveries(engine: sa.Engine, source: str) -> list[DeliveryInfo]:
    """The source's deliveries checked but not loaded yet, oldest delivery first."""
    d = Delivery.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(d).where(d.c.source == source, d.c.status == "pending").order_by(d.c.id)
        ).mappings()
        return sorted((_delivery_info(r) for r in rows), key=lambda i: (i.delivered_on or date.min, i.id))


def stored_report(engine: sa.Engine, delivery: DeliveryInfo) -> ValidationReport:
    """The rule results recorded for ``delivery`` when it was checked (its verdict stands)."""
    q = DqResult.__table__
    with engine.connect() as conn:
        rows = conn.execute(sa.select(q).where(q.c.delivery_id == delivery.id).order_by(q.c.id)).mappings()
        results = [
            RuleResult(
                rule_id=r["rule_id"],
                description=r["description"],
                severity=r["severity"],
                success=bool(r["success"]),
                table=r["table_name"],
                column=r["column_name"],
                unexpected_count=int(r["unexpected_count"]),
                row_numbers=tuple(int(n) for n in r["row_numbers"] or ()),
                how_to_fix=r["how_to_fix"],
            )
            for r in rows
        ]
    return ValidationReport(delivery.source, delivery.file_name, delivery.rows_read, results)


def recent_row_counts(engine: sa.Engine, source: str, limit: int = 10) -> list[int]:
    """Rows read of the source's latest good (pending or loaded) deliveries, newest first.

    The expectation suite compares a new delivery's size with these (sudden drops mean a
    truncated export).
    """
    d = Delivery.__table__
    with engine.connect() as conn:
        return [
            int(n)
            for n in conn.execute(
                sa.select(d.c.rows_read)
                .where(d.c.source == source, d.c.status != "quarantined")
                .order_by(d.c.id.desc())
                .limit(limit)
            ).scalars()
        ]


def valid_from(row: sa.RowMapping) -> date:
    """The date a delivery's facts are in force from: its file's date stamp, else when it arrived."""
    return row["delivered_on"] or row["received_at"].date()


def _configured_kind(source: str) -> str | None:
    """The source's kind from config/sources.yaml, so even a quarantined delivery shows its kind."""
    try:
        from integrations.config import load_sources

        return load_sources()[source].kind
    except Exception:  # no such source or no config here: the kind is filled in at load time
        return None


def _delivery_info(row: sa.RowMapping) -> DeliveryInfo:
    return DeliveryInfo(
        id=row["id"],
        source=row["source"],
        kind=row["kind"],
        file_name=row["file_name"],
        sha256=row["sha256"],
        delivered_on=row["delivered_on"],
        received_at=row["received_at"],
        status=row["status"],
        rows_read=row["rows_read"],
        rows_quarantined=row["rows_quarantined"],
        run_id=row["run_id"],
    )
