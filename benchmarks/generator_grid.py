"""Our matcher and Splink side by side over a grid of generator settings, not at one point.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/generator_grid.py                       # every point, ~35,000 rows each
    .venv/bin/python benchmarks/generator_grid.py --points default,worst --clients 500 --scale 20

Each grid point is a ``synthetic.knobs.GeneratorKnobs`` setting: twin rate, share of agency records
without a DOB, share that moved (another address than the client list's), given-name change (a
nickname, the middle name as given name, or an unrelated given name; "low" and "high" below), and for
one point more same-name parents and siblings. Every point uses the same seed, clients and scale, so
points differ only by their knobs. A data set is written once with ``synthetic.generate_canonical``
under ``--work``/<point>/data (again only when its knobs change), then ``benchmarks/match_vs_splink.py``
runs both matchers on it, each in its own child process, and scores them as it does for every data
set: ours at its default thresholds, Splink at its best F1 over every threshold.

Printed at the end: one Markdown table, a row per grid point (``--json`` also writes the rows),
then per point our matcher's run statistics (decisions, relatives check, counters such as how often
each safety-net cap fired); ``--details`` adds what holds rows in review and which fields differ.
The "realized" column shows what a point's knobs did to the true links' records (blank DOB, another
address, another given name than the client's), measured on the written files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.match_vs_splink import bench  # noqa: E402 (after the path is set)
from synthetic import generate_canonical  # noqa: E402
from synthetic.knobs import GeneratorKnobs  # noqa: E402

AS_OF = date(2026, 11, 22)
NAME_CHANGE = {"low": 0.05, "high": 0.2}


def _point(twins: float, dob_missing: float, moves: float, names: str, **more: float) -> GeneratorKnobs:
    return GeneratorKnobs(
        twin_rate=twins,
        dob_missing=dob_missing,
        move_rate=moves,
        given_name_change=NAME_CHANGE[names],
        **more,
    )


#: name -> knobs. "default" is the demo's data; the others sweep twin rate {0, 3.3%, 8%} x DOB missing
#: {2%, 25%} x moves {10%, 40%} x given-name change {low 5%, high 20%} at 11 of the 24 corners, one
#: axis at a time from the base point, then the hard corners together.
GRID: dict[str, GeneratorKnobs] = {
    "default": GeneratorKnobs(),
    "base": _point(0.033, 0.02, 0.10, "low"),
    "no_twins": _point(0.0, 0.02, 0.10, "low"),
    "twins_8": _point(0.08, 0.02, 0.10, "low"),
    "dob_missing_25": _point(0.033, 0.25, 0.10, "low"),
    "moves_40": _point(0.033, 0.02, 0.40, "low"),
    "names_high": _point(0.033, 0.02, 0.10, "high"),
    "dob_missing_moves": _point(0.033, 0.25, 0.40, "low"),
    "twins_8_dob_missing": _point(0.08, 0.25, 0.10, "low"),
    "no_twins_hard": _point(0.0, 0.25, 0.40, "high"),
    "worst": _point(0.08, 0.25, 0.40, "high"),
    # generations and siblings in one household where DOBs are often blank: a "Jr" look-alike
    "families": _point(
        0.08, 0.25, 0.10, "low", junior_rate_male=0.1, junior_rate_female=0.02, sibling_rate=0.8
    ),
}


def _describe(knobs: GeneratorKnobs) -> str:
    def pct(v: float | None) -> str:
        return "kind" if v is None else f"{100 * v:g}%"

    text = (
        f"twins {pct(knobs.twin_rate)}, DOB blank {pct(knobs.dob_missing)}, moves {pct(knobs.move_rate)}, "
        f"names {pct(knobs.given_name_change)}"
    )
    extra = {
        k: v
        for k, v in knobs.changed().items()
        if k not in ("twin_rate", "dob_missing", "move_rate", "given_name_change")
    }
    return text + "".join(f", {k} {v:g}" for k, v in extra.items())


def ensure_data(target: Path, knobs: GeneratorKnobs, clients: int, scale: int, seed: int) -> Path:
    """The point's canonical data set, written unless the same knobs and size are already there."""
    spec = {"knobs": asdict(knobs), "clients": clients, "scale": scale, "seed": seed, "as_of": str(AS_OF)}
    stamp = target / "knobs.json"
    if (target / "truth.csv").is_file() and stamp.is_file() and json.loads(stamp.read_text()) == spec:
        return target
    generate_canonical(target, seed=seed, clients=clients, scale=scale, as_of=AS_OF, knobs=knobs)
    stamp.write_text(json.dumps(spec, indent=2))
    return target


