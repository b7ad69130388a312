"""The `safetynet` command: generate, demo, sync, status, validate, match, users, review.

Every command turns a bad input into one clear line on stderr and exit status 2, never a traceback
(argparse errors, a missing file, a malformed config). Output carries counts and file names only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from integrations.config import ConfigError

EXIT_USAGE = 2


class CommandError(Exception):
    """A user-facing failure: the message is printed as is, without a traceback."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safetynet", description="SafetyNet Sync: nightly agency extracts -> warehouse"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="write seeded synthetic agency extracts and their ground truth")
    gen.add_argument("--out", type=Path, required=True, help="output folder (landing/, truth/, canonical/)")
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--clients", type=_positive, default=200, help="SafetyNet clients on the list")
    gen.add_argument("--scale", type=_positive, default=10, help="youth in the population per client")
    gen.add_argument(
        "--as-of", type=_date, default=None, help="delivery date stamped on the files (default today)"
    )

    demo = sub.add_parser(
        "demo", help="generate synthetic extracts, run the whole nightly sync, print a summary"
    )
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--clients", type=_positive, default=200)
    demo.add_argument("--scale", type=_positive, default=10)

    sub.add_parser("sync", help="run the nightly sync once now, in this process")

    status = sub.add_parser(
        "status", help="per source: last delivery, rows read and quarantined, matches, review"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output (keys in README)")

    from safetynet.validate_command import add_parser as add_validate

    add_validate(sub, _date)

    match = sub.add_parser("match", help="link a records CSV to a clients CSV (canonical person schema)")
    match.add_argument("--clients", type=Path, required=True)
    match.add_argument("--records", type=Path, required=True)
    match.add_argument("--out", type=Path, required=True)

    from review.commands import add_parsers as add_review_parsers  # users, review

    add_review_parsers(sub)
    from packets.cli import add_parser as add_packet  # issue 6: packets, report, seal
    from reports.cli import add_parser as add_report
    from safetynet.seal import add_parser as add_seal

    for add in (add_packet, add_report, add_seal):
        add(sub)

    train = sub.add_parser(
        "train-matcher", help="fit the matcher's m/u (plus reviewer decisions), save a new version"
    )
    train.add_argument("--clients", type=Path, required=True)
    train.add_argument("--records", type=Path, required=True)
    train.add_argument("--no-labels", action="store_true", help="ignore the warehouse's reviewer decisions")
    train.add_argument("--out-dir", type=Path, help="default $SAFETYNET_MATCHER_PARAMS_DIR or var/matcher")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from safetynet import commands  # imported late: `safetynet --help` stays fast

    handler = getattr(commands, f"cmd_{args.command.replace('-', '_')}", None)
    if handler is None and args.command == "validate":
        from safetynet.validate_command import cmd_validate as handler
    try:
        return handler(args)
    except (CommandError, ConfigError) as exc:
        print(f"safetynet {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"safetynet {args.command}: interrupted", file=sys.stderr)
        return 130


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, default=str))


if __name__ == "__main__":
    raise SystemExit(main())
