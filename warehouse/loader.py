"""``Warehouse``: the only way the pipeline writes the consolidated warehouse (docs/CONTRACTS.md).

Every delivery is loaded in one database transaction: any failure rolls the whole delivery back,
so the warehouse always holds the previous good state. Log lines and exceptions name tables,
counts and delivery ids only (privacy rule 5).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from expectations.report import ValidationReport
from integrations.extract import Extract
from integrations.kinds import PERSON_COLUMNS
from warehouse import facts, history
from warehouse.clients import read_clients_frame, write_clients
from warehouse.db import SQLITE_BEGIN, is_sqlite, make_engine, resolve_url, write_transaction
from warehouse.decisions import decision_state, effective_decisions, final_links
from warehouse.errors import WarehouseError
from warehouse.frames import chunks, columns, ids
from warehouse.locks import lock_source_in, source_lock
from warehouse.models import (
    CLIENT_CHILDREN,
    Client,
    Delivery,
    DqResult,
    FactVersion,
    MatchLink,
    ReviewDecision,
    ReviewItem,
    Run,
    SourcePerson,
)
from warehouse.sealing import sealed_record_ids
from warehouse.status import source_status
from warehouse.upsert import upsert

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
#: PostgreSQL advisory lock key held while migrating ("SNWH" in ASCII)
MIGRATION_LOCK = 0x534E5748


def utcnow() -> datetime:
    """Naive UTC: the warehouse stores UTC without a zone, identically on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


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


@dataclass
class LoadResult:
    delivery_id: int
    #: True when the delivery was already loaded: nothing was done
    skipped: bool
    rows_read: int
    #: records with a ``match`` link (client list: clients on the list)
    records_matched: int
    #: open review items for this delivery's records after the load
    review_items_open: int
    #: rows kept per warehouse table from this delivery (only linked records' rows)
    facts: dict[str, int] = field(default_factory=dict)


