"""`safetynet sync` and `safetynet status`: run the nightly sync now; what each source last delivered."""

from __future__ import annotations

import argparse
import sys

from safetynet.args import EXIT_ATTENTION, EXIT_OK, print_json


def register(sub: argparse._SubParsersAction) -> None:
    sync = sub.add_parser("sync", help="run the nightly sync once now, in this process")
    sync.set_defaults(handler=cmd_sync)
    status = sub.add_parser(
        "status", help="per source: last delivery, rows read and quarantined, matches, review"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output (keys in README)")
    status.set_defaults(handler=cmd_status)


def cmd_sync(args: argparse.Namespace) -> int:
    """Exit 0 when every step of every run succeeded, 1 when one failed (the operator is e-mailed)."""
    from assets.runner import sync_until_idle
    from integrations.config import load_sources
    from sync.status import render_table, source_status
    from warehouse import Warehouse

    runs = sync_until_idle()
    for run in runs:
        if run.success:
            print(f"run {run.run_id}: succeeded")
        else:
            steps = ", ".join(f"{step} ({error})" for step, error in run.failures) or "the run itself"
            print(f"run {run.run_id}: FAILED: {steps}")
    print(render_table(source_status(load_sources(), Warehouse.open())))
    failed = [run for run in runs if not run.success]
    if failed:
        alerted = all(run.operator_alerted for run in failed)
        print(
            f"safetynet sync: {len(failed)} run(s) with failed steps; "
            + ("the operator was e-mailed" if alerted else "the operator alert could NOT be recorded"),
            file=sys.stderr,
        )
        return EXIT_ATTENTION
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """Exit 0 when every source is fine, 1 when one is overdue, quarantined or has a stuck delivery."""
    from integrations.config import load_sources
    from sync.status import needs_attention, render_table, source_status
    from warehouse import Warehouse

    warehouse = Warehouse.open()
    status = source_status(load_sources(), warehouse)
    if args.json:
        print_json(status)
    else:
        print(render_table(status))
    attention = needs_attention(status)
    if attention:
        print(
            f"safetynet status: {len(attention)} source(s) need attention: " + "; ".join(attention),
            file=sys.stderr,
        )
        return EXIT_ATTENTION
    return EXIT_OK
