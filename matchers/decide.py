"""Three-way decisions per extract row: match / review / nonmatch.

Precision first. A pair is auto-matched only when all of these hold:

- it is the row's best candidate and its probability reaches the match threshold;
- no review cap applies (config ``review_caps``): a disagreeing given name (twins share every
  household field and differ only there, which the summed weights alone would outvote), a
  disagreeing surname unless given name and exact DOB agree (surnames change), a disagreeing DOB
  (same-named siblings), a missing DOB unless the street address is identical (the engine drops
  the caps for a run whose data rule relatives out: matchers/relatives.py);
- no look-alike: the runner-up client is not itself plausible (probability below the review
  threshold) or the best beats it by at least ``look_alike_margin_bits``. Otherwise both go to review,
  so the coordinator sees the two candidates side by side.

A row therefore has at most one ``match``. Rows of a matched record other than the match are
``nonmatch``; without a match, every pair at or above the review threshold is ``review``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matchers.compare import LEVELS
from matchers.config import MatchingConfig

MATCH, REVIEW, NONMATCH = "match", "review", "nonmatch"

#: facts about a pair that are no comparison but may excuse a cap (column ``<name>_level`` of the
#: scored pairs): ``row_given_name`` is "unseen" when the row's given name occurs nowhere else in a
#: large run (clients and rows together), i.e. a misspelling rather than another child's name
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


def at_review_cap(scored: pd.DataFrame, config: MatchingConfig) -> np.ndarray:
    """Pairs that one of the config's review caps holds at review (aligned with ``scored``)."""
    capped = np.zeros(len(scored), dtype=bool)
    for cap in config.review_caps:
        hit = _at(scored, cap.name, cap.levels)
        for alternative in cap.unless:
            excused = np.ones(len(scored), dtype=bool)
            for fname, levels in alternative.items():
                excused &= _at(scored, fname, levels)
            hit &= ~excused
        capped |= hit
    return capped


def decide(scored: pd.DataFrame, config: MatchingConfig) -> pd.Series:
    """Decision per pair. ``scored`` needs rec (row key), cli, score, total and the <field>_level
    columns of scoring.score; the result is aligned with its index."""
    if scored.empty:
        return pd.Series([], index=scored.index, dtype=object)
    order = scored.sort_values(["rec", "total", "cli"], ascending=[True, False, True], kind="stable")
    rank = order.groupby("rec", sort=False).cumcount().to_numpy()
    rec = order["rec"].to_numpy()
    total = order["total"].to_numpy()
    prob = order["score"].to_numpy()

    # Runner-up per row, broadcast to all of that row's pairs (NaN when there is none).
    second = pd.Series(np.where(rank == 1, total, np.nan)).groupby(rec).transform("max").to_numpy()
    second_prob = 1.0 / (1.0 + np.exp2(-second))
    look_alike = (second_prob >= config.review_threshold) & (total - second < config.look_alike_margin_bits)

    capped = at_review_cap(order, config)
    is_match = (rank == 0) & (prob >= config.match_threshold) & ~capped & ~look_alike
    record_matched = pd.Series(is_match).groupby(rec).transform("any").to_numpy()
    is_review = ~record_matched & (prob >= config.review_threshold)
    decision = np.where(is_match, MATCH, np.where(is_review, REVIEW, NONMATCH))
    return pd.Series(decision, index=order.index, dtype=object).reindex(scored.index)
