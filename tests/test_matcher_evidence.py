"""Evidence the matcher must count once, or learn from the run itself (made-up people only):
fields that imply each other, a misspelt given name in a large run, names stated by matched rows."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from matchers import default_matcher
from matchers.compare import LEVELS
from matchers.config import load
from matchers.learned_names import learned_by_client, stated_given_names, with_learned_names
from matchers.scoring import Weights, score
from matchers.standardise import standardise
from tests.matcher_data import _people, _synthetic


@pytest.fixture(autouse=True)
def _no_published_parameters(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFETYNET_MATCHER_PARAMS_DIR", str(tmp_path_factory.mktemp("no_params")))


def _levels(**chosen: str) -> pd.DataFrame:
    """One pair's comparison levels: the given ones, "missing" for every other column."""
    row = {}
    for col in (
        "first_name",
        "last_name",
        "first_name_swapped",
        "last_name_swapped",
        "middle_name",
        "aliases",
        "dob",
        "sex",
        "race",
        "address",
        "city",
        "zip",
    ):
        field = col.replace("_swapped", "")
        row[col] = LEVELS[field].index(chosen.get(col, "missing" if "swapped" not in col else "else"))
    return pd.DataFrame([row])


def _weights() -> tuple[Weights, dict]:
    config = load()
    return Weights.from_config(config, n_clients=1000), config.fields


def _field_weight(levels: pd.DataFrame, field: str) -> float:
    explanation = json.loads(score(levels, _weights()[0])["explanation"].iloc[0])
    return {f["field"]: f["weight"] for f in explanation["fields"]}[field]


# --- fields that imply each other -------------------------------------------------------------------


def test_a_shared_city_after_a_move_weighs_what_a_local_move_is_worth() -> None:
    _, fields = _weights()
    moved = _field_weight(
        _levels(first_name="exact", last_name="exact", address="else", city="exact"), "city"
    )
    stayed = _field_weight(_levels(first_name="exact", last_name="exact", city="exact"), "city")
    after = fields["city_after_move"]
    expected = math.log2(after.m[0] / after.u[0])
    assert moved == pytest.approx(expected, abs=0.01)
    assert stayed == pytest.approx(math.log2(fields["city"].m[0] / fields["city"].u[0]), abs=0.01)
    assert 0 <= moved < stayed
    # a different city after a move still costs nothing more: the move was counted on the address
    assert _field_weight(_levels(first_name="exact", address="else", city="else"), "city") == 0.0


def test_the_sex_marker_adds_nothing_to_an_agreeing_given_name() -> None:
    assert _field_weight(_levels(first_name="exact", sex="agree"), "sex") == 0.0
    assert _field_weight(_levels(first_name="nickname", sex="agree"), "sex") == 0.0
    assert _field_weight(_levels(first_name="jw_92", sex="agree"), "sex") > 0
    assert _field_weight(_levels(first_name="exact", sex="disagree"), "sex") < 0


def test_a_legal_name_s_sex_marker_does_not_count_against_an_aka_agreement() -> None:
    # The row agrees with her only through another name she goes by: its sex marker is that name's.
    assert _field_weight(_levels(first_name="alias_or_part", sex="disagree"), "sex") == 0.0
    # With no such link a disagreeing marker still counts: twins of the other sex look like that.
    assert _field_weight(_levels(first_name="else", sex="disagree"), "sex") < 0


def _moved_run(keep_zip: bool) -> dict:
    """Fitted fields of a run where every third matched row moved (another street address), keeping
    its zip or not; the other rows keep the client's address."""
    clients, records, truth = _synthetic(seed=3, n_clients=400, n_records=2400)
    clients["address"] = [f"{100 + i} Oak St" for i in range(len(clients))]
    home = dict(zip(clients["client_id"], clients["address"], strict=True))
    of = dict(zip(truth["record_id"], truth["client_id"], strict=True))
    records["address"] = [
        home.get(of.get(r), f"{9000 + i} Elm Ave") for i, r in enumerate(records["record_id"])
    ]
    moved = records["record_id"].map(of).notna() & (np.arange(len(records)) % 6 == 2)  # no surname typo
    records.loc[moved, "address"] = [f"{i} Pine Rd" for i in range(int(moved.sum()))]
    if not keep_zip:
        records.loc[moved, "zip"] = "95999"
    matcher = default_matcher()
    matcher.link(clients, records)
    return matcher.fitted_config.fields


