"""``Warehouse``: the only way the pipeline writes the consolidated warehouse (docs/CONTRACTS.md).

A thin facade: it holds the engine and hands each call to the module that owns it: the schema
(``schema``), the run log (``runs``), delivery bookkeeping (``deliveries``, ``dq_results``), loads
(``loads``, ``links``, ``review_items``), reads (``clients``, ``status``, ``links``), sealing and
source locks. Human review decisions have one path, ``warehouse.decisions.decide`` / ``undo``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd

from expectations.report import ValidationReport
from integrations.extract import Extract
from warehouse import deliveries, loads, runs, schema
from warehouse.clients import read_clients_frame
from warehouse.db import make_engine, resolve_url
from warehouse.deliveries import DeliveryInfo
from warehouse.errors import rolled_back
from warehouse.links import links_frame
from warehouse.loads import LoadResult
from warehouse.locks import source_lock
from warehouse.status import source_status


class Warehouse:
    """The consolidated warehouse on SQLite (default ``sqlite:///var/warehouse.db``) or PostgreSQL."""

    def __init__(self, url: str | None = None) -> None:
        self.url = resolve_url(url)
        self.engine = make_engine(self.url)

    @classmethod
    def open(cls, url: str | None = None) -> Warehouse:
        """The warehouse at ``url`` (default: the settings'), refused with ``WarehouseNotReady`` when it
        is missing or its schema is not this code's (never created or migrated here)."""
        url = resolve_url(url)
        schema.require_current(url)
        return cls(url)

    def dispose(self) -> None:
        self.engine.dispose()

    # --- schema ----------------------------------------------------------------------------------

    def migrate(self, revision: str = "head") -> None:
        """Create or upgrade the schema (``schema.migrate``): a deploy step, `safetynet db upgrade`."""
        schema.migrate(self.engine, revision)

    # --- run log and deliveries ------------------------------------------------------------------

    def start_run(self, trigger: str) -> int:
        return runs.start_run(self.engine, trigger)

    def finish_run(self, run_id: int, status: str, summary: dict | None = None) -> None:
        runs.finish_run(self.engine, run_id, status, summary)

    def find_delivery(self, source: str, sha256: str) -> DeliveryInfo | None:
        return deliveries.find_delivery(self.engine, source, sha256)

    def delivery(self, delivery_id: int) -> DeliveryInfo:
        return deliveries.get_delivery(self.engine, delivery_id)

    def record_validation(
        self,
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
        """One ``deliveries`` row and its ``dq_results`` (``deliveries.record_validation``)."""
        return deliveries.record_validation(
            self.engine,
            source=source,
            file_name=file_name,
            sha256=sha256,
            delivered_on=delivered_on,
            rows_read=rows_read,
            report=report,
            run_id=run_id,
            kind=kind,
        )

    def recent_row_counts(self, source: str, limit: int = 10) -> list[int]:
        return deliveries.recent_row_counts(self.engine, source, limit)

    def pending_deliveries(self, source: str) -> list[DeliveryInfo]:
        """Checked but not loaded yet, oldest first: what the next run loads (``deliveries``)."""
        return deliveries.pending_deliveries(self.engine, source)

    def stored_report(self, delivery: DeliveryInfo) -> ValidationReport:
        return deliveries.stored_report(self.engine, delivery)

    # --- loads -----------------------------------------------------------------------------------

    def load_clients(self, delivery_id: int, extract: Extract) -> LoadResult:
        """The client list: upsert, child lists replaced, clients missing from it become inactive."""
        return loads.load_clients(self.engine, delivery_id, extract)

    def load_delivery(
        self,
        delivery_id: int,
        extract: Extract,
        links: pd.DataFrame,
        identities: Mapping[str, str] | None = None,
        remember: loads.Remember | None = None,
    ) -> LoadResult:
        """One agency delivery: links after human decisions, linked records' facts, review items;
        rows' identity tokens and the memory of earlier decisions (``loads.load_delivery``)."""
        return loads.load_delivery(self.engine, delivery_id, extract, links, identities, remember)

    def source_lock(self, source: str, timeout: float = 0.0):
        """Hold the run lock of ``source`` (refused with ``SourceBusyError`` after ``timeout`` s)."""
        return source_lock(self.engine, source, timeout)

    def seal(self, source: str, record_id: str, *, sealed_by: str, reference: str | None = None):
        """Carry out a sealing notice (``warehouse.sealing.seal_record``)."""
        from warehouse.sealing import seal_record

        with rolled_back("sealing a record"):
            return seal_record(self.engine, source, record_id, sealed_by=sealed_by, reference=reference)

    # --- reads -----------------------------------------------------------------------------------

    def links_frame(self) -> pd.DataFrame:
        """Every stored link: source, record_id, client_id, score, decision, decided_by (no person data)."""
        return links_frame(self.engine)

    def clients_frame(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return read_clients_frame(conn)

    def status(self, stuck_before: datetime | None = None) -> list[dict]:
        with self.engine.connect() as conn:
            return source_status(conn, stuck_before)
