"""The words of every alert. Inputs are rule results, file names, dates and configuration only.

Nothing here reads a delivery file: a message can only say what the warehouse's ``dq_results``
say (rule ids, descriptions rendered from the agency's own headers, counts, row numbers) and what
the configuration says (source, agency). That is how no child's data can reach an agency inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from integrations.config import SourceConfig

#: row numbers listed per rule in an e-mail (the count is always complete)
ROWS_IN_MESSAGE = 50
PRODUCT = "SafetyNet Sync"
_INTRO = (
    f"This is an automatic message from {PRODUCT}, the District Attorney's nightly data sync for the\n"
    "SafetyNet multi-agency case review. It is about your agency's extract and contains no\n"
    "information about any person.\n"
)


@dataclass(frozen=True)
class FailedRule:
    rule_id: str
    severity: str
    description: str
    how_to_fix: str
    unexpected_count: int
    row_numbers: tuple[int, ...]
    sheet_or_table: str | None = None


@dataclass(frozen=True)
class DeliveryFacts:
    """A recorded delivery as the alert sees it (``deliveries`` row, no content)."""

    file_name: str
    delivered_on: date | None
    rows_read: int
    quarantined: bool


@dataclass(frozen=True)
class Composed:
    subject: str
    body: str


def _where(source: SourceConfig) -> str:
    return (
        "Excel row numbers on the named sheet"
        if source.format == "xlsx"
        else ("line numbers of the file as you sent it (the header is line 1)")
    )


def _rows(rule: FailedRule) -> str:
    if not rule.row_numbers:
        return ""
    shown = ", ".join(str(n) for n in rule.row_numbers[:ROWS_IN_MESSAGE])
    more = rule.unexpected_count - min(len(rule.row_numbers), ROWS_IN_MESSAGE)
    return shown + (f" ... and {more:,} more" if more > 0 else "")


def delivery_alert(
    source: SourceConfig, delivery: DeliveryFacts, failed: list[FailedRule], last_good: str | None
) -> Composed:
    """One message per contact per delivery: what failed, where, how to fix, quarantined or not."""
    blocking = [r for r in failed if r.severity == "blocking"]
    warnings = [r for r in failed if r.severity != "blocking"]
    when = delivery.delivered_on.isoformat() if delivery.delivered_on else "unknown"
    if delivery.quarantined:
        subject = (
            f"[{PRODUCT}] {source.agency}: {delivery.file_name} was QUARANTINED "
            f"({len(blocking)} blocking problem{'s' if len(blocking) != 1 else ''})"
        )
        kept = f" SafetyNet keeps using your last good delivery ({last_good})." if last_good else ""
        outcome = f"QUARANTINED: none of this file's rows were loaded.{kept}"
    else:
        subject = (
            f"[{PRODUCT}] {source.agency}: {delivery.file_name} loaded with "
            f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
        )
        outcome = "Loaded. The warnings below did not stop the file, but please check them."
    lines = [
        _INTRO,
        f"Source:         {source.name} ({source.agency})",
        f"File:           {delivery.file_name}",
        f"Delivery date:  {when}",
        f"Rows read:      {delivery.rows_read:,}",
        f"Outcome:        {outcome}",
        "",
        f"Rules that failed ({len(failed)}), blocking first. Row numbers are {_where(source)}.",
        "",
    ]
    for i, rule in enumerate(blocking + warnings, start=1):
        count = f"{rule.unexpected_count:,} row{'s' if rule.unexpected_count != 1 else ''}"
        lines.append(
            f"{i}. [{rule.severity.upper()}] {rule.rule_id}"
            + (f" - {count}" if rule.unexpected_count else "")
        )
        lines.append(f"   Check:      {rule.description}")
        rows = _rows(rule)
        if rows:
            lines.append(f"   Rows:       {rows}")
        if rule.how_to_fix:
            lines.append(f"   How to fix: {rule.how_to_fix}")
        lines.append("")
    if delivery.quarantined:
        lines.append(
            "Please correct the file and deliver it again to the usual folder; you will get a short\n"
            "message when a corrected delivery has passed."
        )
    lines.append(
        f"To check a file before sending it: safetynet validate {source.name} FILE\n"
        "Questions: reply to the SafetyNet team (not to this automatic address)."
    )
    return Composed(subject, "\n".join(lines) + "\n")


def overdue_alert(
    source: SourceConfig, last_file: str | None, last_date: date | None, today: date
) -> Composed:
    if last_date is None:
        since = "No delivery of this extract has been received yet."
        due = "now"
    else:
        due_on = last_date + timedelta(days=source.cadence_days)
        since = f"The last delivery was {last_file} of {last_date.isoformat()}."
        due = f"by {due_on.isoformat()} ({(today - due_on).days} day(s) ago)"
    subject = f"[{PRODUCT}] {source.agency}: the {source.name} extract is overdue"
    body = "\n".join(
        [
            _INTRO,
            f"Source:         {source.name} ({source.agency})",
            f"Expected:       a delivery at least every {source.cadence_days} days;"
            f" the next one was due {due}.",
            f"                {since}",
            "",
            "Please send the current extract to the usual folder, or tell the SafetyNet team when it",
            "will come. You will get a short message when it has arrived.",
        ]
    )
    return Composed(subject, body + "\n")


def resolved_alert(source: SourceConfig, problem: str, new_file: str, new_date: date | None) -> Composed:
    """Short: the problem is closed by a good re-delivery (or the overdue extract arrived)."""
    when = new_date.isoformat() if new_date else "unknown date"
    subject = f"[{PRODUCT}] {source.agency}: {source.name} problem resolved"
    body = "\n".join(
        [
            f"Resolved: {problem}",
            f"The delivery {new_file} ({when}) has arrived and passed the blocking checks. Thank you.",
            "",
            f"-- {PRODUCT} (automatic message; it contains no information about any person)",
        ]
    )
    return Composed(subject, body + "\n")


def run_failure_alert_text(job: str, run_id: str, steps: list[tuple[str, str]]) -> Composed:
    """For the operator: which run, which steps, which error types (never an error's text)."""
    subject = f"[{PRODUCT}] run of {job} failed ({run_id[:8]})"
    lines = [
        f"The Dagster run {run_id} of job {job} failed.",
        "",
        "Failed steps (error type only; details in the Dagster UI, run page):"
        if steps
        else "No step failed; the run itself failed (see the Dagster UI, run page).",
    ]
    lines += [f"  - {step}: {error}" for step, error in steps]
    lines += ["", "Other sources in the run may have loaded; `safetynet status` shows each source."]
    return Composed(subject, "\n".join(lines) + "\n")
