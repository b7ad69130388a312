"""Our matcher against Splink 5 (DuckDB backend) on the same canonical person CSVs, in one run.

    .venv/bin/pip install -e '.[bench]'          # splink, duckdb, psutil, pseudopeople
    .venv/bin/python benchmarks/match_vs_splink.py --febrl4 --pseudopeople     # every small data set
    .venv/bin/python benchmarks/match_vs_splink.py --data DIR [--data DIR ...]
    .venv/bin/python benchmarks/match_vs_splink.py --generate 2000:62 --generate 50000:25

A data set is a folder with clients.csv, records.csv (canonical person schema) and truth.csv
(record_id, client_id: the true links). ``--febrl4`` is ../shared/benchmarks/febrl4;
``--pseudopeople`` adds every task of benchmarks/pseudopeople_tasks.py (written under
var/bench/pseudopeople/ first if missing); ``--generate CLIENTS:SCALE`` writes one with our seeded
generator (synthetic.generate_canonical, seed 7) under var/bench/. All of them run in one invocation.

Each matcher runs in its own child process (this script with ``--worker``). Wall time runs from the
child's start to the moment its pairs are written (Python start-up, imports, reading, training and
writing included; the benchmark's own bookkeeping afterwards excluded). Peak memory is that of the
whole process tree: the resident memory of the child and all its descendants (ours: its worker
processes), summed and sampled every 20 ms, and never less than any one process's own high-water
mark (VmHWM) reported as it ends.

Ours is scored at its default thresholds (config/matching.yaml), as `safetynet match` runs on a fresh
install (m/u estimated on the run's own data): auto-match = decision "match". Splink has no decision
rule of its own, so it gets the benefit of the doubt: its threshold is swept over the predicted
probabilities and its best F1 is reported with that threshold, both as plain pairs above the
threshold and restricted to each record's best client (whichever scores higher). Its "review queue"
is the records whose best pair lies in [our review threshold, its best threshold).

Printed for each data set, as Markdown to paste into a note: precision / recall / F1 of auto-matches,
the review queue (records waiting for a person; % of the true links), recall once that queue is
resolved correctly, wall time, peak memory; for ours, what holds rows in review (decision rule by
rule, from the matcher's own stats and explanations) and, for both, which fields differ on the true
links that were held or missed (recall_breakdown.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from recall_breakdown import difference_patterns, held_table, patterns_table, reasons_for_held  # noqa: E402

SAMPLE_SECONDS = 0.02


def febrl4_dir() -> Path:
    """../shared/benchmarks/febrl4 from the checkout (worktrees sit one level deeper)."""
    for parent in ROOT.parents:
        candidate = parent / "shared" / "benchmarks" / "febrl4"
        if candidate.is_dir():
            return candidate
    raise SystemExit("FEBRL4 not found: expected ../shared/benchmarks/febrl4 beside the checkout")


# ---------------------------------------------------------------- workers (run in a child process)


def run_ours(data: Path, out: Path) -> None:
    """Exactly what `safetynet match --clients --records --out` does (sync.match_files), keeping a
    reference to the matcher and its pairs for the report written after the timed part."""
    import matchers
    from sync.match_files import match_files

    made: dict = {}
    make = matchers.default_matcher

    def keeping_matcher(*args, **kwargs):
        # link() is wrapped on the class, not the instance: the matcher is pickled to its worker
        # processes, and a closure in its __dict__ would not pickle.
        matcher = make(*args, **kwargs)
        cls, link = type(matcher), type(matcher).link

        def link_and_keep(self, *a, **k):
            made["links"] = link(self, *a, **k)
            return made["links"]

        cls.link = link_and_keep
        made["matcher"] = matcher
        return matcher

    matchers.default_matcher = keeping_matcher
    _, stats = match_files(data / "clients.csv", data / "records.csv", out)
    _mark_done(out)
    matcher, links = made["matcher"], made["links"]
    report = asdict(stats)
    try:
        held = reasons_for_held(links, matcher.decide_config)
        held.to_csv(out.with_suffix(".held.csv"), index=False)
    except Exception as exc:  # the lead's matcher may change what this reads; say so, do not fail
        report["held_reasons_error"] = f"{type(exc).__name__}: {exc}"
    out.with_suffix(".stats.json").write_text(json.dumps(report, default=str))


def run_splink(data: Path, out: Path) -> None:
    from peer_splink import run_splink as link

    link(data, out)
    _mark_done(out)


def _mark_done(out: Path) -> None:
    """The end of the timed part: epoch time and this process's own peak memory (VmHWM, KiB)."""
    t = time.time()
    vmhwm = 0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                vmhwm = int(line.split()[1])
    out.with_suffix(".done").write_text(json.dumps({"t": t, "vmhwm_kib": vmhwm}))


