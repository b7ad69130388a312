"""Match links (``match_links``): the matcher's candidate pairs as stored, after human decisions."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from warehouse import facts
from warehouse.decisions import decision_state, final_links
from warehouse.frames import chunks, columns
from warehouse.models import MatchLink
from warehouse.upsert import upsert


def write_links(
    conn: sa.Connection,
    source: str,
    final: pd.DataFrame,
    record_ids: set[str],
    delivery_id: int | None,
    now: datetime,
) -> int:
    """The source's links of ``record_ids`` become exactly ``final``'s (stale pairs deleted)."""
    ml = MatchLink.__table__
    wanted = set(zip(final["record_id"], final["client_id"], strict=True))
    stale = [
        link_id
        for link_id, rec, client in conn.execute(
            sa.select(ml.c.id, ml.c.record_id, ml.c.client_id).where(ml.c.source == source)
        )
        if rec in record_ids and (rec, client) not in wanted
    ]
    for batch in chunks(stale):
        conn.execute(sa.delete(ml).where(ml.c.id.in_(batch)))
    types = {
        "record_id": "str",
        "client_id": "str",
        "score": "float",
        "decision": "str",
        "decided_by": "str",
        "explanation": "str",
    }
    constants: dict[str, object] = {"source": source, "updated_at": now}
    if delivery_id is None:  # per-row delivery ids (re-applied decisions keep each row's own)
        types["delivery_id"] = "int"
    else:
        constants["delivery_id"] = delivery_id
    values = columns(final, types, constants)
    upsert(conn, ml, values, key=("source", "record_id", "client_id"))
    return len(final)


def reapply_decisions(
    conn: sa.Connection, source: str, decisions: pd.DataFrame, skip: set[str], now: datetime
) -> int:
    """Decisions over the stored links of decided records not in ``skip``; returns how many records."""
    _, _, decided_at = decision_state(decisions)
    targets = sorted(set(decided_at) - skip)
    if not targets:
        return 0
    ml = MatchLink.__table__
    cols = ["record_id", "client_id", "score", "decision", "explanation", "delivery_id"]
    stored_rows: list[tuple] = []
    for batch in chunks(targets):
        stored_rows += [
            tuple(r)
            for r in conn.execute(
                sa.select(*[ml.c[c] for c in cols]).where(ml.c.source == source, ml.c.record_id.in_(batch))
            )
        ]
    stored = pd.DataFrame(stored_rows, columns=cols, dtype=object)
    if stored.empty:
        return 0
    record_ids = set(stored["record_id"])
    final = final_links(stored, decisions, record_ids)
    # rows keep the delivery that brought them; a new human link takes its record's latest one
    by_pair = {
        (r, c): d
        for r, c, d in zip(stored["record_id"], stored["client_id"], stored["delivery_id"], strict=True)
    }
    by_record = stored.groupby("record_id")["delivery_id"].max().to_dict()
    final["delivery_id"] = [
        by_pair.get((r, c), by_record[r]) for r, c in zip(final["record_id"], final["client_id"], strict=True)
    ]
    facts.purge_records(
        conn, source=source, record_ids=record_ids - set(final["record_id"]), decided=set(decided_at)
    )
    write_links(conn, source, final, record_ids, None, now)
    return len(record_ids)


def links_frame(engine: sa.Engine) -> pd.DataFrame:
    """Every stored link: source, record_id, client_id, score, decision, decided_by (no person data)."""
    ml = MatchLink.__table__
    cols = ["source", "record_id", "client_id", "score", "decision", "decided_by"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*[ml.c[c] for c in cols]).order_by(ml.c.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)
