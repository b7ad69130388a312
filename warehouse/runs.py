"""The run log (``runs``): one row per run of the nightly sync, with its status and summary."""

from __future__ import annotations

import json

import sqlalchemy as sa

from warehouse.db import utcnow, write_transaction
from warehouse.errors import WarehouseError
from warehouse.models import Run


def start_run(engine: sa.Engine, trigger: str) -> int:
    """A new row of the run log (``runs``), status ``running``; returns its id."""
    with write_transaction(engine) as conn:
        return conn.execute(
            sa.insert(Run.__table__)
            .values(trigger=trigger, started_at=utcnow(), status="running")
            .returning(Run.__table__.c.id)
        ).scalar_one()


def finish_run(engine: sa.Engine, run_id: int, status: str, summary: dict | None = None) -> None:
    """Close a run log row with its status and a JSON summary (counts and names only)."""
    # round-trip through JSON so a date or Path in the summary cannot fail the run at the very end
    safe = json.loads(json.dumps(summary or {}, default=str))
    with write_transaction(engine) as conn:
        runs = Run.__table__
        done = conn.execute(
            sa.update(runs)
            .where(runs.c.id == run_id)
            .values(status=status, finished_at=utcnow(), summary=safe)
        )
        if done.rowcount != 1:
            raise WarehouseError(f"unknown run {run_id}")
