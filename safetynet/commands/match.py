"""`safetynet match` and `safetynet train-matcher`: the matcher on two canonical person CSV files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from safetynet.args import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    match = sub.add_parser("match", help="link a records CSV to a clients CSV (canonical person schema)")
    match.add_argument("--clients", type=Path, required=True)
    match.add_argument("--records", type=Path, required=True)
    match.add_argument("--out", type=Path, required=True)
    match.set_defaults(handler=cmd_match)

    train = sub.add_parser(
        "train-matcher", help="fit the matcher's m/u (plus reviewer decisions), save a new version"
    )
    train.add_argument("--clients", type=Path, required=True)
    train.add_argument("--records", type=Path, required=True)
    train.add_argument("--no-labels", action="store_true", help="ignore the warehouse's reviewer decisions")
    train.add_argument("--out-dir", type=Path, help="default $SAFETYNET_MATCHER_PARAMS_DIR or var/matcher")
    train.set_defaults(handler=cmd_train_matcher)


def cmd_match(args: argparse.Namespace) -> int:
    import logging

    from sync.match_files import run_match

    # the matcher reports progress (counts only) through logging; long runs show it on stderr
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    try:
        n = run_match(args.clients, args.records, args.out)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {n} candidate pairs to {args.out}", file=sys.stderr)
    return 0


def cmd_train_matcher(args: argparse.Namespace) -> int:
    """Fit m/u, refine with the warehouse's reviewer decisions, save and publish; print the version."""
    import settings
    from sync.match_files import run_train
    from warehouse import schema

    url = None if args.no_labels else settings.warehouse_url()
    file = settings.current().sqlite_file
    if url and file is not None and not file.is_file():
        url = None  # no warehouse yet, so no reviewer decisions
    if url:
        schema.require_current(url)  # an outdated warehouse: say so rather than read it wrongly
    try:
        doc = run_train(args.clients, args.records, url, args.out_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    t = doc["trained_on"]
    print(
        f"matcher parameters {doc['version']} saved and current (trained on {t['records']} records, "
        f"{t['clients']} clients, {t['labels_same_person']} same-person and "
        f"{t['labels_not_this_person']} not-this-person decisions)"
    )
    return 0
