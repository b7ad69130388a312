"""The matcher on small hand-made frames (made-up people only): standardisation rules and the hard
cases of DESIGN.md "Matching", each with an assertion on the decision."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from matchers import Matcher, default_matcher, engine, nicknames, parallel
from matchers.compare import LEVELS, compare_names
from matchers.config import DEFAULT_FILE, from_dict
from matchers.engine import FellegiSunterMatcher
from matchers.standardise import (
    PLACEHOLDER_GIVEN,
    PLACEHOLDER_SURNAME,
    drop_placeholders,
    fold,
    parse_dob,
    standardise,
    strip_suffixes,
)
from tests.matcher_data import CLIENTS, _decision, _link, _people, _record, _synthetic


@pytest.fixture(autouse=True)
def _no_published_parameters(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """These tests speak of config/matching.yaml: never of parameters a developer trained under var/."""
    monkeypatch.setenv("SAFETYNET_MATCHER_PARAMS_DIR", str(tmp_path_factory.mktemp("no_params")))


# --- standardisation -------------------------------------------------------------------------


def test_fold_removes_accents_case_and_punctuation() -> None:
    got = fold(pd.Series(["Peña", "JOSÉ", "O'Brien", "Núñez-Ávila", None, "  Zoë  "])).tolist()
    assert got == ["pena", "jose", "obrien", "nunez avila", "", "zoe"]


def test_suffixes_are_dropped() -> None:
    got = strip_suffixes(fold(pd.Series(["Smith Jr.", "Lopez III", "Reyes, Sr", "Ivy"]))).tolist()
    assert got == ["smith", "lopez", "reyes", "ivy"]  # "Ivy" is a name, not the suffix IV


def test_compound_surnames_split_into_parts() -> None:
    t = standardise(
        _people(
            [
                _record("r1", last_name="García-López"),
                _record("r2", last_name="de la Cruz"),
                _record("r3", last_name="Smith"),
            ],
            "record_id",
        )
    )
    assert t.last[0, 0] == "garcialopez" and {"garcia", "lopez"} <= set(t.last[0])
    assert t.last[1, 0] == "delacruz" and "cruz" in set(t.last[1])
    assert list(t.last[2]) == ["smith", "", "", ""]


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [
        ("liz", "elizabeth"),
        ("beth", "elizabeth"),
        ("betty", "elizabeth"),
        ("lupe", "guadalupe"),
        ("pepe", "jose"),
        ("paco", "francisco"),
        ("pancho", "francisco"),
        ("jess", "jessica"),
        ("alex", "alexandra"),
        ("sasha", "alexandra"),
    ],
)
def test_nickname_equivalence(nickname: str, formal: str) -> None:
    assert set(nicknames.roots(nickname)) & set(nicknames.roots(formal))
    a = standardise(_people([_record("r", first_name=nickname.title())], "record_id"))
    b = standardise(_people([_record("c", first_name=formal.upper())], "record_id"))
    level = compare_names(a.first, b.first, a.first_roots, b.first_roots)[0]
    assert LEVELS["first_name"][level] == "nickname"


def test_unrelated_names_are_not_nicknames() -> None:
    assert not set(nicknames.roots("maria")) & set(nicknames.roots("elizabeth"))
    assert nicknames.roots("zendaya") == ("zendaya",)


def test_aliases_become_alternative_names() -> None:
    t = standardise(CLIENTS.iloc[[0]], id_column="client_id")
    assert t.first[0, 0] == "jasmine"
    assert {"lilj", "kiki"} <= set(t.first[0])
    assert "reyes" in set(t.last[0])


@pytest.mark.parametrize(
    "placeholder", ["1900-01-01", "1901-01-01", "9999-12-31", "1850-06-01", "1800-01-01"]
)
def test_placeholder_dobs_are_missing(placeholder: str) -> None:
    got = parse_dob(pd.Series([placeholder, "2008-03-14"]))
    assert got.iloc[0].tolist() == [-1, -1, -1]
    assert got.iloc[1].tolist() == [2008, 3, 14]


def test_dob_parsing_accepts_datetime64_iso_strings_and_missing() -> None:
    as_dates = pd.Series(pd.to_datetime(["2008-03-14", None, "1900-01-01"]))
    assert parse_dob(as_dates).values.tolist() == [[2008, 3, 14], [-1, -1, -1], [-1, -1, -1]]
    as_text = pd.Series(
        ["2008-03-14", "2008-03-14T00:00:00", "", None, float("nan"), "not a date", "2008-13-40"]
    )
    assert parse_dob(as_text)["y"].tolist() == [2008, 2008, -1, -1, -1, -1, -1]


def test_dob_letters_that_look_like_digits_are_read_as_digits() -> None:
    got = parse_dob(pd.Series(["20O2-04-04", "1999-09-1o", "1998-|O-31", "2O1l-I2-05", "Oct 3 2001"]))
    # "Oct" is the month in words, read before look-alikes are mended (never "0ct")
    assert got.values.tolist() == [[2002, 4, 4], [1999, 9, 10], [1998, 10, 31], [2011, 12, 5], [2001, 10, 3]]


def test_placeholder_names_are_missing_but_real_names_made_of_such_words_stay() -> None:
    given = ["baby girl", "unknown", "ms", "lady in the", "son", "son nguyen", "maria", "", "fnu"]
    got = drop_placeholders(pd.Series(given), PLACEHOLDER_GIVEN).tolist()
    assert got == ["", "", "", "", "", "son nguyen", "maria", "", ""]
    # Child, House and Son are family names
    surnames = ["child", "house", "son", "unknown", "lnu", "xxx", "garcia"]
    assert drop_placeholders(pd.Series(surnames), PLACEHOLDER_SURNAME).tolist() == [
        "child",
        "house",
        "son",
        "",
        "",
        "",
        "garcia",
    ]
    # filler typed past a required field (pseudopeople writes a surname as "Xxx")
    filler = ["xxx", "zzz", "tbd", "xavier", "tba smith", "dont know", "grandson", "moh", "nina", "man"]
    got = drop_placeholders(pd.Series(filler), PLACEHOLDER_GIVEN).tolist()
    assert got == ["", "", "", "xavier", "tba smith", "", "", "", "nina", "man"]
    # from the census placeholder list, less what is a real surname (Goh)
    got = drop_placeholders(pd.Series(["dont know", "goh", "apellido"]), PLACEHOLDER_SURNAME).tolist()
    assert got == ["", "goh", ""]


def test_a_placeholder_given_name_is_missing_evidence_not_a_disagreement() -> None:
    # Both ways: the client under "Baby Girl" with her surname and DOB is found and weighed without
    # a given name; two different children who are both "Baby" in their records do not agree on it.
    c = CLIENTS.set_index("client_id").loc["C2"]
    out = _link(_record("r1", first_name="BABY GIRL", last_name=c["last_name"], dob=c["dob"], sex="F"))
    row = out[(out["record_id"] == "r1") & (out["client_id"] == "C2")]
    assert len(row) == 1
    fields = {f["field"]: f["level"] for f in json.loads(row["explanation"].iloc[0])["fields"]}
    assert fields["first_name"] == "missing"
    clients = _people(
        [dict(client_id="C1", first_name="Baby", last_name="Soto", dob="2010-05-05")], "client_id"
    )
    out = _link(_record("r2", first_name="Baby", last_name="Soto", dob="2011-07-09"), clients=clients)
    assert not out["decision"].isin(["match"]).any()


# --- hard cases ------------------------------------------------------------------------------


def test_exact_copy_matches() -> None:
    row = CLIENTS.iloc[1].to_dict()
    row["record_id"] = row.pop("client_id")
    out = _link(row)
    assert _decision(out, "C2", "C2") == "match"
    assert out.loc[out["decision"] == "match", "score"].iloc[0] >= 0.99


@pytest.mark.parametrize(("first", "client"), [("Liz", "C2"), ("Beth", "C2"), ("Lupe", "C7")])
def test_nickname_matches(first: str, client: str) -> None:
    c = CLIENTS.set_index("client_id").loc[client]
    out = _link(_record("r1", first_name=first, last_name=c["last_name"], dob=c["dob"], sex="F"))
    assert _decision(out, "r1", client) == "match"


def test_full_alias_with_dob_matches() -> None:
    # Decision: an alias the coordinator recorded for this client, given and surname both agreeing
    # with it, plus the exact DOB, is an auto-match. The alias levels weigh less than the primary
    # name (aliases are less unique), but name + DOB + sex together are decisive.
    out = _link(_record("r1", first_name="Kiki", last_name="Reyes", dob="2008-03-14", sex="F"))
    assert _decision(out, "r1", "C1") == "match"
    fields = {f["field"]: f["level"] for f in json.loads(out["explanation"].iloc[0])["fields"]}
    assert fields["first_name"] == "alias_or_part" and fields["last_name"] == "alias_or_part"


def test_aka_on_the_extract_row_matches_client_name() -> None:
    # Arrest logs carry AKAs too: the row's alias equal to the client's own name counts the same way.
    out = _link(
        _record(
            "r1", first_name="Kiki", last_name="Reyes", aliases="Jasmine Torres", dob="2008-03-14", sex="F"
        )
    )
    assert _decision(out, "r1", "C1") == "match"


def test_street_name_alone_goes_to_review() -> None:
    # Decision: a street name with no surname, even with the DOB, is a lead, not an identity:
    # many youths share a street name, so a person confirms it (review, never match).
    out = _link(_record("r1", first_name="Lil J", dob="2008-03-14"))
    assert _decision(out, "r1", "C1") == "review"


def test_first_last_swap_matches() -> None:
    out = _link(_record("r1", first_name="Nguyen", last_name="Elizabeth", dob="2007-11-02", sex="F"))
    assert _decision(out, "r1", "C2") == "match"
    fields = {f["field"]: f["level"] for f in json.loads(out["explanation"].iloc[0])["fields"]}
    assert fields["name_order"] == "swapped"


@pytest.mark.parametrize("last", ["Olvera", "Ramirez", "RAMIREZ OLVERA", "Ramírez Olvera"])
def test_compound_surname_by_one_part_matches(last: str) -> None:
    out = _link(_record("r1", first_name="Francisco", last_name=last, dob="2006-05-09", sex="M"))
    assert _decision(out, "r1", "C3") == "match"


def test_dob_day_month_swap_matches() -> None:
    # Decision: match. Exact given and surname plus a DOB whose day and month are swapped (a known
    # US/EU entry error) and the same zip is strong; it would fall to review if anything else
    # disagreed. (The sex marker adds nothing here: the shared given name already implies it.)
    out = _link(
        _record("r1", first_name="Destiny", last_name="Walker", dob="2008-05-02", sex="F", zip="94605")
    )
    assert _decision(out, "r1", "C8") == "match"
    fields = {f["field"]: f["level"] for f in json.loads(out["explanation"].iloc[0])["fields"]}
    assert fields["dob"] == "day_month_swap"


def test_twin_who_is_not_a_client_is_not_auto_matched() -> None:
    twin = _record(
        "r1",
        first_name="Eva",
        last_name="Delgado",
        dob="2009-01-20",
        sex="F",
        race="Hispanic",
        address="45 Oak Ave",
        city="Hayward",
        zip="94541",
    )
    client = dict(twin, record_id="r2", first_name="Ana")
    out = _link(twin, client)
    assert _decision(out, "r1", "C6") != "match"
    assert _decision(out, "r2", "C6") == "match"


@pytest.mark.parametrize(
    ("client_first", "client_middle", "twin_first", "twin_middle"),
    [
        ("Ana", "Sofia", "Eva", "Sofia"),  # twins sharing a middle name
        ("Mary Ann", None, "Mary Beth", None),  # double given names sharing a word
        ("Ana", "Lucia", "Lucia", None),  # the row's given name is the client's middle name
        ("Adrian", None, "Adan", None),
    ],  # twins with similar names
)
def test_twins_sharing_name_words_are_not_auto_matched(
    client_first: str, client_middle: str | None, twin_first: str, twin_middle: str | None
) -> None:
    household = dict(
        last_name="Delgado", dob="2009-01-20", sex="F", address="45 Oak Ave", city="Hayward", zip="94541"
    )
    clients = _people(
        [dict(client_id="T1", first_name=client_first, middle_name=client_middle, **household)], "client_id"
    )
    out = _link(_record("r1", first_name=twin_first, middle_name=twin_middle, **household), clients=clients)
    if client_middle == twin_first:
        # A child may go by the middle name: that is a lead for a person, never an auto-match
        # when the household is shared.
        assert _decision(out, "r1", "T1") in {"review", "match"}
    else:
        assert _decision(out, "r1", "T1") != "match"


def test_a_shared_street_name_excuses_the_given_name_caps() -> None:
    """A street name is personal: a row under another given name (a legal name, a replaced one) that
    records the client's street name is her; the same row without it stays for a person (a twin)."""
    household = dict(
        last_name="Torres",
        dob="2008-03-14",
        sex="F",
        race="Hispanic",
        address="123 Maple St",
        city="Oakland",
        zip="94601",
    )
    with_street_name = _record("r1", first_name="Rosalinda", aliases="LIL J", **household)
    without = _record("r2", first_name="Rosalinda", **household)
    out = _link(with_street_name)
    assert _decision(out, "r1", "C1") == "match"
    assert json.loads(out.loc[out["record_id"] == "r1", "explanation"].iloc[0])["fields"][4] == {
        "field": "aliases",
        "level": "shared",
        "weight": pytest.approx(9.2, abs=0.5),
    }
    assert _decision(_link(without), "r2", "C1") == "review"


