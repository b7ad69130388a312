"""The review caps are lifted only when a run's own data rule relatives out (matchers/relatives.py).

Synthetic people from a fixed seed: invented syllable names, no real person.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matchers import default_matcher
from matchers.relatives import relative_evidence

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


def test_without_relatives_in_the_data_a_renamed_record_is_auto_matched(population) -> None:
    clients, renamed = population
    records = _records(clients, renamed)
    matcher = default_matcher()
    out = matcher.link(clients, records)
    evidence = matcher.stats.relatives
    assert evidence["ruled_out"] is True
    assert evidence["conflicts"] == 0 and evidence["shaped"] >= 400
    decided = _decisions(out)
    renamed_ids = records.loc[renamed, "record_id"]
    # every record is its own client: no false match, and the renamed ones are matched, not queued
    matches = out[out["decision"] == "match"]
    assert (matches["record_id"].str[1:] == matches["client_id"].str[1:]).all()
    assert (decided.reindex(renamed_ids) == "match").mean() >= 0.95


def test_twins_in_the_data_keep_the_caps_and_stay_in_review(population) -> None:
    clients, renamed = population
    records = _records(clients, renamed)
    # 150 clients whose own record is intact have a twin with a record of her own in the extract
    intact = np.flatnonzero(~renamed)[:150]
    twins = clients.iloc[intact].rename(columns={"client_id": "record_id"}).copy()
    twins["record_id"] = [f"T{i:05d}" for i in range(len(twins))]
    twins["first_name"] = twins["first_name"].map(lambda g: GIVEN[(GIVEN.index(g) + 3) % len(GIVEN)])
    matcher = default_matcher()
    out = matcher.link(clients, pd.concat([records, twins], ignore_index=True))
    evidence = matcher.stats.relatives
    assert evidence["ruled_out"] is False
    assert evidence["conflicts"] >= 140
    decided = _decisions(out)
    assert (decided.reindex(twins["record_id"]) == "review").all()
    assert not (out.loc[out["record_id"].isin(twins["record_id"]), "decision"] == "match").any()
    # and the renamed records, which look the same as twins one by one, are for a person too
    assert (decided.reindex(records.loc[renamed, "record_id"]) != "match").all()


def test_a_small_extract_never_rules_relatives_out(population) -> None:
    clients, renamed = population
    records = _records(clients, renamed).iloc[:200]
    matcher = default_matcher()
    out = matcher.link(clients, records)
    assert matcher.stats.relatives["ruled_out"] is False
    renamed_ids = records.loc[renamed[:200], "record_id"]
    assert not (out.loc[out["record_id"].isin(renamed_ids), "decision"] == "match").any()


def _links(shaped: int, conflicts: int, matched_clients: int, repeats: int) -> pd.DataFrame:
    """First-pass pairs: ``matched_clients`` clients matched (``repeats`` of them twice), and
    ``shaped`` relative-shaped review records, ``conflicts`` of them on a matched client."""
    rows = [(f"m{i}", f"c{i}", 0.999, "match", False) for i in range(matched_clients)]
    rows += [(f"d{i}", f"c{i}", 0.999, "match", False) for i in range(repeats)]
    for i in range(shaped):
        client = f"c{i}" if i < conflicts else f"x{i}"
        rows.append((f"r{i}", client, 0.999, "review", True))
    return pd.DataFrame(rows, columns=["record_id", "client_id", "score", "decision", "relative_shaped"])


@pytest.mark.parametrize(
    ("shaped", "conflicts", "matched", "repeats", "ruled_out"),
    [
        (600, 0, 4000, 0, True),  # FEBRL-like: most clients present, no conflict at all
        (600, 3, 4000, 0, False),  # three conflicts widen the bound past 1 %
        (100, 0, 4000, 0, False),  # too few held records to tell
        (600, 0, 1000, 0, False),  # few clients present: absence of conflicts says little
        (600, 0, 4000, 3500, False),  # clients matched twice anyway: the test has no power
    ],
)
def test_relative_evidence_bound(
    shaped: int, conflicts: int, matched: int, repeats: int, ruled_out: bool
) -> None:
    evidence = relative_evidence(_links(shaped, conflicts, matched, repeats), n_clients=5000)
    assert evidence.shaped == shaped and evidence.conflicts == conflicts
    assert evidence.ruled_out is ruled_out
    assert 0 <= evidence.rate_upper <= 1


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
