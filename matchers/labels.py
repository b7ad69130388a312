"""Reviewer decisions as training labels.

Every pair a coordinator decided in the review app was stored with its explanation (each field's
comparison level), so a decision labels one vector of levels without re-reading anybody's data:
"same person" (or "link to another client", for the pair with that client) is a true match,
"not this person" a non-match. True matches are exactly what m describes, so their levels are
added to the m estimate, each weighing ``label_weight`` pseudo-pairs (a person's word counts more
than the model's own guess). Non-matches from the queue are look-alikes, not random pairs, so they
are not mixed into u; they are counted and reported.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import sqlalchemy as sa

from matchers.config import MatchingConfig
from matchers.estimate import FIELDS, _shrink

POSITIVE = ("same_person", "link_other_client")
NEGATIVE = ("not_this_person",)


def warehouse_labels(engine: sa.Engine) -> pd.DataFrame:
    """decision, explanation of every reviewed pair whose explanation the warehouse holds.

    Only effective decisions count: an undone decision (``review_undos``) is no label, exactly as
    ``warehouse.decisions.effective_decisions`` leaves it out of every replay. The latest standing
    decision per (source, record, client) counts: a person may correct themselves. The explanation
    is the one the person saw (kept beside the decision in ``review_decision_links``), else the
    pair's stored link: a row ruled out on its last candidate has left ``match_links``.
    """
    from warehouse.models import MatchLink, ReviewDecision, ReviewDecisionLink, ReviewUndo

    rd, ml = ReviewDecision.__table__, MatchLink.__table__
    snap, undo = ReviewDecisionLink.__table__, ReviewUndo.__table__
    explanation = sa.func.coalesce(snap.c.explanation, ml.c.explanation).label("explanation")
    query = (
        sa.select(
            rd.c.source,
            rd.c.record_id,
            rd.c.client_id,
            rd.c.decision,
            rd.c.decided_at,
            rd.c.id,
            explanation,
        )
        .outerjoin(undo, undo.c.decision_id == rd.c.id)
        .outerjoin(snap, sa.and_(snap.c.decision_id == rd.c.id, snap.c.client_id == rd.c.client_id))
        .outerjoin(
            ml,
            sa.and_(
                ml.c.source == rd.c.source, ml.c.record_id == rd.c.record_id, ml.c.client_id == rd.c.client_id
            ),
        )
        .where(undo.c.decision_id.is_(None))
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    if not frame.empty:
        frame = frame.sort_values(["decided_at", "id"], kind="stable")
        frame = frame.drop_duplicates(["source", "record_id", "client_id"], keep="last")
        frame = frame[frame["explanation"].notna()]
    if frame.empty:
        return pd.DataFrame({"decision": pd.Series(dtype=object), "explanation": pd.Series(dtype=object)})
    return frame[["decision", "explanation"]].reset_index(drop=True)


def _levels(explanation: str) -> dict[str, str]:
    return {f["field"]: f["level"] for f in json.loads(explanation)["fields"]}


def refine_with_labels(
    config: MatchingConfig, labels: pd.DataFrame, label_weight: float = 5.0
) -> tuple[MatchingConfig, dict[str, int]]:
    """``config`` with m pulled towards the level frequencies of the labelled true matches.

    Returns the refined config and the label counts used (positive, negative).
    """
    positive = labels[labels["decision"].isin(POSITIVE)]
    counts = {"positive": int(len(positive)), "negative": int(labels["decision"].isin(NEGATIVE).sum())}
    if positive.empty:
        return config, counts
    levels = [_levels(e) for e in positive["explanation"]]
    fields = dict(config.fields)
    for f in FIELDS:
        model = fields[f]
        tally: dict[str, float] = {}
        for row in levels:
            lv = row.get(f)
            if lv in model.levels:
                tally[lv] = tally.get(lv, 0.0) + label_weight
        if tally:
            fields[f] = replace(model, m=_shrink(tally, model, "m", config.pseudo_count))
    return replace(config, fields=fields), counts
