"""Reader errors: what was wrong with a delivery file, said without any of its contents."""

from __future__ import annotations

#: every rule id a reader raises (stable: validation reports and alerts are keyed by them)
READER_RULE_IDS = (
    "file.missing",
    "file.empty",
    "file.not_csv",
    "file.encoding",
    "file.malformed",
    "file.truncated",
    "file.unreadable",
    "file.encrypted",
    "schema.missing_columns",
    "schema.duplicate_columns",
    "schema.missing_sheet",
    "reader.internal",
)


class ExtractError(Exception):
    """A delivery file that cannot be read as its source's layout.

    ``rule_id`` is a stable id (``file.empty``, ``schema.missing_columns``...) used by validation
    reports and alerts; the message names the file, sheet, line/row and columns, never cell values.
    ``sheet``, ``row`` and ``columns`` repeat the location for programs (row = CSV physical line or
    Excel row number).
    """

    def __init__(
        self,
        file_name: str,
        rule_id: str,
        message: str,
        how_to_fix: str = "",
        *,
        sheet: str | None = None,
        row: int | None = None,
        columns: tuple[str, ...] = (),
    ) -> None:
        super().__init__(f"{file_name}: {message}")
        self.file_name = file_name
        self.rule_id = rule_id
        self.message = message
        self.how_to_fix = how_to_fix
        self.sheet = sheet
        self.row = row
        self.columns = tuple(columns)
