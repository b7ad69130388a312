"""`safetynet seal SOURCE RECORD_ID`: carry out a sealing notice (warehouse/sealing.py)."""

from __future__ import annotations

import argparse
import getpass

from safetynet.args import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    seal = sub.add_parser(
        "seal", help="remove a sealed source record and all derived from it; a tombstone keeps it out"
    )
    seal.add_argument("source", help="the source as named in config/sources.yaml (e.g. oakland_pd)")
    seal.add_argument("record_id", help="the agency's record id (booking number, youth id, ...)")
    seal.add_argument("--by", default=None, help="who carries out the notice (default: the OS user)")
    seal.add_argument("--reference", default=None, help="the sealing order / notice number, for the audit")
    seal.set_defaults(handler=cmd_seal)


def cmd_seal(args: argparse.Namespace) -> int:
    from integrations.config import load_sources
    from warehouse import Warehouse

    sources = load_sources()
    if args.source not in sources:
        raise CommandError(f"unknown source {args.source!r}; known: {', '.join(sources)}")
    if sources[args.source].kind == "safetynet_clients":
        raise CommandError("the client list is not sealed here: the coordinator removes the client from it")
    warehouse = Warehouse.open()
    result = warehouse.seal(
        args.source, args.record_id, sealed_by=args.by or getpass.getuser(), reference=args.reference
    )
    removed = ", ".join(f"{n} {t}" for t, n in sorted(result.removed.items())) or "nothing stored"
    again = " (already sealed before)" if result.already_sealed else ""
    # the record id is not echoed: the output may end up in a terminal log
    print(f"sealed one {args.source} record{again}: tombstone {result.tombstone_id}; removed {removed}")
    return 0
