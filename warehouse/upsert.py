"""INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL, changing only rows that differ."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

#: bookkeeping columns: updated with the data, but a change in them alone is not a change
BOOKKEEPING = ("delivery_id", "updated_at")


def upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], key: Sequence[str]) -> None:
    """Insert ``rows``; on a key conflict update the row, but only when a data column differs.

    The ``WHERE`` on the conflict update (``IS DISTINCT FROM`` on PostgreSQL, ``IS NOT`` on SQLite)
    is what makes loading the same facts twice change nothing: not even ``delivery_id`` or
    ``updated_at`` move, so they keep saying which delivery last changed the row.
    """
    if not rows:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    cols = [c for c in rows[0] if c not in key]
    data = [c for c in cols if c not in BOOKKEEPING]
    set_ = {c: stmt.excluded[c] for c in cols}
    if not set_:
        conn.execute(stmt.on_conflict_do_nothing(index_elements=list(key)), rows)
        return
    changed = sa.or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in data]) if data else sa.false()
    conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=set_, where=changed), rows)
