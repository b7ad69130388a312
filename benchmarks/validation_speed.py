"""Time ``validate()`` on a large table of made-up rows (no real data).

    .venv/bin/python benchmarks/validation_speed.py --rows 500000 --kind arrest_log [--via-file]

Builds the agency frame in the source's own layout, maps it with ``integrations.mapping.map_table``
(or, with ``--via-file``, writes a CSV and reads it with the real reader; timed as a stand-in
for the read step of a pipeline run), then times the one-off GX
import and suite build (``warm_up``) and three ``validate`` calls.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from integrations.config import load_sources
from integrations.extract import Extract
from integrations.mapping import map_table

_SOURCE = {"arrest_log": "oakland_pd", "school_district": "oakland_usd"}


def agency_frame(kind_name: str, rows: int, seed: int = 7) -> pd.DataFrame:
    """Random but well-formed rows in the agency's layout (a few planted errors)."""
    rng = np.random.default_rng(seed)
    n = rows
    dob = pd.Timestamp("2000-01-01") + pd.to_timedelta(rng.integers(0, 4000, n), unit="D")
    first = rng.choice(["ANA", "BELLA", "CARMEN", "DANA", "ELENA"], n)
    last = rng.choice(["GARCIA", "NGUYEN", "SMITH", "JONES", "LEE"], n)
    if kind_name == "arrest_log":
        when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 600 * 24 * 60, n), unit="min")
        frame = pd.DataFrame(
            {
                "BookingNumber": [f"OPD{i:08d}" for i in range(n)],
                "ORI": "CA0010900",
                "ArrestDateTime": when.strftime("%m/%d/%Y %H:%M"),
                "FirstName": first,
                "MiddleName": "",
                "LastName": last,
                "AKA": "",
                "DOB": dob.strftime("%m/%d/%Y"),
                "Sex": rng.choice(["F", "M"], n),
                "Race": rng.choice(["B", "H", "W", "A"], n),
                "Address": "",
                "City": "OAKLAND",
                "Zip": "94601",
                "Charges": rng.choice(
                    ["647(b) PC", "PC 148(a)(1)", "HS 11350;PC 459", "243(e)(1)", "VC 23152(a)"], n
                ),
            }
        )
    else:
        enrolled = rng.integers(100, 180, n)
        frame = pd.DataFrame(
            {
                "StudentID": [f"S{i:08d}" for i in range(n)],
                "SSID": "",
                "StudentFirstName": first,
                "StudentMiddleName": "",
                "StudentLastName": last,
                "BirthDate": dob.strftime("%Y-%m-%d"),
                "Gender": rng.choice(["F", "M", "N"], n),
                "Ethnicity": rng.choice(["Black", "Hispanic", "White"], n),
                "HomeAddress": "",
                "HomeCity": "OAKLAND",
                "HomeZip": "94601",
                "SchoolName": "Fremont High",
                "Grade": "10",
                "SchoolYear": "2025-2026",
                "EntryDate": "2025-08-12",
                "LeaveDate": "",
                "DaysEnrolled": enrolled.astype(str),
                "DaysAbsent": rng.integers(0, 30, n).astype(str),
            }
        )
    frame["row_number"] = np.arange(2, n + 2)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--kind", choices=sorted(_SOURCE), default="arrest_log")
    parser.add_argument("--via-file", action="store_true", help="write a CSV and time the real reader")
    args = parser.parse_args()
    source = load_sources()[_SOURCE[args.kind]]
    ((table, mapping),) = source.tables.items()
    raw = agency_frame(args.kind, args.rows)
    if args.via_file:
        # the real reader on a real CSV: the pipeline's read step, to put validate() in proportion
        from integrations.readers import read_extract

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench_20261116.csv"
            raw.drop(columns=["row_number"]).to_csv(path, index=False, encoding=source.encoding)
            t0 = time.perf_counter()
            extract = read_extract(path, source)
            t_map = time.perf_counter() - t0
        step = "read_extract (reader on a CSV file)"
    else:
        t0 = time.perf_counter()
        canonical = map_table(raw, mapping, source.spec.table(table), "bench.csv")
        t_map = time.perf_counter() - t0
        extract = Extract(
            source=source.name,
            kind=source.kind,
            file=Path("bench.csv"),
            sha256="-",
            tables={table: canonical},
            delivered_on=date(2026, 11, 16),
        )
        step = "map_table (reader's mapping step)"

    from expectations import validate, warm_up

    t0 = time.perf_counter()
    warm_up((source.kind,))  # once per process: the GX import and the suite build
    t_warm = time.perf_counter() - t0
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        report = validate(extract, source, recent_row_counts=[args.rows], today=date(2026, 11, 16))
        timings.append(time.perf_counter() - t0)
    print(f"{args.kind} ({source.name}), {args.rows:,} rows")
    print(f"{step}: {t_map:.1f} s")
    print(f"GX import + suite build (once per process): {t_warm:.1f} s")
    print("validate, 3 runs: " + ", ".join(f"{t:.1f} s" for t in timings))
    print(f"rules: {len(report.results)}, failed: {len(report.failures)}, quarantined: {report.quarantined}")


if __name__ == "__main__":
    main()
