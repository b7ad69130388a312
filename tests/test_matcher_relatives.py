"""Household relatives weighed as outcomes, estimated on each run's own data (matchers/relatives.py,
matchers/presence.py): a renamed record is matched where the data hold no twins, a twin with her
own name is not, and several rows of one client are never read as relatives.

Synthetic people from a fixed seed: invented syllable names, no real person.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from matchers import default_matcher
from matchers.decide import household_bits, row_probability
from matchers.presence import Presence
from matchers.relatives import household_codes
from matchers.standardise import standardise

SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vo", "shi", "dar", "bel", "qui", "no", "sa", "fe", "ru", "zan"]
GIVEN = [
    "amara",
    "bettina",
    "corinne",
    "delphine",
    "esperanza",
    "fiorella",
    "giselle",
    "honora",
    "ilse",
    "jacinta",
    "kalinda",
    "leonora",
    "marisol",
    "nerissa",
    "ottilie",
    "perpetua",
    "rosalind",
    "severine",
    "tamsin",
    "ursula",
    "valentine",
    "wilhelmina",
    "xiomara",
    "yolande",
    "zenobia",
]


def _people(n: int, seed: int = 3) -> pd.DataFrame:
    assert n <= len(SYLLABLES) ** 4 // 2, "not enough distinct surnames"
    rng = np.random.default_rng(seed)
    surnames: set[str] = set()
    while len(surnames) < n:
        surnames.add("".join(rng.choice(SYLLABLES, size=4)))
    days = rng.integers(0, 365 * 8, n)
    dob = (np.datetime64("2006-01-01") + days.astype("timedelta64[D]")).astype(str)
    return pd.DataFrame(
        {
            "client_id": [f"C{i:05d}" for i in range(n)],
            "first_name": rng.choice(GIVEN, size=n),
            "middle_name": "",
            "last_name": sorted(surnames),
            "aliases": "",
            "dob": dob,
            "sex": "F",
            "race": "",
            "address": [
                f"{rng.integers(1, 9999)} {rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)} st" for _ in range(n)
            ],
            "city": "oakland",
            "zip": rng.choice(
                ["94601", "94603", "94605", "94606", "94607", "94610", "94612", "94621"], size=n
            ),
        }
    )


def _records(clients: pd.DataFrame, renamed: np.ndarray) -> pd.DataFrame:
    """One record per client; the ``renamed`` ones carry another given name (a data-entry error)."""
    recs = clients.rename(columns={"client_id": "record_id"}).copy()
    recs["record_id"] = [f"R{i:05d}" for i in range(len(recs))]
    other = recs.loc[renamed, "first_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 7) % len(GIVEN)])
    recs.loc[renamed, "first_name"] = other
    return recs


@pytest.fixture(scope="module")
def population() -> tuple[pd.DataFrame, np.ndarray]:
    clients = _people(2000)
    renamed = np.zeros(len(clients), dtype=bool)
    renamed[np.random.default_rng(5).choice(len(clients), 500, replace=False)] = True
    return clients, renamed


def _decisions(out: pd.DataFrame) -> pd.Series:
    best = out.sort_values("score", ascending=False).drop_duplicates("record_id")
    return best.set_index("record_id")["decision"]


def _twins(clients: pd.DataFrame, which: np.ndarray) -> pd.DataFrame:
    """A co-twin of each client in ``which``: her surname, DOB, address; her own given name."""
    twins = clients.iloc[which].rename(columns={"client_id": "record_id"}).copy()
    twins["record_id"] = [f"T{i:05d}" for i in range(len(twins))]
    twins["first_name"] = twins["first_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 3) % len(GIVEN)])
    return twins


def test_without_relatives_in_the_data_a_renamed_record_is_auto_matched(population) -> None:
    clients, renamed = population
    records = _records(clients, renamed)
    matcher = default_matcher()
    out = matcher.link(clients, records)
    # the run's own data say twins are rare here (configured: 3.1 % of births)
    assert matcher.stats.relatives["twin"] < 0.015
    decided = _decisions(out)
    renamed_ids = records.loc[renamed, "record_id"]
    # every record is its own client: no false match, and the renamed ones are matched, not queued
    matches = out[out["decision"] == "match"]
    assert (matches["record_id"].str[1:] == matches["client_id"].str[1:]).all()
    assert (decided.reindex(renamed_ids) == "match").mean() >= 0.95


def test_twins_with_their_own_names_are_never_matched(population) -> None:
    clients, renamed = population
    # everyone has a middle name here: the renamed record keeps hers, a twin has her own
    clients = clients.assign(middle_name=[GIVEN[(i * 7) % len(GIVEN)] for i in range(len(clients))])
    records = _records(clients, renamed)
    # 150 clients whose own record is intact have a twin with a record of her own in the extract
    twins = _twins(clients, np.flatnonzero(~renamed)[:150])
    twins["middle_name"] = twins["middle_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 5) % len(GIVEN)])
    matcher = default_matcher()
    out = matcher.link(clients, pd.concat([records, twins], ignore_index=True))
    assert matcher.stats.relatives["twin"] > 0.02
    assert not (out.loc[out["record_id"].isin(twins["record_id"]), "decision"] == "match").any()
    twin_pairs = out[out["record_id"].isin(twins["record_id"])]
    said = twin_pairs["explanation"].map(
        lambda e: any(r["class"] == "twin" for r in json.loads(e)["relatives"])
    )
    assert said.all()  # every twin's pair says why: the twin outcome was weighed
    # the client's own record being here is what tells the twin from the renamed record
    decided = _decisions(out)
    assert (decided.reindex(records.loc[renamed, "record_id"]) == "match").mean() >= 0.9
    matches = out[out["decision"] == "match"]
    assert (matches["record_id"].str[1:] == matches["client_id"].str[1:]).all()


def test_a_small_extract_keeps_the_vital_statistics_prior(population) -> None:
    clients, renamed = population
    records = _records(clients, renamed).iloc[:200]
    matcher = default_matcher()
    out = matcher.link(clients, records)
    assert matcher.stats.relatives["twin"] == pytest.approx(0.031)
    renamed_ids = records.loc[renamed[:200], "record_id"]
    # one record cannot tell a renamed client from her twin: a person decides
    held = out[out["record_id"].isin(renamed_ids)]
    assert not (held["decision"] == "match").any()
    assert set(held.drop_duplicates("record_id")["decision"]) == {"review"}


def test_several_rows_per_client_are_not_read_as_relatives(population) -> None:
    # An arrest log: every client booked three times, a renamed row among them. A client's other
    # rows are ordinary here, so the renamed row is hers, not a twin's.
    clients, renamed = population
    base = _records(clients, np.zeros(len(clients), dtype=bool))
    bookings = [base.assign(record_id=base["record_id"] + f"-{k}") for k in range(2)]
    odd = _records(clients, renamed)[renamed].assign(record_id=lambda d: d["record_id"] + "-x")
    matcher = default_matcher()
    out = matcher.link(clients, pd.concat([*bookings, odd], ignore_index=True))
    presence = matcher.stats.presence
    assert presence["same"] > 0.9  # clients met their own other rows
    assert presence["bits_present"] < 0.5  # ... so meeting one says nothing for a relative
    decided = _decisions(out)
    assert (decided.reindex(odd["record_id"]) == "match").mean() >= 0.9


def test_presence_from_confirmed_rows() -> None:
    one_each = Presence.from_confirmed(np.arange(900), n_clients=1000)
    assert one_each.same < 0.1 and one_each.other == pytest.approx(0.9)
    assert one_each.weights["present"] > 3  # a near-copy of a client already here: likely a relative
    assert one_each.weights["absent"] < -2
    three_each = Presence.from_confirmed(np.repeat(np.arange(900), 3), n_clients=1000)
    assert three_each.same > 0.9 and abs(three_each.weights["present"]) < 0.2


# --- the match rate (prior) is estimated from the run's rows as well ---------------------------


def _strangers(n: int, seed: int = 11) -> pd.DataFrame:
    """Rows of people who are no client (other surnames, same towns)."""
    people = _people(n, seed=seed).rename(columns={"client_id": "record_id"})
    people["record_id"] = [f"S{i:05d}" for i in range(n)]
    people["last_name"] = [f"{name}son" for name in people["last_name"]]
    return people


@pytest.mark.parametrize(("clients_in_extract", "strangers"), [(2000, 0), (400, 1800)])
def test_match_rate_is_estimated_from_the_rows(population, clients_in_extract: int, strangers: int) -> None:
    clients, renamed = population
    rows = pd.concat(
        [_records(clients, renamed).iloc[:clients_in_extract], _strangers(strangers)], ignore_index=True
    )
    matcher = default_matcher()
    matcher.link(clients, rows)
    true_rate = clients_in_extract / len(rows)
    assert matcher.stats.match_rate == pytest.approx(true_rate, abs=0.05)


def test_a_trans_girls_legal_name_row_weighs_no_sex_marker_against_her(population) -> None:
    # Her agency row under her legal name and birth sex, with her surname, DOB and address. For a
    # client whose listed gender identity says either marker may appear, the matcher gets no sex
    # (warehouse.clients.read_clients_frame): the row is likelier hers than with a listed marker,
    # whether or not her own row is in the same extract, and without it she is never ruled out.
    clients, _ = population
    records = _records(clients, np.zeros(len(clients), dtype=bool))
    legal = records.iloc[[0]].assign(record_id="LEGAL", first_name="theodore", sex="M")
    either = clients.assign(sex=[None] + list(clients["sex"].iloc[1:]))
    her = clients["client_id"].iloc[0]

    def scored(cl: pd.DataFrame, extract: pd.DataFrame) -> tuple[float, str]:
        out = default_matcher().link(cl, extract.reset_index(drop=True))
        row = out[(out["record_id"] == "LEGAL") & (out["client_id"] == her)]
        return float(row["score"].iloc[0]), str(row["decision"].iloc[0])

    for extract in (pd.concat([records.iloc[1:], legal]), pd.concat([records, legal])):
        assert scored(either, extract)[0] > scored(clients, extract)[0]
    assert scored(either, pd.concat([records.iloc[1:], legal]))[1] in ("match", "review")


def _with_siblings_on_the_list(clients: pd.DataFrame, which: np.ndarray) -> pd.DataFrame:
    """A sister on the list for each client in ``which``: her surname and address, her own given
    and middle name, born three years later."""
    sisters = clients.iloc[which].copy()
    sisters["client_id"] = [f"S{i:05d}" for i in range(len(sisters))]
    sisters["first_name"] = sisters["first_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 11) % len(GIVEN)])
    sisters["middle_name"] = sisters["middle_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 2) % len(GIVEN)])
    sisters["dob"] = _shifted(sisters["dob"], 3 * 365 + 40)
    return pd.concat([clients, sisters], ignore_index=True)


def _shifted(dob: pd.Series, days: int) -> pd.Series:
    return (pd.to_datetime(dob) + pd.Timedelta(days=days)).dt.strftime("%Y-%m-%d")


def _brothers(records: pd.DataFrame, which: np.ndarray) -> pd.DataFrame:
    """A brother's row (not a client) for each record in ``which``: the household's surname and
    address, his own given and middle name, sex and DOB. An extract with many of them teaches the
    run that relatives are common here (the household prior is estimated per run)."""
    brothers = records.iloc[which].copy()
    brothers["record_id"] = [f"B{i:05d}" for i in range(len(brothers))]
    brothers["first_name"] = brothers["first_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 13) % len(GIVEN)])
    brothers["middle_name"] = brothers["middle_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 4) % len(GIVEN)])
    brothers["sex"] = "M"
    brothers["dob"] = _shifted(brothers["dob"], -(5 * 365 + 20))
    return brothers


def _sisters_listed(population) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Clients with middle names, 150 of them (``pairs``) with a sister on the list too, and one
    intact record of each client: (clients, pairs, the list with the sisters, records)."""
    clients, _ = population
    clients = clients.assign(middle_name=[GIVEN[(i * 7) % len(GIVEN)] for i in range(len(clients))])
    pairs = np.arange(0, 300, 2)
    listed = _with_siblings_on_the_list(clients, pairs)
    return clients, pairs, listed, _records(clients, np.zeros(len(clients), dtype=bool))


