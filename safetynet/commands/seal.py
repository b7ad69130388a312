"""`safetynet seal SOURCE RECORD_ID`: carry out a sealing notice (warehouse/sealing.py)."""

from __future__ import annotations

import argparse
import getpass
import sys

from safetynet.args import EXIT_ATTENTION, CommandError


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
    from sync.sealing import seal
    from warehouse import Warehouse

    sources = load_sources()
    if args.source not in sources:
        raise CommandError(f"unknown source {args.source!r}; known: {', '.join(sources)}")
    if sources[args.source].kind == "safetynet_clients":
        raise CommandError("the client list is not sealed here: the coordinator removes the client from it")
    warehouse = Warehouse.open()
    reach = seal(
        warehouse,
        sources[args.source],
        args.record_id,
        sealed_by=args.by or getpass.getuser(),
        reference=args.reference,
    )
    result = reach.warehouse
    removed = ", ".join(f"{n} {t}" for t, n in sorted(result.removed.items())) or "nothing stored"
    again = " (already sealed before)" if result.already_sealed else ""
    # the record id is not echoed: the output may end up in a terminal log
    print(f"sealed one {args.source} record{again}: tombstone {result.tombstone_id}; removed {removed}")
    print(
        f"  kept delivery files rewritten without it: {reach.files_rewritten} "
        f"({reach.rows_dropped_from_files} rows)"
    )
    if reach.files_deleted:
        print(f"  kept delivery files deleted whole (not readable as their layout): {reach.files_deleted}")
    if reach.files_waiting_in_landing:
        print(
            f"  {reach.files_waiting_in_landing} {args.source} file(s) still wait in the landing zone: "
            "their load drops its rows and they are archived without them"
        )
    if reach.packet_files_deleted:
        meetings = ", ".join(m.isoformat() for m in reach.packet_meetings)
        print(
            f"  packet files deleted: {reach.packet_files_deleted} (meetings {meetings}); "
            "print them again with safetynet packet --meeting DATE --out DIR"
        )
    storage = reach.storage
    if storage.get("wal_truncated") is False:
        print(
            "  the database's WAL could not be truncated (a reader kept it open); run safetynet seal again",
            file=sys.stderr,
        )
        return EXIT_ATTENTION
    print("  database files scrubbed: " + ", ".join(f"{k} {v}" for k, v in storage.items()))
    return 0
