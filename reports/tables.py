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

from integrations.vocabularies import US_STATES, home, vocabulary
from reports.suppression import System
from warehouse.measures import (
    CHARGE_GROUPS,
    OTHER_CHARGES,
    SEX_TRADE_CHARGES,
    charge_labels,
    eighteenth_birthday,
    quarter_events,
)
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
    #: the report section the table belongs to
    section: str = ""
    #: rows whose sum is the base of the percentages (default: the column's clients, N)
    base: tuple[str, ...] = ()
    #: a two-way table written as rows "A | B": (row labels A, column labels B) for a pivot of totals
    pivot: tuple[list[str], list[str]] | None = None

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


def cohort(facts: Facts, measures: dict[str, dict], start: date | None = None) -> pd.DataFrame:
    """One row per client in the cohort: year of referral and the categories the tables count
    (``quarter``: what happened to her between ``start`` and the as-of date, ``quarter_events``)."""
    c = facts["clients"]
    c = c[c["referral_date"].notna() & (c["referral_date"] <= pd.Timestamp(facts.as_of))].copy()
    c["year"] = c["referral_date"].dt.year.astype(int)
    ages = [_age_at(d, r) for d, r in zip(c["dob"], c["referral_date"], strict=True)]
    c["age_band"] = [_age_band(a) if a is not None else "Unknown" for a in ages]
    for col in ("sex", "gender_identity", "race", "county", "city", "csec_status"):
        c[col] = c[col].fillna("Unknown")
    m = pd.DataFrame.from_dict(measures, orient="index")
    c = c.drop(columns=["risk_factors"]).join(m, on="client_id")
    events = quarter_events(facts, start or quarter_start(facts.as_of), facts.as_of)
    c["quarter"] = c["client_id"].map(lambda cid: events.get(cid, {}))
    end = pd.Timestamp(facts.as_of)
    c["adult_by_end"] = [pd.notna(d) and pd.Timestamp(eighteenth_birthday(d.date())) <= end for d in c["dob"]]
    return c.reset_index(drop=True)


def partition_table(
    key: str,
    title: str,
    values: pd.Series,
    years: pd.Series,
    order: list[str] | None = None,
    by_year: bool = True,
) -> Table:
    """Every client in exactly one row: ``values`` is each client's row (aligned with the cohort).

    ``by_year=False``: only the all-years column (a detail table: fewer cells, fewer small ones)."""
    rows = order or sorted(values.unique(), key=str)
    t = Table(key, title, "partition", list(rows), sorted(years.unique()) if by_year else [])
    for row in rows:
        t.members[row] = (values == row).to_numpy(dtype=bool)
        for y in t.years:
            t.counts[(row, y)] = int(((values == row) & (years == y)).sum())
        if not by_year:
            t.counts[(row, TOTAL)] = int(t.members[row].sum())
    return t


def multi_table(
    key: str,
    title: str,
    lists: pd.Series,
    years: pd.Series,
    order: list[str] | None = None,
    by_year: bool = True,
) -> Table:
    """A client in any number of rows: ``lists`` is each client's list of rows (aligned with the cohort)."""
    found = sorted({v for ls in lists for v in ls})
    rows = [r for r in (order or []) if r in found] + [r for r in found if r not in (order or [])]
    t = Table(key, title, "multi", rows, sorted(years.unique()) if by_year else [])
    for row in rows:
        has = lists.map(lambda ls, r=row: r in ls)
        t.members[row] = has.to_numpy(dtype=bool)
        for y in t.years:
            t.counts[(row, y)] = int((has & (years == y)).sum())
        if not by_year:
            t.counts[(row, TOTAL)] = int(t.members[row].sum())
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


