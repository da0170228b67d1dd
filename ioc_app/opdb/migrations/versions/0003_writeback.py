"""write-back: catalogs (units of measure, report groups, disaggregations, categories),
indicator assignments, versioned forms, report regimes, submission workflow, cell comments,
entry exceptions

Revision ID: 0003_writeback
Revises: 0002_login_throttle
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_writeback"
down_revision = "0002_login_throttle"
branch_labels = None
depends_on = None


def _named(table: str, *extra: sa.Column) -> None:
    op.create_table(
        table,
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("code", name=op.f(f"pk_{table}")),
    )


def upgrade() -> None:
    _named("disaggregations")
    _named("measure_units")
    _named("report_groups")
    op.create_table(
        "forms",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_forms")),
    )
    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("disaggregation_code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["disaggregation_code"], ["disaggregations.code"],
                                name=op.f("fk_categories_disaggregation_code_disaggregations")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
    )
    op.create_index("ix_categories_disaggregation_code", "categories", ["disaggregation_code"])
    op.create_table(
        "form_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["form_code"], ["forms.code"], name=op.f("fk_form_versions_form_code_forms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_versions")),
        sa.UniqueConstraint("form_code", "version", name="uq_form_versions_form_version"),
    )
    op.create_table(
        "indicator_assignments",
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["indicator_code"], ["indicators.code"],
                                name=op.f("fk_indicator_assignments_indicator_code_indicators")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_indicator_assignments_unit_id_units")),
        sa.PrimaryKeyConstraint("indicator_code", "unit_id", name=op.f("pk_indicator_assignments")),
    )
    op.create_table(
        "regimes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_type", sa.String(length=16), nullable=True),
        sa.Column("form_code", sa.String(length=64), nullable=False),
        sa.Column("receiver_unit_id", sa.Integer(), nullable=True),
        sa.Column("report_group_code", sa.String(length=64), nullable=True),
        sa.Column("cutoff_day", sa.Integer(), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('periodic', 'thematic', 'adhoc')", name=op.f("ck_regimes_kind")),
        sa.CheckConstraint("period_type IS NULL OR period_type IN ('month', 'quarter', 'half', 'year', 'adhoc')",
                           name=op.f("ck_regimes_period_type")),
        sa.ForeignKeyConstraint(["form_code"], ["forms.code"], name=op.f("fk_regimes_form_code_forms")),
        sa.ForeignKeyConstraint(["receiver_unit_id"], ["units.id"], name=op.f("fk_regimes_receiver_unit_id_units")),
        sa.ForeignKeyConstraint(["report_group_code"], ["report_groups.code"],
                                name=op.f("fk_regimes_report_group_code_report_groups")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regimes")),
    )
    op.create_table(
        "regime_units",
        sa.Column("regime_code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["regime_code"], ["regimes.code"], name=op.f("fk_regime_units_regime_code_regimes")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_regime_units_unit_id_units")),
        sa.PrimaryKeyConstraint("regime_code", "unit_id", name=op.f("pk_regime_units")),
    )
    op.create_table(
        "entry_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("regime_code", sa.String(length=64), nullable=False),
        sa.Column("period_code", sa.String(length=16), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["period_code"], ["periods.code"], name=op.f("fk_entry_exceptions_period_code_periods")),
        sa.ForeignKeyConstraint(["regime_code"], ["regimes.code"], name=op.f("fk_entry_exceptions_regime_code_regimes")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_entry_exceptions_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_exceptions")),
    )
    op.create_table(
        "submission_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("level_unit_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(length=128), nullable=True),
        sa.Column("values_json", sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('save', 'submit', 'approve', 'return', 'unapprove', 'reopen')",
                           name=op.f("ck_submission_events_action")),
        sa.ForeignKeyConstraint(["level_unit_id"], ["units.id"], name=op.f("fk_submission_events_level_unit_id_units")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_submission_events_submission_id_submissions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_events")),
    )
    op.create_index("ix_submission_events_submission_id", "submission_events", ["submission_id"])
    op.create_table(
        "cell_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('return', 'outlier', 'note')", name=op.f("ck_cell_comments_kind")),
        sa.ForeignKeyConstraint(["event_id"], ["submission_events.id"],
                                name=op.f("fk_cell_comments_event_id_submission_events")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_cell_comments_submission_id_submissions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cell_comments")),
    )
    op.create_index("ix_cell_comments_submission_id", "cell_comments", ["submission_id"])

    with op.batch_alter_table("indicators") as batch_op:
        batch_op.add_column(sa.Column("min_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("max_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("numerator_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("denominator_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("report_group_code", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(op.f("fk_indicators_report_group_code_report_groups"), "report_groups",
                                    ["report_group_code"], ["code"])

    with op.batch_alter_table("periods") as batch_op:
        batch_op.drop_constraint(op.f("ck_periods_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_periods_type"),
                                         "type IN ('month', 'quarter', 'half', 'year', 'adhoc')")

    with op.batch_alter_table("submissions") as batch_op:
        batch_op.add_column(sa.Column("regime_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("form_version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("row_version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("awaiting_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("updated_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("first_submitted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("signature", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("signed_by", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_submissions_awaiting_unit_id", ["awaiting_unit_id"])
        batch_op.create_unique_constraint("uq_submissions_unit_regime_period", ["unit_id", "regime_code", "period_code"])
        batch_op.create_foreign_key(op.f("fk_submissions_regime_code_regimes"), "regimes", ["regime_code"], ["code"])
        batch_op.create_foreign_key(op.f("fk_submissions_awaiting_unit_id_units"), "units", ["awaiting_unit_id"], ["id"])
        batch_op.create_foreign_key(op.f("fk_submissions_form_version_id_form_versions"), "form_versions",
                                    ["form_version_id"], ["id"])
    with op.batch_alter_table("submissions") as batch_op:
        batch_op.alter_column("row_version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch_op:
        for name in ("fk_submissions_form_version_id_form_versions", "fk_submissions_awaiting_unit_id_units",
                     "fk_submissions_regime_code_regimes"):
            batch_op.drop_constraint(op.f(name), type_="foreignkey")
        batch_op.drop_constraint("uq_submissions_unit_regime_period", type_="unique")
        batch_op.drop_index("ix_submissions_awaiting_unit_id")
        for column in ("signed_by", "signature", "returned_at", "first_submitted_at", "updated_by", "updated_at",
                       "awaiting_unit_id", "row_version", "form_version_id", "regime_code"):
            batch_op.drop_column(column)
    with op.batch_alter_table("periods") as batch_op:
        batch_op.drop_constraint(op.f("ck_periods_type"), type_="check")
        batch_op.create_check_constraint(op.f("ck_periods_type"), "type IN ('month', 'quarter', 'half', 'year')")
    with op.batch_alter_table("indicators") as batch_op:
        batch_op.drop_constraint(op.f("fk_indicators_report_group_code_report_groups"), type_="foreignkey")
        for column in ("report_group_code", "denominator_code", "numerator_code", "max_value", "min_value"):
            batch_op.drop_column(column)
    for table in ("cell_comments", "submission_events", "entry_exceptions", "regime_units", "regimes",
                  "indicator_assignments", "form_versions", "categories", "forms", "report_groups",
                  "measure_units", "disaggregations"):
        op.drop_table(table)
