"""benchmarks/recall_breakdown.py: which fields differ on a true link, counted per set of pairs."""

import importlib.util
from pathlib import Path

import pandas as pd

from integrations.kinds import PERSON_FIELDS

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "recall_breakdown.py"
_spec = importlib.util.spec_from_file_location("recall_breakdown", _PATH)
breakdown = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(breakdown)
difference_patterns, patterns_table = breakdown.difference_patterns, breakdown.patterns_table


def _write(tmp_path: Path, name: str, id_column: str, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows).reindex(columns=[id_column, *PERSON_FIELDS]).fillna("")
    frame.to_csv(tmp_path / name, index=False)


def test_patterns_name_what_differs_and_leave_out_fields_one_side_never_has(tmp_path):
    person = {"first_name": "Maria", "last_name": "Lopez", "dob": "2008-03-04", "address": "1 Elm St"}
    _write(tmp_path, "clients.csv", "client_id", [{"client_id": "c1", **person, "sex": "F"}])
    _write(
        tmp_path,
        "records.csv",
        "record_id",
        [
            {"record_id": "r1", **person},  # same person, identical (sex: never on the records side)
            {"record_id": "r2", **person, "first_name": "Ana"},  # another given name
            {"record_id": "r3", **person, "first_name": "Marla", "dob": "2008-04-03"},  # typo, swap
            {"record_id": "r4", **person, "dob": "", "address": "9 Oak Ave"},
        ],
    )
    truth = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4"], "client_id": ["c1"] * 4})
    patterns = difference_patterns(tmp_path, truth)
    assert patterns.tolist() == ["none", "given", "given~+dob~", "dob blank+address"]
    table = patterns_table(patterns, {"missed": {("r2", "c1"), ("r4", "c1")}})
    assert "| given | 1 | 1 |" in table
    assert "| dob blank+address | 1 | 1 |" in table
    assert "| **all** | 4 | 2 |" in table