def test_after_move_m_is_estimated_from_the_people_who_moved() -> None:
    prior = load().fields["zip_after_move"]
    exact = prior.levels.index("exact")
    stayed_local = _moved_run(keep_zip=True)
    moved_away = _moved_run(keep_zip=False)
    assert stayed_local["zip_after_move"].m[exact] > prior.m[exact] + 0.2
    assert moved_away["zip_after_move"].m[exact] < prior.m[exact] - 0.05
    # u is the random-pair u of the zip: different people after a move agree as often as ever
    assert stayed_local["zip_after_move"].u == stayed_local["zip"].u


# --- a misspelt given name in a large run -------------------------------------------------------------

HOUSEHOLD = dict(
    last_name="Morales",
    dob="2007-07-23",
    sex="F",
    race="Hispanic",
    address="310 Walnut St",
    city="Oakland",
    zip="94621",
)


def _large_run(*extra_rows: dict) -> pd.DataFrame:
    """A run of ~2,800 people (above unseen_name_min_rows) with the given rows added to it."""
    clients, records, _ = _synthetic(seed=5, n_clients=400, n_records=2400)
    ours = [
        dict(client_id="G1", first_name="Guadalupe", **HOUSEHOLD),
        dict(client_id="A1", first_name="Adrian", **{**HOUSEHOLD, "last_name": "Delgado"}),
    ]
    clients = pd.concat([clients, _people(ours, "client_id")], ignore_index=True)
    records = pd.concat([records, _people(list(extra_rows), "record_id")], ignore_index=True)
    return default_matcher().link(clients, records)


def _decision(out: pd.DataFrame, record_id: str, client_id: str) -> str:
    hit = out[(out["record_id"] == record_id) & (out["client_id"] == client_id)]
    return hit["decision"].iloc[0] if len(hit) else "absent"


def test_a_given_name_found_in_no_other_row_of_a_large_run_is_a_misspelling() -> None:
    # "Gudalupee" (two slips, Jaro-Winkler 0.91) is in no other row: the twin cap does not hold it.
    out = _large_run(dict(record_id="typo", first_name="Gudalupee", **HOUSEHOLD))
    assert _decision(out, "typo", "G1") == "match"


def test_a_similar_real_name_weighs_a_twin_more_than_a_misspelling_does() -> None:
    # "Adan" is a name other children in the run have, "Gudalupee" is in no other row: the same
    # slip-sized difference, but only the real name leaves a twin as likely as the data make twins.
    twin = dict(record_id="twin", first_name="Adan", **{**HOUSEHOLD, "last_name": "Delgado"})
    typo = dict(record_id="typo", first_name="Gudalupee", **HOUSEHOLD)
    other_adan = dict(
        record_id="other", first_name="Adan", last_name="Quintero", dob="2010-01-05", sex="M", zip="94577"
    )
    out = _large_run(twin, typo, other_adan)

    def twin_bits(record_id: str, client_id: str) -> tuple[float, dict]:
        pair = out[(out["record_id"] == record_id) & (out["client_id"] == client_id)].iloc[0]
        doc = json.loads(pair["explanation"])
        return {r["class"]: r["weight"] for r in doc["relatives"]}["twin"], doc

    adan, adan_doc = twin_bits("twin", "A1")
    gudalupee, typo_doc = twin_bits("typo", "G1")
    assert typo_doc.get("row_given_name") == "unseen" and "row_given_name" not in adan_doc
    assert gudalupee < adan - 2  # the unseen name weighs against a relative


def test_a_misspelling_in_a_small_run_stays_for_a_person() -> None:
    clients = _people([dict(client_id="G1", first_name="Guadalupe", **HOUSEHOLD)], "client_id")
    records = _people([dict(record_id="typo", first_name="Gudalupee", **HOUSEHOLD)], "record_id")
    out = default_matcher().link(clients, records)
    assert _decision(out, "typo", "G1") == "review"


