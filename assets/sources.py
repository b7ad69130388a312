"""One asset factory for every source in config/sources.yaml ("many agencies, one shape").

Per source two assets:
- ``<source>/delivery``: the oldest pending delivery file, read and checked by its Great
  Expectations suite; the check ``expectations`` carries every rule's result (rule id, severity,
  failing row count and row numbers: never a value). A delivery that fails a blocking rule is
  quarantined: the check fails with ERROR severity and the warehouse asset loads nothing of it,
  so that source keeps its last good state.
- ``<source>/warehouse``: every pending delivery of the source (the one just checked, and any a
  killed run left behind) matched to the client list and loaded, each in one transaction. Agency
  sources wait for the client list's warehouse asset, so they match against today's list.

Nothing passes from one asset to the other through Dagster's IO manager: the delivery asset
records its verdict in the warehouse and the warehouse asset reads the pending deliveries from
there. A value handed over in Dagster's storage lives at one path per asset, shared by every run,
so two runs at once overwrote each other's hand-off and a delivery could stay unloaded.

The check is deliberately not a Dagster *blocking* check: a failed blocking check fails its step,
which fails the whole nightly run and skips the alerts asset. A quarantine is an expected outcome
of a run, not a failure of it: the quarantined source's warehouse asset records "quarantined: last
good delivery kept", every other source loads, the agency's contacts get their alert, and the run
succeeds. (The quarantine itself is enforced by ``sync.pipeline.link_and_load``.) When a new
client list is quarantined the loader keeps the last good one and agency deliveries still match
against it.
"""

import dagster as dg

from assets.resources import LandingZoneResource, MatcherResource, SourcesResource, WarehouseResource
from integrations.config import SourceConfig
from sync.pipeline import DeliveryOutcome, ingest_next, load_pending

DELIVERY = "delivery"
WAREHOUSE = "warehouse"
CHECK = "expectations"
#: row numbers shown per rule in Dagster metadata (the warehouse keeps more)
ROWS_IN_METADATA = 20


def delivery_key(source: str) -> dg.AssetKey:
    return dg.AssetKey([source, DELIVERY])


def warehouse_key(source: str) -> dg.AssetKey:
    return dg.AssetKey([source, WAREHOUSE])


def check_result(outcome: DeliveryOutcome) -> dg.AssetCheckResult:
    """The suite's verdict as a Dagster check: ERROR when quarantined, WARN for warnings only."""
    results = outcome.report.get("results", [])
    failed = [r for r in results if not r["success"]]
    metadata: dict[str, dg.RawMetadataValue] = {
        "file_name": outcome.file_name or "(no new delivery)",
        "rules_checked": len(results),
        "rules_failed": len(failed),
        "rules_failed_blocking": sum(r["severity"] == "blocking" for r in failed),
        "rows_failing_blocking": sum(r["unexpected_count"] for r in failed if r["severity"] == "blocking"),
        "quarantined": outcome.quarantined,
    }
    # one entry per rule: its id, severity and counts (row numbers are the agency's, never values)
    for r in sorted(results, key=lambda r: (r["success"], r["severity"] != "blocking", r["rule_id"])):
        metadata[r["rule_id"]] = dg.MetadataValue.json(
            {
                "severity": r["severity"],
                "passed": bool(r["success"]),
                "rows_failed": int(r["unexpected_count"]),
                "row_numbers": [int(n) for n in r["row_numbers"][:ROWS_IN_METADATA]],
            }
        )
    if outcome.quarantined:
        return dg.AssetCheckResult(
            check_name=CHECK, passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata
        )
    if failed:
        return dg.AssetCheckResult(
            check_name=CHECK, passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=metadata
        )
    return dg.AssetCheckResult(check_name=CHECK, passed=True, metadata=metadata)


