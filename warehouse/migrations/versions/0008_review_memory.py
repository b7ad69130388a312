"""One decision per youth, remembered; names learned from decisions (issue 17).

``source_persons.identity`` (a row's keyed identity tokens), ``review_youth_decisions`` and
``review_youth_rows`` (the rows decided together, with the identity each was decided on: the
memory of later loads), ``client_learned_names``.

Revision ID: 0008_review_memory
Revises: 0007_client_sheets
Create Date: 2026-12-04 20:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_review_memory"
down_revision: str | Sequence[str] | None = "0007_client_sheets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity", sa.Text(), nullable=True))
    op.create_table(
        "review_youth_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=True),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "decision IN ('same_person', 'not_this_person', 'link_other_client', 'none_of_these')",
            name=op.f("ck_review_youth_decisions_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.client_id"], name=op.f("fk_review_youth_decisions_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_youth_decisions")),
    )
    with op.batch_alter_table("review_youth_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_youth_decisions_client_id"), ["client_id"], unique=False)
    op.create_table(
        "review_youth_rows",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("youth_decision_id", sa.Integer(), nullable=False),
        sa.Column("remembered", sa.Boolean(), nullable=False),
        sa.Column("identity", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["review_decisions.id"],
            name=op.f("fk_review_youth_rows_decision_id_review_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["youth_decision_id"],
            ["review_youth_decisions.id"],
            name=op.f("fk_review_youth_rows_youth_decision_id_review_youth_decisions"),
        ),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_review_youth_rows")),
    )
    with op.batch_alter_table("review_youth_rows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_youth_rows_youth_decision_id"), ["youth_decision_id"], unique=False
        )
    op.create_table(
        "client_learned_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("youth_decision_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("learned_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_by", sa.String(), nullable=True),
        sa.CheckConstraint("kind IN ('given_name', 'alias')", name=op.f("ck_client_learned_names_kind")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_client_learned_names_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["youth_decision_id"],
            ["review_youth_decisions.id"],
            name=op.f("fk_client_learned_names_youth_decision_id_review_youth_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_learned_names")),
    )
    with op.batch_alter_table("client_learned_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_learned_names_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_client_learned_names_source_record_id"), ["source", "record_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("client_learned_names")
    op.drop_table("review_youth_rows")
    op.drop_table("review_youth_decisions")
    with op.batch_alter_table("source_persons", schema=None) as batch_op:
        batch_op.drop_column("identity")
