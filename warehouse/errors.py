"""The one exception this package raises: its message names tables, counts and delivery ids only."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class WarehouseError(Exception):
    """A warehouse operation failed and was rolled back.

    Database driver errors quote the offending parameters (client ids, names), so they are never
    chained into this exception's traceback (``raise ... from None``); ``original_type`` says what
    kind of error it was.
    """

    def __init__(self, message: str, original_type: str | None = None) -> None:
        super().__init__(message)
        self.original_type = original_type


@contextmanager
def rolled_back(what: str) -> Iterator[None]:
    """Re-raise any failure as a data-free WarehouseError (the transaction is already rolled back).

    Driver messages quote parameters (names, ids), so the original is neither chained nor logged;
    only its type is kept.
    """
    try:
        yield
    except WarehouseError:
        raise
    except Exception as exc:
        kind = type(exc).__name__
        log.error("%s failed (%s); rolled back, nothing written", what, kind)
        raise WarehouseError(f"{what} failed ({kind}); rolled back, nothing written", kind) from None
