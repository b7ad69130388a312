"""Suppression that holds across the whole report, and across two quarters (issue 15's leaks).

Each test builds a cohort by hand, shows that table-by-table suppression lets the attack from the
issue compute a small count from published cells, then that ``reports.disclosure.protect`` hides
enough that the attack's cells are no longer all published and the linear-programming proof holds.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from reports.disclosure import Publication, protect
from reports.suppression import suppress
from reports.tables import TOTAL, Table, add_totals, partition_table, system_of

YEAR = 2023


def cohort_of(rows: list[dict]) -> pd.DataFrame:
    """One client per dict (``n`` copies of it), all referred in ``YEAR`` unless it says otherwise."""
    out = []
    for spec in rows:
        for _ in range(spec.get("n", 1)):
            out.append({k: v for k, v in spec.items() if k != "n"})
    c = pd.DataFrame(out)
    c["client_id"] = [f"C{i}" for i in range(len(c))] if "client_id" not in c else c["client_id"]
    c["year"] = c.get("year", pd.Series(YEAR, index=c.index)).fillna(YEAR).astype(int)
    return c


def tables_of(c: pd.DataFrame, columns: dict[str, list[str] | None]) -> list[Table]:
    tables = [partition_table(key, key, c[key], c["year"], order) for key, order in columns.items()]
    for t in tables:
        add_totals(t)
    return tables


def published(tables: list[Table], hidden: set) -> Callable[[str, str, object], int | None]:
    """A reader's view: the published count of a cell, None when it shows "s"."""
    by_key = {t.key: t for t in tables}

    def value(table: str, row: str, year: object = YEAR) -> int | None:
        t = by_key[table]
        return None if t.cell_id(row, year) in hidden else t.counts[(row, year)]

    return value


def table_by_table(tables: list[Table], c: pd.DataFrame) -> set:
    years = sorted(c["year"].unique())
    return suppress(system_of(tables, years, c["year"].value_counts().to_dict()))


def attack(*terms: tuple[int, int | None]) -> int | None:
    """sign * value summed, or None when a term is hidden."""
    if any(v is None for _, v in terms):
        return None
    return sum(sign * v for sign, v in terms)


def both_ways(c: pd.DataFrame, tables: list[Table], formula) -> tuple[int | None, int | None]:
    """The attack on table-by-table suppression, then on the proved suppression."""
    old = table_by_table(tables, c)
    proof = protect(Publication.of(tables, c), old)
    assert proof.added > 0  # (a complement that turned out determined anyway may be published back)
    return formula(published(tables, old)), formula(published(tables, proof.hidden))


def test_sex_f_minus_cisgender_female_gives_the_transgender_girls() -> None:
    c = cohort_of(
        [
            {"sex": "F", "gender_identity": "cisgender female", "n": 58},
            {"sex": "F", "gender_identity": "transgender female", "n": 5},
            {"sex": "M", "gender_identity": "cisgender male", "n": 11},
        ]
    )
    tables = tables_of(c, {"sex": None, "gender_identity": None})
    before, after = both_ways(
        c, tables, lambda v: attack((1, v("sex", "F")), (-1, v("gender_identity", "cisgender female")))
    )
    assert before == 5  # the leak of the issue, reproduced
    assert after is None


def test_probation_plus_social_services_minus_either_gives_the_youth_in_both() -> None:
    rows = [
        {"probation_custody": "Yes", "welfare_custody": "Yes", "n": 2},
        {"probation_custody": "Yes", "welfare_custody": "No", "n": 17},
        {"probation_custody": "No", "welfare_custody": "Yes", "n": 15},
        {"probation_custody": "No", "welfare_custody": "No", "n": 40},
    ]
    c = cohort_of(rows)
    either = (c["probation_custody"] == "Yes") | (c["welfare_custody"] == "Yes")
    c["system_ever"] = either.map({True: "Yes", False: "No"})
    order = ["Yes", "No"]
    tables = tables_of(c, {"probation_custody": order, "welfare_custody": order, "system_ever": order})
    before, after = both_ways(
        c,
        tables,
        lambda v: attack(
            (1, v("probation_custody", "Yes")),
            (1, v("welfare_custody", "Yes")),
            (-1, v("system_ever", "Yes")),
        ),
    )
    assert before == 2
    assert after is None


