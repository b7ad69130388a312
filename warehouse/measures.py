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
| ``services`` | the services the client list records (distinct, by start date) |
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


def _adult_from(dob: pd.Series) -> pd.Series:
    """The 18th birthday of each date of birth (29 February -> 1 March), vectorised."""
    dob = pd.to_datetime(dob)
    out = dob + pd.DateOffset(years=18)
    leap = (dob.dt.month == 2) & (dob.dt.day == 29)
    return out.where(~leap, out + pd.Timedelta(days=1))


def _per_client(values: pd.Series, ids: pd.Index, fill: object) -> pd.Series:
    return (
        values.reindex(ids).where(values.reindex(ids).notna(), fill)
        if len(values)
        else pd.Series(fill, index=ids)
    )


def client_measures(facts: Facts) -> dict[str, dict]:
    """client_id -> measures (see the module docstring) for every client on the list as of the date.

    Vectorised over all clients at once (50,000 clients in seconds): one groupby per measure.
    """
    as_of = facts.as_of
    clients = facts["clients"].drop_duplicates("client_id")
    ids = pd.Index(clients["client_id"], name="client_id")
    m = pd.DataFrame(index=ids)

    enr = facts["school_enrollments"]
    enrolled = pd.to_numeric(enr["days_enrolled"], errors="coerce").astype("Int64")
    absent = pd.to_numeric(enr["days_absent"], errors="coerce").astype("Int64")
    chronic = ((absent * 10 >= enrolled) & (enrolled > 0)).fillna(False).astype(bool)
    m["chronic_absence"] = _per_client(chronic.groupby(enr["client_id"]).any(), ids, False).astype(bool)
    latest = enr.sort_values("enroll_start").drop_duplicates("client_id", keep="last")
    latest_flag = pd.Series(
        [is_chronic(e, a) for e, a in zip(latest["days_enrolled"], latest["days_absent"], strict=True)],
        index=latest["client_id"],
        dtype=object,
    )
    m["chronic_absence_latest"] = (
        latest_flag.reindex(ids).astype(object).where(latest_flag.reindex(ids).notna(), None)
    )
    schools = enr.drop_duplicates(["client_id", "source", "school"]).groupby("client_id").size()
    m["school_count"] = _per_client(schools, ids, 0).astype(int)

    prob = facts["probation_referrals"]
    status = prob["supervision_status"]
    m["probation_ever"] = ids.isin(prob["client_id"])
    open_ref = prob[status.notna() & (status != "closed")]
    m["probation_current"] = ids.isin(open_ref["client_id"])
    rank = status.map({s: i for i, s in enumerate(PROBATION_STATUS_PRECEDENCE)}).fillna(
        len(PROBATION_STATUS_PRECEDENCE)
    )
    ranked = prob.assign(_rank=rank)[status.notna()].sort_values("_rank", kind="stable")
    best = ranked.drop_duplicates("client_id").set_index("client_id")["supervision_status"]
    m["probation_status"] = best.reindex(ids).astype(object).where(best.reindex(ids).notna(), None)
    custody = prob[prob["placement_type"].isin(PROBATION_CUSTODY_TYPES)]
    m["probation_custody_ever"] = ids.isin(custody["client_id"])
    now = custody[_open_on(custody["placement_start"], custody["placement_end"], as_of)]
    m["probation_custody_current"] = ids.isin(now["client_id"])

    wp = facts["welfare_placements"]
    wcust = wp[wp["placement_type"].isin(WELFARE_CUSTODY_TYPES)]
    m["welfare_referrals"] = _per_client(
        facts["welfare_referrals"].groupby("client_id").size(), ids, 0
    ).astype(int)
    m["welfare_custody_ever"] = ids.isin(wcust["client_id"])
    wnow = wcust[_open_on(wcust["start_date"], wcust["end_date"], as_of)]
    m["welfare_custody_current"] = ids.isin(wnow["client_id"])
    m["system_involvement_ever"] = m["probation_custody_ever"] | m["welfare_custody_ever"]
    m["system_involvement_current"] = m["probation_custody_current"] | m["welfare_custody_current"]

    arr = facts["arrests"]
    m["arrests"] = _per_client(arr.groupby("client_id").size(), ids, 0).astype(int)
    by_agency: dict[str, dict] = {}
    for (cid, source), n in arr.groupby(["client_id", "source"]).size().items():
        by_agency.setdefault(cid, {})[source] = int(n)
    labels = [charge_labels(t) for t in arr["charges"]]
    charges: dict[str, Counter] = {}
    for cid, ls in zip(arr["client_id"], labels, strict=True):
        charges.setdefault(cid, Counter()).update(ls)
    dob = dict(zip(clients["client_id"], clients["dob"], strict=True))
    born = pd.to_datetime(pd.Series([dob.get(c) for c in arr["client_id"]], index=arr.index, dtype=object))
    adult_from = _adult_from(born)
    adult = (
        arr["arrest_datetime"].notna() & adult_from.notna() & (arr["arrest_datetime"] >= adult_from)
    ).to_numpy()
    sex_trade = [any(lab in SEX_TRADE_CHARGES for lab in ls) for ls in labels]
    m["adult_rearrest"] = ids.isin(arr.loc[adult, "client_id"])
    m["adult_rearrest_sex_trade"] = ids.isin(arr.loc[adult & sex_trade, "client_id"] if len(arr) else [])

    svc = facts["client_services"].sort_values("start_date", kind="stable")
    services_of: dict[str, list[str]] = {}
    for cid, service in zip(svc["client_id"], svc["service"], strict=True):
        if isinstance(service, str) and service not in services_of.setdefault(cid, []):
            services_of[cid].append(service)
    out: dict[str, dict] = {}
    records = m.to_dict(orient="index")
    for cid, risks in zip(clients["client_id"], clients["risk_factors"], strict=True):
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in records[cid].items()}
        row["arrests_by_agency"] = by_agency.get(cid, {})
        row["charges"] = dict(charges.get(cid, {}))
        risk = _lists(risks)
        if row["chronic_absence"] and "chronic_absence" not in risk:
            risk.append("chronic_absence")
        row["risk_factors"] = risk
        row["services"] = services_of.get(cid, [])
        out[cid] = row
    return out
