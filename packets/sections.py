"""A youth's profile as printable sections: rows of text, each with its source and as-of date.

Shared by the HTML/PDF and the XLSX packet, so both say exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from integrations.kinds import table_spec
from integrations.vocabularies import label as vocab_label
from packets.front import chronic_absence
from warehouse.measures import charge_labels, is_chronic
from warehouse.profiles import Facts

SB1322 = pd.Timestamp("2017-01-01")  # PC 647(b) / 653.22 no longer apply to minors
SB357 = pd.Timestamp("2023-01-01")  # PC 653.22 repealed for everyone


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[dict] = field(
        default_factory=list
    )  # {"cells": [...], "change": "new"|"changed"|"", "flag": str}
    #: the canonical table shown (its title, section and event date: ``integrations.kinds``)
    table: str | None = None

    @classmethod
    def of(cls, table: str, columns: list[str]) -> Section:
        return cls(table_spec(table).title, columns, table=table)

    @property
    def part(self) -> str:
        """The part of the profile it belongs to ("Probation", "Education", ...: ``integrations.kinds``)."""
        return table_spec(self.table).section if self.table else ""

    @property
    def changed(self) -> int:
        return sum(1 for r in self.rows if r["change"])


@lru_cache(maxsize=1)
def _agencies() -> dict[str, str]:
    try:
        from integrations.config import load_sources

        return {name: s.agency for name, s in load_sources().items()}
    except Exception:  # no config here: show the source's own name
        return {}


def agency(source: str) -> str:
    return _agencies().get(source, source)


def day(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).replace("_", " ")


def yes(flag: object) -> str:
    return "yes" if flag else "no"


SUMMARY: list[tuple[str, Callable[[dict], str]]] = [
    ("In custody now (Probation or Social Services)", lambda m: yes(m["system_involvement_current"])),
    ("Ever in custody", lambda m: yes(m["system_involvement_ever"])),
    ("Probation status", lambda m: text(m["probation_status"]) or "none"),
    ("Social Services referrals", lambda m: str(m["welfare_referrals"])),
    ("Arrests", lambda m: f"{m['arrests']}" + (f" ({_by_agency(m)})" if m["arrests"] else "")),
    ("Re-arrested after 18th birthday", lambda m: yes(m["adult_rearrest"])),
    ("Chronic absence (any enrolment)", lambda m: chronic_absence(m)),
    ("Schools attended", lambda m: str(m["school_count"])),
]


def _by_agency(m: dict) -> str:
    return ", ".join(f"{agency(s)}: {n}" for s, n in sorted(m["arrests_by_agency"].items()))


def _change(row: pd.Series, before: pd.DataFrame, data_cols: list[str]) -> str:
    match = before[(before["source"] == row["source"]) & (before["fact_key"] == row["fact_key"])]
    if match.empty:
        return "new"
    old = match.iloc[0]
    return "" if all(_same(row[c], old[c]) for c in data_cols) else "changed"


def _missing(v: object) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def _same(a: object, b: object) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return a == b


def _rows(
    now: Facts,
    before: Facts,
    table: str,
    cells: Callable[[pd.Series], list[str]],
    flag: Callable[[pd.Series], str] | None = None,
) -> list[dict]:
    """One row per fact of ``table``, newest first (by its event date), marked new/changed."""
    rows, old = now[table], before[table]
    data_cols = [c for c in rows.columns if c not in ("client_id", "as_of", "delivery_id", "record_id")]
    out = []
    for _, r in rows.sort_values(table_spec(table).event_date, ascending=False).iterrows():
        out.append(
            {
                "cells": [*cells(r), agency(r["source"]), day(r["as_of"])],
                "change": _change(r, old, data_cols),
                "flag": flag(r) if flag else "",
            }
        )
    return out


def _charge_flag(dob: object) -> Callable[[pd.Series], str]:
    def flag(r: pd.Series) -> str:
        labels = charge_labels(r["charges"])
        when = r["arrest_datetime"]
        if pd.isna(dob) or pd.isna(when):
            return ""
        minor = when < pd.Timestamp(dob) + pd.DateOffset(years=18)
        if minor and when >= SB1322 and any(lab in ("PC 647(b)", "PC 653.22") for lab in labels):
            return "Data-quality flag: a sex-trade charge on a minor after SB 1322 (2017); check identity"
        if when >= SB357 and "PC 653.22" in labels:
            return "Data-quality flag: PC 653.22 after its repeal (SB 357, 2023)"
        return ""

    return flag


SOURCE_COLS = ["Source", "As of"]


def place(city: object, county: object, state: object = None) -> str:
    """ "Oakland, Alameda County, CA" from whichever parts are known."""
    parts = [text(city), f"{text(county)} County" if text(county) else "", text(state)]
    return ", ".join(p for p in parts if p)


def _residence_now(now: Facts, c: pd.Series) -> str:
    """Where she lives on the date: the residence in force, else the list's own city and county."""
    res = now["client_residences"]
    current = res[res["end_date"].isna()].sort_values("start_date")
    if len(current):
        r = current.iloc[-1]
        return place(r["city"], r["county"], r["state"]) + f" (since {day(r['start_date'])})"
    if len(res):
        return "not known: no residence in force (last one ended " + day(res["end_date"].max()) + ")"
    return place(c["city"], c["county"])


