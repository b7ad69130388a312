"""What every `safetynet` command shares: its user-facing error, argument types and JSON output.

Feature modules (``safetynet/commands/``) import from here, never from ``safetynet.cli``, so the
command registry can import them all without a cycle.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

# Exit statuses of every `safetynet` command (README "Exit statuses"), for schedulers and scripts.
EXIT_OK = 0
#: the command ran, and what it found needs a person: a sync step failed, a source is overdue,
#: quarantined or stuck (`status`), a file would be quarantined (`validate`)
EXIT_ATTENTION = 1
#: a usage error: bad argument, unknown source, missing file, malformed config or settings
EXIT_USAGE = 2
#: an unexpected error inside the command (its type is printed, never its message)
EXIT_INTERNAL = 3
#: the warehouse is missing, its schema is not this version's, or it cannot be reached
EXIT_UNAVAILABLE = 4


class CommandError(Exception):
    """A user-facing failure: the message is printed as is, without a traceback."""


def date_arg(text: str) -> date:
    """An argparse type: an ISO date (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, default=str))
