"""Helpers shared by the end-to-end tests (not fixtures: plain functions)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from assets.runner import SyncRun, run_nightly_sync
from warehouse import Warehouse


def configure(monkeypatch: pytest.MonkeyPatch, warehouse_url: str, landing: Path, var: Path) -> None:
    """Point the whole product at one warehouse, one landing zone and one var/ for a test, and create
    the warehouse as a deployment would (`safetynet db upgrade`: nothing else creates one)."""
    monkeypatch.setenv("SAFETYNET_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("SAFETYNET_LANDING_DIR", str(landing))
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(var))
    monkeypatch.setenv("DAGSTER_HOME", str(var / "dagster_home"))
    warehouse = Warehouse(warehouse_url)
    warehouse.migrate()
    warehouse.dispose()


def sync_once(instance: dg.DagsterInstance | None = None) -> SyncRun:
    from assets.definitions import build_definitions

    return run_nightly_sync(build_definitions(), instance or dg.DagsterInstance.ephemeral())


def table(url: str, name: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return pd.read_sql_table(name, conn)
    finally:
        engine.dispose()


def snapshot(url: str, skip: tuple[str, ...] = ("runs", "alembic_version")) -> dict[str, pd.DataFrame]:
    """Every warehouse table's content, sorted, without volatile bookkeeping columns."""
    engine = sa.create_engine(url)
    out = {}
    try:
        names = sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            for name in sorted(names):
                if name in skip:
                    continue
                frame = pd.read_sql_table(name, conn)
                frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE], errors="ignore")
                frame = frame.astype(str)  # JSON columns come back as lists; compare their text
                out[name] = (
                    frame.sort_values(list(frame.columns)).reset_index(drop=True) if len(frame) else frame
                )
    finally:
        engine.dispose()
    return out


#: columns that record when something happened, not what the warehouse holds
VOLATILE = {"received_at", "updated_at", "started_at", "finished_at", "opened_at", "run_id", "created_at"}
