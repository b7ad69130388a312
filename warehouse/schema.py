"""The warehouse schema's version: Alembic migrations, packaged with this folder."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from warehouse.db import SQLITE_BEGIN, is_sqlite
from warehouse.errors import WarehouseError

_HERE = Path(__file__).resolve().parent
#: PostgreSQL advisory lock key held while migrating ("SNWH" in ASCII)
MIGRATION_LOCK = 0x534E5748


def migrate(engine: sa.Engine, revision: str = "heads") -> None:
    """``alembic upgrade <revision>`` on this warehouse, with the packaged migrations.

    The default is every head: features add their tables in migrations that each branch from
    the one they need, so independent features never have to be ordered against each other.
    """
    cfg = Config(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.attributes["configure_logger"] = False  # leave the application's logging alone
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
                    # several processes may start at once (Dagster daemon, webserver, CLI): the
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
