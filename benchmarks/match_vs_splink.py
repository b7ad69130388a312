"""Our matcher against Splink 4 (DuckDB backend) on the same canonical person CSVs, in one run.

    .venv/bin/pip install -e '.[bench]'          # splink, duckdb, psutil
    .venv/bin/python benchmarks/match_vs_splink.py --data ../shared/benchmarks/febrl4
    .venv/bin/python benchmarks/match_vs_splink.py --generate 2000:62     # ~100,000 rows
    .venv/bin/python benchmarks/match_vs_splink.py --generate 50000:25    # ~1,000,000 rows

A data set is a folder with clients.csv, records.csv (canonical person schema) and truth.csv
(record_id, client_id: the true links). ``--generate CLIENTS:SCALE`` writes one with our seeded
generator (synthetic.generate_canonical, seed 7) under var/bench/ first.

Each matcher runs in its own child process (this script with ``--worker``); wall time and peak
resident memory (the child's own VmHWM, reported as it ends) include reading the CSVs, training
and writing the pairs. Printed for each: precision / recall / F1 of auto-matches, the review queue
(records waiting for a person), recall once that queue is resolved correctly, wall time, peak memory.

Ours is scored at its default thresholds (config/matching.yaml): auto-match = decision "match".
Splink has no decision rule of its own, so it gets the benefit of the doubt: its threshold is swept
over the predicted probabilities and its best F1 is reported with that threshold, both as plain
pairs above the threshold and restricted to each record's best client (whichever scores higher).
Its "review queue" is the records whose best pair lies in [our review threshold, its best threshold).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPLINK_COLUMNS = ["first_name", "last_name", "dob", "sex", "address", "city", "zip"]


# ---------------------------------------------------------------- workers (run in a child process)


def run_ours(data: Path, out: Path) -> int:
    """Exactly what `safetynet match --clients --records --out` does. Returns the peak memory of
    its worker processes together (KiB): each one's own VmHWM, times the number of workers."""
    from sync.match_files import match_files

    _, stats = match_files(data / "clients.csv", data / "records.csv", out)
    return stats.worker_peak_kib * stats.workers if stats.workers > 1 else 0


def _splink_frame(path: Path, id_column: str) -> pd.DataFrame:
    """Splink's own preparation as in its tutorials: lower-cased, trimmed strings, blank = null."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = pd.DataFrame({"unique_id": frame[id_column]})
    for col in SPLINK_COLUMNS:
        values = frame[col].str.strip().str.lower() if col in frame else pd.Series("", index=frame.index)
        out[col] = values.replace("", None)
    return out


def run_splink(data: Path, out: Path) -> None:
    """Splink 4 linking two tables, set up as its documentation's link_only examples are."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    clients = _splink_frame(data / "clients.csv", "client_id")
    records = _splink_frame(data / "records.csv", "record_id")
    comparisons = [
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
        cl.JaroWinklerAtThresholds("address", [0.95, 0.88]),
        cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        cl.ExactMatch("zip").configure(term_frequency_adjustments=True),
    ]
    if clients["sex"].notna().any() and records["sex"].notna().any():  # FEBRL has no sex column
        comparisons.append(cl.ExactMatch("sex"))
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("dob"),
            block_on("last_name", "substr(dob, 1, 4)"),
            block_on("first_name", "zip"),
            block_on("address"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(
        [clients, records], settings, db_api=DuckDBAPI(), input_table_aliases=["clients", "records"]
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob"), block_on("dob", "zip")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    pred = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    # Orient each pair as (record, client) whatever side Splink put them on.
    left_is_client = pred["source_dataset_l"] == "clients"
    pd.DataFrame(
        {
            "record_id": np.where(left_is_client, pred["unique_id_r"], pred["unique_id_l"]),
            "client_id": np.where(left_is_client, pred["unique_id_l"], pred["unique_id_r"]),
            "score": pred["match_probability"],
        }
    ).to_csv(out, index=False)


# ---------------------------------------------------------------- measuring


def _own_peak_kib() -> int:
    """This process's peak resident memory since its exec (VmHWM), in KiB."""
    import resource

    from matchers.parallel import peak_kib

    return peak_kib() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(worker: str, data: Path, out: Path) -> dict[str, float]:
    """Run one worker in a child process; its wall time (s) and peak RSS (MB)."""
    # Ours scores as `safetynet match` does on a fresh install: m/u estimated on the run's own data,
    # never parameters a developer once trained under var/matcher.
    env = {**os.environ, "SAFETYNET_MATCHER_PARAMS_DIR": str(out.parent / "no_trained_parameters")}
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, "--worker", worker, "--data", str(data), "--out", str(out)],
        cwd=ROOT,
        env=env,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{worker} failed with exit code {code}")
    # The child's own high-water mark (VmHWM, written by the worker as it ends). ru_maxrss would
    # count the parent too: Linux carries the pre-exec image's peak into the child's ru_maxrss, and
    # the parent may hold a generated million-row data set.
    hwm = out.with_suffix(".vmhwm")
    peak_kib = int(hwm.read_text()) if hwm.is_file() else usage.ru_maxrss  # both in KiB
    cost = {"wall_s": wall, "peak_mb": peak_kib / 1024}
    out.with_suffix(".cost.json").write_text(json.dumps(cost))
    return cost


def _truth(data: Path) -> set[tuple[str, str]]:
    t = pd.read_csv(data / "truth.csv", dtype=str)
    return set(zip(t["record_id"], t["client_id"], strict=True))


def _prf(pairs: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(pairs & truth)
    p = tp / len(pairs) if pairs else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["record_id"].astype(str), frame["client_id"].astype(str), strict=True))