def test_a_given_name_stated_by_a_matched_row_is_learned_for_her_other_rows() -> None:
    """A row auto-matched through the client's street name or her own name as an AKA states that she
    goes by its given name (a legal name): her other rows under it in the same run are her, and
    their explanation says the given name was learned. A twin's name is never stated that way."""
    household = dict(
        last_name="Torres",
        dob="2008-03-14",
        race="Hispanic",
        address="123 Maple St",
        city="Oakland",
        zip="94601",
    )
    out = _link(
        _record("r1", first_name="Rosalinda", aliases="LIL J", sex="F", **household),
        _record("r2", first_name="Rosalinda", sex="F", **household),
        _record("r3", first_name="Roberto", aliases="Jasmine", sex="M", **household),
        _record("r4", first_name="Roberto", sex="M", **household),
        _record("r5", first_name="Valeria", sex="F", **household),
    )
    assert _decision(out, "r1", "C1") == "match"
    assert _decision(out, "r3", "C1") == "match"  # her own name as an AKA, the legal name's sex marker
    for learned in ("r2", "r4"):
        assert _decision(out, learned, "C1") == "match"
        explanation = json.loads(out.loc[out["record_id"] == learned, "explanation"].iloc[0])
        assert explanation.get("learned_given_name") is True
        assert {f["field"]: f["level"] for f in explanation["fields"]}["first_name"] == "alias_or_part"
    assert _decision(out, "r5", "C1") == "review"  # a twin: no row ever said she is Valeria
    assert "learned_given_name" not in out.loc[out["record_id"] == "r1", "explanation"].iloc[0]


