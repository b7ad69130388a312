"""The `safetynet` command: one entry point; each feature registers its commands here.

Every command turns a bad input into one clear line on stderr and exit status 2, never a traceback
(argparse errors, a missing file, a malformed config). Output carries counts and file names only.
The commands themselves live in ``safetynet/commands/``, one module per feature, each with a
``register(sub)`` that adds its sub-commands and sets their ``handler``; shared argument helpers
are in ``safetynet/args.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from integrations.config import ConfigError
from safetynet.args import EXIT_UNAVAILABLE, EXIT_USAGE, CommandError
from safetynet.commands import db, demo, match, packet, report, review, seal, sync, validate
from settings import SettingsError
from settings.files import restrict_umask

#: in `safetynet --help` order
FEATURES = (demo, db, sync, validate, match, review, packet, report, seal)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safetynet", description="SafetyNet Sync: nightly agency extracts -> warehouse"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for feature in FEATURES:
        feature.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # everything the command writes (warehouse, WAL, packets, outbox, var/) is private: 0600 / 0700
    restrict_umask()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (CommandError, ConfigError, SettingsError) as exc:
        print(f"safetynet {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        reason = _unavailable(exc)
        if reason is None:
            raise
        print(f"safetynet {args.command}: {reason}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        print(f"safetynet {args.command}: interrupted", file=sys.stderr)
        return 130


def _unavailable(exc: Exception) -> str | None:
    """One line for a warehouse that is missing, outdated or unreachable; None for anything else.

    A driver's message can quote the server's text and the statement's values, so only the
    exception's type is shown.
    """
    from sqlalchemy.exc import InterfaceError, OperationalError

    from warehouse import WarehouseNotReady

    if isinstance(exc, WarehouseNotReady):
        return str(exc)
    if isinstance(exc, OperationalError | InterfaceError):
        import settings

        return (
            f"cannot use the warehouse at {settings.warehouse_display_url()} "
            f"({type(exc.orig or exc).__name__}); is the database server running and reachable?"
        )
    return None


if __name__ == "__main__":
    raise SystemExit(main())
