"""`safetynet report quarterly --quarter 2026Q3 --out DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path

from safetynet.args import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="de-identified reports (quarterly outcomes)")
    kinds = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    q = kinds.add_parser("quarterly", help="outcomes by year of referral, small cells suppressed, charts")
    q.add_argument("--quarter", required=True, help="e.g. 2026Q3 (counts as of its last day)")
    q.add_argument("--out", type=Path, required=True, help="output folder (HTML, CSV, charts/)")
    q.add_argument(
        "--previous",
        type=Path,
        help="the previous quarter's published CSV (default: OUT/quarterly_<previous quarter>.csv if there)",
    )
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from reports.disclosure import DisclosureError
    from reports.quarterly import NothingToReport, build_report, parse_quarter
    from review.audit import record_command
    from warehouse import Warehouse

    try:
        parse_quarter(args.quarter)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    warehouse = Warehouse.open()
    if args.previous is not None and not args.previous.is_file():
        raise CommandError(f"--previous {args.previous}: no such file")
    try:
        report = build_report(warehouse.engine, args.quarter, args.out, args.previous)
    except NothingToReport as exc:
        record_command(
            warehouse.engine,
            action="report_written",
            outcome="refused",
            subject_type="quarter",
            subject_id=args.quarter,
            detail="no client in the cohort: nothing written",
        )
        raise CommandError(str(exc)) from None
    except DisclosureError as exc:
        record_command(
            warehouse.engine,
            action="report_written",
            outcome="refused",
            subject_type="quarter",
            subject_id=args.quarter,
            detail="a small count could be worked out: nothing written",
        )
        raise CommandError(f"report not written: {exc}") from None
    record_command(
        warehouse.engine,
        action="report_written",
        subject_type="quarter",
        subject_id=report.quarter,
        detail=f"{len(report.hidden)} cells suppressed",
    )
    print(f"quarterly report {report.quarter} (as of {report.as_of}): {report.html}")
    print(f"  {len(report.tables)} tables, {len(report.hidden)} cells suppressed; CSV {report.csv}")
    proof = report.proof
    if proof is not None:
        print(
            f"  proof: {proof.queries} hidden cells and small intersections checked with "
            f"{proof.programmes} linear programmes in {proof.seconds:.1f} s; {report.previous}"
        )
        for name in proof.already_out:
            print(f"  note: the previous report alone already lets this be worked out: {name}")
    return 0