def source_assets(source: SourceConfig, client_source: str) -> list[dg.AssetsDefinition]:
    """The two assets of one source (see the module docstring)."""
    name = source.name
    is_client_list = source.kind == "safetynet_clients"

    @dg.asset(
        key=delivery_key(name),
        group_name="deliveries",
        kinds={source.format},
        tags={"safetynet/kind": source.kind},
        description=f"Newest pending {source.agency} delivery ({source.kind}), read and checked.",
        check_specs=[
            dg.AssetCheckSpec(
                CHECK,
                asset=delivery_key(name),
                blocking=False,  # see the module docstring: a quarantine must not fail the run
                description=(
                    f"Great Expectations suite for {source.kind}: ERROR when a blocking rule fails "
                    "(the delivery is quarantined), WARN for warnings only."
                ),
            )
        ],
    )
    def delivery(
        context: dg.AssetExecutionContext,
        sources: SourcesResource,
        landing: LandingZoneResource,
        warehouse: WarehouseResource,
    ):
        outcome = ingest_next(
            sources.get(name), landing.zone, warehouse.get(), trigger=f"dagster:{context.run_id}"
        )
        context.log.info(f"{name}: {outcome.status} {outcome.file_name or ''} ({outcome.rows_read} rows)")
        return dg.MaterializeResult(
            metadata={
                "status": outcome.status,
                "file_name": outcome.file_name or "",
                "delivered_on": str(outcome.delivered_on or ""),
                "delivery_id": outcome.delivery_id or 0,
                "rows_read": outcome.rows_read,
            },
            check_results=[check_result(outcome)],
        )

    @dg.asset(
        key=warehouse_key(name),
        group_name="warehouse",
        kinds={"sqlalchemy"},
        tags={"safetynet/kind": source.kind},
        deps=[delivery_key(name)] + ([] if is_client_list else [warehouse_key(client_source)]),
        description=(
            "The SafetyNet client list in the warehouse (the master list agency rows are matched to)."
            if is_client_list
            else f"{source.agency} facts of matched clients, match links and review items."
        ),
    )
    def loaded(
        context: dg.AssetExecutionContext,
        sources: SourcesResource,
        landing: LandingZoneResource,
        warehouse: WarehouseResource,
        matcher: MatcherResource,
    ) -> dg.MaterializeResult:
        engine = matcher.get()
        results = load_pending(sources.get(name), landing.zone, warehouse.get(), engine)
        done = [r for r in results if not r.skipped]
        if not done:
            # a quarantined delivery is never pending: the source keeps its last good delivery
            reason = "loaded by another run" if results else "no pending delivery"
            return dg.MaterializeResult(metadata={"loaded": False, "reason": reason})
        result = done[-1]
        metadata: dict[str, dg.RawMetadataValue] = {
            "loaded": True,
            "deliveries_loaded": len(done),
            "delivery_id": result.delivery_id,
            "rows_read": result.rows_read,
            "records_matched": result.records_matched,
            "review_items_open": result.review_items_open,
        }
        metadata.update({f"facts.{table}": n for table, n in result.facts.items()})
        stats = getattr(engine, "stats", None)  # counts only: which parameters scored, pairs per row
        if stats is not None and stats.records:
            metadata["matcher.parameters"] = stats.parameters
            metadata["matcher.pairs_per_record"] = round(stats.pairs_per_record, 2)
            metadata["matcher.match_rate"] = round(stats.match_rate, 4)
            metadata["matcher.match_threshold"] = round(stats.match_threshold, 4)
            # relatives per row of the client herself, as this delivery's data weighed them
            metadata.update({f"matcher.relatives.{k}": round(v, 4) for k, v in stats.relatives.items()})
            # how often each review cap (a safety net) kept a row from an auto-match
            metadata.update({f"matcher.cap.{k}": int(v) for k, v in stats.caps_fired.items()})
            # how many given names matched rows stated (a count: never the names themselves)
            metadata["matcher.learned_given_names"] = int(stats.learned_names)
        return dg.MaterializeResult(metadata=metadata)

    return [delivery, loaded]
