"""One head again: merges 0002_alerts and 0006_totp_encrypted (no schema change).

From here on every migration revises the single head (`alembic heads` shows one), so
`safetynet db upgrade` (and `alembic upgrade head`) has one target; tests/test_warehouse.py asserts it.

Revision ID: 0006_one_head
Revises: 0002_alerts, 0006_totp_encrypted
Create Date: 2026-12-03 10:00:00

"""

from collections.abc import Sequence

revision: str = "0006_one_head"
down_revision: str | Sequence[str] | None = ("0002_alerts", "0006_totp_encrypted")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
