"""What the team receives, as Dagster assets: the weekly case-review packet and the quarterly
outcomes report (the work: ``packets.build``, ``reports.quarterly``).

- ``outputs/case_review_packet``: one partition per meeting date (daily partitions, a week ahead, so
  next week's packet can be built by hand); ``case_review_packet_schedule`` builds tomorrow's at
  18:00 Pacific, the night before, when the client list names tomorrow as a meeting.
- ``outputs/quarterly_report``: one partition per quarter (the key is its first day);
  ``quarterly_report_schedule`` builds the last complete quarter on the 15th of the next one, when
  late deliveries for it are in.

Both read every source's warehouse asset (lineage in the UI), write under the settings' ``var/``
(``packets/``, ``reports/``) unless ``OutputsResource.root`` says otherwise, and add an audit entry as
the CLI does. Metadata: counts, the quarter or meeting date and file names only; never a name, id or
date of birth (a packet's youth are in the audit log, not in Dagster).
"""

import getpass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

import settings
from assets.resources import SourcesResource, WarehouseResource
from assets.sources import warehouse_key
from integrations.config import SourceConfig
from packets.build import Packet, build_packet
from reports.quarterly import NothingToReport, QuarterlyReport, build_report
from review.audit import record
from warehouse.db import write_transaction
from warehouse.profiles import facts_as_of

PACKET_KEY = dg.AssetKey(["outputs", "case_review_packet"])
REPORT_KEY = dg.AssetKey(["outputs", "quarterly_report"])
TIMEZONE = "America/Los_Angeles"
FIRST_DAY = "2024-01-01"

#: a meeting date; a week of future days so next week's packet can be prepared by hand
meeting_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, end_offset=8, timezone=TIMEZONE)
#: a quarter, keyed by its first day (2026-07-01 = 2026Q3)
quarter_partitions = dg.TimeWindowPartitionsDefinition(
    start=FIRST_DAY, cron_schedule="0 0 1 1,4,7,10 *", fmt="%Y-%m-%d", timezone=TIMEZONE
)


class OutputsResource(dg.ConfigurableResource):
    """Where packets and reports are written (empty: the settings' ``var/`` folder)."""

    root: str = ""

    @property
    def path(self) -> Path:
        return Path(self.root) if self.root else settings.var_dir()


def quarter_of(partition_key: str) -> str:
    """ "2026-07-01" -> "2026Q3"."""
    first = date.fromisoformat(partition_key)
    return f"{first.year}Q{(first.month - 1) // 3 + 1}"


def _audit(engine: sa.Engine, action: str, subject_type: str, subject_id: str, **kw) -> None:
    # who printed which youth's records, as the CLI does (privacy rule 4); the run stands for the address
    with write_transaction(engine) as conn:
        record(
            conn,
            username=f"dagster:{getpass.getuser()}",
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            remote_addr="dagster run",
            **kw,
        )


def output_assets(sources: list[SourceConfig]) -> list[dg.AssetsDefinition]:
    upstream = [warehouse_key(s.name) for s in sources]

    @dg.asset(
        key=PACKET_KEY,
        group_name="outputs",
        partitions_def=meeting_partitions,
        deps=upstream,
        description="The case-review packet (HTML, PDF, XLSX) of one meeting's agenda.",
    )
    def case_review_packet(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        sources: SourcesResource,
        outputs: OutputsResource,
    ) -> dg.MaterializeResult:
        meeting = date.fromisoformat(context.partition_key)
        engine = warehouse.get().engine
        packet = build_packet(engine, meeting, outputs.path / "packets", sources=sources.all())
        _audit(
            engine,
            "packet_written",
            "meeting",
            meeting.isoformat(),
            clients=packet.client_ids,
            detail=f"{len(packet.files)} files",
        )
        return dg.MaterializeResult(metadata=packet_metadata(packet))

    @dg.asset(
        key=REPORT_KEY,
        group_name="outputs",
        partitions_def=quarter_partitions,
        deps=upstream,
        description="The de-identified quarterly outcomes report (HTML, CSV, charts), proved safe.",
    )
    def quarterly_report(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, outputs: OutputsResource
    ) -> dg.MaterializeResult:
        quarter = quarter_of(context.partition_key)
        engine = warehouse.get().engine
        try:
            report = build_report(engine, quarter, outputs.path / "reports")
        except NothingToReport as exc:  # says what is missing (no list, a quarantined list): no client data
            _audit(
                engine,
                "report_written",
                "quarter",
                quarter,
                outcome="refused",
                detail="no client in the cohort",
            )
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        _audit(engine, "report_written", "quarter", quarter, detail=f"{len(report.hidden)} cells suppressed")
        return dg.MaterializeResult(metadata=report_metadata(report))

    return [case_review_packet, quarterly_report]


