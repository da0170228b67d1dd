"""The approval chain: approve at two levels, waiting for the units below, return with cell comments and
resubmission, unapproval, bulk approval, permissions, and tamper detection (SQLite and PostgreSQL)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ioc_app import cli
from ioc_app.config import Settings, load_settings
from ioc_app.errors import WritebackError
from ioc_app.opdb.models import (
    AuditEntry,
    CellComment,
    RegimeUnit,
    Submission,
    SubmissionEvent,
    SubmissionValue,
    User,
)
from ioc_app.opdb.session import engine_for, migrate
from ioc_app.writeback import approval
from ioc_app.writeback.entry import load_grid, save_draft, submit
from ioc_app.writeback.integrity import verify_all
from ioc_app.writeback.signing import Signer
from tests.demo_instance import write_store_config
from tests.writeback_fixtures import COMMUNE1, COMMUNE2, DEPT_A, DEPT_B, INCOME, OFFICE, POP, RATE, REGIME, build_catalog

pytest_plugins = ("tests.writeback_fixtures",)

FULL = {
    (POP, "total"): 1000, (POP, "male"): 480, (POP, "female"): 520,
    (RATE, "total"): 50.0, (RATE, "male"): 40.0, (RATE, "female"): 60.0,
    (INCOME, "total"): 100.5, (INCOME, "male"): 50.0, (INCOME, "female"): 50.5,
}


@pytest.fixture(scope="module")
def signer(tmp_path_factory) -> Signer:
    return Signer.for_settings(Settings(data_dir=tmp_path_factory.mktemp("keys")))


def send(session: Session, wb, actor, unit: str, signer: Signer, values: dict | None = None) -> Submission:
    """Save the unit's report of the open period with `values` (FULL by default) and submit it."""
    period = wb.open_period
    current = load_grid(session, actor, unit, REGIME, period).row_version
    saved = save_draft(session, actor, unit, REGIME, period, values or FULL, current)
    return submit(session, actor, unit, REGIME, period, saved.row_version, signer)


def actions(session: Session, submission_id: int) -> list[tuple]:
    return [(event.action, event.from_status, event.to_status, event.level_unit_id, event.comment)
            for event in approval.events(session, submission_id)]


def audited(session: Session, submission_id: int) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "submission", AuditEntry.entity_id == str(submission_id)).order_by(AuditEntry.id)))


@pytest.fixture
def reporters(wb_session, wb) -> Iterator[None]:
    """The receiving department and the province office report under the regime too (for this test)."""
    added = [RegimeUnit(regime_code=REGIME, unit_id=wb.unit_ids[code]) for code in (DEPT_A, OFFICE)]
    wb_session.add_all(added)
    wb_session.commit()
    yield
    wb_session.rollback()
    wb_session.execute(delete(RegimeUnit).where(RegimeUnit.regime_code == REGIME, RegimeUnit.unit_id.in_(
        [wb.unit_ids[DEPT_A], wb.unit_ids[OFFICE]])))
    wb_session.commit()


def test_a_commune_report_climbs_two_levels_and_is_locked_once_approved(wb_session, wb, signer):
    session, ids = wb_session, wb.unit_ids
    report = send(session, wb, wb.officer1, COMMUNE1, signer)
    assert (report.status, report.awaiting_unit_id) == ("submitted", ids[DEPT_A])
    assert [item.id for item in approval.inbox(session, wb.approver_dept)] == [report.id]
    assert approval.inbox(session, wb.approver_office) == [] and approval.inbox(session, wb.officer1) == []

    approval.approve(session, wb.approver_dept, report.id, "  checked ")
    assert (report.status, report.awaiting_unit_id, report.approved_at) == ("submitted", ids[OFFICE], None)
    assert [item.id for item in approval.inbox(session, wb.approver_office)] == [report.id]
    approval.approve(session, wb.approver_office, report.id)
    session.commit()

    office_user = session.scalar(select(User.id).where(User.username == "wb_approver_office"))
    assert (report.status, report.awaiting_unit_id, report.approved_by) == ("approved", None, office_user)
    assert report.approved_at is not None
    assert actions(session, report.id) == [
        ("submit", "draft", "submitted", ids[DEPT_A], None),
        ("approve", "submitted", "submitted", ids[DEPT_A], "checked"),
        ("approve", "submitted", "approved", ids[OFFICE], None)]
    assert audited(session, report.id)[-2:] == ["approve", "approve"]
    assert [item.id for item in approval.approved_by_me(session, wb.approver_office)] == [report.id]
    assert approval.approved_by_me(session, wb.approver_dept) == []

    grid = load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    assert not grid.editable and grid.why_locked.startswith("approved by wb_approver_office")
    with pytest.raises(WritebackError, match="cannot be changed: approved"):
        save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 1}, grid.row_version)
    with pytest.raises(WritebackError, match="cannot be approved: it is approved"):
        approval.approve(session, wb.approver_office, report.id)


