"""Validation results as the rest of the product sees them: rules, severities, counts, row numbers.

Nothing here ever holds a cell value: a rule result names the rule, the table and the rows
(as the agency numbers them), so it is safe to store, alert on, log and show in Dagster.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["blocking", "warning"]

#: how many row numbers one rule result keeps (the count is always complete)
MAX_ROW_NUMBERS = 200


@dataclass(frozen=True)
class RuleResult:
    rule_id: str  # stable id, e.g. "probation_referrals.dob.parses"
    description: str  # what the rule checks, in words an agency data contact understands
    severity: Severity
    success: bool
    table: str | None = None
    column: str | None = None
    unexpected_count: int = 0
    row_numbers: tuple[int, ...] = ()  # agency row numbers (first MAX_ROW_NUMBERS), never values
    how_to_fix: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["row_numbers"] = list(self.row_numbers)
        return d


@dataclass
class ValidationReport:
    source: str
    file_name: str
    rows_checked: int = 0
    results: list[RuleResult] = field(default_factory=list)

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success]

    @property
    def blocking_failures(self) -> list[RuleResult]:
        return [r for r in self.failures if r.severity == "blocking"]

    @property
    def quarantined(self) -> bool:
        """A blocking failure quarantines the whole delivery: none of its rows go further."""
        return bool(self.blocking_failures)

    @property
    def rows_failing_blocking(self) -> int:
        return sum(r.unexpected_count for r in self.blocking_failures)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "file_name": self.file_name,
            "rows_checked": self.rows_checked,
            "quarantined": self.quarantined,
            "results": [r.to_dict() for r in self.results],
        }
