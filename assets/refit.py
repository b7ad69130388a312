"""The weekly matcher refit: an asset, its job and its schedule (the work: sync/refit.py).

``matcher/refit`` refits m/u on the latest delivery of every agency source, refined by the
coordinators' effective decisions (undone ones left out), compares the result with the matcher in
force on those deliveries, and publishes it as a new parameters version unless it is less precise
on the rows people decided. Its metadata: the version, counts and rates (queue size and precision
before and after), never client data. Not part of the nightly job: it runs Sunday 04:00 Pacific.
"""

from __future__ import annotations

import dagster as dg

from assets.resources import LandingZoneResource, SourcesResource, WarehouseResource
from sync.refit import refit_matcher

REFIT_KEY = dg.AssetKey(["matcher", "refit"])
WEEKLY_CRON = "0 4 * * 0"
TIMEZONE = "America/Los_Angeles"


@dg.asset(
    key=REFIT_KEY,
    group_name="matcher",
    description="Refit the matcher weekly from effective review decisions; publish unless less precise.",
)
def matcher_refit(
    warehouse: WarehouseResource, landing: LandingZoneResource, sources: SourcesResource
) -> dg.MaterializeResult:
    result = refit_matcher(warehouse.get(), sources.all(), landing.zone)
    return dg.MaterializeResult(metadata=refit_metadata(result))


def refit_metadata(result: dict) -> dict[str, dg.RawMetadataValue]:
    """The refit's counts as Dagster metadata (a value not measured is "n/a")."""
    out: dict[str, dg.RawMetadataValue] = {}
    for key, value in result.items():
        if isinstance(value, dict):
            out[key] = dg.MetadataValue.json(value)
        elif value is None:
            out[key] = "n/a"
        else:
            out[key] = value
    return out


weekly_refit = dg.define_asset_job(
    "weekly_matcher_refit",
    selection=dg.AssetSelection.assets(REFIT_KEY),
    description="Refit the matcher from the week's decisions (matcher/refit).",
)

weekly_refit_schedule = dg.ScheduleDefinition(
    name="weekly_matcher_refit_schedule",
    job=weekly_refit,
    cron_schedule=WEEKLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