# ---------------------------------------------------------------- measuring


def _tree_rss(proc) -> int:
    """Resident bytes of a process and all its descendants, now."""
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(worker: str, data: Path, out: Path) -> dict[str, float]:
    """Run one worker in a child process; its wall time (s) and the tree's peak memory (MB)."""
    import psutil

    # Ours scores as `safetynet match` does on a fresh install: m/u estimated on the run's own data,
    # never parameters a developer once trained under var/matcher.
    env = {**os.environ, "SAFETYNET_MATCHER_PARAMS_DIR": str(out.parent / "no_trained_parameters")}
    out.with_suffix(".done").unlink(missing_ok=True)
    start = time.time()
    child = subprocess.Popen(
        [sys.executable, __file__, "--worker", worker, "--data", str(data), "--out", str(out)],
        cwd=ROOT,
        env=env,
    )
    proc = psutil.Process(child.pid)
    peak = 0
    done = out.with_suffix(".done")
    while child.poll() is None:
        if not done.exists():  # after the timed part the bookkeeping's memory is not the matcher's
            try:
                peak = max(peak, _tree_rss(proc))
            except psutil.Error:
                pass
        time.sleep(SAMPLE_SECONDS)
    if child.returncode != 0:
        raise SystemExit(f"{worker} failed with exit code {child.returncode}")
    mark = json.loads(done.read_text())
    stats_file = out.with_suffix(".stats.json")
    worker_kib = json.loads(stats_file.read_text()).get("worker_peak_kib", 0) if stats_file.is_file() else 0
    # A short spike between two samples is still seen by a process's own high-water mark.
    peak_kib = max(peak // 1024, mark["vmhwm_kib"], worker_kib)
    cost = {"wall_s": mark["t"] - start, "peak_mb": peak_kib / 1024}
    out.with_suffix(".cost.json").write_text(json.dumps(cost))
    return cost


def _truth(data: Path) -> pd.DataFrame:
    return pd.read_csv(data / "truth.csv", dtype=str)


def _prf(pairs: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(pairs & truth)
    p = tp / len(pairs) if pairs else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["record_id"].astype(str), frame["client_id"].astype(str), strict=True))


def review_items(data: Path, review: pd.DataFrame) -> int:
    """How many items the queued rows make in the review app: one per youth (review.grouping, the
    app's own grouping of open rows by identity tokens: one decision however many rows she has)."""
    from matchers.identity import identities
    from review.grouping import partition

    if review.empty:
        return 0
    queued = review.sort_values("score", ascending=False).drop_duplicates("record_id")
    records = pd.read_csv(data / "records.csv", dtype=str, keep_default_na=False)
    rows = records.set_index("record_id").loc[queued["record_id"].astype(str)].reset_index()
    found = identities(rows, key=b"benchmark")
    groups = partition([(k, ident.to_json()) for k, ident in enumerate(found)])
    return len(set(groups.values()))


