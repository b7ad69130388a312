"""Review-app speed: ``python benchmarks/review_speed.py [URL] [--clients N] [--items N] [--requests N]``.

Builds a synthetic warehouse through the real loader (no real data): a client list of ``--clients``
(5% on the next meeting's agenda, 20% with aliases), an arrest log and a probation extract whose
rows are auto-matched to clients (profile history) or left for review with one to three candidates
each (``--items`` open review items). Then, through the app (Flask's WSGI stack in process, logged
in as a coordinator, so session checks, CSRF checks and audit writes are all included), it times:

- the queue page (first page, a source filter, a deep page), and a random item page;
- a decision round trip: POST the decision (applied to the warehouse at once, the next item picked)
  and, separately, POST + GET of the next item page as the browser does it.

Rows carry identity tokens as the pipeline gives them (``sync.memory.row_identities``, a fixed key),
so the queue groups the rows of one youth (issue 17) as it does in production. Each timing is given
as wall-clock time and as the process's CPU time: on a shared machine the first carries other
processes' load, the second is what the request itself costs.

Targets (issue 5): p95 of queue and item pages < 150 ms, decision round trip < 100 ms.
Without a URL it uses a temporary SQLite file; with a PostgreSQL URL, a fresh database on that server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from expectations.report import ValidationReport
from integrations.extract import Extract
from integrations.kinds import ROW_NUMBER, kind
from review.accounts import create_user
from review.app import create_app
from review.queue import QueueOrder
from review.testing import login_code
from sync.memory import row_identities
from warehouse import Warehouse
from warehouse.db import utcnow

FIRST = "Aaliyah Maria Jasmine Destiny Imani Brianna Yesenia Guadalupe Keisha Tiana Alexis Jade".split()
LAST = "Brooks Lopez Garcia Carter Okafor Nguyen Johnson Williams Hernandez Davis Martinez Tran".split()
EXPLANATION = json.dumps(
    {
        "fields": [
            {"field": "first_name", "level": "nickname", "weight": 2.1},
            {"field": "last_name", "level": "exact", "weight": 7.5},
            {"field": "name_order", "level": "straight", "weight": 0.0},
            {"field": "dob", "level": "day_month_swap", "weight": 3.0},
            {"field": "sex", "level": "agree", "weight": 0.9},
            {"field": "address", "level": "else", "weight": -2.0},
        ],
        "prior": -12.0,
        "total": 9.5,
    }
)
PASSWORD = "benchmark-password-1"


def frame(kind_name: str, table: str, data: dict[str, object], n: int) -> pd.DataFrame:
    """A canonical table as a reader hands it on (typed columns, row_number, _unparsed_ columns)."""
    spec = kind(kind_name).table(table)
    out = pd.DataFrame(index=range(n))
    for col in spec.columns:
        values = data.get(col.name)
        values = list(values) if values is not None else [None] * n
        if col.type in ("date", "datetime"):
            out[col.name] = pd.to_datetime(pd.Series(values)).astype("datetime64[ns]")
            out[f"_unparsed_{col.name}"] = None
        elif col.type == "int":
            out[col.name] = pd.Series(values, dtype="Int64")
            out[f"_unparsed_{col.name}"] = None
        else:
            out[col.name] = pd.Series(values, dtype=object)
    out[ROW_NUMBER] = np.arange(2, n + 2)
    return out


def load(wh: Warehouse, source: str, kind_name: str, tables: dict[str, pd.DataFrame], links=None) -> None:
    sha = hashlib.sha256(f"{source}:{time.time()}".encode()).hexdigest()
    ex = Extract(
        source=source,
        kind=kind_name,
        file=Path(f"{source}.csv"),
        sha256=sha,
        tables=tables,
        delivered_on=date(2026, 11, 16),
    )
    rows = sum(len(t) for t in tables.values())
    delivery = wh.record_validation(
        source=source,
        file_name=ex.file.name,
        sha256=sha,
        delivered_on=ex.delivered_on,
        rows_read=rows,
        report=ValidationReport(source, ex.file.name, rows),
    )
    if links is None:
        wh.load_clients(delivery, ex)
    else:
        identities = row_identities(ex.persons(), links, key=b"review-speed-benchmark")
        wh.load_delivery(delivery, ex, links, identities)


def build(wh: Warehouse, clients: int, items: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"SN-{i:06d}" for i in range(clients)]
    meeting = utcnow().date() + timedelta(days=4)
    dobs = pd.Timestamp("2007-01-01") + pd.to_timedelta(rng.integers(0, 2500, clients), unit="D")
    load(
        wh,
        "safetynet_clients",
        "safetynet_clients",
        {
            "clients": frame(
                "safetynet_clients",
                "clients",
                {
                    "record_id": ids,
                    "first_name": rng.choice(FIRST, clients),
                    "last_name": rng.choice(LAST, clients),
                    "aliases": np.where(rng.random(clients) < 0.2, "Dee|Lil J", None),
                    "dob": dobs,
                    "sex": ["F"] * clients,
                    "referral_date": ["2025-01-10"] * clients,
                    "csec_status": rng.choice(["identified", "at_risk"], clients),
                    "next_meeting": np.where(rng.random(clients) < 0.05, meeting.isoformat(), None),
                },
                clients,
            )
        },
    )

    def person_rows(prefix: str, n: int) -> dict[str, object]:
        return {
            "record_id": [f"{prefix}{i}" for i in range(n)],
            "first_name": rng.choice(FIRST, n),
            "last_name": rng.choice(LAST, n),
            "dob": pd.Timestamp("2007-01-01") + pd.to_timedelta(rng.integers(0, 2500, n), unit="D"),
            "sex": ["F"] * n,
        }

    def links_for(prefix: str, matched: int, review: int) -> pd.DataFrame:
        rows = [(f"{prefix}{i}", ids[int(rng.integers(clients))], 0.995, "match") for i in range(matched)]
        for i in range(matched, matched + review):
            for k in range(int(rng.integers(1, 4))):
                rows.append(
                    (
                        f"{prefix}{i}",
                        ids[int(rng.integers(clients))],
                        0.6 + 0.1 * k + rng.random() * 0.05,
                        "review",
                    )
                )
        out = pd.DataFrame(rows, columns=["record_id", "client_id", "score", "decision"])
        out["explanation"] = EXPLANATION
        return out.drop_duplicates(["record_id", "client_id"])

    arrest_review, probation_review = int(items * 0.7), items - int(items * 0.7)
    n = 30_000 + arrest_review
    data = person_rows("B", n) | {
        "agency_ori": ["CA0010900"] * n,
        "arrest_datetime": pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D"),
        "charges": rng.choice(["647(b) PC|PC 148(a)(1)", "653.22", "HS 11350", "VC 10851"], n),
    }
    load(
        wh,
        "oakland_pd",
        "arrest_log",
        {"arrests": frame("arrest_log", "arrests", data, n)},
        links_for("B", 30_000, arrest_review),
    )
    n = 10_000 + probation_review
    people = person_rows("P", n)
    refs = {k: list(v) * 2 for k, v in people.items()}  # two referrals per youth
    refs |= {
        "referral_id": [f"R{i}" for i in range(2 * n)],
        "referral_date": ["2025-03-01"] * n + ["2026-02-01"] * n,
        "supervision_status": ["probation"] * (2 * n),
        "court": ["Girls' Court"] * (2 * n),
    }
    load(
        wh,
        "probation",
        "probation",
        {"probation_referrals": frame("probation", "probation_referrals", refs, 2 * n)},
        links_for("P", 10_000, probation_review),
    )


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def timed(fn, n: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``n`` calls."""
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def run(url: str, clients: int, items: int, requests: int) -> dict[str, dict[str, float]]:
    wh = Warehouse(url)
    wh.migrate()
    start = time.perf_counter()
    build(wh, clients, items)
    print(f"built: {clients:,} clients, {items:,} open review items in {time.perf_counter() - start:.1f} s")
    secret = create_user(wh.engine, "bench", "coordinator", PASSWORD)
    app = create_app(url)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert (
        client.post(
            "/login",
            data={"csrf_token": token, "username": "bench", "password": PASSWORD, "code": login_code(secret)},
        ).status_code
        == 303
    )
    with wh.engine.connect() as conn:
        open_items = [i for (i,) in conn.exec_driver_sql("SELECT id FROM review_items WHERE status = 'open'")]
        group_of = QueueOrder().state(conn).group_of
    assert len(open_items) == items, len(open_items)
    # decisions are made on items of distinct youths (a decision closes every row of its youth)
    one_per_youth = sorted({group_of.get(i, i) for i in open_items})
    print(f"{items:,} open items are {len(one_per_youth):,} youths (queue items)")
    rnd = random.Random(7)

    def get(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    get("/queue")  # warm up templates and the connection pool
    results = {
        "queue page 1": timed(lambda: get("/queue"), requests),
        "queue, one source": timed(lambda: get("/queue?source=probation"), requests // 2),
        "queue, page 100": timed(lambda: get("/queue?page=100"), requests // 2),
        "item page": timed(lambda: get(f"/items/{rnd.choice(open_items)}"), requests),
    }
    pending = rnd.sample(one_per_youth, 2 * requests)
    pages = {i: get(f"/items/{i}") for i in pending}
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', pages[pending[0]]).group(1)

    def post(item: int, decision: str):
        ref = re.search(r'name="client_ref" value="([^"]+)"', pages[item]).group(1)
        response = client.post(
            f"/items/{item}/decide", data={"csrf_token": csrf, "decision": decision, "client_ref": ref}
        )
        assert response.status_code == 303, response.status_code
        return response

    decisions = iter(pending)
    words = iter(["same_person", "not_this_person"] * requests)
    results["decision (POST)"] = timed(lambda: post(next(decisions), next(words)), requests)
    results["decision + next page"] = timed(
        lambda: client.get(post(next(decisions), next(words)).location), requests
    )
    app.config["SAFETYNET_ENGINE"].dispose()
    wh.dispose()
    return {
        name: {"p50": p(v, 50), "p95": p(v, 95), "max": max(v), "n": len(v), "cpu_p95": p(c, 95)}
        for name, (v, c) in results.items()
    }


@contextmanager
def scratch_database(server_url: str | None, tmp: Path) -> Iterator[str]:
    """A temporary SQLite file, or a fresh database on the given PostgreSQL server (dropped after)."""
    if not server_url:
        yield f"sqlite:///{tmp / 'warehouse.db'}"
        return
    name = f"safetynet_review_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url",
        nargs="?",
        help="a PostgreSQL server URL: the run uses a fresh database there (default: SQLite)",
    )
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.url, Path(tmp)) as url:
        numbers = run(url, args.clients, args.items, args.requests)
    print(f"{'what':<24} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p95':>8}")
    for name, s in numbers.items():
        print(
            f"{name:<24} {s['n']:>5} {s['p50']:>8.1f} {s['p95']:>8.1f} {s['max']:>8.1f} {s['cpu_p95']:>8.1f}"
        )


if __name__ == "__main__":
    main()