def test_same_name_sibling_with_another_dob_is_not_auto_matched() -> None:
    out = _link(
        _record(
            "r1",
            first_name="Ana",
            last_name="Delgado",
            dob="2011-06-02",
            sex="F",
            race="Hispanic",
            address="45 Oak Ave",
            city="Hayward",
            zip="94541",
        )
    )
    assert _decision(out, "r1", "C6") != "match"


def test_sibling_at_the_same_address_is_not_matched() -> None:
    out = _link(
        _record(
            "r1",
            first_name="Luis",
            last_name="Delgado",
            dob="2011-05-03",
            sex="M",
            race="Hispanic",
            address="45 Oak Ave",
            city="Hayward",
            zip="94541",
        )
    )
    assert _decision(out, "r1", "C6") in {"nonmatch", "absent"}


def test_common_name_girls_without_a_dob_share_the_row() -> None:
    # Two clients named Maria Garcia and a row that cannot tell them apart: the row's probability is
    # shared between both (decide.row_probability), so neither is auto-matched and both are shown.
    out = _link(_record("r1", first_name="Maria", last_name="Garcia", sex="F"))
    assert _decision(out, "r1", "C4") == "review"
    assert _decision(out, "r1", "C5") == "review"
    assert (out["decision"] != "match").all()