def evaluate_ours(links: pd.DataFrame, truth: set[tuple[str, str]], data: Path | None = None) -> dict:
    match = links[links["decision"] == "match"]
    p, r, f1 = _prf(_pairs(match), truth)
    review = links[(links["decision"] == "review") & ~links["record_id"].isin(match["record_id"])]
    held = _pairs(review) & truth  # a person confirms the true pair in the queue
    found = _pairs(match) | held
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "threshold": float("nan"),
        "review_records": int(review["record_id"].nunique()),
        "review_items": review_items(data, review) if data is not None else None,
        "recall_after_review": len(found & truth) / len(truth) if truth else 1.0,
        "held_true": held,
        "missed_true": truth - found,
    }


def evaluate_splink(pred: pd.DataFrame, truth: set[tuple[str, str]], review_threshold: float) -> dict:
    """Best F1 over thresholds, as all pairs above it or each record's best client above it."""
    pred = pred.sort_values("score", ascending=False, kind="stable")
    best_per_record = pred.drop_duplicates("record_id")
    best: dict = {"f1": -1.0, "threshold": 1.0, "variant": "all pairs", "precision": 1.0, "recall": 0.0}
    for variant, frame in (("all pairs", pred), ("best client per record", best_per_record)):
        # Every distinct probability is a candidate threshold (no rounding: Splink's best lies at
        # 0.9999... on some data). Sorted descending, the pairs at or above the k-th are the first k+1.
        is_true = np.array([pr in truth for pr in _pairs_list(frame)], dtype=bool)
        scores = frame["score"].to_numpy()
        tp = np.cumsum(is_true)
        n = np.arange(1, len(scores) + 1)
        last_of_tie = np.r_[scores[1:] != scores[:-1], True]  # a threshold takes all pairs tied with it
        p, r = tp / n, tp / max(len(truth), 1)
        f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)
        f1 = np.where(last_of_tie, f1, -1.0)
        k = int(np.argmax(f1)) if len(f1) else -1
        if k >= 0 and f1[k] > best["f1"]:
            best = {
                "precision": float(p[k]),
                "recall": float(r[k]),
                "f1": float(f1[k]),
                "threshold": float(scores[k]),
                "variant": variant,
            }
    t = best["threshold"]
    auto = (
        best_per_record[best_per_record["score"] >= t]
        if best["variant"] != "all pairs"
        else pred[pred["score"] >= t]
    )
    band = best_per_record[
        (best_per_record["score"] >= review_threshold)
        & (best_per_record["score"] < t)
        & ~best_per_record["record_id"].isin(auto["record_id"])
    ]
    queue = pred[pred["record_id"].isin(band["record_id"]) & (pred["score"] >= review_threshold)]
    held = _pairs(queue) & truth
    found = (_pairs(auto) & truth) | held
    best["review_records"] = int(band["record_id"].nunique())
    best["recall_after_review"] = len(found) / len(truth) if truth else 1.0
    best["held_true"] = held
    best["missed_true"] = truth - found
    return best


def _pairs_list(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(frame["record_id"].astype(str), frame["client_id"].astype(str), strict=True))


