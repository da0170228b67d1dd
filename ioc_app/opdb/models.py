"""Tables of the operational DB (portable types: the same schema on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ioc_app.clock import now_ict


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLE_CODES = ("leader", "dept_head", "officer", "approver", "unit_admin", "admin", "wall", "editor")
SUBMISSION_STATUSES = ("draft", "submitted", "returned", "approved")
PERIOD_TYPES = ("month", "quarter", "half", "year", "adhoc")
REGIME_KINDS = ("periodic", "thematic", "adhoc")
SUBMISSION_ACTIONS = ("save", "submit", "approve", "return", "unapprove", "reopen")
COMMENT_KINDS = ("return", "outlier", "note")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(Base):
    __tablename__ = "roles"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Area(Base):
    __tablename__ = "areas"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(32))
    parent_key: Mapped[str | None] = mapped_column(String(32))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    area_key: Mapped[str | None] = mapped_column(ForeignKey("areas.key"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role_code: Mapped[str] = mapped_column(ForeignKey("roles.code"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)

    role: Mapped[Role] = relationship()
    unit: Mapped[Unit | None] = relationship()


class PasswordHistory(Base):
    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)


class LoginThrottle(Base):
    """Failed sign-ins per account name or client address, shared by every web worker."""

    __tablename__ = "login_throttle"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class Sector(Base):
    __tablename__ = "sectors"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Indicator(Base):
    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(64))
    sector_code: Mapped[str] = mapped_column(ForeignKey("sectors.code"))
    frequency: Mapped[str] = mapped_column(String(16))
    aggregation: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    value_type: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    numerator_code: Mapped[str | None] = mapped_column(String(64))
    denominator_code: Mapped[str | None] = mapped_column(String(64))
    report_group_code: Mapped[str | None] = mapped_column(ForeignKey("report_groups.code"))


class IndicatorTarget(Base):
    __tablename__ = "indicator_targets"

    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[float] = mapped_column(Float)


class MeasureUnit(Base):
    """Units of measure; `code` is the symbol indicators carry in `Indicator.unit` ('%', 'tỷ đồng')."""

    __tablename__ = "measure_units"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class ReportGroup(Base):
    __tablename__ = "report_groups"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Disaggregation(Base):
    """A disaggregation criterion (tiêu thức phân tổ): sex, urban/rural, ethnic group..."""

    __tablename__ = "disaggregations"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Category(Base):
    """One category of a criterion; the criterion 'total' holds the single category 'total'."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    disaggregation_code: Mapped[str] = mapped_column(ForeignKey("disaggregations.code"), index=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    sort: Mapped[int] = mapped_column(Integer, default=0)


class IndicatorAssignment(Base):
    """Which unit answers for which indicator (R-13)."""

    __tablename__ = "indicator_assignments"

    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)


class Form(Base):
    __tablename__ = "forms"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))

    versions: Mapped[list[FormVersion]] = relationship(back_populates="form", order_by="FormVersion.version")


class FormVersion(Base):
    """A form's layout from `valid_from` on: `rows` are indicator codes, `columns` category codes
    (JSON lists). A period uses the newest version whose valid_from is on or before its start."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_code", "version", name="uq_form_versions_form_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_code: Mapped[str] = mapped_column(ForeignKey("forms.code"))
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    rows: Mapped[str] = mapped_column(Text)
    columns: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)
    created_by: Mapped[str] = mapped_column(String(64))

    form: Mapped[Form] = relationship(back_populates="versions")


class Regime(Base):
    """A report regime (R-01). Periodic regimes report every period of `period_type`; thematic
    and ad hoc ones report the single period [start_date, end_date]. Data are cut off on
    `cutoff_day` of the period's last month (0: its last day) and due `deadline_days` later;
    entry opens on the period's first day. Submissions go to `receiver_unit` (a department
    that checks and aggregates) when set, then up the unit tree to the province office."""

    __tablename__ = "regimes"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(REGIME_KINDS)})", name="kind"),
        CheckConstraint(f"period_type IS NULL OR period_type IN ({_in(PERIOD_TYPES)})", name="period_type"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    period_type: Mapped[str | None] = mapped_column(String(16))
    form_code: Mapped[str] = mapped_column(ForeignKey("forms.code"))
    receiver_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    report_group_code: Mapped[str | None] = mapped_column(ForeignKey("report_groups.code"))
    cutoff_day: Mapped[int] = mapped_column(Integer, default=0)
    deadline_days: Mapped[int] = mapped_column(Integer, default=5)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    form: Mapped[Form] = relationship()
    receiver: Mapped[Unit | None] = relationship()


class RegimeUnit(Base):
    """The units that report under a regime."""

    __tablename__ = "regime_units"

    regime_code: Mapped[str] = mapped_column(ForeignKey("regimes.code"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)


class Period(Base):
    __tablename__ = "periods"
    __table_args__ = (CheckConstraint(f"type IN ({_in(PERIOD_TYPES)})", name="type"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)


class Submission(Base):
    """One unit's report for one regime and period.

    `version` counts submissions (1 at the first submit, +1 at each resubmission);
    `row_version` grows at every write and is what a save must quote to avoid overwriting
    a colleague's work; `awaiting_unit_id` is the unit whose approver acts next."""

    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(SUBMISSION_STATUSES)})", name="status"),
        Index("ix_submissions_unit_period", "unit_id", "period_code"),
        UniqueConstraint("unit_id", "regime_code", "period_code", name="uq_submissions_unit_regime_period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period_code: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    regime_code: Mapped[str | None] = mapped_column(ForeignKey("regimes.code"))
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_versions.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    awaiting_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    returned_at: Mapped[datetime | None] = mapped_column(DateTime)
    signature: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str | None] = mapped_column(String(128))

    values: Mapped[list[SubmissionValue]] = relationship(
        back_populates="submission", cascade="all, delete-orphan"
    )
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    regime: Mapped[Regime | None] = relationship()
    form_version: Mapped[FormVersion | None] = relationship()


