"""The synthetic population: youth aged ~11-24 living in and around Alameda County, in households.

One row per person with their *true* identity. ``clients`` of them are SafetyNet clients (mostly
girls 12-17 when referred); look-alikes are added on purpose: twins of clients (same DOB, surname and
address, another first name) and girls sharing a client's common name with a birthday days apart.
Everything is drawn with numpy from one seeded generator, so the same seed gives the same people.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from synthetic import pools
from synthetic.pools import NamePools

DAY = np.timedelta64(1, "D")
YEAR_DAYS = 365.25


def age_years(dob: np.ndarray, on: np.ndarray | np.datetime64) -> np.ndarray:
    """Age in (fractional) years at ``on``; NaT-safe callers only."""
    return (np.asarray(on, dtype="datetime64[D]") - dob.astype("datetime64[D]")).astype(float) / YEAR_DAYS


def _pick(rng: np.random.Generator, pool_by_race: dict[str, np.ndarray], races: np.ndarray) -> np.ndarray:
    """One name per row from the pool of that row's race (vectorised per race)."""
    out = np.empty(len(races), dtype=object)
    for race in np.unique(races):
        idx = np.flatnonzero(races == race)
        pool = pool_by_race[race]
        out[idx] = pool[rng.integers(len(pool), size=len(idx))]
    return out


def _first_names(rng: np.random.Generator, p: NamePools, races: np.ndarray, female: np.ndarray) -> np.ndarray:
    out = np.empty(len(races), dtype=object)
    out[female] = _pick(rng, p.female, races[female])
    out[~female] = _pick(rng, p.male, races[~female])
    return out


def _households(rng: np.random.Generator, p: NamePools, n_people: int) -> pd.DataFrame:
    sizes = rng.choice([1, 2, 3], p=[0.5, 0.33, 0.17], size=n_people)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n_people) + 1]
    h = len(sizes)
    race = rng.choice(pools.RACES, p=pools.POPULATION_RACE_P, size=h)
    last = _pick(rng, p.last, race)
    # double surnames ("García López") in a quarter of Hispanic households
    compound = (race == "Hispanic") & (rng.random(h) < 0.25)
    second = _pick(rng, p.last, np.full(h, "Hispanic"))
    compound &= second != last
    # the client list / school record writes the double surname with a hyphen or a space
    joiner = np.where(rng.random(h) < 0.5, "-", " ")
    last = np.where(compound, np.char.add(np.char.add(last.astype(str), joiner), second.astype(str)), last)
    city_names = list(pools.CITIES)
    weights = np.array([pools.CITIES[c][1] for c in city_names])
    city = rng.choice(city_names, p=weights / weights.sum(), size=h)
    zips = np.array([pools.CITIES[c][0][rng.integers(len(pools.CITIES[c][0]))] for c in city])
    number = rng.integers(100, 9999, size=h)
    street = p.streets[rng.integers(len(p.streets), size=h)]
    unit = np.where(rng.random(h) < 0.3, np.char.add(" Apt ", rng.integers(1, 40, size=h).astype(str)), "")
    address = np.char.add(np.char.add(np.char.add(number.astype(str), " "), street.astype(str)), unit)
    return pd.DataFrame(
        {
            "size": sizes,
            "race": race,
            "last_name": last,
            "compound": compound,
            "address": address,
            "city": city,
            "zip": zips,
        }
    )


def make_population(
    rng: np.random.Generator, p: NamePools, n_people: int, n_clients: int, as_of: date
) -> pd.DataFrame:
    """``n_people`` youth plus deliberate look-alikes; ``is_client`` marks ``n_clients`` of them."""
    today = np.datetime64(as_of, "D")
    hh = _households(rng, p, n_people)
    household = np.repeat(np.arange(len(hh)), hh["size"].to_numpy())[:n_people]
    rank = np.concatenate([np.arange(s) for s in hh["size"]])[:n_people]
    people = hh.iloc[household].reset_index(drop=True).drop(columns="size")
    people["household"] = household
    n = len(people)
    multi = rng.random(n) < 0.07
    people.loc[multi, "race"] = "Multiracial"
    female = rng.random(n) < 0.5
    races = people["race"].to_numpy()
    people["first_name"] = _first_names(rng, p, races, female)
    has_middle = rng.random(n) < 0.6
    middle = np.where(
        female,
        p.middle_f[rng.integers(len(p.middle_f), size=n)],
        p.middle_m[rng.integers(len(p.middle_m), size=n)],
    )
    people["middle_name"] = np.where(has_middle & (middle != people["first_name"].to_numpy()), middle, None)
    people["sex"] = np.where(female, "F", "M")
    # siblings are 1-4 years apart: household base age plus rank * gap
    base = rng.uniform(11.0, 22.5, size=len(hh))[household]
    gap = rng.uniform(1.1, 4.0, size=n)
    age = np.minimum(base + rank * gap, 24.9)
    people["dob"] = today - np.round(age * YEAR_DAYS).astype(int) * DAY
    people["is_client"] = False
    people["relation"] = None
    people["related_person"] = -1
    people["gender_identity"] = np.where(female, "cisgender female", "cisgender male")
    people["street_names"] = None
    people = _choose_clients(rng, people, n_clients, today)
    people = _add_twins(rng, p, people)
    people = _add_lookalikes(rng, p, people)
    people = _client_identity(rng, p, people)
    people["county"] = people["city"].map(lambda c: pools.COUNTY_OF.get(c, "Alameda"))
    people["person_id"] = [f"Y{i:06d}" for i in range(len(people))]
    # the statewide student id (SSID) follows a child across districts
    people["ssid"] = (rng.choice(9 * 10**8, size=len(people), replace=False) + 10**9).astype(str)
    in_client_home = people.groupby("household")["is_client"].transform("any")
    sib = in_client_home & ~people["is_client"] & people["relation"].isna()
    people.loc[sib, "relation"] = "sibling"
    return people


