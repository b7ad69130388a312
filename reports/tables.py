"""The quarterly report's tables: de-identified counts by year of referral, as one suppression system.

Cohort: the clients on the list at the quarter's end who were referred by then. Columns are years
of referral plus a total. Three shapes of table:

- ``partition``: every client in exactly one row (sex, race, age band, yes/no measures): each
  year's column adds up to that year's referrals, each row to its total;
- ``multi``: a client may be in several rows (risk factors, services, agencies that arrested
  them): rows add up to their totals only, and no cell can exceed the year's referrals;
- ``events``: counts of bookings, not people: rows and columns add up to their own totals.

People tables also keep who is in each row (``members``: one boolean per cohort client, in cohort
order), so the disclosure check (``reports.disclosure``) can model every published cell as a sum
over client-level atoms. A new people table only has to be built with ``partition_table`` or
``multi_table`` (or fill ``members`` itself) to be covered by that check; an events table names
the people table whose row counts the clients with at least one such event (``linked``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from reports.suppression import System
from warehouse.measures import eighteenth_birthday
from warehouse.profiles import Facts

TOTAL = "Total"
AGE_BANDS = ((0, 13, "13 or younger"), (14, 15, "14-15"), (16, 17, "16-17"), (18, 200, "18 or older"))


@dataclass
class Table:
    key: str
    title: str
    shape: str  # partition | multi | events
    rows: list[str]
    years: list[int]
    counts: dict[tuple[str, object], int] = field(default_factory=dict)  # (row, year|TOTAL) -> count
    note: str = ""
    #: people tables: row -> one bool per cohort client (cohort order); who the row counts
    members: dict[str, np.ndarray] = field(default_factory=dict)
    #: events tables: the people table whose row r counts the clients with an event of row r
    linked: str | None = None

    def cell_id(self, row: str, year: object) -> tuple:
        if self.shape != "events" and row == TOTAL:
            return ("N", year)  # the cohort's size is one cell across every people table
        return (self.key, row, year)


def _age_band(age: int) -> str:
    return next(label for lo, hi, label in AGE_BANDS if lo <= age <= hi)


def _age_at(dob: pd.Timestamp, on: pd.Timestamp) -> int | None:
    if pd.isna(dob) or pd.isna(on):
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def cohort(facts: Facts, measures: dict[str, dict]) -> pd.DataFrame:
    """One row per client in the cohort: year of referral and the categories the tables count."""
    c = facts["clients"]
    c = c[c["referral_date"].notna() & (c["referral_date"] <= pd.Timestamp(facts.as_of))].copy()
    c["year"] = c["referral_date"].dt.year.astype(int)
    ages = [_age_at(d, r) for d, r in zip(c["dob"], c["referral_date"], strict=True)]
    c["age_band"] = [_age_band(a) if a is not None else "Unknown" for a in ages]
    for col in ("sex", "gender_identity", "race", "county", "city", "csec_status"):
        c[col] = c[col].fillna("Unknown")
    m = pd.DataFrame.from_dict(measures, orient="index")
    c = c.drop(columns=["risk_factors"]).join(m, on="client_id")
    end = pd.Timestamp(facts.as_of)
    c["adult_by_end"] = [pd.notna(d) and pd.Timestamp(eighteenth_birthday(d.date())) <= end for d in c["dob"]]
    return c.reset_index(drop=True)


def partition_table(
    key: str, title: str, values: pd.Series, years: pd.Series, order: list[str] | None = None
) -> Table:
    """Every client in exactly one row: ``values`` is each client's row (aligned with the cohort)."""
    rows = order or sorted(values.unique(), key=str)
    t = Table(key, title, "partition", list(rows), sorted(years.unique()))
    for row in rows:
        t.members[row] = (values == row).to_numpy(dtype=bool)
        for y in t.years:
            t.counts[(row, y)] = int(((values == row) & (years == y)).sum())
    return t


def multi_table(
    key: str, title: str, lists: pd.Series, years: pd.Series, order: list[str] | None = None
) -> Table:
    """A client in any number of rows: ``lists`` is each client's list of rows (aligned with the cohort)."""
    found = sorted({v for ls in lists for v in ls})
    rows = [r for r in (order or []) if r in found] + [r for r in found if r not in (order or [])]
    t = Table(key, title, "multi", rows, sorted(years.unique()))
    for row in rows:
        has = lists.map(lambda ls, r=row: r in ls)
        t.members[row] = has.to_numpy(dtype=bool)
        for y in t.years:
            t.counts[(row, y)] = int((has & (years == y)).sum())
    return t


def _yes_no(
    c: pd.DataFrame, key: str, title: str, column: str, yes: str, no: str, base: pd.Series | None = None
) -> Table:
    if base is None:
        values = c[column].map({True: yes, False: no})
        return partition_table(key, title, values, c["year"], [yes, no])
    values = pd.Series("Not yet 18 at quarter end", index=c.index)
    values[base & c[column]] = yes
    values[base & ~c[column]] = no
    return partition_table(key, title, values, c["year"], [yes, no, "Not yet 18 at quarter end"])


