"""A client's consolidated profile, read from the current warehouse: the client list's own data,
and what each agency says about the client (facts of the agency rows linked by a ``match``), each
with its source and as-of date (the delivery date of the delivery that last changed it).

Read-only and local to the review app, so the warehouse's own history/packet code can change freely.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from integrations.kinds import KINDS, table_spec
from review.sources import source_kinds
from warehouse.db import write_transaction
from warehouse.models import (
    CLIENT_CHILDREN,
    CLIENT_TABLES,
    FACT_TABLES,
    ArrestCharge,
    Client,
    ClientRef,
    Delivery,
    MatchLink,
    SourcePerson,
    fact_columns,
)

CLIENTS = Client.__table__
LINKS = MatchLink.__table__
PERSONS = SourcePerson.__table__
DELIVERIES = Delivery.__table__
REFS = ClientRef.__table__
CHARGES = ArrestCharge.__table__


@dataclass
class FactTable:
    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[dict] = field(default_factory=list)


@dataclass
class Profile:
    client: dict
    aliases: list[str]
    risk_factors: list[str]
    #: the client list's side tables, in the list's order: dicts of their canonical columns
    residences: list[dict]
    services: list[dict]
    #: the client's links: source, record_id, decision, decided_by, score, id, and the agency's person row
    links: list[dict]
    facts: list[FactTable]

    @property
    def fact_count(self) -> int:
        return sum(len(t.rows) for t in self.facts)


@lru_cache(maxsize=1)
def _spec_columns() -> dict[str, tuple[str, ...]]:
    out = {}
    for kind in KINDS.values():
        for spec in kind.tables:
            if spec.name in FACT_TABLES:
                extra = ("chronic_absence",) if spec.name == "school_enrollments" else ()
                out[spec.name] = tuple(c for c in fact_columns(spec) if c != "record_id") + extra
    return out


def child_values(conn: sa.Connection, client_id: str) -> dict[str, list[str]]:
    out = {}
    for column, (table, value_col) in CLIENT_CHILDREN.items():
        out[column] = list(
            conn.execute(
                sa.select(table.c[value_col]).where(table.c.client_id == client_id).order_by(table.c.position)
            ).scalars()
        )
    return out


def side_rows(conn: sa.Connection, client_id: str) -> dict[str, list[dict]]:
    """The client's residences and services as the current list has them, newest first."""
    out = {}
    for name, table in CLIENT_TABLES.items():
        rows = conn.execute(
            sa.select(table).where(table.c.client_id == client_id).order_by(table.c.position.desc())
        ).mappings()
        out[name] = [dict(r) for r in rows]
    return out


def client_row(conn: sa.Connection, client_id: str) -> dict | None:
    row = conn.execute(sa.select(CLIENTS).where(CLIENTS.c.client_id == client_id)).mappings().first()
    return dict(row) if row else None


def record_facts(conn: sa.Connection, pairs: list[tuple[str, str]]) -> list[FactTable]:
    """The fact rows of these (source, record_id) agency rows, per fact table, newest first,
    each with ``source``, ``record_id`` and ``as_of`` (the delivery date that last changed it)."""
    tables: list[FactTable] = []
    if not pairs:
        return tables
    kinds = source_kinds()
    wanted = {kinds.get(source) for source, _ in pairs}
    names = (
        {t.name for k in wanted for t in KINDS[k].tables} if None not in wanted else set(FACT_TABLES)
    )  # only the fact tables these sources' kinds have (a source missing from the config: all)
    for name, cols in _spec_columns().items():
        if name not in names:
            continue
        t = FACT_TABLES[name]
        stmt = (
            sa.select(t, DELIVERIES.c.delivered_on.label("as_of"))
            .join(DELIVERIES, DELIVERIES.c.id == t.c.delivery_id)
            .where(sa.tuple_(t.c.source, t.c.record_id).in_(pairs))
        )
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
        if not rows:
            continue
        if name == "arrests":
            _attach_charges(conn, rows)
            cols = tuple(c for c in cols if c != "charges") + ("charge_codes",)
        spec = table_spec(name)  # title and event date: integrations/kinds.py
        when = spec.event_date
        if when:  # newest first, undated last
            rows.sort(key=lambda r: (r.get(when) is not None, r.get(when) or date.min), reverse=True)
        tables.append(FactTable(name, spec.title, cols, rows))
    return tables


def _attach_charges(conn: sa.Connection, rows: list[dict]) -> None:
    by_arrest: dict[int, list[str]] = {}
    ids = [r["id"] for r in rows]
    for arrest_id, text, code, section in conn.execute(
        sa.select(CHARGES.c.arrest_id, CHARGES.c.charge_text, CHARGES.c.code, CHARGES.c.section)
        .where(CHARGES.c.arrest_id.in_(ids))
        .order_by(CHARGES.c.arrest_id, CHARGES.c.position)
    ):
        by_arrest.setdefault(arrest_id, []).append(f"{code} {section}" if code and section else text)
    for r in rows:
        r["charge_codes"] = "; ".join(by_arrest.get(r["id"], [])) or r.get("charges")