def build_sections(now: Facts, before: Facts) -> list[Section]:
    c = now["clients"].iloc[0]
    demo = Section("Demographics", ["Item", "Value", *SOURCE_COLS], table="clients")
    age = ""
    if pd.notna(c["dob"]):
        on = pd.Timestamp(now.as_of)
        age = f" (age {on.year - c['dob'].year - ((on.month, on.day) < (c['dob'].month, c['dob'].day))})"
    items = [
        ("Aliases / street names", text(c["aliases"]).replace("|", ", ")),
        ("Date of birth", day(c["dob"]) + age),
        ("Sex", text(c["sex"])),
        ("Gender identity", text(c["gender_identity"])),
        ("Race / ethnicity", text(c["race"])),
        ("Residence", _residence_now(now, c)),
        ("Referred to SafetyNet", day(c["referral_date"])),
        ("CSEC status", text(c["csec_status"])),
    ]
    old = before["clients"]
    old_row = old.iloc[0] if len(old) else None
    for label, value in items:
        changed = ""
        if old_row is None:
            changed = "new"
        demo.rows.append(
            {"cells": [label, value, agency(c["source"]), day(c["as_of"])], "change": changed, "flag": ""}
        )
    if old_row is not None:
        for label, col in (("Residence", "city"), ("CSEC status", "csec_status")):
            if text(old_row[col]) != text(c[col]):
                next(r for r in demo.rows if r["cells"][0] == label)["change"] = "changed"

    residences = Section.of("client_residences", ["From", "To", "City", "County", "State", *SOURCE_COLS])
    residences.rows = _rows(
        now,
        before,
        "client_residences",
        lambda r: [
            day(r["start_date"]),
            day(r["end_date"]) or "now",
            text(r["city"]),
            text(r["county"]),
            text(r["state"]),
        ],
    )
    services = Section.of("client_services", ["Service", "Provider", "Started", "Ended", *SOURCE_COLS])
    services.rows = _rows(
        now,
        before,
        "client_services",
        lambda r: [
            vocab_label("services", r["service"]),
            vocab_label("providers", r["provider"]),
            day(r["start_date"]),
            day(r["end_date"]) or "ongoing",
        ],
    )
    prob = Section.of(
        "probation_referrals",
        ["Referred", "Status", "Court", "Officer", "Placement", "Facility", "Placed", "Left", *SOURCE_COLS],
    )
    prob.rows = _rows(
        now,
        before,
        "probation_referrals",
        lambda r: [
            day(r["referral_date"]),
            text(r["supervision_status"]),
            text(r["court"]),
            text(r["officer"]),
            text(r["placement_type"]),
            text(r["facility"]),
            day(r["placement_start"]),
            day(r["placement_end"]),
        ],
    )
    wref = Section.of("welfare_referrals", ["Received", "Allegation", "Disposition", *SOURCE_COLS])
    wref.rows = _rows(
        now,
        before,
        "welfare_referrals",
        lambda r: [day(r["referral_date"]), text(r["allegation_type"]), text(r["disposition"])],
    )
    wpl = Section.of("welfare_placements", ["Placement", "Started", "Ended", *SOURCE_COLS])
    wpl.rows = _rows(
        now,
        before,
        "welfare_placements",
        lambda r: [text(r["placement_type"]), day(r["start_date"]), day(r["end_date"]) or "open"],
    )
    arr = Section.of("arrests", ["Date", "Charges", *SOURCE_COLS])
    arr.rows = _rows(
        now,
        before,
        "arrests",
        lambda r: [
            pd.Timestamp(r["arrest_datetime"]).strftime("%Y-%m-%d %H:%M"),
            ", ".join(charge_labels(r["charges"])),
        ],
        _charge_flag(c["dob"]),
    )
    edu = Section.of(
        "school_enrollments",
        [
            "School year",
            "School",
            "Grade",
            "Enrolled",
            "Left",
            "Days enrolled",
            "Days absent",
            "Absent",
            *SOURCE_COLS,
        ],
    )

    def school_cells(r: pd.Series) -> list[str]:
        enrolled, absent = r["days_enrolled"], r["days_absent"]
        rate = (
            f"{100 * int(absent) / int(enrolled):.0f}%"
            if pd.notna(enrolled) and pd.notna(absent) and int(enrolled)
            else ""
        )
        if is_chronic(enrolled, absent):
            rate += " chronic"
        return [
            text(r["school_year"]),
            text(r["school"]),
            text(r["grade"]),
            day(r["enroll_start"]),
            day(r["enroll_end"]),
            text(enrolled),
            text(absent),
            rate,
        ]

    edu.rows = _rows(now, before, "school_enrollments", school_cells)
    return [demo, residences, services, prob, wref, wpl, arr, edu]


def measure_changes(before: dict | None, now: dict, sections: list[Section]) -> list[str]:
    """Plain sentences: what moved since the last meeting."""
    out = []
    if before is None:
        out.append("First profile: not on the list at the last meeting (everything below is marked new).")
        before = {}
    for label, fmt in SUMMARY:
        if before:
            old, new = fmt(before), fmt(now)
            if old != new:
                out.append(f"{label}: {old} -> {new}")
    for key, word, vocab in (
        ("risk_factors", "Risk factor", "risk_factors"),
        ("services", "Service", "services"),
    ):
        for item in sorted(set(now[key]) - set(before.get(key, []))) if before else []:
            out.append(f"{word} added: {vocab_label(vocab, item)}")
        for item in sorted(set(before.get(key, [])) - set(now[key])) if before else []:
            out.append(f"{word} ended: {vocab_label(vocab, item)}")
    for s in sections[1:]:
        new = sum(1 for r in s.rows if r["change"] == "new")
        changed = sum(1 for r in s.rows if r["change"] == "changed")
        if new or changed:
            parts = [f"{new} new" if new else "", f"{changed} changed" if changed else ""]
            out.append(f"{s.title}: {' and '.join(p for p in parts if p)}")
    return out
