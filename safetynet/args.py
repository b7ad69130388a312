"""What every `safetynet` command shares: its user-facing error, argument types and JSON output.

Feature modules (``safetynet/commands/``) import from here, never from ``safetynet.cli``, so the
command registry can import them all without a cycle.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

#: exit status of a usage error (bad argument, unknown source, missing file, malformed config)
EXIT_USAGE = 2


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
