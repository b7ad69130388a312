"""Matcher settings read from ``config/matching.yaml`` (see that file for the meaning of each)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "matching.yaml"


@dataclass(frozen=True)
class FieldModel:
    """m/u probabilities of one field's comparison levels, best level first."""

    name: str
    levels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(math.log2(m / u) for m, u in zip(self.m, self.u, strict=True))


@dataclass(frozen=True)
class ReviewCap:
    """A pair with comparison ``name`` at one of ``levels`` is at most ``review``, unless every field
    in ``unless`` is at one of its listed levels (see config/matching.yaml "review_caps")."""

    name: str
    levels: tuple[str, ...]
    #: alternatives: the cap is excused when every field of any one of them is at a listed level
    unless: tuple[dict[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class RelativeClass:
    """A class of household relative (matchers/relatives.py): how many turn up per row of the
    client herself (``prior``, with its ``source``), and their level probabilities on the personal
    fields (the fields not listed are shared with the household, as the same person would)."""

    name: str
    prior: float
    prior_strength: float = 50.0
    source: str = ""
    fields: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class MatchingConfig:
    match_threshold: float = 0.99
    review_threshold: float = 0.60
    keep_threshold: float = 0.01
    #: the run's match threshold is the lowest in [min_match_threshold, match_threshold] whose
    #: expected precision (mean probability of the rows it matches) is at least target_precision
    #: (decide.run_match_threshold); min == match turns that off
    min_match_threshold: float = 0.99
    target_precision: float = 0.995
    #: safety net only (counted in LinkStats.caps_fired): pairs a cap holds are never auto-matched
    review_caps: tuple[ReviewCap, ...] = ()
    #: household relatives as outcomes of a pair (matchers/relatives.py); empty: none
    relatives: tuple[RelativeClass, ...] = ()
    #: re-estimate the relatives' priors and level probabilities on each run (estimate.py)
    estimate_relatives: bool = False
    #: weigh whether the client already has a confirmed row here (matchers/presence.py)
    presence: bool = False
    #: clients of one household on the list are scored together (relatives.household_codes): a
    #: relative of one who is herself on the list is that client, not a competing outcome
    households: bool = False
    #: P(row's given name unseen elsewhere | same person, | relative), when the given name differs
    unseen_given_name: tuple[float, float] | None = None
    #: a run of at least this many rows (clients + rows) may call a given name found in one row only
    #: a misspelling (decide.PAIR_FACTS "row_given_name": "unseen"); 0 turns the fact off
    unseen_name_min_rows: int = 0
    #: score a client's other rows again with the given names her auto-matched rows state (AKA)
    learn_names: bool = False
    match_rate: float = 0.1
    min_clients: int = 1000
    #: re-estimate match_rate from each run's data (estimate.estimate_match_rate), within these bounds
    estimate_match_rate: bool = False
    match_rate_bounds: tuple[float, float] = (0.001, 1.0)
    chunk_size: int = 20000
    #: processes scoring chunks side by side (0: one per core; 1: in this process)
    workers: int = 1
    max_block_size: int = 200
    #: smaller block caps for broad rules (rule -> cap)
    rule_max_block_size: dict[str, int] = field(default_factory=dict)
    max_pairs_per_record: int = 100
    blocking_rules: tuple[str, ...] = ()
    fields: dict[str, FieldModel] = field(default_factory=dict)
    name_swap_penalty_bits: float = -2.0
    estimate: bool = False
    estimate_min_rows: int = 2000
    u_random_pairs: int = 200_000
    sample_rows: int = 20_000
    m_iterations: int = 3
    pseudo_count: float = 200.0
    u_pseudo_count: float = 2000.0
    seed: int = 0
    tf_fields: tuple[str, ...] = ()
    tf_max_bonus_bits: float = 3.0
    #: term_frequency.shared_address (frequencies.address_sharing_bits); None: off
    tf_address_pseudo_people: float | None = None
    tf_address_max_penalty_bits: float = 4.0
    tf_max_penalty_bits: float = 5.0
    tf_pseudo_count: float = 1000.0
    #: correct the product of given- and surname agreement for names that go together (estimate.py
    #: name_pair_bits): pseudo pairs of shrinkage towards independence, and the largest correction
    tf_name_pair: bool = False
    tf_name_pair_pseudo_pairs: float = 20.0
    tf_name_pair_max_bits: float = 4.0

    def __post_init__(self) -> None:
        # Fail at start-up, not in the middle of a nightly run.
        if not 0 <= self.keep_threshold <= self.review_threshold <= self.match_threshold <= 1:
            raise ValueError("matching thresholds must satisfy 0 <= keep <= review <= match <= 1")
        if self.chunk_size < 1 or self.max_block_size < 1 or self.max_pairs_per_record < 1:
            raise ValueError("chunk_size, max_block_size and max_pairs_per_record must be positive")
        if not 0 < self.match_rate_bounds[0] <= self.match_rate_bounds[1] <= 1:
            raise ValueError("prior.min_rate and prior.max_rate must satisfy 0 < min_rate <= max_rate <= 1")
        if not self.keep_threshold <= self.min_match_threshold <= self.match_threshold:
            raise ValueError("thresholds.min_match must lie between keep and match")
        if not 0 < self.target_precision <= 1:
            raise ValueError("thresholds.target_precision must lie in (0, 1]")
        for rc in self.relatives:
            if not 0 < rc.prior or rc.prior_strength < 0:
                raise ValueError(f"relative class {rc.name}: prior must be positive")
            for fname in rc.fields:
                if fname not in self.fields:
                    raise ValueError(f"relative class {rc.name} weighs field {fname}, which has no m/u")
        for f in self.fields.values():
            if any(not 0 < p < 1 for p in (*f.m, *f.u)):
                raise ValueError(f"m and u of field {f.name} must lie strictly between 0 and 1")


def _unless(raw: dict | list | None) -> tuple[dict[str, tuple[str, ...]], ...]:
    """A cap's "unless": one mapping field -> levels, or a list of them (any one excuses)."""
    alternatives = raw if isinstance(raw, list) else [raw] if raw else []
    return tuple({k: tuple(v) for k, v in alt.items()} for alt in alternatives)


def _field(name: str, spec: dict[str, Any]) -> FieldModel:
    levels = tuple(spec)
    return FieldModel(
        name=name,
        levels=levels,
        m=tuple(float(spec[lv][0]) for lv in levels),
        u=tuple(float(spec[lv][1]) for lv in levels),
    )


def from_dict(raw: dict[str, Any]) -> MatchingConfig:
    """Build a config from the parsed YAML mapping."""
    from matchers.relatives import class_from_config

    th = raw.get("thresholds", {})
    dec = raw.get("decision", {})
    rel = raw.get("relatives") or {}
    rel_on = bool(rel.get("enabled", False))
    unseen = rel.get("unseen_given_name")
    prior = raw.get("prior", {})
    blk = raw.get("blocking", {})
    proc = raw.get("processing", {})
    est = raw.get("estimation", {})
    tf = raw.get("term_frequency", {})
    return MatchingConfig(
        match_threshold=float(th.get("match", 0.99)),
        review_threshold=float(th.get("review", 0.60)),
        keep_threshold=float(th.get("keep", 0.01)),
        min_match_threshold=float(th.get("min_match", th.get("match", 0.99))),
        target_precision=float(th.get("target_precision", 0.995)),
        review_caps=tuple(
            ReviewCap(name=c["field"], levels=tuple(c["levels"]), unless=_unless(c.get("unless")))
            for c in dec.get("review_caps") or ()
        ),
        relatives=tuple(class_from_config(n, spec) for n, spec in (rel.get("classes") or {}).items())
        if rel_on
        else (),
        estimate_relatives=rel_on and bool(rel.get("estimate", False)),
        presence=rel_on and bool(rel.get("presence", False)),
        households=rel_on and bool(rel.get("households", False)),
        unseen_given_name=(float(unseen["same_person"]), float(unseen["relative"]))
        if rel_on and unseen
        else None,
        unseen_name_min_rows=int(dec.get("unseen_name_min_rows", 0)),
        learn_names=bool((dec.get("learned_names") or {}).get("enabled", False)),
        match_rate=float(prior.get("match_rate", 0.1)),
        min_clients=int(prior.get("min_clients", 1000)),
        estimate_match_rate=bool(prior.get("estimate", False)),
        match_rate_bounds=(float(prior.get("min_rate", 0.001)), float(prior.get("max_rate", 1.0))),
        chunk_size=int(proc.get("chunk_size", 20000)),
        workers=int(proc.get("workers", 1)),
        max_block_size=int(blk.get("max_block_size", 200)),
        rule_max_block_size={str(k): int(v) for k, v in (blk.get("rule_max_block_size") or {}).items()},
        max_pairs_per_record=int(blk.get("max_pairs_per_record", 100)),
        blocking_rules=tuple(blk.get("rules", ())),
        fields={name: _field(name, spec) for name, spec in (raw.get("comparisons") or {}).items()},
        name_swap_penalty_bits=float(raw.get("name_swap_penalty_bits", -2.0)),
        estimate=bool(est.get("enabled", False)),
        estimate_min_rows=int(est.get("min_rows", 2000)),
        u_random_pairs=int(est.get("u_random_pairs", 200_000)),
        sample_rows=int(est.get("sample_rows", 20_000)),
        m_iterations=int(est.get("m_iterations", 3)),
        pseudo_count=float(est.get("pseudo_count", 200.0)),
        u_pseudo_count=float(est.get("u_pseudo_count", 2000.0)),
        seed=int(est.get("seed", 0)),
        tf_fields=tuple(tf.get("fields", ())) if tf.get("enabled", False) else (),
        tf_max_bonus_bits=float(tf.get("max_bonus_bits", 3.0)),
        tf_address_pseudo_people=(
            float(tf["shared_address"].get("pseudo_people", 3.0))
            if tf.get("enabled", False) and (tf.get("shared_address") or {}).get("enabled", False)
            else None
        ),
        tf_address_max_penalty_bits=float((tf.get("shared_address") or {}).get("max_penalty_bits", 4.0)),
        tf_max_penalty_bits=float(tf.get("max_penalty_bits", 5.0)),
        tf_pseudo_count=float(tf.get("pseudo_count", 1000.0)),
        tf_name_pair=bool((tf.get("name_pair") or {}).get("enabled", False)),
        tf_name_pair_pseudo_pairs=float((tf.get("name_pair") or {}).get("pseudo_pairs", 20.0)),
        tf_name_pair_max_bits=float((tf.get("name_pair") or {}).get("max_penalty_bits", 4.0)),
    )


def load(path: str | os.PathLike[str] | None = None) -> MatchingConfig:
    """Read the matching config: ``path``, else the configured one (``settings.matching_file``:
    ``$SAFETYNET_MATCHING_FILE``, else config/matching.yaml under the project home)."""
    if path is None:
        import settings

        path = settings.current().matching_file
    chosen = Path(path)
    with chosen.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    return from_dict(raw)