def test_only_an_approver_of_the_awaited_unit_acts(wb_session, wb, signer):
    session = wb_session
    report = send(session, wb, wb.officer1, COMMUNE1, signer)
    for actor in (wb.approver_office, wb.approver_dept_b, wb.approver1, wb.officer1, wb.leader, wb.admin):
        with pytest.raises(WritebackError, match=rf"^{actor.username} may not act on the report of unit {COMMUNE1} "
                                                 rf"for period {wb.open_period} \({REGIME}\): it awaits an approver "
                                                 rf"of unit {DEPT_A}$"):
            approval.approve(session, actor, report.id)
        with pytest.raises(WritebackError, match="may not act on"):
            approval.return_submission(session, actor, report.id, "no")
        with pytest.raises(WritebackError, match="may not act on"):
            approval.bulk_approve(session, actor, [report.id])
    with pytest.raises(WritebackError, match="needs a comment on the report or on at least one cell"):
        approval.return_submission(session, wb.approver_dept, report.id, "  ", {(POP, "total"): " "})
    with pytest.raises(WritebackError, match=f"has no cell {POP}/nope"):
        approval.return_submission(session, wb.approver_dept, report.id, "", {(POP, "nope"): "what?"})
    with pytest.raises(WritebackError, match="cannot be unapproved: it is submitted"):
        approval.unapprove(session, wb.approver_office, report.id, "why")
    with pytest.raises(WritebackError, match="no report with id"):
        approval.approve(session, wb.approver_dept, report.id + 1000)
    approval.approve(session, wb.approver_dept, report.id)
    approval.approve(session, wb.approver_office, report.id)
    for actor in (wb.approver_dept, wb.officer1, wb.leader, wb.admin):
        with pytest.raises(WritebackError, match=rf"^{actor.username} may not unapprove .* only an approver of "
                                                 rf"unit {OFFICE}, its last level, may$"):
            approval.unapprove(session, actor, report.id, "wrong figures")
    assert approval.approved_by_me(session, wb.officer1) == [] and approval.inbox(session, wb.leader) == []
    session.commit()
    assert report.status == "approved"


def test_return_with_cell_comments_then_resubmission_shows_what_changed(wb_session, wb, signer):
    session = wb_session
    report = send(session, wb, wb.officer1, COMMUNE1, signer)
    assert approval.changes_since_last_submission(session, report.id) == {}
    approval.approve(session, wb.approver_dept, report.id)
    approval.return_submission(session, wb.approver_office, report.id, " Check the population ",
                               {(POP, "total"): "too high", (POP, "male"): " ", (RATE, "female"): "source?"})
    session.commit()
    assert (report.status, report.awaiting_unit_id) == ("returned", None) and report.returned_at is not None
    returned = approval.events(session, report.id)[-1]
    assert (returned.action, returned.comment, returned.level_unit_id) == (
        "return", "Check the population", wb.unit_ids[OFFICE])
    comments = session.scalars(select(CellComment).where(CellComment.submission_id == report.id)).all()
    assert sorted((c.indicator_code, c.category_code, c.kind, c.text, c.event_id, c.username) for c in comments) == [
        (POP, "total", "return", "too high", returned.id, "wb_approver_office"),
        (RATE, "female", "return", "source?", returned.id, "wb_approver_office")]
    last = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(report.id))
                           .order_by(AuditEntry.id.desc())).first()
    assert last.action == "return" and '"cell_comments":{"WB_POP/total":"too high"' in last.new_value

    grid = load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    assert grid.editable and {c.text for c in grid.comments} == {"too high", "source?"}
    assert approval.inbox(session, wb.approver_dept) == []
    corrected = save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period,
                           {(POP, "total"): 900, (POP, "male"): 380}, grid.row_version)
    submit(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, corrected.row_version, signer)
    session.commit()
    assert (report.status, report.version, report.awaiting_unit_id) == ("submitted", 2, wb.unit_ids[DEPT_A])
    assert approval.changes_since_last_submission(session, report.id) == {
        (POP, "male"): (480, 380), (POP, "total"): (1000, 900)}
    assert [item.id for item in approval.inbox(session, wb.approver_dept)] == [report.id]


