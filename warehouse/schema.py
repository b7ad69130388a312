"""The warehouse schema's version: Alembic migrations, packaged with this folder.

Migrating is a deploy step (``safetynet db upgrade``): nothing else changes the schema. Every other
entry point calls ``require_current`` first, which neither creates a warehouse nor migrates one: it
says which command to run when the warehouse is missing or older than this code.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from settings.files import create_private_file, private_dir
from warehouse.db import SQLITE_BEGIN, is_sqlite, make_engine
from warehouse.errors import WarehouseError

_HERE = Path(__file__).resolve().parent
#: PostgreSQL advisory lock key held while migrating ("SNWH" in ASCII)
MIGRATION_LOCK = 0x534E5748
#: what an operator runs to create or upgrade the warehouse
UPGRADE_COMMAND = "safetynet db upgrade"


class WarehouseNotReady(WarehouseError):
    """No warehouse at the URL, or its schema is not this code's: the message says what to run."""


def alembic_config() -> Config:
    cfg = Config(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.attributes["configure_logger"] = False  # leave the application's logging alone
    return cfg


def head_revision() -> str:
    """The one head of the packaged migrations (a second head is a defect: merge it)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise WarehouseError(f"the migrations have {len(heads)} heads; merge them into one")
    return heads[0]


def current_revisions(engine: sa.Engine) -> tuple[str, ...]:
    """The revisions the database is at (empty: not a warehouse, or an empty database)."""
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def require_current(url: str) -> None:
    """Refuse (``WarehouseNotReady``) unless a warehouse at ``url`` exists with this code's schema.

    A missing SQLite file is reported without creating it; nothing is migrated.
    """
    from sqlalchemy.engine import make_url

    from settings import sqlite_file

    shown = make_url(url).render_as_string(hide_password=True)
    file = sqlite_file(url)
    if file is not None and not file.is_file():
        raise WarehouseNotReady(f"no warehouse at {shown}: create it with `{UPGRADE_COMMAND}`")
    engine = make_engine(url)
    try:
        current = current_revisions(engine)
    except sa.exc.OperationalError as exc:
        raise WarehouseNotReady(
            f"cannot reach the warehouse at {shown} ({type(exc.orig or exc).__name__})"
        ) from None
    finally:
        engine.dispose()
    head = head_revision()
    if not current:
        raise WarehouseNotReady(f"no warehouse schema at {shown}: create it with `{UPGRADE_COMMAND}`")
    if current != (head,):
        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if set(current) - known:
            raise WarehouseNotReady(
                f"the warehouse at {shown} is at revision {', '.join(current)}, newer than this code "
                f"({head}): upgrade SafetyNet Sync"
            )
        raise WarehouseNotReady(
            f"the warehouse at {shown} is at revision {', '.join(current)}, this code needs {head}: "
            f"run `{UPGRADE_COMMAND}`"
        )


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` on this warehouse, with the packaged migrations.

    Safe to run from several processes at once: one migrates, the others wait and find it done.
    """
    cfg = alembic_config()
    if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # the warehouse file 0600 in a 0700 folder before SQLite opens it: its WAL and shared-memory
        # files take the database file's mode
        database = Path(engine.url.database)
        private_dir(database.parent)
        create_private_file(database)
    with engine.connect() as conn:
        sqlite = is_sqlite(engine)
        if sqlite:
            # SQLite's documented procedure for table rebuilds (batch migrations): foreign keys
            # off outside the transaction, checked again before they come back on.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            conn.info[SQLITE_BEGIN] = "BEGIN IMMEDIATE"  # one migrator at a time
        try:
            with conn.begin():
                if not sqlite:
                    # several processes may start at once (deploy script, daemon, webserver): the
                    # first migrates, the others wait here and then find the schema at head
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise WarehouseError("migration left rows violating foreign keys; rolled back")
        finally:
            if sqlite:
                conn.info.pop(SQLITE_BEGIN, None)
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
