"""Human review decisions over the matcher's links: people win, and are never asked twice.

The rules are pure functions on DataFrames (``decision_state``, ``final_links``), read and tested
without a database. The review app's entry points (``decide``, ``undo``) apply one record's
decisions at once, in one transaction; undone decisions (``review_undos``) no longer count anywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from warehouse.db import utcnow, write_transaction
from warehouse.errors import WarehouseError, rolled_back
from warehouse.facts import purge_records
from warehouse.frames import chunks, ids
from warehouse.models import (
    HUMAN_DECISIONS,
    Client,
    MatchLink,
    ReviewDecision,
    ReviewDecisionLink,
    ReviewItem,
    ReviewUndo,
    SourcePerson,
)

LINK_COLUMNS = ("record_id", "client_id", "score", "decision", "decided_by", "explanation")
KEPT_DECISIONS = ("match", "review")


def model_links(links: pd.DataFrame) -> pd.DataFrame:
    """The matcher's output, normalised: str ids, known decisions only, at most one match per record."""
    if links.empty:  # "no candidates at all" may come without columns
        return pd.DataFrame(columns=[*LINK_COLUMNS]).astype(object)
    missing = {"record_id", "client_id", "score", "decision"} - set(links.columns)
    if missing:
        raise ValueError(f"links lack column(s): {', '.join(sorted(missing))}")
    out = pd.DataFrame(
        {
            "record_id": ids(links["record_id"]),
            "client_id": ids(links["client_id"]),
            "score": pd.to_numeric(links["score"], errors="coerce").astype(float),
            "decision": links["decision"].astype(object),
            "explanation": links["explanation"].astype(object) if "explanation" in links else None,
        }
    )
    unknown = ~out["decision"].isin((*KEPT_DECISIONS, "nonmatch"))
    if unknown.any():
        raise ValueError(f"{int(unknown.sum())} links have a decision other than match/review/nonmatch")
    if out["record_id"].isna().any() or out["client_id"].isna().any():
        raise ValueError("links have missing record or client ids")
    out = out.drop_duplicates(["record_id", "client_id"], keep="last")
    # The contract says at most one match per record. Should a matcher break it, the weaker matches
    # become review pairs: a person then looks, instead of a record silently joining two clients.
    matches = out[out["decision"] == "match"].sort_values("score", ascending=False, kind="stable")
    extra = matches.index[matches.duplicated("record_id", keep="first")]
    out.loc[extra, "decision"] = "review"
    out["decided_by"] = "model"
    return out


def decision_state(decisions: pd.DataFrame) -> tuple[dict[str, str], set[tuple[str, str]], dict[str, object]]:
    """Replay the append-only decisions in time order.

    Returns ``(linked, excluded, decided_at)``: record -> client a person linked it to
    (same_person / link_other_client; a later decision replaces an earlier one), the (record, client)
    pairs a person ruled out (not_this_person), and record -> time of its latest decision.
    """
    linked: dict[str, str] = {}
    excluded: set[tuple[str, str]] = set()
    decided_at: dict[str, object] = {}
    if decisions.empty:
        return linked, excluded, decided_at
    ordered = decisions.sort_values(["decided_at", "id"], kind="stable")
    for rec, client, decision, at in zip(
        ordered["record_id"], ordered["client_id"], ordered["decision"], ordered["decided_at"], strict=True
    ):
        rec = str(rec)
        client = None if client is None or pd.isna(client) else str(client)
        decided_at[rec] = at
        if decision in ("same_person", "link_other_client") and client is not None:
            linked[rec] = client
            excluded.discard((rec, client))
        elif decision == "not_this_person" and client is not None:
            excluded.add((rec, client))
            if linked.get(rec) == client:
                del linked[rec]
    return linked, excluded, decided_at


