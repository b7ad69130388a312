"""Three-way decisions per extract row: match / review / nonmatch.

A row is at most one client. Its probability of being client c is weighed against every other way
the row can be explained: another candidate client, a household relative of any candidate
(matchers/relatives.py), or a stranger to the list (``row_probability``). So two plausible clients
for one row share the probability between them and neither is auto-matched: no separate look-alike
rule is needed.

- ``match``: the row's best candidate reaches the run's match threshold (``run_match_threshold``:
  the lowest threshold in [min_match, match] whose matched rows' expected precision reaches the
  target) and no review cap holds it (config ``review_caps``: a safety net only, counted);
- ``review``: a row without a match, each candidate at or above the review threshold;
- ``nonmatch``: everything else.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from matchers.compare import LEVELS
from matchers.config import MatchingConfig

MATCH, REVIEW, NONMATCH = "match", "review", "nonmatch"

#: facts about a pair that are no comparison but a review cap may name (column ``<name>_level``):
#: ``row_given_name`` is "unseen" when the row's given name occurs nowhere else in a large run
PAIR_FACTS: dict[str, tuple[str, ...]] = {"row_given_name": ("unseen", "seen")}


def _at(order: pd.DataFrame, fname: str, levels: tuple[str, ...]) -> np.ndarray:
    """Pairs whose ``fname`` comparison (or pair fact) is at one of ``levels``."""
    known = LEVELS.get(fname) or PAIR_FACTS.get(fname)
    if known is None:
        raise ValueError(f"config/matching.yaml names unknown field {fname} in decision rules")
    column = f"{fname}_level"
    if fname in PAIR_FACTS and column not in order.columns:  # a fact not established is at no level
        return np.zeros(len(order), dtype=bool)
    return np.isin(order[column].to_numpy(), [known.index(lv) for lv in levels])


def cap_hits(scored: pd.DataFrame, config: MatchingConfig) -> dict[str, np.ndarray]:
    """Per review cap (named ``<field>:<levels>``), the pairs it holds (aligned with ``scored``)."""
    hits = {}
    for cap in config.review_caps:
        hit = _at(scored, cap.name, cap.levels)
        for alternative in cap.unless:
            excused = np.ones(len(scored), dtype=bool)
            for fname, levels in alternative.items():
                excused &= _at(scored, fname, levels)
            hit &= ~excused
        hits[f"{cap.name}:{'/'.join(cap.levels)}"] = hit
    return hits


def at_review_cap(scored: pd.DataFrame, config: MatchingConfig) -> np.ndarray:
    """Pairs that one of the config's review caps holds at review (aligned with ``scored``)."""
    capped = np.zeros(len(scored), dtype=bool)
    for hit in cap_hits(scored, config).values():
        capped |= hit
    return capped


