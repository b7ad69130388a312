"""Reasons in words from the matcher's explanation (matchers/reasons.py) and the identity tokens that
tell whether two rows are one youth (matchers/identity.py, review/grouping.py): pure functions."""

from __future__ import annotations

import json

import pandas as pd

from matchers.identity import Identity, identities, same_youth
from matchers.reasons import REASONS, pair_reasons, row_reasons
from matchers.taught_names import names_taught
from review.grouping import partition


def explained(extra: dict | None = None, **levels: str) -> str:
    fields = ["first_name", "middle_name", "last_name", "name_order", "aliases", "dob", "sex", "address"]
    base = {"name_order": "straight", "aliases": "missing"}
    doc = {
        "fields": [{"field": f, "level": levels.get(f, base.get(f, "exact")), "weight": 1.0} for f in fields],
        "prior": -10.0,
        "total": 3.0,
        **(extra or {}),
    }
    return json.dumps(doc)


def codes(text: str) -> list[str]:
    return [r.code for r in pair_reasons(text)]


def test_look_alikes_are_named_first() -> None:
    assert codes(explained(first_name="else"))[0] == "possible_twin"
    assert codes(explained(first_name="else", sex="disagree"))[0] == "legal_name_or_twin"
    assert codes(explained(first_name="else", dob="else"))[0] == "possible_sibling"
    assert codes(explained(dob="else", address="else"))[:2] == ["namesake", "moved_dob_differs"]
    assert codes(explained(first_name="nickname", dob="else"))[0] == "same_name_relative"


def test_other_doubts_in_words() -> None:
    assert codes(explained(dob="missing")) == ["missing_dob"]
    assert codes(explained(address="else", dob="one_digit")) == ["moved_dob_differs", "dob_typo"]
    assert codes(explained(last_name="else"))[0] == "surname_differs"
    assert codes(explained(name_order="swapped")) == ["names_swapped"]
    assert codes(explained()) == ["thin_evidence"]  # nothing disagrees: the evidence is just thin
    assert codes(explained({"learned_given_name": True}, first_name="alias_or_part")) == ["learned_name"]
    assert all(r.words == REASONS[r.code] for r in pair_reasons(explained(first_name="jw_85")))
    assert pair_reasons(None) == [] and pair_reasons("not json") == []


def test_the_matchers_own_words_come_first() -> None:
    stated = explained({"review_reason": "parent_same_name"}, dob="missing")
    reasons = pair_reasons(stated)
    assert [r.code for r in reasons] == ["parent_same_name", "missing_dob"]
    assert reasons[0].words == "parent same name"  # unknown to this module: its code in words
    relatives = explained(
        {"relatives": [{"class": "twin", "weight": 1.5}, {"class": "household", "weight": -9}]}
    )
    assert codes(relatives) == ["possible_twin"]


