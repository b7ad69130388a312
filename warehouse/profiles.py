"""Read the warehouse as of a date: every client's facts from ``fact_versions``, and one client's profile.

What "as of D" means (bitemporal, simply):

- a fact's *version* is the one the agencies had delivered by D (``valid_from <= D < valid_to``); a
  fact first delivered after D but whose own date is on or before D (an arrest in 2024 in a file
  first received in 2026) is shown with the earliest version we have, and its as-of date says so;
- the fact's *own dates* then decide: arrests, referrals, placements and enrolments after D are left
  out, and a placement or enrolment that ended after D is shown as still open on D.

Facts belong to a client through the *current* ``match`` links (review links are uncertain and
left out). Every fact row carries ``source``, ``as_of`` (the delivery date of the version shown)
and ``delivery_id``, so a profile can say where each line comes from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from integrations.kinds import KINDS, table_spec
from warehouse.clients import CLIENT_FIELDS
from warehouse.frames import chunks
from warehouse.models import (
    CLIENT_TABLES,
    FACT_TABLES,
    FactVersion,
    MatchLink,
    client_table_columns,
    fact_columns,
)

META = ("client_id", "source", "record_id", "fact_key", "as_of", "delivery_id")
#: tables whose versions are keyed by the client id itself (the list and its side tables)
CLIENT_LIST_TABLES = ("clients", *CLIENT_TABLES)


def _column_types() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for k in KINDS.values():
        for t in k.tables:
            if t.name in FACT_TABLES:
                out[t.name] = {c: t.column(c).type for c in fact_columns(t)}
            elif t.name in CLIENT_TABLES:
                out[t.name] = {c: t.column(c).type for c in client_table_columns(t)}
            elif t.name == "clients":
                out["clients"] = {c: t.column(c).type for c in (*CLIENT_FIELDS, "aliases", "risk_factors")}
    out["school_enrollments"]["chronic_absence"] = "bool"
    return out


COLUMN_TYPES = _column_types()


@dataclass
class Facts:
    """Every table as of one date: ``clients`` (one row per client on the list then), its side tables
    (``client_residences``, ``client_services``) and the fact tables."""

    as_of: date
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def for_client(self, client_id: str) -> Facts:
        return Facts(self.as_of, {n: t[t["client_id"] == client_id] for n, t in self.tables.items()})


def _typed(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    for col, vtype in types.items():
        if col not in frame:
            frame[col] = None
        if vtype in ("date", "datetime"):
            frame[col] = pd.to_datetime(frame[col], errors="coerce")
        elif vtype == "int":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
        elif vtype == "bool":
            frame[col] = frame[col].astype("boolean")
        else:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _pick_versions(versions: pd.DataFrame, as_of: date, known_only: bool = False) -> pd.DataFrame:
    """Per (table, source, key): the version in force on ``as_of``, else the earliest later one.

    ``known_only``: only what had been delivered by ``as_of`` (no later versions).
    """
    if versions.empty:
        return versions
    vf = pd.to_datetime(versions["valid_from"])
    vt = pd.to_datetime(versions["valid_to"])
    day = pd.Timestamp(as_of)
    in_force = (vf <= day) & (vt.isna() | (vt > day))
    later = (vf > day) & (not known_only)
    versions = versions.assign(_rank=in_force.map({True: 0, False: 1}), _vf=vf)
    versions = versions[in_force | later]
    versions = versions.sort_values(["_rank", "_vf"]).drop_duplicates(["table_name", "source", "fact_key"])
    return versions.drop(columns=["_rank", "_vf"])


def _read_versions(conn: sa.Connection, where: sa.ColumnElement[bool]) -> pd.DataFrame:
    fv = FactVersion.__table__
    cols = ["table_name", "source", "record_id", "fact_key", "data", "valid_from", "valid_to", "delivery_id"]
    rows = conn.execute(sa.select(*[fv.c[c] for c in cols]).where(where)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=cols, dtype=object)


def _apply_dates(name: str, frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    if frame.empty:
        return frame
    spec = table_spec(name)  # its event date and open range (integrations/kinds.py)
    end_of_day = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    event = frame[spec.event_date]
    frame = frame[event.notna() & (event < end_of_day)].copy()
    if spec.open_range:
        start, end, cleared = spec.open_range
        frame.loc[frame[end] >= end_of_day, end] = pd.NaT
        not_yet = frame[start] >= end_of_day
        frame.loc[not_yet, [start, end]] = pd.NaT
        for col in cleared:
            frame.loc[not_yet, col] = None
    return frame


def _frame(name: str, picked: pd.DataFrame, client_of: pd.DataFrame | None) -> pd.DataFrame:
    types = COLUMN_TYPES[name]
    part = picked[picked["table_name"] == name]
    data = pd.DataFrame([json.loads(d) for d in part["data"]], index=part.index)
    meta = part[["source", "record_id", "fact_key", "valid_from", "delivery_id"]].rename(
        columns={"valid_from": "as_of"}
    )
    frame = pd.concat([meta, data], axis=1) if len(part) else meta.assign(**{c: None for c in types})
    if client_of is None:
        frame["client_id"] = frame["record_id"]
    else:
        frame = frame.merge(client_of, on=["source", "record_id"], how="inner")
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame = _typed(frame, types)
    return frame[[*META, *types]].reset_index(drop=True)


def facts_as_of(
    engine: sa.Engine, as_of: date, client_ids: list[str] | None = None, known_only: bool = False
) -> Facts:
    """Every client's facts as of ``as_of`` (optionally only ``client_ids``).

    ``known_only``: what the warehouse knew on ``as_of`` (versions delivered by then), for "what
    changed since the last meeting"; by default also facts delivered later about earlier events.
    """
    fv = FactVersion.__table__
    ml = MatchLink.__table__
    with engine.connect() as conn:
        link_q = sa.select(ml.c.source, ml.c.record_id, ml.c.client_id).where(ml.c.decision == "match")
        if client_ids is not None:
            link_q = link_q.where(ml.c.client_id.in_(client_ids))
        client_of = pd.DataFrame(
            [tuple(r) for r in conn.execute(link_q)], columns=["source", "record_id", "client_id"]
        )
        # the client list and its side tables: record_id is the client id, no link needed
        listed = fv.c.table_name.in_(CLIENT_LIST_TABLES)
        where = listed
        if client_ids is not None:
            where = sa.and_(where, fv.c.record_id.in_(client_ids))
        parts = [_read_versions(conn, where)]
        pairs = sorted(set(zip(client_of["source"], client_of["record_id"], strict=True)))
        if client_ids is None:
            parts.append(_read_versions(conn, ~listed))
        else:
            for batch in chunks(pairs, 200):
                parts.append(
                    _read_versions(
                        conn,
                        sa.and_(~listed, sa.tuple_(fv.c.source, fv.c.record_id).in_(batch)),
                    )
                )
    versions = (
        pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    )
    picked = _pick_versions(versions, as_of, known_only)
    facts = Facts(as_of)
    clients = _frame("clients", picked, None)
    referred = clients["referral_date"]
    facts.tables["clients"] = clients[referred.isna() | (referred <= pd.Timestamp(as_of))].reset_index(
        drop=True
    )
    on_list = set(facts.tables["clients"]["client_id"])
    for name in CLIENT_TABLES:
        rows = _apply_dates(name, _frame(name, picked, None), as_of)
        facts.tables[name] = rows[rows["client_id"].isin(on_list)].reset_index(drop=True)
    for name in FACT_TABLES:
        facts.tables[name] = _apply_dates(name, _frame(name, picked, client_of), as_of)
    return facts


@dataclass
class Profile:
    client_id: str
    as_of: date
    client: dict
    facts: Facts
    measures: dict
    generated_at: datetime | None = None


def client_profile(engine: sa.Engine, client_id: str, as_of: date) -> Profile | None:
    """One client's profile as of ``as_of`` (list data, facts, measures); None if not on the list."""
    from warehouse.measures import client_measures

    facts = facts_as_of(engine, as_of, [client_id])
    if facts["clients"].empty:
        return None
    client = facts["clients"].iloc[0].to_dict()
    measures = client_measures(facts).get(client_id, {})
    return Profile(client_id, as_of, client, facts, measures)
