"""Alert ledger: problems worth an e-mail and every message sent (or still to send) about them.

Revision ID: 0002_alerts
Revises: 0001
Create Date: 2026-11-22 05:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_alerts"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_key", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_delivery_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "category IN ('quarantine', 'warnings', 'overdue', 'run_failure')",
            name=op.f("ck_alert_problems_category"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_alert_problems_delivery_id_deliveries")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_alert_problems_resolved_by_delivery_id_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_problems")),
        sa.UniqueConstraint("problem_key", name=op.f("uq_alert_problems_problem_key")),
    )
    with op.batch_alter_table("alert_problems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_problems_source"), ["source"], unique=False)

    op.create_table(
        "alert_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('problem', 'resolved')", name=op.f("ck_alert_messages_kind")),
        sa.CheckConstraint("status IN ('pending', 'sent')", name=op.f("ck_alert_messages_status")),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["alert_problems.id"], name=op.f("fk_alert_messages_problem_id_alert_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_messages")),
        sa.UniqueConstraint(
            "problem_id", "kind", "recipient", name=op.f("uq_alert_messages_problem_id_kind_recipient")
        ),
    )
    with op.batch_alter_table("alert_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_messages_problem_id"), ["problem_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_messages_problem_id"))
    op.drop_table("alert_messages")
    with op.batch_alter_table("alert_problems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_problems_source"))
    op.drop_table("alert_problems")
