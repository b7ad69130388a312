"""TOTP secrets encrypted at rest: existing plain secrets are encrypted with the configured key.

The key lives outside the database (``SAFETYNET_TOTP_KEYS`` or the key file, see
``warehouse/totp_keys.py``); a database with no account needs none. Downgrade decrypts them again.

Revision ID: 0006_totp_encrypted
Revises: 0005_seal_review
Create Date: 2026-12-04 20:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_totp_encrypted"
down_revision: str | Sequence[str] | None = "0005_seal_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USERS = sa.table("review_users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _convert(plain_to_token: bool) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(USERS.c.id, USERS.c.totp_secret)).all()
    if not rows:
        return
    from warehouse.totp_keys import BOX, TOKEN_PREFIX

    for user_id, stored in rows:
        encrypted = stored.startswith(TOKEN_PREFIX)
        if plain_to_token and not encrypted:
            value = BOX.encrypt(stored)
        elif not plain_to_token and encrypted:
            value = BOX.decrypt(stored)
        else:
            continue
        conn.execute(sa.update(USERS).where(USERS.c.id == user_id).values(totp_secret=value))


def upgrade() -> None:
    _convert(plain_to_token=True)


def downgrade() -> None:
    _convert(plain_to_token=False)
