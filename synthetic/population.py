"""The synthetic population: youth aged ~11-24 living in and around Alameda County, in households.

One row per person with their *true* identity. ``clients`` of the youth are SafetyNet clients
(mostly girls 12-17 when referred). Relatives occur at realistic rates, for clients and everyone
else alike (``synthetic.knobs.GeneratorKnobs``): siblings 1-4 years apart in one household, twins at
the US twin birth rate (a third identical, so of one sex; each twin with her own given and middle
names), and now and then a parent with the youth's own full name at the same address (an adult: only
arrest logs hold parents). A few namesakes are planted on purpose: girls sharing a client's common
name with a birthday days apart, living elsewhere. Everything is drawn with numpy from one seeded
generator, so the same seed and knobs give the same people.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import numpy as np
import pandas as pd

from synthetic import pools
from synthetic.knobs import DEFAULT_KNOBS, GeneratorKnobs
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


def _households(
    rng: np.random.Generator, p: NamePools, n_people: int, knobs: GeneratorKnobs
) -> tuple[pd.DataFrame, np.ndarray]:
    """Whole households holding about ``n_people`` youth aged 11-24, and which births are twins.

    Returns the households (births, race, surname, address) and one flag per birth (in household
    order): a twin delivery, which makes two children. With q twin deliveries per birth, the share of
    children who are twins is 2q / (1 + q): q is solved for so that share is the twin rate.
    """
    multi = rng.random(n_people) < knobs.sibling_rate
    births = np.where(multi, rng.choice([2, 3], p=[0.66, 0.34], size=n_people), 1)
    q = knobs.twin_rate / (2.0 - knobs.twin_rate)
    twin_birth = rng.random(int(births.sum())) < q
    children = np.bincount(np.repeat(np.arange(n_people), births), weights=1 + twin_birth, minlength=n_people)
    n = int(np.searchsorted(np.cumsum(children), n_people)) + 1  # whole households only
    births, twin_birth = births[:n], twin_birth[: int(births[:n].sum())]
    race = rng.choice(pools.RACES, p=pools.POPULATION_RACE_P, size=n)
    last = _pick(rng, p.last, race)
    # double surnames ("García López") in a quarter of Hispanic households
    compound = (race == "Hispanic") & (rng.random(n) < 0.25)
    second = _pick(rng, p.last, np.full(n, "Hispanic"))
    compound &= second != last
    # the client list / school record writes the double surname with a hyphen or a space
    joiner = np.where(rng.random(n) < 0.5, "-", " ")
    last = np.where(compound, np.char.add(np.char.add(last.astype(str), joiner), second.astype(str)), last)
    city_names = list(pools.CITIES)
    weights = np.array([pools.CITIES[c][1] for c in city_names])
    city = rng.choice(city_names, p=weights / weights.sum(), size=n)
    zips = np.empty(n, dtype=object)
    for c in np.unique(city):  # per city, not per household
        at = np.flatnonzero(city == c)
        zips[at] = np.array(pools.CITIES[c][0])[rng.integers(len(pools.CITIES[c][0]), size=len(at))]
    number = rng.integers(100, 9999, size=n)
    street = p.streets[rng.integers(len(p.streets), size=n)]
    unit = np.where(rng.random(n) < 0.3, np.char.add(" Apt ", rng.integers(1, 40, size=n).astype(str)), "")
    address = np.char.add(np.char.add(np.char.add(number.astype(str), " "), street.astype(str)), unit)
    frame = pd.DataFrame(
        {
            "births": births,
            "race": race,
            "last_name": last,
            "compound": compound,
            "address": address,
            "city": city,
            "zip": zips,
        }
    )
    return frame, twin_birth


def _youth(
    rng: np.random.Generator, p: NamePools, n_people: int, today: np.datetime64, knobs: GeneratorKnobs
) -> pd.DataFrame:
    """About ``n_people`` youth in whole households: siblings, twins (one birth, two children)."""
    hh, twin_birth = _households(rng, p, n_people, knobs)
    keep_hh = len(hh)
    hh_of_birth = np.repeat(np.arange(keep_hh), hh["births"].to_numpy())
    n_births = len(hh_of_birth)
    rank = np.arange(n_births) - np.searchsorted(hh_of_birth, hh_of_birth)

    # ages: siblings 1.1-4 years apart, the youngest 11 or older, the oldest under 25
    gap = np.where(rank > 0, rng.uniform(1.1, 4.0, size=n_births), 0.0)
    offset = pd.Series(gap).groupby(hh_of_birth).cumsum().to_numpy()
    span = np.bincount(hh_of_birth, weights=gap, minlength=keep_hh)
    youngest = rng.uniform(11.0, 24.9 - span)[hh_of_birth]
    birth_dob = today - np.round((youngest + offset) * YEAR_DAYS).astype(int) * DAY
    birth_female = rng.random(n_births) < 0.5
    birth_race = np.where(rng.random(n_births) < 0.07, "Multiracial", hh["race"].to_numpy()[hh_of_birth])
    # a half-sibling may carry another surname; the household's first child carries its name
    other_surname = (rank > 0) & (rng.random(n_births) < knobs.sibling_other_surname)
    birth_last = hh["last_name"].to_numpy(dtype=object)[hh_of_birth].copy()
    drawn = _pick(rng, p.last, hh["race"].to_numpy()[hh_of_birth[other_surname]])
    birth_last[other_surname] = drawn
    other_surname[other_surname] = drawn != hh["last_name"].to_numpy(dtype=object)[hh_of_birth[other_surname]]

    # children: one per birth, two per twin birth (the second is the co-twin)
    birth = np.repeat(np.arange(n_births), 1 + twin_birth)
    second = np.r_[False, birth[1:] == birth[:-1]]
    n = len(birth)
    people = hh.iloc[hh_of_birth[birth]].reset_index(drop=True).drop(columns="births")
    people["household"] = hh_of_birth[birth]
    people["race"] = birth_race[birth]
    people["last_name"] = birth_last[birth]
    people.loc[other_surname[birth], "compound"] = False
    people["dob"] = birth_dob[birth]
    # identical twins share their sex; fraternal twins' sexes are drawn by chance
    identical = twin_birth & (rng.random(n_births) < knobs.identical_twin_share)
    female = birth_female[birth].copy()
    own_draw = second & ~identical[birth]
    female[own_draw] = rng.random(int(own_draw.sum())) < 0.5
    people["sex"] = np.where(female, "F", "M")
    people["twin_of"] = -1
    first_idx = np.flatnonzero(second) - 1
    people.loc[np.flatnonzero(second), "twin_of"] = first_idx
    people.loc[first_idx, "twin_of"] = np.flatnonzero(second)
    people["identical_twin"] = identical[birth] & (people["twin_of"].to_numpy() >= 0)

    people["first_name"] = _household_first_names(rng, p, people, female)
    has_middle = rng.random(n) < 0.6
    middle = np.where(
        female,
        p.middle_f[rng.integers(len(p.middle_f), size=n)],
        p.middle_m[rng.integers(len(p.middle_m), size=n)],
    ).astype(object)
    middle[~has_middle] = None
    # a few same-sex twins share a middle name; every other twin has her own
    twin2 = np.flatnonzero(second)
    share = (female[twin2] == female[twin2 - 1]) & (rng.random(len(twin2)) < knobs.twin_shared_middle)
    shared = np.where(
        female[twin2],
        p.middle_f[rng.integers(len(p.middle_f), size=len(twin2))],
        p.middle_m[rng.integers(len(p.middle_m), size=len(twin2))],
    )
    first = people["first_name"].to_numpy()
    middle[middle == first] = None
    share &= (shared != first[twin2]) & (shared != first[twin2 - 1])
    middle[twin2[share]] = middle[twin2[share] - 1] = shared[share]
    people["middle_name"] = middle
    people["generation"] = "youth"
    people["is_client"] = False
    people["relation"] = None
    people["related_person"] = -1
    people["gender_identity"] = np.where(female, "cisgender female", "cisgender male")
    people["street_names"] = None
    return people


def _household_first_names(
    rng: np.random.Generator, p: NamePools, people: pd.DataFrame, female: np.ndarray
) -> np.ndarray:
    """A given name per child; parents do not give two of their children one name, in any form.

    Within a household no two children get the same name, another spelling of it (Aniya, Aniyah), or
    a short form of it (Anne, Annette; Lupe, Guadalupe): the later child's name is drawn again.
    """
    races = people["race"].to_numpy()
    households = people["household"].to_numpy()
    names = _first_names(rng, p, races, female)
    check = np.ones(len(names), bool)
    for _ in range(8):  # a handful of rows per pass after the first
        clash = _name_clashes(households, names, check)
        if not clash.any():
            break
        idx = np.flatnonzero(clash)
        names[idx] = _first_names(rng, p, races[idx], female[idx])
        check = np.isin(households, households[idx])
    return names


def _name_key(name: str) -> str:
    """A spelling-blind key: the formal name of a short form, no accents or h, y as i, no doubles."""
    name = _FORMAL_OF.get(name, name)
    plain = unicodedata.normalize("NFD", name.lower())
    plain = "".join(c for c in plain if c.isalpha() and c != "h" and unicodedata.category(c) != "Mn")
    plain = plain.replace("y", "i")
    return "".join(c for i, c in enumerate(plain) if i == 0 or c != plain[i - 1])


def _name_clashes(households: np.ndarray, names: np.ndarray, check: np.ndarray) -> np.ndarray:
    """Rows (among ``check``) whose name is another form of an earlier child's name in the household."""
    out = np.zeros(len(names), bool)
    seen: dict[int, list[str]] = {}
    rows = np.flatnonzero(check & pd.Series(households).duplicated(keep=False).to_numpy())
    distinct, at = np.unique(names[rows].astype(str), return_inverse=True)
    keys = [_name_key(v) for v in distinct]
    for i, k in zip(rows, at, strict=True):
        key = keys[k]
        earlier = seen.setdefault(int(households[i]), [])
        # the same key, or one a prefix of the other (a clipped form: Anne / Annette, Dan / Daniel)
        if any(
            k == key or (min(len(k), len(key)) >= 3 and (k.startswith(key) or key.startswith(k)))
            for k in earlier
        ):
            out[i] = True
        else:
            earlier.append(key)
    return out


