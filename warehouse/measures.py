"""Derived measures of each client, as of a date: the definitions the packet and the report share.

Every definition is here, in one function each, and in warehouse/README.md ("Derived measures").
Inputs are ``profiles.Facts`` (every table as of one date, facts of ``match``-linked records only).

| measure | definition |
| --- | --- |
| ``chronic_absence`` | any enrolment absent >= 10% of its days enrolled (``absent * 10 >= enrolled``) |
| ``chronic_absence_latest`` | the same for the client's most recent enrolment (latest ``enroll_start``) |
| ``school_count`` | distinct (district, school) the client was enrolled at |
| ``probation_ever`` / ``_current`` | any probation referral / a referral whose status is not ``closed`` |
| ``probation_status`` | one status over all referrals, by ``PROBATION_STATUS_PRECEDENCE`` |
| ``probation_custody_ever`` / ``_current`` | a probation placement not ``home``; current: started, not ended|
| ``welfare_custody_ever`` / ``_current`` | a welfare placement not ``home_of_parent``; current: as above |
| ``system_involvement_ever`` / ``_current`` | Probation or Social Services custody (ever / now) |
| ``arrests`` | bookings; ``arrests_by_agency`` per source; ``charges`` per normalised charge |
| ``adult_rearrest`` | recidivism: a booking on or after the 18th birthday (DOB from the client list) |
| ``adult_rearrest_sex_trade`` | such a booking with a PC 647(b) or PC 653.22 charge |
| ``risk_factors`` | the client list's risk factors, plus ``chronic_absence`` when the school data shows it |
| ``services`` | the client list's services |
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd

from integrations.charges import charge_label
from integrations.kinds import PROBATION_PLACEMENT_TYPES, WELFARE_PLACEMENT_TYPES
from warehouse.facts import _normalised, split_charges
from warehouse.profiles import Facts

#: one status for a youth with several referrals: the first of these any referral has
PROBATION_STATUS_PRECEDENCE = ("warrant", "wardship", "probation", "informal", "pending", "closed")
PROBATION_CUSTODY_TYPES = tuple(t for t in PROBATION_PLACEMENT_TYPES if t != "home")
WELFARE_CUSTODY_TYPES = tuple(t for t in WELFARE_PLACEMENT_TYPES if t != "home_of_parent")
SEX_TRADE_CHARGES = ("PC 647(b)", "PC 653.22")


def is_chronic(days_enrolled: object, days_absent: object) -> bool | None:
    """Absent 10% or more of the days enrolled (integer arithmetic: exactly 10% counts)."""
    if pd.isna(days_enrolled) or pd.isna(days_absent) or int(days_enrolled) <= 0:
        return None
    return int(days_absent) * 10 >= int(days_enrolled)


def eighteenth_birthday(dob: date) -> date:
    try:
        return dob.replace(year=dob.year + 18)
    except ValueError:  # 29 February: the birthday is 1 March in a common year
        return date(dob.year + 18, 3, 1)


def charge_labels(text: str | None) -> list[str]:
    """Normalised charge labels of one booking ("PC 647(b)"), the agency's text where none parses."""
    return [charge_label(*_normalised(c)) or c for c in split_charges(text)]


def probation_status(statuses: list[str]) -> str | None:
    known = [s for s in PROBATION_STATUS_PRECEDENCE if s in statuses]
    return known[0] if known else (statuses[0] if statuses else None)


def _open_on(start: pd.Series, end: pd.Series, as_of: date) -> pd.Series:
    day = pd.Timestamp(as_of)
    return start.notna() & (start <= day) & (end.isna() | (end > day))


def _lists(value: object) -> list[str]:
    return [v for v in str(value).split("|") if v] if isinstance(value, str) else []


def client_measures(facts: Facts) -> dict[str, dict]:
    """client_id -> measures (see the module docstring) for every client on the list as of the date."""
    as_of = facts.as_of
    out: dict[str, dict] = {}
    by = {name: dict(tuple(t.groupby("client_id"))) for name, t in facts.tables.items() if name != "clients"}
    empty = {name: t.iloc[0:0] for name, t in facts.tables.items()}
    for _, client in facts["clients"].iterrows():
        cid = client["client_id"]
        get = {name: by[name].get(cid, empty[name]) for name in by}
        m: dict = {}

        enr = get["school_enrollments"]
        chronic = [is_chronic(e, a) for e, a in zip(enr["days_enrolled"], enr["days_absent"], strict=True)]
        m["chronic_absence"] = any(c is True for c in chronic)
        latest = enr.sort_values("enroll_start")
        m["chronic_absence_latest"] = (
            is_chronic(latest["days_enrolled"].iloc[-1], latest["days_absent"].iloc[-1])
            if len(latest)
            else None
        )
        m["school_count"] = len(set(zip(enr["source"], enr["school"], strict=True)))

        prob = get["probation_referrals"]
        statuses = list(prob["supervision_status"].dropna())
        m["probation_ever"] = len(prob) > 0
        m["probation_current"] = any(s != "closed" for s in statuses)
        m["probation_status"] = probation_status(statuses)
        custody = prob[prob["placement_type"].isin(PROBATION_CUSTODY_TYPES)]
        m["probation_custody_ever"] = len(custody) > 0
        m["probation_custody_current"] = bool(
            _open_on(custody["placement_start"], custody["placement_end"], as_of).any()
        )

        wp = get["welfare_placements"]
        wcust = wp[wp["placement_type"].isin(WELFARE_CUSTODY_TYPES)]
        m["welfare_referrals"] = len(get["welfare_referrals"])
        m["welfare_custody_ever"] = len(wcust) > 0
        m["welfare_custody_current"] = bool(_open_on(wcust["start_date"], wcust["end_date"], as_of).any())
        m["system_involvement_ever"] = m["probation_custody_ever"] or m["welfare_custody_ever"]
        m["system_involvement_current"] = m["probation_custody_current"] or m["welfare_custody_current"]

        arr = get["arrests"]
        m["arrests"] = len(arr)
        m["arrests_by_agency"] = dict(Counter(arr["source"]))
        labels = [charge_labels(t) for t in arr["charges"]]
        m["charges"] = dict(Counter(lab for ls in labels for lab in ls))
        dob = client["dob"]
        if pd.isna(dob):
            adult = [False] * len(arr)
        else:
            adult_from = pd.Timestamp(eighteenth_birthday(dob.date()))
            adult = [pd.notna(t) and t >= adult_from for t in arr["arrest_datetime"]]
        m["adult_rearrest"] = any(adult)
        m["adult_rearrest_sex_trade"] = any(
            a and any(lab in SEX_TRADE_CHARGES for lab in ls) for a, ls in zip(adult, labels, strict=True)
        )

        risk = _lists(client["risk_factors"])
        if m["chronic_absence"] and "chronic_absence" not in risk:
            risk.append("chronic_absence")
        m["risk_factors"] = risk
        m["services"] = _lists(client["services"])
        out[cid] = m
    return out


def measures_frame(facts: Facts) -> pd.DataFrame:
    """``client_measures`` as one row per client (dict-valued measures kept as dicts)."""
    rows = client_measures(facts)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("client_id").reset_index()
