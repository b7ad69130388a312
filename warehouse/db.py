"""Engines for the warehouse: the same code on SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event

#: key in a connection's ``info`` naming the BEGIN statement of its next SQLite transaction
SQLITE_BEGIN = "safetynet_sqlite_begin"


def utcnow() -> datetime:
    """Naive UTC: the warehouse stores UTC without a zone, identically on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def resolve_url(url: str | None = None) -> str:
    """``url``, else the configured warehouse (``settings``: ``$SAFETYNET_WAREHOUSE_URL``, else
    the embedded SQLite file under the project home's ``var/``)."""
    if url:
        return url
    import settings

    return settings.current().warehouse_url


#: SQLSTATE class of RAISE EXCEPTION: our own triggers' messages, which name tables, never values
_RAISED_BY_US = "P0"


def _redact_server_message(context: sa.engine.ExceptionContext) -> None:
    """Keep PostgreSQL's error text free of values: its DETAIL ("Key (client_id)=(...)") and many
    primary messages ('invalid input syntax ...: "<value>"') quote the data, so an error names only its
    type, SQLSTATE and the schema objects involved (our own trigger messages are kept)."""
    orig = context.original_exception
    diag = getattr(orig, "diag", None)
    if diag is None:
        return
    if (diag.sqlstate or "").startswith(_RAISED_BY_US) and diag.message_primary:
        text = diag.message_primary
    else:
        where = [
            f"{label} {name}"
            for label, name in (
                ("table", diag.table_name),
                ("column", diag.column_name),
                ("constraint", diag.constraint_name),
            )
            if name
        ]
        text = f"{type(orig).__name__} (SQLSTATE {diag.sqlstate})"
        text += f" on {', '.join(where)}" if where else ""
    orig.args = (text,)
    if context.sqlalchemy_exception is not None:  # its message was rendered from the original text
        context.sqlalchemy_exception.args = (f"({type(orig).__module__}.{type(orig).__name__}) {text}",)


#: the one PostgreSQL driver the warehouse speaks: bulk loads use psycopg 3's COPY (``upsert``)
PG_DRIVER = "psycopg"


def warehouse_url(url: str) -> sa.URL:
    """``url`` parsed, with a bare ``postgresql://`` read as psycopg 3 (SQLAlchemy's own default for
    it is psycopg2, whose connections have no COPY the bulk loads could use). Any other PostgreSQL
    driver is refused here, by name, before a load can fail halfway."""
    u = sa.engine.make_url(url)
    if u.get_backend_name() != "postgresql":
        return u
    if u.drivername == "postgresql":
        return u.set(drivername=f"postgresql+{PG_DRIVER}")
    if u.get_driver_name() != PG_DRIVER:
        from settings import SettingsError

        raise SettingsError(
            f"warehouse URL: the driver {u.drivername!r} is not supported; use "
            f"postgresql+{PG_DRIVER}:// (or postgresql://, read as psycopg 3)"
        )
    return u


def make_engine(url: str | None = None) -> sa.Engine:
    """An engine whose transactions really are transactions, on both backends.

    SQLite needs two fixes (SQLAlchemy's documented recipe, "Serializable isolation / Savepoints /
    Transactional DDL"): pysqlite's legacy transaction handling only emits BEGIN before DML, so a
    failed load could leave earlier statements committed and SAVEPOINT/DDL misbehave; we switch its
    handling off and emit BEGIN ourselves. Foreign keys are off by default in SQLite; we turn them on
    per connection so both backends enforce the same constraints.
    """
    u = warehouse_url(resolve_url(url))
    # hide_parameters: a database error's message (which reaches logs, Dagster's event log and the
    # review app's error log) then names the statement, never the bound values (names, DOBs, ids)
    if u.get_backend_name() != "sqlite":
        engine = sa.create_engine(u, pool_pre_ping=True, hide_parameters=True)
        event.listen(engine, "handle_error", _redact_server_message)
        return engine

    # the file (and its folder) is made by the first connection: only ``schema.migrate`` makes one
    file_db = bool(u.database) and u.database != ":memory:" and not u.database.startswith("file::memory:")
    key = _sqlcipher_key() if file_db else ""
    # timeout: wait for a concurrent writer (e.g. the review app) instead of failing at once
    engine = sa.create_engine(
        u, connect_args={"timeout": 30}, hide_parameters=True, **({"module": _sqlcipher()} if key else {})
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # pysqlite: never emit BEGIN on its own
        cur = dbapi_connection.cursor()
        if key:  # SQLCipher: the key must be the first statement on the connection
            cur.execute("PRAGMA key = '{}'".format(key.replace("'", "''")))
        cur.execute("PRAGMA foreign_keys=ON")
        # deleted rows are overwritten with zeros, not left in free space (a seal must reach them)
        cur.execute("PRAGMA secure_delete=ON")
        if file_db:
            # WAL: the review app and `safetynet status` keep reading while a nightly load writes
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # writers ask for BEGIN IMMEDIATE (see ``write_transaction``); readers get a deferred BEGIN
        conn.exec_driver_sql(conn.info.pop(SQLITE_BEGIN, "BEGIN"))

    return engine


def _sqlcipher_key() -> str:
    import settings

    return settings.current().warehouse_key


def _sqlcipher():
    """SQLCipher's drop-in ``sqlite3`` module (the ``sqlcipher`` extra)."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        import settings

        raise settings.SettingsError(
            "SAFETYNET_WAREHOUSE_KEY is set but SQLCipher is not installed: pip install '.[sqlcipher]'"
        ) from None
    return dbapi2


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that will write: committed at the end, rolled back on any exception.

    On SQLite it starts with BEGIN IMMEDIATE: a deferred transaction that reads first and then
    writes fails at once with "database is locked" when another writer (the review app) got in
    between, whereas IMMEDIATE takes the write lock up front and waits up to the busy timeout.
    """
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn.info[SQLITE_BEGIN] = "BEGIN IMMEDIATE"
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info.pop(SQLITE_BEGIN, None)
