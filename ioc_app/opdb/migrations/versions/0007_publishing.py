"""publishing of indicator figures on the public dashboard: the editor role, publications
and the copies of their figures

Revision ID: 0007_publishing
Revises: 0006_account_handover
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_publishing"
down_revision = "0006_account_handover"
branch_labels = None
depends_on = None

EDITOR = {"code": "editor", "name_vi": "Biên tập viên (Ban biên tập)", "name_en": "Editor (editorial board)"}


def upgrade() -> None:
    roles = sa.table("roles", sa.column("code"), sa.column("name_vi"), sa.column("name_en"))
    op.bulk_insert(roles, [EDITOR])
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("lake_snapshot", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("unpublished_by", sa.String(length=64), nullable=True),
        sa.Column("unpublished_at", sa.DateTime(), nullable=True),
        sa.Column("unpublish_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('proposed', 'published', 'rejected', 'unpublished')",
                           name=op.f("ck_publications_status")),
        sa.CheckConstraint("level IN ('province', 'commune')", name=op.f("ck_publications_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
    )
    op.create_index("ix_publications_status", "publications", ["status"])
    op.create_table(
        "published_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("sector", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("period_type", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("area_key", sa.String(length=32), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source_units", sa.Text(), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_published_values_publication_id_publications"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_values")),
        sa.UniqueConstraint("publication_id", "indicator_code", "period", "area_key",
                            name="uq_published_values_figure"),
    )
    op.create_index("ix_published_values_indicator_period", "published_values", ["indicator_code", "period"])


def downgrade() -> None:
    op.drop_index("ix_published_values_indicator_period", table_name="published_values")
    op.drop_table("published_values")
    op.drop_index("ix_publications_status", table_name="publications")
    op.drop_table("publications")
    op.execute(sa.text("DELETE FROM roles WHERE code = 'editor'"))