def test_unapprove_takes_the_report_back_to_the_last_level(wb_session, wb, signer):
    session = wb_session
    report = send(session, wb, wb.officer1, COMMUNE1, signer)
    approval.approve(session, wb.approver_dept, report.id)
    approval.approve(session, wb.approver_office, report.id)
    with pytest.raises(WritebackError, match="needs a reason"):
        approval.unapprove(session, wb.approver_office, report.id, "  ")
    approval.unapprove(session, wb.approver_office, report.id, "wrong census base")
    session.commit()
    assert (report.status, report.awaiting_unit_id, report.approved_at, report.approved_by) == (
        "submitted", wb.unit_ids[OFFICE], None, None)
    assert actions(session, report.id)[-1] == (
        "unapprove", "approved", "submitted", wb.unit_ids[OFFICE], "wrong census base")
    assert audited(session, report.id)[-1] == "unapprove"
    assert approval.approved_by_me(session, wb.approver_office) == []
    assert [item.id for item in approval.inbox(session, wb.approver_office)] == [report.id]
    assert not load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period).editable

    approval.return_submission(session, wb.approver_office, report.id, "fix the base")
    session.commit()
    assert load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period).editable


@pytest.mark.usefixtures("reporters")
def test_a_unit_waits_for_the_reports_below_it(wb_session, wb, signer):
    session = wb_session
    own = send(session, wb, wb.admin, DEPT_A, signer)
    assert own.awaiting_unit_id == wb.unit_ids[OFFICE]
    with pytest.raises(WritebackError, match=rf"cannot be approved yet: the reports of {DEPT_B}, {COMMUNE1}, "
                                             rf"{COMMUNE2} must first be approved by unit {DEPT_A}"):
        approval.approve(session, wb.approver_office, own.id)
    below = [send(session, wb, officer, unit, signer) for officer, unit in (
        (wb.officer1, COMMUNE1), (wb.officer2, COMMUNE2), (wb.officer_dept_b, DEPT_B))]
    approval.approve(session, wb.approver_dept, below[0].id)
    approval.approve(session, wb.approver_dept, below[1].id)
    with pytest.raises(WritebackError, match=rf"the reports of {DEPT_B} must first"):
        approval.approve(session, wb.approver_office, own.id)
    approval.approve(session, wb.approver_dept, below[2].id)
    approval.approve(session, wb.approver_office, own.id)
    session.commit()
    assert own.status == "approved"
    assert all(item.status == "submitted" and item.awaiting_unit_id == wb.unit_ids[OFFICE] for item in below)


@pytest.mark.usefixtures("reporters")
def test_bulk_approval_goes_lower_units_first_and_is_all_or_nothing(wb_session, wb, signer):
    session = wb_session
    office = send(session, wb, wb.admin, OFFICE, signer)  # its own report: approved by its own approver
    assert office.awaiting_unit_id == wb.unit_ids[OFFICE]
    below = [send(session, wb, officer, unit, signer) for officer, unit in (
        (wb.officer1, COMMUNE1), (wb.officer2, COMMUNE2), (wb.officer_dept_b, DEPT_B), (wb.admin, DEPT_A))]
    approval.bulk_approve(session, wb.approver_dept, [item.id for item in below[:2]], "history")
    session.commit()
    assert [item.awaiting_unit_id for item in below[:2]] == [wb.unit_ids[OFFICE]] * 2

    # DEPT_B's report still awaits the department: the department's own report cannot be approved, so none is
    with pytest.raises(WritebackError, match=rf"cannot be approved yet: the reports of {DEPT_B} must first be "
                                             rf"approved by unit {DEPT_A}"):
        approval.bulk_approve(session, wb.approver_office, [office.id, below[0].id, below[1].id, below[3].id])
    session.commit()
    statuses = session.execute(select(Submission.id, Submission.status, Submission.awaiting_unit_id)
                               .order_by(Submission.id)).all()
    assert [(status, awaiting) for _, status, awaiting in statuses] == [
        ("submitted", wb.unit_ids[OFFICE])] * 3 + [("submitted", wb.unit_ids[DEPT_A]), ("submitted",
                                                                                         wb.unit_ids[OFFICE])]
    assert session.scalar(select(SubmissionEvent.id).where(
        SubmissionEvent.submission_id == office.id, SubmissionEvent.action == "approve")) is None

    approval.bulk_approve(session, wb.approver_dept, [below[2].id])
    approved = approval.bulk_approve(session, wb.approver_office, [office.id, *[item.id for item in below]], "ok")
    session.commit()
    assert [item.id for item in approved][-1] == office.id and len(approved) == 5
    assert {item.status for item in [office, *below]} == {"approved"}


