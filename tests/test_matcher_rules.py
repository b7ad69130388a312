"""Standardisation rules and decisions added with the accuracy work: agency DOB layouts, DOB typos,
Spanish nicknames end to end, the household rule, blocking counts, per-distinct standardisation."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from matchers import default_matcher, load
from matchers.engine import FellegiSunterMatcher
from matchers.standardise import invalid_dob_digits, parse_dob, standardise
from tests.matcher_data import CLIENTS, _decision, _link, _people, _record


@pytest.fixture(autouse=True)
def _no_published_parameters(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFETYNET_MATCHER_PARAMS_DIR", str(tmp_path_factory.mktemp("no_params")))


def _levels(out: pd.DataFrame, record_id: str, client_id: str) -> dict[str, str]:
    hit = out[(out["record_id"] == record_id) & (out["client_id"] == client_id)]
    return {f["field"]: f["level"] for f in json.loads(hit["explanation"].iloc[0])["fields"]}


@pytest.mark.parametrize(
    "written",
    [
        "2008-03-14",
        "2008/3/14",
        "2008.03.14",
        "20080314",
        "03/14/2008",
        "3-14-2008",
        "3/14/08",
        "2008-03-14 00:00:00",
        "2008-03-14T00:00",
        # the month in words: Oracle's DD-MON-YYYY and DD-MON-YY, and as people write it ("Oct"
        # must not be read as the digit look-alike "0ct")
        "14-MAR-2008",
        "14-Mar-08",
        "14 March 2008",
        "March 14, 2008",
        "Mar 14th 2008",
        "14.03.2008",  # European, day first
    ],
)
def test_dob_layouts_agencies_use_parse_to_one_date(written: str) -> None:
    assert parse_dob(pd.Series([written])).iloc[0].tolist() == [2008, 3, 14]


def test_two_digit_years_in_the_future_are_last_century() -> None:
    assert parse_dob(pd.Series(["3/14/97"])).iloc[0].tolist() == [1997, 3, 14]
    assert parse_dob(pd.Series(["01-OCT-97"])).iloc[0].tolist() == [1997, 10, 1]


def test_a_dob_in_us_layout_matches_the_iso_client_dob() -> None:
    out = _link(_record("r1", first_name="Destiny", last_name="Walker", dob="02/05/2008", sex="F"))
    assert _decision(out, "r1", "C8") == "match"
    assert _levels(out, "r1", "C8")["dob"] == "exact"


def test_one_digit_dob_typo_with_name_and_address_matches() -> None:
    out = _link(
        _record(
            "r1",
            first_name="Elizabeth",
            last_name="Nguyen",
            dob="2007-11-03",
            sex="F",
            race="Asian",
            address="9 Birch Way",
            city="Fremont",
            zip="94536",
        )
    )
    assert _levels(out, "r1", "C2")["dob"] == "one_digit"
    assert _decision(out, "r1", "C2") == "match"


def test_an_impossible_dob_one_digit_away_is_a_typo_not_missing() -> None:
    # "2007-21-02" is no date (month 21) but one typed digit from the client's 2007-11-02
    assert invalid_dob_digits(pd.Series(["2007-21-02"])).tolist() == ["20072102"]
    out = _link(
        _record(
            "r1",
            first_name="Elizabeth",
            last_name="Nguyen",
            dob="2007-21-02",
            sex="F",
            race="Asian",
            address="9 Birch Way",
            city="Fremont",
            zip="94536",
        )
    )
    assert _levels(out, "r1", "C2")["dob"] == "one_digit"
    assert _decision(out, "r1", "C2") == "match"


@pytest.mark.parametrize(
    ("first", "client", "formal"),
    [("Pancho", "C3", "Francisco"), ("Paco", "C3", "Francisco"), ("Lupita", "C7", "Guadalupe")],
)
def test_spanish_nicknames_match_end_to_end(first: str, client: str, formal: str) -> None:
    c = CLIENTS.set_index("client_id").loc[client]
    assert c["first_name"] == formal
    out = _link(_record("r1", first_name=first, last_name=c["last_name"], dob=c["dob"], sex=c["sex"]))
    assert _levels(out, "r1", client)["first_name"] == "nickname"
    assert _decision(out, "r1", client) == "match"


def test_a_sibling_at_her_address_is_explained_as_a_relative() -> None:
    home = dict(
        last_name="Delgado", sex="F", race="Hispanic", address="45 Oak Ave", city="Hayward", zip="94541"
    )
    keep_all = FellegiSunterMatcher(replace(load(), keep_threshold=0.0))
    out = _link(
        _record("sister", first_name="Alma", dob="2012-08-30", **home),
        _record("same", first_name="Ana", dob="2009-01-20", **home),
        matcher=keep_all,
    )
    relatives = {
        r: {x["class"]: x["weight"] for x in json.loads(e)["relatives"]}
        for r, c, e in zip(out["record_id"], out["client_id"], out["explanation"], strict=True)
        if c == "C6"
    }
    # the household outcome explains the sister far better than the same child (bits against her)
    assert relatives["sister"]["household"] > 5
    assert relatives["same"]["household"] < -5
    assert _decision(out, "sister", "C6") == "nonmatch"
    assert _decision(out, "same", "C6") == "match"


def test_blocking_reports_pairs_per_record_and_per_rule() -> None:
    matcher = default_matcher()
    matcher.link(
        CLIENTS,
        _people(
            [
                _record("r1", first_name="Liz", last_name="Nguyen", dob="2007-11-02"),
                _record("r2", first_name="Ana", last_name="Delgado", dob="2009-01-20"),
            ],
            "record_id",
        ),
    )
    stats = matcher.stats
    assert stats.records == 2 and stats.pairs_per_record == stats.candidate_pairs / 2 >= 1
    assert {"dob_name_initial", "nickname_last_initial_year", "last_phonetic_year_first_initial"} <= set(
        stats.pairs_by_rule
    )
    assert stats.parameters == "config"  # 2 rows: too few to estimate m/u on


def test_standardising_distinct_values_once_gives_the_same_table() -> None:
    rows = [
        _record(
            f"r{i}",
            first_name=["Ana", "José", None][i % 3],
            last_name="Peña-García Jr.",
            dob=["2008-03-14", "03/14/2008", "1900-01-01", None][i % 4],
            address="9 Birch Street",
        )
        for i in range(12)
    ]
    whole = standardise(_people(rows, "record_id"))
    for i in range(12):
        one = standardise(_people([rows[i]], "record_id"))
        assert whole.first[i].tolist() == one.first[0].tolist()
        assert whole.last[i].tolist() == one.last[0].tolist()
        assert (whole.dob_y[i], whole.dob_m[i], whole.dob_d[i]) == (one.dob_y[0], one.dob_m[0], one.dob_d[0])
        assert whole.address[i] == one.address[0] == "9 birch st"
    assert np.array_equal(whole.hashed("first")[0], whole.hashed("first")[3])


def test_a_broad_rule_has_its_own_block_cap() -> None:
    """zip + given-name prefix: a key shared by more clients than the rule's own cap is skipped, while
    the same block under the general cap stays (config blocking.rule_max_block_size)."""
    from matchers.blocking import ClientIndex

    clients = standardise(
        _people(
            [
                dict(client_id=f"C{i}", first_name=f"Ana{chr(97 + i)}", last_name=f"L{i}", zip="94601")
                for i in range(12)
            ],
            "client_id",
        ),
        id_column="client_id",
    )
    row = standardise(_people([_record("r1", first_name="Anab", zip="94601")], "record_id"))
    general = ClientIndex.build(clients, ("zip_first_prefix",), max_block_size=40)
    assert len(general.candidates(row, ("zip_first_prefix",), 30)) == 12
    capped = ClientIndex.build(clients, ("zip_first_prefix",), 40, {"zip_first_prefix": 8})
    assert capped.skipped_keys == 1 and capped.candidates(row, ("zip_first_prefix",), 30).empty
    assert load().rule_max_block_size["zip_first_prefix"] == 8


def test_swapped_names_with_a_typo_are_found_by_the_dob_and_any_initial() -> None:
    # Given name and surname written the other way round, the surname mistyped so that no name
    # sound agrees ("Nbuyen": N150, not N250), no address: only the exact DOB and an initial that
    # sits in the other field find her (blocking rule dob_name_initial)
    record = _record("r1", first_name="Nbuyen", last_name="Elizabeth", dob="2007-11-02", sex="F")
    assert _decision(_link(record), "r1", "C2") in ("match", "review")
    config = default_matcher().config
    rules = tuple(r for r in config.blocking_rules if r != "dob_name_initial")
    blind = FellegiSunterMatcher(replace(config, blocking_rules=rules))
    assert _decision(_link(record, matcher=blind), "r1", "C2") == "absent"


def _blocked(
    clients: list[dict], rows: list[dict], rules: tuple[str, ...], caps: dict[str, int] | None = None
) -> set[tuple[int, str]]:
    """(row position, client id) of every candidate pair blocking finds by ``rules`` alone (block
    cap 40, ``caps`` per rule, 30 pairs a row)."""
    from matchers.blocking import ClientIndex

    table = standardise(_people(clients, "client_id"), id_column="client_id")
    index = ClientIndex.build(table, rules, max_block_size=40, rule_max_block_size=caps)
    found = index.candidates(standardise(_people(rows, "record_id")), rules, 30)
    return {(int(r), table.ids[c]) for r, c in zip(found["rec"], found["cli"], strict=True)}


def test_surname_and_zip_pair_only_a_row_without_a_given_name() -> None:
    """last_phonetic_zip_no_given: a row with no given name finds the surname's clients in her zip;
    a row with one does not (her siblings on the list would compete with her for the row)."""
    clients = [
        dict(client_id="C1", first_name="Ana", last_name="Reyes", zip="94601"),
        dict(client_id="C2", first_name="Luz", last_name="Reyes", zip="94601"),
        dict(client_id="C3", first_name="Ana", last_name="Reyes", zip="94577"),
    ]
    rows = [
        _record("r1", last_name="Reyez", zip="94601"),
        _record("r2", first_name="Ana", last_name="Reyes", zip="94601"),
    ]
    assert _blocked(clients, rows, ("last_phonetic_zip_no_given",)) == {(0, "C1"), (0, "C2")}


@pytest.mark.parametrize("first", ["J", "J.", "K"])
def test_a_given_name_of_one_letter_is_a_name_not_written_out(first: str) -> None:
    # "J" for Jasmine is her initial; a lone letter is also what a required field gets typed when
    # the name is unknown (the census placeholder list has A to Y): missing evidence either way
    record = _record("r1", first_name=first, last_name="Torres", dob="2008-03-14", sex="F", zip="94601")
    out = _link(record)
    assert _levels(out, "r1", "C1")["first_name"] == "missing"
    assert float(out[(out["record_id"] == "r1") & (out["client_id"] == "C1")]["score"].iloc[0]) > 0.9


@pytest.mark.parametrize(
    ("surname", "kept"),
    [("Of The House", ""), ("Lady Of The House", ""), ("De La Casa", ""), ("Female Child", ""), ("T", "")]
    + [("House", "house"), ("Lady", "lady"), ("De La Cruz", "delacruz"), ("Goh", "goh"), ("Loh", "loh")],
)
def test_placeholder_surnames_of_several_words_are_missing(surname: str, kept: str) -> None:
    table = standardise(_people([_record("r1", first_name="Ana", last_name=surname)], "record_id"))
    assert table.last[0, 0] == kept


def test_a_date_with_the_day_written_first_is_that_date() -> None:
    # "2008-14-03" has no month 14: the day came first, so it is 2008-03-14 (pseudopeople's
    # month/day swap noise writes such dates); "2008-03-14" itself is untouched
    assert parse_dob(pd.Series(["2008-14-03", "2008-03-14"])).values.tolist() == [[2008, 3, 14]] * 2
    record = _record("r1", first_name="Jasmine", last_name="Torres", dob="2008-14-03", zip="94601")
    assert _levels(_link(record), "r1", "C1")["dob"] == "exact"


def test_a_client_without_one_of_her_names_is_found_by_the_other() -> None:
    """A census-style list writes a placeholder for a name ("House", a lone letter): a client with no
    given name is found by her surname in the row's zip (last_phonetic_zip_client_no_given), one
    with no surname by the first letters of her given name (zip_first_prefix_client_no_last). The
    index holds those keys only for such clients, so a row does not meet every client of her
    surname or given name (her siblings) by them; a row with no surname may search a block larger
    than zip_first_prefix's small cap (zip_first_prefix_no_last), for few rows ask."""
    rules = (
        "last_phonetic_zip_client_no_given",
        "zip_first_prefix_client_no_last",
        "zip_first_prefix_no_last",
    )
    clients = [
        dict(client_id="C1", first_name="House", last_name="Hadar", zip="94601"),  # no given name
        dict(client_id="C2", first_name="Luz", last_name="Hadar", zip="94601"),  # her sister
        dict(client_id="C3", first_name="Scott", last_name="", zip="94601"),  # no surname
        *(dict(client_id=f"S{k}", first_name="Scotty", last_name=f"Name{k}", zip="94601") for k in range(12)),
    ]
    rows = [
        _record("r1", first_name="Scott", last_name="Hadar", zip="94601"),
        _record("r2", first_name="Scott", last_name="", zip="94601"),
        _record("r3", first_name="Ana", last_name="Reyes", zip="94601"),
    ]
    pairs = _blocked(clients, rows, rules)
    assert (0, "C1") in pairs and (0, "C3") in pairs  # her surname's client without a given name
    assert (0, "C2") not in pairs  # the sister with both names: not by these rules
    # the row without a surname meets every Scott and Scotty of her zip, thirteen in one block
    assert {c for r, c in pairs if r == 1} == {"C3", *(f"S{k}" for k in range(12))}
    assert not {c for r, c in pairs if r == 2}


