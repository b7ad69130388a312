"""The handlers behind `safetynet COMMAND` (argument parsing is in safetynet/cli.py)."""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from integrations.config import load_sources
from safetynet import settings
from safetynet.cli import CommandError, print_json
from safetynet.status import render_table, source_status
from warehouse import Warehouse

AGENCY_KINDS = ("probation", "social_services", "school_district", "arrest_log")


def cmd_generate(args: argparse.Namespace) -> int:
    from synthetic import generate

    generated = generate(args.out, seed=args.seed, clients=args.clients, scale=args.scale, as_of=args.as_of)
    rows = len(generated.truth_persons)
    print(f"wrote {len(generated.files)} deliveries ({rows} agency person records) under {generated.out_dir}")
    for source, path in generated.files.items():
        print(f"  {source:<20} {path.relative_to(generated.out_dir)}")
    return 0


def _stage_landing(landing_src: Path, landing: Path) -> None:
    """Copy the generated deliveries into the landing zone, as agencies would drop them."""
    for file in sorted(landing_src.rglob("*")):
        if file.is_file():
            dest = landing / file.relative_to(landing_src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, dest)


def sync_until_idle(max_runs: int = 20) -> list:
    """Run the nightly sync until no landing folder has a pending delivery (one file per source per run)."""
    from assets.definitions import build_definitions
    from safetynet.pipeline import pending_files
    from safetynet.runner import dagster_instance, run_nightly_sync

    defs = build_definitions()
    instance = dagster_instance()
    sources = load_sources()
    warehouse = Warehouse(settings.warehouse_url())
    warehouse.migrate()
    runs = []
    for _ in range(max_runs):
        runs.append(run_nightly_sync(defs, instance))
        if not any(pending_files(s, settings.landing_dir(), warehouse) for s in sources.values()):
            break
    return runs


def cmd_sync(args: argparse.Namespace) -> int:
    runs = sync_until_idle()
    for run in runs:
        state = "succeeded" if run.success else f"finished with failed steps: {', '.join(run.failed_steps)}"
        print(f"run {run.run_id}: {state}")
    print(render_table(source_status(load_sources(), Warehouse(settings.warehouse_url()))))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    warehouse = Warehouse(settings.warehouse_url())
    warehouse.migrate()
    status = source_status(load_sources(), warehouse)
    if args.json:
        print_json(status)
    else:
        print(render_table(status))
    return 0


def link_accuracy(warehouse: Warehouse, truth_links: pd.DataFrame) -> dict[str, float | int]:
    """Auto-match precision and recall of the warehouse's links against the generator's truth.

    Recall counts only agency records that reached the warehouse's sources (all truth rows).
    """
    links = warehouse.links_frame()
    made = links[links["decision"] == "match"]
    truth = truth_links[["source", "record_id", "client_id"]].astype(str).drop_duplicates()
    made_pairs = set(map(tuple, made[["source", "record_id", "client_id"]].astype(str).to_numpy()))
    true_pairs = set(map(tuple, truth.to_numpy()))
    correct = len(made_pairs & true_pairs)
    return {
        "auto_matches": len(made_pairs),
        "correct": correct,
        "precision": correct / len(made_pairs) if made_pairs else 1.0,
        "recall": correct / len(true_pairs) if true_pairs else 1.0,
        "review_items": len(
            links.loc[links["decision"] == "review", ["source", "record_id"]].drop_duplicates()
        ),
    }


def cmd_demo(args: argparse.Namespace) -> int:
    from synthetic import generate

    var = settings.var_dir()
    var.mkdir(parents=True, exist_ok=True)
    today = date.today()
    print(
        f"1/3 generating synthetic extracts "
        f"(seed {args.seed}, {args.clients} clients, scale {args.scale}) ..."
    )
    generated = generate(
        var / "synthetic", seed=args.seed, clients=args.clients, scale=args.scale, as_of=today
    )
    _stage_landing(generated.landing_dir, settings.landing_dir())
    from safetynet.demo_alerts import DEMO_LATE_SOURCE, alerts_summary, make_late

    sources = load_sources()
    if DEMO_LATE_SOURCE in sources:  # one agency's export is late: the demo shows its overdue alert
        make_late(sources[DEMO_LATE_SOURCE], settings.landing_dir(), today)
    print(f"2/3 running the nightly sync on {settings.warehouse_url().split(':', 1)[0]} ...")
    runs = sync_until_idle()
    warehouse = Warehouse(settings.warehouse_url())
    status = source_status(load_sources(), warehouse, today=today)
    print("3/3 summary\n")
    print(render_table(status))
    loaded = sorted(
        {
            s["kind"]
            for s in status["sources"]
            if s["last_delivery"] and s["last_delivery"]["status"] == "loaded"
        }
    )
    missing = [k for k in AGENCY_KINDS if k not in loaded]
    acc = link_accuracy(warehouse, generated.truth_links)
    print(
        f"\nagency kinds loaded: {', '.join(k for k in loaded if k in AGENCY_KINDS) or 'none'}"
        + (f" (NOT loaded: {', '.join(missing)})" if missing else "")
    )
    print(
        f"links vs generator truth: {acc['auto_matches']} auto-matches, precision {acc['precision']:.3f}, "
        f"recall {acc['recall']:.3f}; {acc['review_items']} records waiting for review"
    )
    failed = [step for run in runs for step in run.failed_steps]
    if failed:
        print(f"steps that failed: {', '.join(failed)}")
    from alerts.transport import transport_from_env
    from reports.demo import demo_documents  # the packet and the report the team uses

    print(alerts_summary(warehouse, transport_from_env().describe()))
    print("\n" + "\n".join(demo_documents(warehouse.engine, var, today)))
    print(
        f"\nwarehouse: {settings.warehouse_display_url()}"
        f"\nDagster UI: make dev  (DAGSTER_HOME={settings.dagster_home()})"
    )
    if missing:
        print("demo: not every agency kind loaded", file=sys.stderr)
        return 1
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    import logging

    from safetynet.match_files import run_match

    # the matcher reports progress (counts only) through logging; long runs show it on stderr
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    try:
        n = run_match(args.clients, args.records, args.out)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {n} candidate pairs to {args.out}", file=sys.stderr)
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from review.commands import cmd_users as run

    return run(args)


def cmd_seal(args: argparse.Namespace) -> int:
    from safetynet.seal import cmd_seal as run

    return run(args)


def cmd_review(args: argparse.Namespace) -> int:
    from review.commands import cmd_review as run

    return run(args)


def cmd_packet(args: argparse.Namespace) -> int:
    from packets.cli import cmd_packet as run

    return run(args)


def cmd_report(args: argparse.Namespace) -> int:
    from reports.cli import cmd_report as run

    return run(args)


def cmd_train_matcher(args: argparse.Namespace) -> int:
    from safetynet.match_files import train_command

    return train_command(args)
