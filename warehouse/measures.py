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
| ``juvenile_arrest`` / ``juvenile_arrests`` | a booking / bookings before the 18th birthday |
| ``adult_arrests`` / ``adult_charge_groups`` | bookings on or after it; the charge groups they carry |
| ``sex_trade_arrests_by_agency`` | bookings charging PC 647(b) or PC 653.22, per source |
| ``age_at_referral`` | whole years on the referral date (None without both dates) |
| ``residence_at_referral`` / ``_now`` | (city, county, state) of the residence in force then |
| ``residences``, ``counties``, ``moved_since_referral`` | how many; distinct counties; a move since |
| ``out_of_county_ever`` / ``out_of_state_ever`` | a residence outside SafetyNet's county / state|
| ``residence_gap_days``, ``whereabouts_unknown`` | days between residences; no residence in force now |
| ``risk_factors`` | the client list's risk factors, plus ``chronic_absence`` when the school data shows it |
| ``risk_factors_listed`` | the client list's risk factors only |
| ``services`` / ``providers`` | the list's services (distinct, by start date) / their providers |
| ``no_service`` / ``service_now`` | no service on record / a service ongoing on the date |
| ``social_services_ever`` | any Social Services referral or placement episode |
| ``involvement`` | ``both``, ``probation``, ``social_services`` or ``neither`` (ever) |
| ``active_case`` | a meeting on or after the date, an ongoing service, open probation or custody |
| ``welfare_dispositions`` / ``csec_allegation_dispositions`` | of all / of CSEC allegations |
| ``schools`` | (district source, school) enrolled at |
| ``returned_from_placement`` | the date the last custody placement ended, none open now (else None) |
| ``back_from_placement_no_school`` | returned, under 18, no enrolment open now or begun since |
| ``placement_now`` | the custody placement open on the date (latest begun): system, type, facility, start |
| ``living_since`` | when where she is now began: that placement, else the residence in force |
| ``moves_past_year`` / ``last_move`` | residences, custody placements begun or ended in 365 days / latest |
| ``placement_stable`` | known where, there >= STABLE_AFTER_DAYS, <= STABLE_MOVES_PER_YEAR moves a year |
| ``last_contact_by_agency`` | per agency: ``{"on": its rows' latest own date, "ongoing": open range}`` |

``quarter_events(facts, start, end)`` gives what happened in a quarter, per client; see there.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pandas as pd

from integrations.charges import charge_label
from integrations.kinds import PROBATION_PLACEMENT_TYPES, WELFARE_PLACEMENT_TYPES, table_spec
from integrations.vocabularies import home
from warehouse.facts import _normalised, split_charges
from warehouse.models import FACT_TABLES
from warehouse.profiles import Facts

#: one status for a youth with several referrals: the first of these any referral has
PROBATION_STATUS_PRECEDENCE = ("warrant", "wardship", "probation", "informal", "pending", "closed")
PROBATION_CUSTODY_TYPES = tuple(t for t in PROBATION_PLACEMENT_TYPES if t != "home")
WELFARE_CUSTODY_TYPES = tuple(t for t in WELFARE_PLACEMENT_TYPES if t != "home_of_parent")
SEX_TRADE_CHARGES = ("PC 647(b)", "PC 653.22")
#: a Social Services allegation of commercial sexual exploitation (agencies write it in words)
CSEC_ALLEGATION = re.compile(r"commercial(ly)? sexual(ly)? exploit|sexual exploitation|\bcsec\b", re.I)
#: charge groups of adult arrests: (group, predicate on the normalised label "PC 647(b)"), first wins
CHARGE_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Sex trade (PC 647(b), 653.22)", re.compile(r"^PC (647\(b\)|653\.22)")),
    ("Human trafficking, pimping (PC 236.1, 266)", re.compile(r"^PC (236\.1|266)")),
    (
        "Violent (robbery, assault, battery)",
        re.compile(r"^PC (187|192|203|207|211|215|240|241|242|243|245|246|261|273\.5|422)\b"),
    ),
    (
        "Property (burglary, theft, vandalism)",
        re.compile(r"^(PC (459|460|470|484|487|488|496|594|602)\b|VC 10851)"),
    ),
    ("Drugs (Health and Safety Code)", re.compile(r"^HS ")),
    ("Weapons", re.compile(r"^PC (12020|12025|12031|25400|25850|29800|30305)\b")),
    ("Obstruction, warrants, court orders", re.compile(r"^PC (148|166|853\.7|1203\.2)\b|^PC 647\(f\)")),
    ("Vehicle Code", re.compile(r"^VC ")),
)
OTHER_CHARGES = "Other"
#: a youth is back from placement with no school when under this age (school age)
SCHOOL_AGE_UNTIL = 18
#: a placement (or home) is stable when she has been there this long, with at most this many moves
#: (new residences or custody placements) in the past year: the case review's rule of thumb
STABLE_AFTER_DAYS = 90
STABLE_MOVES_PER_YEAR = 2


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


