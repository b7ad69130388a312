"""History and sealing: fact_versions (SCD-2), sealed_records (tombstones), valid_from on fact tables.

Branches from 0001 (features migrate side by side; the warehouse upgrades to every head). The fact
tables get their new column through batch blocks, which SQLite needs for a table rebuild and
PostgreSQL runs as plain ALTERs.

Revision ID: 0004_history
Revises: 0001
Create Date: 2026-11-22 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_history"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the fact tables as 0001 created them (frozen here: a later kind adds its own revision)
FACT_TABLES = (
    "probation_referrals",
    "welfare_referrals",
    "welfare_placements",
    "school_enrollments",
    "arrests",
)


def upgrade() -> None:
    op.create_table(
        "fact_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("fact_key", sa.String(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("data_hash", sa.String(length=40), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_fact_versions_delivery_id_deliveries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_versions")),
    )
    with op.batch_alter_table("fact_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fact_versions_delivery_id"), ["delivery_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fact_versions_source_record_id"), ["source", "record_id"])
        batch_op.create_index(
            batch_op.f("ix_fact_versions_table_name_source_fact_key"), ["table_name", "source", "fact_key"]
        )
    op.create_table(
        "sealed_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(), nullable=False),
        sa.Column("sealed_by", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=True),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_records")),
        sa.UniqueConstraint("source", "record_hash", name=op.f("uq_sealed_records_source_record_hash")),
    )
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))


def downgrade() -> None:
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("valid_from")
    op.drop_table("sealed_records")
    with op.batch_alter_table("fact_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fact_versions_table_name_source_fact_key"))
        batch_op.drop_index(batch_op.f("ix_fact_versions_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_fact_versions_delivery_id"))
    op.drop_table("fact_versions")