def test_the_look_alike_models_keys_old_and_new() -> None:
    """Issue 13's explanation: ``relatives`` (twin / household), ``presence`` and ``row_given_name``,
    no cap keys; older explanations (no such keys, or cap keys) read as before."""
    twin_shaped = {"first_name": "else"}
    # the matcher weighed her twin as unlikely: no "possible twin" from the shape of the pair alone
    unlikely = explained({"relatives": [{"class": "twin", "weight": -12.0}]}, **twin_shaped)
    assert codes(unlikely) == ["given_name_unrelated"]
    likely = explained({"relatives": [{"class": "twin", "weight": -1.0}]}, **twin_shaped)
    assert codes(likely) == ["possible_twin", "given_name_unrelated"]
    house = explained({"relatives": [{"class": "household", "weight": 0.5}]}, first_name="else", dob="else")
    assert codes(house)[0] == "possible_sibling"
    trans = explained({"relatives": [{"class": "twin", "weight": 0.0}]}, first_name="else", sex="disagree")
    assert codes(trans)[0] == "legal_name_or_twin"
    # no relatives key (an older matcher), cap keys ignored: the shape speaks
    capped = explained({"lookalike_cap": "given_name", "capped": True}, **twin_shaped)
    assert codes(capped) == ["possible_twin", "given_name_unrelated"]
    assert codes(explained({"presence": {"level": "present", "weight": 4.5}}))[0] == "presence_doubt"
    assert "presence_doubt" not in codes(explained({"presence": {"level": "absent", "weight": -1.8}}))
    assert codes(explained({"presence": {"level": "with_her_rows", "weight": 2.0}})) == ["thin_evidence"]
    unseen = explained({"row_given_name": "unseen", "relatives": []}, **twin_shaped)
    assert codes(unseen) == ["given_name_unrelated", "given_name_unseen"]
    seen = explained({"row_given_name": "seen", "relatives": []}, **twin_shaped)
    assert codes(seen) == ["given_name_unrelated", "given_name_seen"]
    assert codes(explained({"row_given_name": "unseen"})) == ["thin_evidence"]  # her given name agrees
    # shapes not expected are read as absent, never an error
    odd = {"relatives": [{"class": "twin"}, "twin", {"weight": 3}], "presence": "x", "row_given_name": 1}
    assert codes(explained(odd, **twin_shaped)) == ["given_name_unrelated"]
    assert codes(explained({"relatives": "twin", "presence": {"weight": True}}, **twin_shaped))[0] == (
        "possible_twin"
    )
    assert all(r.words == REASONS[r.code] for r in pair_reasons(likely) + pair_reasons(unseen))


def test_two_plausible_clients_is_a_reason_of_the_row() -> None:
    rows = row_reasons([(0.7, explained(dob="missing")), (0.65, explained(first_name="else"))])
    assert [r.code for r in rows] == ["two_clients", "missing_dob"]
    assert [r.code for r in row_reasons([(0.7, explained(dob="missing")), (0.1, explained())])] == [
        "missing_dob"
    ]


COLUMNS = ["record_id", "first_name", "middle_name", "last_name", "dob", "sex"]
PEOPLE = pd.DataFrame(
    [
        # 0: the twin as one agency wrote her, 1: the same girl elsewhere (typo, day/month swapped)
        ("0", "Maria", "Luz", "Garcia", "2009-05-12", "F"),
        ("1", "MRAIA", None, "GARCIA", "2009-12-05", "F"),
        # 2: her twin sister, 3: her twin brother with a one-letter different name
        ("2", "Ana", "Luz", "Garcia", "2009-05-12", "F"),
        ("3", "Mario", "Luz", "Garcia", "2009-05-12", "M"),
        # 4: names swapped and a one-digit DOB typo, 5: a diminutive, 6: no DOB
        ("4", "Garcia", None, "Maria", "2009-05-13", "F"),
        ("5", "Mariita", None, "Garcia", "2009-05-12", "F"),
        ("6", "Maria", None, "Garcia", None, "F"),
        # 7: a same-named cousin two years younger, no DOB row 6 must not chain her to row 0
        ("7", "Maria", "Luz", "Garcia", "2011-07-12", "F"),
    ],
    columns=COLUMNS,
)


def test_same_youth_through_typos_swaps_and_nicknames_but_never_her_twin() -> None:
    ids = identities(PEOPLE, b"key")
    agree = {(i, j) for i in range(len(ids)) for j in range(len(ids)) if i < j and same_youth(ids[i], ids[j])}
    assert {(0, 1), (0, 4), (0, 5), (0, 6)} <= agree
    assert not {p for p in agree if 2 in p or 3 in p}  # the twins: another given name (Mario: another sex)
    assert (0, 7) not in agree and (6, 7) in agree
    assert all(same_youth(a, b) == same_youth(b, a) for a in ids for b in ids)


