"""Reader errors: what was wrong with a delivery file, said without any of its contents."""

from __future__ import annotations


class ExtractError(Exception):
    """A delivery file that cannot be read as its source's layout.

    ``rule_id`` is a stable id (``file.empty``, ``schema.missing_columns``...) used by validation
    reports and alerts; the message names the file, sheet and columns, never cell values.
    """

    def __init__(self, file_name: str, rule_id: str, message: str, how_to_fix: str = "") -> None:
        super().__init__(f"{file_name}: {message}")
        self.file_name = file_name
        self.rule_id = rule_id
        self.message = message
        self.how_to_fix = how_to_fix
