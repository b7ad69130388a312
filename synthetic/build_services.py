"""Builders for the client list, probation and social services (canonical tables, before the layout)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from integrations.config import SourceConfig
from integrations.kinds import PROBATION_PLACEMENT_TYPES, WELFARE_PLACEMENT_TYPES
from synthetic import pools
from synthetic.context import Built, Context, attach, dates_between, person_rows, select, unique_ids, years
from synthetic.noise import agency_person_fields
from synthetic.population import DAY, age_years


def _as_ns(d: np.ndarray) -> np.ndarray:
    return pd.to_datetime(d).astype("datetime64[ns]").to_numpy()


def _risk_factors(rng: np.random.Generator, identified: np.ndarray, gender: np.ndarray) -> list[str]:
    """A "|"-list of risk factor codes per client, at the evaluation's rates (higher when identified).

    ``lgbtq`` follows the gender identity (trans and non-binary youth, and some cisgender ones);
    a few clients still carry the old list's word for chronic absence, which the vocabulary rule
    reports as a warning (a realistic left-over, not a code the report counts).
    """
    n = len(identified)
    codes = [c for c, _, _ in pools.RISK_FACTORS]
    p = np.array([[pi if i else pa for _, pi, pa in pools.RISK_FACTORS] for i in identified]).reshape(n, -1)
    hit = rng.random((n, len(codes))) < p
    queer = ~np.isin(gender, ("cisgender female", "cisgender male")) | (rng.random(n) < 0.08)
    legacy = np.zeros(n, bool)
    legacy[rng.choice(n, size=min(n, 2), replace=False)] = True
    out = []
    for row, q, old in zip(hit, queer, legacy, strict=True):
        items = [c for c, h in zip(codes, row, strict=True) if h] + (["lgbtq"] if q else [])
        if old:
            items = [LEGACY if c == "chronic_absence" else c for c in items] + ([] if items else [LEGACY])
        out.append("|".join(items) if items else None)
    return out


LEGACY = pools.LEGACY_RISK_FACTOR


def _residences(
    rng: np.random.Generator, ids: np.ndarray, base: pd.DataFrame, dob: np.ndarray, today: np.datetime64
) -> pd.DataFrame:
    """Dated residences per client, newest the address on the list, earlier ones going back in time.

    Moves are mostly within the East Bay, some from elsewhere in California and a few from out of
    state; now and then a gap (whereabouts unknown, e.g. while on the run) separates two residences.
    Ranges never overlap: a residence ends on or before the day the next one begins.
    """
    places = pools.PLACES
    weights = np.array([w for *_, w in places])
    rows: list[tuple] = []
    cities = base["city"].to_numpy(dtype=object)
    counties = base["county"].to_numpy(dtype=object)
    for i, cid in enumerate(ids):
        earliest = dob[i] + years(8)
        start = max(today - int(rng.integers(60, 1400)) * DAY, earliest + DAY)
        rows.append((cid, cities[i], counties[i], "CA", start, np.datetime64("NaT")))
        prev_city = cities[i]
        for _ in range(rng.choice([0, 1, 2, 3], p=[0.3, 0.35, 0.22, 0.13])):
            gap = int(rng.integers(30, 200)) if rng.random() < 0.15 else 0
            end = start - gap * DAY
            begin = end - int(rng.integers(120, 1100)) * DAY
            if begin < earliest:
                break
            k = int(rng.choice(len(places), p=weights / weights.sum()))
            while places[k][0] == prev_city:
                k = int(rng.choice(len(places), p=weights / weights.sum()))
            city, county, state, _ = places[k]
            rows.append((cid, city, county, state, begin, end))
            start, prev_city = begin, city
    frame = pd.DataFrame(rows, columns=["record_id", "city", "county", "state", "start_date", "end_date"])
    frame["start_date"] = _as_ns(frame["start_date"].to_numpy())
    frame["end_date"] = _as_ns(frame["end_date"].to_numpy())
    return frame.sort_values(["record_id", "start_date"], kind="stable").reset_index(drop=True)


def _services(
    rng: np.random.Generator, ids: np.ndarray, referral: np.ndarray, today: np.datetime64
) -> pd.DataFrame:
    """Services with their provider and dates, from the referral on; some clients have none."""
    from integrations.vocabularies import vocabulary

    offers = vocabulary("providers").offers
    by_service = {s: [p for p, ss in offers.items() if s in ss] for s, _ in pools.SERVICES}
    rows: list[tuple] = []
    for cid, ref in zip(ids, referral.astype("datetime64[D]"), strict=True):
        if rng.random() < pools.NO_SERVICE_P:
            continue
        picked = [s for s, p in pools.SERVICES if rng.random() < p] or [pools.SERVICES[0][0]]
        for service in picked:
            start = min(ref + int(rng.exponential(45)) * DAY, today)
            end = start + int(rng.integers(30, 400)) * DAY
            providers = by_service.get(service) or [None]
            provider = providers[int(rng.integers(len(providers)))] if rng.random() < 0.95 else None
            rows.append((cid, service, provider, start, end if end < today else np.datetime64("NaT")))
    frame = pd.DataFrame(rows, columns=["record_id", "service", "provider", "start_date", "end_date"])
    frame["start_date"] = _as_ns(frame["start_date"].to_numpy())
    frame["end_date"] = _as_ns(frame["end_date"].to_numpy())
    return frame


def build_clients(ctx: Context, src: SourceConfig) -> Built:
    """The coordinator's list: true identities, chosen names, street names, referral, risk factors;
    dated residences and services with providers where the source delivers those sheets."""
    rng, ppl = ctx.rng, ctx.people
    idx = np.flatnonzero(ppl["is_client"].to_numpy())
    # five digits as the coordinator's list has them; more once a benchmark's list outgrows them
    ids = np.array([f"SN-{i}" for i in unique_ids(rng, len(idx), 10000, 99999)])
    fields = agency_person_fields(rng, ppl, idx, "safetynet_clients", set(src.tables["clients"].columns))
    base = ppl.iloc[idx]
    fields["aliases"] = base["street_names"].to_numpy(dtype=object)
    dob = ctx.dob(idx)
    # referred at 12 to 17 (the evaluation's youth were 15 on average when referred)
    start = np.maximum(dob + years(12), ctx.today - years(4))
    end = np.minimum(dob + years(18), ctx.today - 7 * DAY)
    referral = dates_between(rng, start, np.maximum(end, start))
    weekday = ctx.today.astype("datetime64[D]").astype(int) % 7  # 0 = Thursday: 1970-01-01 was one
    next_thu = ctx.today + ((7 - weekday) % 7 or 7) * DAY
    meeting = np.where(
        rng.random(len(idx)) < 0.2, next_thu + rng.integers(0, 3, len(idx)) * 7 * DAY, np.datetime64("NaT")
    )
    table = pd.DataFrame({"record_id": ids})
    for c in fields.columns.drop("hard_case"):
        table[c] = fields[c].to_numpy()
    table["gender_identity"] = base["gender_identity"].to_numpy(dtype=object)
    table["county"] = base["county"].to_numpy(dtype=object)
    table["referral_date"] = _as_ns(referral)
    identified = rng.random(len(idx)) < 0.45
    table["csec_status"] = np.where(identified, "identified", "at_risk")
    table["risk_factors"] = _risk_factors(rng, identified, table["gender_identity"].to_numpy())
    table["next_meeting"] = _as_ns(meeting)
    tables = {"clients": table}
    if "client_residences" in src.tables:  # sheets the source delivers (a CSV list has none)
        tables["client_residences"] = _residences(rng, ids, base, dob, ctx.today)
    if "client_services" in src.tables:
        tables["client_services"] = _services(rng, ids, referral, ctx.today)
    records = pd.DataFrame({"record_id": ids, "person": idx, "hard_case": ""})
    return Built(tables, records)


def build_probation(ctx: Context, src: SourceConfig) -> Built:
    """One row per referral; a youth may have several. Only the latest referral is usually open."""
    rng, ppl = ctx.rng, ctx.people
    age = age_years(ppl["dob"].to_numpy(), ctx.today)
    youth = select(ctx, (age >= 12) & (age < 23.5), 0.5, 0.12)
    youth_ids = np.array([f"{i:07d}" for i in unique_ids(rng, len(youth), 1_000_000, 9_999_999)])
    person_cols, records = person_rows(ctx, "probation", src, "probation_referrals", youth_ids, youth)
    n_ref = rng.choice([1, 2, 3, 4], p=[0.55, 0.25, 0.13, 0.07], size=len(youth))
    rows_p = np.repeat(youth, n_ref)
    dob = ctx.dob(rows_p)
    start = np.maximum(dob + years(11), ctx.today - years(7))
    end = np.minimum(dob + years(18), ctx.today - DAY)
    ref_date = dates_between(rng, start, np.maximum(end, start))
    frame = pd.DataFrame(
        {"record_id": np.repeat(youth_ids, n_ref), "person": rows_p, "referral_date": ref_date}
    )
    frame = frame.sort_values(["record_id", "referral_date"], kind="stable").reset_index(drop=True)
    rows_p = frame.pop("person").to_numpy()
    n = len(frame)
    latest = ~frame["record_id"].duplicated(keep="last").to_numpy()
    adult_now = age_years(ctx.dob(rows_p), ctx.today) >= 21
    active = rng.choice(
        ["probation", "wardship", "informal", "pending", "warrant", "closed"],
        p=[0.35, 0.2, 0.15, 0.1, 0.08, 0.12],
        size=n,
    )
    status = np.where(latest & ~adult_now, active, np.where(rng.random(n) < 0.9, "closed", "probation"))
    frame["referral_id"] = [
        f"R{str(d)[2:4]}-{s:06d}"
        for d, s in zip(
            frame["referral_date"].to_numpy().astype("datetime64[Y]"),
            unique_ids(rng, n, 100000, 999999),
            strict=True,
        )
    ]
    frame["supervision_status"] = status
    frame["officer"] = np.where(
        (status == "closed") & (rng.random(n) < 0.3),
        None,
        ctx.pools.officers[rng.integers(len(ctx.pools.officers), size=n)],
    )
    female = ppl["sex"].to_numpy()[rows_p] == "F"
    client = ppl["is_client"].to_numpy()[rows_p]
    girls = female & (rng.random(n) < np.where(client, 0.55, 0.1))
    frame["court"] = np.where(
        girls, "Girls' Court", np.where(rng.random(n) < 0.05, "Dual Status Court", "Juvenile Court")
    )
    placed = rng.random(n) < 0.45
    ptype = rng.choice(PROBATION_PLACEMENT_TYPES, p=[0.3, 0.1, 0.15, 0.15, 0.15, 0.1, 0.05], size=n)
    frame["placement_type"] = np.where(placed, ptype, None)
    frame["facility"] = [
        pools.FACILITIES[t][rng.integers(len(pools.FACILITIES[t]))] if pl else None
        for t, pl in zip(ptype, placed, strict=True)
    ]
    ref = frame["referral_date"].to_numpy().astype("datetime64[D]")
    pstart = dates_between(rng, ref, np.minimum(ref + 120 * DAY, ctx.today))
    pend = pstart + rng.integers(7, 400, size=n) * DAY
    open_now = (status != "closed") & (rng.random(n) < 0.6)
    pend = np.where(open_now | (pend >= ctx.today), np.datetime64("NaT"), pend)
    frame["placement_start"] = _as_ns(np.where(placed, pstart, np.datetime64("NaT")))
    frame["placement_end"] = _as_ns(np.where(placed, pend, np.datetime64("NaT")))
    frame["referral_date"] = _as_ns(ref)
    return Built({"probation_referrals": attach(frame, person_cols)}, records)


def _cws_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """CWS/CMS-style 19-digit ids written 0000-0000-0000-0000000."""
    a = unique_ids(rng, n, 10**14, 10**15 - 1)
    b = rng.integers(1000, 9999, size=n)
    return np.array([f"{b[i]:04d}-{str(a[i])[:4]}-{str(a[i])[4:8]}-{str(a[i])[8:15]}" for i in range(n)])


def build_social_services(ctx: Context, src: SourceConfig) -> Built:
    """Welfare clients (a few with a duplicate client id), referrals, placement episodes."""
    rng, ppl = ctx.rng, ctx.people
    age = age_years(ppl["dob"].to_numpy(), ctx.today)
    kids = select(ctx, age >= 11, 0.6, 0.15)
    dup = rng.random(len(kids)) < 0.03  # the same child entered twice: a second client id
    persons = np.concatenate([kids, kids[dup]])
    ids = _cws_ids(rng, len(persons))
    person_cols, records = person_rows(ctx, "social_services", src, "welfare_clients", ids, persons)
    twice = np.concatenate([dup, np.ones(dup.sum(), bool)])
    records.loc[twice, "hard_case"] = [
        f"{h}|multiple_ids" if h else "multiple_ids" for h in records.loc[twice, "hard_case"]
    ]
    clients = person_cols.reset_index()
    n_ref = rng.choice([1, 2, 3, 4], p=[0.4, 0.3, 0.2, 0.1], size=len(persons))
    rp = np.repeat(persons, n_ref)
    rid = np.repeat(ids, n_ref)
    dob = ctx.dob(rp)
    start = np.maximum(dob, ctx.today - years(12))
    received = dates_between(rng, start, np.minimum(dob + years(18), ctx.today - DAY))
    client = ppl["is_client"].to_numpy()[rp]
    m = len(rp)
    allegation = np.where(
        client,
        rng.choice(pools.ALLEGATIONS, p=pools.ALLEGATION_P_CLIENT, size=m),
        rng.choice(pools.ALLEGATIONS, p=pools.ALLEGATION_P_OTHER, size=m),
    )
    disposition = rng.choice(
        ["substantiated", "inconclusive", "unfounded", "evaluated_out"], p=[0.32, 0.25, 0.25, 0.18], size=m
    )
    referrals = pd.DataFrame(
        {
            "referral_id": _cws_ids(rng, m),
            "record_id": rid,
            "referral_date": _as_ns(received),
            "allegation_type": allegation,
            "disposition": disposition,
        }
    )
    subst = referrals[referrals["disposition"] == "substantiated"].drop_duplicates("record_id")
    placed = subst[rng.random(len(subst)) < 0.7]
    n_ep = rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2], size=len(placed))
    ep_id = np.repeat(placed["record_id"].to_numpy(), n_ep)
    first = np.repeat(placed["referral_date"].to_numpy().astype("datetime64[D]"), n_ep)
    k = len(ep_id)
    # one placement at a time: an episode begins when (or after) the one before it ended; half the
    # moves are same-day transfers, the rest follow a spell at home or on the run
    stay = rng.integers(10, 500, size=k)
    gap = np.where(rng.random(k) < 0.5, 0, rng.integers(1, 200, size=k))
    step = stay + gap
    group = np.repeat(np.arange(len(n_ep)), n_ep)
    before = np.cumsum(step) - step  # days of the earlier episodes (and gaps), over all groups
    offset = before - before[np.cumsum(n_ep) - n_ep][group] if k else before  # ... within the youth's
    delay = rng.integers(0, 60, size=len(n_ep))[group]  # from the referral to the first placement
    st = first + (delay + offset) * DAY
    en = st + stay * DAY
    keep = st < ctx.today
    en = np.where(en >= ctx.today, np.datetime64("NaT"), en)
    ptype = rng.choice(WELFARE_PLACEMENT_TYPES, p=[0.3, 0.25, 0.12, 0.1, 0.1, 0.05, 0.08], size=k)
    placements = pd.DataFrame(
        {
            "episode_id": [f"EP{i:08d}" for i in unique_ids(rng, k, 10**7, 10**8 - 1)],
            "record_id": ep_id,
            "placement_type": ptype,
            "start_date": _as_ns(st),
            "end_date": _as_ns(en),
        }
    )[keep].reset_index(drop=True)
    return Built(
        {"welfare_clients": clients, "welfare_referrals": referrals, "welfare_placements": placements},
        records,
    )