SECTIONS = (
    "This quarter",
    "Clients and referrals",
    "Residence",
    "Risk factors",
    "Services",
    "System involvement",
    "Education",
    "Arrests and recidivism",
)
INVOLVEMENT = {
    "both": "Probation and Social Services",
    "probation": "Probation only",
    "social_services": "Social Services only",
    "neither": "Neither",
}
QUARTER_ROWS = (
    ("referred", "Referred to SafetyNet"),
    ("arrested", "Arrested (booked)"),
    ("arrested_as_juvenile", "Arrested as a juvenile"),
    ("arrested_as_adult", "Arrested as an adult"),
    ("placement_began", "Custody placement began"),
    ("placement_ended", "Custody placement ended"),
    ("returned_from_placement", "Returned from placement"),
    ("csec_allegation", "CSEC allegation received by Social Services"),
    ("unfounded_csec_allegation", "CSEC allegation received and found unfounded"),
)
OTHER = "Other (not on the agreed list)"


def quarter_start(end: date) -> date:
    """The first day of the quarter ``end`` falls in."""
    return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)


def agency_names() -> dict[str, str]:
    """source -> the agency's name (``config/sources.yaml``); a report never shows a source key."""
    try:
        from integrations.config import load_sources

        return {name: s.agency for name, s in load_sources().items()}
    except Exception:  # no usable config here: the source's own name is all there is
        return {}


def _labels(codes: list[str], vocab: str) -> list[str]:
    v = vocabulary(vocab)
    return sorted({v.label(c) if v.known(c) else OTHER for c in codes})


def _order(vocab: str) -> list[str]:
    return [*vocabulary(vocab).labels.values(), OTHER]


def _pivot(
    key: str,
    title: str,
    c: pd.DataFrame,
    rows_of: pd.Series,
    group: pd.Series,
    order: list[str],
    groups: list[str],
    section: str,
) -> Table:
    """A two-way table of clients: rows "row | group" (a client in each of her rows, in her group)."""
    lists = pd.Series(
        [[f"{r} | {g}" for r in rs] for rs, g in zip(rows_of, group, strict=True)], index=c.index
    )
    t = multi_table(key, title, lists, c["year"], [f"{r} | {g}" for r in order for g in groups])
    t.pivot = (order, groups)
    t.section = section  # without one the HTML leaves it out (the CSV and the proof still hold it)
    return t


