"""Known answers for the warehouse's derived measures, straight from the generator's own tables.

Computed from what the generator wrote (the conformed canonical tables, i.e. exactly what a reader
sees) and the ground-truth links, with plain pandas written independently of ``warehouse.measures``:
a test loads the same deliveries with the true links and expects the warehouse to agree for every
client. Charges come from the generator's true (code, section) pairs, not from parsing the text.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

PROBATION_HOME = "home"
WELFARE_HOME = "home_of_parent"
SEX_TRADE = ("PC 647(b)", "PC 653.22")


def _linked(frame: pd.DataFrame, source: str, links: pd.DataFrame) -> pd.DataFrame:
    mine = links[links["source"] == source][["record_id", "client_id"]]
    out = frame.assign(record_id=frame["record_id"].astype(str))
    return out.merge(mine, on="record_id", how="inner")


def _current(start: pd.Series, end: pd.Series, as_of: date) -> pd.Series:
    day = pd.Timestamp(as_of)
    return start.notna() & (start <= day) & (end.isna() | (end > day))


def truth_measures(
    clients: pd.DataFrame,
    agency: dict[str, tuple[str, dict[str, pd.DataFrame]]],
    links: pd.DataFrame,
    as_of: date,
) -> pd.DataFrame:
    """One row per client: the measures' true values on ``as_of`` (the delivery date)."""
    out = pd.DataFrame({"client_id": clients["record_id"].astype(str)}).set_index("client_id")
    dob = pd.to_datetime(clients["dob"]).set_axis(out.index)
    for col in (
        "chronic_absence",
        "probation_ever",
        "probation_current",
        "probation_custody_ever",
        "probation_custody_current",
        "welfare_custody_ever",
        "welfare_custody_current",
        "adult_rearrest",
        "adult_rearrest_sex_trade",
    ):
        out[col] = False
    out["school_count"] = 0
    out["arrests"] = 0
    schools: dict[str, set] = {}
    for source, (kind, tables) in agency.items():
        if kind == "school_district":
            t = _linked(tables["school_enrollments"], source, links)
            t = t[t["enroll_start"].notna()]
            enrolled, absent = t["days_enrolled"].astype("Int64"), t["days_absent"].astype("Int64")
            chronic = ((enrolled > 0) & (absent * 10 >= enrolled)).fillna(False).astype(bool)
            for cid in t.loc[chronic, "client_id"]:
                out.at[cid, "chronic_absence"] = True
            for cid, school in zip(t["client_id"], t["school"], strict=True):
                schools.setdefault(cid, set()).add((source, school))
        elif kind == "probation":
            t = _linked(tables["probation_referrals"], source, links)
            out.loc[t["client_id"].unique(), "probation_ever"] = True
            out.loc[t.loc[t["supervision_status"] != "closed", "client_id"].unique(), "probation_current"] = (
                True
            )
            away = t[t["placement_type"].notna() & (t["placement_type"] != PROBATION_HOME)]
            out.loc[away["client_id"].unique(), "probation_custody_ever"] = True
            now = away[_current(away["placement_start"], away["placement_end"], as_of)]
            out.loc[now["client_id"].unique(), "probation_custody_current"] = True
        elif kind == "social_services":
            t = _linked(tables["welfare_placements"], source, links)
            away = t[t["placement_type"] != WELFARE_HOME]
            out.loc[away["client_id"].unique(), "welfare_custody_ever"] = True
            now = away[_current(away["start_date"], away["end_date"], as_of)]
            out.loc[now["client_id"].unique(), "welfare_custody_current"] = True
        elif kind == "arrest_log":
            t = _linked(tables["arrests"], source, links)
            for cid, n in t["client_id"].value_counts().items():
                out.at[cid, "arrests"] += int(n)
            for cid, when, text, true in zip(
                t["client_id"], t["arrest_datetime"], t["charges"], t["true_charges"], strict=True
            ):
                born = dob[cid]
                if pd.isna(born):
                    continue
                leap_day = (born.month, born.day) == (2, 29)
                eighteen = (
                    pd.Timestamp(born.year + 18, 3, 1) if leap_day else born.replace(year=born.year + 18)
                )
                if when >= eighteen:
                    out.at[cid, "adult_rearrest"] = True
                    kept = true.split("|")[: len(str(text).split("|"))]  # the agency's columns cut the list
                    if any(c in SEX_TRADE for c in kept):
                        out.at[cid, "adult_rearrest_sex_trade"] = True
    for cid, s in schools.items():
        out.at[cid, "school_count"] = len(s)
    out["system_involvement_ever"] = out["probation_custody_ever"] | out["welfare_custody_ever"]
    out["system_involvement_current"] = out["probation_custody_current"] | out["welfare_custody_current"]
    return out.reset_index().astype({"school_count": np.int64, "arrests": np.int64})
