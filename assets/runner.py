"""Run the nightly sync in this process, the way the schedule would (the CLI's sync and demo, tests)."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

import settings
from settings.files import private_dir, write_private

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncRun:
    run_id: str
    success: bool
    #: "<source>/<step>" of steps that failed (an unexpected error; a quarantine is not a failure)
    failed_steps: tuple[str, ...]
    #: (step, error type) per failed step: the class of the exception raised, never its message
    failures: tuple[tuple[str, str], ...] = ()
    #: the operator was e-mailed (or the message is pending in the alert ledger) about the failure
    operator_alerted: bool = False


def step_failures(events: Iterable[dg.DagsterEvent]) -> list[tuple[str, str]]:
    """("<source>/<step>", error type) of each STEP_FAILURE event: no message, no traceback.

    Dagster wraps the user's exception; the innermost cause's class is what failed.
    """
    out = []
    for event in events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        error = event.step_failure_data.error if event.step_failure_data else None
        while error is not None and error.cause is not None:
            error = error.cause
        step = (event.step_key or "?").replace("__", "/")
        out.append((step, error.cls_name if error is not None and error.cls_name else "error"))
    return out


def dagster_instance() -> dg.DagsterInstance:
    """The persistent instance under var/ (so `dagster dev` shows the demo's runs), telemetry off.

    Its SQLite storages are created under a file lock: two syncs started at once on a new home
    otherwise both create Dagster's tables, and one fails (``table ... already exists``).
    """
    home = settings.dagster_home()
    private_dir(home)
    lock_fd = os.open(home / ".instance.lock", os.O_RDWR | os.O_CREAT, 0o600)
    with open(lock_fd, "r+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed (or when the process dies)
        config = home / "dagster.yaml"
        if not config.exists():
            write_private(config, b"telemetry:\n  enabled: false\n")
        os.environ["DAGSTER_HOME"] = str(home)
        instance = dg.DagsterInstance.get()
        # each storage makes its tables when first touched: touch them all while holding the lock
        _ = (instance.run_storage, instance.event_log_storage, instance.schedule_storage)
    return instance


def run_nightly_sync(
    defs: dg.Definitions | None = None,
    instance: dg.DagsterInstance | None = None,
    alert_operator: bool = True,
) -> SyncRun:
    """Execute the ``nightly_sync`` job in-process; a failed step is reported (and, by default, the
    operator e-mailed), not raised."""
    if defs is None:
        from assets.definitions import build_definitions

        defs = build_definitions()
    job = defs.resolve_job_def("nightly_sync")
    result = job.execute_in_process(
        instance=instance or dagster_instance(),
        raise_on_error=False,
        # Dagster's console log of a failed step carries the exception's message and traceback
        # (which can quote a value); the caller prints step names and error types instead
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )
    failures = tuple(step_failures(result.all_events))
    alerted = bool(failures) and alert_operator and _alert_operator(result.run_id, failures)
    return SyncRun(
        run_id=result.run_id,
        success=result.success,
        failed_steps=tuple(step for step, _ in failures),
        failures=failures,
        operator_alerted=alerted,
    )


def _alert_operator(run_id: str, failures: tuple[tuple[str, str], ...]) -> bool:
    """E-mail the operator about a failed in-process run, as the run-failure sensor does for the
    daemon's runs (one message per run id: the ledger never sends it twice). Never raises."""
    from alerts import configured_transport, run_failure_alert
    from warehouse import Warehouse

    try:
        warehouse = Warehouse.open()
        transport = configured_transport()
        try:
            run_failure_alert(warehouse, transport, "nightly_sync", run_id, list(failures))
        finally:
            transport.close()
            warehouse.dispose()
    except Exception as exc:  # the failure is still printed and the exit status says so
        log.error("run %s: the operator alert could not be recorded (%s)", run_id, type(exc).__name__)
        return False
    return True


def sync_until_idle(max_runs: int = 20) -> list[SyncRun]:
    """Run the nightly sync until no landing folder has a pending delivery (one file per source per run)."""
    from assets.definitions import build_definitions
    from integrations.config import load_sources
    from sync.pipeline import pending_files
    from warehouse import Warehouse

    warehouse = Warehouse.open()  # first: a missing warehouse is refused before anything is made
    defs = build_definitions()
    instance = dagster_instance()
    sources = load_sources()
    runs = []
    for _ in range(max_runs):
        runs.append(run_nightly_sync(defs, instance))
        if not any(pending_files(s, settings.landing_dir(), warehouse) for s in sources.values()):
            break
    return runs