class Warehouse:
    """The consolidated warehouse on SQLite (default ``sqlite:///var/warehouse.db``) or PostgreSQL."""

    def __init__(self, url: str | None = None) -> None:
        self.url = resolve_url(url)
        self.engine = make_engine(self.url)

    def dispose(self) -> None:
        self.engine.dispose()

    # --- schema ----------------------------------------------------------------------------------

    def migrate(self, revision: str = "heads") -> None:
        """``alembic upgrade <revision>`` on this warehouse, with the packaged migrations.

        The default is every head: features add their tables in migrations that each branch from
        the one they need, so independent features never have to be ordered against each other.
        """
        cfg = Config(str(_HERE / "alembic.ini"))
        cfg.set_main_option("script_location", str(_HERE / "migrations"))
        cfg.attributes["configure_logger"] = False  # leave the application's logging alone
        with self.engine.connect() as conn:
            sqlite = is_sqlite(self.engine)
            if sqlite:
                # SQLite's documented procedure for table rebuilds (batch migrations): foreign keys
                # off outside the transaction, checked again before they come back on.
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
                conn.info[SQLITE_BEGIN] = "BEGIN IMMEDIATE"  # one migrator at a time
            try:
                with conn.begin():
                    if not sqlite:
                        # several processes may start at once (Dagster daemon, webserver, CLI): the
                        # first migrates, the others wait here and then find the schema at head
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                    if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                        raise WarehouseError("migration left rows violating foreign keys; rolled back")
            finally:
                if sqlite:
                    conn.info.pop(SQLITE_BEGIN, None)
                    conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")

    # --- runs and deliveries ---------------------------------------------------------------------

    def start_run(self, trigger: str) -> int:
        with write_transaction(self.engine) as conn:
            return conn.execute(
                sa.insert(Run.__table__)
                .values(trigger=trigger, started_at=utcnow(), status="running")
                .returning(Run.__table__.c.id)
            ).scalar_one()

    def finish_run(self, run_id: int, status: str, summary: dict | None = None) -> None:
        # round-trip through JSON so a date or Path in the summary cannot fail the run at the very end
        safe = json.loads(json.dumps(summary or {}, default=str))
        with write_transaction(self.engine) as conn:
            runs = Run.__table__
            done = conn.execute(
                sa.update(runs)
                .where(runs.c.id == run_id)
                .values(status=status, finished_at=utcnow(), summary=safe)
            )
            if done.rowcount != 1:
                raise WarehouseError(f"unknown run {run_id}")

    def find_delivery(self, source: str, sha256: str) -> DeliveryInfo | None:
        d = Delivery.__table__
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(d).where(d.c.source == source, d.c.sha256 == sha256))
                .mappings()
                .first()
            )
        return _delivery_info(row) if row else None

    def delivery(self, delivery_id: int) -> DeliveryInfo:
        with self.engine.connect() as conn:
            return _delivery_info(self._delivery_row(conn, delivery_id))

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
        """One ``deliveries`` row and its ``dq_results``; the existing id if these bytes were seen before.

        A quarantined delivery counts all its rows as quarantined: a blocking failure stops the
        whole file, not just the failing rows.
        """
        existing = self.find_delivery(source, sha256)
        if existing is not None:
            return existing.id
        try:
            with self._failures_rolled_back("recording a delivery"):
                return self._insert_delivery(
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
            again = self.find_delivery(source, sha256) if err.original_type == "IntegrityError" else None
            if again is None:
                raise
            return again.id

    def _insert_delivery(
        self,
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
        with write_transaction(self.engine) as conn:
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
                    status="quarantined" if quarantined else "validated",
                    rows_read=int(rows_read),
                    rows_quarantined=int(rows_read) if quarantined else 0,
                    records_matched=0,
                    review_items_opened=0,
                )
                .returning(d.c.id)
            ).scalar_one()
            results = [
                {
                    "delivery_id": delivery_id,
                    "rule_id": r.rule_id,
                    "description": r.description,
                    "severity": r.severity,
                    "success": bool(r.success),
                    "table_name": r.table,
                    "column_name": r.column,
                    "unexpected_count": int(r.unexpected_count),
                    "row_numbers": [int(n) for n in r.row_numbers],
                    "how_to_fix": r.how_to_fix,
                }
                for r in report.results
            ]
            if results:
                conn.execute(sa.insert(DqResult.__table__), results)
        log.info(
            "delivery %s recorded: %s, %d rule results",
            delivery_id,
            "quarantined" if quarantined else "validated",
            len(report.results),
        )
        return delivery_id

    # --- loads -----------------------------------------------------------------------------------

    def load_clients(self, delivery_id: int, extract: Extract) -> LoadResult:
        """The client list: upsert, child lists replaced, clients missing from it become inactive."""
        if extract.spec.matched:
            raise WarehouseError(f"delivery {delivery_id} is not a client list; use load_delivery")

        def work(conn: sa.Connection, row: sa.RowMapping) -> LoadResult:
            if extract.tables["clients"]["record_id"].notna().sum() == 0:
                # an empty list would make every client inactive: surely a bad export, not the truth
                raise WarehouseError(f"delivery {delivery_id}: the client list has no clients; not loaded")
            now = utcnow()
            valid_from = _valid_from(row)
            latest = history.latest_date(conn, "clients", extract.source)
            frame = extract.tables["clients"]
            if latest is None or valid_from >= latest:
                counts = write_clients(conn, spec=extract.spec, frame=frame, delivery_id=delivery_id, now=now)
            else:  # an older list arriving late: history only, the newer list stays in force
                counts = {"clients": int(frame["record_id"].notna().sum())}
            counts["fact_versions"] = self._client_versions(conn, extract, delivery_id, valid_from, now)
            self._mark_loaded(conn, delivery_id, extract.kind, counts["clients"], 0, now)
            return LoadResult(delivery_id, False, extract.rows_read, counts["clients"], 0, counts)

        return self._load(delivery_id, extract, work)

    def load_delivery(self, delivery_id: int, extract: Extract, links: pd.DataFrame) -> LoadResult:
        """One agency delivery: links after human decisions, linked records' facts, review items."""
        if not extract.spec.matched:
            raise WarehouseError(f"delivery {delivery_id} is the client list; use load_clients")

        def work(conn: sa.Connection, row: sa.RowMapping) -> LoadResult:
            return self._load_matched(conn, delivery_id, extract, links, _valid_from(row))

        return self._load(delivery_id, extract, work)

    def _load(
        self, delivery_id: int, extract: Extract, work: Callable[[sa.Connection, sa.RowMapping], LoadResult]
    ) -> LoadResult:
        with self._failures_rolled_back(f"loading delivery {delivery_id}"):
            with write_transaction(self.engine) as conn:
                lock_source_in(conn, extract.source)  # loads of one source queue, never interleave
                row = self._delivery_row(conn, delivery_id, for_update=True)
                if row["status"] == "loaded":
                    log.info("delivery %s already loaded: skipped", delivery_id)
                    return self._skipped(conn, row)
                if row["status"] == "quarantined":
                    raise WarehouseError(f"delivery {delivery_id} is quarantined and cannot be loaded")
                if row["source"] != extract.source:
                    raise WarehouseError(
                        f"delivery {delivery_id} belongs to another source than this extract"
                    )
                result = work(conn, row)
        log.info(
            "delivery %s loaded: %d rows read, %d records matched, %d review items open, facts %s",
            delivery_id,
            result.rows_read,
            result.records_matched,
            result.review_items_open,
            result.facts,
        )
        return result

    def _load_matched(
        self,
        conn: sa.Connection,
        delivery_id: int,
        extract: Extract,
        links: pd.DataFrame,
        valid_from: date | None = None,
    ) -> LoadResult:
        source, kind = extract.source, extract.spec
        now = utcnow()
        persons = extract.persons()
        persons["record_id"] = ids(persons["record_id"])
        persons = persons[persons["record_id"].notna()]
        # sealed records (tombstones) are dropped before anything about them is stored
        sealed = sealed_record_ids(conn, source, set(persons["record_id"]))
        if sealed:
            persons = persons[~persons["record_id"].isin(sealed)]
            log.info("delivery %s: %d sealed records dropped", delivery_id, len(sealed))
        record_ids = set(persons["record_id"])

        decisions = self._decisions(conn, source)
        final = final_links(links, decisions, record_ids)
        self._check_clients_exist(conn, delivery_id, set(final["client_id"]))
        kept = set(final["record_id"])

        # records of this delivery that lost every link (a person said "not this person", or the
        # model changed its mind): whatever an earlier delivery stored about them goes (rule 1)
        facts.purge_records(
            conn,
            source=source,
            kind=kind,
            record_ids=(record_ids - kept) & facts.stored_record_ids(conn, source),
            decided=set(decision_state(decisions)[2]),
        )

        counts: dict[str, int] = {}
        counts["source_persons"] = self._write_persons(conn, source, persons, kept, delivery_id, now)
        counts["match_links"] = self._write_links(conn, source, final, record_ids, delivery_id, now)
        for spec in facts.fact_specs_of(kind):
            if spec.name not in extract.tables:  # a reader that left out an empty sheet
                counts[spec.name] = 0
                continue
            counts[spec.name] = facts.write_facts(
                conn,
                source=source,
                spec=spec,
                frame=extract.tables[spec.name],
                kept=kept,
                delivery_id=delivery_id,
                now=now,
                valid_from=valid_from,
            )
        if "arrests" in counts:
            counts["arrest_charges"] = facts.write_arrest_charges(conn, source=source, kept=kept)
        # decisions also reach records this delivery does not carry: a record a person ruled out
        # must not wait for its agency's next file to leave the warehouse
        self._reapply_decisions(conn, source, decisions, skip=record_ids, now=now)
        opened, open_now = self._write_review_items(
            conn, source, final, decisions, record_ids, delivery_id, now
        )

        matched = int(final.loc[final["decision"] == "match", "record_id"].nunique())
        self._mark_loaded(conn, delivery_id, extract.kind, matched, opened, now)
        return LoadResult(delivery_id, False, extract.rows_read, matched, open_now, counts)

    def record_decision(
        self,
        *,
        source: str,
        record_id: str,
        client_id: str | None,
        decision: str,
        decided_by: str,
        note: str | None = None,
        apply: bool = True,
    ) -> int:
        """Append one review decision (never updated or deleted) and, by default, apply it at once.

        For the review app. Returns the decision's id.
        """
        rd = ReviewDecision.__table__
        with self._failures_rolled_back("recording a review decision"):
            with write_transaction(self.engine) as conn:
                decision_id = conn.execute(
                    sa.insert(rd)
                    .values(
                        source=source,
                        record_id=str(record_id),
                        client_id=None if client_id is None else str(client_id),
                        decision=decision,
                        decided_by=decided_by,
                        decided_at=utcnow(),
                        note=note,
                    )
                    .returning(rd.c.id)
                ).scalar_one()
        if apply:
            self.apply_decisions(source)
        return decision_id

    def apply_decisions(self, source: str | None = None) -> int:
        """Apply the review decisions to what is stored, now, without waiting for a delivery.

        For the review app after a decision (and for a nightly sweep): "not this person" drops the
        pair and, if nothing is left, everything about the record (privacy rule 1); "same person"
        makes the single human match. Returns the number of records looked at.
        """
        rd = ReviewDecision.__table__
        with self._failures_rolled_back("applying review decisions"):
            with write_transaction(self.engine) as conn:
                sources = (
                    [source] if source else list(conn.execute(sa.select(rd.c.source).distinct()).scalars())
                )
                now = utcnow()
                seen = 0
                for src in sources:
                    decisions = self._decisions(conn, src)
                    seen += self._reapply_decisions(conn, src, decisions, skip=set(), now=now)
                    self._close_decided_items(conn, src, decisions)
        log.info("review decisions applied to %d stored records", seen)
        return seen

    # --- load steps ------------------------------------------------------------------------------

    def _reapply_decisions(
        self, conn: sa.Connection, source: str, decisions: pd.DataFrame, skip: set[str], now: datetime
    ) -> int:
        """Decisions over the stored links of decided records not in ``skip``; returns how many records."""
        _, _, decided_at = decision_state(decisions)
        targets = sorted(set(decided_at) - skip)
        if not targets:
            return 0
        ml = MatchLink.__table__
        cols = ["record_id", "client_id", "score", "decision", "explanation", "delivery_id"]
        stored_rows: list[tuple] = []
        for batch in chunks(targets):
            stored_rows += [
                tuple(r)
                for r in conn.execute(
                    sa.select(*[ml.c[c] for c in cols]).where(
                        ml.c.source == source, ml.c.record_id.in_(batch)
                    )
                )
            ]
        stored = pd.DataFrame(stored_rows, columns=cols, dtype=object)
        if stored.empty:
            return 0
        record_ids = set(stored["record_id"])
        final = final_links(stored, decisions, record_ids)
        # rows keep the delivery that brought them; a new human link takes its record's latest one
        by_pair = {
            (r, c): d
            for r, c, d in zip(stored["record_id"], stored["client_id"], stored["delivery_id"], strict=True)
        }
        by_record = stored.groupby("record_id")["delivery_id"].max().to_dict()
        final["delivery_id"] = [
            by_pair.get((r, c), by_record[r])
            for r, c in zip(final["record_id"], final["client_id"], strict=True)
        ]
        facts.purge_records(
            conn, source=source, record_ids=record_ids - set(final["record_id"]), decided=set(decided_at)
        )
        self._write_links(conn, source, final, record_ids, None, now)
        return len(record_ids)

    @staticmethod
    def _client_versions(
        conn: sa.Connection, extract: Extract, delivery_id: int, valid_from: date, now: datetime
    ) -> int:
        """Version the client list (``fact_versions.table_name = "clients"``); clients off the list end."""
        from warehouse.clients import CLIENT_FIELDS

        spec = extract.spec.table("clients")
        frame = extract.tables["clients"].assign(record_id=ids(extract.tables["clients"]["record_id"]))
        frame = frame[frame["record_id"].notna()].drop_duplicates("record_id", keep="last")
        types = {c: spec.column(c).type for c in (*CLIENT_FIELDS, *CLIENT_CHILDREN)}
        written = history.record_versions(
            conn,
            table_name="clients",
            source=extract.source,
            frame=frame,
            key=("record_id",),
            types=types,
            delivery_id=delivery_id,
            valid_from=valid_from,
            now=now,
        )
        if history.latest_date(conn, "clients", extract.source) == valid_from:
            fv_keys = conn.execute(
                sa.select(FactVersion.__table__.c.fact_key)
                .distinct()
                .where(
                    FactVersion.__table__.c.table_name == "clients",
                    FactVersion.__table__.c.source == extract.source,
                    FactVersion.__table__.c.valid_to.is_(None),
                )
            ).scalars()
            gone = set(fv_keys) - set(frame["record_id"])
            history.close_versions(
                conn, table_name="clients", source=extract.source, fact_keys=gone, valid_to=valid_from
            )
        return written

    def source_lock(self, source: str, timeout: float = 0.0):
        """Hold the run lock of ``source`` (refused with ``SourceBusyError`` after ``timeout`` s)."""
        return source_lock(self.engine, source, timeout)

    def seal(self, source: str, record_id: str, *, sealed_by: str, reference: str | None = None):
        """Carry out a sealing notice (``warehouse.sealing.seal_record``)."""
        from warehouse.sealing import seal_record

        with self._failures_rolled_back("sealing a record"):
            return seal_record(self.engine, source, record_id, sealed_by=sealed_by, reference=reference)

    @staticmethod
    def _close_decided_items(conn: sa.Connection, source: str, decisions: pd.DataFrame) -> None:
        """Close the open items a person settled: linked to a client, or every candidate ruled out.

        "not this person" while other candidates remain leaves the item open for them.
        """
        ri, ml = ReviewItem.__table__, MatchLink.__table__
        linked, _, decided_at = decision_state(decisions)
        open_items = [
            (i, r)
            for i, r in conn.execute(
                sa.select(ri.c.id, ri.c.record_id).where(ri.c.source == source, ri.c.status == "open")
            )
            if r in decided_at
        ]
        pending: set[str] = set()
        for batch in chunks(sorted({r for _, r in open_items} - set(linked))):
            pending.update(
                conn.execute(
                    sa.select(ml.c.record_id).where(
                        ml.c.source == source, ml.c.record_id.in_(batch), ml.c.decision == "review"
                    )
                ).scalars()
            )
        closed = [{"item_id": i, "at": decided_at[r]} for i, r in open_items if r not in pending]
        if closed:
            conn.execute(
                sa.update(ri)
                .where(ri.c.id == sa.bindparam("item_id"))
                .values(status="decided", decided_at=sa.bindparam("at")),
                closed,
            )

    @staticmethod
    def _decisions(conn: sa.Connection, source: str) -> pd.DataFrame:
        return effective_decisions(conn, source)

    @staticmethod
    def _check_clients_exist(conn: sa.Connection, delivery_id: int, client_ids: set[str]) -> None:
        c = Client.__table__
        known: set[str] = set()
        for batch in chunks(sorted(client_ids)):
            known.update(conn.execute(sa.select(c.c.client_id).where(c.c.client_id.in_(batch))).scalars())
        unknown = len(client_ids - known)
        if unknown:
            raise WarehouseError(
                f"delivery {delivery_id}: links name {unknown} client(s) not in the client list"
            )

    @staticmethod
    def _write_persons(
        conn: sa.Connection,
        source: str,
        persons: pd.DataFrame,
        kept: set[str],
        delivery_id: int,
        now: datetime,
    ) -> int:
        linked = persons[persons["record_id"].isin(kept)]
        types = {c: ("date" if c == "dob" else "str") for c in PERSON_COLUMNS}
        values = columns(linked, types, {"source": source, "delivery_id": delivery_id, "updated_at": now})
        upsert(conn, SourcePerson.__table__, values, key=("source", "record_id"))
        return len(linked)

    @staticmethod
    def _write_links(
        conn: sa.Connection,
        source: str,
        final: pd.DataFrame,
        record_ids: set[str],
        delivery_id: int | None,
        now: datetime,
    ) -> int:
        ml = MatchLink.__table__
        wanted = set(zip(final["record_id"], final["client_id"], strict=True))
        stale = [
            link_id
            for link_id, rec, client in conn.execute(
                sa.select(ml.c.id, ml.c.record_id, ml.c.client_id).where(ml.c.source == source)
            )
            if rec in record_ids and (rec, client) not in wanted
        ]
        for batch in chunks(stale):
            conn.execute(sa.delete(ml).where(ml.c.id.in_(batch)))
        types = {
            "record_id": "str",
            "client_id": "str",
            "score": "float",
            "decision": "str",
            "decided_by": "str",
            "explanation": "str",
        }
        constants: dict[str, object] = {"source": source, "updated_at": now}
        if delivery_id is None:  # per-row delivery ids (re-applied decisions keep each row's own)
            types["delivery_id"] = "int"
        else:
            constants["delivery_id"] = delivery_id
        values = columns(final, types, constants)
        upsert(conn, ml, values, key=("source", "record_id", "client_id"))
        return len(final)

    @staticmethod
    def _write_review_items(
        conn: sa.Connection,
        source: str,
        final: pd.DataFrame,
        decisions: pd.DataFrame,
        record_ids: set[str],
        delivery_id: int,
        now: datetime,
    ) -> tuple[int, int]:
        """Open one item per undecided record whose best remaining link is ``review``.

        Returns (items opened now, items open for this delivery's records after the load).
        """
        ri = ReviewItem.__table__
        linked, _, decided_at = decision_state(decisions)
        has_match = set(final.loc[final["decision"] == "match", "record_id"])
        # a record a person linked is settled; one with some candidates ruled out is still asked
        # about the others (never about a ruled-out pair: final_links dropped those)
        review = final[
            (final["decision"] == "review")
            & ~final["record_id"].isin(has_match)
            & ~final["record_id"].isin(list(linked))
        ]
        best = review.groupby("record_id")["score"].max()
        existing = {
            rec: (item_id, status)
            for item_id, rec, status in conn.execute(
                sa.select(ri.c.id, ri.c.record_id, ri.c.status).where(ri.c.source == source)
            )
        }
        to_open = [
            {
                "source": source,
                "record_id": rec,
                "status": "open",
                "best_score": None if pd.isna(score) else float(score),
                "delivery_id": delivery_id,
                "opened_at": now,
                "decided_at": None,
            }
            for rec, score in best.items()
            if rec not in existing  # opened once: an existing item (open or decided) is never re-opened
        ]
        if to_open:
            conn.execute(sa.insert(ri), to_open)
        still_open = [
            {"item_id": existing[rec][0], "score": None if pd.isna(score) else float(score)}
            for rec, score in best.items()
            if rec in existing
        ]
        if still_open:
            # also re-opens a decided item whose decision was undone, or whose record got a new candidate
            conn.execute(
                sa.update(ri)
                .where(
                    ri.c.id == sa.bindparam("item_id"),
                    sa.or_(
                        ri.c.best_score.is_distinct_from(sa.bindparam("score")),
                        ri.c.status != "open",
                    ),
                )
                .values(
                    best_score=sa.bindparam("score"), delivery_id=delivery_id, status="open", decided_at=None
                ),
                still_open,
            )
        # open items a person has settled (of any record of the source): closed, not deleted
        Warehouse._close_decided_items(conn, source, decisions)
        # open items no longer needed (the record now has a match, or no review link at all)
        obsolete = [
            item_id
            for rec, (item_id, status) in existing.items()
            if status == "open" and rec in record_ids and rec not in best.index and rec not in decided_at
        ]
        for batch in chunks(obsolete):
            conn.execute(sa.delete(ri).where(ri.c.id.in_(batch)))
        return len(to_open), len(to_open) + len(still_open)

    @staticmethod
    def _mark_loaded(
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

    @staticmethod
    def _skipped(conn: sa.Connection, row: sa.RowMapping) -> LoadResult:
        ri = ReviewItem.__table__
        open_items = conn.execute(
            sa.select(sa.func.count()).where(ri.c.delivery_id == row["id"], ri.c.status == "open")
        ).scalar_one()
        return LoadResult(
            row["id"], True, int(row["rows_read"]), int(row["records_matched"]), int(open_items)
        )

    @staticmethod
    def _delivery_row(conn: sa.Connection, delivery_id: int, for_update: bool = False) -> sa.RowMapping:
        d = Delivery.__table__
        stmt = sa.select(d).where(d.c.id == delivery_id)
        if for_update:  # two workers loading the same delivery: the second waits, then sees "loaded"
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).mappings().first()
        if row is None:
            raise WarehouseError(f"unknown delivery {delivery_id}")
        return row

    @staticmethod
    @contextmanager
    def _failures_rolled_back(what: str) -> Iterator[None]:
        """Re-raise any failure as a data-free WarehouseError (the transaction is already rolled back).

        Driver messages quote parameters (names, ids), so the original is neither chained nor logged;
        only its type is kept.
        """
        try:
            yield
        except WarehouseError:
            raise
        except Exception as exc:
            kind = type(exc).__name__
            log.error("%s failed (%s); rolled back, nothing written", what, kind)
            raise WarehouseError(f"{what} failed ({kind}); rolled back, nothing written", kind) from None

    # --- reads -----------------------------------------------------------------------------------

    def recent_row_counts(self, source: str, limit: int = 10) -> list[int]:
        """Rows read of the source's latest good (validated or loaded) deliveries, newest first.

        The expectation suite compares a new delivery's size with these (sudden drops mean a
        truncated export).
        """
        d = Delivery.__table__
        with self.engine.connect() as conn:
            return [
                int(n)
                for n in conn.execute(
                    sa.select(d.c.rows_read)
                    .where(d.c.source == source, d.c.status != "quarantined")
                    .order_by(d.c.id.desc())
                    .limit(limit)
                ).scalars()
            ]

    def links_frame(self) -> pd.DataFrame:
        """Every stored link: source, record_id, client_id, score, decision, decided_by (no person data)."""
        ml = MatchLink.__table__
        cols = ["source", "record_id", "client_id", "score", "decision", "decided_by"]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*[ml.c[c] for c in cols]).order_by(ml.c.id)).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=cols)

    def clients_frame(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return read_clients_frame(conn)

    def status(self) -> list[dict]:
        with self.engine.connect() as conn:
            return source_status(conn)


def _valid_from(row: sa.RowMapping) -> date:
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
