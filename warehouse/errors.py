"""The one exception this package raises: its message names tables, counts and delivery ids only."""

from __future__ import annotations


class WarehouseError(Exception):
    """A warehouse operation failed and was rolled back.

    Database driver errors quote the offending parameters (client ids, names), so they are never
    chained into this exception's traceback (``raise ... from None``); ``original_type`` says what
    kind of error it was.
    """

    def __init__(self, message: str, original_type: str | None = None) -> None:
        super().__init__(message)
        self.original_type = original_type