def test_a_row_joins_a_group_it_agrees_with_and_does_not_contradict() -> None:
    ids = [i.to_json() for i in identities(PEOPLE, b"key")]
    group_of = partition(list(zip(range(len(ids)), ids, strict=True)))
    assert group_of[1] == group_of[5] == group_of[6] == group_of[0] == 0
    assert group_of[2] == 2 and group_of[3] == 3  # the twins
    assert group_of[4] == 4  # agrees with row 0, but its DOB contradicts row 1's (swap and typo)
    assert group_of[7] == 7  # row 6 (no DOB) agrees with her too, but her birthday is another
    assert partition([(10, None), (11, None)]) == {10: 10, 11: 11}


def test_tokens_carry_no_value_and_depend_on_the_key() -> None:
    one, other = identities(PEOPLE.head(1), b"key")[0], identities(PEOPLE.head(1), b"other key")[0]
    text = one.to_json().lower()
    for value in ("maria", "garcia", "luz", "2009", "0512"):
        assert value not in text
    assert not (one.first & other.first) and not (one.dob & other.dob)
    assert Identity.from_json(one.to_json()) == one and Identity.from_json("{}") is None


def test_names_a_same_person_decision_teaches() -> None:
    client = {"first_name": "Josie", "last_name": "Cruz", "dob": "2008-03-04", "sex": "F", "aliases": "JJ"}
    rows = [
        {"first_name": "Marcus", "last_name": "Cruz", "dob": "2008-03-04", "sex": "M", "aliases": "JJ|Lil M"},
        {"first_name": "Josie", "last_name": "Reyes", "dob": "2008-03-04", "sex": "F", "aliases": None},
        {"first_name": "Josi", "last_name": "Cruz", "dob": "2008-03-04", "sex": "F", "aliases": None},
    ]
    taught = [(t.name, t.kind, t.row) for t in names_taught(client, rows)]
    assert taught == [("Marcus", "given_name", 0), ("Lil M", "alias", 0), ("Josie Reyes", "alias", 1)]


def test_a_typo_of_one_of_her_names_is_not_taught() -> None:
    client = {"first_name": "Zaria", "last_name": "Freeman", "dob": "2010-01-02", "sex": "F", "aliases": "Z"}
    rows = [
        # two typos away (the matcher's "else"), but the same sound: her name mistyped
        {"first_name": "Zrua", "last_name": "Freeman", "dob": "2010-01-02", "sex": "F", "aliases": None},
        # an AKA that is her own name mistyped
        {
            "first_name": "Zaria",
            "last_name": "Freeman",
            "dob": "2010-01-02",
            "sex": "F",
            "aliases": "Zaria Freman",
        },
        # a name of her own after all, and a typo of it in the next row: taught once
        {"first_name": "Dulce", "last_name": "Freeman", "dob": "2010-01-02", "sex": "F", "aliases": None},
        {"first_name": "Dulse", "last_name": "Freeman", "dob": "2010-01-02", "sex": "F", "aliases": None},
    ]
    assert [(t.name, t.kind, t.row) for t in names_taught(client, rows)] == [("Dulce", "given_name", 2)]