# --- names stated by matched rows ---------------------------------------------------------------


def test_only_a_matched_row_that_states_the_link_teaches_a_name() -> None:
    clients = standardise(
        _people([dict(client_id="C1", first_name="Jasmine", aliases="Lil J")], "client_id"),
        id_column="client_id",
    )
    rows = standardise(
        _people(
            [
                dict(record_id="aka", first_name="Roberto", aliases="Jasmine"),  # her own name as an AKA
                dict(record_id="street", first_name="Rosa", aliases="LIL J"),  # her street name
                dict(record_id="bare", first_name="Valeria"),  # nothing links it
                dict(record_id="unmatched", first_name="Marta", aliases="Jasmine"),
            ],
            "record_id",
        )
    )
    n = len(rows)
    ri, ci = np.arange(n), np.zeros(n, dtype=np.int64)
    else_, alias = LEVELS["first_name"].index("else"), LEVELS["first_name"].index("alias_or_part")
    stated = stated_given_names(
        rows,
        clients,
        ri,
        ci,
        matched=np.array([True, True, True, False]),
        swapped=np.zeros(n, dtype=bool),
        first_level=np.array([alias, else_, else_, alias]),
        alias_level=np.array([LEVELS["aliases"].index(lv) for lv in ("else", "shared", "missing", "else")]),
    )
    assert list(stated) == ["roberto", "rosa", "", ""]
    learned = learned_by_client(ci, stated)
    assert learned == {0: ["roberto", "rosa"]}
    more = with_learned_names(clients, learned)
    assert more.first.shape[1] == clients.first.shape[1] + 2
    assert list(more.first[0, -2:]) == ["roberto", "rosa"]
    assert (more.first[:, : clients.first.shape[1]] == clients.first).all()


def test_names_that_go_together_weigh_less_on_a_list_where_they_do() -> None:
    # Both ways, on made-up client lists: where given and surname are drawn independently a pair
    # agreeing on both keeps its full weight; where families share naming customs (each surname
    # comes with a few given names) agreeing on both is weaker evidence, estimated from the list.
    from matchers.estimate import name_pair_bits

    rng = np.random.default_rng(3)
    givens = [f"given{i}" for i in range(60)]
    surnames = [f"surname{i}" for i in range(60)]
    dob = [
        f"20{rng.integers(0, 15):02d}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        for _ in range(3000)
    ]
    independent = pd.DataFrame(
        {
            "client_id": [f"C{i}" for i in range(3000)],
            "first_name": rng.choice(givens, 3000),
            "last_name": rng.choice(surnames, 3000),
            "dob": dob,
        }
    )
    surname_idx = rng.integers(0, 60, 3000)
    together = independent.assign(
        last_name=[surnames[k] for k in surname_idx],
        first_name=[givens[(k + rng.integers(0, 4)) % 60] for k in surname_idx],
    )
    assert name_pair_bits(standardise(independent, "client_id"), 20, 4.0) == 0.0
    bits = name_pair_bits(standardise(together, "client_id"), 20, 4.0)
    assert -4.0 <= bits < -2.0


def test_the_name_pair_correction_reaches_only_pairs_agreeing_on_both_names() -> None:
    # Fails if scoring ignores Weights.name_pair_bits or applies it to a pair sharing one name only.
    from matchers.compare import COLUMNS

    exact, other = LEVELS["first_name"].index("exact"), LEVELS["first_name"].index("else")
    levels = pd.DataFrame({c: [LEVELS.get(c, LEVELS["first_name"]).index("missing")] * 3 for c in COLUMNS})
    levels["first_name"] = [exact, exact, other]
    levels["last_name"] = [exact, other, exact]
    weights = Weights.from_config(load(), n_clients=1000)
    plain = score(levels, weights, explain=False)["total"].to_numpy()
    corrected = score(levels, replace(weights, name_pair_bits=-2.0), explain=False)["total"].to_numpy()
    assert corrected - plain == pytest.approx([-2.0, 0.0, 0.0])