_FORMAL_OF = {nick: formal for formal, nicks in pools.NICKNAMES.items() for nick in nicks}


def make_population(
    rng: np.random.Generator,
    p: NamePools,
    n_people: int,
    n_clients: int,
    as_of: date,
    knobs: GeneratorKnobs = DEFAULT_KNOBS,
) -> pd.DataFrame:
    """About ``n_people`` youth in households (whole households, twins included), planted namesakes
    and same-name parents; ``is_client`` marks ``n_clients`` of the youth."""
    today = np.datetime64(as_of, "D")
    people = _youth(rng, p, n_people, today, knobs)
    people = _choose_clients(rng, people, n_clients, today)
    people = _add_lookalikes(rng, p, people, knobs.lookalike_rate)
    people = _add_parents(rng, p, people, today, knobs)
    people = _client_identity(rng, p, people)
    people["county"] = people["city"].map(lambda c: pools.COUNTY_OF.get(c, "Alameda"))
    people["person_id"] = [f"Y{i:06d}" for i in range(len(people))]
    # the statewide student id (SSID) follows a child across districts
    people["ssid"] = (rng.choice(9 * 10**8, size=len(people), replace=False) + 10**9).astype(str)
    return _relations(people)


def _relations(people: pd.DataFrame) -> pd.DataFrame:
    """Each person's relation to a client, if any: twin, parent (same name), sibling, lookalike.

    A client whose co-twin is also a client is marked "twin" too: each is the other's look-alike.
    """
    is_client = people["is_client"].to_numpy()
    relation = people["relation"].to_numpy(dtype=object).copy()
    related = people["related_person"].to_numpy().copy()
    twin_of = people["twin_of"].to_numpy()
    has_twin = twin_of >= 0
    twin = np.zeros(len(people), bool)
    twin[has_twin] = is_client[twin_of[has_twin]]
    relation[twin] = "twin"
    related[twin] = twin_of[twin]
    parent_of = people["parent_of"].to_numpy()
    is_parent = parent_of >= 0
    parent = np.zeros(len(people), bool)
    parent[is_parent] = is_client[parent_of[is_parent]]
    relation[parent] = "parent"
    related[parent] = parent_of[parent]
    in_client_home = people.groupby("household")["is_client"].transform("any").to_numpy()
    youth = (people["generation"] == "youth").to_numpy()
    sib = in_client_home & youth & ~is_client & pd.isna(relation)
    relation[sib] = "sibling"
    people["relation"] = relation
    people["related_person"] = related
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


