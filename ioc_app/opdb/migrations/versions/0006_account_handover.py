"""account handovers

Revision ID: 0006_account_handover
Revises: 0005_announcements
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_account_handover"
down_revision = "0005_announcements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.Column("handed_over_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_handovers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_handovers")),
    )
    op.create_index(op.f("ix_account_handovers_user_id"), "account_handovers", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_handovers_user_id"), table_name="account_handovers")
    op.drop_table("account_handovers")