def build_tables(
    facts: Facts, measures: dict[str, dict], start: date | None = None
) -> tuple[list[Table], pd.DataFrame]:
    """Every table of the quarter ending on ``facts.as_of`` (``start``: its first day)."""
    c = cohort(facts, measures, start or quarter_start(facts.as_of))
    y = c["year"]
    names = agency_names()
    where = home()
    state_name = US_STATES.get(where.state, where.state)

    def people(
        kind: str, key: str, title: str, section: str, values: pd.Series, order=None, by_year=True, **kw
    ) -> Table:
        build = partition_table if kind == "partition" else multi_table
        t = build(key, title, values, y, order, by_year)
        t.section = section
        for k, v in kw.items():
            setattr(t, k, v)
        return t

    def yes_no(key: str, title: str, section: str, column: str, yes: str, no: str, base=None) -> Table:
        t = _yes_no(c, key, title, column, yes, no, base)
        t.section = section
        return t

    quarter = [[label for flag, label in QUARTER_ROWS if q.get(flag)] for q in c["quarter"]]
    involvement = c["involvement"].map(INVOLVEMENT)
    groups = list(INVOLVEMENT.values())
    risk_labels = c["risk_factors"].map(lambda codes: _labels(codes, "risk_factors"))
    service_labels = c["services"].map(lambda codes: _labels(codes, "services"))
    at_referral = c["residence_at_referral"]
    county_ref = [
        "Not known (between residences)"
        if p is None or (p[1] is None and p[0] is None)
        else (f"{p[1]} County" if p[1] else "County not known")
        + (f", {p[2]}" if p[2] and p[2] != where.state else "")
        for p in at_referral
    ]
    state_ref = [
        "Not known"
        if p is None
        else (
            state_name
            if p[2] in (None, where.state) and (p[2] or p[1])
            else "Out of state"
            if p[2]
            else "Not known"
        )
        for p in at_referral
    ]
    timeline = [
        [
            label
            for flag, label in (
                ("out_of_county_ever", f"Lived outside {where.county} County"),
                ("out_of_state_ever", f"Lived outside {state_name}"),
                ("moved_since_referral", "Moved since referral"),
                ("gap", "A gap between residences (whereabouts unknown)"),
                ("whereabouts_unknown", "Whereabouts unknown at quarter end"),
            )
            if (r["residence_gap_days"] > 0 if flag == "gap" else r[flag])
        ]
        for _, r in c.iterrows()
    ]
    city_now = [p[0] if p and p[0] else "Not known" for p in c["residence_now"]]
    schools = c["schools"].map(lambda ss: sorted({f"{school} ({names.get(src, src)})" for src, school in ss}))
    custody_now, custody_ever = c["system_involvement_current"], c["system_involvement_ever"]
    back = pd.Series(
        [
            "In a placement at quarter end"
            if now
            else "Never in a placement"
            if not ever
            else "Back from placement, no school enrolment"
            if gap
            else "Back from placement, 18 or older"
            if adult
            else "Back from placement, enrolled in school"
            for now, ever, gap, adult in zip(
                custody_now, custody_ever, c["back_from_placement_no_school"], c["adult_by_end"], strict=True
            )
        ],
        index=c.index,
    )
    recid = pd.Series("No juvenile arrest on record", index=c.index)
    juv = c["juvenile_arrest"]
    recid[juv & ~c["adult_by_end"]] = "Juvenile arrest, not yet 18 at quarter end"
    recid[juv & c["adult_by_end"] & c["adult_rearrest"]] = "Juvenile arrest, re-arrested as an adult"
    recid[juv & c["adult_by_end"] & ~c["adult_rearrest"]] = "Juvenile arrest, not re-arrested as an adult"
    recid_rows = [
        "Juvenile arrest, re-arrested as an adult",
        "Juvenile arrest, not re-arrested as an adult",
        "Juvenile arrest, not yet 18 at quarter end",
        "No juvenile arrest on record",
    ]
    csec = c["csec_status"].map({"identified": "Identified", "at_risk": "At risk"}).fillna("Not known")
    bands = [b[2] for b in AGE_BANDS] + ["Unknown"]
    in_quarter, clients_s, residence_s, risk_s, services_s, system_s, education_s, arrests_s = SECTIONS

    tables = [
        people(
            "multi",
            "quarter",
            "What happened this quarter (a client may be in several rows)",
            in_quarter,
            pd.Series(quarter, index=c.index),
            [label for _, label in QUARTER_ROWS],
            by_year=False,
        ),
        people(
            "partition",
            "referrals",
            "Clients by year of referral",
            clients_s,
            pd.Series("Clients", index=c.index),
        ),
        people(
            "partition",
            "csec_status",
            "CSEC status at referral",
            clients_s,
            csec,
            ["Identified", "At risk", "Not known"],
        ),
        people("partition", "sex", "Sex", clients_s, c["sex"]),
        people("partition", "gender_identity", "Gender identity", clients_s, c["gender_identity"]),
        people("partition", "race", "Race / ethnicity", clients_s, c["race"]),
        people("partition", "age", "Age at referral", clients_s, c["age_band"], bands),
        _pivot(
            "age_by_csec",
            "Age at referral by CSEC status",
            c,
            c["age_band"].map(lambda b: [b]),
            csec,
            bands,
            ["Identified", "At risk"],
            clients_s,
        ),
        people(
            "partition",
            "county_at_referral",
            "Residence county at referral",
            residence_s,
            pd.Series(county_ref, index=c.index),
            by_year=False,
        ),
        people(
            "partition",
            "state_at_referral",
            "Residence state at referral",
            residence_s,
            pd.Series(state_ref, index=c.index),
            [state_name, "Out of state", "Not known"],
        ),
        people(
            "multi",
            "residence_timeline",
            "Residence timeline (a client may be in several rows)",
            residence_s,
            pd.Series(timeline, index=c.index),
            by_year=False,
        ),
        people(
            "partition",
            "city",
            "Residence city at quarter end",
            residence_s,
            pd.Series(city_now, index=c.index),
            by_year=False,
        ),
        people(
            "multi",
            "risk_factors",
            "Risk factors (a client may have several)",
            risk_s,
            risk_labels,
            _order("risk_factors"),
        ),
        _pivot(
            "risk_by_involvement",
            "Risk factors by Probation / Social Services involvement",
            c,
            risk_labels,
            involvement,
            _order("risk_factors"),
            groups,
            risk_s,
        ),
        people(
            "multi",
            "services",
            "Services (a client may receive several)",
            services_s,
            service_labels,
            _order("services"),
        ),
        people(
            "multi",
            "providers",
            "Service providers",
            services_s,
            c["providers"].map(lambda codes: _labels(codes, "providers")),
            _order("providers"),
            by_year=False,
        ),
        yes_no(
            "no_service",
            "Clients with no service on record",
            services_s,
            "no_service",
            "No service on record",
            "At least one service",
        ),
        _pivot(
            "services_by_involvement",
            "Services by Probation / Social Services involvement",
            c,
            service_labels,
            involvement,
            _order("services"),
            groups,
            services_s,
        ),
        people(
            "partition",
            "involvement",
            "Probation and Social Services involvement, ever",
            system_s,
            involvement,
            groups,
        ),
        yes_no("probation_ever", "Probation involvement, ever", system_s, "probation_ever", "Yes", "No"),
        yes_no(
            "probation_custody", "Probation custody, ever", system_s, "probation_custody_ever", "Yes", "No"
        ),
        yes_no(
            "welfare_custody", "Social Services custody, ever", system_s, "welfare_custody_ever", "Yes", "No"
        ),
        yes_no(
            "system_ever",
            "Probation or Social Services custody, ever",
            system_s,
            "system_involvement_ever",
            "Yes",
            "No",
        ),
        yes_no(
            "system_now", "In custody at quarter end", system_s, "system_involvement_current", "Yes", "No"
        ),
        yes_no(
            "active",
            "Active and inactive cases at quarter end",
            system_s,
            "active_case",
            "Active",
            "Inactive",
        ),
        people(
            "multi",
            "dispositions",
            "Social Services allegation dispositions (clients with at least one)",
            system_s,
            c["welfare_dispositions"].map(lambda ds: [DISPOSITIONS.get(d, d) for d in ds]),
            list(DISPOSITIONS.values()),
            by_year=False,
        ),
        people(
            "multi",
            "csec_dispositions",
            "CSEC allegations by disposition (clients with at least one)",
            system_s,
            c["csec_allegation_dispositions"].map(lambda ds: [DISPOSITIONS.get(d, d) for d in ds]),
            list(DISPOSITIONS.values()),
            by_year=False,
        ),
        people(
            "partition",
            "schools",
            "Schools attended (per client)",
            education_s,
            c["school_count"].map(lambda n: "3 or more" if n >= 3 else str(n)),
            ["0", "1", "2", "3 or more"],
        ),
        people(
            "multi",
            "school_list",
            "Schools attended (clients enrolled at each)",
            education_s,
            schools,
            by_year=False,
        ),
        people(
            "partition",
            "back_from_placement",
            "Back from placement: school enrolment",
            education_s,
            back,
            [
                "Back from placement, no school enrolment",
                "Back from placement, enrolled in school",
                "Back from placement, 18 or older",
                "In a placement at quarter end",
                "Never in a placement",
            ],
            by_year=False,
        ),
        yes_no(
            "juvenile_arrest",
            "Juvenile arrest history",
            arrests_s,
            "juvenile_arrest",
            "Arrested as a juvenile",
            "No juvenile arrest on record",
        ),
        people(
            "multi",
            "arrested_by",
            "Clients arrested, by agency",
            arrests_s,
            c["arrests_by_agency"].map(lambda d: sorted(names.get(k, k) for k, v in d.items() if v)),
        ),
        _arrest_events(facts, c, names),
        people(
            "multi",
            "sex_trade_by",
            "Clients arrested under PC 647(b) / PC 653.22, by agency",
            arrests_s,
            c["sex_trade_arrests_by_agency"].map(
                lambda d: sorted(names.get(k, k) for k, v in d.items() if v)
            ),
        ),
        _sex_trade_events(facts, c, names),
        people(
            "multi",
            "adult_charges",
            "Adult arrests by charge group (clients; a client may be in several)",
            arrests_s,
            c["adult_charge_groups"],
            [g for g, _ in CHARGE_GROUPS] + [OTHER_CHARGES],
            by_year=False,
        ),
        people(
            "partition",
            "recidivism_juvenile",
            "Recidivism among clients with a juvenile arrest",
            arrests_s,
            recid,
            recid_rows,
            base=tuple(recid_rows[:2]),
        ),
        yes_no(
            "recidivism",
            "Re-arrested after the 18th birthday (recidivism)",
            arrests_s,
            "adult_rearrest",
            "Re-arrested as an adult",
            "Not re-arrested as an adult",
            base=c["adult_by_end"],
        ),
        yes_no(
            "recidivism_sex_trade",
            "Adult re-arrest under PC 647(b) / PC 653.22",
            arrests_s,
            "adult_rearrest_sex_trade",
            "Re-arrested under 647(b)/653.22",
            "Not re-arrested under these",
            base=c["adult_by_end"],
        ),
    ]
    for t in tables:
        if t.key in ("recidivism", "recidivism_sex_trade"):
            t.base = tuple(t.rows[:2])
    tables = [t for t in tables if t.rows]
    for t in tables:
        add_totals(t)
    return tables, c


