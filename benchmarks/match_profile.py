"""Where our matcher's wall time goes: ``python benchmarks/match_profile.py --data DIR``.

    .venv/bin/python benchmarks/match_profile.py --generate 2000:6      # ~10,000 rows
    .venv/bin/python benchmarks/match_profile.py --generate 2000:62     # ~100,000 rows
    .venv/bin/python benchmarks/match_profile.py --data var/bench/pseudopeople/census_youth_x_w2_1099

Two runs of what `safetynet match` does (sync.match_files: read both CSVs, link, write the pairs),
each in a fresh child process, printed as Markdown:

1. **Phases** at the configured ``processing.workers``, no profiler: interpreter start-up, imports,
   reading, linking, writing (wall seconds). Worker start-up is measured beside it: the time a
   spawned process takes to start and import the matcher (each worker pays it before its first
   chunk), and linking again with one worker (no worker processes) to show what the processes win
   or cost at this size.
2. **Inside link()**, one worker, under cProfile: the matcher's own functions by cumulative time
   (estimation, blocking, comparisons, scoring, decisions, the relatives and learned-name passes,
   whatever they are called today), and all time by where it is spent (each matchers/ module,
   pandas, numpy, rapidfuzz, ...). cProfile slows pure-Python code more than vectorised code, so
   read its shares, not its seconds, against the phase times.
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

ROOT = Path(__file__).resolve().parent.parent
TOP = 25


def _child(data: Path, out: Path, workers: int | None, profile: Path | None) -> None:
    """One timed run (in a fresh process: imports count). Writes phase times as JSON to ``out``."""
    t0 = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    import matchers
    from matchers import params
    from sync.match_files import OUTPUT_COLUMNS, read_persons

    t_import = time.perf_counter()
    clients = read_persons(data / "clients.csv", "client_id")
    records = read_persons(data / "records.csv", "record_id")
    t_read = time.perf_counter()
    config = matchers.load()
    if workers is not None:
        config = replace(config, workers=workers)
    matcher = matchers.FellegiSunterMatcher(config, params.load_current())
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
        links = matcher.link(clients, records)
        prof.disable()
        prof.dump_stats(profile)
    else:
        links = matcher.link(clients, records)
    t_link = time.perf_counter()
    links[OUTPUT_COLUMNS].to_csv(out.with_suffix(".pairs.csv"), index=False, float_format="%.6f")
    t_write = time.perf_counter()
    phases = {
        "import (matchers, pandas, numpy, ...)": t_import - t0,
        "read both CSVs": t_read - t_import,
        "link()": t_link - t_read,
        "write pairs": t_write - t_link,
    }
    out.write_text(
        json.dumps(
            {
                "phases": phases,
                "start_epoch": time.time() - (time.perf_counter() - t0),
                "workers": matcher.stats.workers,
                "chunks": matcher.stats.chunks,
                "records": len(records),
                "clients": len(clients),
            }
        )
    )


def _run_child(data: Path, out: Path, workers: int | None, profile: Path | None) -> dict:
    env = {**os.environ, "SAFETYNET_MATCHER_PARAMS_DIR": str(out.parent / "no_trained_parameters")}
    cmd = [sys.executable, __file__, "--child", "--data", str(data), "--out", str(out)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    if profile:
        cmd += ["--pstats", str(profile)]
    launched = time.time()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stderr=subprocess.DEVNULL)
    result = json.loads(out.read_text())
    result["phases"] = {"interpreter start-up": result["start_epoch"] - launched, **result["phases"]}
    return result


def worker_startup_seconds() -> float:
    """A spawned process's start and import of the matcher, as each worker of map_chunks pays it."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import matchers.engine, matchers.parallel"],
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - start


