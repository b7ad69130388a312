"""Alerts in Dagster: the agency-alert asset after each run's checks, the overdue sensor, and the
operator's run-failure sensor. All logic is in ``alerts/``; these only wire resources to it."""

import dagster as dg

from alerts import run_alerts, run_failure_alert
from assets.resources import AlertsResource, SourcesResource, WarehouseResource
from assets.sources import delivery_key
from integrations.config import SourceConfig

ALERTS_KEY = dg.AssetKey(["alerts", "agency_alerts"])
#: how often the overdue sensor looks (a late extract is a matter of days, not minutes)
OVERDUE_INTERVAL_SECONDS = 3600


def build_alerts_asset(configs: list[SourceConfig]) -> dg.AssetsDefinition:
    @dg.asset(
        key=ALERTS_KEY,
        group_name="alerts",
        kinds={"email"},
        # after every source's checks; it reads their results from the warehouse, so a source whose
        # step failed is caught up by the next run instead of being lost
        deps=[delivery_key(s.name) for s in configs],
        description=(
            "Data-quality alerts to each agency's contacts (failed checks, quarantines, resolved "
            "re-deliveries, overdue extracts); retries any message a previous run could not send."
        ),
    )
    def agency_alerts(
        warehouse: WarehouseResource, sources: SourcesResource, alerts: AlertsResource
    ) -> dg.MaterializeResult:
        transport = alerts.transport()
        summary = run_alerts(warehouse.get(), sources.all(), transport, sender=alerts.sender)
        return dg.MaterializeResult(metadata={**summary.as_metadata(), "transport": transport.describe()})

    return agency_alerts


@dg.sensor(
    name="overdue_sensor",
    minimum_interval_seconds=OVERDUE_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts an agency's contacts when its extract is later than its cadence in sources.yaml.",
)
def overdue_sensor(
    context: dg.SensorEvaluationContext,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    alerts: AlertsResource,
):
    summary = run_alerts(warehouse.get(), sources.all(), alerts.transport(), sender=alerts.sender)
    return dg.SkipReason(f"alerts: {summary.queued} queued, {summary.sent} sent, {summary.pending} pending")


@dg.run_failure_sensor(
    name="operator_run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="E-mails the operator when a run fails (step names and error types only).",
)
def operator_run_failure_alert(
    context: dg.RunFailureSensorContext, warehouse: WarehouseResource, alerts: AlertsResource
) -> None:
    from assets.runner import step_failures

    steps = step_failures(context.get_step_failure_events())
    run = context.dagster_run
    run_failure_alert(
        warehouse.get(),
        alerts.transport(),
        run.job_name,
        run.run_id,
        steps,
        operator=alerts.operator,
        sender=alerts.sender,
    )
