"""Run the nightly sync in this process, the way the schedule would (the CLI's sync and demo, tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import dagster as dg

import settings


@dataclass(frozen=True)
class SyncRun:
    run_id: str
    success: bool
    #: "<source>/<step>" of steps that failed (an unexpected error; a quarantine is not a failure)
    failed_steps: tuple[str, ...]


def dagster_instance() -> dg.DagsterInstance:
    """The persistent instance under var/ (so `dagster dev` shows the demo's runs), telemetry off."""
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def run_nightly_sync(
    defs: dg.Definitions | None = None, instance: dg.DagsterInstance | None = None
) -> SyncRun:
    """Execute the ``nightly_sync`` job in-process; a failed step is reported, not raised."""
    if defs is None:
        from assets.definitions import build_definitions

        defs = build_definitions()
    job = defs.resolve_job_def("nightly_sync")
    result = job.execute_in_process(
        instance=instance or dagster_instance(),
        raise_on_error=False,
        # step-by-step DEBUG lines drown the summary; warnings and failures still show
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    failed = tuple(
        e.step_key.replace("__", "/")
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE" and e.step_key
    )
    return SyncRun(run_id=result.run_id, success=result.success, failed_steps=failed)


def sync_until_idle(max_runs: int = 20) -> list[SyncRun]:
    """Run the nightly sync until no landing folder has a pending delivery (one file per source per run)."""
    from assets.definitions import build_definitions
    from integrations.config import load_sources
    from sync.pipeline import pending_files
    from warehouse import Warehouse

    defs = build_definitions()
    instance = dagster_instance()
    sources = load_sources()
    warehouse = Warehouse(settings.warehouse_url())
    warehouse.migrate()
    runs = []
    for _ in range(max_runs):
        runs.append(run_nightly_sync(defs, instance))
        if not any(pending_files(s, settings.landing_dir(), warehouse) for s in sources.values()):
            break
    return runs
