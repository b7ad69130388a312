"""A full nightly refresh at county scale: ``python benchmarks/warehouse_refresh.py [URL] [--clients N]``.

Default: 50,000 clients and 1,000,000 facts on PostgreSQL (``$SAFETYNET_TEST_POSTGRES_URL``'s server,
a fresh database made and dropped here). Two nights, every source each night, timed one by one:

- night 1: the first load of every source (all inserts, every fact's first version);
- night 2: the next deliveries: 5% of the facts changed by their agency (a status, an end date,
  an absence count), 1% new; the rest unchanged (upserts touch only changed rows; history adds
  versions only for those).

Then the read side: every client's facts and measures as of the night-2 date (what the quarterly
report reads). Prints timings and the process's peak resident memory (``ru_maxrss``) as JSON.
Facts are built in memory in the canonical schema (no files, synthetic values), linked with
``match`` links (the matcher has its own benchmark).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import uuid
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from warehouse_load import _extract, _table

from warehouse import Warehouse
from warehouse.measures import client_measures
from warehouse.profiles import facts_as_of

#: share of the facts per table (sums to 1)
SHARES = {
    "probation": ("probation", "probation_referrals", 0.15),
    "social_services": ("social_services", "welfare_referrals", 0.15),  # + placements, below
    "oakland_usd": ("school_district", "school_enrollments", 0.15),
    "hayward_usd": ("school_district", "school_enrollments", 0.15),
    "oakland_pd": ("arrest_log", "arrests", 0.15),
    "alameda_so": ("arrest_log", "arrests", 0.15),
}
PLACEMENT_SHARE = 0.10
NIGHTS = (date(2026, 11, 21), date(2026, 11, 22))


def _persons(rng: np.random.Generator, record_ids: list[str]) -> dict[str, object]:
    n = len(record_ids)
    return {
        "record_id": record_ids,
        "first_name": [f"F{i % 9973}" for i in range(n)],
        "last_name": [f"L{i % 7919}" for i in range(n)],
        "dob": pd.Timestamp("2006-01-01") + pd.to_timedelta(rng.integers(0, 5000, n), unit="D"),
    }


def build(clients: int, facts: int, seed: int = 7) -> tuple[pd.DataFrame, dict, dict]:
    """(client list, source -> {table: frame}, source -> links) for night 1."""
    rng = np.random.default_rng(seed)
    ids = [f"SN-{i:06d}" for i in range(clients)]
    client_list = _table(
        "safetynet_clients",
        "clients",
        {
            **_persons(rng, ids),
            "referral_date": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 1300, clients), unit="D"),
            "csec_status": rng.choice(["identified", "at_risk"], clients),
            "risk_factors": ["runaway|substance_use"] * clients,
            "next_meeting": [pd.NaT] * clients,
        },
        clients,
    )
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    links: dict[str, pd.DataFrame] = {}
    for source, (kind, table, share) in SHARES.items():
        n = int(facts * share)
        owner = rng.integers(0, clients, n)
        if kind == "arrest_log":
            rec = [f"{source}-{i:08d}" for i in range(n)]  # a booking is a record
            data = {
                **_persons(rng, rec),
                "agency_ori": "CA0010900",
                "arrest_datetime": pd.Timestamp("2022-01-01")
                + pd.to_timedelta(rng.integers(0, 10**8, n), unit="s"),
                "charges": list(
                    rng.choice(["647(b) PC", "PC 653.22|148(a)(1) PC", "HS 11350", "VC 10851|PC 459"], n)
                ),
            }
        else:
            rec = [f"{source}-{c:06d}" for c in owner]  # one agency record per client
            start = pd.Timestamp("2022-08-15") + pd.to_timedelta(np.arange(n) % 1000 * 2, unit="D")
            data = {**_persons(rng, rec)}
            if kind == "probation":
                data.update(
                    referral_id=[f"R{i:08d}" for i in range(n)],
                    referral_date=start,
                    supervision_status=rng.choice(["probation", "wardship", "informal", "closed"], n),
                    placement_type=rng.choice(["camp", "home", "group_home"], n),
                    placement_start=start + pd.Timedelta(days=30),
                )
            elif kind == "school_district":
                enrolled = rng.integers(20, 180, n)
                data.update(
                    school=[f"School {i % 40}" for i in range(n)],
                    enroll_start=start,
                    days_enrolled=enrolled,
                    days_absent=(enrolled * rng.uniform(0, 0.3, n)).astype(int),
                )
        frames = {table: _table(kind, table, data, n)}
        if kind == "social_services":
            frames = _welfare(rng, rec, n, int(facts * PLACEMENT_SHARE), data)
        tables[source] = frames
        pairs = pd.DataFrame({"record_id": rec, "client_id": [ids[o] for o in owner]})
        pairs = pairs.drop_duplicates("record_id")
        links[source] = pairs.assign(score=0.999, decision="match", explanation="{}")
    return client_list, tables, links


def _welfare(rng: np.random.Generator, rec: list[str], n: int, placements: int, persons: dict) -> dict:
    uniq = sorted(set(rec))
    people = _table("social_services", "welfare_clients", _persons(rng, uniq), len(uniq))
    ref = _table(
        "social_services",
        "welfare_referrals",
        {
            "referral_id": [f"W{i:09d}" for i in range(n)],
            "record_id": rec,
            "referral_date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2400, n), unit="D"),
            "allegation_type": "General Neglect",
            "disposition": rng.choice(["substantiated", "inconclusive", "unfounded"], n),
        },
        n,
    )
    who = rng.integers(0, len(uniq), placements)
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1800, placements), unit="D")
    pl = _table(
        "social_services",
        "welfare_placements",
        {
            "episode_id": [f"EP{i:09d}" for i in range(placements)],
            "record_id": [uniq[w] for w in who],
            "placement_type": rng.choice(["foster_home", "relative", "group_home"], placements),
            "start_date": start,
        },
        placements,
    )
    return {"welfare_clients": people, "welfare_referrals": ref, "welfare_placements": pl}


CHANGE = {
    "probation_referrals": ("supervision_status", "closed"),
    "welfare_referrals": ("disposition", "substantiated"),
    "welfare_placements": ("end_date", pd.Timestamp("2026-11-20")),
    "school_enrollments": ("days_absent", 0),
    "arrests": ("charges", "PC 148(a)(1)"),
}


def night_two(tables: dict, rng: np.random.Generator) -> dict:
    """5% of each fact table's rows changed, 1% new (copies of rows under new keys)."""
    out = {}
    for source, frames in tables.items():
        out[source] = {}
        for name, frame in frames.items():
            frame = frame.copy()
            if name in CHANGE:
                col, value = CHANGE[name]
                hit = rng.random(len(frame)) < 0.05
                frame.loc[hit, col] = value
                extra = frame.sample(frac=0.01, random_state=1).copy()
                key = {
                    "probation_referrals": "referral_id",
                    "welfare_referrals": "referral_id",
                    "welfare_placements": "episode_id",
                    "school_enrollments": "enroll_start",
                    "arrests": "arrest_datetime",
                }[name]
                if key == "enroll_start":
                    extra[key] = extra[key] + pd.Timedelta(days=1)
                elif key == "arrest_datetime":
                    extra[key] = extra[key] + pd.Timedelta(days=1)  # the same booking re-dated: not new
                else:
                    extra[key] = extra[key].astype(str) + "N"
                frame = pd.concat([frame, extra], ignore_index=True)
                frame["row_number"] = np.arange(2, len(frame) + 2)
            out[source][name] = frame
    return out