def test_common_name_girls_an_exact_dob_tells_apart() -> None:
    # C4 was born 2008-06-10, C5 a day later: a one-digit DOB typo is about 300 times less likely
    # than a DOB written right, so the row is C4's (no fixed look-alike margin holds it back).
    out = _link(_record("r1", first_name="Maria", last_name="Garcia", dob="2008-06-10", sex="F"))
    assert _decision(out, "r1", "C4") == "match"
    assert _decision(out, "r1", "C5") != "match"


def test_common_name_with_address_is_still_matched() -> None:
    # The look-alike rule must not send everyone with a common name to review: the address settles it.
    out = _link(
        _record(
            "r1",
            first_name="Maria",
            last_name="Garcia",
            dob="2008-06-10",
            sex="F",
            address="5 Elm Street",
            city="Oakland",
            zip="94603",
        )
    )
    assert _decision(out, "r1", "C4") == "match"
    assert _decision(out, "r1", "C5") in {"nonmatch", "absent"}


def test_client_who_moved_still_matches() -> None:
    # Youths in care move often: a new address, city and zip is one event, not three disagreements.
    out = _link(
        _record(
            "r1",
            first_name="Guadalupe",
            last_name="Morales",
            dob="2007-07-23",
            sex="F",
            race="Hispanic",
            address="12 Lake Dr",
            city="Fremont",
            zip="94536",
        )
    )
    assert _decision(out, "r1", "C7") == "match"
    fields = {f["field"]: f for f in json.loads(out["explanation"].iloc[0])["fields"]}
    assert fields["address"]["level"] == "else" and fields["city"]["weight"] == 0.0