def charge_group(label: str) -> str:
    """The group of one normalised charge (``CHARGE_GROUPS``), ``Other`` when none fits."""
    return next((group for group, rx in CHARGE_GROUPS if rx.search(label)), OTHER_CHARGES)


def is_csec_allegation(text: object) -> bool:
    return isinstance(text, str) and bool(CSEC_ALLEGATION.search(text))


def age_on(dob: object, day: object) -> int | None:
    """Whole years on ``day`` (birthday counted on the day); None without both dates."""
    if dob is None or day is None or pd.isna(dob) or pd.isna(day):
        return None
    dob, day = pd.Timestamp(dob), pd.Timestamp(day)
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


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

    juvenile = (
        arr["arrest_datetime"].notna() & adult_from.notna() & (arr["arrest_datetime"] < adult_from)
    ).to_numpy()
    m["juvenile_arrests"] = _per_client(arr.loc[juvenile].groupby("client_id").size(), ids, 0).astype(int)
    m["juvenile_arrest"] = m["juvenile_arrests"] > 0
    m["adult_arrests"] = _per_client(arr.loc[adult].groupby("client_id").size(), ids, 0).astype(int)
    adult_groups: dict[str, set] = {}
    sex_trade_by_agency: dict[str, dict] = {}
    for cid, source, ls, grown, st in zip(
        arr["client_id"], arr["source"], labels, adult, sex_trade, strict=True
    ):
        if grown:
            adult_groups.setdefault(cid, set()).update(charge_group(lab) for lab in ls)
        if st:
            per = sex_trade_by_agency.setdefault(cid, {})
            per[source] = per.get(source, 0) + 1

    m["social_services_ever"] = ids.isin(facts["welfare_referrals"]["client_id"]) | ids.isin(wp["client_id"])
    m["involvement"] = [
        "both" if p and w else "probation" if p else "social_services" if w else "neither"
        for p, w in zip(m["probation_ever"], m["social_services_ever"], strict=True)
    ]
    residences = _residence_measures(facts)
    services = _service_measures(facts)
    returns = _returns(facts)
    where = _whereabouts(facts)
    contacts = last_contact_by_agency(facts)
    day = pd.Timestamp(as_of)
    enrolled_now = set(enr.loc[_open_on(enr["enroll_start"], enr["enroll_end"], as_of), "client_id"])
    enr_by_client = {cid: list(g) for cid, g in enr.groupby("client_id")["enroll_start"]}
    wref = facts["welfare_referrals"]
    dispositions: dict[str, list] = {}
    csec_dispositions: dict[str, list] = {}
    for cid, allegation, disposition in zip(
        wref["client_id"], wref["allegation_type"], wref["disposition"], strict=True
    ):
        if isinstance(disposition, str):
            dispositions.setdefault(cid, []).append(disposition)
            if is_csec_allegation(allegation):
                csec_dispositions.setdefault(cid, []).append(disposition)
    schools_of: dict[str, list] = {}
    for cid, source, school in enr.drop_duplicates(["client_id", "source", "school"])[
        ["client_id", "source", "school"]
    ].itertuples(index=False):
        schools_of.setdefault(cid, []).append((source, school))

    out: dict[str, dict] = {}
    records = m.to_dict(orient="index")
    cols = ["client_id", "risk_factors", "dob", "referral_date", "next_meeting", "city", "county"]
    for c in clients[cols].itertuples(index=False):
        cid = c.client_id
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in records[cid].items()}
        row["arrests_by_agency"] = by_agency.get(cid, {})
        row["charges"] = dict(charges.get(cid, {}))
        row["adult_charge_groups"] = sorted(adult_groups.get(cid, ()))
        row["sex_trade_arrests_by_agency"] = sex_trade_by_agency.get(cid, {})
        listed = _lists(c.risk_factors)
        risk = list(listed)
        if row["chronic_absence"] and "chronic_absence" not in risk:
            risk.append("chronic_absence")
        row["risk_factors"], row["risk_factors_listed"] = risk, listed
        row["age_at_referral"] = age_on(c.dob, c.referral_date)
        row.update(residences.get(cid) or _no_residences(c))
        row.update(services.get(cid) or {"services": [], "providers": [], "service_now": False})
        row["no_service"] = not row["services"]
        row["active_case"] = bool(
            (pd.notna(c.next_meeting) and c.next_meeting >= day)
            or row["service_now"]
            or row["probation_current"]
            or row["system_involvement_current"]
        )
        row["welfare_dispositions"] = sorted(set(dispositions.get(cid, ())))
        row["csec_allegation_dispositions"] = sorted(set(csec_dispositions.get(cid, ())))
        row["schools"] = schools_of.get(cid, [])
        back = returns.get(cid)
        row["returned_from_placement"] = back
        age_now = age_on(c.dob, day)
        row["back_from_placement_no_school"] = bool(
            back is not None
            and (age_now is None or age_now < SCHOOL_AGE_UNTIL)
            and cid not in enrolled_now
            and not any(pd.notna(s) and s >= pd.Timestamp(back) for s in enr_by_client.get(cid, ()))
        )
        row.update(where.get(cid) or _NOWHERE)
        if row["placement_now"] is None and row["living_since"] is None and row["residence_now"]:
            row["placement_stable"] = None  # a list city without dates: not known how long
        row["last_contact_by_agency"] = contacts.get(cid, {})
        out[cid] = row
    return out