def test_a_sister_on_the_list_does_not_make_the_client_her_relative(population) -> None:
    # Both sisters are clients. The older one's row carries her sister's DOB (census and survey
    # extracts copy a household member's DOB). "A relative of the younger sister" is no outcome
    # competing with "the older sister herself": she *is* that relative. Scored together as a
    # household, her row is matched to her; scored apart (households: false) a quarter waited in review.
    clients, pairs, listed, records = _sisters_listed(population)
    sister_dob = listed.set_index("client_id")["dob"].iloc[len(clients) :].to_numpy()
    copied = records.index[pairs]
    records.loc[copied, "dob"] = sister_dob
    copied_ids = records.loc[copied, "record_id"]
    records = pd.concat([records, _brothers(records, np.arange(300, 1500))], ignore_index=True)

    def decided(households: bool) -> tuple[pd.Series, pd.DataFrame]:
        matcher = default_matcher()
        matcher.config = replace(matcher.config, households=households)
        out = matcher.link(listed, records)
        return _decisions(out).reindex(copied_ids), out

    together, out = decided(True)
    apart, _ = decided(False)
    assert (together == "match").mean() >= 0.95
    assert (together == "match").mean() > (apart == "match").mean() + 0.15
    # never matched to the sister whose DOB it carries, and nobody else is matched wrongly
    matches = out[out["decision"] == "match"]
    assert (matches["record_id"].str[1:] == matches["client_id"].str[1:]).all()


