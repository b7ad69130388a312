"""`safetynet validate SOURCE FILE`: the nightly run's checks on a file before an agency sends it.

Prints a readable report (rule, rows, how to fix) and exits 0 when the file would load (warnings
allowed), 1 when it would be quarantined, 2 for a usage error (unknown source, no such file).
It never shows a traceback: an unreadable file is a blocking rule like any other, and anything
unexpected is one line naming the error type. The file is streamed in chunks, so a multi-gigabyte
CSV is checked in bounded memory; the output holds rule ids, counts and row numbers, never a value.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from expectations import ValidationReport, reader_error_report
from integrations.config import SourceConfig, load_sources
from integrations.errors import ExtractError
from safetynet.args import CommandError, date_arg

EXIT_OK = 0
EXIT_QUARANTINED = 1
EXIT_INTERNAL = 3
#: rows per chunk: ~100 MB of Python objects for the widest layout; smaller files are one chunk
CHUNK_ROWS = 200_000
ROWS_SHOWN = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check a delivery file with its source's rules before sending it (exit 1: would be quarantined)",
    )
    p.add_argument("source", help="source name in config/sources.yaml, e.g. probation")
    p.add_argument("file", type=Path, help="the CSV or XLSX file to check")
    p.add_argument("--json", action="store_true", help="the report as JSON (rule ids, counts, row numbers)")
    p.add_argument("--today", type=date_arg, default=None, help="the day 'future' is judged from")
    p.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_validate)


def check_file(path: Path, source: SourceConfig, today: date | None, chunk_rows: int) -> ValidationReport:
    """The report the nightly run would record for this file (without the row-count history rule)."""
    from expectations.chunked import validate_chunks
    from integrations.readers import iter_extracts

    try:
        return validate_chunks(iter_extracts(path, source, chunk_rows), source, today=today)
    except ExtractError as err:
        return reader_error_report(source.name, path.name, err)


def render(report: ValidationReport, source: SourceConfig) -> str:
    failed = report.failures
    blocking = [r for r in failed if r.severity == "blocking"]
    lines = [
        f"{report.file_name}: checked as {source.name} ({source.agency})",
        f"{report.rows_checked:,} rows, {len(report.results)} rules: "
        f"{len(failed)} failed ({len(blocking)} blocking, {len(failed) - len(blocking)} warning)",
        "",
    ]
    if report.quarantined:
        lines.append(
            "RESULT: this file WOULD BE QUARANTINED (a blocking rule failed). Fix it before sending."
        )
    elif failed:
        lines.append("RESULT: this file would load, with warnings. Please check them.")
    else:
        lines.append("RESULT: every check passed. The file is ready to send.")
    where = "Excel row numbers" if source.format == "xlsx" else "line numbers; the header is line 1"
    if failed:
        lines += ["", f"Failed rules, blocking first (rows are {where}):"]
    for r in sorted(failed, key=lambda r: r.severity != "blocking"):
        count = (
            f"  {r.unexpected_count:,} row{'s' if r.unexpected_count != 1 else ''}"
            if r.unexpected_count
            else ""
        )
        lines += ["", f"{r.severity.upper():<8} {r.rule_id}{count}", f"  Check:      {r.description}"]
        if r.row_numbers:
            shown = ", ".join(str(n) for n in r.row_numbers[:ROWS_SHOWN])
            more = r.unexpected_count - min(len(r.row_numbers), ROWS_SHOWN)
            lines.append(f"  Rows:       {shown}" + (f" ... and {more:,} more" if more > 0 else ""))
        if r.how_to_fix:
            lines.append(f"  How to fix: {r.how_to_fix}")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    sources = load_sources()
    source = sources.get(args.source)
    if source is None:
        raise CommandError(f"unknown source {args.source!r}; sources: {', '.join(sources)}")
    if not args.file.is_file():
        raise CommandError(f"no such file: {args.file}")
    if args.chunk_rows < 1:
        raise CommandError("--chunk-rows must be at least 1")
    try:
        report = check_file(args.file, source, args.today, args.chunk_rows)
    except Exception as exc:
        print(f"safetynet validate: internal error ({type(exc).__name__}); the file was not checked")
        return EXIT_INTERNAL
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render(report, source))
    return EXIT_QUARANTINED if report.quarantined else EXIT_OK
