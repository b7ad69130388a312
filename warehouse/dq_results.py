"""Data-quality results (``dq_results``): one row per rule checked on a delivery, never a cell value."""

from __future__ import annotations

import sqlalchemy as sa

from expectations.report import ValidationReport
from warehouse.models import DqResult


def write_dq_results(conn: sa.Connection, delivery_id: int, report: ValidationReport) -> int:
    """Store the report's rule results for ``delivery_id`` (rule id, severity, counts, row numbers)."""
    results = [
        {
            "delivery_id": delivery_id,
            "rule_id": r.rule_id,
            "description": r.description,
            "severity": r.severity,
            "success": bool(r.success),
            "table_name": r.table,
            "column_name": r.column,
            "unexpected_count": int(r.unexpected_count),
            "row_numbers": [int(n) for n in r.row_numbers],
            "how_to_fix": r.how_to_fix,
        }
        for r in report.results
    ]
    if results:
        conn.execute(sa.insert(DqResult.__table__), results)
    return len(results)