def _no_residences(client: object) -> dict:
    """A list without a residence timeline: the list's own city and county, undated."""
    place = _place(getattr(client, "city", None), getattr(client, "county", None), None)
    return {
        "residence_at_referral": place,
        "residence_now": place,
        "residences": 0,
        "counties": 0,
        "moved_since_referral": False,
        "out_of_county_ever": False,
        "out_of_state_ever": False,
        "residence_gap_days": 0,
        "whereabouts_unknown": False,
    }


def _place(city: object, county: object, state: object) -> tuple[str | None, str | None, str | None]:
    return tuple(v if isinstance(v, str) and v else None for v in (city, county, state))  # type: ignore[return-value]


def _residence_measures(facts: Facts) -> dict[str, dict]:
    """Per client with a residence timeline: where she lived at referral and lives now, moves,
    counties and states, and the days no residence was in force between two (a gap)."""
    res = facts["client_residences"]
    if res.empty:
        return {}
    day = pd.Timestamp(facts.as_of)
    referral = dict(zip(facts["clients"]["client_id"], facts["clients"]["referral_date"], strict=True))
    where = home()
    out: dict[str, dict] = {}
    ordered = res.sort_values(["client_id", "start_date"], kind="stable")
    for cid, rows in ordered.groupby("client_id", sort=False):
        spans = list(
            zip(
                rows["start_date"], rows["end_date"], rows["city"], rows["county"], rows["state"], strict=True
            )
        )
        ref = referral.get(cid)

        def at(when: object, spans: list = spans) -> tuple | None:
            if when is None or pd.isna(when):
                return None
            hit = [s for s in spans if pd.notna(s[0]) and s[0] <= when and (pd.isna(s[1]) or s[1] > when)]
            return _place(*hit[-1][2:]) if hit else None

        gap, reach = 0, None
        for start, end, *_ in spans:
            if pd.isna(start):
                continue
            if reach is not None and start > reach:
                gap += (start - reach).days
            stop = day if pd.isna(end) else end
            reach = stop if reach is None else max(reach, stop)
        now = at(day)
        out[cid] = {
            "residence_at_referral": at(ref),
            "residence_now": now,
            "residences": len(spans),
            "counties": len({(s[4], s[3]) for s in spans if s[3]}),
            "moved_since_referral": ref is not None
            and pd.notna(ref)
            and any(pd.notna(s[0]) and s[0] > ref for s in spans),
            "out_of_county_ever": any(
                (s[3] and s[3] != where.county) or (s[4] and s[4] != where.state) for s in spans
            ),
            "out_of_state_ever": any(s[4] and s[4] != where.state for s in spans),
            "residence_gap_days": gap,
            "whereabouts_unknown": now is None,
        }
    return out


def _service_measures(facts: Facts) -> dict[str, dict]:
    """Per client with services: the services (distinct, by start date), their providers, and
    whether one is ongoing on the date."""
    svc = facts["client_services"].sort_values("start_date", kind="stable")
    ongoing = set(svc.loc[_open_on(svc["start_date"], svc["end_date"], facts.as_of), "client_id"])
    out: dict[str, dict] = {}
    for cid, service, provider in zip(svc["client_id"], svc["service"], svc["provider"], strict=True):
        row = out.setdefault(cid, {"services": [], "providers": [], "service_now": cid in ongoing})
        if isinstance(service, str) and service not in row["services"]:
            row["services"].append(service)
        if isinstance(provider, str) and provider not in row["providers"]:
            row["providers"].append(provider)
    return out


