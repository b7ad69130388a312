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
from tests.outcomes_data import AS_OF, START, build_outcomes_warehouse
from warehouse import Warehouse
from warehouse.measures import (
    charge_group,
    charge_labels,
    client_measures,
    eighteenth_birthday,
    is_chronic,
    is_csec_allegation,
    probation_status,
    quarter_events,
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


# --- hand-made youth with the edge cases (tests/outcomes_data.py) ---------------------------------


@pytest.fixture
def outcomes(warehouse_url: str):
    wh = build_outcomes_warehouse(warehouse_url)
    facts = facts_as_of(wh.engine, AS_OF)
    yield client_measures(facts), quarter_events(facts, START, AS_OF)
    wh.dispose()


def test_arrests_of_a_youth_who_turns_18_in_the_quarter(outcomes) -> None:
    m, q = outcomes
    a = m["A1"]
    assert (a["juvenile_arrests"], a["adult_arrests"], a["arrests"]) == (1, 1, 2)
    assert a["juvenile_arrest"] and a["adult_rearrest"] and a["adult_rearrest_sex_trade"]
    assert a["adult_charge_groups"] == ["Sex trade (PC 647(b), 653.22)"]
    assert a["sex_trade_arrests_by_agency"] == {"oakland_pd": 1}
    assert q["A1"]["arrested_as_juvenile"] and q["A1"]["arrested_as_adult"] and q["A1"]["bookings"] == 2
    b = m["B2"]  # booked before her referral, as a juvenile: history counts, the quarter does not
    assert b["juvenile_arrest"] and not b["adult_rearrest"] and b["adult_charge_groups"] == []
    assert not q["B2"]["arrested"] and q["B2"]["bookings"] == 0
    assert not m["C3"]["juvenile_arrest"] and m["C3"]["arrests"] == 0


def test_residence_timeline_with_gaps_and_an_out_of_state_move(outcomes) -> None:
    m, _ = outcomes
    a = m["A1"]
    assert a["residence_at_referral"] is None  # referred while on the run: no residence in force
    assert a["residence_now"] == ("Hayward", "Alameda", "CA")
    assert a["residence_gap_days"] == 89 + 15
    assert a["out_of_state_ever"] and a["out_of_county_ever"] and a["moved_since_referral"]
    assert (a["residences"], a["counties"], a["whereabouts_unknown"]) == (3, 2, False)
    b = m["B2"]  # no timeline on the list: the list's own city and county, undated
    assert b["residence_now"] == ("Oakland", "Alameda", None) and b["residences"] == 0
    assert not b["out_of_county_ever"] and b["residence_gap_days"] == 0


def test_an_episode_with_no_end_date_is_open(outcomes) -> None:
    m, q = outcomes
    a = m["A1"]
    assert a["welfare_custody_current"] and a["system_involvement_current"]
    assert a["returned_from_placement"] is None and not a["back_from_placement_no_school"]
    assert not q["A1"]["placement_began"] and not q["A1"]["placement_ended"]
    c = m["C3"]  # one placement ends the day the next begins: a transfer, not a return
    assert c["welfare_custody_current"] and c["returned_from_placement"] is None
    assert q["C3"]["placement_began"] and q["C3"]["placement_ended"]
    assert not q["C3"]["returned_from_placement"]


def test_back_from_placement_with_no_school(outcomes) -> None:
    m, q = outcomes
    b = m["B2"]
    assert b["returned_from_placement"] == date(2026, 8, 20)
    assert b["back_from_placement_no_school"] and b["probation_ever"] and b["probation_custody_ever"]
    assert q["B2"]["returned_from_placement"] and q["B2"]["placement_ended"]
    assert not q["B2"]["placement_began"]  # it began in January


def test_services_providers_and_involvement(outcomes) -> None:
    m, _ = outcomes
    assert m["A1"]["services"] == ["csec_advocacy"] and m["A1"]["providers"] == ["misssey"]
    assert m["A1"]["service_now"] and not m["A1"]["no_service"]
    assert m["B2"]["no_service"] and m["B2"]["services"] == []
    assert m["C3"]["services"] == ["mental_health"] and not m["C3"]["service_now"]  # ended
    assert [m[c]["involvement"] for c in ("A1", "B2", "C3")] == [
        "social_services",
        "probation",
        "social_services",
    ]
    # active: A1 has a meeting ahead and an ongoing service, B2 an open probation referral, C3 is in custody
    assert all(m[c]["active_case"] for c in ("A1", "B2", "C3"))


def test_age_dispositions_schools_and_risk_factors(outcomes) -> None:
    m, q = outcomes
    assert [m[c]["age_at_referral"] for c in ("A1", "B2", "C3")] == [16, 16, 15]
    assert m["A1"]["welfare_dispositions"] == ["substantiated", "unfounded"]
    assert m["A1"]["csec_allegation_dispositions"] == ["unfounded"]
    assert q["A1"]["unfounded_csec_allegation"] and q["A1"]["csec_allegation"]
    assert not q["C3"]["csec_allegation"]  # sexual abuse is not a CSEC allegation
    assert m["C3"]["school_count"] == 2 and len(m["C3"]["schools"]) == 2
    assert m["B2"]["chronic_absence"] and "chronic_absence" in m["B2"]["risk_factors"]
    assert m["B2"]["risk_factors_listed"] == ["substance_use"]
    assert [c for c in q if q[c]["referred"]] == ["B2"]


def test_charge_groups_by_hand() -> None:
    assert charge_group("PC 647(b)") == charge_group("PC 653.22(a)") == "Sex trade (PC 647(b), 653.22)"
    assert charge_group("PC 236.1(c)").startswith("Human trafficking")
    assert charge_group("PC 245(a)(1)").startswith("Violent")
    assert charge_group("PC 2450") == "Other"  # a longer section number is another section
    assert charge_group("HS 11350(a)").startswith("Drugs")
    assert charge_group("VC 10851(a)").startswith("Property")
    assert charge_group("PC 148(a)(1)").startswith("Obstruction")
    assert is_csec_allegation("Commercial Sexual Exploitation") and is_csec_allegation("CSEC")
    assert not is_csec_allegation("Sexual Abuse") and not is_csec_allegation(None)