def packet_metadata(packet: Packet) -> dict[str, object]:
    changed = sum(1 for y in packet.youth if y.changes)
    return {
        "meeting": packet.meeting.isoformat(),
        "youth_on_agenda": len(packet.client_ids),
        "youth_with_changes": changed,
        "youth_with_open_review_items": sum(1 for y in packet.youth if y.review_rows),
        "sources_out_of_date": len(packet.stale),
        "files": dg.MetadataValue.json([p.name for p in packet.files]),
        "pdf": "written"
        if any(p.suffix == ".pdf" for p in packet.files)
        else (packet.pdf_note or "not asked"),
    }


def report_metadata(report: QuarterlyReport) -> dict[str, object]:
    return {
        "quarter": report.quarter,
        "as_of": report.as_of.isoformat(),
        "tables": len(report.tables),
        "cells_suppressed": len(report.hidden),
        "charts": len([c for c in report.charts if c.suffix == ".svg"]),
        "charts_left_out": len(report.undrawn),
        "files": dg.MetadataValue.json([report.html.name, report.csv.name]),
    }


case_review_packet_job = dg.define_asset_job(
    "case_review_packet",
    selection=dg.AssetSelection.assets(PACKET_KEY),
    partitions_def=meeting_partitions,
    description="Build one meeting's case-review packet (outputs/case_review_packet).",
)
quarterly_report_job = dg.define_asset_job(
    "quarterly_report",
    selection=dg.AssetSelection.assets(REPORT_KEY),
    partitions_def=quarter_partitions,
    description="Build one quarter's outcomes report (outputs/quarterly_report).",
)


def meeting_tomorrow(engine: sa.Engine, today: date) -> date | None:
    """Tomorrow, when the client list in force then names it as a meeting day."""
    tomorrow = today + timedelta(days=1)
    clients = facts_as_of(engine, tomorrow)["clients"]
    dates = clients["next_meeting"].dropna().dt.date
    return tomorrow if (dates == tomorrow).any() else None


@dg.schedule(
    job=case_review_packet_job,
    cron_schedule="0 18 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def case_review_packet_schedule(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    """The night before a meeting: its packet, so it reflects the last nightly sync before it."""
    today = context.scheduled_execution_time.date()
    meeting = meeting_tomorrow(warehouse.get().engine, today)
    if meeting is None:
        return dg.SkipReason(f"no meeting on {today + timedelta(days=1)}")
    return dg.RunRequest(partition_key=meeting.isoformat(), run_key=f"packet-{meeting.isoformat()}")


def last_complete_quarter(today: date) -> str:
    """The first day of the quarter before the one ``today`` is in (a partition key)."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = date(today.year, first_month, 1)
    prev = date(start.year - (first_month == 1), (first_month - 4) % 12 + 1, 1)
    return prev.isoformat()


@dg.schedule(
    job=quarterly_report_job,
    cron_schedule="0 6 15 1,4,7,10 *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def quarterly_report_schedule(context: dg.ScheduleEvaluationContext):
    key = last_complete_quarter(context.scheduled_execution_time.date())
    return dg.RunRequest(partition_key=key, run_key=f"report-{key}")


def output_definitions(sources: list[SourceConfig]) -> dg.Definitions:
    """Everything above, to merge into the code location's Definitions."""
    return dg.Definitions(
        assets=output_assets(sources),
        jobs=[case_review_packet_job, quarterly_report_job],
        schedules=[case_review_packet_schedule, quarterly_report_schedule],
        resources={"outputs": OutputsResource()},
    )
