"""When the sync runs: every night at 02:00 Pacific, and soon after a new file lands."""

import dagster as dg

from assets.alerts import ALERTS_KEY
from assets.refit import REFIT_KEY
from assets.resources import LandingZoneResource, SourcesResource, WarehouseResource
from assets.sources import delivery_key, warehouse_key
from integrations.config import SourceConfig
from sync.pipeline import delivery_sha256

NIGHTLY_CRON = "0 2 * * *"
#: the run tag deploy/dagster.yaml limits to one queued-and-running run per value
SOURCE_TAG = "safetynet/source"
TIMEZONE = "America/Los_Angeles"

nightly_sync = dg.define_asset_job(
    "nightly_sync",
    # every asset but the weekly refit and the packet and report, which have their own jobs and
    # schedules (assets/refit.py, assets/outputs.py)
    selection=dg.AssetSelection.all()
    - dg.AssetSelection.assets(REFIT_KEY)
    - dg.AssetSelection.groups("outputs"),
    description="Every source: pick up its next delivery, check it, match it, load it.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_sync_schedule",
    job=nightly_sync,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    # the run queue allows one run per safetynet/source value (deploy/dagster.yaml): never two
    # nightly runs at once; a landing-sensor run of one source may overlap it (the warehouse's
    # locks keep that safe: a source's checks and loads take turns)
    tags={SOURCE_TAG: "all"},
)


def _source_selection(source: SourceConfig, client_source: str) -> list[dg.AssetKey]:
    keys = [delivery_key(source.name), warehouse_key(source.name), ALERTS_KEY]
    if source.name != client_source:
        keys.append(
            warehouse_key(client_source)
        )  # the agency assets wait on it; it no-ops when nothing is new
        keys.append(delivery_key(client_source))
    return keys


def build_landing_sensor(configs: list[SourceConfig]) -> dg.SensorDefinition:
    client_source = next(s.name for s in configs if s.kind == "safetynet_clients")

    @dg.sensor(
        name="landing_sensor",
        job=nightly_sync,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a run for a source as soon as a new delivery file is in its landing folder.",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext,
        landing: LandingZoneResource,
        warehouse: WarehouseResource,
        sources: SourcesResource,
    ):
        wh = warehouse.get()
        requests = []
        for source in configs:
            pending = landing.pending(sources.get(source.name), wh)
            if pending:
                # run_key = the file's hash: the same bytes never start a second run
                requests.append(
                    dg.RunRequest(
                        run_key=f"{source.name}:{delivery_sha256(pending[0])}",
                        asset_selection=_source_selection(source, client_source),
                        tags={SOURCE_TAG: source.name},
                    )
                )
        if not requests:
            return dg.SkipReason("no new delivery in any landing folder")
        return requests

    return landing_sensor
