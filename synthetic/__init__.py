"""Seeded synthetic deliveries for every source in config/sources.yaml, with ground truth.

``generate(out_dir, seed=7, clients=200, scale=10, as_of=None, knobs=None)`` writes the landing zone,
the truth files and the canonical benchmark tables (docs/CONTRACTS.md, "Synthetic generator").
``knobs`` (``synthetic.knobs.GeneratorKnobs``) sets the rates of relatives and of noise; the defaults
give the demo. Every person is made up by this generator; nothing here comes from real records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from integrations.config import SourceConfig, load_sources
from synthetic.build_events import build_arrest_log, build_school_district
from synthetic.build_services import build_clients, build_probation, build_social_services
from synthetic.context import Built, Context, source_rng
from synthetic.knobs import DEFAULT_KNOBS, GeneratorKnobs
from synthetic.pools import build_pools
from synthetic.population import make_population
from synthetic.truth import truth_frames, write_canonical, write_truth
from synthetic.truth_measures import truth_measures
from synthetic.writers import conform, delivery_name, write_source

#: kind -> builder of its canonical tables; a new source of a known kind needs only config
BUILDERS = {
    "safetynet_clients": build_clients,
    "probation": build_probation,
    "social_services": build_social_services,
    "school_district": build_school_district,
    "arrest_log": build_arrest_log,
}


@dataclass
class Generated:
    """Where a generated delivery set lives and its ground truth."""

    out_dir: Path
    landing_dir: Path
    files: dict[str, Path]
    truth_links: pd.DataFrame
    truth_persons: pd.DataFrame
    as_of: date
    #: source -> canonical table -> rows written (handy for tests and timings)
    row_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: per client, the derived measures' true values on ``as_of`` (truth/measures.csv)
    truth_measures: pd.DataFrame | None = None


def generate(
    out_dir: Path | str,
    seed: int = 7,
    clients: int = 200,
    scale: int = 10,
    as_of: date | None = None,
    sources: dict[str, SourceConfig] | None = None,
    knobs: GeneratorKnobs | None = None,
) -> Generated:
    """Write one delivery per source, truth/ and canonical/ under ``out_dir``; same arguments, same bytes.

    ``as_of`` (default today) is the delivery date stamped into file names and the end of every
    date range. ``scale`` is population size per client: most agency rows are not clients.
    ``knobs`` (default ``GeneratorKnobs()``) sets the rates of twins, siblings and noise.
    """
    out_dir = Path(out_dir)
    as_of = as_of or date.today()
    built = _build(seed, clients, scale, as_of, sources, knobs or DEFAULT_KNOBS)
    landing = out_dir / "landing"
    files: dict[str, Path] = {}
    counts: dict[str, dict[str, int]] = {}
    for name, (src, _, tables) in built.sources.items():
        path = landing / src.landing / delivery_name(src, as_of)
        write_source(src, tables, path, as_of)
        files[name] = path
        counts[name] = {t: len(f) for t, f in tables.items()}
    persons, links = _truth(built)
    write_truth(out_dir / "truth", persons, links)
    measures = truth_measures(
        built.sources[built.client_src][2]["clients"],
        {n: (s.kind, _with_true_charges(t, b)) for n, (s, b, t) in built.agency.items()},
        links,
        as_of,
    )
    measures.to_csv(out_dir / "truth" / "measures.csv", index=False, lineterminator="\n")
    _write_canonical(out_dir / "canonical", built, links)
    return Generated(out_dir, landing, files, links, persons, as_of, counts, measures)


def _with_true_charges(tables: dict[str, pd.DataFrame], built: Built) -> dict[str, pd.DataFrame]:
    """The conformed tables, arrests with the builder's true charges beside the agency's text."""
    if "arrests" not in tables:
        return tables
    true = built.tables["arrests"]["true_charges"].to_numpy()
    return {**tables, "arrests": tables["arrests"].assign(true_charges=true)}


def generate_canonical(
    out_dir: Path | str,
    seed: int = 7,
    clients: int = 200,
    scale: int = 10,
    as_of: date | None = None,
    sources: dict[str, SourceConfig] | None = None,
    knobs: GeneratorKnobs | None = None,
) -> dict[str, int]:
    """Only the canonical benchmark tables (``out_dir``/clients.csv, records.csv, truth.csv).

    The same people and rows as ``generate`` with the same arguments, without writing the agency
    deliveries (XLSX writing dominates at a million rows): for matcher benchmarks at scale.
    Returns the row counts of the three files.
    """
    as_of = as_of or date.today()
    built = _build(seed, clients, scale, as_of, sources, knobs or DEFAULT_KNOBS)
    _, links = _truth(built)
    return _write_canonical(Path(out_dir), built, links)


@dataclass
class _BuiltSet:
    """Every source's canonical tables as its reader will see them (name -> (config, built, tables))."""

    people: pd.DataFrame
    sources: dict[str, tuple[SourceConfig, Built, dict[str, pd.DataFrame]]]
    client_src: str

    @property
    def agency(self) -> dict[str, tuple[SourceConfig, Built, dict[str, pd.DataFrame]]]:
        return {n: v for n, v in self.sources.items() if n != self.client_src}


def _build(
    seed: int,
    clients: int,
    scale: int,
    as_of: date,
    sources: dict[str, SourceConfig] | None,
    knobs: GeneratorKnobs,
) -> _BuiltSet:
    if clients < 1 or scale < 1:
        raise ValueError("clients and scale must be at least 1")
    sources = sources if sources is not None else load_sources()
    name_pools = build_pools(seed)
    rng = np.random.default_rng(seed)
    people = make_population(rng, name_pools, max(clients * scale, clients * 2), clients, as_of, knobs)
    built = {}
    for name, src in sources.items():
        ctx = Context(source_rng(seed, name), people, name_pools, as_of, knobs, src.kind)
        result = BUILDERS[src.kind](ctx, src)
        built[name] = (src, result, conform(src, result.tables))
    client_src = next(n for n, s in sources.items() if s.kind == "safetynet_clients")
    return _BuiltSet(people, built, client_src)


def _truth(built: _BuiltSet) -> tuple[pd.DataFrame, pd.DataFrame]:
    client_records = built.sources[built.client_src][1].records
    client_of = dict(zip(client_records["person"].astype(int), client_records["record_id"], strict=True))
    records = {n: (s.spec.person_table.name, b.records) for n, (s, b, _) in built.agency.items()}
    return truth_frames(records, built.people["person_id"], client_of)


def _write_canonical(out_dir: Path, built: _BuiltSet, links: pd.DataFrame) -> dict[str, int]:
    return write_canonical(
        out_dir,
        built.sources[built.client_src][2]["clients"],
        {n: t[s.spec.person_table.name] for n, (s, _, t) in built.agency.items()},
        links,
    )


__all__ = ["generate", "generate_canonical", "Generated", "GeneratorKnobs", "BUILDERS"]
