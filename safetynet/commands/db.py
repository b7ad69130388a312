"""`safetynet db upgrade` and `safetynet db current`: the warehouse schema as a deploy step.

`upgrade` is the only command (with `demo`) that creates a warehouse or changes its schema; every
other command refuses a missing or outdated warehouse and names this one.
"""

from __future__ import annotations

import argparse

from safetynet.args import EXIT_OK, EXIT_UNAVAILABLE


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="the warehouse schema: create or upgrade it (a deploy step), show it")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser(
        "upgrade", help="create the warehouse, or upgrade its schema to this version's (Alembic head)"
    ).set_defaults(handler=cmd_upgrade)
    actions.add_parser(
        "current",
        help="the schema revision of the warehouse and the one this version needs (exit 4 if they differ)",
    ).set_defaults(handler=cmd_current)


def cmd_upgrade(args: argparse.Namespace) -> int:
    import settings
    from warehouse import Warehouse, schema

    s = settings.current()
    existed = s.sqlite_file is None or s.sqlite_file.is_file()
    warehouse = Warehouse(s.warehouse_url)
    try:
        before = schema.current_revisions(warehouse.engine) if existed else ()
        warehouse.migrate()
        after = schema.current_revisions(warehouse.engine)
    finally:
        warehouse.dispose()
    where = s.warehouse_display_url
    if not before:
        print(f"warehouse created at {where} (schema {', '.join(after)})")
    elif before == after:
        print(f"warehouse at {where} is up to date (schema {', '.join(after)})")
    else:
        print(f"warehouse at {where} upgraded from {', '.join(before)} to {', '.join(after)}")
    return EXIT_OK


def cmd_current(args: argparse.Namespace) -> int:
    import settings
    from warehouse import schema

    s = settings.current()
    head = schema.head_revision()
    if s.sqlite_file is not None and not s.sqlite_file.is_file():
        print(f"warehouse {s.warehouse_display_url}: none; this version needs {head}")
        return EXIT_UNAVAILABLE
    from warehouse.db import make_engine

    engine = make_engine(s.warehouse_url)
    try:
        current = schema.current_revisions(engine)
    finally:
        engine.dispose()
    print(
        f"warehouse {s.warehouse_display_url}: {', '.join(current) or 'no schema'}; this version needs {head}"
    )
    return EXIT_OK if current == (head,) else EXIT_UNAVAILABLE