def realized(data: Path) -> dict[str, float]:
    """Shares of the true links' records with a blank DOB, another address, another given name."""
    truth = pd.read_csv(data / "truth.csv", dtype=str)
    cols = ["first_name", "dob", "address"]
    rec = pd.read_csv(data / "records.csv", dtype=str, keep_default_na=False, usecols=["record_id", *cols])
    cli = pd.read_csv(data / "clients.csv", dtype=str, keep_default_na=False, usecols=["client_id", *cols])
    pairs = truth.merge(rec, on="record_id").merge(cli, on="client_id", suffixes=("", "_client"))
    if pairs.empty:
        return {"dob_blank": 0.0, "moved": 0.0, "given_differs": 0.0}

    def differs(col: str) -> pd.Series:
        return pairs[col].str.strip().str.lower() != pairs[f"{col}_client"].str.strip().str.lower()

    return {
        "dob_blank": float((pairs["dob"] == "").mean()),
        "moved": float(differs("address").mean()),
        "given_differs": float(differs("first_name").mean()),
    }


def run_point(name: str, knobs: GeneratorKnobs, args: argparse.Namespace) -> dict:
    start = time.perf_counter()
    data = ensure_data(args.work / name / "data", knobs, args.clients, args.scale, args.seed)
    generated_s = time.perf_counter() - start
    result = bench(data, args.work / name / "runs", args.rescore)
    rows, sections = result["rows"], result.get("sections", {})
    ours = next(r for r in rows if r["matcher"] == "ours")
    splink = next(r for r in rows if r["matcher"] == "splink")
    return {
        "point": name,
        "knobs": _describe(knobs),
        "records": ours["records"],
        "clients": ours["clients"],
        "true_links": ours["true_links"],
        "realized": realized(data),
        "generate_s": generated_s,
        "ours": {k: ours.get(k) for k in _KEEP},
        "splink": {k: splink.get(k) for k in _KEEP},
        "sections": sections,
    }


_KEEP = (
    "precision",
    "recall",
    "f1",
    "review_records",
    "review_items",
    "recall_after_review",
    "wall_s",
    "peak_mb",
)


def print_table(points: list[dict]) -> None:
    print(
        "| grid point | knobs | records x clients | true links | realized: DOB blank / moved / given name "
        "| ours P / R / F1 | queue (% of true links) | review items, one per youth | recall after review "
        "| Splink best F1 | ours F1 - Splink | wall ours / Splink | peak memory ours / Splink |"
    )
    print("| --- " * 13 + "|")
    for p in points:
        o, s, z = p["ours"], p["splink"], p["realized"]
        queue = f"{o['review_records']:,} ({100 * o['review_records'] / max(p['true_links'], 1):.1f}%)"
        n = o.get("review_items")
        items = "-" if n is None else f"{n:,} ({100 * n / max(p['true_links'], 1):.1f}%)"
        print(
            f"| {p['point']} | {p['knobs']} | {p['records']:,} x {p['clients']:,} | {p['true_links']:,} "
            f"| {100 * z['dob_blank']:.0f}% / {100 * z['moved']:.0f}% / {100 * z['given_differs']:.0f}% "
            f"| {o['precision']:.4f} / {o['recall']:.4f} / {o['f1']:.4f} | {queue} | {items} "
            f"| {o['recall_after_review']:.4f} | {s['f1']:.4f} | {o['f1'] - s['f1']:+.4f} "
            f"| {o['wall_s']:.1f} s / {s['wall_s']:.1f} s | {o['peak_mb']:.0f} MB / {s['peak_mb']:.0f} MB |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", help=f"comma-separated grid points (default: all of {', '.join(GRID)})")
    ap.add_argument("--clients", type=int, default=1500, help="clients per data set (default 1500)")
    ap.add_argument("--scale", type=int, default=25, help="population per client (default 25: ~35,000 rows)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--work", type=Path, default=ROOT / "var" / "bench" / "grid", help="data and runs go here"
    )
    ap.add_argument("--json", type=Path, help="also write the table's rows as JSON here")
    ap.add_argument("--rescore", action="store_true", help="score the pairs a previous run left in --work")
    ap.add_argument(
        "--details",
        action="store_true",
        help="after the table, per point: what holds our rows in review and which fields differ",
    )
    args = ap.parse_args()
    names = args.points.split(",") if args.points else list(GRID)
    unknown = [n for n in names if n not in GRID]
    if unknown:
        raise SystemExit(f"unknown grid point(s): {', '.join(unknown)}; known: {', '.join(GRID)}")
    points = []
    for name in names:
        points.append(run_point(name, GRID[name], args))
        print_table(points[-1:])
        sys.stdout.flush()
    print()
    print_table(points)
    for p in points:  # how often each safety-net rule and cap fired, from our matcher's LinkStats
        print(f"\n{p['point']}: {p['sections'].get('stats', '(no stats)')}")
        if args.details:
            print()
            print(p["sections"].get("held", ""))
            print()
            print(p["sections"].get("patterns", ""))
    if args.json:
        args.json.write_text(json.dumps(points, indent=2))


if __name__ == "__main__":
    main()
