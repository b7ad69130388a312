"""The weekly matcher refit (issue 17 part 5): trained on the latest deliveries and the effective
decisions only, versioned as ``safetynet train-matcher`` versions, compared with the matcher in force
(queue size, precision on decided rows), and its Dagster asset's metadata carries counts only."""

from __future__ import annotations

from dataclasses import replace

import dagster as dg
import sqlalchemy as sa

from integrations.config import load_sources
from matchers import params
from matchers.config import load
from review.deciding import decide_item, item_group
from review.queue import QueueOrder, next_item
from sync.pipeline import ingest_next, link_and_load
from sync.refit import refit_matcher
from warehouse import Warehouse
from warehouse.youth import latest_standing, undo_youth


def _synced(generated, landing_copy, tmp_path, monkeypatch) -> Warehouse:
    monkeypatch.setenv("SAFETYNET_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAFETYNET_MATCHER_PARAMS_DIR", str(tmp_path / "params"))
    wh = Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    wh.migrate()
    from matchers import default_matcher

    for src in load_sources().values():  # the client list first, as the config lists it
        outcome = ingest_next(src, landing_copy, wh, today=generated.as_of)
        link_and_load(outcome, src, wh, default_matcher())
    return wh


def _answer_the_queue(wh: Warehouse, generated) -> int:
    """A perfect coordinator: every open item answered from the generator's truth."""
    truth = generated.truth_links.astype({"record_id": str})
    client_of = dict(
        zip(zip(truth["source"], truth["record_id"], strict=True), truth["client_id"], strict=True)
    )
    order, decided = QueueOrder(), 0
    while True:
        with wh.engine.connect() as conn:
            item = next_item(conn, order)
            if item is None:
                return decided
            group = item_group(conn, item, order)
        row = group.rows[0]
        client = client_of.get((row.source, row.record_id))
        decision = "same_person" if client else "none_of_these"
        decide_item(
            wh.engine, item, client_id=client, decision=decision, decided_by="cora", rows=[row.item_id]
        )
        decided += 1


def test_refit_from_effective_decisions_publishes_a_version_with_counts_only(
    generated, landing_copy, tmp_path, monkeypatch
):
    wh = _synced(generated, landing_copy, tmp_path, monkeypatch)
    assert _answer_the_queue(wh, generated) > 0
    with wh.engine.connect() as conn:
        last = latest_standing(conn, "cora")
    undone = undo_youth(wh.engine, last, "cora")  # an undone decision teaches nothing
    config = replace(load(), estimate_min_rows=500)

    result = refit_matcher(wh, load_sources(), landing_copy, config=config, directory=tmp_path / "params")
    assert result["published"] and result["version"]
    assert params.load_current(tmp_path / "params")["version"] == result["version"]
    with wh.engine.connect() as conn:
        effective = conn.execute(
            sa.text(
                "SELECT count(*) FROM review_decisions d LEFT JOIN review_undos u ON u.decision_id = d.id"
                " WHERE u.decision_id IS NULL"
            )
        ).scalar_one()
    labels = result["labels_same_person"] + result["labels_not_this_person"]
    assert 0 < labels <= effective and len(undone.outcomes) >= 1
    assert result["records"] >= 500 and set(result["records_by_source"]) <= set(load_sources())
    for key in ("queue_before", "queue_after", "matches_before", "matches_after"):
        assert isinstance(result[key], int)
    # counts and rates only: no record id, no client id, no name of anyone delivered
    text = str(result)
    values = [
        *generated.truth_links["record_id"].astype(str),
        *generated.truth_links["client_id"].astype(str),
    ]
    assert not any(v in text for v in values)


def test_the_refit_asset_runs_weekly_and_reports_in_metadata(generated, landing_copy, tmp_path, monkeypatch):
    from assets.definitions import defs
    from assets.refit import REFIT_KEY, matcher_refit
    from assets.resources import LandingZoneResource, SourcesResource, WarehouseResource

    wh = _synced(generated, landing_copy, tmp_path, monkeypatch)
    _answer_the_queue(wh, generated)
    result = dg.materialize(
        [matcher_refit],
        resources={
            "warehouse": WarehouseResource(url=wh.url),
            "landing": LandingZoneResource(root=str(landing_copy)),
            "sources": SourcesResource(path=""),
        },
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("matcher__refit")
    metadata = materialization.metadata
    assert {"records", "records_by_source", "published"} <= set(metadata)
    assert "queue_after" in metadata or "skipped" in metadata
    schedule = defs.resolve_schedule_def("weekly_matcher_refit_schedule")
    assert schedule.cron_schedule == "0 4 * * 0"
    nightly = defs.resolve_job_def("nightly_sync")
    assert REFIT_KEY not in nightly.asset_layer.executable_asset_keys


def test_a_candidate_is_published_only_when_it_is_no_worse_for_the_coordinator() -> None:
    from sync.refit import publishable

    def run(queue: int, precision: float | None) -> dict:
        return {"queue": queue, "precision_on_decided": precision}

    assert publishable(run(10, 0.99), run(10, 0.99)) and publishable(run(10, 0.99), run(8, 0.99))
    assert publishable(run(10, 0.98), run(14, 0.99))  # more precise on what people decided
    assert not publishable(run(10, 0.99), run(6, 0.98))  # less precise, however short its queue
    assert not publishable(run(10, 0.99), run(23, 0.99))  # only more questions
    assert not publishable(run(10, None), run(23, None)) and publishable(run(10, None), run(9, None))


def test_the_queue_compared_is_what_the_coordinator_would_be_asked() -> None:
    import pandas as pd

    from sync.refit import compare

    links = pd.DataFrame(
        [
            ("p:1", "C1", "review"),  # answered: she linked the row
            ("p:2", "C2", "review"),  # answered: ruled out for C2 ...
            ("p:2", "C3", "review"),  # ... but not for C3: still asked
            ("p:3", "C1", "review"),  # ruled out for its only candidate
            ("p:4", "C4", "review"),  # never decided
            ("p:5", "C5", "match"),
        ],
        columns=["record_id", "client_id", "decision"],
    )
    got = compare(links, {"p:1": "C1", "p:5": "C5"}, {("p:2", "C2"), ("p:3", "C1")})
    assert got["queue"] == 2 and got["precision_on_decided"] == 1.0
    assert compare(links, {}, set())["queue"] == 4
