"""`safetynet match` and `safetynet train-matcher` on files: the interface people and checks use."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sync.match_files import read_persons
from synthetic import generate_canonical
from tests.cli_support import run
from tests.matcher_data import CLIENTS

RECORDS = pd.DataFrame(
    [
        dict(record_id="r1", first_name=" Liz ", last_name="NGUYEN", dob="11/02/2007", sex="F", extra="x"),
        dict(record_id="r2", first_name="Kevin", last_name="Okafor", dob="2005-09-30", sex="M", extra=""),
    ]
)


def _cli(*args: str, cwd: Path, env_dir: Path) -> subprocess.CompletedProcess:
    return run(list(args), cwd=cwd, env={"SAFETYNET_VAR_DIR": str(env_dir)})


def _write(tmp_path: Path) -> tuple[Path, Path]:
    clients, records = tmp_path / "clients.csv", tmp_path / "records.csv"
    CLIENTS.to_csv(clients, index=False)
    more = ["middle_name", "aliases", "race", "address", "city", "zip"]
    full = RECORDS.reindex(columns=[*RECORDS.columns, *more])
    full.to_csv(records, index=False)
    return clients, records


def test_match_writes_one_row_per_pair_with_probability_and_decision(tmp_path: Path) -> None:
    clients, records = _write(tmp_path)
    proc = _cli(
        "match",
        "--clients",
        str(clients),
        "--records",
        str(records),
        "--out",
        "out/links.csv",
        cwd=tmp_path,
        env_dir=tmp_path / "var",
    )
    assert proc.returncode == 0, proc.stderr
    links = pd.read_csv(tmp_path / "out" / "links.csv", dtype=str)
    assert list(links.columns) == ["record_id", "client_id", "score", "decision"]
    r1 = links[links["record_id"] == "r1"]
    assert r1[["client_id", "decision"]].values.tolist() == [["C2", "match"]]
    assert links["score"].astype(float).between(0, 1).all()
    assert links[links["decision"] == "match"]["record_id"].is_unique
    assert "matching 2 records against 8 clients" in proc.stderr  # progress: counts only
    assert "0 given names learned" in proc.stderr  # a count of learned names, never a name
    assert "Nguyen" not in proc.stderr and "NGUYEN" not in proc.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("record_id,first_name\nr1,Ana\n", "missing column(s) middle_name, last_name"),
        (
            "record_id,first_name,middle_name,last_name,aliases,dob,sex,race,address,city,zip\n"
            "r1,Ana,,Ruiz,,,,,,,\n ,Eva,,Ruiz,,,,,,,\n",
            "record_id is blank on line(s) [3]",
        ),
        ("", "not a readable UTF-8 CSV file"),
    ],
)
def test_bad_input_is_one_clear_error_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    clients, _ = _write(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    proc = _cli(
        "match",
        "--clients",
        str(clients),
        "--records",
        str(bad),
        "--out",
        "links.csv",
        cwd=tmp_path,
        env_dir=tmp_path / "var",
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "bad.csv" in proc.stderr and message in proc.stderr


def test_latin1_file_is_refused_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("record_id,first_name\nr1,Pe\xf1a\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.csv: not a readable UTF-8 CSV file"):
        read_persons(bad, "record_id")


def test_read_persons_strips_blanks_to_missing_and_ignores_extra_columns(tmp_path: Path) -> None:
    _, records = _write(tmp_path)
    frame = read_persons(records, "record_id")
    assert "extra" not in frame.columns
    assert frame.loc[0, "first_name"] == "Liz" and frame.loc[1, "aliases"] is None


def test_train_matcher_saves_a_current_version(tmp_path: Path) -> None:

    generate_canonical(tmp_path / "data", seed=5, clients=200, scale=12, as_of=date(2026, 11, 22))
    proc = _cli(
        "train-matcher",
        "--clients",
        str(tmp_path / "data" / "clients.csv"),
        "--records",
        str(tmp_path / "data" / "records.csv"),
        cwd=tmp_path,
        env_dir=tmp_path / "var",
    )
    assert proc.returncode == 0, proc.stderr
    current = json.loads((tmp_path / "var" / "matcher" / "current.json").read_text())
    assert current["version"] in proc.stdout
    doc = json.loads((tmp_path / "var" / "matcher" / f"params-{current['version']}.json").read_text())
    assert doc["trained_on"]["labels_same_person"] == 0 and doc["trained_on"]["clients"] == 200


def test_a_client_list_may_say_whose_given_name_may_differ(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    header = "client_id,first_name,middle_name,last_name,aliases,dob,sex,race,address,city,zip"
    path.write_text(
        f"{header},given_name_may_differ\n"
        "C1,Lia,,Tanaka,,2009-03-04,,,,,,true\nC2,Ana,,Ruiz,,2010-01-02,F,,,,,\n"
    )
    assert read_persons(path, "client_id")["given_name_may_differ"].tolist() == [True, False]
    path.write_text(f"{header}\nC1,Lia,,Tanaka,,2009-03-04,,,,,\n")
    assert "given_name_may_differ" not in read_persons(path, "client_id").columns