def test_verify_all_catches_edited_and_deleted_audit_rows_and_edited_figures(wb_session, wb_engine, wb, signer,
                                                                            tmp_path):
    session = wb_session
    report = send(session, wb, wb.officer1, COMMUNE1, signer)
    approval.approve(session, wb.approver_dept, report.id)
    approval.approve(session, wb.approver_office, report.id)
    session.commit()
    assert verify_all(session, signer) is None
    assert "signature does not match" in verify_all(session, Signer.for_settings(Settings(data_dir=tmp_path)))

    cell = session.scalars(select(SubmissionValue).where(SubmissionValue.submission_id == report.id,
                                                         SubmissionValue.indicator_code == POP,
                                                         SubmissionValue.category_code == "total")).one()
    session.execute(update(SubmissionValue).where(SubmissionValue.id == cell.id).values(value=1001.0))
    session.commit()
    assert verify_all(session, signer) == (
        f"report of unit {COMMUNE1} for period {wb.open_period} ({REGIME}, id {report.id}): its stored content "
        f"no longer matches the digest signed at submission")
    session.execute(update(SubmissionValue).where(SubmissionValue.id == cell.id).values(value=1000.0))
    session.commit()
    assert verify_all(session, signer) is None

    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)).all()
    middle = entries[1]
    kept = {column.key: getattr(middle, column.key) for column in AuditEntry.__table__.columns}
    session.execute(update(AuditEntry).where(AuditEntry.id == middle.id).values(new_value='{"status":"draft"}'))
    session.commit()
    assert verify_all(session, signer) == (
        f"audit log entry {middle.id} was altered, or the entry before it was removed")
    session.execute(update(AuditEntry).where(AuditEntry.id == middle.id).values(new_value=kept["new_value"]))
    session.execute(delete(AuditEntry).where(AuditEntry.id == middle.id))
    session.commit()
    assert verify_all(session, signer) == (
        f"audit log entry {entries[0].id} was altered, or the entry before it was removed")
    session.add(AuditEntry(**kept))
    session.commit()
    assert verify_all(session, signer) is None


def test_ioc_audit_verify_exits_0_when_intact_and_1_naming_the_broken_entry(tmp_path, monkeypatch, capsys):
    config = write_store_config(tmp_path, "86", database_url=f"sqlite:///{tmp_path}/opdb.sqlite")
    monkeypatch.setenv("IOC_CONFIG", str(config))
    monkeypatch.delenv("IOC_SIGNING_KEY", raising=False)
    settings = load_settings(config)
    migrate(settings.database_url)
    engine = engine_for(settings.database_url)
    try:
        with Session(engine) as session:
            wb = build_catalog(session)
            report_id = send(session, wb, wb.officer1, COMMUNE1, Signer.for_settings(settings)).id
            session.commit()
        assert cli.main(["--config", str(config), "audit", "verify"]) == 0
        assert capsys.readouterr().out.strip().startswith("ok: audit log intact (")
        with Session(engine) as session:
            session.execute(update(SubmissionValue).where(SubmissionValue.submission_id == report_id,
                                                          SubmissionValue.indicator_code == RATE,
                                                          SubmissionValue.category_code == "male").values(value=41.0))
            session.commit()
        assert cli.main(["--config", str(config), "audit", "verify"]) == 1
        assert capsys.readouterr().err.strip() == (
            f"error: audit verify: report of unit {COMMUNE1} for period {wb.open_period} ({REGIME}, id {report_id}): "
            f"its stored content no longer matches the digest signed at submission")
    finally:
        engine.dispose()
