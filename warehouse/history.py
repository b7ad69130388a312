"""History of every fact: SCD-2 versions with the delivery dates they were in force.

Each load writes, next to the current fact tables, one ``fact_versions`` row per fact whose data
changed: ``valid_from`` is the date of the delivery that said it, ``valid_to`` the date of the delivery
that said something else (exclusive; None while still in force). The client list is versioned the
same way (``table_name = "clients"``), so a profile can be rebuilt as of any past date.

Deliveries can arrive late or twice (docs/CONTRACTS.md "Warehouse history"):

- the same facts again: nothing changes (the version in force already has the same ``data_hash``);
- a correction (a new file with the same delivery date): the version of that date is replaced;
- out of order (older than what is stored): its versions slot in between the ones around them, and
  the current fact tables keep the newer delivery's rows (``newer_keys``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from warehouse import frames
from warehouse import upsert as bulk
from warehouse.models import FactVersion

VERSION_COLUMNS = ("id", "fact_key", "data_hash", "valid_from", "valid_to")


def key_text(values: Iterable[object]) -> str:
    """A natural key as one string: dates in ISO form, parts joined with "|"."""
    return "|".join("" if v is None else (v.isoformat() if isinstance(v, date) else str(v)) for v in values)


def _json_lines(frame: pd.DataFrame, types: dict[str, str]) -> list[str]:
    """One JSON object per row (columns sorted), by pandas' C writer: a million rows in seconds.

    Dates become ISO text ("2026-11-16T00:00:00"), missing values null.
    """
    out = pd.DataFrame(index=frame.index)
    for name in sorted(types):
        vtype, col = types[name], frame[name]
        if vtype in ("date", "datetime"):
            out[name] = pd.to_datetime(col, errors="coerce")
        elif vtype == "int":
            out[name] = pd.to_numeric(col, errors="coerce").astype("Int64")
        elif vtype == "bool":
            out[name] = col.astype("boolean")
        else:
            out[name] = col.astype(object).where(col.notna(), None)
    if out.empty:
        return []
    return out.to_json(orient="records", lines=True, date_format="iso", date_unit="s").splitlines()


def version_rows(
    frame: pd.DataFrame, key: Sequence[str], types: dict[str, str]
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(record ids, fact keys, data JSON, data hashes) of a frame's rows; ``types`` name the data columns."""
    values = frames.columns(frame, {"record_id": "str", **{k: types[k] for k in key if k != "record_id"}})
    record_ids = values["record_id"]
    keys = [key_text(parts) for parts in zip(*[values[k] for k in key], strict=True)]
    data = _json_lines(frame, {n: t for n, t in types.items() if n != "record_id"})
    hashes = [hashlib.sha1(d.encode(), usedforsecurity=False).hexdigest() for d in data]
    return record_ids, keys, data, hashes


def record_versions(
    conn: sa.Connection,
    *,
    table_name: str,
    source: str,
    frame: pd.DataFrame,
    key: Sequence[str],
    types: dict[str, str],
    delivery_id: int,
    valid_from: date,
    now: datetime,
) -> int:
    """Add the versions this delivery (dated ``valid_from``) brings; returns how many were written.

    ``frame`` holds the delivery's rows (record_id, key and data columns), unique on ``key``.
    """
    if frame.empty:
        return 0
    fv = FactVersion.__table__
    record_ids, keys, data, hashes = version_rows(frame, key, types)
    stored: dict[str, list[tuple]] = {}
    in_force_now: dict[str, tuple] = {}  # key -> (valid_from, hash) of its open version
    for row in conn.execute(
        sa.select(*[fv.c[c] for c in VERSION_COLUMNS]).where(
            fv.c.table_name == table_name, fv.c.source == source
        )
    ):
        stored.setdefault(row[1], []).append(tuple(row))
        if row[4] is None:
            in_force_now[row[1]] = (row[3], row[2])

    new: list[tuple] = []  # (record_id, key, data, hash, valid_to)
    closes: list[dict] = []  # version id -> new valid_to
    corrections: list[dict] = []
    for rec, k, d, h in zip(record_ids, keys, data, hashes, strict=True):
        current = in_force_now.get(k)
        if current is not None and current[0] <= valid_from and current[1] == h:
            continue  # the usual night: unchanged since the version in force
        versions = stored.get(k)
        if not versions:
            new.append((rec, k, d, h, None))
            continue
        same_day = next((v for v in versions if v[3] == valid_from), None)
        if same_day is not None:  # a correction of that day's delivery, or the same delivery again
            if same_day[2] != h:
                corrections.append({"vid": same_day[0], "d": d, "h": h})
            continue
        in_force = next(
            (v for v in versions if v[3] < valid_from and (v[4] is None or v[4] > valid_from)), None
        )
        if in_force is not None and in_force[2] == h:
            continue  # unchanged
        later = [v[3] for v in versions if v[3] > valid_from]
        until = min(later) if later else None
        if in_force is not None:
            closes.append({"vid": in_force[0], "to": valid_from})
            until = in_force[4]
        new.append((rec, k, d, h, until))

    if closes:
        conn.execute(
            sa.update(fv).where(fv.c.id == sa.bindparam("vid")).values(valid_to=sa.bindparam("to")), closes
        )
    if corrections:
        conn.execute(
            sa.update(fv)
            .where(fv.c.id == sa.bindparam("vid"))
            .values(data=sa.bindparam("d"), data_hash=sa.bindparam("h"), delivery_id=delivery_id),
            corrections,
        )
    if new:
        cols = dict(
            zip(
                ("record_id", "fact_key", "data", "data_hash", "valid_to"),
                map(list, zip(*new, strict=True)),
                strict=True,
            )
        )
        n = len(new)
        cols.update(
            table_name=[table_name] * n,
            source=[source] * n,
            delivery_id=[delivery_id] * n,
            valid_from=[valid_from] * n,
            created_at=[now] * n,
        )
        bulk.insert(conn, fv, cols)
    return len(new) + len(corrections)


def close_versions(
    conn: sa.Connection, *, table_name: str, source: str, fact_keys: Iterable[str], valid_to: date
) -> None:
    """End the versions in force of these keys at ``valid_to`` (e.g. a client taken off the list)."""
    fv = FactVersion.__table__
    for batch in frames.chunks(sorted(set(fact_keys))):
        conn.execute(
            sa.update(fv)
            .where(
                fv.c.table_name == table_name,
                fv.c.source == source,
                fv.c.fact_key.in_(batch),
                fv.c.valid_to.is_(None),
                fv.c.valid_from < valid_to,
            )
            .values(valid_to=valid_to)
        )


def newer_keys(conn: sa.Connection, table: sa.Table, source: str, key: Sequence[str], than: date) -> set[str]:
    """Natural keys whose current row came from a delivery dated after ``than`` (an out-of-order load)."""
    rows = conn.execute(
        sa.select(*[table.c[k] for k in key]).where(table.c.source == source, table.c.valid_from > than)
    )
    return {key_text(r) for r in rows}


def latest_date(conn: sa.Connection, table_name: str, source: str) -> date | None:
    """The newest delivery date any version of this table and source was recorded with."""
    fv = FactVersion.__table__
    return conn.execute(
        sa.select(sa.func.max(fv.c.valid_from)).where(fv.c.table_name == table_name, fv.c.source == source)
    ).scalar_one()
