"""Sealing may purge append-only review history: a permit table and permit-aware DELETE triggers.

Merges 0003_review (append-only triggers on review_decisions and review_undos) and 0004_history
(sealing). A sealing notice is a court order: the record's review decisions must go with the rest.
DELETE on those two tables is allowed only for a record with a row in ``purge_permits``, which
``warehouse.sealing`` inserts and removes inside the seal's own transaction. UPDATE stays refused,
and ``audit_log`` stays fully append-only.

Revision ID: 0005_seal_review
Revises: 0003_review, 0004_history
Create Date: 2026-11-22 06:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_seal_review"
down_revision: str | Sequence[str] | None = ("0003_review", "0004_history")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: per table, the SQL condition (on OLD) that a permit covers the row being deleted
PERMITTED = {
    "review_decisions": (
        "EXISTS (SELECT 1 FROM purge_permits p WHERE p.source = OLD.source AND p.record_id = OLD.record_id)"
    ),
    "review_undos": (
        "EXISTS (SELECT 1 FROM review_decisions d JOIN purge_permits p"
        " ON p.source = d.source AND p.record_id = d.record_id WHERE d.id = OLD.decision_id)"
    ),
}


def upgrade() -> None:
    op.create_table(
        "purge_permits",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("source", "record_id", name=op.f("pk_purge_permits")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, permitted in PERMITTED.items():
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION safetynet_append_only()"
            )
            op.execute(
                f"CREATE OR REPLACE FUNCTION safetynet_{table}_sealed_only() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN IF {permitted} THEN RETURN OLD; END IF; "
                "RAISE EXCEPTION '% is append-only (deletes only under a sealing notice)', TG_TABLE_NAME; "
                "END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_sealed_only BEFORE DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION safetynet_{table}_sealed_only()"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN NOT {permitted} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (deletes only when sealed)'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in PERMITTED:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_sealed_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS safetynet_{table}_sealed_only()")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION safetynet_append_only()"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    op.drop_table("purge_permits")
