"""Load generated deliveries into a warehouse with their *true* links (no matcher, no checks).

For tests and benchmarks of the warehouse itself: the measures' known answers, the history, the
kill test and the nightly-refresh benchmark must not depend on the matcher's accuracy or speed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from expectations.report import ValidationReport
from integrations.config import SourceConfig, load_sources
from integrations.extract import Extract
from integrations.readers import read_extract
from warehouse import LoadResult, Warehouse

EXPLANATION = json.dumps({"fields": [], "prior": 0.0, "total": 0.0, "note": "ground truth"})


def true_links(extract: Extract, truth_links: pd.DataFrame) -> pd.DataFrame:
    """The matcher's result shape for the records of ``extract`` that truly belong to a client."""
    mine = truth_links[truth_links["source"] == extract.source]
    present = set(extract.persons()["record_id"].astype(str))
    mine = mine[mine["record_id"].astype(str).isin(present)]
    return pd.DataFrame(
        {
            "record_id": mine["record_id"].astype(str).to_numpy(),
            "client_id": mine["client_id"].astype(str).to_numpy(),
            "score": 1.0,
            "decision": "match",
            "explanation": EXPLANATION,
        }
    )


def record(warehouse: Warehouse, extract: Extract) -> int:
    return warehouse.record_validation(
        source=extract.source,
        file_name=extract.file.name,
        sha256=extract.sha256,
        delivered_on=extract.delivered_on,
        rows_read=extract.rows_read,
        report=ValidationReport(extract.source, extract.file.name, extract.rows_read),
        kind=extract.kind,
    )


def load_file(
    warehouse: Warehouse, source: SourceConfig, path: Path, truth_links: pd.DataFrame
) -> LoadResult:
    """Read one delivery file and load it (client list first, agencies with their true links)."""
    extract = read_extract(path, source)
    delivery_id = record(warehouse, extract)
    if source.kind == "safetynet_clients":
        return warehouse.load_clients(delivery_id, extract)
    return warehouse.load_delivery(delivery_id, extract, true_links(extract, truth_links))


def load_generated(
    warehouse: Warehouse, files: dict[str, Path], truth_links: pd.DataFrame, sources: dict | None = None
) -> dict[str, LoadResult]:
    """Every generated delivery, the client list first."""
    sources = sources or load_sources()
    order = sorted(files, key=lambda n: sources[n].kind != "safetynet_clients")
    return {name: load_file(warehouse, sources[name], files[name], truth_links) for name in order}
