"""Memory and time of ``safetynet validate``'s streaming path on a very large CSV, without the file.

    .venv/bin/python benchmarks/validate_stream.py --rows 20000000   # ~2 GB of CSV

Streams ``synthetic.broken.ArrestLogStream`` (an Oakland PD arrest log generated as it is read,
~100 bytes a row, with a repeated booking number every million rows) through the same reader and
chunked validation as ``safetynet validate`` (``iter_stream_extracts`` + ``validate_chunks``) and
prints the bytes read, the time and the peak resident memory. Peak memory should stay flat as
``--rows`` grows (it is set by ``--chunk-rows``), plus 12 bytes a row for the cross-chunk key check.
"""

from __future__ import annotations

import argparse
import io
import resource
import time
from datetime import date

from expectations.chunked import validate_chunks
from integrations.config import load_sources
from integrations.readers import iter_stream_extracts
from synthetic.broken import ArrestLogStream


class _Counting(io.RawIOBase):
    def __init__(self, inner: io.RawIOBase) -> None:
        self.inner = inner
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self.inner.readinto(b)
        self.bytes += n
        return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    args = parser.parse_args()
    source = load_sources()["oakland_pd"]
    raw = _Counting(ArrestLogStream(args.rows, duplicate_every=1_000_000))
    t0 = time.perf_counter()
    report = validate_chunks(
        iter_stream_extracts(io.BufferedReader(raw), "opd_arrests_20261122.csv", source, args.chunk_rows),
        source,
        today=date(2026, 11, 22),
    )
    elapsed = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dup = next(r for r in report.results if r.rule_id == "arrests.record_id.unique")
    print(
        f"{args.rows:,} rows, {raw.bytes / 1e9:.2f} GB streamed in {elapsed:.0f} s "
        f"({args.rows / elapsed:,.0f} rows/s); peak RSS {peak_mb:,.0f} MB"
    )
    print(
        f"rules: {len(report.results)}, failed: {len(report.failures)}; duplicate bookings found: "
        f"{dup.unexpected_count} rows; quarantined: {report.quarantined}"
    )


if __name__ == "__main__":
    main()
