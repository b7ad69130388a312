"""`safetynet match`: the matcher on two CSV files in the canonical person schema."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from integrations.kinds import PERSON_FIELDS

OUTPUT_COLUMNS = ["record_id", "client_id", "score", "decision"]


def read_persons(path: Path, id_column: str) -> pd.DataFrame:
    """A canonical person CSV as text columns; blank cells become missing. Extra columns are ignored."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path}: not a readable UTF-8 CSV file ({type(exc).__name__})") from None
    missing = [c for c in (id_column, *PERSON_FIELDS) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = frame[[id_column, *PERSON_FIELDS]].apply(lambda s: s.str.strip())
    if frame[id_column].eq("").any():
        rows = (frame.index[frame[id_column].eq("")] + 2).tolist()[:10]
        raise ValueError(f"{path}: {id_column} is blank on line(s) {rows}")
    return frame.replace("", None).astype(object)


def run_match(clients_csv: Path, records_csv: Path, out_csv: Path) -> int:
    """Link every record to the clients; write one row per candidate pair kept. Returns the row count."""
    from matchers import default_matcher

    clients = read_persons(Path(clients_csv), "client_id")
    records = read_persons(Path(records_csv), "record_id")
    print(f"matching {len(records)} records against {len(clients)} clients ...", file=sys.stderr)
    links = default_matcher().link(clients, records)
    out = links[OUTPUT_COLUMNS]
    Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(out_csv, index=False, float_format="%.6f")
    decided = out["decision"].value_counts()
    print(
        f"{decided.get('match', 0)} matches, {decided.get('review', 0)} pairs for review, "
        f"{decided.get('nonmatch', 0)} non-matches",
        file=sys.stderr,
    )
    return len(out)