def client_links(conn: sa.Connection, client_id: str, decisions: tuple[str, ...] = ("match",)) -> list[dict]:
    stmt = (
        sa.select(
            LINKS.c.id,
            LINKS.c.source,
            LINKS.c.record_id,
            LINKS.c.decision,
            LINKS.c.decided_by,
            LINKS.c.score,
            PERSONS.c.first_name,
            PERSONS.c.middle_name,
            PERSONS.c.last_name,
            PERSONS.c.dob,
            DELIVERIES.c.delivered_on.label("as_of"),
        )
        .join(PERSONS, sa.and_(PERSONS.c.source == LINKS.c.source, PERSONS.c.record_id == LINKS.c.record_id))
        .join(DELIVERIES, DELIVERIES.c.id == PERSONS.c.delivery_id)
        .where(LINKS.c.client_id == client_id, LINKS.c.decision.in_(decisions))
        .order_by(LINKS.c.source, LINKS.c.record_id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def profile(conn: sa.Connection, client_id: str) -> Profile | None:
    client = client_row(conn, client_id)
    if client is None:
        return None
    children = child_values(conn, client_id)
    links = client_links(conn, client_id)
    facts = record_facts(conn, [(link["source"], link["record_id"]) for link in links])
    side = side_rows(conn, client_id)
    return Profile(
        client,
        children["aliases"],
        children["risk_factors"],
        side["client_residences"],
        side["client_services"],
        links,
        facts,
    )


def measures_today(engine: sa.Engine, client_id: str, today: date) -> dict | None:
    """The client's derived measures as of ``today`` (definitions: ``warehouse/measures.py``), or None."""
    from warehouse.profiles import client_profile

    found = client_profile(engine, client_id, today)
    return found.measures if found is not None else None


# --- opaque client references for URLs ------------------------------------------------------------


def refs_for(conn: sa.Connection, client_ids: list[str]) -> dict[str, str]:
    """client id -> its opaque URL reference (random, never derived from the id).

    Read on ``conn``; the few missing ones are created in a short write transaction of their own,
    so a page view is not a write transaction (on SQLite that would queue every view behind writers).
    """
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    found = dict(conn.execute(sa.select(REFS.c.client_id, REFS.c.ref).where(REFS.c.client_id.in_(ids))).all())
    missing = [c for c in ids if c not in found]
    if missing:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        with write_transaction(conn.engine) as writer:
            writer.execute(
                insert(REFS).on_conflict_do_nothing(),
                [{"client_id": c, "ref": secrets.token_urlsafe(12)} for c in missing],
            )
            found.update(
                writer.execute(
                    sa.select(REFS.c.client_id, REFS.c.ref).where(REFS.c.client_id.in_(missing))
                ).all()
            )
    return found


def client_for_ref(conn: sa.Connection, ref: str) -> str | None:
    return conn.execute(sa.select(REFS.c.client_id).where(REFS.c.ref == ref)).scalar_one_or_none()


def search_clients(conn: sa.Connection, text: str, limit: int = 20) -> list[dict]:
    """Active clients whose name, alias or client id contains every word typed (case-insensitive)."""
    words = [w for w in text.lower().split() if w][:4]
    if not words:
        return []
    aliases, alias_col = CLIENT_CHILDREN["aliases"]
    conditions = []
    for w in words:
        pattern = f"%{w.replace('%', '').replace('_', '')}%"
        alias_hit = sa.exists(
            sa.select(aliases.c.client_id).where(
                aliases.c.client_id == CLIENTS.c.client_id, sa.func.lower(aliases.c[alias_col]).like(pattern)
            )
        )
        conditions.append(
            sa.or_(
                sa.func.lower(CLIENTS.c.first_name).like(pattern),
                sa.func.lower(CLIENTS.c.last_name).like(pattern),
                sa.func.lower(CLIENTS.c.client_id).like(pattern),
                alias_hit,
            )
        )
    stmt = (
        sa.select(
            CLIENTS.c.client_id,
            CLIENTS.c.first_name,
            CLIENTS.c.middle_name,
            CLIENTS.c.last_name,
            CLIENTS.c.dob,
            CLIENTS.c.city,
            CLIENTS.c.next_meeting,
        )
        .where(CLIENTS.c.active, *conditions)
        .order_by(CLIENTS.c.last_name, CLIENTS.c.first_name, CLIENTS.c.client_id)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