def test_no_dob_weighs_a_same_named_relative() -> None:
    # Same name and no DOB: a same-named relative at her address (a sister, a parent: Jr / Sr) is
    # possible, weighed as the household outcome, so a person decides; the DOB would have settled it.
    no_dob = dict(first_name="Guadalupe", last_name="Morales", sex="F", race="Hispanic")
    out = _link(
        _record("r1", **no_dob, dob="1900-01-01", city="Oakland", zip="94621"),
        _record("r2", **no_dob, address="310 Walnut Street", city="Oakland", zip="94621"),
    )
    assert _decision(out, "r1", "C7") == "review"
    assert _decision(out, "r2", "C7") == "review"
    row = out[(out["record_id"] == "r2") & (out["client_id"] == "C7")].iloc[0]
    relatives = {r["class"]: r["weight"] for r in json.loads(row["explanation"])["relatives"]}
    assert relatives["household"] > -8  # the relative is why: within 2**8 of the same person
    assert row["score"] > 0.9
    with_dob = _link(
        _record(
            "r3", **no_dob, dob=CLIENTS.set_index("client_id").loc["C7", "dob"], address="310 Walnut Street"
        )
    )
    assert _decision(with_dob, "r3", "C7") == "match"


def test_unrelated_person_is_not_matched() -> None:
    out = _link(
        _record(
            "r1",
            first_name="Kevin",
            last_name="Okafor",
            dob="2005-09-30",
            sex="M",
            address="1 Harbor Rd",
            city="Alameda",
            zip="94501",
        )
    )
    assert not out["decision"].isin(["match", "review"]).any()


def test_placeholder_dob_does_not_count_as_agreement() -> None:
    clients = _people(
        [dict(client_id="C1", first_name="Ana", last_name="Soto", dob="1900-01-01")], "client_id"
    )
    out = _link(_record("r1", first_name="Luz", last_name="Soto", dob="1900-01-01"), clients=clients)
    assert not out["decision"].isin(["match"]).any()
    if len(out):
        fields = {f["field"]: f["level"] for f in json.loads(out["explanation"].iloc[0])["fields"]}
        assert fields["dob"] == "missing"


def test_missing_fields_do_not_crash() -> None:
    rows = [
        _record("r1"),
        _record("r2", first_name="", last_name=float("nan"), dob=None),
        _record("r3", first_name="Elizabeth", last_name="Nguyen"),
    ]
    out = _link(*rows)
    assert set(out["record_id"]) <= {"r1", "r2", "r3"}
    assert _decision(out, "r3", "C2") != "match"  # a name alone is not enough to be sure


# --- contract --------------------------------------------------------------------------------


ALL_CASES = [
    _record("a", first_name="Elizabeth", last_name="Nguyen", dob="2007-11-02", sex="F"),
    _record("b", first_name="Liz", last_name="Nguyen", dob="2007-11-02"),
    _record("c", first_name="Maria", last_name="Garcia", dob="2008-06-10"),
    _record("d", first_name="Eva", last_name="Delgado", dob="2009-01-20", address="45 Oak Ave"),
    _record("e", first_name="Walker", last_name="Destiny", dob="2008-05-02"),
    _record("f", first_name="Francisco", last_name="Olvera", dob="2006-05-09"),
    _record("g", first_name="Kevin", last_name="Okafor", dob="2005-09-30"),
    _record("h", first_name="Lil J", dob="2008-03-14"),
]


def test_result_columns_and_at_most_one_match_per_record() -> None:
    out = _link(*ALL_CASES)
    assert list(out.columns) == ["record_id", "client_id", "score", "decision", "explanation"]
    assert out["score"].between(0, 1).all()
    assert out["decision"].isin(["match", "review", "nonmatch"]).all()
    assert not out.duplicated(["record_id", "client_id"]).any()
    assert (out[out["decision"] == "match"].groupby("record_id").size() <= 1).all()


def test_explanation_json_shape() -> None:
    out = _link(*ALL_CASES)
    for expl, prob in zip(out["explanation"], out["score"], strict=True):
        e = json.loads(expl)
        assert (
            {"fields", "prior", "total", "relatives"}
            <= set(e)
            <= {
                "fields",
                "prior",
                "total",
                "relatives",
                "presence",
                "row_given_name",
                "learned_given_name",
            }
        )
        assert {r["class"] for r in e["relatives"]} == {"twin", "household"}
        assert [f["field"] for f in e["fields"]] == [
            "first_name",
            "middle_name",
            "last_name",
            "name_order",
            "aliases",
            "dob",
            "sex",
            "race",
            "address",
            "city",
            "zip",
        ]
        for f in e["fields"]:
            assert set(f) == {"field", "level", "weight"}
            assert isinstance(f["level"], str) and isinstance(f["weight"], float | int)
        assert e["total"] == pytest.approx(e["prior"] + sum(f["weight"] for f in e["fields"]), abs=0.01)
        # the row's probability: never above the pair's against a stranger and its relatives
        pair = 1 / (1 + 2 ** -e["total"] + sum(2 ** r["weight"] for r in e["relatives"]))
        assert prob <= pair + 1e-3  # (the explanation rounds to 0.001 bit)