def final_links(links: pd.DataFrame, decisions: pd.DataFrame, record_ids: Iterable[str]) -> pd.DataFrame:
    """The links to keep for this delivery's records, after human decisions (LINK_COLUMNS).

    - same_person / link_other_client: the record gets exactly one ``match`` link, decided_by
      ``human``, to that client (the model's score and explanation for that pair kept if it had one);
    - not_this_person: that pair is dropped, the record's other candidates stay;
    - nonmatch pairs are never kept (privacy rule 1).
    """
    ids = {str(r) for r in record_ids}
    model = model_links(links)
    model = model[model["record_id"].isin(ids)]
    linked, excluded, _ = decision_state(decisions)
    linked = {r: c for r, c in linked.items() if r in ids}

    keep = model["decision"].isin(KEPT_DECISIONS) & ~model["record_id"].isin(linked)
    if excluded:
        pairs = pd.MultiIndex.from_arrays([model["record_id"], model["client_id"]])
        keep &= ~pairs.isin(list(excluded))
    kept = model[keep]

    human = pd.DataFrame({"record_id": list(linked), "client_id": list(linked.values())})
    if not human.empty:
        human = human.merge(
            model[["record_id", "client_id", "score", "explanation"]],
            how="left",
            on=["record_id", "client_id"],
        )
        human["decision"] = "match"
        human["decided_by"] = "human"
        kept = pd.concat([kept, human], ignore_index=True) if not kept.empty else human
    return kept[list(LINK_COLUMNS)].reset_index(drop=True)


# --- the review app's decisions on one record, applied at once (issue 5) --------------------------
#
# The nightly loader applies decisions in bulk (loader.py); the review app applies one record's at a
# time, so a decision round trip costs a handful of indexed statements whatever the warehouse's size.


@dataclass(frozen=True)
class Outcome:
    """What a decision or an undo did to its record, for the app's message and the audit log."""

    decision_id: int
    source: str
    record_id: str
    #: the record's review item: "open" (candidates remain), "decided", or None (no item)
    item_status: str | None
    #: the record left the warehouse (every candidate ruled out)
    purged: bool
    #: clients whose profile gained or lost the record's facts
    clients: tuple[str, ...]
    #: the decision as recorded ("same person" naming a client the model never proposed is recorded
    #: as "link to another client"); empty for an undo
    decision: str = ""


