"""The matcher on two CSV files in the canonical person schema (`safetynet match`, `train-matcher`,
the benchmarks)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from integrations.kinds import GIVEN_MAY_DIFFER, PERSON_FIELDS
from outputs.cells import csv_frame

if TYPE_CHECKING:
    from matchers import LinkStats

OUTPUT_COLUMNS = ["record_id", "client_id", "score", "decision"]


READ_CHUNK_ROWS = 100_000


def _shared(values: pd.Series, pool: dict[str, str]) -> np.ndarray:
    """Stripped values with blanks as None, every distinct value one shared str object.

    A million rows repeat a few ten thousand names, cities and dates: holding each once (``pool``
    spans all chunks) keeps a million-row extract at a fraction of one-object-per-cell memory.
    """
    codes, uniques = pd.factorize(values)
    canon = np.array(
        [pool.setdefault(v, v) if (v := u.strip()) else None for u in uniques] + [None], dtype=object
    )
    return canon[codes]  # code -1 (no value) takes the trailing None


def read_persons(path: Path, id_column: str) -> pd.DataFrame:
    """A canonical person CSV as text columns; blank cells become missing. Extra columns are ignored,
    but for ``given_name_may_differ`` (true / 1 / yes) on a client list (integrations.kinds).

    Read in chunks, each distinct value held once (see _shared), so reading a million rows needs
    little more memory than the values themselves.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    columns = [id_column, *PERSON_FIELDS]
    pool: dict[str, str] = {}
    parts: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    flags: list[np.ndarray] = []  # the optional given_name_may_differ column (client lists)
    index: list[np.ndarray] = []
    try:
        reader = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8", chunksize=READ_CHUNK_ROWS
        )
        for chunk in reader:
            missing = [c for c in columns if c not in chunk.columns]
            if missing:
                raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
            ids = chunk[id_column].str.strip()
            if ids.eq("").any():
                rows = (chunk.index[ids.eq("")] + 2).tolist()[:10]
                raise ValueError(f"{path}: {id_column} is blank on line(s) {rows}")
            parts[id_column].append(ids.to_numpy(dtype=object))
            for c in PERSON_FIELDS:
                parts[c].append(_shared(chunk[c], pool))
            if GIVEN_MAY_DIFFER in chunk.columns:
                flags.append(
                    chunk[GIVEN_MAY_DIFFER].str.strip().str.lower().isin(("true", "1", "yes", "y")).to_numpy()
                )
            index.append(chunk.index.to_numpy())
            del chunk, ids
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path}: not a readable UTF-8 CSV file ({type(exc).__name__})") from None
    if not index:
        raise ValueError(f"{path}: not a readable UTF-8 CSV file (no header)")
    data = {}
    for c in columns:  # one column at a time, its chunks freed as it is joined
        data[c] = np.concatenate(parts.pop(c))
    frame = pd.DataFrame(data, index=np.concatenate(index), dtype=object, copy=False)
    if flags:
        frame[GIVEN_MAY_DIFFER] = np.concatenate(flags)
    return frame


def run_match(clients_csv: Path, records_csv: Path, out_csv: Path) -> int:
    """Link every record to the clients; write one row per candidate pair kept. Returns the row count."""
    return match_files(clients_csv, records_csv, out_csv)[0]


def match_files(clients_csv: Path, records_csv: Path, out_csv: Path) -> tuple[int, LinkStats]:
    """What ``run_match`` does; returns the row count and the run's ``LinkStats`` (counts only)."""
    from matchers import default_matcher

    clients = read_persons(Path(clients_csv), "client_id")
    records = read_persons(Path(records_csv), "record_id")
    print(f"matching {len(records)} records against {len(clients)} clients ...", file=sys.stderr)
    matcher = default_matcher()
    links = matcher.link(clients, records)
    out = links[OUTPUT_COLUMNS]
    Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
    csv_frame(out).to_csv(out_csv, index=False, float_format="%.6f")
    decided = out["decision"].value_counts()
    print(
        f"{decided.get('match', 0)} matches, {decided.get('review', 0)} pairs for review, "
        f"{decided.get('nonmatch', 0)} non-matches",
        file=sys.stderr,
    )
    stats = getattr(matcher, "stats", None)
    if stats is not None and stats.records:
        relatives = ", ".join(f"{k} {v:.4f}" for k, v in stats.relatives.items()) or "not weighed"
        presence = stats.presence
        print(
            f"{stats.pairs_per_record:.1f} candidate pairs per record; match rate {stats.match_rate:.3f}; "
            f"match threshold {stats.match_threshold:.3f}; relatives per client row: {relatives}",
            file=sys.stderr,
        )
        if presence:
            print(
                f"clients with a confirmed row met another of theirs in {presence['same']:.1%} of rows "
                f"(coverage {presence['other']:.1%}): {stats.presence_pairs} pairs weighed",
                file=sys.stderr,
            )
        if stats.caps_fired:
            print(f"review caps fired (rows): {stats.caps_fired}", file=sys.stderr)
        print(
            f"{stats.learned_names} given names learned from rows that state them (AKA, street name); "
            f"{stats.learned_name_rows} rows scored again with them",
            file=sys.stderr,
        )
        if stats.workers > 1:
            print(
                f"{stats.chunks} chunks scored by {stats.workers} worker processes "
                f"(largest peak {stats.worker_peak_kib / 1024:.0f} MB)",
                file=sys.stderr,
            )
    return len(out), stats


def run_train(clients_csv: Path, records_csv: Path, warehouse_url: str | None, out_dir: Path | None) -> dict:
    """Fit m/u on two canonical CSVs, refine with the warehouse's reviewer decisions (when a URL is
    given), save a new parameters version and make it current. Returns the parameters file's content."""
    from matchers import load as load_config
    from matchers.labels import warehouse_labels
    from matchers.train import train_and_save

    clients = read_persons(Path(clients_csv), "client_id")
    records = read_persons(Path(records_csv), "record_id")
    labels = None
    if warehouse_url:
        from warehouse.db import make_engine

        engine = make_engine(warehouse_url)
        try:
            labels = warehouse_labels(engine)
        finally:
            engine.dispose()
    print(
        f"training on {len(records)} records, {len(clients)} clients, "
        f"{0 if labels is None else len(labels)} reviewer decisions ...",
        file=sys.stderr,
    )
    return train_and_save(
        load_config(),
        clients,
        records,
        labels,
        out_dir,
        note=f"{Path(clients_csv).name} x {Path(records_csv).name}",
    )