def test_chunked_run_equals_single_chunk() -> None:
    raw = yaml.safe_load(DEFAULT_FILE.read_text())
    one = FellegiSunterMatcher(from_dict(raw | {"processing": {"chunk_size": 10_000}}))
    raw_small = dict(raw, processing={"chunk_size": 3})
    many = FellegiSunterMatcher(from_dict(raw_small))
    a, b = _link(*ALL_CASES, matcher=one), _link(*ALL_CASES, matcher=many)
    assert many.stats.chunks == 3 and one.stats.chunks == 1
    assert one.stats.pairs_by_rule == many.stats.pairs_by_rule
    assert one.stats.pairs_by_rule["dob_name_initial"] > 0
    assert one.stats.pairs_per_record == many.stats.pairs_per_record > 0
    key = ["record_id", "client_id"]
    pd.testing.assert_frame_equal(
        a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    )


def test_worker_processes_give_the_same_result_as_one_process() -> None:
    """Chunks scored side by side in spawned worker processes (matchers/parallel.py) come back in
    order: the same pairs, decisions, explanations and counts as scoring them one after another."""
    raw = yaml.safe_load(DEFAULT_FILE.read_text())
    alone = FellegiSunterMatcher(from_dict(dict(raw, processing={"chunk_size": 3, "workers": 1})))
    side_by_side = FellegiSunterMatcher(from_dict(dict(raw, processing={"chunk_size": 3, "workers": 2})))
    a, b = _link(*ALL_CASES, matcher=alone), _link(*ALL_CASES, matcher=side_by_side)
    pd.testing.assert_frame_equal(a, b)
    assert alone.stats.chunks == 3
    # split evenly over this process and one worker: the same rows, in an even number of chunks
    assert side_by_side.stats.chunks == (4 if parallel.worker_count(2) == 2 else 3)
    assert side_by_side.stats.pairs_by_rule == alone.stats.pairs_by_rule
    assert side_by_side.stats.candidate_pairs == alone.stats.candidate_pairs
    if parallel.worker_count(2) == 2:  # a one-core machine scores in this process
        assert side_by_side.stats.workers == 2 and side_by_side.stats.worker_peak_kib > 0
    assert alone.stats.workers == 1


