"""Bulk INSERT and INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL, column-oriented.

100,000-row deliveries must load in seconds, and SQLAlchemy's per-row parameter processing is most
of the cost of an ``executemany`` that size. So the hot paths bypass it, with values made ready here:

- PostgreSQL: ``COPY`` into a temporary staging table, then one ``INSERT ... SELECT ... ON CONFLICT``;
- SQLite: the statement compiled once by SQLAlchemy, run with ``exec_driver_sql`` over plain tuples
  (dates and times rendered exactly as SQLAlchemy's SQLite types store them).

Inputs are columns (name -> list of Python values, ``None`` for missing), as ``frames.columns`` gives.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

#: bookkeeping columns: updated with the data, but a change in them alone is not a change
BOOKKEEPING = ("delivery_id", "updated_at", "valid_from")

Columns = dict[str, list]

_stage_numbers = itertools.count(1)


def _length(columns: Columns) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def upsert(conn: sa.Connection, table: sa.Table, columns: Columns, key: Sequence[str]) -> None:
    """Insert the rows; on a key conflict update the row, but only when a data column differs.

    The ``WHERE`` on the conflict update (``IS DISTINCT FROM`` on PostgreSQL, ``IS NOT`` on SQLite)
    is what makes loading the same facts twice change nothing: not even ``delivery_id`` or
    ``updated_at`` move, so they keep saying which delivery last changed the row. Rows must be
    unique on ``key`` (one statement cannot update a row twice).
    """
    if not _length(columns):
        return
    names = list(columns)
    if conn.dialect.name == "postgresql":
        stage = _pg_stage(conn, table, columns)
        source = sa.select(*[stage.c[n] for n in names])
        stmt = _on_conflict(postgresql.insert(table).from_select(names, source), table, names, key)
        conn.execute(stmt)
        conn.exec_driver_sql(f"DROP TABLE {_quote(conn, stage.name)}")
    else:
        stmt = sqlite.insert(table).values({n: sa.bindparam(n) for n in names})
        _sqlite_executemany(conn, table, _on_conflict(stmt, table, names, key), columns)


def insert(conn: sa.Connection, table: sa.Table, columns: Columns) -> None:
    """Plain bulk insert (``COPY`` straight into the table on PostgreSQL)."""
    if not _length(columns):
        return
    if conn.dialect.name == "postgresql":
        _pg_copy(conn, table.name, columns)
    else:
        stmt = sa.insert(table).values({n: sa.bindparam(n) for n in columns})
        _sqlite_executemany(conn, table, stmt, columns)


def _on_conflict(stmt, table: sa.Table, names: list[str], key: Sequence[str]):
    cols = [c for c in names if c not in key]
    data = [c for c in cols if c not in BOOKKEEPING]
    if not cols:
        return stmt.on_conflict_do_nothing(index_elements=list(key))
    changed = sa.or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in data]) if data else sa.false()
    return stmt.on_conflict_do_update(
        index_elements=list(key), set_={c: stmt.excluded[c] for c in cols}, where=changed
    )


# --- PostgreSQL ----------------------------------------------------------------------------------


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _pg_stage(conn: sa.Connection, table: sa.Table, columns: Columns) -> sa.TableClause:
    """A temporary table with the target's column types, filled by COPY."""
    name = f"_stage_{table.name}_{next(_stage_numbers)}"
    cols = ", ".join(_quote(conn, n) for n in columns)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {_quote(conn, name)} ON COMMIT DROP AS "
        f"SELECT {cols} FROM {_quote(conn, table.name)} WITH NO DATA"
    )
    _pg_copy(conn, name, columns)
    return sa.table(name, *[sa.column(n) for n in columns])


def _pg_copy(conn: sa.Connection, table_name: str, columns: Columns) -> None:
    cols = ", ".join(_quote(conn, n) for n in columns)
    dbapi = conn.connection.driver_connection  # psycopg 3: same connection, same transaction
    with dbapi.cursor() as cur, cur.copy(f"COPY {_quote(conn, table_name)} ({cols}) FROM STDIN") as copy:
        for row in zip(*columns.values(), strict=True):
            copy.write_row(row)


# --- SQLite --------------------------------------------------------------------------------------


def _sqlite_date(v: date) -> str:
    return v.isoformat()


def _sqlite_datetime(v: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format: "YYYY-MM-DD HH:MM:SS.ffffff"
    return v.isoformat(sep=" ", timespec="microseconds")


def _sqlite_converter(type_: sa.types.TypeEngine) -> Callable[[object], object] | None:
    if isinstance(type_, sa.DateTime):
        return _sqlite_datetime  # type: ignore[return-value]
    if isinstance(type_, sa.Date):
        return _sqlite_date  # type: ignore[return-value]
    if isinstance(type_, sa.Boolean):
        return int
    if isinstance(type_, sa.JSON):
        raise TypeError("JSON columns go through SQLAlchemy, not the bulk path")
    return None


def _sqlite_executemany(conn: sa.Connection, table: sa.Table, stmt: sa.Executable, columns: Columns) -> None:
    compiled = stmt.compile(dialect=conn.dialect)
    order = list(compiled.positiontup or ())
    if sorted(order) != sorted(columns):
        raise RuntimeError(f"bulk statement for {table.name} binds unexpected parameters")
    ready = []
    for name in order:
        values = columns[name]
        convert = _sqlite_converter(table.c[name].type)
        if convert is None:
            ready.append(values)
        elif values and all(v is values[0] for v in values):  # a constant (updated_at): convert once
            ready.append([None if values[0] is None else convert(values[0])] * len(values))
        else:
            ready.append([None if v is None else convert(v) for v in values])
    conn.exec_driver_sql(str(compiled), list(zip(*ready, strict=True)))
