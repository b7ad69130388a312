"""Names the coordinator's "same person" decisions taught about a client (``client_learned_names``).

A row decided to be a client while it states another name for her (her legal name as the given
name beside her chosen name, a street name in an AKA) teaches that name (``warehouse.youth``).
Every later run of every source matches with it: ``read_clients_frame`` hands learned names to the
matcher as aliases after the client's own. They are client data: shown on her page (where viewing
is audited) and removable there; sealing the row that stated one removes it; undoing the decision
that taught it removes it.

Rows the matcher itself linked can state a name too (an AKA naming her beside another given name):
those are not stored here but read from the links in force each run
(:func:`model_matched_with_aliases`), so they go with the link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd
import sqlalchemy as sa

from warehouse.db import utcnow, write_transaction
from warehouse.errors import WarehouseError, rolled_back
from warehouse.frames import chunks
from warehouse.models import Client, ClientLearnedName, MatchLink, SourcePerson

LEARNED = ClientLearnedName.__table__


def active_names(conn: sa.Connection, client_ids: Iterable[str] | None = None) -> dict[str, list[dict]]:
    """client id -> the names in force (id, name, kind, learned_at), oldest first."""
    stmt = (
        sa.select(LEARNED.c.id, LEARNED.c.client_id, LEARNED.c.name, LEARNED.c.kind, LEARNED.c.learned_at)
        .where(LEARNED.c.removed_at.is_(None))
        .order_by(LEARNED.c.client_id, LEARNED.c.id)
    )
    rows: list = []
    if client_ids is None:
        rows = list(conn.execute(stmt).mappings())
    else:
        for batch in chunks(sorted(set(client_ids))):
            rows += list(conn.execute(stmt.where(LEARNED.c.client_id.in_(batch))).mappings())
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["client_id"], []).append({k: r[k] for k in ("id", "name", "kind", "learned_at")})
    return out


def remove_name(
    engine: sa.Engine,
    name_id: int,
    client_id: str,
    removed_by: str,
    also: Callable[[sa.Connection], None] | None = None,
) -> None:
    """Stop using a learned name (kept as removed, with who and when); ``also`` in the same transaction."""
    with rolled_back("removing a learned name"), write_transaction(engine) as conn:
        done = conn.execute(
            sa.update(LEARNED)
            .where(LEARNED.c.id == name_id, LEARNED.c.client_id == client_id, LEARNED.c.removed_at.is_(None))
            .values(removed_at=utcnow(), removed_by=removed_by)
        ).rowcount
        if done != 1:
            raise WarehouseError("no such learned name for this client")
        if also is not None:
            also(conn)


def model_matched_with_aliases(conn: sa.Connection) -> pd.DataFrame:
    """The agency rows the matcher linked to an active client that carry AKAs (client_id, source,
    record_id and the names: the rows that may state another given name of hers, see
    ``matchers.learned_names.names_stated_by_matched_rows``). A person's decision teaches through
    ``client_learned_names`` instead."""
    links, persons, clients = MatchLink.__table__, SourcePerson.__table__, Client.__table__
    rows = conn.execute(
        sa.select(
            links.c.client_id,
            persons.c.source,
            persons.c.record_id,
            persons.c.first_name,
            persons.c.middle_name,
            persons.c.last_name,
            persons.c.aliases,
        )
        .join(persons, sa.and_(persons.c.source == links.c.source, persons.c.record_id == links.c.record_id))
        .join(clients, clients.c.client_id == links.c.client_id)
        .where(
            links.c.decision == "match",
            links.c.decided_by == "model",
            clients.c.active,
            persons.c.aliases.is_not(None),
            persons.c.aliases != "",
        )
        .order_by(links.c.client_id, persons.c.source, persons.c.record_id)
    ).all()
    columns = ["client_id", "source", "record_id", "first_name", "middle_name", "last_name", "aliases"]
    return pd.DataFrame([tuple(r) for r in rows], columns=columns, dtype=object)
