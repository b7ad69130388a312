"""Time ``validate()`` on a large table of made-up rows (no real data).

    .venv/bin/python benchmarks/validation_speed.py --rows 500000 --kind arrest_log [--via-file]
    .venv/bin/python benchmarks/validation_speed.py --rows 500000 --pipeline [--clients 2000]

``--pipeline`` puts the checks in proportion to a whole nightly run of that delivery: the same steps
``sync.pipeline`` takes (read, validate, record the validation, read again, match against a
client list, load), each timed, on a temporary SQLite warehouse. Target: validation (the GX import
included) is at most a quarter of the run.

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


def _realistic_names(raw: pd.DataFrame, kind_name: str, seed: int = 11) -> None:
    """Names from the generator's pools (thousands of combinations), so blocking behaves as on real
    extracts; the five-name default would put every row in a handful of giant blocks."""
    from synthetic import pools

    firsts = [v for k, v in vars(pools).items() if k.endswith(("_F", "_M")) and isinstance(v, tuple)]
    lasts = [v for k, v in vars(pools).items() if k.endswith("_LAST") and isinstance(v, tuple)]
    first = np.array(sorted({n for t in firsts for n in t}))
    last = np.array(sorted({n for t in lasts for n in t}))
    rng = np.random.default_rng(seed)
    f_col, l_col = (
        ("FirstName", "LastName") if kind_name == "arrest_log" else ("StudentFirstName", "StudentLastName")
    )
    raw[f_col] = rng.choice(first, len(raw))
    raw[l_col] = rng.choice(last, len(raw))


def _load_client_list(wh, clients: pd.DataFrame, folder: Path) -> None:
    """The client list's Clients sheet as a CSV (a list without residences or services), loaded the
    way the nightly run loads it (not timed)."""
    import dataclasses

    from expectations import ValidationReport
    from integrations.readers import file_sha256, read_extract

    listed = next(s for s in load_sources().values() if s.kind == "safetynet_clients")
    mapping = dataclasses.replace(listed.tables["clients"], sheet=None)
    source = dataclasses.replace(listed, format="csv", tables={"clients": mapping})
    fill = {"csec_status": "identified", "referral_date": "2025-01-02", "sex": "F", "county": "Alameda"}
    data = {}
    for canonical, agency in mapping.columns.items():
        if canonical == "record_id":
            data[agency] = clients["client_id"]
        elif canonical == "dob":
            data[agency] = pd.to_datetime(clients["dob"]).dt.strftime("%Y-%m-%d")
        elif canonical in clients.columns and canonical not in fill:
            data[agency] = clients[canonical].fillna("")
        else:
            data[agency] = fill.get(canonical, "")
    path = folder / "safetynet_clients_20261116.csv"
    pd.DataFrame(data).to_csv(path, index=False)
    extract = read_extract(path, source)
    delivery_id = wh.record_validation(
        source=source.name,
        file_name=path.name,
        sha256=file_sha256(path),
        delivered_on=date(2026, 11, 16),
        rows_read=extract.rows_read,
        report=ValidationReport(source=source.name, file_name=path.name),
        kind=source.kind,
    )
    wh.load_clients(delivery_id, extract)


def pipeline(args: argparse.Namespace) -> None:
    """Every step of one source's nightly run on one large delivery, timed."""
    from expectations import validate, warm_up
    from integrations.readers import file_sha256, read_extract
    from matchers import default_matcher
    from warehouse import Warehouse

    source = load_sources()[_SOURCE[args.kind]]
    raw = agency_frame(args.kind, args.rows)
    _realistic_names(raw, args.kind)
    timings: dict[str, float] = {}

    def timed(step: str, fn):
        t0 = time.perf_counter()
        out = fn()
        timings[step] = timings.get(step, 0.0) + time.perf_counter() - t0
        return out

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_20261116.csv"
        raw.drop(columns=["row_number"]).to_csv(path, index=False, encoding=source.encoding)
        wh = Warehouse(f"sqlite:///{tmp}/warehouse.db")
        wh.migrate()
        # the client list: every 250th distinct person of the delivery is a client
        extract = timed("read (ingest)", lambda: read_extract(path, source))
        persons = extract.persons()
        clients = persons.iloc[:: max(1, len(persons) // args.clients)].head(args.clients)
        clients = clients.rename(columns={"record_id": "client_id"}).reset_index(drop=True)
        clients["client_id"] = [f"SN-{i:05d}" for i in range(len(clients))]
        _load_client_list(wh, clients, Path(tmp))
        timed("validate: GX import + suites (once per process)", lambda: warm_up((source.kind,)))
        report = timed("validate", lambda: validate(extract, source, today=date(2026, 11, 16)))
        delivery_id = timed(
            "record validation",
            lambda: wh.record_validation(
                source=source.name,
                file_name=path.name,
                sha256=file_sha256(path),
                delivered_on=date(2026, 11, 16),
                rows_read=extract.rows_read,
                report=report,
                kind=source.kind,
            ),
        )
        extract = timed("read again (load step)", lambda: read_extract(path, source))
        matcher = default_matcher()
        links = timed("match", lambda: matcher.link(clients, extract.persons()))
        timed("load", lambda: wh.load_delivery(delivery_id, extract, links))
        wh.dispose()
    total = sum(timings.values())
    checks = timings["validate"] + timings["validate: GX import + suites (once per process)"]
    print(
        f"{args.kind} ({source.name}), {args.rows:,} rows, {len(clients):,} clients, whole run {total:.1f} s"
    )
    for step, t in timings.items():
        print(f"  {step:<50} {t:7.1f} s  {100 * t / total:5.1f} %")
    share = 100 * checks / total
    print(f"checks (validate + GX import): {checks:.1f} s = {share:.1f} % of the run (target <= 25 %)")
    print(f"rules: {len(report.results)}, failed: {len(report.failures)}, links kept: {len(links):,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--kind", choices=sorted(_SOURCE), default="arrest_log")
    parser.add_argument("--via-file", action="store_true", help="write a CSV and time the real reader")
    parser.add_argument("--pipeline", action="store_true", help="time every step of a nightly run")
    parser.add_argument("--clients", type=int, default=2000, help="client list size for --pipeline")
    args = parser.parse_args()
    if args.pipeline:
        pipeline(args)
        return
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