def test_a_sister_not_on_the_list_is_still_a_relative(population) -> None:
    # The household scored together must not swallow the relative outcome: a third sister, not a
    # client, with her own given and middle name and her own DOB, is matched to neither sister.
    clients, pairs, listed, records = _sisters_listed(population)
    third = records.iloc[pairs].copy()
    third["record_id"] = [f"X{i:05d}" for i in range(len(third))]
    third["first_name"] = third["first_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 5) % len(GIVEN)])
    third["middle_name"] = third["middle_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 9) % len(GIVEN)])
    third["dob"] = _shifted(third["dob"], -(2 * 365 + 100))
    brothers = _brothers(records, np.arange(300, 1500))
    out = default_matcher().link(listed, pd.concat([records, third, brothers], ignore_index=True))
    assert not (out.loc[out["record_id"].isin(third["record_id"]), "decision"] == "match").any()
    matches = out[out["decision"] == "match"]
    assert (matches["record_id"].str[1:] == matches["client_id"].str[1:]).all()


def test_household_bits_keep_a_lone_candidate_and_the_households_mass() -> None:
    rec = np.array([0, 0, 0, 1])
    household = np.array([4, 4, -1, 4])  # row 0: two sisters and a stranger; row 1: one sister
    total = np.array([16.4, 6.8, 3.0, 9.0])
    rel = np.array([-6.3, 6.6, 2.0, -5.0])
    t, r = household_bits(rec, household, total, rel)
    # a candidate alone in her household (or in none) keeps her bits exactly
    assert t[2:].tolist() == total[2:].tolist() and r[2:].tolist() == rel[2:].tolist()
    # the household's mass is its best member's, not the sum of both
    a = total + np.logaddexp2(0.0, rel)
    assert np.log2((np.exp2(t[:2]) * (1 + np.exp2(r[:2]))).sum()) == pytest.approx(a[:2].max())
    # within it, each sister's share against "another relative" is told by her own relative bits
    p = row_probability(rec, t, r)
    unpaired = row_probability(rec, total, rel)
    assert p[0] == pytest.approx(2**6.3 / (1 + 2**6.3 + 2**-6.6), rel=1e-3)
    assert p[0] > unpaired[0] + 0.05


def test_households_on_the_list_are_one_address_and_one_surname() -> None:
    frame = pd.DataFrame(
        {
            "client_id": ["a", "b", "c", "d", "e", "f", "g"],
            "first_name": ["paige", "dylan", "henry", "ana", "lia", "mo", "solo"],
            "last_name": ["barnard", "barnard", "", "ruiz", "chen", "", "kahn"],
            "address": ["22 civic center dr"] * 3 + ["9 group home way"] * 3 + ["1 lone st"],
        }
    )
    codes = household_codes(standardise(frame, id_column="client_id"))
    # the Barnards and a client without a surname at their address are one household
    assert codes[0] >= 0 and codes[0] == codes[1] == codes[2]
    # a group home with several surnames: nobody is grouped by the address alone
    assert (codes[3:6] == -1).all() and codes[6] == -1


def test_a_trans_girls_legal_name_row_beside_her_own_is_shown_to_a_person(population) -> None:
    # A one-row-per-person extract with her row under her own name *and* her legal-name row. Her own
    # row being here made the legal-name row read as a relative (presence), a nonmatch nobody saw.
    # For a client whose given name may differ (given_name_may_differ: a transgender or non-binary
    # youth), a given name unlike hers is no evidence: the row reaches her, matched or in review.
    clients, _ = population  # no middle names: nothing but the surname, DOB and address tells
    records = _records(clients, np.zeros(len(clients), dtype=bool))
    legal = records.iloc[[0]].assign(record_id="LEGAL", first_name="theodore", sex="M")
    extract = pd.concat([records, legal], ignore_index=True)
    her = clients["client_id"].iloc[0]
    listed = clients.assign(sex=[None] + list(clients["sex"].iloc[1:]))

    def decision(flag: bool) -> str:
        cl = listed.assign(given_name_may_differ=[flag] + [False] * (len(clients) - 1))
        out = default_matcher().link(cl, extract)
        row = out[(out["record_id"] == "LEGAL") & (out["client_id"] == her)]
        return str(row["decision"].iloc[0]) if len(row) else "nonmatch"

    assert decision(False) == "nonmatch"  # 0.057 before the flag
    assert decision(True) in ("match", "review")  # 0.997: matched


def test_a_given_name_unlike_hers_stays_evidence_for_other_clients(population) -> None:
    # The flag is hers alone: her twin-like neighbour on the list without it is weighed as before.
    clients, _ = population
    clients = clients.assign(middle_name=[GIVEN[(i * 7) % len(GIVEN)] for i in range(len(clients))])
    records = _records(clients, np.zeros(len(clients), dtype=bool))
    twins = _twins(clients, np.arange(10, 160))
    twins["middle_name"] = twins["middle_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 5) % len(GIVEN)])
    flagged = clients.assign(given_name_may_differ=[True] * 5 + [False] * (len(clients) - 5))
    out = default_matcher().link(flagged, pd.concat([records, twins], ignore_index=True))
    assert not (out.loc[out["record_id"].isin(twins["record_id"]), "decision"] == "match").any()
