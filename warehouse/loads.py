"""Loading one delivery into the warehouse, in one transaction (the API: ``Warehouse`` in facade.py).

Every delivery is loaded in one database transaction: any failure rolls the whole delivery back,
so the warehouse always holds the previous good state. Log lines and exceptions name tables,
counts and delivery ids only (privacy rule 5).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from integrations.extract import Extract
from integrations.kinds import PERSON_COLUMNS
from warehouse import facts, history
from warehouse.clients import write_clients
from warehouse.db import utcnow, write_transaction
from warehouse.decisions import KEPT_DECISIONS, decision_state, effective_decisions, final_links, model_links
from warehouse.deliveries import delivery_row, mark_loaded, valid_from
from warehouse.errors import WarehouseError, rolled_back
from warehouse.frames import chunks, columns, ids
from warehouse.links import reapply_decisions, write_links
from warehouse.locks import lock_source_in
from warehouse.models import (
    CLIENT_CHILDREN,
    Client,
    FactVersion,
    ReviewItem,
    SourcePerson,
    client_table_columns,
)
from warehouse.review_items import write_review_items
from warehouse.sealing import sealed_record_ids
from warehouse.upsert import upsert
from warehouse.youth import MemoryQuery, Remembered, record_remembered

log = logging.getLogger(__name__)


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


def load_clients(engine: sa.Engine, delivery_id: int, extract: Extract) -> LoadResult:
    """The client list: upsert, child lists replaced, clients missing from it become inactive."""
    if extract.spec.matched:
        raise WarehouseError(f"delivery {delivery_id} is not a client list; use load_delivery")

    def work(conn: sa.Connection, row: sa.RowMapping) -> LoadResult:
        if extract.tables["clients"]["record_id"].notna().sum() == 0:
            # an empty list would make every client inactive: surely a bad export, not the truth
            raise WarehouseError(f"delivery {delivery_id}: the client list has no clients; not loaded")
        now = utcnow()
        in_force = valid_from(row)
        latest = history.latest_date(conn, "clients", extract.source)
        frame = extract.tables["clients"]
        side = {n: t for n, t in extract.tables.items() if n != "clients"}
        if latest is None or in_force >= latest:
            counts = write_clients(
                conn, spec=extract.spec, frame=frame, delivery_id=delivery_id, now=now, side_tables=side
            )
        else:  # an older list arriving late: history only, the newer list stays in force
            counts = {"clients": int(frame["record_id"].notna().sum())}
        counts["fact_versions"] = _client_versions(conn, extract, delivery_id, in_force, now)
        mark_loaded(conn, delivery_id, extract.kind, counts["clients"], 0, now)
        return LoadResult(delivery_id, False, extract.rows_read, counts["clients"], 0, counts)

    return _load(engine, delivery_id, extract, work)


#: the memory a load consults (warehouse.youth): the pairs it would ask about -> the remembered answers
Remember = Callable[[sa.Connection, MemoryQuery], Iterable[Remembered]]


def load_delivery(
    engine: sa.Engine,
    delivery_id: int,
    extract: Extract,
    links: pd.DataFrame,
    identities: Mapping[str, str] | None = None,
    remember: Remember | None = None,
) -> LoadResult:
    """One agency delivery: links after human decisions, linked records' facts, review items.

    ``identities``: record id -> the row's identity tokens (matchers/identity.py), kept on its
    person row. ``remember``: asked, inside the load's transaction, about the pairs of rows no
    person has decided; the answers it gives (earlier decisions about the same youth) are recorded
    as part of those decisions and applied like any (``warehouse.youth``).
    """
    if not extract.spec.matched:
        raise WarehouseError(f"delivery {delivery_id} is the client list; use load_clients")

    def work(conn: sa.Connection, row: sa.RowMapping) -> LoadResult:
        return _load_matched(conn, delivery_id, extract, links, valid_from(row), identities, remember)

    return _load(engine, delivery_id, extract, work)


def _load(
    engine: sa.Engine,
    delivery_id: int,
    extract: Extract,
    work: Callable[[sa.Connection, sa.RowMapping], LoadResult],
) -> LoadResult:
    with rolled_back(f"loading delivery {delivery_id}"):
        with write_transaction(engine) as conn:
            lock_source_in(conn, extract.source)  # loads of one source queue, never interleave
            row = delivery_row(conn, delivery_id, for_update=True)
            if row["status"] == "loaded":
                log.info("delivery %s already loaded: skipped", delivery_id)
                return _skipped(conn, row)
            if row["status"] == "quarantined":
                raise WarehouseError(f"delivery {delivery_id} is quarantined and cannot be loaded")
            if row["source"] != extract.source:
                raise WarehouseError(f"delivery {delivery_id} belongs to another source than this extract")
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
    conn: sa.Connection,
    delivery_id: int,
    extract: Extract,
    links: pd.DataFrame,
    valid_from: date | None = None,
    identities: Mapping[str, str] | None = None,
    remember: Remember | None = None,
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

    decisions = effective_decisions(conn, source)
    if remember is not None:
        if _recall(conn, source, links, decisions, record_ids, identities or {}, remember, delivery_id, now):
            decisions = effective_decisions(conn, source)
    final = final_links(links, decisions, record_ids)
    _check_clients_exist(conn, delivery_id, set(final["client_id"]))
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
    counts["source_persons"] = _write_persons(conn, source, persons, kept, delivery_id, now, identities)
    counts["match_links"] = write_links(conn, source, final, record_ids, delivery_id, now)
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
    reapply_decisions(conn, source, decisions, skip=record_ids, now=now)
    opened, open_now = write_review_items(conn, source, final, decisions, record_ids, delivery_id, now)

    matched = int(final.loc[final["decision"] == "match", "record_id"].nunique())
    mark_loaded(conn, delivery_id, extract.kind, matched, opened, now)
    return LoadResult(delivery_id, False, extract.rows_read, matched, open_now, counts)


def _client_versions(
    conn: sa.Connection, extract: Extract, delivery_id: int, valid_from: date, now: datetime
) -> int:
    """Version the client list (``fact_versions.table_name = "clients"``) and the side tables it
    carries (``client_residences``, ``client_services``: record_id = client id, keyed as in the
    kind); what the newest list no longer says (a client off the list, a residence corrected) ends."""
    from warehouse.clients import CLIENT_FIELDS

    written = 0
    newest = False  # is this the newest list (then what it no longer says ends)?
    for name in sorted(extract.tables, key=lambda n: n != "clients"):
        table, spec = extract.tables[name], extract.spec.table(name)
        frame = table.assign(record_id=ids(table["record_id"]))
        frame = frame[frame["record_id"].notna()].drop_duplicates(list(spec.key), keep="last")
        if name == "clients":
            types = {c: spec.column(c).type for c in (*CLIENT_FIELDS, *CLIENT_CHILDREN)}
        else:
            types = {c: spec.column(c).type for c in client_table_columns(spec)}
        written += history.record_versions(
            conn,
            table_name=name,
            source=extract.source,
            frame=frame,
            key=spec.key,
            types=types,
            delivery_id=delivery_id,
            valid_from=valid_from,
            now=now,
        )
        if name == "clients":
            newest = history.latest_date(conn, "clients", extract.source) == valid_from
        if newest:
            fv = FactVersion.__table__
            fv_keys = conn.execute(
                sa.select(fv.c.fact_key)
                .distinct()
                .where(fv.c.table_name == name, fv.c.source == extract.source, fv.c.valid_to.is_(None))
            ).scalars()
            delivered = set(history.version_rows(frame, spec.key, types)[1]) if len(frame) else set()
            history.close_versions(
                conn,
                table_name=name,
                source=extract.source,
                fact_keys=set(fv_keys) - delivered,
                valid_to=valid_from,
            )
    return written


def _check_clients_exist(conn: sa.Connection, delivery_id: int, client_ids: set[str]) -> None:
    c = Client.__table__
    known: set[str] = set()
    for batch in chunks(sorted(client_ids)):
        known.update(conn.execute(sa.select(c.c.client_id).where(c.c.client_id.in_(batch))).scalars())
    unknown = len(client_ids - known)
    if unknown:
        raise WarehouseError(f"delivery {delivery_id}: links name {unknown} client(s) not in the client list")


def _write_persons(
    conn: sa.Connection,
    source: str,
    persons: pd.DataFrame,
    kept: set[str],
    delivery_id: int,
    now: datetime,
    identities: Mapping[str, str] | None = None,
) -> int:
    linked = persons[persons["record_id"].isin(kept)]
    types = {c: ("date" if c == "dob" else "str") for c in PERSON_COLUMNS}
    if identities is not None:
        linked = linked.assign(identity=linked["record_id"].map(identities))
        types["identity"] = "str"
    values = columns(linked, types, {"source": source, "delivery_id": delivery_id, "updated_at": now})
    upsert(conn, SourcePerson.__table__, values, key=("source", "record_id"))
    return len(linked)


def _recall(
    conn: sa.Connection,
    source: str,
    links: pd.DataFrame,
    decisions: pd.DataFrame,
    record_ids: set[str],
    identities: Mapping[str, str],
    remember: Remember,
    delivery_id: int,
    now: datetime,
) -> int:
    """Ask the memory about the pairs of rows no person has decided; record its answers."""
    model = model_links(links)
    model = model[model["record_id"].isin(record_ids) & model["decision"].isin(KEPT_DECISIONS)]
    linked, excluded, _ = decision_state(decisions)
    undecided = ~model["record_id"].isin(list(linked))
    if excluded:
        undecided &= ~pd.MultiIndex.from_arrays([model["record_id"], model["client_id"]]).isin(list(excluded))
    pairs = model.loc[undecided, ["record_id", "client_id", "decision", "score", "explanation"]]
    if pairs.empty:
        return 0
    known = {r: i for r, i in identities.items() if r in record_ids}
    query = MemoryQuery(pairs.reset_index(drop=True), known)
    answers = list(remember(conn, query))
    if not answers:
        return 0
    done = record_remembered(
        conn, source, answers, pairs.assign(delivery_id=delivery_id), query.identities, now
    )
    log.info("delivery %s: %d pairs answered by earlier decisions about the same youth", delivery_id, done)
    return done


def _skipped(conn: sa.Connection, row: sa.RowMapping) -> LoadResult:
    ri = ReviewItem.__table__
    open_items = conn.execute(
        sa.select(sa.func.count()).where(ri.c.delivery_id == row["id"], ri.c.status == "open")
    ).scalar_one()
    return LoadResult(row["id"], True, int(row["rows_read"]), int(row["records_matched"]), int(open_items))