def test_an_address_many_clients_share_says_less_than_a_family_home() -> None:
    """A group home (here 24 of 86 clients at one address) is shared by strangers as often: the same row,
    same given name, middle initial and address and no surname or DOB, is auto-matched to a client
    at her family's home but not to one at the group home, whose explanation shows the address
    weighing less."""
    from matchers.frequencies import address_sharing_bits

    home = "4000 Skycrest Pkwy"
    residents = [
        dict(
            client_id=f"G{k}",
            first_name=f"Resident{k}",
            middle_name="Q",
            last_name=f"Family{k}",
            address=home,
            zip="94601",
            dob=f"2008-01-{k + 1:02d}",
        )
        for k in range(24)
    ]
    families = [
        dict(
            client_id=f"F{k}",
            first_name=f"Youth{k}",
            last_name=f"Kin{k}",
            address=f"{k + 1} Elm St",
            zip="94601",
        )
        for k in range(60)
    ]
    clients = _people(
        [
            *residents,
            *families,
            dict(
                client_id="H1",
                first_name="Grace",
                middle_name="S",
                last_name="",
                address="17 Alder Way",
                zip="94601",
                dob="2008-08-28",
            ),
            dict(
                client_id="H2",
                first_name="Maren",
                middle_name="S",
                last_name="",
                address=home,
                zip="94601",
                dob="2008-08-28",
            ),
        ],
        "client_id",
    )
    bits = address_sharing_bits(
        np.array([c["address"] for c in clients.to_dict("records")], dtype=object),
        clients["client_id"].to_numpy(dtype=object),
        pseudo_people=3.0,
        max_penalty=4.0,
    )
    assert bits[-2] == 0.0 and -4.0 <= bits[-1] < -2.0  # a family home: no change; the group home
    out = _link(
        _record(
            "r1",
            first_name="Grace",
            middle_name="S",
            last_name="Whitney",
            address="17 Alder Way",
            zip="94601",
        ),
        _record("r2", first_name="Maren", middle_name="S", last_name="Whitney", address=home, zip="94601"),
        clients=clients,
    )
    at_home = float(out[(out["record_id"] == "r1") & (out["client_id"] == "H1")]["score"].iloc[0])
    at_group_home = float(out[(out["record_id"] == "r2") & (out["client_id"] == "H2")]["score"].iloc[0])

    def address_weight(record_id: str, client_id: str) -> float:
        hit = out[(out["record_id"] == record_id) & (out["client_id"] == client_id)]
        fields = json.loads(hit["explanation"].iloc[0])["fields"]
        return next(f["weight"] for f in fields if f["field"] == "address")

    assert _levels(out, "r2", "H2")["address"] == "exact" == _levels(out, "r1", "H1")["address"]
    assert address_weight("r2", "H2") <= address_weight("r1", "H1") - 2.0
    assert at_group_home < at_home
    assert _decision(out, "r1", "H1") == "match" and _decision(out, "r2", "H2") == "review"


