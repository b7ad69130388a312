"""`safetynet packet --meeting DATE --out DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path

from safetynet.args import date_arg


def register(sub: argparse._SubParsersAction) -> None:
    packet = sub.add_parser("packet", help="case-review packet (HTML/PDF + XLSX) for one meeting's agenda")
    packet.add_argument("--meeting", type=date_arg, required=True, help="meeting date (YYYY-MM-DD)")
    packet.add_argument("--out", type=Path, required=True, help="output folder")
    packet.set_defaults(handler=cmd_packet)


def cmd_packet(args: argparse.Namespace) -> int:
    from packets.build import build_packet
    from review.audit import record_command
    from warehouse import Warehouse

    warehouse = Warehouse.open()
    packet = build_packet(warehouse.engine, args.meeting, args.out)
    # the packet shows these youths' records: who printed it, for which meeting (privacy rule 4)
    record_command(
        warehouse.engine,
        action="packet_written",
        subject_type="meeting",
        subject_id=args.meeting.isoformat(),
        clients=packet.client_ids,
        detail=f"{len(packet.files)} files",
    )
    print(f"packet for the meeting of {args.meeting}: {len(packet.client_ids)} youth on the agenda")
    for path in packet.files:
        print(f"  {path}")
    if packet.pdf_note:
        print(f"  {packet.pdf_note}")
    return 0