class SubmissionValue(Base):
    __tablename__ = "submission_values"
    __table_args__ = (
        UniqueConstraint(
            "submission_id",
            "indicator_code",
            "category_code",
            "area_key",
            name="uq_submission_values_cell",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"))
    category_code: Mapped[str] = mapped_column(String(64), default="total")
    area_key: Mapped[str] = mapped_column(ForeignKey("areas.key"))
    value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)

    submission: Mapped[Submission] = relationship(back_populates="values")


class SubmissionEvent(Base):
    """Every state change of a submission: who, when, at which level, why. A submit event keeps
    the values as submitted (JSON) so an approver sees what changed since the last one."""

    __tablename__ = "submission_events"
    __table_args__ = (CheckConstraint(f"action IN ({_in(SUBMISSION_ACTIONS)})", name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    level_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str | None] = mapped_column(String(128))
    values_json: Mapped[str | None] = mapped_column(Text)


class CellComment(Base):
    """A comment on one cell: an approver's reason for returning it, or an officer's
    explanation of a figure flagged as unusual."""

    __tablename__ = "cell_comments"
    __table_args__ = (CheckConstraint(f"kind IN ({_in(COMMENT_KINDS)})", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("submission_events.id"))
    indicator_code: Mapped[str] = mapped_column(String(64))
    category_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)


class EntryException(Base):
    """Entry after a period's deadline, granted by an approver for one unit, regime and period."""

    __tablename__ = "entry_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    regime_code: Mapped[str] = mapped_column(ForeignKey("regimes.code"))
    period_code: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    until: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(128))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


BACKUP_STATUSES = ("ok", "error")


class Announcement(Base):
    """A planned maintenance announced to every user (R-15), shown from when it is set until it ends."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)
    created_by: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))


class BackupRun(Base):
    """One `ioc backup` (by hand or by the scheduler): when, where, and how it ended."""

    __tablename__ = "backup_runs"
    __table_args__ = (CheckConstraint(f"status IN ({_in(BACKUP_STATUSES)})", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text)
    lake_snapshot: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text, default="")
PUBLICATION_STATUSES = ("proposed", "published", "rejected", "unpublished")
# province: the province's figures only; commune: the province's and every commune's
PUBLICATION_LEVELS = ("province", "commune")


class Publication(Base):
    """A set of approved figures proposed for the public dashboard, and the editorial board's
    decision on it. Its values are copied when it is proposed, so the editor approves, and the
    public sees, exactly the figures of the preview; `digest` seals them."""

    __tablename__ = "publications"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(PUBLICATION_STATUSES)})", name="status"),
        CheckConstraint(f"level IN ({_in(PUBLICATION_LEVELS)})", name="level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    lake_snapshot: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    unpublished_by: Mapped[str | None] = mapped_column(String(64))
    unpublished_at: Mapped[datetime | None] = mapped_column(DateTime)
    unpublish_reason: Mapped[str | None] = mapped_column(Text)

    values: Mapped[list[PublishedValue]] = relationship(
        back_populates="publication", cascade="all, delete-orphan"
    )


class PublishedValue(Base):
    """One figure of a publication (category total), with what the public page prints beside it:
    the indicator's names and unit, the area's name, the reporting units and the latest approval."""

    __tablename__ = "published_values"
    __table_args__ = (
        UniqueConstraint("publication_id", "indicator_code", "period", "area_key",
                         name="uq_published_values_figure"),
        Index("ix_published_values_indicator_period", "indicator_code", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    indicator_code: Mapped[str] = mapped_column(String(64))
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(64))
    sector: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(8))
    digits: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(16))
    period_type: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    area_key: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(16))
    area_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    source_units: Mapped[str] = mapped_column(Text)
    source_count: Mapped[int] = mapped_column(Integer)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)

    publication: Mapped[Publication] = relationship(back_populates="values")
class AccountHandover(Base):
    """The person behind an account changed (R-34): who handed it to whom, when, why, recorded by whom."""

    __tablename__ = "account_handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    from_name: Mapped[str | None] = mapped_column(String(200))
    to_name: Mapped[str] = mapped_column(String(200))
    handed_over_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)
class ApiToken(Base):
    """A bearer token of the data-sharing API: only its SHA-256 is kept; it acts as its user
    (role and area scope) within `scopes` (space-separated) until `expires_at` or revocation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now_ict)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
