"""Files and folders the service creates are private (0600 / 0700) whatever the caller's umask:
the warehouse, its WAL, the outbox, var/ (the `safetynet` command, a real subprocess)."""

from __future__ import annotations

import os
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest

from alerts.transport import OutboxTransport
from settings.files import private_dir, write_private
from tests.cli_support import run
from warehouse import Warehouse


@pytest.fixture
def open_umask():
    """The usual shell umask (022: files 0644, folders 0755) while the test runs."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def not_private(root: Path) -> list[str]:
    """Every file or folder under ``root`` (itself included) that group or others can reach."""
    paths = [root, *root.rglob("*")]
    return [f"{p.relative_to(root)} {oct(mode(p))}" for p in paths if mode(p) & 0o077]


def test_the_warehouse_its_wal_and_the_outbox_are_private(tmp_path, open_umask):
    wh = Warehouse(f"sqlite:///{tmp_path / 'var' / 'warehouse.db'}")
    wh.migrate()
    with wh.engine.connect() as conn:  # a reader keeps the WAL and shared memory in place
        conn.exec_driver_sql("SELECT count(*) FROM deliveries").scalar()
        assert (tmp_path / "var" / "warehouse.db-wal").exists()
        message = EmailMessage()
        message["X-SafetyNet-Message"] = "alert-1"
        message.set_content("no client data")
        OutboxTransport(tmp_path / "var" / "outbox").send(message)
        assert not_private(tmp_path / "var") == []
    wh.dispose()


def test_private_helpers_tighten_what_exists(tmp_path, open_umask):
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True)
    assert mode(folder) == 0o755
    private_dir(folder)
    assert mode(folder) == 0o700
    (folder / "f").write_bytes(b"old")
    write_private(folder / "f", b"new")
    assert mode(folder / "f") == 0o600 and (folder / "f").read_bytes() == b"new"


def test_the_command_sets_a_private_umask_at_start(tmp_path, generated, open_umask):
    import shutil

    shutil.copytree(generated.landing_dir, tmp_path / "landing")
    assert run(["db", "upgrade"], cwd=tmp_path).returncode == 0
    proc = run(["sync"], cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    var = tmp_path / "var"
    assert (var / "warehouse.db").is_file() and (var / "dagster_home").is_dir()
    assert not_private(var) == []