def import_table() -> str:
    """``python -X importtime`` of what the matcher imports: the entries near the top of the import
    tree that take at least 5% of it (cumulative, so a parent includes its children)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import matchers, sync.match_files"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((int(cumulative), depth, name.strip()))
    total = sum(c for c, d, _ in rows if d == 0) or 1
    lines = ["| import (python -X importtime) | cumulative s | share |", "| --- | ---: | ---: |"]
    for cumulative, depth, name in rows:
        if depth <= 3 and cumulative >= 0.05 * total:
            lines.append(
                f"| {'. ' * depth}{name} | {cumulative / 1e6:.2f} | {100 * cumulative / total:.0f}% |"
            )
    lines.append(f"| **all** | {total / 1e6:.2f} | 100% |")
    return "\n".join(lines)


def _where(filename: str, name: str) -> str:
    """The bucket a profiled function's own time belongs to."""
    path = filename.replace("\\", "/")
    if "/matchers/" in path:
        return "matchers/" + path.rsplit("/matchers/", 1)[1]
    for lib in ("pandas", "numpy", "rapidfuzz", "jellyfish", "scipy", "multiprocessing", "concurrent"):
        if f"/{lib}/" in path:
            return lib
    if filename == "~":  # built-ins: C functions called from anywhere
        if any(w in name for w in ("acquire", "select", "poll", "wait")):
            return "waiting (locks, worker processes)"
        return "built-ins (C functions called from Python)"
    return "other python"


def profile_tables(pstats_file: Path) -> str:
    import pstats

    stats = pstats.Stats(str(pstats_file)).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    total = sum(tt for _, _, tt, _, _ in stats.values()) or 1.0
    ours = [
        (ct, tt, nc, f"{Path(f).parent.name}/{Path(f).name}:{fn}")
        for (f, _, fn), (_, nc, tt, ct, _) in stats.items()
        if "/matchers/" in f.replace("\\", "/")
    ]
    ours.sort(reverse=True)
    lines = [
        "| matcher function (one worker, under cProfile) | calls | cumulative s | share | own s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for ct, tt, nc, label in ours[:TOP]:
        lines.append(f"| {label} | {nc:,} | {ct:.2f} | {100 * ct / total:.0f}% | {tt:.2f} |")
    buckets: dict[str, float] = {}
    for (f, _, fn), (_, _, tt, _, _) in stats.items():
        key = _where(f, fn)
        buckets[key] = buckets.get(key, 0.0) + tt
    lines += ["", "| own time spent in | s | share |", "| --- | ---: | ---: |"]
    for key, tt in sorted(buckets.items(), key=lambda kv: -kv[1])[:TOP]:
        lines.append(f"| {key} | {tt:.2f} | {100 * tt / total:.0f}% |")
    lines.append(f"| **all** | {total:.2f} | 100% |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="folder with clients.csv and records.csv")
    ap.add_argument("--generate", metavar="CLIENTS:SCALE", help="our generator (seed 7) under var/bench/")
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "profile")
    ap.add_argument("--no-profile", action="store_true", help="phases only (no cProfile run)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--pstats", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.data, args.out, args.workers, args.pstats)
        return
    data = args.data
    if args.generate:
        sys.path.insert(0, str(ROOT))
        from synthetic import generate_canonical

        clients, scale = (int(x) for x in args.generate.split(":"))
        data = ROOT / "var" / "bench" / f"generator_{clients}x{scale}"
        if not (data / "truth.csv").is_file():
            generate_canonical(data, seed=7, clients=clients, scale=scale, as_of=date(2026, 11, 22))
    if data is None:
        ap.error("give --data or --generate")
    work = args.work / data.name
    work.mkdir(parents=True, exist_ok=True)
    configured = _run_child(data, work / "configured.json", None, None)
    single = _run_child(data, work / "one_worker.json", 1, None)
    startup = worker_startup_seconds()
    size = f"{configured['records']:,} rows x {configured['clients']:,} clients"
    print(f"## Where the time goes: {data.name} ({size})")
    print()
    print(
        f"| phase | wall s, {configured['workers']} worker process(es), {configured['chunks']} chunk(s) "
        "| wall s, in-process (1 worker) |"
    )
    print("| --- | ---: | ---: |")
    for phase, secs in configured["phases"].items():
        print(f"| {phase} | {secs:.2f} | {single['phases'][phase]:.2f} |")
    print(f"| **total** | {sum(configured['phases'].values()):.2f} | {sum(single['phases'].values()):.2f} |")
    print(
        f"\nA spawned process's start-up and `import matchers.engine`: {startup:.2f} s "
        f"(each worker pays it once before its first chunk, {os.cpu_count()} cores here)."
    )
    print()
    print(import_table())
    if not args.no_profile:
        pstats_file = work / "link_one_worker.pstats"
        _run_child(data, work / "profiled.json", 1, pstats_file)
        print()
        print(profile_tables(pstats_file))
        print(f"\n(full profile: `python -m pstats {pstats_file}`)")


if __name__ == "__main__":
    main()
