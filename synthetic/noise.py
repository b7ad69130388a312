"""How an agency's copy of a person differs from who they are: the hard cases matching must survive.

``agency_person_fields`` takes one row per agency person record (with the true identity from the
population) and returns the canonical person columns as that agency recorded them, plus
``hard_case``: the "|"-joined names of the noise applied (``nickname``, ``middle_as_given``,
``other_given``, ``alias``, ``typo``, ``compound_surname``, ``name_swap``, ``dob_swap``, ``dob_typo``,
``placeholder_dob``, ``missing_dob``, ``missing_middle``, ``chosen_name``, ``sex_marker``,
``address_change``) and the person's relation to a client (``twin``, ``parent``, ``lookalike``,
``sibling``). Only noise visible in the source's mapped columns is recorded.

Rates come from the agency kind's ``NoiseProfile``; a ``GeneratorKnobs`` noise knob that is set
replaces that rate for every agency kind (``profile_for``). The client list is never changed by knobs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from synthetic import pools
from synthetic.knobs import DEFAULT_KNOBS, GeneratorKnobs

PLACEHOLDER_DOB = np.datetime64("1900-01-01", "D")


@dataclass(frozen=True)
class NoiseProfile:
    """Per-record probabilities of each kind of noise for one kind of agency system."""

    nickname: float = 0.04
    alias: float = 0.0
    typo: float = 0.04
    compound: float = 0.5
    name_swap: float = 0.01
    dob_swap: float = 0.01
    placeholder_dob: float = 0.0
    missing_dob: float = 0.0
    missing_middle: float = 0.1
    address_change: float = 0.08
    legal_name: float = 0.6
    upper: bool = False
    #: the middle name written as the given name (the name on the birth certificate's second place)
    middle_as_given: float = 0.005
    #: an unrelated given name (a name the youth gave, a clerk's mix-up)
    other_given: float = 0.005
    #: a DOB a little off: a day, the month or the year mistyped. With ``dob_swap``, the share of
    #: records with a wrong DOB is dob_swap + dob_typo: a swap that would give the same or no date
    #: (day 13 or later, day = month) becomes a typo instead.
    dob_typo: float = 0.005


def profile_for(kind: str, knobs: GeneratorKnobs = DEFAULT_KNOBS) -> NoiseProfile:
    """The kind's profile with every noise knob that is set applied (not to the client list)."""
    prof = PROFILES[kind]
    if kind == "safetynet_clients":
        return prof
    changes: dict[str, float] = {}
    if knobs.given_name_change is not None:
        nick, middle, other = (knobs.given_name_change * w for w in knobs.given_name_mix)
        changes.update(nickname=nick, middle_as_given=middle, other_given=other)
    if knobs.dob_noise is not None:
        changes.update(dob_swap=knobs.dob_noise / 2, dob_typo=knobs.dob_noise / 2)
    if knobs.dob_missing is not None:
        changes["missing_dob"] = knobs.dob_missing
    if knobs.placeholder_dob is not None:
        changes["placeholder_dob"] = knobs.placeholder_dob
    if knobs.middle_missing is not None:
        changes["missing_middle"] = knobs.middle_missing
    if knobs.move_rate is not None:
        changes["address_change"] = knobs.move_rate
    return replace(prof, **changes)


PROFILES = {
    "safetynet_clients": NoiseProfile(
        nickname=0,
        typo=0,
        compound=0,
        name_swap=0,
        dob_swap=0,
        missing_middle=0.05,
        address_change=0,
        legal_name=0,
        middle_as_given=0,
        other_given=0,
        dob_typo=0,
    ),
    "probation": NoiseProfile(
        nickname=0.05,
        alias=0.2,
        typo=0.05,
        name_swap=0.02,
        dob_swap=0.02,
        placeholder_dob=0.005,
        missing_dob=0.01,
        missing_middle=0.2,
        other_given=0.01,
        dob_typo=0.01,
        upper=True,
    ),
    "social_services": NoiseProfile(
        nickname=0.04,
        alias=0.12,
        typo=0.04,
        dob_swap=0.02,
        placeholder_dob=0.01,
        missing_dob=0.02,
        missing_middle=0.15,
        other_given=0.01,
        dob_typo=0.01,
    ),
    "school_district": NoiseProfile(
        nickname=0.02,
        typo=0.03,
        name_swap=0.005,
        dob_swap=0.01,
        placeholder_dob=0.003,
        missing_middle=0.1,
        legal_name=0.8,
    ),
    "arrest_log": NoiseProfile(
        nickname=0.12,
        alias=0.35,
        typo=0.1,
        compound=0.6,
        name_swap=0.04,
        dob_swap=0.04,
        placeholder_dob=0.03,
        missing_dob=0.04,
        missing_middle=0.5,
        address_change=0.15,
        middle_as_given=0.01,
        other_given=0.02,
        dob_typo=0.02,
        upper=True,
    ),
}

