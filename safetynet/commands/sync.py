"""`safetynet sync` and `safetynet status`: run the nightly sync now; what each source last delivered."""

from __future__ import annotations

import argparse

from safetynet.args import print_json


def register(sub: argparse._SubParsersAction) -> None:
    sync = sub.add_parser("sync", help="run the nightly sync once now, in this process")
    sync.set_defaults(handler=cmd_sync)
    status = sub.add_parser(
        "status", help="per source: last delivery, rows read and quarantined, matches, review"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output (keys in README)")
    status.set_defaults(handler=cmd_status)


def cmd_sync(args: argparse.Namespace) -> int:
    from assets.runner import sync_until_idle
    from integrations.config import load_sources
    from settings import warehouse_url
    from sync.status import render_table, source_status
    from warehouse import Warehouse

    runs = sync_until_idle()
    for run in runs:
        state = "succeeded" if run.success else f"finished with failed steps: {', '.join(run.failed_steps)}"
        print(f"run {run.run_id}: {state}")
    print(render_table(source_status(load_sources(), Warehouse(warehouse_url()))))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from integrations.config import load_sources
    from settings import warehouse_url
    from sync.status import render_table, source_status
    from warehouse import Warehouse

    warehouse = Warehouse(warehouse_url())
    warehouse.migrate()
    status = source_status(load_sources(), warehouse)
    if args.json:
        print_json(status)
    else:
        print(render_table(status))
    return 0
