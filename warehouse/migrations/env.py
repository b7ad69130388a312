"""Alembic environment: the same migrations on SQLite and PostgreSQL.

``render_as_batch=True`` makes autogenerate write ``batch_alter_table`` blocks, which SQLite needs
for any later ALTER beyond ADD COLUMN (it copies the table); on PostgreSQL they are plain ALTERs.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from warehouse.db import make_engine, resolve_url
from warehouse.models import Base

config = context.config
target_metadata = Base.metadata

# A programmatic caller (Warehouse.migrate) owns logging; the alembic CLI gets the ini's logging.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _configure(**kw) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        **kw,
    )


def run_migrations_offline() -> None:
    _configure(
        url=resolve_url(config.get_main_option("sqlalchemy.url")),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # shared by Warehouse.migrate(): one transaction, its engine settings
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
