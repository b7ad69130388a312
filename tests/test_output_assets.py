"""The packet and the report as Dagster assets: materialised in process, partitioned by meeting date
and by quarter, with counts-only metadata, an audit entry, and schedules that pick the right partition."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.definitions import build_definitions
from assets.outputs import (
    PACKET_KEY,
    REPORT_KEY,
    OutputsResource,
    case_review_packet_schedule,
    last_complete_quarter,
    output_assets,
    quarter_of,
    quarterly_report_schedule,
)
from assets.resources import SourcesResource, WarehouseResource
from integrations.config import load_sources
from review import audit
from tests.outcomes_data import CLIENTS, build_outcomes_warehouse
from warehouse import Warehouse

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def repo() -> dg.RepositoryDefinition:
    return build_definitions().get_repository_def()


@pytest.fixture
def outcomes(warehouse_url: str):
    wh = build_outcomes_warehouse(warehouse_url)
    yield wh
    wh.dispose()


def _assets() -> dict[dg.AssetKey, dg.AssetsDefinition]:
    return {a.key: a for a in output_assets(list(load_sources().values()))}


def _resources(wh: Warehouse, out: Path) -> dict:
    return {
        "warehouse": WarehouseResource(url=wh.url),
        "sources": SourcesResource(),
        "outputs": OutputsResource(root=str(out)),
    }


def _client_values() -> set[str]:
    """Every name, id and date of birth of the hand-made youth: none may reach Dagster."""
    return {str(c[k]) for c in CLIENTS for k in ("record_id", "first_name", "last_name", "dob")}


def _metadata_text(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> tuple[dict, str]:
    (mat,) = [e.materialization for e in result.get_asset_materialization_events() if e.asset_key == key]
    values = {k: v.value for k, v in mat.metadata.items()}
    return values, json.dumps(values, default=str)


def test_packet_asset_builds_one_meeting_with_counts_only(outcomes: Warehouse, tmp_path: Path) -> None:
    result = dg.materialize(
        [_assets()[PACKET_KEY]], partition_key="2026-10-08", resources=_resources(outcomes, tmp_path)
    )
    assert result.success
    meta, text = _metadata_text(result, PACKET_KEY)
    assert meta["meeting"] == "2026-10-08" and meta["youth_on_agenda"] == 1
    assert set(meta["files"]) >= {"packet_2026-10-08.html", "packet_2026-10-08.xlsx"}
    assert (tmp_path / "packets" / "packet_2026-10-08.html").is_file()
    assert not any(v in text for v in _client_values())
    with outcomes.engine.connect() as conn:  # whose records it printed, as the CLI would say
        (entry,) = audit.entries(conn, action="packet_written")
    assert entry["username"].startswith("dagster:") and entry["client_ids"] == " A1 "


def test_report_asset_builds_one_quarter(outcomes: Warehouse, tmp_path: Path) -> None:
    result = dg.materialize(
        [_assets()[REPORT_KEY]], partition_key="2026-07-01", resources=_resources(outcomes, tmp_path)
    )
    assert result.success
    meta, text = _metadata_text(result, REPORT_KEY)
    assert meta["quarter"] == "2026Q3" and meta["as_of"] == "2026-09-30"
    assert meta["tables"] > 20 and meta["cells_suppressed"] > 0
    assert (tmp_path / "reports" / "quarterly_2026Q3.html").is_file()
    assert not any(v in text for v in _client_values())


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_report_asset_fails_saying_what_is_missing(warehouse_url: str, tmp_path: Path) -> None:
    wh = Warehouse(warehouse_url)
    wh.migrate()
    result = dg.materialize(
        [_assets()[REPORT_KEY]],
        partition_key="2026-07-01",
        resources=_resources(wh, tmp_path),
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "no report for 2026Q3" in failure.step_failure_data.error.message
    assert not (tmp_path / "reports" / "quarterly_2026Q3.html").exists()
    with wh.engine.connect() as conn:
        (entry,) = audit.entries(conn, action="report_written")
    assert entry["outcome"] == "refused"
    wh.dispose()


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_packet_schedule_builds_the_night_before_a_meeting_only(outcomes: Warehouse, repo) -> None:
    resources = {"warehouse": WarehouseResource(url=outcomes.url)}
    eve = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 10, 7, 18, tzinfo=PACIFIC),
        resources=resources,
        repository_def=repo,
    )
    (request,) = case_review_packet_schedule.evaluate_tick(eve).run_requests
    assert request.partition_key == "2026-10-08"
    other = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 10, 8, 18, tzinfo=PACIFIC),
        resources=resources,
        repository_def=repo,
    )
    tick = case_review_packet_schedule.evaluate_tick(other)
    assert not tick.run_requests and "no meeting on 2026-10-09" in tick.skip_message


def test_report_schedule_and_quarter_keys(repo) -> None:
    when = datetime(2026, 10, 15, 6, tzinfo=PACIFIC)
    ctx = dg.build_schedule_context(scheduled_execution_time=when, repository_def=repo)
    (request,) = quarterly_report_schedule.evaluate_tick(ctx).run_requests
    assert request.partition_key == "2026-07-01" and quarter_of(request.partition_key) == "2026Q3"
    assert last_complete_quarter(date(2026, 1, 15)) == "2025-10-01" and quarter_of("2025-10-01") == "2025Q4"


def test_the_code_location_has_both_with_their_own_jobs(repo) -> None:
    assert {"case_review_packet", "quarterly_report"} <= {j.name for j in repo.get_all_jobs()}
    nightly = repo.get_job("nightly_sync").asset_layer.asset_graph.get_all_asset_keys()
    assert PACKET_KEY not in nightly and REPORT_KEY not in nightly  # not rebuilt every night
    packet_deps = repo.asset_graph.get(PACKET_KEY).parent_keys
    assert dg.AssetKey(["probation", "warehouse"]) in packet_deps
