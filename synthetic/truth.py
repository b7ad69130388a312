"""Ground truth and the canonical benchmark tables (same shape as shared/benchmarks/febrl4/)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from integrations.kinds import PERSON_COLUMNS

TRUTH_PERSON_COLUMNS = ["source", "record_id", "person_id", "client_id", "hard_case"]
TRUTH_LINK_COLUMNS = ["source", "table", "record_id", "client_id"]


def truth_frames(
    records: dict[str, tuple[str, pd.DataFrame]], person_ids: pd.Series, client_of: dict[int, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(persons, links) from each agency source's (person table, records) pair."""
    parts = []
    for source, (table, rec) in records.items():
        parts.append(
            pd.DataFrame(
                {
                    "source": source,
                    "table": table,
                    "record_id": rec["record_id"].astype(str).to_numpy(),
                    "person_id": person_ids.to_numpy()[rec["person"].to_numpy()],
                    "client_id": [client_of.get(int(p)) for p in rec["person"]],
                    "hard_case": rec["hard_case"].to_numpy(),
                }
            )
        )
    persons = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=[*TRUTH_PERSON_COLUMNS, "table"])
    )
    links = persons[persons["client_id"].notna()][TRUTH_LINK_COLUMNS].drop_duplicates(["source", "record_id"])
    return persons[TRUTH_PERSON_COLUMNS].reset_index(drop=True), links.reset_index(drop=True)


def _person_csv(frame: pd.DataFrame, id_col: str) -> pd.DataFrame:
    out = frame[list(PERSON_COLUMNS)].copy()
    out["dob"] = pd.to_datetime(out["dob"]).dt.strftime("%Y-%m-%d")
    return out.rename(columns={"record_id": id_col})


def write_canonical(
    out_dir: Path, clients: pd.DataFrame, person_tables: dict[str, pd.DataFrame], links: pd.DataFrame
) -> None:
    """clients.csv, records.csv and truth.csv; record ids are ``<source>:<agency record id>``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _person_csv(clients, "client_id").to_csv(out_dir / "clients.csv", index=False, lineterminator="\n")
    parts = []
    for source, table in person_tables.items():
        first = table.drop_duplicates("record_id", keep="first").copy()
        first["record_id"] = source + ":" + first["record_id"].astype(str)
        parts.append(_person_csv(first, "record_id"))
    records = pd.concat(parts, ignore_index=True)
    records.to_csv(out_dir / "records.csv", index=False, lineterminator="\n")
    truth = pd.DataFrame(
        {"record_id": links["source"] + ":" + links["record_id"], "client_id": links["client_id"]}
    )
    truth.to_csv(out_dir / "truth.csv", index=False, lineterminator="\n")
    return {"clients.csv": len(clients), "records.csv": len(records), "truth.csv": len(truth)}


def write_truth(out_dir: Path, persons: pd.DataFrame, links: pd.DataFrame) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    persons.to_csv(out_dir / "persons.csv", index=False, lineterminator="\n")
    links.to_csv(out_dir / "links.csv", index=False, lineterminator="\n")
