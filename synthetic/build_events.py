"""Builders for school districts (enrolment years) and police arrest logs (bookings with charges)."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from integrations.config import SourceConfig
from synthetic import pools
from synthetic.context import (
    Built,
    Context,
    attach,
    dates_between,
    home_city,
    person_rows,
    select,
    unique_ids,
    years,
)
from synthetic.population import DAY, age_years

#: known agencies' ORIs; another arrest-log source gets a stable made-up one
ORIS = {"oakland_pd": "CA0010900", "alameda_so": "CA0010000"}


def _ns(d: np.ndarray) -> np.ndarray:
    return pd.to_datetime(d).astype("datetime64[ns]").to_numpy()


def _schools(city: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if city in pools.SCHOOLS_BY_CITY:
        return pools.SCHOOLS_BY_CITY[city]
    place = city or "County"
    return ((f"{place} Middle", f"{place} Community Middle"), (f"{place} High", f"{place} Continuation High"))


def build_school_district(ctx: Context, src: SourceConfig) -> Built:
    """One row per student per school year (grades 6-12) over the last four school years."""
    rng, ppl, today = ctx.rng, ctx.people, ctx.today
    city = home_city(src)
    cur = ctx.as_of.year if (ctx.as_of.month, ctx.as_of.day) >= (8, 10) else ctx.as_of.year - 1
    sy = np.arange(cur - 3, cur + 1)
    sept = np.array([f"{y}-09-01" for y in sy], dtype="datetime64[D]")
    dob = ppl["dob"].to_numpy().astype("datetime64[D]")
    grade = np.floor(age_years(dob[:, None], sept[None, :])).astype(int) - 5  # age on Sep 1 minus 5
    in_grades = (grade >= 6) & (grade <= 12)
    students = select(ctx, in_grades.any(axis=1), 0.6, 0.7, city=city, p_client_out=0.2, p_other_out=0.03)
    take = in_grades[students] & (rng.random((len(students), len(sy))) < 0.9)
    s_idx, y_idx = np.nonzero(take)
    person = students[s_idx]
    # a child re-enrolled after leaving the district gets a second district id for the earlier years
    two_ids = rng.random(len(students)) < 0.06
    ids_main = unique_ids(rng, len(students), 100000, 999999)
    ids_old = unique_ids(rng, len(students), 1000000, 9999999)
    first_year = pd.Series(y_idx).groupby(s_idx).transform("min").to_numpy()
    use_old = (
        two_ids[s_idx] & (y_idx == first_year) & (pd.Series(y_idx).groupby(s_idx).transform("nunique") > 1)
    )
    rec = np.where(use_old, ids_old[s_idx], ids_main[s_idx]).astype(str)
    uniq, first_pos = np.unique(rec, return_index=True)
    person_cols, records = person_rows(
        ctx, "school_district", src, "school_enrollments", uniq, person[first_pos]
    )
    multi = np.isin(records["person"].to_numpy(), students[two_ids]) & np.isin(
        records["person"].to_numpy(), person[use_old]
    )
    records.loc[multi, "hard_case"] = [
        f"{h}|multiple_ids" if h else "multiple_ids" for h in records.loc[multi, "hard_case"]
    ]
    n = len(person)
    year = sy[y_idx]
    g = grade[person, y_idx]
    middle, high = _schools(city)
    pick = zlib.crc32(src.name.encode())  # a student stays at one school per level (stable per person)
    school = np.where(
        g <= 8,
        np.array(middle)[(person + pick) % len(middle)],
        np.array(high)[(person * 7 + pick) % len(high)],
    )
    y0 = np.array([f"{y}-08-12" for y in year], dtype="datetime64[D]")
    start = y0 + rng.integers(0, 4, size=n) * DAY
    late = rng.random(n) < 0.12
    start = np.where(late, start + rng.integers(10, 150, size=n) * DAY, start)
    end = np.array([f"{y + 1}-06-05" for y in year], dtype="datetime64[D]")
    early = rng.random(n) < 0.08
    end = np.where(early, start + rng.integers(30, 200, size=n) * DAY, end)
    end = np.where(end >= today, np.datetime64("NaT"), end)
    keep = start < today
    stop = np.where(np.isnat(end), today, end)
    enrolled = np.maximum(np.floor(np.busday_count(start, stop) * 0.86).astype(int), 1)
    client = ppl["is_client"].to_numpy()[person]
    chronic = rng.random(n) < np.where(client, 0.5, 0.2)
    rate = np.where(chronic, rng.uniform(0.10, 0.45, n), rng.uniform(0.0, 0.095, n))
    absent = np.minimum(np.floor(rate * enrolled).astype(int), enrolled)
    rows = pd.DataFrame(
        {
            "record_id": rec,
            "state_ssid": np.where(rng.random(n) < 0.04, None, ppl["ssid"].to_numpy()[person]),
            "school": school,
            "grade": g.astype(str),
            "school_year": [f"{y}-{(y + 1) % 100:02d}" for y in year],
            "enroll_start": _ns(start),
            "enroll_end": _ns(end),
            "days_enrolled": pd.array(enrolled, dtype="Int64"),
            "days_absent": pd.array(absent, dtype="Int64"),
        }
    )[keep]
    # a record whose only year starts after as_of has no row: it is not in the delivery at all
    records = records[records["record_id"].isin(rows["record_id"])].reset_index(drop=True)
    return Built({"school_enrollments": attach(rows, person_cols)}, records)


def _charges(
    rng: np.random.Generator,
    adult: np.ndarray,
    sex_ok: np.ndarray,
    female: np.ndarray,
    client: np.ndarray,
    when: np.ndarray,
) -> list[list[tuple[str, str]]]:
    """1-3 (code, section) per arrest, with juvenile-only WI sections and adult-only sex-trade charges.

    ``sex_ok`` marks bookings where PC 647(b) / 653.22 / 236.1(c) may appear: adult by true and by
    recorded DOB (SB 1322).
    """
    table = pools.CHARGES
    wm = np.array([c[2] for c in table], float)
    wa = np.array([c[3] for c in table], float)
    n_ch = rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1], size=len(adult))
    out: list[list[tuple[str, str]]] = []
    before_357 = when < np.datetime64("2023-01-01")
    for i in range(len(adult)):
        w = wa if adult[i] else wm
        picks = rng.choice(len(table), size=n_ch[i], replace=False, p=w / w.sum())
        charges = [(table[j][0], table[j][1]) for j in picks]
        if sex_ok[i] and female[i] and rng.random() < (0.2 if client[i] else 0.04):
            charges.insert(0, ("PC", "653.22") if before_357[i] and rng.random() < 0.3 else ("PC", "647(b)"))
        elif sex_ok[i] and not female[i] and rng.random() < 0.01:
            charges.insert(0, ("PC", "236.1(c)"))
        out.append(charges[:3])
    return out


def build_arrest_log(ctx: Context, src: SourceConfig) -> Built:
    """Bookings over the last four years; some youth are booked several times (each booking is a record)."""
    rng, ppl, today = ctx.rng, ctx.people, ctx.today
    city = home_city(src)
    age = age_years(ppl["dob"].to_numpy(), today)
    people = select(
        ctx,
        age >= 12,
        0.35 if city else 0.25,
        0.12 if city else 0.07,
        city=city,
        p_client_out=0.18,
        p_other_out=0.04,
    )
    n_arr = rng.choice([1, 2, 3, 4, 5], p=[0.58, 0.22, 0.1, 0.06, 0.04], size=len(people))
    person = np.repeat(people, n_arr)
    dob = ctx.dob(person)
    # booked at 12 or older (SB 439: no juvenile court under 12), and more often in the later teens
    first = np.maximum(dob + years(12), today - years(4))
    span = np.maximum(((today - DAY) - first).astype(int), 0)
    day = first + np.floor(rng.random(len(person)) ** 0.7 * (span + 1)).astype(int) * DAY
    # bookings at 12 and 13 are rarer still: most move to 14 or later where the youth is old enough
    at = np.floor(age_years(dob, day)).astype(int)
    later = (rng.random(len(person)) < np.select([at <= 12, at == 13], [0.8, 0.55], 0.0)) & (
        dob + years(14) < today - DAY
    )
    day = np.where(later, dates_between(rng, np.maximum(dob + years(14), first), today - DAY), day)
    hour = rng.choice(24, size=len(person), p=_HOURS)
    when = day.astype("datetime64[m]") + (hour * 60 + rng.integers(0, 60, len(person))) * np.timedelta64(
        1, "m"
    )
    order = np.argsort(when, kind="stable")
    person, when, day = person[order], when[order], day[order]
    n = len(person)
    yy = (day.astype("datetime64[Y]").astype(int) + 1970) % 100
    booking = np.array(
        [f"{y:02d}-{s:06d}" for y, s in zip(yy, np.sort(unique_ids(rng, n, 100000, 999999)), strict=True)]
    )
    person_cols, records = person_rows(ctx, "arrest_log", src, "arrests", booking, person)
    adult = age_years(ctx.dob(person), day) >= 18
    female = ppl["sex"].to_numpy()[person] == "F"
    client = ppl["is_client"].to_numpy()[person]
    # adult-only charges also need an adult DOB *as recorded*: a noisy DOB must not fake the SB 1322 flag
    recorded = person_cols["dob"].reindex(booking).to_numpy().astype("datetime64[D]")
    recorded_adult = np.isnat(recorded) | (age_years(recorded, day) >= 18)
    charges = _charges(rng, adult, adult & recorded_adult, female, client, day)
    # the deliberate data-quality signal: a few minors booked for PC 647(b) after SB 1322 (2017)
    minors = np.flatnonzero(client & ~adult & ~recorded_adult & female & (day >= np.datetime64("2017-01-01")))
    for i in rng.choice(minors, size=min(len(minors), 3), replace=False) if len(minors) else []:
        charges[i] = [("PC", "647(b)"), *charges[i][:2]]
        records.loc[i, "hard_case"] = "|".join(x for x in (records.at[i, "hard_case"], "minor_647b") if x)
    texts = ["|".join(pools.charge_text(rng, c, s) for c, s in ch) for ch in charges]
    ori = ORIS.get(src.name) or f"CA001{zlib.crc32(src.name.encode()) % 10000:04d}"
    rows = pd.DataFrame(
        {"record_id": booking, "agency_ori": ori, "arrest_datetime": _ns(when), "charges": texts}
    )
    # the true charges, for the measures' ground truth (not a canonical column: conform drops it)
    rows["true_charges"] = ["|".join(f"{c} {s}" for c, s in ch) for ch in charges]
    return Built({"arrests": attach(rows, person_cols)}, records)


_HOURS = np.array([4, 3, 2, 2, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 7, 6, 5], float)
_HOURS /= _HOURS.sum()