def effective_decisions(
    conn: sa.Connection, source: str, record_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """The source's review decisions that were not undone (columns id, record_id, client_id, decision,
    decided_at), optionally of some records only."""
    rd, undo = ReviewDecision.__table__, ReviewUndo.__table__
    stmt = (
        sa.select(rd.c.id, rd.c.record_id, rd.c.client_id, rd.c.decision, rd.c.decided_at)
        .outerjoin(undo, undo.c.decision_id == rd.c.id)
        .where(rd.c.source == source, undo.c.decision_id.is_(None))
    )
    rows: list[tuple] = []
    if record_ids is None:
        rows = [tuple(r) for r in conn.execute(stmt)]
    else:
        for batch in chunks(sorted({str(r) for r in record_ids})):
            rows += [tuple(r) for r in conn.execute(stmt.where(rd.c.record_id.in_(batch)))]
    return pd.DataFrame(
        rows, columns=["id", "record_id", "client_id", "decision", "decided_at"], dtype=object
    )


def decide(
    engine: sa.Engine,
    *,
    source: str,
    record_id: str,
    client_id: str,
    decision: str,
    decided_by: str,
    note: str | None = None,
    also: Callable[[sa.Connection, Outcome], None] | None = None,
) -> Outcome:
    """Append one decision and apply it to its record at once, in one transaction.

    The record's links as they stood are kept beside the decision (``review_decision_links``) so
    :func:`undo` can put them back. "not this person" with other candidates left keeps the item open
    for them; on the last candidate the record leaves the warehouse (privacy rule 1). ``also`` runs
    in the same transaction (the review app writes its audit entry there: both or neither).
    """
    with rolled_back("recording a review decision"), write_transaction(engine) as conn:
        outcome = decide_in(
            conn,
            source=source,
            record_id=record_id,
            client_id=client_id,
            decision=decision,
            decided_by=decided_by,
            note=note,
            now=utcnow(),
        )
        if also is not None:
            also(conn, outcome)
        return outcome


def decide_in(
    conn: sa.Connection,
    *,
    source: str,
    record_id: str,
    client_id: str,
    decision: str,
    decided_by: str,
    note: str | None,
    now: datetime,
) -> Outcome:
    """:func:`decide` inside the caller's transaction (one youth's rows are decided in one)."""
    if decision not in HUMAN_DECISIONS:
        raise WarehouseError("unknown decision")
    links = _record_links(conn, source, record_id)
    if not links and decision != "link_other_client":
        raise WarehouseError("the record has no candidates left; it was decided or has left the warehouse")
    candidates = {link["client_id"] for link in links}
    if client_id not in candidates:
        # a form can name any client: one the model never proposed is a link to another client,
        # whatever the form said, and cannot be ruled out (it was never proposed)
        if decision == "not_this_person":
            raise WarehouseError("that client is not a candidate for this record")
        decision = "link_other_client"
    if decision == "link_other_client" and not _client_exists(conn, client_id):
        raise WarehouseError("unknown client")
    rd = ReviewDecision.__table__
    decision_id = conn.execute(
        sa.insert(rd)
        .values(
            source=source,
            record_id=record_id,
            client_id=client_id,
            decision=decision,
            decided_by=decided_by,
            decided_at=now,
            note=note or None,
        )
        .returning(rd.c.id)
    ).scalar_one()
    if links:
        conn.execute(
            sa.insert(ReviewDecisionLink.__table__),
            [{"decision_id": decision_id, **{k: link[k] for k in _SNAPSHOT}} for link in links],
        )
    before = {link["client_id"] for link in links if link["decision"] == "match"}
    return dataclasses.replace(_settle(conn, source, record_id, decision_id, before, now), decision=decision)


def undo(
    engine: sa.Engine,
    decision_id: int,
    undone_by: str,
    also: Callable[[sa.Connection, Outcome], None] | None = None,
) -> Outcome:
    """Take a decision back: its record's links return to what they were just before it.

    Only the record's latest standing decision can be undone (a later one builds on it). A record
    that left the warehouse on a rejection cannot come back from here (its rows are gone, by design):
    its item is open again in the sense that its agency's next delivery will ask about it afresh.
    """
    with rolled_back("undoing a review decision"), write_transaction(engine) as conn:
        outcome = undo_in(conn, decision_id, undone_by, utcnow())
        if also is not None:
            also(conn, outcome)
        return outcome


def undo_in(conn: sa.Connection, decision_id: int, undone_by: str, now: datetime) -> Outcome:
    """:func:`undo` inside the caller's transaction."""
    rd, undo_t = ReviewDecision.__table__, ReviewUndo.__table__
    row = conn.execute(sa.select(rd).where(rd.c.id == decision_id)).mappings().first()
    if row is None:
        raise WarehouseError("unknown decision")
    source, record_id = row["source"], row["record_id"]
    standing = effective_decisions(conn, source, [record_id])
    if decision_id not in set(standing["id"]):
        raise WarehouseError("that decision was already undone")
    if int(max(standing["id"])) != decision_id:
        raise WarehouseError("a later decision on the same row stands; undo that one first")
    conn.execute(sa.insert(undo_t).values(decision_id=decision_id, undone_by=undone_by, undone_at=now))
    before = {
        link["client_id"] for link in _record_links(conn, source, record_id) if link["decision"] == "match"
    }
    if _has_person(conn, source, record_id):
        snap = ReviewDecisionLink.__table__
        saved = [
            dict(r)
            for r in conn.execute(
                sa.select(*[snap.c[k] for k in _SNAPSHOT]).where(snap.c.decision_id == decision_id)
            ).mappings()
        ]
        if saved:
            ml = MatchLink.__table__
            conn.execute(sa.delete(ml).where(ml.c.source == source, ml.c.record_id == record_id))
            conn.execute(
                sa.insert(ml),
                [{**s, "source": source, "record_id": record_id, "updated_at": now} for s in saved],
            )
    return _settle(conn, source, record_id, decision_id, before, now)


_SNAPSHOT = ("client_id", "score", "decision", "decided_by", "explanation", "delivery_id")


def _settle(
    conn: sa.Connection, source: str, record_id: str, decision_id: int, before: set[str], now: datetime
) -> Outcome:
    """Bring one record's links, facts and review item in line with its standing decisions."""
    decisions = effective_decisions(conn, source, [record_id])
    stored = _record_links(conn, source, record_id)
    purged = False
    if stored:
        final = _record_final_links(stored, decisions, record_id)
        if not final:
            purge_records(conn, source=source, record_ids={record_id}, decided={record_id})
            purged = True
        else:
            _write_record_links(conn, source, record_id, final, stored, now)
    after = {
        link["client_id"] for link in _record_links(conn, source, record_id) if link["decision"] == "match"
    }
    status = _sync_item(conn, source, record_id, decisions, now)
    return Outcome(decision_id, source, record_id, status, purged, tuple(sorted(before ^ after)))


def _record_final_links(stored: list[dict], decisions: pd.DataFrame, record_id: str) -> list[dict]:
    """``final_links`` for one record, in plain Python (pandas costs tens of ms per call at this size).

    A person's link wins (one human ``match``, the model's score and explanation kept if it had one);
    otherwise the model's links less the ruled-out pairs, at most one ``match``.
    """
    linked, excluded, _ = decision_state(decisions)
    by_client = {s["client_id"]: s for s in stored}
    target = linked.get(record_id)
    if target is not None:
        known = by_client.get(target, {})
        return [
            {
                "client_id": target,
                "score": known.get("score"),
                "explanation": known.get("explanation"),
                "decision": "match",
                "decided_by": "human",
            }
        ]
    kept = [
        s for s in stored if (record_id, s["client_id"]) not in excluded and s["decision"] in KEPT_DECISIONS
    ]
    best_match = max(
        (s for s in kept if s["decision"] == "match"), key=lambda s: s["score"] or 0.0, default=None
    )
    return [
        {
            "client_id": s["client_id"],
            "score": s["score"],
            "explanation": s["explanation"],
            "decision": "match" if s is best_match else "review",
            "decided_by": "model",
        }
        for s in kept
    ]


def _write_record_links(
    conn: sa.Connection, source: str, record_id: str, final: list[dict], stored: list[dict], now: datetime
) -> None:
    ml = MatchLink.__table__
    by_client = {s["client_id"]: s for s in stored}
    latest = max(int(s["delivery_id"]) for s in stored)
    wanted = {link["client_id"] for link in final}
    gone = [c for c in by_client if c not in wanted]
    if gone:
        conn.execute(
            sa.delete(ml).where(ml.c.source == source, ml.c.record_id == record_id, ml.c.client_id.in_(gone))
        )
    for link in final:
        values = {k: link[k] for k in ("score", "decision", "decided_by", "explanation")}
        old = by_client.get(link["client_id"])
        if old is None:
            conn.execute(
                sa.insert(ml).values(
                    source=source,
                    record_id=record_id,
                    client_id=link["client_id"],
                    delivery_id=latest,
                    updated_at=now,
                    **values,
                )
            )
        elif any(old[k] != v for k, v in values.items()):
            conn.execute(
                sa.update(ml)
                .where(
                    ml.c.source == source, ml.c.record_id == record_id, ml.c.client_id == link["client_id"]
                )
                .values(updated_at=now, **values)
            )


def _sync_item(
    conn: sa.Connection, source: str, record_id: str, decisions: pd.DataFrame, now: datetime
) -> str | None:
    """The record's review item after a decision: open while only review candidates remain,
    decided once a person linked it or ruled every candidate out; None when there is no item."""
    ri = ReviewItem.__table__
    item = conn.execute(
        sa.select(ri.c.id, ri.c.status).where(ri.c.source == source, ri.c.record_id == record_id)
    ).first()
    links = _record_links(conn, source, record_id)
    has_match = any(link["decision"] == "match" for link in links)
    review = [link for link in links if link["decision"] == "review"]
    decided = not decisions.empty
    if review and not has_match:
        best = max((link["score"] for link in review if link["score"] is not None), default=None)
        if item is None:
            conn.execute(
                sa.insert(ri).values(
                    source=source,
                    record_id=record_id,
                    status="open",
                    best_score=best,
                    delivery_id=max(int(link["delivery_id"]) for link in review),
                    opened_at=now,
                    decided_at=None,
                )
            )
        else:
            conn.execute(
                sa.update(ri)
                .where(ri.c.id == item.id)
                .values(status="open", best_score=best, decided_at=None)
            )
        return "open"
    if item is None:
        return None
    if decided:
        at = max(decisions["decided_at"])
        conn.execute(sa.update(ri).where(ri.c.id == item.id).values(status="decided", decided_at=at))
        return "decided"
    if item.status == "open":  # the model is sure, or nothing is left: no question to ask
        conn.execute(sa.delete(ri).where(ri.c.id == item.id))
        return None
    return item.status


def _record_links(conn: sa.Connection, source: str, record_id: str) -> list[dict]:
    ml = MatchLink.__table__
    return [
        dict(r)
        for r in conn.execute(
            sa.select(*[ml.c[k] for k in _SNAPSHOT])
            .where(ml.c.source == source, ml.c.record_id == record_id)
            .order_by(ml.c.score.desc())
        ).mappings()
    ]


def _has_person(conn: sa.Connection, source: str, record_id: str) -> bool:
    sp = SourcePerson.__table__
    return (
        conn.execute(sa.select(sp.c.id).where(sp.c.source == source, sp.c.record_id == record_id)).first()
        is not None
    )


def _client_exists(conn: sa.Connection, client_id: str) -> bool:
    c = Client.__table__
    return conn.execute(sa.select(c.c.client_id).where(c.c.client_id == client_id)).first() is not None
