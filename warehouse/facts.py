"""Facts of linked records: upserts by (source, natural key), arrest charges, and purges.

Privacy rule 1 lives here as much as in the loader: every writer takes the set of record ids that
still have a match or review link and ignores every other row of the extract.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import pandas as pd
import sqlalchemy as sa

from integrations.charges import normalise_charge
from integrations.kinds import KindSpec, TableSpec
from warehouse import frames, history
from warehouse import upsert as bulk
from warehouse.models import (
    FACT_TABLES,
    ArrestCharge,
    FactVersion,
    MatchLink,
    ReviewItem,
    SourcePerson,
    fact_columns,
)

log = logging.getLogger(__name__)


def fact_specs_of(kind: KindSpec) -> list[TableSpec]:
    return [t for t in kind.tables if t.name in FACT_TABLES]


def chronic_absence(days_enrolled: pd.Series, days_absent: pd.Series) -> pd.Series:
    """Absent 10% or more of the days enrolled; missing when either count is missing or nothing was enrolled.

    Integer arithmetic (absent * 10 >= enrolled) so 10.0% exactly counts, with no float rounding.
    """
    enrolled = pd.to_numeric(days_enrolled, errors="coerce").astype("Int64")
    absent = pd.to_numeric(days_absent, errors="coerce").astype("Int64")
    out = (absent * 10 >= enrolled).astype("boolean")
    out[(enrolled <= 0).fillna(False).astype(bool)] = pd.NA
    return out


def write_facts(
    conn: sa.Connection,
    *,
    source: str,
    spec: TableSpec,
    frame: pd.DataFrame,
    kept: set[str],
    delivery_id: int,
    now: object,
    valid_from: object = None,
) -> int:
    """Upsert the rows of ``frame`` whose record is linked; returns how many rows were kept.

    With ``valid_from`` (the delivery's date) every changed fact also gets a new version in
    ``fact_versions``, and a row whose stored version came from a newer delivery is left as it is
    (an out-of-order delivery only fills in history).
    """
    table = FACT_TABLES[spec.name]
    columns = fact_columns(spec)
    df = frame.assign(record_id=frames.ids(frame["record_id"]))
    df = df.loc[df["record_id"].isin(kept), ["record_id", *columns]]
    no_key = df[list(spec.key)].isna().any(axis=1)
    if no_key.any():
        log.warning(
            "delivery %s: %d linked rows of %s skipped, natural key missing",
            delivery_id,
            int(no_key.sum()),
            spec.name,
        )
    # last row wins for a key repeated inside one file (one statement cannot update a row twice)
    df = df[~no_key].drop_duplicates(list(spec.key), keep="last")
    types = {"record_id": "str", **{c: spec.column(c).type for c in columns}}
    if spec.name == "school_enrollments":
        df["chronic_absence"] = chronic_absence(df["days_enrolled"], df["days_absent"])
        types["chronic_absence"] = "bool"
    if valid_from is not None:
        data_types = {c: t for c, t in types.items() if c != "record_id"}
        history.record_versions(
            conn,
            table_name=spec.name,
            source=source,
            frame=df,
            key=spec.key,
            types=data_types,
            delivery_id=delivery_id,
            valid_from=valid_from,
            now=now,
        )
        newer = history.newer_keys(conn, table, source, spec.key, valid_from)
        if newer:
            keys = frames.columns(df, {k: types[k] for k in spec.key})
            in_newer = [history.key_text(p) in newer for p in zip(*keys.values(), strict=True)]
            df = df[[not x for x in in_newer]]
    constants = {"source": source, "delivery_id": delivery_id, "updated_at": now}
    if valid_from is not None:  # bookkeeping: moves only with a real change, like delivery_id
        constants["valid_from"] = valid_from
    values = frames.columns(df, types, constants)
    bulk.upsert(conn, table, values, key=("source", *spec.key))
    return len(df)


@lru_cache(maxsize=65536)
def _normalised(text: str) -> tuple[str | None, str | None]:
    # agencies repeat the same few hundred spellings; the regexes then run once per spelling
    return normalise_charge(text)


def split_charges(charges: str | None) -> list[str]:
    return [c.strip() for c in (charges or "").split("|") if c.strip()]


def write_arrest_charges(conn: sa.Connection, *, source: str, kept: set[str]) -> int:
    """Bring ``arrest_charges`` in line with the stored arrests of linked records.

    An arrest whose charge list is unchanged is left alone (idempotent); a changed one gets its
    charge rows replaced. Returns the number of charge rows of the linked arrests.
    """
    arrests = FACT_TABLES["arrests"]
    charges = ArrestCharge.__table__
    stored = [
        (aid, text)
        for aid, rec, text in conn.execute(
            sa.select(arrests.c.id, arrests.c.record_id, arrests.c.charges).where(arrests.c.source == source)
        )
        if rec in kept
    ]
    existing: dict[int, list[str]] = {}
    for aid, text in conn.execute(
        sa.select(charges.c.arrest_id, charges.c.charge_text)
        .join(arrests, arrests.c.id == charges.c.arrest_id)
        .where(arrests.c.source == source)
        .order_by(charges.c.arrest_id, charges.c.position)
    ):
        existing.setdefault(aid, []).append(text)

    stale: list[int] = []
    new_rows: list[tuple] = []
    total = 0
    for aid, text in stored:
        want = split_charges(text)
        total += len(want)
        if existing.get(aid, []) == want:
            continue
        if aid in existing:
            stale.append(aid)
        for position, charge in enumerate(want, start=1):
            code, section = _normalised(charge)
            new_rows.append((aid, position, charge, code, section))
    for batch in frames.chunks(stale):
        conn.execute(sa.delete(charges).where(charges.c.arrest_id.in_(batch)))
    if new_rows:
        names = ("arrest_id", "position", "charge_text", "code", "section")
        bulk.insert(conn, charges, dict(zip(names, map(list, zip(*new_rows, strict=True)), strict=True)))
    return total


def stored_record_ids(conn: sa.Connection, source: str) -> set[str]:
    """Record ids of ``source`` the warehouse holds anything about (person rows, links, review items)."""
    ids: set[str] = set()
    for table in (SourcePerson.__table__, MatchLink.__table__, ReviewItem.__table__):
        ids.update(conn.execute(sa.select(table.c.record_id).where(table.c.source == source)).scalars())
    return ids


def purge_records(
    conn: sa.Connection,
    *,
    source: str,
    record_ids: set[str],
    kind: KindSpec | None = None,
    decided: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Remove everything about records that no longer have any link (privacy rule 1).

    Decided review items stay (they record that a person looked, and hold no person data), and so
    do open items of ``decided`` records: the loader closes those as decided;
    ``review_decisions`` is append-only and never touched.
    """
    tables = [MatchLink.__table__, SourcePerson.__table__, FactVersion.__table__]
    # every fact table when the kind is not known; arrest_charges go by ON DELETE CASCADE
    tables += [FACT_TABLES[t.name] for t in fact_specs_of(kind)] if kind else list(FACT_TABLES.values())
    items = ReviewItem.__table__
    for batch in frames.chunks(sorted(record_ids)):
        for table in tables:
            conn.execute(sa.delete(table).where(table.c.source == source, table.c.record_id.in_(batch)))
    for batch in frames.chunks(sorted(record_ids - decided)):
        conn.execute(
            sa.delete(items).where(
                items.c.source == source, items.c.record_id.in_(batch), items.c.status == "open"
            )
        )
