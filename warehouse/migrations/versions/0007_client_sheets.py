"""The client list's dated residences and services with providers (issue 16).

``client_residences`` is new: one row per residence of a listed client (city, county, state,
from-to), replaced with every list delivery like the "|"-lists. ``client_services`` was one service
code per row (the old "|"-list column); it gains the provider and the dates. Existing service rows
keep their code with no provider and no dates until the next list delivery replaces them. Every
value column of the side tables is nullable: the expectation suite says what must be filled in.

Revision ID: 0007_client_sheets
Revises: 0006_one_head
Create Date: 2026-12-04 12:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_client_sheets"
down_revision: str | Sequence[str] | None = "0006_one_head"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_residences",
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(), nullable=True),
        sa.Column("county", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_client_residences_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "position", name=op.f("pk_client_residences")),
    )
    with op.batch_alter_table("client_services", schema=None) as batch_op:
        batch_op.alter_column("service", existing_type=sa.String(), nullable=True)
        batch_op.add_column(sa.Column("provider", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("end_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("client_services", schema=None) as batch_op:
        batch_op.drop_column("end_date")
        batch_op.drop_column("start_date")
        batch_op.drop_column("provider")
    op.execute("DELETE FROM client_services WHERE service IS NULL")
    with op.batch_alter_table("client_services", schema=None) as batch_op:
        batch_op.alter_column("service", existing_type=sa.String(), nullable=False)
    op.drop_table("client_residences")
