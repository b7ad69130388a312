"""The Dagster code location: assets per source from config/sources.yaml, checks, schedules, sensors,
and the weekly matcher refit."""

from __future__ import annotations

import dagster as dg

from assets.alerts import build_alerts_asset, operator_run_failure_alert, overdue_sensor
from assets.automation import build_landing_sensor, nightly_schedule, nightly_sync
from assets.outputs import output_definitions
from assets.refit import matcher_refit, weekly_refit, weekly_refit_schedule
from assets.resources import build_resources
from assets.sources import source_assets
from integrations.config import load_sources
from settings.files import restrict_umask


def build_definitions() -> dg.Definitions:
    # every Dagster process that loads this code location (code server, run workers) writes
    # private files: the warehouse, its WAL, the outbox, Dagster's own storage under var/
    restrict_umask()
    sources = list(load_sources().values())
    client_source = next(s.name for s in sources if s.kind == "safetynet_clients")
    assets = [a for s in sources for a in source_assets(s, client_source)]
    assets.append(build_alerts_asset(sources))
    assets.append(matcher_refit)
    core = dg.Definitions(
        assets=assets,
        jobs=[nightly_sync, weekly_refit],
        schedules=[nightly_schedule, weekly_refit_schedule],
        sensors=[build_landing_sensor(sources), overdue_sensor, operator_run_failure_alert],
        resources=build_resources(),
    )
    return dg.Definitions.merge(core, output_definitions(sources))  # the packet and the report


defs = build_definitions()