def test_a_slip_of_the_calendar_is_the_same_youth_and_stored_rows_still_meet_it() -> None:
    rows = pd.DataFrame(
        [
            ("0", "Nia", None, "Nelson", "2007-01-30", "F"),
            ("1", "NIA", None, "NELSON", "2007-01-28", "F"),  # two days off (two digits)
            ("2", "Nia", None, "Nelson", "2008-01-30", "F"),  # the year one off
            ("3", "Nia", None, "Nelson", "2007-02-28", "F"),  # a month and two days: another girl
            ("4", "Nia", None, "Nelson", "2014-03-23", "F"),  # the namesake
            ("5", "Nia", None, "Nelson", "2007-01-25", "F"),  # five days: not a slip
            ("6", "Nia", "Rose", "Nelson", "2007-01-28", "F"),  # two days, another middle name than 7's
            ("7", "Nia", "Jade", "Nelson", "2007-01-30", "F"),
        ],
        columns=COLUMNS,
    )
    ids = identities(rows, b"key")
    agree = {j for j in range(1, 6) if same_youth(ids[0], ids[j])}
    assert agree == {1, 2}
    assert same_youth(ids[6], ids[0]) and not same_youth(ids[6], ids[7])  # a namesake days apart
    # row 2 agrees with row 0 but not with row 1 (a year and two days): it starts its own item
    group_of = partition([(i, x.to_json()) for i, x in enumerate(ids[:6])])
    assert group_of == {0: 0, 1: 0, 2: 2, 3: 3, 4: 4, 5: 5}
    # an identity stored before near dates were kept has none: a newer row's near dates meet it
    stored = json.loads(ids[0].to_json())
    del stored["near"]
    old = Identity.from_json(json.dumps(stored))
    assert old is not None and not old.near and same_youth(old, ids[1]) and same_youth(ids[1], old)


def test_one_digit_off_is_her_typo_unless_the_middle_name_or_sex_says_another_girl() -> None:
    rows = pd.DataFrame(
        [
            ("0", "Guadalupe", "Katie", "Martinez", "2009-09-28", "F"),
            ("1", "GUADALUPE", None, "MARTINEZ", "2009-09-18", "F"),  # ten days, one digit: her typo
            ("2", "Guadalupe", "Rosa", "Martinez", "2009-09-08", "F"),  # twenty days, another middle
            ("3", "Guadalupe", "K", "Martinez", "2009-09-08", "F"),  # her initial: still a typo
            ("4", "Guadalupe", "Katie", "Martinez", "2009-09-18", "M"),  # another sex marker
            ("5", "Guadalupe", None, "Martinez", "2009-09-38", "F"),  # no such day, one digit off
            ("6", "Guadalupe", "Rosa", "Martinez", "2009-09-38", "F"),
        ],
        columns=COLUMNS,
    )
    ids = identities(rows, b"key")
    assert {j for j in range(1, 7) if same_youth(ids[0], ids[j])} == {1, 3, 5}
    assert all(same_youth(a, b) == same_youth(b, a) for a in ids for b in ids)


def test_a_given_name_her_matched_rows_stated_beside_hers_carries_over() -> None:
    from matchers.learned_names import names_stated_by_matched_rows

    clients = pd.DataFrame(
        [("C2", "Josie", None, "Cruz", None), ("C3", "Ana", "Luz", "Garcia", "Red")],
        columns=["client_id", "first_name", "middle_name", "last_name", "aliases"],
    )
    rows = pd.DataFrame(
        [
            # her legal name beside hers, twice, and once a third name: most often stated first
            ("C2", "1", "MARCUS", "CRUZ", "JOSIE"),
            ("C2", "2", "Marcus", "Cruz", "Josie|Lil M"),
            ("C2", "3", "Jo", "Cruz", "Josie"),  # a nickname of hers: nothing new
            ("C2", "4", "Josi", "Cruz", "Josie"),  # a typo of hers
            ("C2", "5", "Dante", "Reyes", "Josie"),  # another surname: not stated for her
            ("C2", "6", "Tomas", "Cruz", "Lil T"),  # no AKA naming her
            ("C3", "7", "Luz", "Garcia", "Ana"),  # her middle name
            ("C3", "8", "Maria", "Garcia", "Ana"),
            ("C9", "9", "Kim", "Lee", "Josie"),  # not a listed client
            ("C2", "10", "Tony", "Cruz", "Josie"),
        ],
        columns=["client_id", "record_id", "first_name", "last_name", "aliases"],
    )
    assert names_stated_by_matched_rows(clients, rows) == {"C2": ["MARCUS", "Tony"], "C3": ["Maria"]}
    assert names_stated_by_matched_rows(clients, rows.iloc[2:7]) == {}
    assert names_stated_by_matched_rows(clients, rows.iloc[:0]) == {}
