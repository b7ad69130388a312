"""``validate``: one delivery against its kind's suites; ``reader_error_report`` for unreadable files."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import date

import pandas as pd

from expectations import derived, rules
from expectations.gx_runner import Outcome, run_suite
from expectations.report import RuleResult, ValidationReport
from expectations.rules import BLOCKING, Rule
from expectations.suites import presence_rules, table_suite
from integrations.config import SourceConfig
from integrations.errors import ExtractError
from integrations.extract import Extract
from integrations.kinds import ROW_NUMBER, TableSpec, kind


def _result(rule: Rule, source: SourceConfig | None, outcome: Outcome, **extra: str) -> RuleResult:
    description, how_to_fix = rule.render(source, **extra)
    if outcome.errored:
        description += " (The check could not run on this delivery; the SafetyNet team has been told.)"
    return RuleResult(
        rule_id=rule.rule_id,
        description=description,
        severity=rule.severity,
        success=outcome.success,
        table=rule.table,
        column=rule.column,
        unexpected_count=outcome.unexpected_count,
        row_numbers=outcome.row_numbers,
        how_to_fix=how_to_fix,
    )


def _work_frame(frame: pd.DataFrame, table: TableSpec) -> pd.DataFrame:
    """The table with every canonical column (absent ones as all-missing) and a 0..n-1 index."""
    if ROW_NUMBER not in frame.columns:
        # a reader contract breach, not an agency error: without row numbers no result can point at a row
        raise ValueError(f"table {table.name} has no {ROW_NUMBER} column")
    add: dict[str, pd.Series] = {}
    for c in table.columns:
        if c.name not in frame.columns:
            dtype = (
                "datetime64[ns]" if c.type in ("date", "datetime") else "Int64" if c.type == "int" else object
            )
            add[c.name] = pd.Series(None, index=frame.index, dtype=dtype)
        if c.type in ("date", "datetime", "int") and f"_unparsed_{c.name}" not in frame.columns:
            add[f"_unparsed_{c.name}"] = pd.Series(None, index=frame.index, dtype=object)
    if add:
        frame = pd.concat([frame, pd.DataFrame(add, index=frame.index)], axis=1)
    if not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1):
        frame = frame.reset_index(drop=True)
    return frame


def _validate_table(
    extract: Extract, source: SourceConfig | None, table: TableSpec, ctx: derived.RunContext
) -> list[RuleResult]:
    frame = extract.tables.get(table.name)
    if frame is None and table.optional and (source is None or table.name not in source.tables):
        return []  # a table this source does not deliver (its config does not map it)
    if frame is None:
        return [_result(rules.table_present(table.name), source, Outcome(success=False))]
    results = [_result(rules.table_present(table.name), source, Outcome(success=True))]
    missing = {
        c for c in (r.column for r in presence_rules(extract.kind, table.name)) if c not in frame.columns
    }
    for rule in presence_rules(extract.kind, table.name):
        results.append(_result(rule, source, Outcome(success=rule.column not in missing)))
    ts = table_suite(extract.kind, table.name)
    work = derived.add_helpers(_work_frame(frame, table), ts.helpers, ctx, ts.clients_table, table)
    # GX gets only the columns its expectations read: less to hash and copy, and no names or addresses
    work = derived.encode_for_gx(work[list(ts.columns)], table)
    outcomes = run_suite(f"{extract.kind}.{table.name}", ts.suite, work)
    for check in ts.checks:
        rule = check.rule
        # a missing column is reported once, by its ``present`` rule, not again by every rule on it
        if rule.column in missing or rule.other_column in missing:
            continue
        outcome = outcomes.get(rule.rule_id, Outcome(success=False, errored=True))
        results.append(_result(rule, source, outcome))
    return results


def _row_count_result(extract: Extract, source: SourceConfig | None, recent: list[int]) -> RuleResult:
    rows = extract.rows_read
    median = statistics.median(recent)
    low, high = rules.ROW_COUNT_LOW * median, rules.ROW_COUNT_HIGH * median
    ok = low <= rows <= high
    detail = (
        f"The delivery has {rows:,} rows; recent good deliveries had a median of {median:,.0f} "
        f"(expected {low:,.0f} to {high:,.0f})."
    )
    if not ok:
        detail += " It may be incomplete, filtered differently, or contain duplicated data."
    return _result(rules.row_count_in_range(), source, Outcome(success=ok), detail=detail)


def validate(
    extract: Extract,
    source_config: SourceConfig | None,
    recent_row_counts: Iterable[int] = (),
    today: date | None = None,
) -> ValidationReport:
    """Check one delivery against its kind's suite; blocking failures quarantine it.

    ``recent_row_counts``: rows read of the source's previous good deliveries (any order); the
    row-count rule is only checked when there is at least one. ``today`` is the day "future" is
    measured from (default: the real today). The report carries no cell value of the extract.
    """
    today = today or date.today()
    spec = kind(extract.kind)
    ctx = derived.RunContext(
        today=today, as_of=extract.delivered_on or today, kind=spec.name, tables=extract.tables
    )
    report = ValidationReport(
        source=extract.source, file_name=extract.file.name, rows_checked=extract.rows_read
    )
    for table in spec.tables:
        report.results.extend(_validate_table(extract, source_config, table, ctx))
    recent = [int(n) for n in recent_row_counts if n and int(n) > 0]
    if recent:
        report.results.append(_row_count_result(extract, source_config, recent))
    return report


def reader_error_report(source: str, file_name: str, err: ExtractError) -> ValidationReport:
    """A file the reader could not read: one blocking rule named by the reader's ``rule_id``.

    The reader's message names the file, sheet and columns only (``ExtractError`` contract).
    """
    result = RuleResult(
        rule_id=err.rule_id,
        description=err.message,
        severity=BLOCKING,
        success=False,
        how_to_fix=err.how_to_fix,
    )
    return ValidationReport(source=source, file_name=file_name, rows_checked=0, results=[result])
