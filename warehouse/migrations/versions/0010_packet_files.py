"""Packets on disk, per youth shown (issue 15 part 5): the index a seal follows to every packet file
that may carry the sealed record.

Revision ID: 0010_packet_files
Revises: 0009_delivery_pending
Create Date: 2026-12-05 07:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_packet_files"
down_revision: str | Sequence[str] | None = "0009_delivery_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "packet_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("meeting", sa.Date(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packet_files")),
        sa.UniqueConstraint("path", "client_id", name=op.f("uq_packet_files_path_client_id")),
    )
    with op.batch_alter_table("packet_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_packet_files_client_id"), ["client_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("packet_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_packet_files_client_id"))
    op.drop_table("packet_files")