def _load_night(
    wh: Warehouse, client_list: pd.DataFrame, tables: dict, links: dict, night: date, tag: str
) -> dict:
    def rec(ex) -> int:
        from expectations.report import ValidationReport

        return wh.record_validation(
            source=ex.source,
            file_name=ex.file.name,
            sha256=ex.sha256,
            delivered_on=night,
            rows_read=ex.rows_read,
            report=ValidationReport(ex.source, ex.file.name),
        )

    timings: dict[str, float] = {}
    started = time.perf_counter()
    ex = replace(
        _extract("safetynet_clients", "safetynet_clients", "clients", client_list, tag), delivered_on=night
    )
    t = time.perf_counter()
    wh.load_clients(rec(ex), ex)
    timings["safetynet_clients"] = round(time.perf_counter() - t, 2)
    for source, frames in tables.items():
        kind = SHARES[source][0]
        first = next(iter(frames))
        ex = _extract(source, kind, first, frames[first], tag)
        ex = replace(ex, tables=frames, delivered_on=night)
        t = time.perf_counter()
        wh.load_delivery(rec(ex), ex, links[source])
        timings[source] = round(time.perf_counter() - t, 2)
    timings["total"] = round(time.perf_counter() - started, 2)
    return timings


def _fresh_postgres() -> tuple[str, sa.Engine, str]:
    server = os.environ.get(
        "SAFETYNET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"safetynet_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False), admin, name


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "url", nargs="?", help="warehouse URL (default: a fresh PostgreSQL database, dropped after)"
    )
    p.add_argument("--clients", type=int, default=50_000)
    p.add_argument("--facts", type=int, default=1_000_000)
    p.add_argument("--no-read", action="store_true", help="skip the as-of read of every client")
    args = p.parse_args(argv)
    admin = name = None
    url = args.url
    if url is None:
        url, admin, name = _fresh_postgres()
    try:
        t = time.perf_counter()
        client_list, tables, links = build(args.clients, args.facts)
        fact_rows = sum(
            len(f) for frames in tables.values() for n, f in frames.items() if n != "welfare_clients"
        )
        result: dict[str, object] = {
            "backend": url.split(":", 1)[0],
            "clients": args.clients,
            "facts_night_1": fact_rows,
            "build_seconds": round(time.perf_counter() - t, 1),
        }
        wh = Warehouse(url)
        wh.migrate()
        result["night_1"] = _load_night(wh, client_list, tables, links, NIGHTS[0], "1")
        second = night_two(tables, np.random.default_rng(8))
        result["facts_night_2"] = sum(
            len(f) for fr in second.values() for n, f in fr.items() if n != "welfare_clients"
        )
        result["night_2"] = _load_night(wh, client_list, second, links, NIGHTS[1], "2")
        with wh.engine.connect() as conn:
            result["fact_versions"] = conn.execute(sa.text("SELECT count(*) FROM fact_versions")).scalar_one()
        if not args.no_read:
            t = time.perf_counter()
            facts = facts_as_of(wh.engine, NIGHTS[1])
            result["read_facts_as_of_seconds"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            client_measures(facts)
            result["measures_all_clients_seconds"] = round(time.perf_counter() - t, 1)
        wh.dispose()
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(result, indent=1))
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
