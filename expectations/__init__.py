"""Data-quality checks of agency deliveries: one Great Expectations suite per source kind.

Public API (see docs/CONTRACTS.md, "Validation"):

- ``validate(extract, source_config, recent_row_counts=(), today=None) -> ValidationReport``
- ``reader_error_report(source, file_name, err) -> ValidationReport``
- ``all_rules(kind) -> list[Rule]``: every rule id, severity and text of a kind
- ``warm_up()``: optional, import GX and build every suite ahead of the first delivery

Modules: ``rules`` (ids, severities, texts), ``suites`` (GX suite per kind and table),
``derived`` (helper columns), ``gx_runner`` (the GX wrapper), ``validation`` (orchestration).
Importing this package does not import Great Expectations (that costs seconds); the first
``validate`` call does.
"""

from expectations.report import MAX_ROW_NUMBERS, RuleResult, Severity, ValidationReport
from expectations.rules import Rule
from expectations.suites import all_rules, warm_up
from expectations.validation import reader_error_report, validate

__all__ = [
    "MAX_ROW_NUMBERS",
    "Rule",
    "RuleResult",
    "Severity",
    "ValidationReport",
    "all_rules",
    "reader_error_report",
    "validate",
    "warm_up",
]
