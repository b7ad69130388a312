"""Small hand-built people and a made-up population shared by the matcher tests.

``CLIENTS`` holds the hard cases' clients (nicknames, aliases, compound surnames, twins);
``_synthetic`` a syllable-name population with known true links, for estimation tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matchers import Matcher, default_matcher

PERSON = ["first_name", "middle_name", "last_name", "aliases", "dob", "sex", "race", "address", "city", "zip"]


def _people(rows: list[dict], id_column: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=None if rows else [id_column])
    for col in PERSON:
        if col not in frame.columns:
            frame[col] = None
    return frame[[id_column, *PERSON]]


CLIENTS = _people(
    [
        dict(
            client_id="C1",
            first_name="Jasmine",
            last_name="Torres",
            aliases="Lil J|Kiki Reyes",
            dob="2008-03-14",
            sex="F",
            race="Hispanic",
            address="123 Maple St",
            city="Oakland",
            zip="94601",
        ),
        dict(
            client_id="C2",
            first_name="Elizabeth",
            last_name="Nguyen",
            dob="2007-11-02",
            sex="F",
            race="Asian",
            address="9 Birch Way",
            city="Fremont",
            zip="94536",
        ),
        dict(
            client_id="C3",
            first_name="Francisco",
            last_name="Ramírez-Olvera",
            dob="2006-05-09",
            sex="M",
            race="Hispanic",
            address="77 Cedar Ave",
            city="San Leandro",
            zip="94577",
        ),
        dict(
            client_id="C4",
            first_name="Maria",
            last_name="Garcia",
            dob="2008-06-10",
            sex="F",
            race="Hispanic",
            address="5 Elm St",
            city="Oakland",
            zip="94603",
        ),
        dict(
            client_id="C5",
            first_name="Maria",
            last_name="Garcia",
            dob="2008-06-11",
            sex="F",
            race="Hispanic",
            address="88 Pine St",
            city="Hayward",
            zip="94544",
        ),
        dict(
            client_id="C6",
            first_name="Ana",
            last_name="Delgado",
            dob="2009-01-20",
            sex="F",
            race="Hispanic",
            address="45 Oak Ave",
            city="Hayward",
            zip="94541",
        ),
        dict(
            client_id="C7",
            first_name="Guadalupe",
            last_name="Morales",
            dob="2007-07-23",
            sex="F",
            race="Hispanic",
            address="310 Walnut St",
            city="Oakland",
            zip="94621",
        ),
        dict(
            client_id="C8",
            first_name="Destiny",
            last_name="Walker",
            dob="2008-02-05",
            sex="F",
            race="Black",
            address="18 Spruce Ct",
            city="Oakland",
            zip="94605",
        ),
    ],
    "client_id",
)


def _record(record_id: str, **fields) -> dict:
    return dict(record_id=record_id, **fields)


def _link(*records: dict, matcher: Matcher | None = None, clients: pd.DataFrame = CLIENTS) -> pd.DataFrame:
    return (matcher or default_matcher()).link(clients, _people(list(records), "record_id"))


def _decision(out: pd.DataFrame, record_id: str, client_id: str) -> str:
    """The decision for one pair; a pair not in the output was not seriously considered."""
    hit = out[(out["record_id"] == record_id) & (out["client_id"] == client_id)]
    assert len(hit) <= 1
    return hit["decision"].iloc[0] if len(hit) else "absent"


def _synthetic(seed: int = 1, n_clients: int = 400, n_records: int = 2400) -> tuple[pd.DataFrame, ...]:
    """Made-up syllable names; half the rows copy a client (some with one typo), half are strangers."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ra", "ten", "vu", "zor", "bel", "qui", "dan", "mar", "sel", "tov", "nia"]

    def name(k: int) -> str:
        return "".join(rng.choice(syllables, k)).title()

    def person() -> dict:
        day = pd.Timestamp("2005-01-01") + pd.Timedelta(days=int(rng.integers(0, 2500)))
        return dict(
            first_name=name(2),
            last_name=name(3),
            dob=day.strftime("%Y-%m-%d"),
            sex=str(rng.choice(["F", "M"])),
            zip=str(94500 + int(rng.integers(0, 60))),
        )

    clients = [dict(client_id=f"C{i}", **person()) for i in range(n_clients)]
    records, truth = [], []
    for i in range(n_records):
        if i % 2 == 0:
            c = clients[int(rng.integers(0, n_clients))]
            row = {k: v for k, v in c.items() if k != "client_id"}
            if i % 6 == 0:  # one typo in the surname
                row["last_name"] = row["last_name"][:-1] + "x"
            truth.append((f"r{i}", c["client_id"]))
        else:
            row = person()
        records.append(dict(record_id=f"r{i}", **row))
    return (
        _people(clients, "client_id"),
        _people(records, "record_id"),
        pd.DataFrame(truth, columns=["record_id", "client_id"]),
    )