def _count_rows(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


def bench(data: Path, work: Path, rescore: bool = False) -> dict:
    """Both matchers on one data set: their result rows and the report sections of the data set."""
    from matchers.config import load

    truth_frame = _truth(data)
    truth = _pairs(truth_frame)
    size = {
        "data": data.name,
        "records": _count_rows(data / "records.csv"),
        "clients": _count_rows(data / "clients.csv"),
        "true_links": len(truth),
    }
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in ("ours", "splink"):
        out = work / f"{name}.csv"
        cached = out.with_suffix(".cost.json")
        if rescore and cached.is_file():  # score a previous run's pairs again (same wall / memory)
            cost = json.loads(cached.read_text())
        else:
            cost = measure(name, data, out)
        pairs = pd.read_csv(out, dtype={"record_id": str, "client_id": str})
        if name == "ours":
            acc = evaluate_ours(pairs, truth, data)
        else:
            acc = evaluate_splink(pairs, truth, load().review_threshold)
        rows.append({**size, "matcher": name, **acc, **cost})
    ours, splink = rows
    patterns = difference_patterns(data, truth_frame)
    sections = {
        "stats": _stats_line(work / "ours.stats.json"),
        "held": _held_section(work / "ours.held.csv", work / "ours.stats.json", truth),
        "patterns": patterns_table(
            patterns,
            {
                "ours: held in review": ours["held_true"],
                "ours: missed (not matched, not queued)": ours["missed_true"],
                "Splink: in its queue": splink["held_true"],
                "Splink: missed at best threshold": splink["missed_true"],
            },
        ),
    }
    return {"rows": rows, "sections": sections}


def _stats_line(path: Path) -> str:
    """What the matcher's LinkStats exposes, one line."""
    if not path.is_file():
        return "(no stats)"
    s = json.loads(path.read_text())
    rel = s.get("relatives") or {}
    parts = [
        f"decisions {s.get('decisions')}",
        f"{s.get('candidate_pairs', 0) / max(s.get('records', 1), 1):.1f} candidate pairs per record",
        f"match rate {s.get('match_rate', 0):.4f}",
        f"parameters {s.get('parameters')}",
        f"match threshold {s.get('match_threshold', 0):.4f}",
        "relatives per client row " + ", ".join(f"{k} {v:.4f}" for k, v in rel.items()),
        "presence " + ", ".join(f"{k} {v}" for k, v in (s.get("presence") or {}).items()),
        f"review caps fired {s.get('caps_fired') or 'none configured'}",
        f"given names learned {s.get('learned_names', 0)} "
        f"(rows scored again {s.get('learned_name_rows', 0)})",
        f"{s.get('chunks', 0)} chunks, {s.get('workers', 1)} worker process(es)",
        f"blocking keys skipped (over max block size) {s.get('skipped_block_keys', 0)}",
    ]
    known = {
        "records",
        "clients",
        "candidate_pairs",
        "kept_pairs",
        "chunks",
        "skipped_block_keys",
        "decisions",
        "pairs_by_rule",
        "parameters",
        "match_rate",
        "relatives",
        "match_threshold",
        "caps_fired",
        "presence",
        "presence_pairs",
        "learned_names",
        "learned_name_rows",
        "workers",
        "worker_peak_kib",
        "held_reasons_error",
    }
    # Counters the matcher adds later (e.g. how often each safety-net cap fired) are shown as they are.
    parts += [f"{k} {v}" for k, v in s.items() if k not in known]
    if "held_reasons_error" in s:
        parts.append(f"held-by counts unavailable ({s['held_reasons_error']})")
    return "; ".join(parts)


def _held_section(held_csv: Path, stats_json: Path, truth: set[tuple[str, str]]) -> str:
    if not held_csv.is_file():
        return "(held-by counts unavailable)"
    held = pd.read_csv(held_csv, dtype={"record_id": str, "client_id": str}, keep_default_na=False)
    return held_table(held, truth)


# ---------------------------------------------------------------- the report


def results_table(rows: list[dict]) -> str:
    lines = [
        "| data (records x clients, true links) | matcher | precision | recall | F1 "
        "| review queue (% of true links) | recall after review | wall s | peak MB (process tree) "
        "| Splink threshold |",
        "| --- " * 10 + "|",
    ]
    for r in rows:
        thr = "default" if r["matcher"] == "ours" else f"{r['threshold']:.10g} ({r['variant']})"
        queue = f"{r['review_records']:,} ({100 * r['review_records'] / max(r['true_links'], 1):.1f}%)"
        lines.append(
            f"| {r['data']} ({r['records']:,} x {r['clients']:,}, {r['true_links']:,}) | {r['matcher']} "
            f"| {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | {queue} "
            f"| {r['recall_after_review']:.4f} | {r['wall_s']:.1f} | {r['peak_mb']:.0f} | {thr} |"
        )
    return "\n".join(lines)


def summary_table(rows: list[dict]) -> str:
    """One line per data set: ours against Splink's best, side by side."""
    lines = [
        "| data (records x clients) | ours P / R / F1 | ours queue (% of true links) "
        "| ours review items, one per youth (% of true links) "
        "| ours recall after review | Splink best F1 | F1 ours - Splink | wall ours / Splink "
        "| peak MB ours / Splink |",
        "| --- " * 9 + "|",
    ]
    for ours, splink in zip(rows[::2], rows[1::2], strict=True):
        q, items = ours["review_records"], ours.get("review_items")
        per_youth = "-" if items is None else f"{items:,} ({100 * items / max(ours['true_links'], 1):.1f}%)"
        lines.append(
            f"| {ours['data']} ({ours['records']:,} x {ours['clients']:,}) "
            f"| {ours['precision']:.4f} / {ours['recall']:.4f} / {ours['f1']:.4f} "
            f"| {q:,} ({100 * q / max(ours['true_links'], 1):.1f}%) | {per_youth} "
            f"| {ours['recall_after_review']:.4f} "
            f"| {splink['f1']:.4f} | {ours['f1'] - splink['f1']:+.4f} "
            f"| {ours['wall_s']:.1f} s / {splink['wall_s']:.1f} s "
            f"| {ours['peak_mb']:.0f} / {splink['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def print_report(results: list[dict]) -> None:
    rows = [r for res in results for r in res["rows"]]
    print("## Ours (default thresholds) against Splink 5 (best threshold)\n")
    print(summary_table(rows))
    print()
    print(results_table(rows))
    for res in results:
        name = res["rows"][0]["data"]
        print(f"\n### {name}\n")
        print(f"Ours, from its LinkStats: {res['sections']['stats']}\n")
        print(res["sections"]["held"])
        print()
        print(res["sections"]["patterns"])


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("splink", "duckdb", "pseudopeople"):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, action="append", default=[], help="folder with the three CSVs")
    ap.add_argument("--febrl4", action="store_true", help="add ../shared/benchmarks/febrl4")
    ap.add_argument(
        "--pseudopeople", action="store_true", help="add every pseudopeople task (written first if missing)"
    )
    ap.add_argument(
        "--generate",
        action="append",
        default=[],
        metavar="CLIENTS:SCALE",
        help="generate a data set with our generator (seed 7) under var/bench/",
    )
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench", help="where outputs go")
    ap.add_argument("--json", type=Path, help="also write the result rows as JSON here")
    ap.add_argument(
        "--rescore",
        action="store_true",
        help="re-evaluate the pairs and costs a previous run left in --work (no matching)",
    )
    ap.add_argument("--worker", choices=["ours", "splink"], help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        (run_ours if args.worker == "ours" else run_splink)(args.data[0], args.out)
        return
    datasets = list(args.data)
    if args.febrl4:
        datasets.append(febrl4_dir())
    if args.pseudopeople:
        import pseudopeople_tasks

        base = args.work / "pseudopeople"
        for task in pseudopeople_tasks.TASKS:
            if not (base / task.name / "truth.csv").is_file():
                pseudopeople_tasks.write_task(task, base / task.name)
            datasets.append(base / task.name)
    for spec in args.generate:
        from synthetic import generate_canonical

        clients, scale = (int(x) for x in spec.split(":"))
        target = args.work / f"generator_{clients}x{scale}"
        if not (target / "truth.csv").is_file():
            generate_canonical(target, seed=7, clients=clients, scale=scale, as_of=date(2026, 11, 22))
        datasets.append(target)
    if not datasets:
        ap.error("no data set: give --febrl4, --pseudopeople, --data or --generate")
    print(f"{_versions()}; {os.cpu_count()} cores", file=sys.stderr)
    results = []
    for data in datasets:
        results.append(bench(data, args.work / "runs" / data.name, args.rescore))
        print(results_table(results[-1]["rows"]), file=sys.stderr)
    print_report(results)
    if args.json:
        rows = [
            {k: v for k, v in r.items() if k not in ("held_true", "missed_true")}
            for res in results
            for r in res["rows"]
        ]
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