def evaluate_ours(links: pd.DataFrame, truth: set[tuple[str, str]]) -> dict[str, float]:
    match = links[links["decision"] == "match"]
    p, r, f1 = _prf(_pairs(match), truth)
    review = links[(links["decision"] == "review") & ~links["record_id"].isin(match["record_id"])]
    found = _pairs(match) | (_pairs(review) & truth)  # a person confirms the true pair in the queue
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "threshold": float("nan"),
        "review_records": int(review["record_id"].nunique()),
        "recall_after_review": len(found & truth) / len(truth) if truth else 1.0,
    }


def evaluate_splink(pred: pd.DataFrame, truth: set[tuple[str, str]], review_threshold: float) -> dict:
    """Best F1 over thresholds, as all pairs above it or each record's best client above it."""
    pred = pred.sort_values("score", ascending=False, kind="stable")
    best_per_record = pred.drop_duplicates("record_id")
    best: dict = {"f1": -1.0}
    for variant, frame in (("all pairs", pred), ("best client per record", best_per_record)):
        # Every distinct probability is a candidate threshold (no rounding: Splink's best lies at
        # 0.9999... on our data). Sorted descending, the pairs at or above the k-th are the first k+1.
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
    found = (_pairs(auto) & truth) | (_pairs(queue) & truth)
    best["review_records"] = int(band["record_id"].nunique())
    best["recall_after_review"] = len(found) / len(truth) if truth else 1.0
    return best


def _pairs_list(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(frame["record_id"].astype(str), frame["client_id"].astype(str), strict=True))


def bench(data: Path, work: Path, rescore: bool = False) -> list[dict]:
    from matchers.config import load

    truth = _truth(data)
    n_records = sum(1 for _ in (data / "records.csv").open()) - 1
    n_clients = sum(1 for _ in (data / "clients.csv").open()) - 1
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
            acc = evaluate_ours(pairs, truth)
        else:
            acc = evaluate_splink(pairs, truth, load().review_threshold)
        rows.append(
            {
                "data": data.name,
                "records": n_records,
                "clients": n_clients,
                "true_links": len(truth),
                "matcher": name,
                **acc,
                **cost,
            }
        )
    return rows


def print_table(rows: list[dict]) -> None:
    head = (
        "| data | matcher | precision | recall | F1 | Splink threshold | review queue (% of true links) "
        "| recall after review | wall s | peak MB |"
    )
    print(head)
    print("| --- " * 10 + "|")
    for r in rows:
        thr = "default" if r["matcher"] == "ours" else f"{r['threshold']:.10g} ({r['variant']})"
        queue = f"{r['review_records']} ({100 * r['review_records'] / max(r['true_links'], 1):.1f}%)"
        print(
            f"| {r['data']} ({r['records']:,} x {r['clients']:,}) | {r['matcher']} | {r['precision']:.4f} "
            f"| {r['recall']:.4f} | {r['f1']:.4f} | {thr} | {queue} | {r['recall_after_review']:.4f} "
            f"| {r['wall_s']:.1f} | {r['peak_mb']:.0f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, action="append", default=[], help="folder with the three CSVs")
    ap.add_argument(
        "--generate",
        action="append",
        default=[],
        metavar="CLIENTS:SCALE",
        help="generate a data set with our generator (seed 7) under var/bench/",
    )
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench", help="where outputs go")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument(
        "--rescore",
        action="store_true",
        help="re-evaluate the pairs and costs a previous run left in --work (no matching)",
    )
    ap.add_argument("--worker", choices=["ours", "splink"], help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.out.with_suffix(".vmhwm").unlink(missing_ok=True)
        # DuckDB works in threads of this process; our matcher may add worker processes, whose
        # peaks count on top of this process's own (an upper bound: they need not peak together).
        workers_kib = (run_ours if args.worker == "ours" else run_splink)(args.data[0], args.out) or 0
        args.out.with_suffix(".vmhwm").write_text(str(_own_peak_kib() + workers_kib))
        return
    datasets = list(args.data)
    for spec in args.generate:
        from synthetic import generate_canonical

        clients, scale = (int(x) for x in spec.split(":"))
        target = args.work / f"generator_{clients}x{scale}"
        if not (target / "truth.csv").is_file():
            generate_canonical(target, seed=7, clients=clients, scale=scale, as_of=date(2026, 11, 22))
        datasets.append(target)
    rows = []
    for data in datasets:
        rows.extend(bench(data, args.work / "runs" / data.name, args.rescore))
        print_table(rows[-2:])
        sys.stdout.flush()
    print()
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
