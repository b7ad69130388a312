"""One review item: the youth's agency rows beside a candidate client, field by field, with the
matcher's explanation (each field's comparison level and weight), the match probability and the
reasons in words (matchers/reasons.py). An item holds every open row of one youth
(review/grouping.py); the first is the item asked about."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from matchers.reasons import Reason, pair_reasons, reason, row_reasons
from review.profile import (
    CLIENTS,
    LINKS,
    PERSONS,
    FactTable,
    child_values,
    client_links,
    record_facts,
)
from warehouse.learned_names import active_names
from warehouse.models import Delivery, ReviewItem

ITEMS = ReviewItem.__table__
DELIVERIES = Delivery.__table__

#: matcher level -> how the coordinator reads it
AGREEMENT = {
    "exact": "agree",
    "agree": "agree",
    "straight": "agree",
    "nickname": "partly",
    "shared": "agree",
    "alias_or_part": "partly",
    "jw_92": "partly",
    "jw_85": "partly",
    "day_month_swap": "partly",
    "one_digit": "partly",
    "initial": "partly",
    "same_year": "partly",
    "similar": "partly",
    "swapped": "partly",
    "else": "disagree",
    "disagree": "disagree",
    "missing": "missing",
}
LEVEL_TEXT = {
    "exact": "exact",
    "agree": "same",
    "straight": "first and last name as written",
    "swapped": "first and last name swapped",
    "nickname": "nickname of the same name",
    "shared": "an alias or street name on both sides",
    "alias_or_part": "alias or part of a compound name",
    "jw_92": "very similar spelling",
    "jw_85": "similar spelling",
    "day_month_swap": "day and month swapped",
    "one_digit": "one digit differs",
    "initial": "initial only",
    "same_year": "same year only",
    "similar": "similar",
    "else": "different",
    "disagree": "different",
    "missing": "missing on one side",
}
#: rows of the side-by-side table: (label, person fields shown, matcher field explaining them)
FIELDS = (
    ("First name", ("first_name",), "first_name"),
    ("Middle name", ("middle_name",), "middle_name"),
    ("Last name", ("last_name",), "last_name"),
    ("Name order", (), "name_order"),
    ("Aliases", ("aliases",), "aliases"),
    ("Date of birth", ("dob",), "dob"),
    ("Sex", ("sex",), "sex"),
    ("Race / ethnicity", ("race",), "race"),
    ("Address", ("address",), "address"),
    ("City", ("city",), "city"),
    ("ZIP", ("zip",), "zip"),
)


@dataclass
class Candidate:
    client_id: str
    ref: str
    score: float | None
    decision: str
    client: dict
    aliases: list[str]
    explanation: dict
    #: the explanation as the matcher stored it (JSON text), for matchers.reasons
    raw_explanation: str | None = None


@dataclass
class RowView:
    """One agency row of the item beside the chosen client."""

    item: dict
    person: dict | None
    facts: list[FactTable]
    #: the row's pair with the chosen client (None: the client is no candidate of this row)
    pair: Candidate | None
    comparison: list[dict]
    reasons: list[Reason]


@dataclass
class ItemView:
    item: dict
    person: dict | None
    facts: list[FactTable]
    candidates: list[Candidate]
    chosen: Candidate | None
    comparison: list[dict]
    #: what the chosen client's profile already holds (agency rows linked by a match)
    history_links: list[dict]
    history: list[FactTable]
    #: every open row of the youth (this item's first), each beside the chosen client
    rows: list[RowView] = field(default_factory=list)
    #: why the item is in review, main reason first (matchers/reasons.py)
    reasons: list[Reason] = field(default_factory=list)
    #: names earlier decisions taught about the chosen client
    learned: list[dict] = field(default_factory=list)


def item_row(conn: sa.Connection, item_id: int) -> dict | None:
    row = (
        conn.execute(
            sa.select(ITEMS, DELIVERIES.c.delivered_on, DELIVERIES.c.file_name)
            .join(DELIVERIES, DELIVERIES.c.id == ITEMS.c.delivery_id)
            .where(ITEMS.c.id == item_id)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def parse_explanation(text: str | None) -> dict:
    """The matcher's JSON explanation as {field: (level, weight)} plus prior and total; {} if none."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return {}
    fields = {f["field"]: (f.get("level"), f.get("weight")) for f in data.get("fields", []) if "field" in f}
    return {"fields": fields, "prior": data.get("prior"), "total": data.get("total")}