def build_tables(facts: Facts, measures: dict[str, dict]) -> tuple[list[Table], pd.DataFrame]:
    c = cohort(facts, measures)
    y = c["year"]
    tables = [
        partition_table("referrals", "Clients by year of referral", pd.Series("Clients", index=c.index), y),
        partition_table("csec_status", "CSEC status at referral", c["csec_status"], y),
        partition_table("sex", "Sex", c["sex"], y),
        partition_table("gender_identity", "Gender identity", c["gender_identity"], y),
        partition_table("race", "Race / ethnicity", c["race"], y),
        partition_table("age", "Age at referral", c["age_band"], y, [b[2] for b in AGE_BANDS] + ["Unknown"]),
        partition_table("county", "Residence county", c["county"], y),
        partition_table("city", "Residence city", c["city"], y),
        multi_table("risk_factors", "Risk factors (a client may have several)", c["risk_factors"], y),
        multi_table("services", "Services (a client may receive several)", c["services"], y),
        _yes_no(c, "probation_custody", "Probation custody, ever", "probation_custody_ever", "Yes", "No"),
        _yes_no(c, "welfare_custody", "Social Services custody, ever", "welfare_custody_ever", "Yes", "No"),
        _yes_no(
            c,
            "system_ever",
            "Probation or Social Services custody, ever",
            "system_involvement_ever",
            "Yes",
            "No",
        ),
        _yes_no(c, "system_now", "In custody at quarter end", "system_involvement_current", "Yes", "No"),
        partition_table(
            "schools",
            "Schools attended (per client)",
            c["school_count"].map(lambda n: "3 or more" if n >= 3 else str(n)),
            y,
            ["0", "1", "2", "3 or more"],
        ),
        multi_table(
            "arrested_by",
            "Clients arrested, by agency",
            c["arrests_by_agency"].map(lambda d: sorted(k for k, v in d.items() if v)),
            y,
        ),
        _arrest_events(facts, c),
        _yes_no(
            c,
            "recidivism",
            "Re-arrested after the 18th birthday (recidivism)",
            "adult_rearrest",
            "Re-arrested as an adult",
            "Not re-arrested as an adult",
            base=c["adult_by_end"],
        ),
        _yes_no(
            c,
            "recidivism_sex_trade",
            "Adult re-arrest under PC 647(b) / PC 653.22",
            "adult_rearrest_sex_trade",
            "Re-arrested under 647(b)/653.22",
            "Not re-arrested under these",
            base=c["adult_by_end"],
        ),
    ]
    tables = [t for t in tables if t.rows]
    for t in tables:
        add_totals(t)
    return tables, c


def _arrest_events(facts: Facts, c: pd.DataFrame) -> Table:
    a = facts["arrests"].merge(c[["client_id", "year"]], on="client_id", how="inner")
    rows = sorted(a["source"].unique())
    t = Table(
        "arrests",
        "Arrests (bookings) of clients, by agency",
        "events",
        rows,
        sorted(c["year"].unique()),
        linked="arrested_by",
    )
    for row in rows:
        for y in t.years:
            t.counts[(row, y)] = int(((a["source"] == row) & (a["year"] == y)).sum())
    return t


def add_totals(t: Table) -> None:
    for row in t.rows:
        t.counts[(row, TOTAL)] = sum(t.counts[(row, y)] for y in t.years)
    if t.shape in ("partition", "events"):
        for y in [*t.years, TOTAL]:
            t.counts[(TOTAL, y)] = sum(t.counts[(r, y)] for r in t.rows)


def system_of(tables: list[Table], years: list[int], cohort_sizes: dict[int, int]) -> System:
    """Every table's cells and equations in one system (shared cohort sizes)."""
    s = System()
    for y in years:
        s.cell(("N", y), cohort_sizes.get(y, 0))
    s.cell(("N", TOTAL), sum(cohort_sizes.values()))
    s.equation([("N", y) for y in years], ("N", TOTAL))
    for t in tables:
        for (row, y), n in t.counts.items():
            s.cell(t.cell_id(row, y), n)
        for row in t.rows:
            s.equation([t.cell_id(row, y) for y in t.years], t.cell_id(row, TOTAL))
            if t.shape == "multi":
                for y in [*t.years, TOTAL]:
                    s.upper[t.cell_id(row, y)] = ("N", y)
        if t.shape in ("partition", "events"):
            for y in [*t.years, TOTAL]:
                s.equation([t.cell_id(r, y) for r in t.rows], t.cell_id(TOTAL, y))
            if t.shape == "events":
                s.equation([t.cell_id(TOTAL, y) for y in t.years], t.cell_id(TOTAL, TOTAL))
    return s


def as_of_label(day: date) -> str:
    return day.strftime("%d %B %Y").lstrip("0")
