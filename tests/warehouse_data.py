"""Small hand-built warehouse inputs shared by the warehouse, history, packet, report and review tests.

Extracts are built in the canonical schema (as integrations/mapping.py produces it), small enough to
read; ``rows``/``dump`` read the warehouse back. The ``wh`` and ``with_clients`` fixtures (conftest.py)
are built from these.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from expectations.report import ValidationReport
from integrations.extract import Extract
from integrations.kinds import ROW_NUMBER, kind
from warehouse import Warehouse
from warehouse.models import Base

# --- builders ----------------------------------------------------------------------------------


def canonical(kind_name: str, table: str, rows: list[dict]) -> pd.DataFrame:
    """A canonical table as a reader hands it on: every column, typed, plus row_number and _unparsed_."""
    spec = kind(kind_name).table(table)
    out = pd.DataFrame(index=range(len(rows)))
    for col in spec.columns:
        values = [r.get(col.name) for r in rows]
        if col.type in ("date", "datetime"):
            out[col.name] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif col.type == "int":
            out[col.name] = pd.Series(values, dtype="Int64")
        else:
            out[col.name] = pd.Series(values, dtype=object)
        if col.type in ("date", "datetime", "int"):
            out[f"_unparsed_{col.name}"] = pd.Series([None] * len(rows), dtype=object)
    out[ROW_NUMBER] = range(2, len(rows) + 2)
    return out


def extract(source: str, kind_name: str, tables: dict[str, list[dict]], tag: str = "1") -> Extract:
    frames = {name: canonical(kind_name, name, rows) for name, rows in tables.items()}
    sha = hashlib.sha256(
        f"{source}:{tag}:{json.dumps(tables, sort_keys=True, default=str)}".encode()
    ).hexdigest()
    return Extract(
        source=source,
        kind=kind_name,
        file=Path(f"{source}_{tag}.csv"),
        sha256=sha,
        tables=frames,
        delivered_on=date(2026, 11, 16),
    )


def record(wh: Warehouse, ex: Extract, report: ValidationReport | None = None) -> int:
    return wh.record_validation(
        source=ex.source,
        file_name=ex.file.name,
        sha256=ex.sha256,
        delivered_on=ex.delivered_on,
        rows_read=ex.rows_read,
        report=report or ValidationReport(ex.source, ex.file.name, ex.rows_read),
    )


def links(*rows: tuple[str, str, float, str]) -> pd.DataFrame:
    expl = json.dumps(
        {"fields": [{"field": "dob", "level": "exact", "weight": 4.2}], "prior": -6.0, "total": 3.1}
    )
    return pd.DataFrame(
        [
            {"record_id": r, "client_id": c, "score": s, "decision": d, "explanation": expl}
            for r, c, s, d in rows
        ],
        columns=["record_id", "client_id", "score", "decision", "explanation"],
    )


CLIENTS = [
    {
        "record_id": "C1",
        "first_name": "Aaliyah",
        "last_name": "Brooks",
        "aliases": "Lia|Lee-Lee",
        "dob": "2009-03-04",
        "sex": "F",
        "referral_date": "2025-01-10",
        "csec_status": "identified",
        "risk_factors": "runaway|truancy",
        "services": "mentoring",
    },
    {
        "record_id": "C2",
        "first_name": "Maria",
        "last_name": "Lopez Garcia",
        "dob": "2010-07-21",
        "sex": "F",
        "referral_date": "2025-02-11",
        "csec_status": "at_risk",
    },
    {
        "record_id": "C3",
        "first_name": "Jasmine",
        "last_name": "Carter",
        "dob": "2008-12-01",
        "sex": "F",
        "gender_identity": "trans female",
        "referral_date": "2025-03-12",
        "csec_status": "at_risk",
    },
]

# B1 matches C1, B2 is uncertain (C2), B3 a non-match pair, B4 nobody's: B3 and B4 must leave no trace.
ARRESTS = [
    {
        "record_id": "B1",
        "first_name": "Aaliyah",
        "last_name": "Brooks",
        "dob": "2009-03-04",
        "agency_ori": "CA0010900",
        "arrest_datetime": "2026-10-01 22:15",
        "charges": "647(b) PC|PC 148(a)(1)",
    },
    {
        "record_id": "B2",
        "first_name": "Marie",
        "last_name": "Lopez",
        "dob": "2010-07-12",
        "agency_ori": "CA0010900",
        "arrest_datetime": "2026-10-03 01:00",
        "charges": "653.22",
    },
    {
        "record_id": "B3",
        "first_name": "Zoey",
        "last_name": "Quintrell",
        "dob": "2011-05-05",
        "agency_ori": "CA0010900",
        "arrest_datetime": "2026-10-04 13:30",
        "charges": "HS 11350",
    },
    {
        "record_id": "B4",
        "first_name": "Xanthe",
        "last_name": "Vorhees",
        "dob": "2007-01-09",
        "agency_ori": "CA0010900",
        "arrest_datetime": "2026-10-05 09:45",
        "charges": "VC 10851",
    },
]
ARREST_LINKS = [("B1", "C1", 0.99, "match"), ("B2", "C2", 0.6, "review"), ("B3", "C3", 0.01, "nonmatch")]


def arrests(rows: list[dict] = ARRESTS, tag: str = "1") -> Extract:
    return extract("oakland_pd", "arrest_log", {"arrests": rows}, tag)


def dump(wh: Warehouse, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: two dumps are equal iff the database content is."""
    out = {}
    with wh.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name not in skip:
                out[table.name] = sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(table)))
    return out


def rows(wh: Warehouse, table: str, where: str = "") -> list[dict]:
    with wh.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} {where}")).mappings()]


def add_decision(
    wh: Warehouse,
    record_id: str,
    client_id: str | None,
    decision: str,
    at: datetime = datetime(2026, 11, 17, 9, 0),
    source: str = "oakland_pd",
) -> None:
    with wh.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO review_decisions"
                " (source, record_id, client_id, decision, decided_by, decided_at, note)"
                " VALUES (:s, :r, :c, :d, 'coordinator', :at, NULL)"
            ),
            {"s": source, "r": record_id, "c": client_id, "d": decision, "at": at},
        )