def test_not_rearrested_for_sex_trade_minus_not_rearrested_gives_those_rearrested_for_else() -> None:
    yet = "Not yet 18 at quarter end"
    c = cohort_of(
        [
            {"recidivism": yet, "recidivism_sex_trade": yet, "n": 28},
            {"recidivism": "Not re-arrested", "recidivism_sex_trade": "Not re-arrested under these", "n": 34},
            {"recidivism": "Re-arrested", "recidivism_sex_trade": "Not re-arrested under these", "n": 8},
            {"recidivism": "Re-arrested", "recidivism_sex_trade": "Re-arrested under these", "n": 4},
        ]
    )
    tables = tables_of(
        c,
        {
            "recidivism": ["Re-arrested", "Not re-arrested", yet],
            "recidivism_sex_trade": ["Re-arrested under these", "Not re-arrested under these", yet],
        },
    )
    before, after = both_ways(
        c,
        tables,
        lambda v: attack(
            (1, v("recidivism_sex_trade", "Not re-arrested under these")),
            (-1, v("recidivism", "Not re-arrested")),
        ),
    )
    assert before == 8
    assert after is None


def _city_quarter(counts: dict[str, int], prefix: dict[str, str]) -> tuple[pd.DataFrame, list[Table]]:
    rows = []
    for city, n in counts.items():
        rows += [{"client_id": f"{prefix[city]}{i}", "city": city} for i in range(n)]
    c = cohort_of(rows)
    return c, tables_of(c, {"city": ["A", "B", "C"]})


def test_two_quarters_read_together_differencing() -> None:
    """Q2 hides B (5) with C (14) as its complement; four city-A clients leave the list, so Q3's
    table-by-table complement of B is A (11) and Q3 shows C. City is fixed, nobody else came or
    went: B in Q2 = (Q2's total - Q2's A) - Q3's C = 34 - 15 - 14 = 5."""
    ids = {"A": "a", "B": "b", "C": "c"}
    c2, t2 = _city_quarter({"A": 15, "B": 5, "C": 14}, ids)
    c3, t3 = _city_quarter({"A": 11, "B": 5, "C": 14}, ids)  # a11..a14 left
    q2_hidden = table_by_table(t2, c2)
    v2 = published(t2, q2_hidden)
    assert v2("city", "B") is None and v2("city", "C") is None and v2("city", "A") == 15

    def differencing(v3) -> int | None:
        return attack((1, v2("city", TOTAL)), (-1, v2("city", "A")), (-1, v3("city", "C")))

    q3_alone = protect(Publication.of(t3, c3), table_by_table(t3, c3))  # holds for Q3 on its own
    assert differencing(published(t3, q3_alone.hidden)) == 5  # ... and leaks Q2's small cell

    previous = Publication.of(t2, c2, q2_hidden)
    q3 = protect(Publication.of(t3, c3), table_by_table(t3, c3), previous)
    assert differencing(published(t3, q3.hidden)) is None
    assert q3.already_out == []


def test_a_small_count_the_previous_report_already_showed_is_reported() -> None:
    # a previous report that hid nothing showed B = 5; the same clients are in this quarter: nothing
    # this report hides can take that back, so the proof names it instead of refusing forever
    ids = {"A": "a", "B": "b", "C": "c"}
    c2, t2 = _city_quarter({"A": 20, "B": 5, "C": 20}, ids)
    c3, t3 = _city_quarter({"A": 20, "B": 5, "C": 20}, ids)
    proof = protect(Publication.of(t3, c3), table_by_table(t3, c3), Publication.of(t2, c2, set()))
    assert ("city", "B", YEAR) in proof.hidden  # still hidden here
    assert proof.already_out and all("city=B" in q or "city', 'B'" in q for q in proof.already_out)


def test_the_model_must_match_the_data() -> None:
    c, tables = _city_quarter({"A": 20, "B": 5, "C": 20}, {"A": "a", "B": "b", "C": "c"})
    tables[0].members["B"] = tables[0].members["A"]  # members that do not give the counts
    with pytest.raises(ValueError):
        protect(Publication.of(tables, c), set())
