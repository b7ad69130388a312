"""What `make demo` leaves besides the warehouse: the next meeting's packet and last quarter's report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from packets.build import build_packet
from reports.quarterly import NothingToReport, build_report
from warehouse.profiles import facts_as_of


def last_complete_quarter(today: date) -> str:
    q = (today.month - 1) // 3  # the quarter before the current one
    return f"{today.year - 1}Q4" if q == 0 else f"{today.year}Q{q}"


def next_meeting(engine: sa.Engine, today: date) -> date:
    """The earliest meeting on or after ``today`` named in the client list (else the next Thursday)."""
    clients = facts_as_of(engine, today)["clients"]
    upcoming = clients["next_meeting"][clients["next_meeting"] >= pd.Timestamp(today)]
    if len(upcoming):
        return upcoming.min().date()
    days = (3 - today.weekday()) % 7 or 7  # Thursday, the case review's day
    return date.fromordinal(today.toordinal() + days)


def demo_documents(engine: sa.Engine, var_dir: Path, today: date) -> list[str]:
    """Write the packet (var/packets/) and the quarterly report (var/reports/); lines saying where."""
    meeting = next_meeting(engine, today)
    packet = build_packet(engine, meeting, var_dir / "packets")
    quarter = last_complete_quarter(today)
    lines = [f"case-review packet for {meeting} ({len(packet.client_ids)} youth on the agenda):"]
    lines += [f"  {p}" for p in packet.files]
    if packet.pdf_note:
        lines.append(f"  {packet.pdf_note}")
    try:
        report = build_report(engine, quarter, var_dir / "reports")
    except NothingToReport as exc:
        return [*lines, f"quarterly outcomes report: {exc}"]
    lines.append(f"quarterly outcomes report {quarter} ({len(report.hidden)} cells suppressed):")
    lines += [f"  {report.html}", f"  {report.csv}", f"  {report.html.parent / 'charts'}/"]
    return lines