def test_a_historical_register_keeps_its_birth_dates() -> None:
    """A year before 1900 means "unknown" in an agency's system, but a register of people born in
    the 1800s is made of such years: when most of the client list's DOBs fall before 1900 they are
    dates (the DOB separates two namesakes), otherwise still placeholders."""
    from matchers.standardise import dob_year_floor

    modern = pd.Series(["2008-03-14", "1850-01-01", "2007-11-02"])
    historical = pd.Series(["1852-03-14", "1849-07-30", "1903-11-02", ""])
    assert dob_year_floor(modern) == 1900 and dob_year_floor(historical) == 1000
    assert standardise(_people([dict(record_id="r", dob="1850-01-01")], "record_id")).dob8[0] == ""

    clients = _people(
        [
            dict(client_id="H1", first_name="Mary", last_name="Walsh", dob="1852-03-14", zip="94601"),
            dict(client_id="H2", first_name="Mary", last_name="Walsh", dob="1849-07-30", zip="94601"),
            dict(client_id="H3", first_name="John", last_name="Byrne", dob="1861-01-09", zip="94601"),
        ],
        "client_id",
    )
    out = _link(
        _record("r1", first_name="Mary", last_name="Walsh", dob="1852-03-14", zip="94601"), clients=clients
    )
    assert _levels(out, "r1", "H1")["dob"] == "exact"
    # her namesake born three years earlier is not seriously considered (with the DOBs dropped as
    # placeholders, the two were the same two names in one zip, and neither could be matched)
    assert _decision(out, "r1", "H1") == "match" and _decision(out, "r1", "H2") == "absent"


