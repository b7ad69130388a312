"""A delivery is pending, loaded or quarantined (issue 14 part 3).

``validated`` becomes ``pending``: checked and recorded but not loaded yet, which is what every
later run picks up again (a run killed between the checks and the load leaves one behind).

Revision ID: 0009_delivery_pending
Revises: 0008_review_memory
Create Date: 2026-12-05 03:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_delivery_pending"
down_revision: str | Sequence[str] | None = "0008_review_memory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _statuses(old: str, new: str) -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_deliveries_status"), type_="check")
    op.execute(f"UPDATE deliveries SET status = '{new}' WHERE status = '{old}'")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_deliveries_status"), f"status IN ('{new}', 'quarantined', 'loaded')"
        )


def upgrade() -> None:
    _statuses("validated", "pending")


def downgrade() -> None:
    _statuses("pending", "validated")
