"""The embedded SQLite warehouse encrypted at rest with SQLCipher (``SAFETYNET_WAREHOUSE_KEY``, the
``sqlcipher`` extra): the file, its WAL and its shared memory hold no readable byte, the same code
runs on it, and without the key (or with another) nothing opens it. Synthetic data only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.warehouse_data import CLIENTS, extract, record
from warehouse import Warehouse

pytest.importorskip("sqlcipher3", reason="the sqlcipher extra is not installed")
KEY_VARIABLE = "SAFETYNET_WAREHOUSE_KEY"


def _files(url: str) -> list[Path]:
    db = Path(url.removeprefix("sqlite:///"))
    return [p for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")) if p.exists()]


def test_an_encrypted_warehouse_holds_no_readable_byte(sqlite_url, monkeypatch) -> None:
    monkeypatch.setenv(KEY_VARIABLE, "correct horse battery staple, synthetic")
    wh = Warehouse(sqlite_url)
    wh.migrate()
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    wh.load_clients(record(wh, ex), ex)
    assert len(wh.clients_frame()) == len(CLIENTS)
    # the pages are encrypted while the process still has the file open: WAL included
    raw = b"".join(p.read_bytes() for p in _files(sqlite_url))
    assert raw and b"SQLite format 3" not in raw
    for client in CLIENTS:
        assert client["last_name"].encode() not in raw and client["dob"].encode() not in raw
    wh.dispose()

    # plain SQLite cannot read it
    with pytest.raises(sqlite3.DatabaseError), sqlite3.connect(_files(sqlite_url)[0]) as conn:
        conn.execute("SELECT count(*) FROM clients").fetchone()
    # another key cannot either
    monkeypatch.setenv(KEY_VARIABLE, "another key")
    with pytest.raises(sa.exc.DatabaseError):
        Warehouse.open(sqlite_url)
    # the right key: the schema check and the data
    monkeypatch.setenv(KEY_VARIABLE, "correct horse battery staple, synthetic")
    again = Warehouse.open(sqlite_url)
    assert len(again.clients_frame()) == len(CLIENTS)
    again.dispose()


def test_status_runs_on_an_encrypted_warehouse(sqlite_url, monkeypatch, tmp_path, capsys) -> None:
    from safetynet.cli import main

    monkeypatch.setenv(KEY_VARIABLE, "o'key with a quote")
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", sqlite_url)
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAFETYNET_LANDING_DIR", str(tmp_path / "landing"))
    assert main(["db", "upgrade"]) == 0
    assert main(["status", "--json"]) in (0, 1)  # 1: every source is overdue in an empty warehouse
    assert '"sources"' in capsys.readouterr().out