DISPOSITIONS = {
    "substantiated": "Substantiated",
    "inconclusive": "Inconclusive",
    "unfounded": "Unfounded",
    "evaluated_out": "Evaluated out",
}


def _events(
    key: str, title: str, bookings: pd.DataFrame, c: pd.DataFrame, names: dict[str, str], linked: str
) -> Table:
    a = bookings.merge(c[["client_id", "year"]], on="client_id", how="inner")
    agency = a["source"].map(lambda s: names.get(s, s))
    rows = sorted(agency.unique())
    t = Table(key, title, "events", rows, sorted(c["year"].unique()), linked=linked, section=SECTIONS[-1])
    for row in rows:
        for y in t.years:
            t.counts[(row, y)] = int(((agency == row) & (a["year"] == y)).sum())
    return t


def _arrest_events(facts: Facts, c: pd.DataFrame, names: dict[str, str]) -> Table:
    return _events(
        "arrests", "Arrests (bookings) of clients, by agency", facts["arrests"], c, names, "arrested_by"
    )


def _sex_trade_events(facts: Facts, c: pd.DataFrame, names: dict[str, str]) -> Table:
    arr = facts["arrests"]
    sex_trade = arr["charges"].map(lambda t: any(lab in SEX_TRADE_CHARGES for lab in charge_labels(t)))
    return _events(
        "sex_trade_bookings",
        "Bookings under PC 647(b) / PC 653.22, by agency",
        arr[sex_trade.astype(bool)],
        c,
        names,
        "sex_trade_by",
    )


def add_totals(t: Table) -> None:
    for row in t.rows:
        if t.years:  # an all-years table has its totals already
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
        for row in t.rows if t.years else ():
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