def candidates(conn: sa.Connection, source: str, record_id: str, refs: dict[str, str]) -> list[Candidate]:
    rows = conn.execute(
        sa.select(LINKS.c.client_id, LINKS.c.score, LINKS.c.decision, LINKS.c.explanation, CLIENTS)
        .join(CLIENTS, CLIENTS.c.client_id == LINKS.c.client_id)
        .where(LINKS.c.source == source, LINKS.c.record_id == record_id)
        .order_by(LINKS.c.score.desc().nulls_last(), LINKS.c.client_id)
    ).mappings()
    out = []
    for r in rows:
        client = dict(r)
        out.append(
            Candidate(
                client_id=r["client_id"],
                ref=refs.get(r["client_id"], ""),
                score=r["score"],
                decision=r["decision"],
                client=client,
                aliases=child_values(conn, r["client_id"])["aliases"],
                explanation=parse_explanation(r["explanation"]),
                raw_explanation=r["explanation"],
            )
        )
    return out


def comparison(person: dict | None, chosen: Candidate | None) -> list[dict]:
    """One row per field: agency value, client value, agree/partly/disagree/missing, level and weight."""
    if person is None or chosen is None:
        return []
    rows = []
    explained = chosen.explanation.get("fields", {})
    client = dict(chosen.client, aliases="|".join(chosen.aliases) or None)
    for label, fields, matcher_field in FIELDS:
        level, weight = explained.get(matcher_field, (None, None)) if matcher_field else (None, None)
        rows.append(
            {
                "label": label,
                "agency": " ".join(_show(person.get(f)) for f in fields).strip(),
                "client": " ".join(_show(client.get(f)) for f in fields).strip(),
                "agreement": AGREEMENT.get(level or "", "none"),
                "level": LEVEL_TEXT.get(level or "", level or ""),
                "weight": weight,
            }
        )
    return rows


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("|", ", ")
    return str(value)


def item_view(
    conn: sa.Connection,
    item_id: int,
    chosen_ref: str | None,
    refs_for,
    group: list[int] | None = None,
) -> ItemView | None:
    """The item's rows (``group``: the open items of its youth, this one first) beside a candidate
    client: the one ``chosen_ref`` names, else the best candidate of any row."""
    item = item_row(conn, item_id)
    if item is None:
        return None
    members = [item] + [r for i in (group or []) if i != item_id and (r := item_row(conn, i))]
    ids = sorted(
        {
            c
            for m in members
            for c in conn.execute(
                sa.select(LINKS.c.client_id).where(
                    LINKS.c.source == m["source"], LINKS.c.record_id == m["record_id"]
                )
            ).scalars()
        }
    )
    refs = refs_for(conn, ids)
    per_row = [candidates(conn, m["source"], m["record_id"], refs) for m in members]
    best: dict[str, Candidate] = {}
    for cands in per_row:
        for c in cands:
            if c.client_id not in best or (c.score or 0) > (best[c.client_id].score or 0):
                best[c.client_id] = c
    cands = sorted(best.values(), key=lambda c: (-(c.score or 0), c.client_id))
    chosen = next((c for c in cands if chosen_ref and c.ref == chosen_ref), cands[0] if cands else None)
    rows: list[RowView] = []
    for m, row_cands in zip(members, per_row, strict=True):
        person = (
            conn.execute(
                sa.select(PERSONS).where(
                    PERSONS.c.source == m["source"], PERSONS.c.record_id == m["record_id"]
                )
            )
            .mappings()
            .first()
        )
        person = dict(person) if person else None
        pair = next((c for c in row_cands if chosen and c.client_id == chosen.client_id), None)
        rows.append(
            RowView(
                item=m,
                person=person,
                facts=record_facts(conn, [(m["source"], m["record_id"])]) if person else [],
                pair=pair,
                comparison=comparison(person, pair),
                reasons=pair_reasons(pair.raw_explanation) if pair else [],
            )
        )
    history_links: list[dict] = []
    history: list[FactTable] = []
    learned: list[dict] = []
    if chosen is not None:
        history_links = client_links(conn, chosen.client_id)
        history = record_facts(conn, [(link["source"], link["record_id"]) for link in history_links])
        learned = active_names(conn, [chosen.client_id]).get(chosen.client_id, [])
    codes: list[str] = []
    for row_cands in per_row:
        for code in (r.code for r in row_reasons([(c.score, c.raw_explanation) for c in row_cands])):
            if code not in codes:
                codes.append(code)
    first = rows[0]
    return ItemView(
        item=item,
        person=first.person,
        facts=first.facts,
        candidates=cands,
        chosen=chosen,
        comparison=first.comparison,
        history_links=history_links,
        history=history,
        rows=rows,
        reasons=[reason(c) for c in codes],
        learned=learned,
    )
