"""`safetynet generate` and `safetynet demo`: synthetic extracts, and the whole nightly sync run on them.

The demo stages the generated files in the landing zone as agencies would drop them, makes one
source late (so its overdue alert shows), runs the sync until every source is idle, and prints a
summary: per-source status, link accuracy against the generator's truth, where the alerts went,
and the packet and report files the team would receive.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from safetynet.args import date_arg, positive_int
from settings.files import private_dir

if TYPE_CHECKING:
    import pandas as pd

    from integrations.config import SourceConfig
    from warehouse import Warehouse

AGENCY_KINDS = ("probation", "social_services", "school_district", "arrest_log")
#: the demo's late source: its delivery is stamped older than its cadence, so it is overdue
DEMO_LATE_SOURCE = "alameda_so"


def register(sub: argparse._SubParsersAction) -> None:
    gen = sub.add_parser("generate", help="write seeded synthetic agency extracts and their ground truth")
    gen.add_argument("--out", type=Path, required=True, help="output folder (landing/, truth/, canonical/)")
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--clients", type=positive_int, default=200, help="SafetyNet clients on the list")
    gen.add_argument("--scale", type=positive_int, default=10, help="youth in the population per client")
    gen.add_argument(
        "--as-of", type=date_arg, default=None, help="delivery date stamped on the files (default today)"
    )
    gen.set_defaults(handler=cmd_generate)

    demo = sub.add_parser(
        "demo", help="generate synthetic extracts, run the whole nightly sync, print a summary"
    )
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--clients", type=positive_int, default=200)
    demo.add_argument("--scale", type=positive_int, default=10)
    demo.set_defaults(handler=cmd_demo)


def cmd_generate(args: argparse.Namespace) -> int:
    from synthetic import generate

    generated = generate(args.out, seed=args.seed, clients=args.clients, scale=args.scale, as_of=args.as_of)
    rows = len(generated.truth_persons)
    print(f"wrote {len(generated.files)} deliveries ({rows} agency person records) under {generated.out_dir}")
    for source, path in generated.files.items():
        print(f"  {source:<20} {path.relative_to(generated.out_dir)}")
    return 0


def stage_landing(landing_src: Path, landing: Path) -> None:
    """Copy the generated deliveries into the landing zone, as agencies would drop them."""
    for file in sorted(landing_src.rglob("*")):
        if file.is_file():
            dest = landing / file.relative_to(landing_src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, dest)


def make_late(source: SourceConfig, landing: Path, today: date) -> str | None:
    """Re-stamp the source's staged delivery ``cadence + 2`` days back (an export that stopped)."""
    from sync.pipeline import delivery_files

    files = delivery_files(source, landing)
    if not files:
        return None
    stamp = today.strftime("%Y%m%d")
    old = (today - timedelta(days=source.cadence_days + 2)).strftime("%Y%m%d")
    newest = files[-1]
    if stamp in newest.name:
        target = newest.with_name(newest.name.replace(stamp, old))
        if target.exists():
            newest.unlink()  # staged by an earlier demo run already
        else:
            newest.rename(target)
    return old


def alerts_summary(warehouse: Warehouse, transport: str) -> str:
    from alerts.ledger import messages_frame

    frame = messages_frame(warehouse.engine)
    if frame.empty:
        return f"alerts: none ({transport})"
    counts = frame.groupby(["category", "kind"]).size()
    parts = [f"{n} {cat}{' resolved' if kind == 'resolved' else ''}" for (cat, kind), n in counts.items()]
    pending = int((frame["status"] == "pending").sum())
    return (
        f"alerts: {len(frame)} message(s) to {frame['recipient'].nunique()} contact(s) "
        f"({', '.join(parts)}); {pending} pending; sent via {transport}"
    )


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
    import settings
    from alerts.transport import configured_transport
    from assets.runner import sync_until_idle
    from integrations.config import load_sources
    from reports.demo import demo_documents  # the packet and the report the team uses
    from sync.status import render_table, source_status
    from synthetic import generate
    from warehouse import Warehouse

    var = settings.var_dir()
    private_dir(var)
    today = date.today()
    print(
        f"1/3 generating synthetic extracts "
        f"(seed {args.seed}, {args.clients} clients, scale {args.scale}) ..."
    )
    generated = generate(
        var / "synthetic", seed=args.seed, clients=args.clients, scale=args.scale, as_of=today
    )
    stage_landing(generated.landing_dir, settings.landing_dir())
    sources = load_sources()
    if DEMO_LATE_SOURCE in sources:  # one agency's export is late: the demo shows its overdue alert
        make_late(sources[DEMO_LATE_SOURCE], settings.landing_dir(), today)
    print(f"2/3 running the nightly sync on {settings.warehouse_url().split(':', 1)[0]} ...")
    warehouse = Warehouse(settings.warehouse_url())
    warehouse.migrate()  # the demo is its own deployment: it creates (or upgrades) its warehouse
    runs = sync_until_idle()
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
    print(alerts_summary(warehouse, configured_transport().describe()))
    print("\n" + "\n".join(demo_documents(warehouse.engine, var, today)))
    print(
        f"\nwarehouse: {settings.warehouse_display_url()}"
        f"\nDagster UI: make dev  (DAGSTER_HOME={settings.dagster_home()})"
    )
    if missing:
        print("demo: not every agency kind loaded", file=sys.stderr)
        return 1
    return 0