def _choose_clients(
    rng: np.random.Generator, people: pd.DataFrame, k: int, today: np.datetime64
) -> pd.DataFrame:
    age = age_years(people["dob"].to_numpy(), today)
    w = np.where(people["sex"] == "F", 10.0, 1.2)
    w *= np.where((age >= 12.5) & (age <= 21.0), 1.0, 0.0)
    ratio = dict(
        zip(pools.RACES, np.array(pools.CLIENT_RACE_P) / np.array(pools.POPULATION_RACE_P), strict=True)
    )
    w *= people["race"].map(ratio).to_numpy()
    k = min(k, int((w > 0).sum()))
    chosen = rng.choice(len(people), size=k, replace=False, p=w / w.sum())
    people.loc[chosen, "is_client"] = True
    return people


def _add_twins(rng: np.random.Generator, p: NamePools, people: pd.DataFrame) -> pd.DataFrame:
    """Twins of ~5% of clients: a NON-client with the same DOB, surname and address."""
    clients = np.flatnonzero(people["is_client"].to_numpy())
    k = max(1, round(0.05 * len(clients)))
    src = rng.choice(clients, size=min(k, len(clients)), replace=False)
    twins = people.iloc[src].copy()
    twins["is_client"] = False
    twins["relation"] = "twin"
    twins["related_person"] = src
    female = (twins["sex"] == "F").to_numpy()
    names = _first_names(rng, p, twins["race"].to_numpy(), female)
    same = names == twins["first_name"].to_numpy()
    names[same] = _first_names(rng, p, twins["race"].to_numpy()[same], female[same])
    twins["first_name"] = names
    twins["gender_identity"] = np.where(female, "cisgender female", "cisgender male")
    return pd.concat([people, twins], ignore_index=True)


def _add_lookalikes(rng: np.random.Generator, p: NamePools, people: pd.DataFrame) -> pd.DataFrame:
    """Girls who share a client's common first+last name, born days apart, living elsewhere."""
    cand = np.flatnonzero(
        (
            people["is_client"]
            & (people["sex"] == "F")
            & people["relation"].isna()
            & ~people["household"].duplicated(keep=False)
        ).to_numpy()
    )
    if len(cand) == 0:
        return people
    k = max(1, round(0.04 * people["is_client"].sum()))
    src = rng.choice(cand, size=min(k, len(cand)), replace=False)
    for i in src:  # a handful of rows: a plain loop reads better than vectorising
        pairs = pools.COMMON_GIRL_NAMES[people.at[i, "race"]]
        first, last = pairs[int(rng.integers(len(pairs)))]
        people.at[i, "first_name"], people.at[i, "last_name"] = first, last
        people.at[i, "compound"] = False
    look = people.iloc[src].copy()
    look["is_client"] = False
    look["relation"] = "lookalike"
    look["related_person"] = src
    shift = rng.integers(1, 40, size=len(src)) * rng.choice([-1, 1], size=len(src))
    look["dob"] = look["dob"].to_numpy() + shift * DAY
    others = people.iloc[rng.integers(len(people), size=len(src))]
    for col in ("address", "city", "zip"):
        look[col] = others[col].to_numpy()
    look["household"] = people["household"].max() + 1 + np.arange(len(src))
    look["middle_name"] = p.middle_f[rng.integers(len(p.middle_f), size=len(src))]
    return pd.concat([people, look], ignore_index=True)


def _client_identity(rng: np.random.Generator, p: NamePools, people: pd.DataFrame) -> pd.DataFrame:
    """Gender identity, chosen names and street names of clients (agencies often use legal names)."""
    people["legal_first"] = people["first_name"]
    people["client_sex"] = people["sex"]
    c = np.flatnonzero(people["is_client"].to_numpy())
    birth_f = people["sex"].to_numpy()[c] == "F"
    u = rng.random(len(c))
    gi = np.where(
        birth_f,
        np.where(u < 0.93, "cisgender female", np.where(u < 0.96, "transgender male", "non-binary")),
        np.where(u < 0.55, "transgender female", np.where(u < 0.9, "cisgender male", "non-binary")),
    )
    people.loc[c, "gender_identity"] = gi
    races = people["race"].to_numpy()[c]
    tf, tm = gi == "transgender female", gi == "transgender male"
    chosen = people["first_name"].to_numpy()[c].copy()
    chosen[tf] = _pick(rng, p.female, races[tf])
    chosen[tm] = _pick(rng, p.male, races[tm])
    people.loc[c, "first_name"] = chosen  # the client list uses the chosen name
    people.loc[c, "client_sex"] = np.where(
        tf, "F", np.where(tm, "M", np.where(gi == "non-binary", "X", people["sex"].to_numpy()[c]))
    )
    fem_id = people["client_sex"].to_numpy() != "M"
    street = np.where(
        fem_id,
        np.array(pools.STREET_NAMES_F)[rng.integers(len(pools.STREET_NAMES_F), size=len(people))],
        np.array(pools.STREET_NAMES_M)[rng.integers(len(pools.STREET_NAMES_M), size=len(people))],
    )
    has = rng.random(len(people)) < np.where(people["is_client"], 0.55, 0.06)
    people["street_names"] = np.where(has, street, None)
    return people
