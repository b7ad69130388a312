"""Derived measures (warehouse/measures.py) against the generator's known answers, and by hand.

The generated deliveries are loaded with their true links (``synthetic.load``), so every client's
measures must equal ``truth/measures.csv`` exactly, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from integrations.config import load_sources
from integrations.readers import read_extract
from synthetic.load import load_generated
from warehouse import Warehouse
from warehouse.measures import (
    charge_labels,
    client_measures,
    eighteenth_birthday,
    is_chronic,
    probation_status,
)
from warehouse.profiles import client_profile, facts_as_of

MEASURES = [
    "chronic_absence",
    "school_count",
    "probation_ever",
    "probation_current",
    "probation_custody_ever",
    "probation_custody_current",
    "welfare_custody_ever",
    "welfare_custody_current",
    "system_involvement_ever",
    "system_involvement_current",
    "arrests",
    "adult_rearrest",
    "adult_rearrest_sex_trade",
]


@pytest.fixture(scope="module")
def loaded_sqlite(generated, tmp_path_factory) -> Warehouse:
    wh = Warehouse(f"sqlite:///{tmp_path_factory.mktemp('measures') / 'wh.db'}")
    wh.migrate()
    load_generated(wh, generated.files, generated.truth_links)
    return wh


def _compare(wh: Warehouse, generated) -> None:
    got = client_measures(facts_as_of(wh.engine, generated.as_of))
    truth = generated.truth_measures.set_index("client_id")
    assert set(got) == set(truth.index)
    for measure in MEASURES:
        wrong = [cid for cid in truth.index if got[cid][measure] != truth.at[cid, measure]]
        assert not wrong, f"{measure}: {len(wrong)} clients differ from the generator's truth"
    # the data really exercises each measure (a measure that is always False proves nothing)
    for measure in ("chronic_absence", "probation_custody_ever", "welfare_custody_ever", "adult_rearrest"):
        assert truth[measure].any() and not truth[measure].all(), measure
    assert truth["school_count"].max() >= 1 and truth["arrests"].max() >= 2


def test_measures_match_generator_truth_sqlite(loaded_sqlite: Warehouse, generated) -> None:
    _compare(loaded_sqlite, generated)


@pytest.mark.postgres
def test_measures_match_generator_truth_postgres(postgres_url: str, generated) -> None:
    wh = Warehouse(postgres_url)
    wh.migrate()
    load_generated(wh, generated.files, generated.truth_links)
    _compare(wh, generated)
    wh.dispose()


def test_arrests_by_agency_and_charge_add_up(loaded_sqlite: Warehouse, generated) -> None:
    got = client_measures(facts_as_of(loaded_sqlite.engine, generated.as_of))
    truth = generated.truth_measures.set_index("client_id")
    for cid, m in got.items():
        assert sum(m["arrests_by_agency"].values()) == m["arrests"] == truth.at[cid, "arrests"]
        assert sum(m["charges"].values()) >= m["arrests"]
    assert any(m["charges"].get("PC 647(b)") for m in got.values())


def test_risk_factors_and_services_from_the_list(loaded_sqlite: Warehouse, generated) -> None:
    source = load_sources()["safetynet_clients"]
    tables = read_extract(generated.files["safetynet_clients"], source).tables
    clients = tables["clients"].set_index("record_id")
    got = client_measures(facts_as_of(loaded_sqlite.engine, generated.as_of))
    for cid, m in got.items():
        listed = (clients.at[cid, "risk_factors"] or "").split("|")
        assert set(listed) - {""} <= set(m["risk_factors"])
        extra = set(m["risk_factors"]) - set(listed)
        assert extra <= {"chronic_absence"} and (not extra or m["chronic_absence"])
        services = tables["client_services"]
        mine = services[services["record_id"] == cid].sort_values("start_date", kind="stable")
        assert sorted(m["services"]) == sorted(set(mine["service"]))
    assert sum(not m["services"] for m in got.values()) > 0  # some youth have no service on record


def test_profile_as_of_a_past_date_hides_later_events(loaded_sqlite: Warehouse, generated) -> None:
    got = client_measures(facts_as_of(loaded_sqlite.engine, generated.as_of))
    cid = max(got, key=lambda c: got[c]["arrests"])
    now = client_profile(loaded_sqlite.engine, cid, generated.as_of)
    arrests = now.facts["arrests"].sort_values("arrest_datetime")
    cut = arrests["arrest_datetime"].iloc[-1].date()
    before = client_profile(loaded_sqlite.engine, cid, date.fromordinal(cut.toordinal() - 1))
    assert len(before.facts["arrests"]) < len(arrests)
    assert (before.facts["arrests"]["arrest_datetime"] < pd.Timestamp(cut)).all()
    assert set(now.facts["arrests"]["source"]) <= set(generated.files)
    assert (now.facts["arrests"]["as_of"] == pd.Timestamp(generated.as_of)).all()
    assert client_profile(loaded_sqlite.engine, "NOBODY", generated.as_of) is None


def test_definitions_by_hand() -> None:
    assert is_chronic(100, 10) is True and is_chronic(100, 9) is False and is_chronic(0, 0) is None
    assert is_chronic(None, 3) is None
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 3, 1)
    assert eighteenth_birthday(date(2008, 5, 2)) == date(2026, 5, 2)
    assert probation_status(["closed", "informal", "wardship"]) == "wardship"
    assert probation_status(["closed", "warrant", "probation"]) == "warrant"
    assert probation_status([]) is None
    assert charge_labels("647(b) PC|PC653.22|HS 11350(a)") == ["PC 647(b)", "PC 653.22", "HS 11350(a)"]