def _add_parents(
    rng: np.random.Generator, p: NamePools, people: pd.DataFrame, today: np.datetime64, knobs: GeneratorKnobs
) -> pd.DataFrame:
    """Parents who share a child's full name and address (a "Jr" and his father), as adults.

    Every youth may be a junior at the knob's rate, client or not; the co-twin of a pair never is
    (one twin at most is named for a parent). The parent is 18-42 years older; most share the middle
    name too.
    """
    female = (people["sex"] == "F").to_numpy()
    rate = np.where(female, knobs.junior_rate_female, knobs.junior_rate_male)
    second_twin = people["twin_of"].to_numpy() >= 0
    second_twin &= people["twin_of"].to_numpy() < np.arange(len(people))
    junior = np.flatnonzero(
        (rng.random(len(people)) < rate) & ~second_twin & (people["relation"] != "lookalike").to_numpy()
    )
    people["parent_of"] = -1
    if len(junior) == 0:
        return people
    parents = people.iloc[junior].copy()
    parents["generation"] = "parent"
    parents["parent_of"] = junior
    parents["twin_of"] = -1
    parents["identical_twin"] = False
    parents["is_client"] = False
    older = rng.uniform(18.0, 42.0, size=len(junior))
    parents["dob"] = parents["dob"].to_numpy() - np.round(older * YEAR_DAYS).astype(int) * DAY
    pf = female[junior]
    own_middle = np.where(
        pf,
        p.middle_f[rng.integers(len(p.middle_f), size=len(junior))],
        p.middle_m[rng.integers(len(p.middle_m), size=len(junior))],
    )
    keep_middle = rng.random(len(junior)) < 0.7
    parents["middle_name"] = np.where(keep_middle, parents["middle_name"].to_numpy(dtype=object), own_middle)
    return pd.concat([people, parents], ignore_index=True)


def _add_lookalikes(
    rng: np.random.Generator, p: NamePools, people: pd.DataFrame, rate: float
) -> pd.DataFrame:
    """Girls who share a client's common first+last name, born days apart, living elsewhere.

    For ``rate`` of the clients (an only child, so no sibling shares the new name) the client's name
    becomes a common one and a namesake is added.
    """
    cand = np.flatnonzero(
        (
            people["is_client"]
            & (people["sex"] == "F")
            & people["relation"].isna()
            & ~people["household"].duplicated(keep=False)
        ).to_numpy()
    )
    k = round(rate * people["is_client"].sum())
    if len(cand) == 0 or k == 0:
        return people
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