_NEIGHBOURS = {
    "a": "sqz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "mb",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}


def _plain(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


_NICK = {**{_plain(k): v for k, v in pools.NICKNAMES.items()}, **pools.NICKNAMES}


def typo(rng: np.random.Generator, s: str) -> str:
    """One or two keyboard-style edits (substitute, drop, transpose, double a letter)."""
    for _ in range(1 + int(rng.random() < 0.3)):
        if len(s) < 3:
            break
        i = int(rng.integers(1, len(s)))
        op = int(rng.integers(4))
        ch = s[i]
        if op == 0 and ch.lower() in _NEIGHBOURS:
            rep = _NEIGHBOURS[ch.lower()][int(rng.integers(len(_NEIGHBOURS[ch.lower()])))]
            s = s[:i] + (rep.upper() if ch.isupper() else rep) + s[i + 1 :]
        elif op == 1:
            s = s[:i] + s[i + 1 :]
        elif op == 2 and i < len(s) - 1:
            s = s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        else:
            s = s[:i] + ch + s[i:]
    return s


def dob_typo(rng: np.random.Generator, dob: np.datetime64) -> np.datetime64:
    """A DOB as mistyped: the day off by 1-3, or the month or the year off by one (a valid date)."""
    d = date.fromisoformat(str(dob))
    kind = rng.random()
    step = int(rng.choice([-1, 1]))
    if kind < 0.5:
        d = d + timedelta(days=step * int(rng.integers(1, 4)))
    elif kind < 0.7:
        month = (d.month - 1 + step) % 12 + 1
        d = d.replace(month=month, day=min(d.day, 28))
    else:
        d = d.replace(year=d.year + step, day=min(d.day, 28))
    return np.datetime64(d, "D")


def agency_person_fields(
    rng: np.random.Generator,
    people: pd.DataFrame,
    rows: np.ndarray,
    kind: str,
    mapped: set[str],
    knobs: GeneratorKnobs = DEFAULT_KNOBS,
) -> pd.DataFrame:
    """The person columns one agency recorded for each of ``rows`` (population indices), plus hard_case."""
    prof = profile_for(kind, knobs)
    base = people.iloc[rows]
    n = len(rows)
    tags: list[list[str]] = [[] for _ in range(n)]

    def tag(mask: np.ndarray, name: str, column: str) -> None:
        if column in mapped:
            for i in np.flatnonzero(mask):
                tags[i].append(name)

    is_client = base["is_client"].to_numpy()
    first = base["first_name"].to_numpy(dtype=object).copy()
    last = base["last_name"].to_numpy(dtype=object).copy()
    middle = base["middle_name"].to_numpy(dtype=object).copy()
    dob = base["dob"].to_numpy().astype("datetime64[D]").copy()
    sex = base["sex"].to_numpy(dtype=object).copy()
    aliases: list[list[str]] = [[] for _ in range(n)]
    u = lambda: rng.random(n)  # noqa: E731 - a fresh uniform draw per noise kind keeps streams simple

    # transgender clients: agencies mostly hold the legal name and the sex assigned at birth
    trans = base["gender_identity"].str.startswith("transgender").to_numpy() & is_client
    legal = trans & (u() < prof.legal_name) & (kind != "safetynet_clients")
    for i in np.flatnonzero(legal):
        aliases[i].append(first[i])
    first[legal] = base["legal_first"].to_numpy(dtype=object)[legal]
    tag(legal, "chosen_name", "first_name")
    if kind == "safetynet_clients":
        sex = base["client_sex"].to_numpy(dtype=object).copy()
    else:
        nb = (base["gender_identity"] == "non-binary").to_numpy() & (u() < 0.3)
        sex[nb] = "X"
        differs = sex != base["client_sex"].to_numpy(dtype=object)
        tag(differs & is_client, "sex_marker", "sex")

    nick = u() < prof.nickname
    for i in np.flatnonzero(nick):
        options = _NICK.get(first[i]) or _NICK.get(_plain(first[i]))
        if options:
            first[i] = options[int(rng.integers(len(options)))]
        else:
            nick[i] = False
    tag(nick, "nickname", "first_name")

    # the given name in its legal form: the middle name written as the given name, no middle
    as_middle = (u() < prof.middle_as_given) & ~nick & pd.notna(middle)
    first[as_middle], middle[as_middle] = middle[as_middle], None
    tag(as_middle, "middle_as_given", "first_name")
    # an unrelated given name, one other youth of the same sex in the population has
    other_given = (u() < prof.other_given) & ~nick & ~as_middle
    if other_given.any():
        sexes = people["sex"].to_numpy()
        for code in ("F", "M"):
            pool = people["first_name"].to_numpy(dtype=object)[sexes == code]
            idx = np.flatnonzero(other_given & (base["sex"].to_numpy() == code))
            if len(pool) and len(idx):
                drawn = pool[rng.integers(len(pool), size=len(idx))]
                first[idx] = np.where(
                    drawn == first[idx], pool[rng.integers(len(pool), size=len(idx))], drawn
                )
    tag(other_given, "other_given", "first_name")

    compound = base["compound"].to_numpy() & (u() < prof.compound)
    for i in np.flatnonzero(compound):
        a, _, b = last[i].replace("-", " ").partition(" ")
        if not b:
            compound[i] = False
            continue
        variants = [v for v in (a, a, a, f"{a}-{b}", f"{a} {b}", b) if v != last[i]]
        last[i] = variants[int(rng.integers(len(variants)))]
    tag(compound, "compound_surname", "last_name")

    street = base["street_names"].to_numpy(dtype=object)
    ali = (u() < prof.alias * np.where(is_client, 2.0, 1.0)) & pd.notna(street)
    for i in np.flatnonzero(ali):
        aliases[i].append(street[i])
    other = u() < prof.alias * 0.3  # an AKA under another surname ("Jasmine Lopez")
    surnames = people["last_name"].to_numpy(dtype=object)[rng.integers(len(people), size=n)]
    for i in np.flatnonzero(other):
        aliases[i].append(f"{first[i]} {surnames[i]}")
    tag(ali | other, "alias", "aliases")

    typo_mask = u() < prof.typo
    on_first = u() < 0.5
    for i in np.flatnonzero(typo_mask):
        if on_first[i]:
            first[i] = typo(rng, first[i])
        else:
            last[i] = typo(rng, last[i])
    tag(typo_mask, "typo", "first_name")

    swap = u() < prof.name_swap
    first[swap], last[swap] = last[swap], first[swap]
    tag(swap, "name_swap", "first_name")

    had_middle = pd.notna(middle)
    drop_middle = (u() < prof.missing_middle) & had_middle
    middle[drop_middle] = None
    tag(drop_middle, "missing_middle", "middle_name")

    dob_out = dob.astype("datetime64[D]")
    y = dob_out.astype("datetime64[Y]").astype(int) + 1970
    m = dob_out.astype("datetime64[M]").astype(int) % 12 + 1
    d = (dob_out - dob_out.astype("datetime64[M]")).astype(int) + 1
    # a wrong DOB: day and month swapped where that gives another date, otherwise mistyped
    wrong = u() < prof.dob_swap + prof.dob_typo
    swap_first = u() < prof.dob_swap / max(prof.dob_swap + prof.dob_typo, 1e-12)
    dm = wrong & swap_first & (d <= 12) & (d != m)
    if dm.any():
        swapped = np.array(
            [f"{yy:04d}-{dd:02d}-{mm:02d}" for yy, mm, dd in zip(y[dm], m[dm], d[dm], strict=True)],
            dtype="datetime64[D]",
        )
        dob_out[dm] = swapped
    tag(dm, "dob_swap", "dob")
    mistyped = wrong & ~dm
    for i in np.flatnonzero(mistyped):
        dob_out[i] = dob_typo(rng, dob_out[i])
    tag(mistyped, "dob_typo", "dob")
    ph = u() < prof.placeholder_dob
    dob_out[ph] = PLACEHOLDER_DOB
    tag(ph, "placeholder_dob", "dob")
    miss = (u() < prof.missing_dob) & ~ph
    dob_out[miss] = np.datetime64("NaT")
    tag(miss, "missing_dob", "dob")

    address = base["address"].to_numpy(dtype=object).copy()
    city = base["city"].to_numpy(dtype=object).copy()
    zips = base["zip"].to_numpy(dtype=object).copy()
    moved = u() < prof.address_change
    donors = rng.integers(len(people), size=n)
    address[moved] = people["address"].to_numpy(dtype=object)[donors][moved]
    city[moved] = people["city"].to_numpy(dtype=object)[donors][moved]
    zips[moved] = people["zip"].to_numpy(dtype=object)[donors][moved]
    tag(moved, "address_change", "address")

    relation = base["relation"].to_numpy(dtype=object)
    for i in np.flatnonzero(pd.notna(relation)):
        tags[i].append(relation[i])

    if prof.upper:
        first = np.array([v.upper() if isinstance(v, str) else v for v in first], dtype=object)
        last = np.array([v.upper() if isinstance(v, str) else v for v in last], dtype=object)
        middle = np.array([v.upper() if isinstance(v, str) else v for v in middle], dtype=object)
        aliases = [[a.upper() for a in al] for al in aliases]
        address = np.array([v.upper() if isinstance(v, str) else v for v in address], dtype=object)
        city = np.array([v.upper() if isinstance(v, str) else v for v in city], dtype=object)
    return pd.DataFrame(
        {
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "aliases": ["|".join(dict.fromkeys(a)) or None for a in aliases],
            "dob": pd.to_datetime(dob_out).astype("datetime64[ns]"),
            "sex": sex,
            "race": base["race"].to_numpy(dtype=object),
            "address": address,
            "city": city,
            "zip": zips,
            "hard_case": ["|".join(t) for t in tags],
        }
    )
