"""Load timing for a large delivery: ``python benchmarks/warehouse_load.py [URL] [--rows N] [--linked F]``.

Builds a synthetic canonical arrest log in memory (no files, no real data), a client list and
matcher-shaped links, then times ``load_clients`` and ``load_delivery`` (first load, then the same
facts again in a new delivery: the idempotent upsert path). Without a URL it uses a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from expectations.report import ValidationReport
from integrations.extract import Extract
from integrations.kinds import ROW_NUMBER, kind
from warehouse import Warehouse


def _table(kind_name: str, table: str, data: dict[str, object], n: int) -> pd.DataFrame:
    spec = kind(kind_name).table(table)
    out = pd.DataFrame(index=range(n))
    for col in spec.columns:
        v = data.get(col.name)
        if col.type in ("date", "datetime"):
            out[col.name] = pd.to_datetime(pd.Series(v if v is not None else [None] * n)).astype(
                "datetime64[ns]"
            )
        elif col.type == "int":
            out[col.name] = pd.Series(v if v is not None else [None] * n, dtype="Int64")
        else:
            out[col.name] = pd.Series(v if v is not None else [None] * n, dtype=object)
        if col.type in ("date", "datetime", "int"):
            out[f"_unparsed_{col.name}"] = pd.Series([None] * n, dtype=object)
    out[ROW_NUMBER] = np.arange(2, n + 2)
    return out


def _extract(source: str, kind_name: str, table: str, frame: pd.DataFrame, tag: str) -> Extract:
    sha = hashlib.sha256(f"{source}:{tag}:{len(frame)}".encode()).hexdigest()
    return Extract(source, kind_name, Path(f"{source}_{tag}.csv"), sha, {table: frame})


def run(url: str, rows: int, linked: float, clients: int = 3000, seed: int = 7) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    wh = Warehouse(url)
    wh.migrate()
    client_ids = [f"SN{i:05d}" for i in range(clients)]
    cl = _table(
        "safetynet_clients",
        "clients",
        {
            "record_id": client_ids,
            "first_name": [f"First{i}" for i in range(clients)],
            "last_name": [f"Last{i}" for i in range(clients)],
            "aliases": ["Alias|Other"] * clients,
            "dob": pd.Timestamp("2009-01-01") + pd.to_timedelta(rng.integers(0, 2000, clients), unit="D"),
            "referral_date": [pd.Timestamp("2025-01-01")] * clients,
            "csec_status": ["at_risk"] * clients,
        },
        clients,
    )
    charges = np.array(["647(b) PC", "PC 653.22|148(a)(1) PC", "HS 11350", "236.1(c)", "VC 10851|PC 459"])
    bookings = [f"BK{i:08d}" for i in range(rows)]
    arrests = _table(
        "arrest_log",
        "arrests",
        {
            "record_id": bookings,
            "first_name": [f"F{i}" for i in range(rows)],
            "last_name": [f"L{i}" for i in range(rows)],
            "dob": pd.Timestamp("2007-01-01") + pd.to_timedelta(rng.integers(0, 4000, rows), unit="D"),
            "agency_ori": ["CA0010900"] * rows,
            "arrest_datetime": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 10**7, rows), unit="s"),
            "charges": list(charges[rng.integers(0, len(charges), rows)]),
        },
        rows,
    )
    n_linked = int(rows * linked)
    chosen = rng.choice(rows, size=n_linked, replace=False)
    decision = np.where(rng.random(n_linked) < 0.9, "match", "review")
    expl = json.dumps(
        {"fields": [{"field": "dob", "level": "exact", "weight": 4.0}], "prior": -7.0, "total": 5.0}
    )
    links = pd.DataFrame(
        {
            "record_id": [bookings[i] for i in chosen],
            "client_id": [client_ids[i] for i in rng.integers(0, clients, n_linked)],
            "score": np.where(decision == "match", 0.99, 0.6),
            "decision": decision,
            "explanation": expl,
        }
    )

    def rec(ex: Extract) -> int:
        return wh.record_validation(
            source=ex.source,
            file_name=ex.file.name,
            sha256=ex.sha256,
            delivered_on=None,
            rows_read=ex.rows_read,
            report=ValidationReport(ex.source, ex.file.name),
        )

    timings: dict[str, float] = {}
    ex = _extract("safetynet_clients", "safetynet_clients", "clients", cl, "1")
    t = time.perf_counter()
    wh.load_clients(rec(ex), ex)
    timings["load_clients"] = time.perf_counter() - t
    for label, tag in (("load_delivery_first", "1"), ("load_delivery_same_facts_again", "2")):
        ex = _extract("oakland_pd", "arrest_log", "arrests", arrests, tag)
        t = time.perf_counter()
        result = wh.load_delivery(rec(ex), ex, links)
        timings[label] = time.perf_counter() - t
    timings["facts"] = result.facts  # type: ignore[assignment]
    wh.dispose()
    return timings


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("url", nargs="?")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--linked", type=float, default=1.0, help="share of rows with a match/review link")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        print(
            json.dumps(
                {
                    "backend": url.split(":", 1)[0],
                    "rows": args.rows,
                    "linked": args.linked,
                    **run(url, args.rows, args.linked),
                },
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