def custody_episodes(facts: Facts) -> pd.DataFrame:
    """Every custody placement (Probation other than home, Social Services other than a parent's
    home): client_id, system, start, end (NaT while open on the date), type, facility."""
    prob = facts["probation_referrals"]
    prob = prob[prob["placement_type"].isin(PROBATION_CUSTODY_TYPES)]
    wp = facts["welfare_placements"]
    wp = wp[wp["placement_type"].isin(WELFARE_CUSTODY_TYPES)]
    parts = [
        pd.DataFrame(
            {
                "client_id": prob["client_id"],
                "system": "probation",
                "start": prob["placement_start"],
                "end": prob["placement_end"],
                "type": prob["placement_type"],
                "facility": prob["facility"],
            }
        ),
        pd.DataFrame(
            {
                "client_id": wp["client_id"],
                "system": "social_services",
                "start": wp["start_date"],
                "end": wp["end_date"],
                "type": wp["placement_type"],
                "facility": None,
            }
        ),
    ]
    episodes = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    return episodes[episodes["start"].notna()].reset_index(drop=True)


_NOWHERE = {
    "placement_now": None,
    "living_since": None,
    "moves_past_year": 0,
    "last_move": None,
    "placement_stable": None,
}


def _whereabouts(facts: Facts) -> dict[str, dict]:
    """Per client with residences or custody placements: the placement open now, since when she
    has been where she is, her moves in the past year and whether that is stable (module docstring)."""
    day = pd.Timestamp(facts.as_of)
    year_ago = day - pd.Timedelta(days=365)
    ep = custody_episodes(facts)
    res = facts["client_residences"]
    starts = pd.concat(
        [
            ep[["client_id", "start"]],
            ep[["client_id", "end"]].set_axis(["client_id", "start"], axis=1),  # back from placement
            res[["client_id", "start_date"]].set_axis(["client_id", "start"], axis=1),
        ],
        ignore_index=True,
    )
    # one move a day: a transfer ends one placement and begins the next on the same date
    starts = starts[starts["start"].notna() & (starts["start"] <= day)].drop_duplicates()
    open_ep = ep[ep["end"].isna() & (ep["start"] <= day)].sort_values("start", kind="stable")
    open_res = res[_open_on(res["start_date"], res["end_date"], facts.as_of)].sort_values("start_date")
    out: dict[str, dict] = {}
    for cid, mine in starts.groupby("client_id"):
        recent = mine.loc[mine["start"] > year_ago, "start"]
        placed = open_ep[open_ep["client_id"] == cid]
        home = open_res[open_res["client_id"] == cid]
        placement, since = None, None
        if len(placed):
            p = placed.iloc[-1]
            placement = {
                "system": p["system"],
                "type": p["type"] if isinstance(p["type"], str) else None,
                "facility": p["facility"] if isinstance(p["facility"], str) else None,
                "start": p["start"].date(),
            }
            since = p["start"]
        elif len(home):  # home since she moved there or came back from a placement, the later
            since = max(home["start_date"].iloc[-1], mine["start"].max())
        moves = len(recent)
        out[cid] = {
            "placement_now": placement,
            "living_since": since.date() if since is not None else None,
            "moves_past_year": moves,
            "last_move": mine["start"].max().date(),
            "placement_stable": None
            if since is None
            else bool((day - since).days >= STABLE_AFTER_DAYS and moves <= STABLE_MOVES_PER_YEAR),
        }
    return out


def last_contact_by_agency(facts: Facts) -> dict[str, dict[str, dict]]:
    """client -> agency source -> {"on": the latest own date of its rows on or before the date
    (an event, a range's start or end), "ongoing": a range of it open on the date}. Agency facts
    only: the client list is the coordinator's own."""
    day = pd.Timestamp(facts.as_of)
    found: dict[str, dict[str, dict]] = {}
    for name in FACT_TABLES:
        rows = facts[name]
        if rows.empty:
            continue
        spec = table_spec(name)
        cols = [spec.event_date, *(spec.open_range[:2] if spec.open_range else ())]
        dates = pd.concat([pd.to_datetime(rows[c]).where(rows[c] <= day) for c in cols], axis=1).max(axis=1)
        ongoing = (
            _open_on(rows[spec.open_range[0]], rows[spec.open_range[1]], facts.as_of)
            if spec.open_range
            else pd.Series(False, index=rows.index)
        )
        for cid, source, on, now in zip(rows["client_id"], rows["source"], dates, ongoing, strict=True):
            if pd.isna(on):
                continue
            seen = found.setdefault(cid, {}).setdefault(source, {"on": None, "ongoing": False})
            if seen["on"] is None or on.date() > seen["on"]:
                seen["on"] = on.date()
            seen["ongoing"] = seen["ongoing"] or bool(now)
    return found