def test_a_row_without_a_given_name_or_zip_finds_her_surname_in_her_birth_year() -> None:
    """last_phonetic_year_no_given: with neither a given name nor a zip, and a DOB mistyped past
    reading, the surname's sound and the birth year still find her (the year survives the typo);
    a row with a given name makes no such key, nor does a client with one for the client-side rule."""
    clients = [
        dict(client_id="C1", first_name="Mitchell", last_name="Noyce", dob="1966-09-01"),
        dict(client_id="C2", first_name="", last_name="Noyce", dob="1966-04-11"),
    ]
    rows = [
        _record("r1", last_name="Noyce", dob="1966-00-91"),
        _record("r2", first_name="Ann", last_name="Noyce", dob="1966-02-03"),
    ]
    rules = ("last_phonetic_year_no_given", "last_phonetic_year_client_no_given")
    # r1 meets every Noyce born in 1966; r2 (a given name) only the client without one
    assert _blocked(clients, rows, rules) == {(0, "C1"), (0, "C2"), (1, "C2")}


def test_a_changed_surname_without_a_dob_is_found_by_given_name_and_middle_initial() -> None:
    """zip_first_prefix_middle_initial: a row under a new surname (marriage, adoption) with no DOB
    shares only her given name, middle initial and zip with her client row. In a busy zip the
    given-name prefix alone is a block over zip_first_prefix's small cap (skipped); with the middle
    initial it is small enough to search."""
    clients = [
        dict(client_id="C1", first_name="Maria", middle_name="Luz", last_name="Gomez", zip="94601"),
        *(
            dict(
                client_id=f"M{k}", first_name="Marisol", middle_name="Ana", last_name=f"Name{k}", zip="94601"
            )
            for k in range(12)
        ),
    ]
    rows = [_record("r1", first_name="Maria", middle_name="L", last_name="Whitney", zip="94601")]
    caps = {"zip_first_prefix": 8}
    rules = ("zip_first_prefix", "zip_first_prefix_middle_initial")
    assert _blocked(clients, rows, rules, caps) == {(0, "C1")}
    assert _blocked(clients, rows, rules[:1], caps) == set()  # the prefix block alone was too big
