"""Trained matcher parameters: versioned files, loaded by the nightly matcher, refined by reviewer
decisions read from the warehouse (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from matchers import default_matcher, params
from matchers.config import load
from matchers.labels import refine_with_labels, warehouse_labels
from matchers.train import train, train_and_save
from sync.match_files import read_persons
from synthetic import generate_canonical
from tests.matcher_data import CLIENTS, _people
from tests.warehouse_data import ARREST_LINKS, arrests, record
from warehouse import Warehouse, decisions

RECORDS = _people(
    [
        dict(
            record_id=f"R{i}",
            first_name=c["first_name"],
            last_name=c["last_name"],
            dob=c["dob"],
            sex=c["sex"],
            address=c["address"],
            city=c["city"],
            zip=c["zip"],
        )
        for i, c in enumerate(CLIENTS.to_dict("records"))
    ],
    "record_id",
)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Generated clients, records (~2,400 rows: enough to train on) and the true links."""
    out = tmp_path_factory.mktemp("canonical")
    generate_canonical(out, seed=3, clients=200, scale=12, as_of=date(2026, 11, 22))
    return (
        read_persons(out / "clients.csv", "client_id"),
        read_persons(out / "records.csv", "record_id"),
        pd.read_csv(out / "truth.csv", dtype=str),
    )


