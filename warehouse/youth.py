"""One decision per youth, remembered for her later rows (issue 17).

A review item may hold several agency rows of one youth (the review app groups them). The
coordinator decides them at once: :func:`decide_youth` appends one ``review_youth_decisions`` row
and, per row, an ordinary ``review_decisions`` row (applied exactly as ``warehouse.decisions``
applies any), tied together by ``review_youth_rows`` with the identity tokens the row had
(``source_persons.identity``, matchers/identity.py). :func:`undo_youth` takes the whole decision
back.

The identities are the memory: a later load hands the pairs it is about to ask about to a
``remember`` callback (the pipeline compares identities: ``sync.memory``), which answers those
whose row is a youth already decided; :func:`record_remembered` appends those answers as part of
the original decision (``remembered``), so they are never asked and an undo takes them back too.
A "not this person" memory speaks for its client only; "same person" / "link to another client"
say who the youth is, so a later row of hers is linked to that client whoever the model proposed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from warehouse.db import utcnow, write_transaction
from warehouse.decisions import Outcome, decide_in, undo_in
from warehouse.errors import WarehouseError, rolled_back
from warehouse.frames import chunks
from warehouse.models import (
    YOUTH_DECISIONS,
    ClientLearnedName,
    MatchLink,
    ReviewDecision,
    ReviewDecisionLink,
    ReviewUndo,
    ReviewYouthDecision,
    ReviewYouthRow,
    SourcePerson,
)

YD, YR = ReviewYouthDecision.__table__, ReviewYouthRow.__table__
RD, UNDO = ReviewDecision.__table__, ReviewUndo.__table__
LEARNED = ClientLearnedName.__table__
#: verdicts that say who the youth is (a later row of hers is linked to that client)
IS_CLIENT = ("same_person", "link_other_client")


@dataclass(frozen=True)
class LearnedName:
    """A name a "same person" decision teaches about the client, and the row that stated it."""

    name: str
    kind: str  # given_name | alias
    source: str
    record_id: str


@dataclass(frozen=True)
class YouthOutcome:
    """What one youth decision (or its undo) did: per row, the ``warehouse.decisions.Outcome``."""

    youth_decision_id: int
    outcomes: tuple[Outcome, ...]
    learned: int = 0
    #: the decision as recorded (see ``decide_youth``); empty for an undo
    decision: str = ""

    @property
    def clients(self) -> tuple[str, ...]:
        """Clients whose profile gained or lost a row."""
        return tuple(sorted({c for o in self.outcomes for c in o.clients}))

    @property
    def open_rows(self) -> tuple[tuple[str, str], ...]:
        """Rows whose item stays open (other candidates remain)."""
        return tuple((o.source, o.record_id) for o in self.outcomes if o.item_status == "open")

    @property
    def purged(self) -> int:
        return len({(o.source, o.record_id) for o in self.outcomes if o.purged})


def decide_youth(
    engine: sa.Engine,
    *,
    rows: Sequence[tuple[str, str]],
    client_id: str | None,
    decision: str,
    decided_by: str,
    note: str | None = None,
    item_id: int | None = None,
    learned: Iterable[LearnedName] = (),
    also: Callable[[sa.Connection, YouthOutcome], None] | None = None,
) -> YouthOutcome:
    """Decide ``rows`` (source, record_id) of one youth at once, in one transaction.

    ``same_person`` / ``link_other_client`` link every row to ``client_id`` (each row's decision
    is "same person" where the client was its candidate, else "link to another client");
    ``not_this_person`` rules ``client_id`` out for every row that has her as a candidate;
    ``none_of_these`` rules out every candidate each row has.
    ``learned``: names the decision teaches about the client (kept in ``client_learned_names``).
    ``also`` runs in the same transaction (the app's audit entry).
    """
    if decision not in YOUTH_DECISIONS:
        raise WarehouseError("unknown decision")
    if not rows:
        raise WarehouseError("no rows to decide")
    if decision != "none_of_these" and not client_id:
        raise WarehouseError("choose a client first")
    with rolled_back("recording a review decision"), write_transaction(engine) as conn:
        now = utcnow()
        plan: list[tuple[str, str, list[tuple[str, str]]]] = []
        for source, record_id in dict.fromkeys(rows):
            candidates = _candidates(conn, source, record_id)
            if decision == "none_of_these":
                pairs = [(c, "not_this_person") for c in candidates]
            elif decision == "not_this_person":
                pairs = [(client_id, decision)] if client_id in candidates else []
            elif client_id in candidates:
                pairs = [(client_id, "same_person")]
            else:  # she is a client the model did not propose for this row
                pairs = [(client_id, "link_other_client")]
            plan.append((source, record_id, pairs))
        verdicts = {v for _, _, pairs in plan for _, v in pairs}
        # as recorded: "same person" naming a client no row had as a candidate is a link to another
        recorded = (
            "link_other_client" if decision in IS_CLIENT and verdicts == {"link_other_client"} else decision
        )
        youth_id = conn.execute(
            sa.insert(YD)
            .values(
                client_id=client_id if decision != "none_of_these" else None,
                decision=recorded,
                decided_by=decided_by,
                decided_at=now,
                item_id=item_id,
            )
            .returning(YD.c.id)
        ).scalar_one()
        identities = _identities(conn, rows)
        outcomes: list[Outcome] = []
        for source, record_id, pairs in plan:
            for client, verdict in pairs:
                outcome = decide_in(
                    conn,
                    source=source,
                    record_id=record_id,
                    client_id=client,
                    decision=verdict,
                    decided_by=decided_by,
                    note=note,
                    now=now,
                )
                conn.execute(
                    sa.insert(YR).values(
                        decision_id=outcome.decision_id,
                        youth_decision_id=youth_id,
                        remembered=False,
                        identity=identities.get((source, record_id)),
                    )
                )
                outcomes.append(outcome)
        if not outcomes:
            raise WarehouseError("no row has that client as a candidate; the item may have changed")
        names = list(dict.fromkeys(learned)) if decision in IS_CLIENT and client_id else []
        if names:
            _learn(conn, client_id, youth_id, names, now)
        result = YouthOutcome(youth_id, tuple(outcomes), len(names), recorded)
        if also is not None:
            also(conn, result)
        return result


def undo_youth(
    engine: sa.Engine,
    youth_decision_id: int,
    undone_by: str,
    also: Callable[[sa.Connection, YouthOutcome], None] | None = None,
) -> YouthOutcome:
    """Take a whole youth decision back: every row's decision (later rows it answered included),
    newest first, and the names it taught. Refused when a later decision on one of its rows stands
    (undo that one first), like ``warehouse.decisions.undo``."""
    with rolled_back("undoing a review decision"), write_transaction(engine) as conn:
        now = utcnow()
        if conn.execute(sa.select(YD.c.id).where(YD.c.id == youth_decision_id)).first() is None:
            raise WarehouseError("unknown decision")
        standing = [
            d
            for (d,) in conn.execute(
                sa.select(YR.c.decision_id)
                .outerjoin(UNDO, UNDO.c.decision_id == YR.c.decision_id)
                .where(YR.c.youth_decision_id == youth_decision_id, UNDO.c.decision_id.is_(None))
                .order_by(YR.c.decision_id.desc())
            )
        ]
        if not standing:
            raise WarehouseError("that decision was already undone")
        outcomes = tuple(undo_in(conn, d, undone_by, now) for d in standing)
        conn.execute(sa.delete(LEARNED).where(LEARNED.c.youth_decision_id == youth_decision_id))
        result = YouthOutcome(youth_decision_id, outcomes)
        if also is not None:
            also(conn, result)
        return result


def latest_standing(conn: sa.Connection, decided_by: str) -> int | None:
    """This user's latest youth decision with a row decision that still stands."""
    return conn.execute(
        sa.select(YD.c.id)
        .join(YR, YR.c.youth_decision_id == YD.c.id)
        .outerjoin(UNDO, UNDO.c.decision_id == YR.c.decision_id)
        .where(YD.c.decided_by == decided_by, UNDO.c.decision_id.is_(None))
        .order_by(YD.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def youth_decision(conn: sa.Connection, youth_decision_id: int) -> dict | None:
    """The decision (id, client_id, decision, decided_by, decided_at, item_id), its rows (source,
    record_id, decision id, remembered, undone) and whether any row's decision still stands."""
    row = conn.execute(sa.select(YD).where(YD.c.id == youth_decision_id)).mappings().first()
    if row is None:
        return None
    rows = [
        dict(r)
        for r in conn.execute(
            sa.select(
                RD.c.source,
                RD.c.record_id,
                RD.c.client_id,
                YR.c.decision_id,
                YR.c.remembered,
                UNDO.c.decision_id.is_not(None).label("undone"),
            )
            .join(RD, RD.c.id == YR.c.decision_id)
            .outerjoin(UNDO, UNDO.c.decision_id == YR.c.decision_id)
            .where(YR.c.youth_decision_id == youth_decision_id)
            .order_by(YR.c.decision_id)
        ).mappings()
    ]
    return {**dict(row), "rows": rows, "standing": any(not r["undone"] for r in rows)}


def client_decisions(conn: sa.Connection, client_id: str, limit: int = 50) -> list[dict]:
    """The standing youth decisions about a client, newest first: id, decision, decided_by,
    decided_at, rows decided, later rows answered by it and the last time one was (no row data)."""
    undone = sa.exists(sa.select(UNDO.c.decision_id).where(UNDO.c.decision_id == YR.c.decision_id))
    stmt = (
        sa.select(
            YD.c.id,
            YD.c.decision,
            YD.c.decided_by,
            YD.c.decided_at,
            sa.func.count().filter(~YR.c.remembered).label("rows"),
            sa.func.count().filter(YR.c.remembered).label("remembered"),
            sa.func.max(RD.c.decided_at).filter(YR.c.remembered).label("last_remembered"),
        )
        .join(YR, YR.c.youth_decision_id == YD.c.id)
        .join(RD, RD.c.id == YR.c.decision_id)
        .where(RD.c.client_id == client_id, ~undone)
        .group_by(YD.c.id, YD.c.decision, YD.c.decided_by, YD.c.decided_at)
        .order_by(YD.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


# --- the memory a load consults ----------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """One decided row's identity and what was decided about its youth."""

    youth_decision_id: int
    client_id: str
    #: same_person / link_other_client (the youth is ``client_id``) or not_this_person (she is not)
    verdict: str
    identity: str
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class Remembered:
    """A later row's pair answered by an earlier youth decision."""

    record_id: str
    client_id: str
    decision: str
    youth_decision_id: int


@dataclass
class MemoryQuery:
    """What a load asks the memory: the pairs it would keep (``record_id, client_id, decision``:
    match or review) of rows no person has decided, and the identity of each row."""

    pairs: pd.DataFrame
    identities: dict[str, str] = field(default_factory=dict)


def standing_memory(conn: sa.Connection, not_for: Iterable[str] | None = None) -> list[Memory]:
    """Every standing decided row with an identity that says who its youth is, plus the "not this
    person" ones for the clients in ``not_for`` (all of them when None)."""
    undone = sa.exists(sa.select(UNDO.c.decision_id).where(UNDO.c.decision_id == RD.c.id))
    stmt = (
        sa.select(
            YR.c.youth_decision_id,
            RD.c.client_id,
            RD.c.decision,
            YR.c.identity,
            YD.c.decided_by,
            RD.c.decided_at,
        )
        .join(RD, RD.c.id == YR.c.decision_id)
        .join(YD, YD.c.id == YR.c.youth_decision_id)
        .where(YR.c.identity.is_not(None), RD.c.client_id.is_not(None), ~undone)
    )
    out = [Memory(*r) for r in conn.execute(stmt.where(RD.c.decision.in_(IS_CLIENT)))]
    negative = stmt.where(RD.c.decision == "not_this_person")
    if not_for is None:
        out += [Memory(*r) for r in conn.execute(negative)]
    else:
        for batch in chunks(sorted(set(not_for))):
            out += [Memory(*r) for r in conn.execute(negative.where(RD.c.client_id.in_(batch)))]
    return out


def record_remembered(
    conn: sa.Connection,
    source: str,
    remembered: Iterable[Remembered],
    model_links: pd.DataFrame,
    identities: dict[str, str],
    now: datetime,
) -> int:
    """Append the remembered answers as review decisions of their youth decisions (with the row's
    model links as they stood, for an undo). Returns how many. The loader then applies them as it
    applies every decision."""
    answers = list(dict.fromkeys(remembered))
    if not answers:
        return 0
    standing = _standing_youth(conn, {a.youth_decision_id for a in answers})
    by_record = {r: g for r, g in model_links.groupby("record_id")} if not model_links.empty else {}
    done = 0
    for a in answers:
        decided_by = standing.get(a.youth_decision_id)
        if decided_by is None:  # undone since the memory was read: ask the person after all
            continue
        decision_id = conn.execute(
            sa.insert(RD)
            .values(
                source=source,
                record_id=a.record_id,
                client_id=a.client_id,
                decision=a.decision,
                decided_by=decided_by,
                decided_at=now,
                note=None,
            )
            .returning(RD.c.id)
        ).scalar_one()
        links = by_record.get(a.record_id)
        if links is not None and not links.empty:
            conn.execute(
                sa.insert(ReviewDecisionLink.__table__),
                [
                    {
                        "decision_id": decision_id,
                        "client_id": str(link["client_id"]),
                        "score": None if pd.isna(link["score"]) else float(link["score"]),
                        "decision": link["decision"],
                        "decided_by": "model",
                        "explanation": link.get("explanation"),
                        "delivery_id": int(link["delivery_id"]),
                    }
                    for link in links.to_dict("records")
                ],
            )
        conn.execute(
            sa.insert(YR).values(
                decision_id=decision_id,
                youth_decision_id=a.youth_decision_id,
                remembered=True,
                identity=identities.get(a.record_id),
            )
        )
        done += 1
    return done


def _standing_youth(conn: sa.Connection, youth_ids: set[int]) -> dict[int, str]:
    """Youth decisions (of ``youth_ids``) with a row decision still standing -> who decided."""
    found: dict[int, str] = {}
    for batch in chunks(sorted(youth_ids)):
        found.update(
            conn.execute(
                sa.select(YD.c.id, YD.c.decided_by)
                .join(YR, YR.c.youth_decision_id == YD.c.id)
                .outerjoin(UNDO, UNDO.c.decision_id == YR.c.decision_id)
                .where(YD.c.id.in_(batch), UNDO.c.decision_id.is_(None))
                .distinct()
            ).all()
        )
    return found


def _identities(conn: sa.Connection, rows: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    sp = SourcePerson.__table__
    out: dict[tuple[str, str], str] = {}
    for source in {s for s, _ in rows}:
        records = sorted({r for s, r in rows if s == source})
        for batch in chunks(records):
            out.update(
                ((source, r), i)
                for r, i in conn.execute(
                    sa.select(sp.c.record_id, sp.c.identity).where(
                        sp.c.source == source, sp.c.record_id.in_(batch), sp.c.identity.is_not(None)
                    )
                )
            )
    return out


def _candidates(conn: sa.Connection, source: str, record_id: str) -> list[str]:
    ml = MatchLink.__table__
    return list(
        conn.execute(
            sa.select(ml.c.client_id)
            .where(ml.c.source == source, ml.c.record_id == record_id)
            .order_by(ml.c.score.desc(), ml.c.client_id)
        ).scalars()
    )


def _learn(
    conn: sa.Connection, client_id: str, youth_id: int, names: list[LearnedName], now: datetime
) -> None:
    known = {
        n.casefold()
        for n in conn.execute(
            sa.select(LEARNED.c.name).where(LEARNED.c.client_id == client_id, LEARNED.c.removed_at.is_(None))
        ).scalars()
    }
    fresh = []
    for n in names:
        if n.name.casefold() in known:
            continue
        known.add(n.name.casefold())
        fresh.append(
            {
                "client_id": client_id,
                "name": n.name,
                "kind": n.kind,
                "youth_decision_id": youth_id,
                "source": n.source,
                "record_id": n.record_id,
                "learned_at": now,
            }
        )
    if fresh:
        conn.execute(sa.insert(LEARNED), fresh)
