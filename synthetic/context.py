"""Shared state and helpers of the per-kind builders: who is in a source, ids, dates, person rows."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from integrations.config import SourceConfig
from integrations.kinds import PERSON_FIELDS
from synthetic import pools
from synthetic.knobs import DEFAULT_KNOBS, GeneratorKnobs
from synthetic.noise import agency_person_fields
from synthetic.pools import NamePools
from synthetic.population import DAY, YEAR_DAYS

#: kinds of source that hold adults as well as youth (a parent sharing a youth's name)
ADULT_KINDS = frozenset({"arrest_log"})


@dataclass
class Context:
    rng: np.random.Generator
    people: pd.DataFrame
    pools: NamePools
    as_of: date
    knobs: GeneratorKnobs = field(default=DEFAULT_KNOBS)
    #: the kind of source being built (None: any; parents are then left out)
    kind: str | None = None

    @property
    def today(self) -> np.datetime64:
        return np.datetime64(self.as_of, "D")

    def dob(self, idx: np.ndarray) -> np.ndarray:
        return self.people["dob"].to_numpy().astype("datetime64[D]")[idx]


@dataclass
class Built:
    """A builder's result: canonical tables and one row per agency person record for the truth files."""

    tables: dict[str, pd.DataFrame]
    #: record_id, person (population index), hard_case
    records: pd.DataFrame


def source_rng(seed: int, source: str) -> np.random.Generator:
    """An independent stream per source, so adding a source does not reshuffle the others."""
    return np.random.default_rng([seed, zlib.crc32(source.encode())])


def home_city(src: SourceConfig) -> str | None:
    """The city an agency serves, read from its name ("Oakland Unified...", not "Alameda County...")."""
    text = re.sub(r"Alameda County", "", f"{src.agency} {src.name.replace('_', ' ')}", flags=re.I)
    for city in sorted(pools.CITIES, key=len, reverse=True):
        if re.search(rf"\b{re.escape(city)}\b", text, flags=re.I):
            return city
    return None


def select(
    ctx: Context,
    eligible: np.ndarray,
    p_client: float,
    p_other: float,
    city: str | None = None,
    p_client_out: float | None = None,
    p_other_out: float | None = None,
) -> np.ndarray:
    """Population indices in one source: a share of clients and a share of everyone else.

    With a ``city``, residents get ``p_client``/``p_other`` and everyone else the ``*_out`` rates.
    Relatives of clients (twins, siblings, same-name parents, namesakes) join at the rate of everyone
    else, as they do in agency data. Parents are adults: only sources of an ``ADULT_KINDS`` kind hold
    them.
    """
    ppl = ctx.people
    if ctx.kind not in ADULT_KINDS:
        eligible = eligible & (ppl["generation"] == "youth").to_numpy()
    resident = np.ones(len(ppl), bool) if city is None else (ppl["city"] == city).to_numpy()
    is_client = ppl["is_client"].to_numpy()
    pc = np.where(resident, p_client, p_client if p_client_out is None else p_client_out)
    po = np.where(resident, p_other, p_other if p_other_out is None else p_other_out)
    u = ctx.rng.random(len(ppl))
    return np.flatnonzero(eligible & np.where(is_client, u < pc, u < po))


def unique_ids(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """``n`` distinct random integers in [low, high); a digit more on ``high`` (and on ``low``, so
    every id keeps one width) whenever a benchmark asks for more ids than the range holds."""
    while n > high - low:
        low, high = low * 10, high * 10
    return rng.choice(high - low, size=n, replace=False) + low


def dates_between(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A uniform date in [start, end] per row (end clipped to start)."""
    span = np.maximum((end - start).astype(int), 0)
    return start + np.floor(rng.random(len(start)) * (span + 1)).astype(int) * DAY


def years(n: float) -> np.timedelta64:
    return np.timedelta64(int(round(n * YEAR_DAYS)), "D")


def person_rows(
    ctx: Context, kind: str, src: SourceConfig, table: str, record_ids: np.ndarray, persons: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Noisy person columns per distinct agency record id, and the truth rows for them.

    Returns (person columns indexed by record_id, records frame). One noise draw per record id, so
    every row of one youth id (several referrals, several school years) carries the same identity.
    """
    mapped = set(src.tables[table].columns)
    fields = agency_person_fields(ctx.rng, ctx.people, persons, kind, mapped, ctx.knobs)
    fields.insert(0, "record_id", record_ids)
    records = pd.DataFrame({"record_id": record_ids, "person": persons, "hard_case": fields["hard_case"]})
    return fields.drop(columns="hard_case").set_index("record_id"), records


def attach(rows: pd.DataFrame, person_cols: pd.DataFrame) -> pd.DataFrame:
    """Fact rows (with record_id) joined to the person columns of their record id."""
    joined = person_cols.reindex(rows["record_id"].to_numpy())
    joined = joined.reset_index(drop=True)
    rows = rows.reset_index(drop=True)
    for c in PERSON_FIELDS:
        rows[c] = joined[c].to_numpy()
    return rows