@pytest.mark.parametrize("scored_here", [True, False])
def test_many_chunks_shared_between_processes_come_back_in_order(
    scored_here: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More chunks than a worker prepares ahead (parallel.AHEAD_PER_WORKER): the rest go to whichever
    process is free (this one too in a short run, only workers in a long one), and the pairs still
    come back in chunk order, as one process scores them."""
    if not scored_here:
        monkeypatch.setattr(parallel, "MAX_CHUNKS_SCORED_HERE", 2)
    raw = yaml.safe_load(DEFAULT_FILE.read_text())
    alone = FellegiSunterMatcher(from_dict(dict(raw, processing={"chunk_size": 1, "workers": 1})))
    shared = FellegiSunterMatcher(from_dict(dict(raw, processing={"chunk_size": 1, "workers": 2})))
    a, b = _link(*ALL_CASES, matcher=alone), _link(*ALL_CASES, matcher=shared)
    assert alone.stats.chunks > parallel.AHEAD_PER_WORKER + 2
    pd.testing.assert_frame_equal(a, b)
    assert shared.stats.candidate_pairs == alone.stats.candidate_pairs
    if parallel.worker_count(2) == 2:
        assert shared.stats.workers == 2 and shared.stats.worker_peak_kib > 0


def test_default_matcher_reads_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = yaml.safe_load(DEFAULT_FILE.read_text())
    raw["thresholds"] = {"match": 1.0, "review": 0.999999, "keep": 0.0}
    path = tmp_path / "matching.yaml"
    path.write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("SAFETYNET_MATCHING_FILE", str(path))
    m = default_matcher()
    assert isinstance(m, Matcher)
    out = _link(_record("r1", first_name="Liz", last_name="Nguyen", dob="2007-11-02"), matcher=m)
    assert not (out["decision"] == "match").any()


def test_bad_thresholds_are_rejected() -> None:
    raw = yaml.safe_load(DEFAULT_FILE.read_text())
    with pytest.raises(ValueError):
        from_dict(raw | {"thresholds": {"match": 0.5, "review": 0.9, "keep": 0.01}})


def test_empty_extract_gives_empty_result() -> None:
    out = _link()
    assert out.empty and list(out.columns) == ["record_id", "client_id", "score", "decision", "explanation"]


def test_logs_carry_counts_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="matchers"):
        _link(*ALL_CASES)
    text = " ".join(r.getMessage() for r in caplog.records).lower()
    assert caplog.records
    for secret in ("nguyen", "elizabeth", "garcia", "delgado", "2007", "c2", "okafor"):
        assert secret not in text


def test_prior_is_floored_for_small_lists() -> None:
    from matchers.scoring import prior_weight

    assert prior_weight(0.1, 1000) == pytest.approx(math.log2(1e-4 / 0.9))
    assert prior_weight(0.1, 10) == pytest.approx(math.log2(1e-2 / 0.9))  # callers floor n_clients


def test_prior_weighs_a_pair_against_the_rows_stranger_share() -> None:
    from matchers.scoring import prior_weight

    # the stranger's share of a row is 1 - match rate: an extract of nothing but clients leaves it
    # (almost) none, a roster of few clients nearly all of it
    assert prior_weight(0.99, 5000) - prior_weight(0.5, 5000) == pytest.approx(
        math.log2(0.99 / 0.01 / 1.0), abs=1e-9
    )
    assert prior_weight(1.0, 5000) == pytest.approx(math.log2(1 / 5000 / 1e-3))


# --- estimation from the data (m/u) ----------------------------------------------------------


def _estimating(**processing: int) -> FellegiSunterMatcher:
    raw = yaml.safe_load(DEFAULT_FILE.read_text())
    raw["estimation"] = dict(raw["estimation"], enabled=True, min_rows=1000, u_random_pairs=50_000)
    raw["processing"] = dict(raw["processing"], **processing)
    return FellegiSunterMatcher(from_dict(raw))


def test_estimated_weights_are_sane_and_precise() -> None:
    clients, records, truth = _synthetic()
    m = _estimating()
    out = m.link(clients, records)
    fitted = m.fitted_config.fields
    assert fitted["dob"].m[fitted["dob"].levels.index("exact")] > 0.7
    assert all(math.isfinite(w) for f in fitted.values() for w in f.weights)
    matches = set(
        zip(
            out.loc[out["decision"] == "match", "record_id"],
            out.loc[out["decision"] == "match", "client_id"],
            strict=True,
        )
    )
    true = set(zip(truth["record_id"], truth["client_id"], strict=True))
    assert matches <= true  # no false match
    assert len(matches) >= 0.95 * len(true)


def test_estimation_does_not_depend_on_chunk_size() -> None:
    clients, records, _ = _synthetic(seed=2)
    a = _estimating(chunk_size=100_000).link(clients, records)
    b = _estimating(chunk_size=700).link(clients, records)
    key = ["record_id", "client_id"]
    pd.testing.assert_frame_equal(
        a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    )


@pytest.mark.parametrize("sample_rows", [1000, 20_000])  # a part of the run, and all of it
def test_a_small_run_compared_once_fits_and_decides_as_comparing_its_sample_again(
    sample_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small run is standardised, blocked and compared once before the fit, which takes its
    sample's pairs from it (engine._Prepared): the same weights, relatives and output as
    standardising and comparing the sample again. Rows arrive out of id order (the prepared rows
    are sorted by id, the sample is drawn by position)."""
    clients, records, _ = _synthetic(seed=4)
    records = records.sample(frac=1, random_state=3).reset_index(drop=True)

    def run() -> tuple[pd.DataFrame, object]:
        m = _estimating()
        m.config = replace(m.config, sample_rows=sample_rows)
        return m.link(clients, records), m.fitted_config

    once, fitted_once = run()
    monkeypatch.setattr(engine, "PREPARED_CHUNKS", 0)
    again, fitted_again = run()
    assert fitted_once == fitted_again
    pd.testing.assert_frame_equal(once, again)


def test_repeated_ids_give_one_decision_per_pair() -> None:
    # A record_id delivered twice (split across chunks of 1) and a client listed twice: still one
    # row per (record_id, client_id), at most one match, and no look-alike review against itself.
    raw = yaml.safe_load(DEFAULT_FILE.read_text())
    m = FellegiSunterMatcher(from_dict(dict(raw, processing={"chunk_size": 1})))
    clients = pd.concat([CLIENTS, CLIENTS.iloc[[1]]], ignore_index=True)
    row = _record("r1", first_name="Elizabeth", last_name="Nguyen", dob="2007-11-02", sex="F")
    other = _record("r2", first_name="Kevin", last_name="Okafor", dob="2005-09-30")
    out = _link(row, other, dict(row, first_name="Liz"), matcher=m, clients=clients)
    assert not out.duplicated(["record_id", "client_id"]).any()
    assert _decision(out, "r1", "C2") == "match"


def test_reader_shaped_input_datetime_dobs_and_missing_columns() -> None:
    # Readers deliver datetime64 DOBs, the pandas string dtype and may omit optional columns.
    records = pd.DataFrame(
        {
            "record_id": pd.array(["b1", "b2"], dtype="string"),
            "first_name": pd.array(["Elizabeth", None], dtype="string"),
            "last_name": pd.array(["Nguyen", "Walker"], dtype="string"),
            "dob": pd.to_datetime(["2007-11-02", None]).astype("datetime64[ns]"),
        }
    )
    clients = CLIENTS.assign(dob=pd.to_datetime(CLIENTS["dob"])).drop(columns=["aliases", "race"])
    out = default_matcher().link(clients, records)
    assert _decision(out, "b1", "C2") == "match"
    assert _decision(out, "b2", "C8") != "match"  # surname alone


def test_common_names_weigh_less_than_rare_names() -> None:
    from matchers.frequencies import NameFrequencies

    people = pd.DataFrame(
        {
            "first_name": ["Maria"] * 300 + [f"Name{i}" for i in range(3000)] + ["Xiomara"],
            "last_name": ["Soto"] * 3301,
        }
    )
    freq = NameFrequencies.from_frames(people)
    common, rare = freq.adjustment(
        "first_name",
        np.array(["maria", "xiomara"], dtype=object),
        u_exact=0.005,
        max_bonus=3.0,
        max_penalty=5.0,
        pseudo_count=1000,
    )
    assert common < 0 < rare <= 3.0
    # Three rows, all "Maria": the pseudo-count keeps a tiny sample from moving the weight much.
    tiny = NameFrequencies.from_frames(people.head(3))
    maria = np.array(["maria"], dtype=object)
    assert abs(tiny.adjustment("first_name", maria, 0.005, 3.0, 5.0, 1000)[0]) < 1.0


def test_empty_client_list_links_nothing() -> None:
    out = _link(*ALL_CASES, clients=CLIENTS.iloc[0:0])
    assert out.empty and list(out.columns) == ["record_id", "client_id", "score", "decision", "explanation"]


def test_zip_codes_read_as_numbers_or_zip4_compare_equal() -> None:
    t = standardise(
        _people(
            [_record("r1", zip=94601.0), _record("r2", zip="94601-1234"), _record("r3", zip=" 94601 ")],
            "record_id",
        )
    )
    assert list(t.zip) == ["94601", "94601", "94601"]


def test_chunks_are_even_and_small_runs_stay_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run split over the cores gets chunks of one size in a number the processes share evenly
    (not 20,000 rows and a remainder of 3,540), and automatic workers split a run only when each
    process gets MIN_ROWS_PER_PROCESS rows: below that a worker's start-up costs more than it saves."""
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert parallel.chunk_rows(23_540, 20_000, 2) == 11_770
    assert parallel.chunk_rows(98_805, 20_000, 2) == 16_468  # six chunks, three each
    assert parallel.chunk_rows(98_805, 20_000, 1) == 19_761  # five chunks
    assert parallel.chunk_rows(0, 20_000, 2) == 20_000
    assert parallel.worker_count(0, 2 * parallel.MIN_ROWS_PER_PROCESS - 1) == 1
    assert parallel.worker_count(0, 2 * parallel.MIN_ROWS_PER_PROCESS) == 2
    assert parallel.worker_count(0, 10**7) == 2  # never more than the cores
    assert parallel.worker_count(1, 10**7) == 1


def _ended(pid: int) -> bool:
    """No such process, or only its zombie left (its new parent has not reaped it yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see processes end")
def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    """A parent killed with SIGKILL cannot stop its worker processes: they end on their own, not
    wait for work forever with the client list in their memory."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
        "from matchers import parallel\n"
        "if __name__ == '__main__':\n"
        "    with parallel.ChunkWorkers(1) as pool:\n"
        "        print(*pool.pids(), flush=True)\n"
        "        time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    assert not _ended(worker)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10 * parallel.PARENT_CHECK_SECONDS + 5
    while not _ended(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ended(worker)