def _returns(facts: Facts) -> dict[str, date]:
    """client -> the day her last custody placement ended, for clients with none open on the date."""
    ep = custody_episodes(facts)
    open_now = set(ep.loc[ep["end"].isna(), "client_id"])
    ended = ep[ep["end"].notna() & ~ep["client_id"].isin(open_now)]
    last = ended.groupby("client_id")["end"].max()
    return {cid: end.date() for cid, end in last.items()}


def quarter_events(facts: Facts, start: date, end: date) -> dict[str, dict]:
    """What happened to each client between ``start`` and ``end`` (both included), from the facts
    as of ``end`` (``facts_as_of(engine, end)``):

    | event | definition |
    | --- | --- |
    | ``referred`` | referred to SafetyNet in the quarter |
    | ``arrested`` / ``bookings`` | booked in the quarter / how many times |
    | ``arrested_as_juvenile`` / ``_as_adult`` | a booking before / on or after the 18th birthday |
    | ``placement_began`` / ``placement_ended`` | a custody placement started / ended in the quarter |
    | ``returned_from_placement`` | a custody placement ended, none other open that day (no transfer) |
    | ``unfounded_csec_allegation`` | a CSEC allegation received in the quarter, found unfounded |
    | ``csec_allegation`` | any CSEC allegation received in the quarter |

    A youth who turns 18 in the quarter can be both arrested as a juvenile and as an adult.
    """
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    after_last = last + pd.Timedelta(days=1)

    def within(series: pd.Series) -> pd.Series:
        return series.notna() & (series >= first) & (series < after_last)

    clients = facts["clients"].drop_duplicates("client_id")
    out = {cid: dict.fromkeys(_QUARTER_FLAGS, False) | {"bookings": 0} for cid in clients["client_id"]}
    for cid in clients.loc[within(clients["referral_date"]), "client_id"]:
        out[cid]["referred"] = True
    arr = facts["arrests"]
    arr = arr[within(arr["arrest_datetime"]) & arr["client_id"].isin(out)]
    dob = dict(zip(clients["client_id"], clients["dob"], strict=True))
    for cid, when in zip(arr["client_id"], arr["arrest_datetime"], strict=True):
        row = out[cid]
        row["arrested"], row["bookings"] = True, row["bookings"] + 1
        born = dob.get(cid)
        grown = pd.notna(born) and when >= pd.Timestamp(eighteenth_birthday(pd.Timestamp(born).date()))
        row["arrested_as_adult" if grown else "arrested_as_juvenile"] |= pd.notna(born)
    ep = custody_episodes(facts)
    ep = ep[ep["client_id"].isin(out)]
    for cid in ep.loc[within(ep["start"]), "client_id"]:
        out[cid]["placement_began"] = True
    for cid, ended in zip(ep["client_id"], ep["end"], strict=True):
        if not within(pd.Series([ended])).iloc[0]:
            continue
        out[cid]["placement_ended"] = True
        others = ep[
            (ep["client_id"] == cid) & (ep["start"] <= ended) & (ep["end"].isna() | (ep["end"] > ended))
        ]
        if others.empty:
            out[cid]["returned_from_placement"] = True
    wref = facts["welfare_referrals"]
    wref = wref[within(wref["referral_date"]) & wref["client_id"].isin(out)]
    for cid, allegation, disposition in zip(
        wref["client_id"], wref["allegation_type"], wref["disposition"], strict=True
    ):
        if is_csec_allegation(allegation):
            out[cid]["csec_allegation"] = True
            if disposition == "unfounded":
                out[cid]["unfounded_csec_allegation"] = True
    return out


_QUARTER_FLAGS = (
    "referred",
    "arrested",
    "arrested_as_juvenile",
    "arrested_as_adult",
    "placement_began",
    "placement_ended",
    "returned_from_placement",
    "csec_allegation",
    "unfounded_csec_allegation",
)