@pytest.fixture(autouse=True)
def _no_published_parameters(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never pick up parameters a developer trained under var/."""
    monkeypatch.setenv(params.ENV_VAR, str(tmp_path_factory.mktemp("no_params")))


def _explanation(**levels: str) -> str:
    return json.dumps(
        {
            "fields": [{"field": f, "level": lv, "weight": 1.0} for f, lv in levels.items()],
            "prior": -10.0,
            "total": 5.0,
        }
    )


def test_saved_parameters_are_versioned_current_and_loaded_by_the_default_matcher(
    tmp_path: Path, extract
) -> None:
    cfg = load()
    clients, records, _ = extract
    fitted, trained_on = train(cfg, clients, records)
    assert trained_on == {
        "clients": len(clients),
        "records": len(records),
        "labels_same_person": 0,
        "labels_not_this_person": 0,
    }
    first = params.save(fitted, trained_on, tmp_path)
    assert (tmp_path / f"params-{first['version']}.json").is_file()
    assert params.load_current(tmp_path)["version"] == first["version"]

    changed = params.apply(
        cfg,
        {
            **first,
            "fields": {
                **first["fields"],
                "sex": {"levels": ["agree", "disagree"], "m": [0.9, 0.1], "u": [0.6, 0.4]},
            },
        },
    )
    second = params.save(changed, {"note": "second"}, tmp_path)
    assert second["version"] != first["version"]
    assert params.load_current(tmp_path)["version"] == second["version"]
    params.publish(first["version"], tmp_path)  # roll back: the old file is still there, unchanged
    assert params.load_current(tmp_path)["version"] == first["version"]

    matcher = default_matcher()
    assert matcher.parameters_version is None  # the autouse fixture points at an empty folder


def test_nightly_matcher_scores_with_the_current_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extract
) -> None:
    clients, records, truth = extract
    monkeypatch.setenv(params.ENV_VAR, str(tmp_path))
    doc = train_and_save(load(), clients, records, directory=tmp_path)
    matcher = default_matcher()
    out = matcher.link(clients, records)
    assert matcher.stats.parameters == doc["version"]
    assert matcher.fitted_config.fields["dob"].m == tuple(doc["fields"]["dob"]["m"])
    hits = out[out["decision"] == "match"]
    matched = set(zip(hits["record_id"], hits["client_id"], strict=True))
    true = set(zip(truth["record_id"], truth["client_id"], strict=True))
    assert len(matched & true) >= 0.9 * len(true) and len(matched - true) <= 0.005 * len(matched)


def test_training_refuses_a_tiny_extract() -> None:
    with pytest.raises(ValueError, match="training needs at least 2000 records"):
        train(load(), CLIENTS, RECORDS)


def test_parameters_that_do_not_fit_the_config_are_refused(tmp_path: Path) -> None:
    doc = params.save(load(), {}, tmp_path)
    doc["fields"]["dob"]["levels"] = ["exact", "else"]
    with pytest.raises(ValueError, match="field dob does not fit"):
        params.apply(load(), doc)
    (tmp_path / "params-bad.json").write_text("{not json")
    params.publish("bad", tmp_path)
    with pytest.raises(ValueError, match="unreadable matcher parameters"):
        params.load_current(tmp_path)


def test_reviewer_decisions_pull_m_towards_the_labelled_levels() -> None:
    cfg = load()
    labels = pd.DataFrame(
        {
            "decision": ["same_person"] * 40 + ["not_this_person"] * 7,
            "explanation": [_explanation(first_name="else", last_name="exact", dob="exact")] * 47,
        }
    )
    refined, counts = refine_with_labels(cfg, labels)
    assert counts == {"positive": 40, "negative": 7}
    before, after = cfg.fields["first_name"], refined.fields["first_name"]
    i = before.levels.index("else")
    assert after.m[i] > before.m[i] * 2  # a renamed client confirmed 40 times: a new name is likelier
    assert abs(sum(after.m) - 1) < 1e-9
    assert refined.fields["sex"] == cfg.fields["sex"]  # no label speaks of sex: unchanged


def test_labels_come_from_the_warehouse_decisions_and_stored_explanations(with_clients: Warehouse) -> None:
    warehouse = with_clients
    ex = arrests()
    links = pd.DataFrame(
        [
            {
                "record_id": r,
                "client_id": c,
                "score": s,
                "decision": d,
                "explanation": _explanation(first_name="jw_85", dob="exact"),
            }
            for r, c, s, d in ARREST_LINKS
        ]
    )
    warehouse.load_delivery(record(warehouse, ex), ex, links)
    decisions.decide(
        warehouse.engine,
        source="oakland_pd",
        record_id="B2",
        client_id="C2",
        decision="same_person",
        decided_by="coordinator",
    )
    labels = warehouse_labels(warehouse.engine)
    assert labels["decision"].tolist() == ["same_person"]
    assert json.loads(labels["explanation"].iloc[0])["fields"][0] == {
        "field": "first_name",
        "level": "jw_85",
        "weight": 1.0,
    }


def test_undone_decisions_are_no_labels(with_clients: Warehouse) -> None:
    """Training reads effective decisions only, as every replay does (warehouse.decisions); a row
    ruled out on its last candidate has left match_links, but the explanation the person saw was
    kept beside the decision."""
    from warehouse import decisions

    warehouse = with_clients
    ex = arrests()
    links = pd.DataFrame(
        [
            {
                "record_id": r,
                "client_id": c,
                "score": s,
                "decision": "review" if d == "match" else d,
                "explanation": _explanation(first_name="jw_85", dob="exact"),
            }
            for r, c, s, d in ARREST_LINKS
        ]
    )
    warehouse.load_delivery(record(warehouse, ex), ex, links)
    kept = decisions.decide(
        warehouse.engine,
        source="oakland_pd",
        record_id="B1",
        client_id="C1",
        decision="not_this_person",
        decided_by="coordinator",
    )
    assert kept.purged  # its last candidate: the row left the warehouse, and its match_links row too
    undone = decisions.decide(
        warehouse.engine,
        source="oakland_pd",
        record_id="B2",
        client_id="C2",
        decision="same_person",
        decided_by="coordinator",
    )
    assert len(warehouse_labels(warehouse.engine)) == 2
    decisions.undo(warehouse.engine, undone.decision_id, "coordinator")
    labels = warehouse_labels(warehouse.engine)
    assert labels["decision"].tolist() == ["not_this_person"]
    assert json.loads(labels["explanation"].iloc[0])["fields"][0]["level"] == "jw_85"
