"""The production deployment (issue 14 part 4): ``dagster-daemon`` on a PostgreSQL-backed instance
configured by ``deploy/dagster.yaml`` notices a file dropped into the landing zone, and the landing
sensor's run, started from the run queue, loads it into the warehouse.

Needs PostgreSQL (skips with the reason shown, fails under ``SAFETYNET_REQUIRE_POSTGRES=1``). The
run's id, status and tags and the time it took are printed (``-s``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from integrations.config import load_sources
from tests.cli_support import CHECKOUT, SAFETYNET

DAEMON = str(Path(sys.executable).with_name("dagster-daemon"))
WAIT_SECONDS = 480


@pytest.fixture
def databases(postgres_server: str):
    """Two fresh databases: the warehouse (psycopg 3) and Dagster's storage (psycopg2, as deployed)."""
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    suffix = f"{os.getpid()}_{time.monotonic_ns() % 10**8}"
    names = [f"safetynet_deploy_wh_{suffix}", f"safetynet_deploy_dagster_{suffix}"]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = sa.engine.make_url(postgres_server)
    urls = (
        base.set(database=names[0]).render_as_string(hide_password=False),
        base.set(drivername="postgresql+psycopg2", database=names[1]).render_as_string(hide_password=False),
    )
    yield urls
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_daemon_on_postgres_loads_a_dropped_file_through_the_sensor(databases, generated, tmp_path):
    warehouse_url, dagster_url = databases
    home = tmp_path / "home"
    dagster_home = home / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(CHECKOUT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    landing = home / "landing"
    landing.mkdir()
    env = {k: v for k, v in os.environ.items() if not (k.startswith("SAFETYNET_") or k == "DAGSTER_HOME")}
    env.update(
        SAFETYNET_HOME=str(home),
        SAFETYNET_SOURCES_FILE=str(CHECKOUT / "config" / "sources.yaml"),
        SAFETYNET_MATCHING_FILE=str(CHECKOUT / "config" / "matching.yaml"),
        SAFETYNET_WAREHOUSE_URL=warehouse_url,
        SAFETYNET_LANDING_DIR=str(landing),
        DAGSTER_HOME=str(dagster_home),
        DAGSTER_POSTGRES_URL=dagster_url,
    )
    upgrade = subprocess.run([SAFETYNET, "db", "upgrade"], cwd=home, env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]

    log_path = tmp_path / "daemon.log"
    with open(log_path, "w") as log:
        daemon = subprocess.Popen(
            [DAEMON, "run", "-w", str(CHECKOUT / "workspace.yaml")],
            cwd=CHECKOUT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # the client list lands: the sensor's run for that source loads it
        client = next(s for s in load_sources().values() if s.kind == "safetynet_clients")
        dropped = landing / client.landing / generated.files[client.name].name
        dropped.parent.mkdir(parents=True)
        started = time.monotonic()
        shutil.copy(generated.files[client.name], dropped)
        status = _wait_for_load(warehouse_url, client.name, daemon, log_path)
        took = time.monotonic() - started
        runs = _finished_runs(dagster_url, client.name)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
    assert status == "loaded"
    ours = [r for r in runs if r["tags"].get("safetynet/source") == client.name]
    assert ours, runs
    assert ours[0]["status"] == "SUCCESS", ours
    assert ours[0]["tags"].get("dagster/sensor_name") == "landing_sensor"
    print(
        f"\ndeployment: dagster-daemon on PostgreSQL loaded {dropped.name} through run "
        f"{ours[0]['run_id']} ({ours[0]['status']}, tags {sorted(ours[0]['tags'].items())}) "
        f"{took:.0f} s after the drop"
    )


def _wait_for_load(url: str, source: str, daemon: subprocess.Popen, log_path: Path) -> str | None:
    engine = sa.create_engine(url)
    deadline = time.monotonic() + WAIT_SECONDS
    status = None
    try:
        while time.monotonic() < deadline:
            assert daemon.poll() is None, "dagster-daemon exited:\n" + log_path.read_text()[-4000:]
            with engine.connect() as conn:
                status = conn.execute(
                    sa.text("SELECT status FROM deliveries WHERE source = :s"), {"s": source}
                ).scalar()
            if status == "loaded":
                return status
            time.sleep(2)
    finally:
        engine.dispose()
    log = log_path.read_text()[-4000:]
    pytest.fail(f"no load within {WAIT_SECONDS}s (delivery: {status}); daemon log:\n{log}")


def _finished_runs(url: str, source: str) -> list[dict]:
    """Dagster's runs once the source's run has finished (its later steps, alerts, after the load)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        runs = _dagster_runs(url)
        ours = [r for r in runs if r["tags"].get("safetynet/source") == source]
        if ours and ours[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED") or time.monotonic() > deadline:
            return runs
        time.sleep(2)


def _dagster_runs(url: str) -> list[dict]:
    """Runs in Dagster's PostgreSQL run storage, with their tags (newest first)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT run_id, status FROM runs ORDER BY id DESC")).mappings().all()
            tags = conn.execute(sa.text("SELECT run_id, key, value FROM run_tags")).all()
    finally:
        engine.dispose()
    out = []
    for r in runs:
        out.append(
            {
                "run_id": r["run_id"],
                "status": r["status"],
                "tags": {k: v for run_id, k, v in tags if run_id == r["run_id"]},
            }
        )
    return out