def row_log_mass(rec: np.ndarray, total: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """log2 of each pair's row's whole mass: 1 (a stranger) + sum over the row's candidates c of
    2**total_c * (1 + 2**rel_c) (the candidate herself and her relatives)."""
    a = total + np.logaddexp2(0.0, rel)
    group = _groups(rec)
    top = np.maximum(_group_max(group, a), 0.0)
    mass = _group_sum(group, np.exp2(a - top))
    return top + np.log2(np.exp2(-top) + mass)


def _groups(key: np.ndarray) -> tuple[np.ndarray, int]:
    """(group code of each element, number of groups) of an integer key (hash factorize, no sort)."""
    codes, uniques = pd.factorize(np.asarray(key))
    return codes, len(uniques)


def _group_max(group: tuple[np.ndarray, int], values: np.ndarray) -> np.ndarray:
    """Each element's group maximum (a groupby transform("max") without pandas' per-call cost)."""
    codes, n = group
    out = np.full(n, -np.inf)
    np.maximum.at(out, codes, values)
    return out[codes]


def _group_sum(group: tuple[np.ndarray, int], values: np.ndarray) -> np.ndarray:
    """Each element's group sum."""
    codes, n = group
    return np.bincount(codes, weights=values, minlength=n)[codes]


def household_bits(
    rec: np.ndarray, household: np.ndarray | None, total: np.ndarray, rel: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(total, rel) per pair with a row's candidates of one household on the list scored together.

    row_log_mass weighs each candidate c as herself (2**total_c) or a relative of hers
    (2**(total_c + rel_c)). When a row is Paige and her brother Dylan is also on the list, the row
    shares Dylan's surname, address and perhaps DOB, and "a relative of Dylan" takes a share of the
    row that is Paige's own: the relative of Dylan who looks exactly like Paige *is* Paige. Within a
    household the outcomes are "the same person as member i" or "another relative of the household",
    and since the household's shared fields speak for every member alike, they are told apart by
    each member's personal fields only: P(i | household) = 2**-rel_i / (1 + sum_j 2**-rel_j). The
    household's mass against a stranger and other candidates is its best member's (its largest
    total_c + log2(1 + 2**rel_c)), not their sum: the same agreement is not counted twice.

    Returned as per-pair bits that row_log_mass / row_probability read unchanged: a one-member
    household (``household`` -1, or the only candidate of its household) keeps its bits exactly.
    """
    total = np.asarray(total, dtype=np.float64)
    rel = np.asarray(rel, dtype=np.float64)
    if household is None or len(rec) < 2:
        return total, rel
    grouped = np.flatnonzero((np.asarray(household) >= 0) & np.isfinite(rel))
    if len(grouped) < 2:
        return total, rel
    rows = np.asarray(rec, dtype=np.int64)[grouped]
    homes = np.asarray(household, dtype=np.int64)[grouped]
    key, _ = pd.factorize(rows * (int(homes.max()) + 1) + homes)  # one code per (row, household)
    sizes = np.bincount(key)
    multi = sizes[key] >= 2
    if not multi.any():
        return total, rel
    at = grouped[multi]
    group = _groups(key[multi])
    t, r = total[at], rel[at]
    mass = _group_max(group, t + np.logaddexp2(0.0, r))
    top = _group_max(group, -r)
    others = top + np.log2(_group_sum(group, np.exp2(-r - top)))
    total, rel = total.copy(), rel.copy()
    total[at] = mass - r - np.logaddexp2(0.0, others)
    rel[at] = -others
    return total, rel


def row_probability(rec: np.ndarray, total: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """P(row is this client) per pair, normalised over a stranger, every candidate and every
    candidate's relatives (row_log_mass). ``rec``: the row of each pair; ``total``:
    same-vs-stranger bits; ``rel``: all relatives against the same person (bits, -inf for none)."""
    if len(rec) == 0:
        return np.zeros(0)
    return np.exp2(total - row_log_mass(rec, total, rel))


def run_match_threshold(best: np.ndarray, config: MatchingConfig) -> float:
    """The lowest match threshold in [min_match, match] at which the rows it matches (``best``: each
    row's best probability) have an expected precision (their mean probability) of at least the
    target. Probabilities are calibrated on the run's own data, so a run that is sure of many rows
    matches them and one with doubt keeps the configured threshold."""
    lo, hi = config.min_match_threshold, config.match_threshold
    if lo >= hi or len(best) == 0:
        return hi
    p = np.sort(best[best >= lo])[::-1]
    if len(p) == 0:
        return hi
    precision = np.cumsum(p) / np.arange(1, len(p) + 1)
    # A threshold matches every row at or above it: only the last of tied probabilities is a
    # possible cut (ties within float noise count as ties: one explanation, one probability).
    cut = np.append(p[1:] < p[:-1] - 1e-9, True)
    ok = np.flatnonzero((precision >= config.target_precision) & cut)
    if len(ok) == 0:
        return hi
    return float(min(max(p[ok[-1]], lo), hi))


def decide(scored: pd.DataFrame, config: MatchingConfig, capped: np.ndarray | None = None) -> pd.Series:
    """Decision per pair. ``scored`` needs rec (row key), cli and score (the row probability);
    ``capped`` (aligned with ``scored``) marks pairs a review cap holds. Aligned with its index."""
    if scored.empty:
        return pd.Series([], index=scored.index, dtype=object)
    hold = np.zeros(len(scored), dtype=bool) if capped is None else np.asarray(capped, dtype=bool)
    order = np.lexsort((scored["cli"].to_numpy(), -scored["score"].to_numpy(), scored["rec"].to_numpy()))
    rec = scored["rec"].to_numpy()[order]
    prob = scored["score"].to_numpy()[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = rec[1:] != rec[:-1]
    is_match = first & (prob >= config.match_threshold) & ~hold[order]
    record_matched = pd.Series(is_match).groupby(rec).transform("any").to_numpy()
    is_review = ~record_matched & (prob >= config.review_threshold)
    decision = np.where(is_match, MATCH, np.where(is_review, REVIEW, NONMATCH))
    out = np.empty(len(order), dtype=object)
    out[order] = decision
    return pd.Series(out, index=scored.index, dtype=object)


def with_threshold(config: MatchingConfig, threshold: float) -> MatchingConfig:
    """``config`` deciding at the run's match threshold."""
    return replace(
        config, match_threshold=threshold, min_match_threshold=min(config.min_match_threshold, threshold)
    )
