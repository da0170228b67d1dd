"""Entry windows, exceptions, draft/submit, locking, conflicts, permissions and signatures
(operational-DB tests on SQLite and PostgreSQL)."""
from __future__ import annotations

import json
import multiprocessing
import os
import stat
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from ioc_app.clock import now_ict, today_ict
from ioc_app.config import Settings
from ioc_app.errors import ConfigError, ConflictError, WritebackError
from ioc_app.opdb.models import (
    AuditEntry,
    FormVersion,
    Period,
    Regime,
    RegimeUnit,
    Submission,
    SubmissionEvent,
    SubmissionValue,
)
from ioc_app.writeback import signing
from ioc_app.writeback.entry import load_grid, save_draft, submit, values_from_json
from ioc_app.writeback.problems import FiguresRefused
from ioc_app.writeback.signing import Signer, content_digest
from ioc_app.writeback.windows import (
    adhoc_period_code,
    due_reports,
    ensure_periods,
    entry_open,
    grant_exception,
    window,
)
from tests.writeback_fixtures import COMMUNE1, COMMUNE2, DEPT_A, FORM, INCOME, POP, RATE, REGIME, clear_reports

pytest_plugins = ("tests.writeback_fixtures",)

FULL = {
    (POP, "total"): 1000, (POP, "male"): 480, (POP, "female"): 520,
    (RATE, "total"): 50.0, (RATE, "male"): 40.0, (RATE, "female"): 60.0,
    (INCOME, "total"): 100.5, (INCOME, "male"): 50.0, (INCOME, "female"): 50.5,
}


@pytest.fixture(scope="module")
def signer(tmp_path_factory) -> Signer:
    return Signer.for_settings(Settings(data_dir=tmp_path_factory.mktemp("keys")))


def audit_of(session: Session, submission_id: int) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "submission", AuditEntry.entity_id == str(submission_id)).order_by(AuditEntry.id)))


def stored_values(engine, submission_id: int) -> dict:
    with Session(engine) as session:
        return {(row.indicator_code, row.category_code): row.value for row in session.scalars(
            select(SubmissionValue).where(SubmissionValue.submission_id == submission_id))}


# --- windows (no database) -------------------------------------------------------------


def _regime(cutoff_day: int, deadline_days: int) -> Regime:
    return Regime(code="R", kind="periodic", cutoff_day=cutoff_day, deadline_days=deadline_days)


@pytest.mark.parametrize("period, cutoff_day, days, expected", [
    (Period(code="2026-02", type="month", start_date=date(2026, 2, 1), end_date=date(2026, 2, 28)), 0, 5,
     (date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 5))),
    (Period(code="2026-02", type="month", start_date=date(2026, 2, 1), end_date=date(2026, 2, 28)), 20, 3,
     (date(2026, 2, 1), date(2026, 2, 20), date(2026, 2, 23))),
    (Period(code="2026-02", type="month", start_date=date(2026, 2, 1), end_date=date(2026, 2, 28)), 31, 0,
     (date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 28))),
    (Period(code="2026-Q3", type="quarter", start_date=date(2026, 7, 1), end_date=date(2026, 9, 30)), 25, 10,
     (date(2026, 7, 1), date(2026, 9, 25), date(2026, 10, 5))),
    (Period(code="2025", type="year", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31)), 0, 15,
     (date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 15))),
    (Period(code="AH-1", type="adhoc", start_date=date(2026, 11, 25), end_date=date(2026, 11, 30)), 20, 2,
     (date(2026, 11, 25), date(2026, 11, 25), date(2026, 11, 27))),
])
def test_window_of_a_period(period, cutoff_day, days, expected):
    span = window(_regime(cutoff_day, days), period)
    assert (span.opens_on, span.cutoff, span.deadline) == expected
    assert span.is_open(span.opens_on) and span.is_open(span.deadline)
    assert not span.is_open(span.opens_on - timedelta(days=1)) and not span.is_open(span.deadline + timedelta(days=1))


# --- periods, exceptions, what is due ---------------------------------------------------


def test_ensure_periods_opens_periodic_and_adhoc_periods(wb_session, wb):
    session = wb_session
    adhoc = Regime(code="WB_SURVEY_2026_RICE_HARVEST", name_vi="Điều tra", name_en="Survey", kind="adhoc",
                   form_code=FORM, cutoff_day=0, deadline_days=3, start_date=today_ict() - timedelta(days=2),
                   end_date=today_ict() + timedelta(days=5), active=True)
    later = Regime(code="WB_LATER", name_vi="Sau", name_en="Later", kind="thematic", form_code=FORM,
                   start_date=today_ict() + timedelta(days=30), end_date=today_ict() + timedelta(days=40), active=True)
    session.add_all([adhoc, later])
    session.add(RegimeUnit(regime_code=adhoc.code, unit_id=wb.unit_ids[COMMUNE2]))
    session.flush()
    try:
        ensure_periods(session, today_ict())
        code = adhoc_period_code(adhoc)
        period = session.get(Period, code)
        assert len(code) <= 16 and period.type == "adhoc"
        assert (period.start_date, period.end_date) == (adhoc.start_date, adhoc.end_date)
        assert session.get(Period, adhoc_period_code(later)) is None
        assert session.get(Period, wb.open_period) is not None
        due = due_reports(session, wb.officer2, today_ict())
        assert [(d.regime.code, d.period.code, d.open) for d in due if d.regime.code == adhoc.code] == [
            (adhoc.code, code, True)]
    finally:
        session.rollback()


def test_exceptions_reopen_a_closed_period(wb_session, wb):
    session = wb_session
    regime = session.get(Regime, REGIME)
    closed = session.get(Period, wb.closed_period)
    commune = wb.unit_ids[COMMUNE1]
    now = now_ict()
    assert not entry_open(session, commune, regime, closed, now)
    due = {(d.period.code, d.open) for d in due_reports(session, wb.officer1, today_ict())}
    assert (wb.open_period, True) in due and (wb.closed_period, False) in due
    for refused in (wb.officer1, wb.approver_dept_b, wb.approver1, wb.admin):
        with pytest.raises(WritebackError, match="approval chain"):
            grant_exception(session, refused, COMMUNE1, REGIME, wb.closed_period, now + timedelta(days=1), "late")
    with pytest.raises(WritebackError, match="reason"):
        grant_exception(session, wb.approver_dept, COMMUNE1, REGIME, wb.closed_period, now + timedelta(days=1), " ")
    with pytest.raises(WritebackError, match="after now"):
        grant_exception(session, wb.approver_dept, COMMUNE1, REGIME, wb.closed_period, now - timedelta(hours=1), "x")
    granted = grant_exception(session, wb.approver_office, COMMUNE1, REGIME, wb.closed_period,
                              now + timedelta(days=1), "floods")
    assert entry_open(session, commune, regime, closed, now)
    assert not entry_open(session, commune, regime, closed, now + timedelta(days=2))
    assert not entry_open(session, wb.unit_ids[COMMUNE2], regime, closed, now)
    assert (wb.closed_period, True) in {(d.period.code, d.open) for d in due_reports(session, wb.officer1, today_ict())}
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "entry_exception",
                                                     AuditEntry.entity_id == str(granted.id))).one()
    assert json.loads(entry.new_value)["reason"] == "floods" and entry.username == wb.approver_office.username
    saved = save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.closed_period, {(POP, "total"): 5}, 0)
    assert saved.row_version == 1


def test_due_reports_leave_out_sent_closed_reports(wb_session, wb):
    session = wb_session
    sent = save_draft(session, wb.admin, COMMUNE1, REGIME, wb.closed_period, {(POP, "total"): 5}, 0)
    sent.status = "approved"
    session.flush()
    due = [(d.period.code, d.open, d.submission) for d in due_reports(session, wb.officer1, today_ict())]
    assert due[0][:2] == (wb.open_period, True)
    assert wb.closed_period not in {code for code, _, _ in due}
    assert {"2024-Q1", "2025-Q2"} <= {code for code, _, _ in due}
    assert due_reports(session, wb.admin, today_ict()) == []


# --- draft, submit, locking, audit ----------------------------------------------------


def test_save_load_and_audit_old_to_new(wb_session, wb):
    session = wb_session
    grid = load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    assert (grid.row_version, grid.submission, grid.editable, grid.why_locked) == (0, None, True, None)
    assert grid.form_version.id == wb.form_version_ids[2]
    assert [row.code for row in grid.layout.rows] == [POP, RATE, INCOME]
    first = save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period,
                       {(POP, "total"): 1000, (POP, "male"): 480}, 0, notes={(POP, "total"): " census "})
    assert (first.status, first.row_version, first.version, first.form_version_id) == (
        "draft", 1, 1, wb.form_version_ids[2])
    second = save_draft(session, wb.officer1b, COMMUNE1, REGIME, wb.open_period,
                        {(POP, "total"): 1100, (POP, "male"): 480, (RATE, "total"): 55.5}, 1)
    assert second.row_version == 2 and second.updated_by == wb.officer1b.username
    unchanged = save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(POP, "male"): 480}, 2)
    assert unchanged.row_version == 2
    session.commit()
    grid = load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    assert grid.values == {(POP, "total"): 1100.0, (POP, "male"): 480.0, (RATE, "total"): 55.5}
    assert grid.notes == {(POP, "total"): "census"} and grid.row_version == 2
    saves = [json.loads(entry.old_value) | {"new": json.loads(entry.new_value)} for entry in audit_of(session, first.id)]
    assert saves[0]["cells"] == {"WB_POP/male": None, "WB_POP/total": None}
    assert saves[0]["new"]["cells"] == {"WB_POP/male": 480.0, "WB_POP/total": 1000.0}
    assert saves[0]["new"]["notes"] == {"WB_POP/total": "census"}
    assert saves[1]["cells"] == {"WB_POP/total": 1000.0, "WB_RATE/total": None}
    assert saves[1]["new"]["cells"] == {"WB_POP/total": 1100.0, "WB_RATE/total": 55.5}
    assert (saves[1]["row_version"], saves[1]["new"]["row_version"]) == (1, 2)
    assert len(saves) == 2


def test_stale_save_is_refused_naming_who_and_when(wb_session, wb, wb_engine):
    session = wb_session
    saved = save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 10}, 0)
    session.commit()
    with pytest.raises(ConflictError, match=rf"saved by wb_officer1 at {saved.updated_at:%H:%M}"):
        save_draft(session, wb.officer1b, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 20}, 0)
    session.rollback()
    with pytest.raises(ConflictError, match="nothing is saved"):
        save_draft(session, wb.officer2, COMMUNE2, REGIME, wb.open_period, {(POP, "total"): 20}, 3)
    session.rollback()
    assert stored_values(wb_engine, saved.id) == {(POP, "total"): 10.0}


def test_bad_figures_are_refused_and_nothing_written(wb_session, wb):
    session = wb_session
    with pytest.raises(FiguresRefused) as refused:
        save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period,
                   {(POP, "total"): -1, (RATE, "total"): 120.0, (INCOME, "total"): 10.0, (INCOME, "male"): 20.0,
                    ("WB_NOPE", "total"): 1.0, (POP, "male"): 2.5}, 0)
    found = {(problem.row, problem.column) for problem in refused.value.problems}
    assert found == {(POP, "total"), (RATE, "total"), (INCOME, "total"), ("WB_NOPE", "total"), (POP, "male")}
    session.rollback()
    assert session.scalars(select(Submission)).all() == []


def test_submit_signs_locks_and_keeps_what_was_sent(wb_session, wb, signer):
    session = wb_session
    save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, dict(list(FULL.items())[:4]), 0)
    with pytest.raises(FiguresRefused, match="every cell must be filled") as refused:
        submit(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 1, signer)
    assert len(refused.value.problems) == 5
    draft = save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, FULL, 1)
    with pytest.raises(WritebackError, match="may not enter"):
        submit(session, wb.approver_dept, COMMUNE1, REGIME, wb.open_period, 2, signer)
    with pytest.raises(ConflictError):
        submit(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 1, signer)
    sent = submit(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 2, signer,
                  outlier_comments={(INCOME, "total"): "new factory", (POP, "male"): "  "})
    session.commit()
    assert sent is draft
    assert (sent.status, sent.version, sent.row_version, sent.signed_by) == ("submitted", 1, 3, "wb_officer1")
    assert sent.awaiting_unit_id == wb.unit_ids[DEPT_A] and sent.first_submitted_at == sent.submitted_at
    assert sent.digest == content_digest(sent) and signer.verify(sent.digest, sent.signature)
    event = session.scalars(select(SubmissionEvent).where(SubmissionEvent.submission_id == sent.id)).one()
    assert (event.action, event.from_status, event.to_status, event.digest) == ("submit", "draft", "submitted",
                                                                                 sent.digest)
    assert values_from_json(event.values_json) == {cell: float(value) for cell, value in FULL.items()}
    grid = load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    assert not grid.editable and "awaiting approval by Sở A (WB_DEPT_A)" in grid.why_locked
    assert [(c.indicator_code, c.category_code, c.kind, c.text) for c in grid.comments] == [
        (INCOME, "total", "outlier", "new factory")]
    for actor in (wb.officer1, wb.admin):
        with pytest.raises(WritebackError, match="awaiting approval by Sở A"):
            save_draft(session, actor, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 1}, 3)
        with pytest.raises(WritebackError, match="cannot be changed"):
            submit(session, actor, COMMUNE1, REGIME, wb.open_period, 3, signer)
    submit_entry = audit_of(session, sent.id)[-1]
    assert submit_entry.action == "submit" and json.loads(submit_entry.old_value)["status"] == "draft"
    assert json.loads(submit_entry.new_value)["digest"] == sent.digest


def test_returned_report_is_corrected_and_resubmitted_as_a_new_version(wb_session, wb, signer):
    session = wb_session
    save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, FULL, 0)
    first = submit(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 1, signer)
    first.status, first.row_version = "returned", 3
    session.flush()
    again = save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 1001}, 3)
    assert again.status == "returned"
    resent = submit(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 4, signer)
    assert (resent.version, resent.status, resent.first_submitted_at) == (2, "submitted", first.first_submitted_at)
    assert signer.verify(content_digest(resent), resent.signature)
    first.status, first.approved_at = "approved", now_ict()
    session.flush()
    grid = load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
    assert not grid.editable and grid.why_locked.startswith("approved")


def test_a_draft_keeps_its_form_version(wb_session, wb, wb_engine):
    session = wb_session
    old = save_draft(session, wb.admin, COMMUNE1, REGIME, wb.v1_period, {(POP, "total"): 7}, 0)
    assert old.form_version_id == wb.form_version_ids[1]
    with pytest.raises(FiguresRefused, match="not a cell of this form"):
        save_draft(session, wb.admin, COMMUNE1, REGIME, wb.v1_period, {(INCOME, "total"): 7}, 1)
    session.rollback()
    draft = save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 7}, 0)
    start = session.get(Period, wb.open_period).start_date
    v3 = FormVersion(form_code=FORM, version=3, valid_from=start, rows=json.dumps([POP]), columns='["total"]',
                     created_by="wb_admin")
    session.add(v3)
    session.commit()
    try:
        grid = load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.open_period)
        assert grid.form_version.id == draft.form_version_id == wb.form_version_ids[2]
        save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(INCOME, "total"): 1.5}, 1)
        assert load_grid(session, wb.officer2, COMMUNE2, REGIME, wb.open_period).form_version.id == v3.id
    finally:
        session.rollback()
        clear_reports(wb_engine)
        session.execute(delete(FormVersion).where(FormVersion.id == v3.id))
        session.commit()


# --- permissions --------------------------------------------------------------------------


def test_who_may_read_and_enter(wb_session, wb):
    session = wb_session
    for reader in (wb.approver1, wb.approver_dept, wb.approver_office, wb.admin):
        grid = load_grid(session, reader, COMMUNE1, REGIME, wb.open_period)
        assert grid.editable is reader.is_admin
    assert "read only" in load_grid(session, wb.approver_dept, COMMUNE1, REGIME, wb.open_period).why_locked
    for stranger in (wb.officer2, wb.approver_dept_b, wb.leader):
        with pytest.raises(WritebackError, match="may not see the report of unit WB_XA1"):
            load_grid(session, stranger, COMMUNE1, REGIME, wb.open_period)
    for refused in (wb.officer2, wb.approver1, wb.approver_dept, wb.leader):
        with pytest.raises(WritebackError, match="may not enter figures for unit WB_XA1"):
            save_draft(session, refused, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 1}, 0)
    with pytest.raises(WritebackError, match="closed on 10/04/2025"):
        save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.closed_period, {(POP, "total"): 1}, 0)
    assert "closed on 10/04/2025" in load_grid(session, wb.officer1, COMMUNE1, REGIME, wb.closed_period).why_locked
    history = save_draft(session, wb.admin, COMMUNE1, REGIME, wb.closed_period, {(POP, "total"): 1}, 0)
    assert history.updated_by == "wb_admin"
    with pytest.raises(WritebackError, match="does not report under"):
        load_grid(session, wb.admin, DEPT_A, REGIME, wb.open_period)
    with pytest.raises(WritebackError, match="not a period of regime"):
        load_grid(session, wb.admin, COMMUNE1, REGIME, "2025-07")


# --- races between two sessions ----------------------------------------------------------


def _in_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_for_lock_wait(engine) -> None:
    """PostgreSQL: return once another backend waits on a lock (the racing save is blocked)."""
    if engine.dialect.name != "postgresql":
        return
    deadline = datetime.now() + timedelta(seconds=20)
    with engine.connect() as connection:
        while datetime.now() < deadline:
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )).scalar_one()
            if waiting:
                return
            connection.rollback()
    raise AssertionError("the second save never waited for the first one's lock")


@pytest.mark.parametrize("quoted", [0, 1])
def test_two_sessions_saving_from_the_same_version(wb_session, wb, wb_engine, quoted):
    """Both load row version `quoted` (0: nothing saved yet); one wins, the other gets a conflict."""
    if quoted:
        save_draft(wb_session, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 1}, 0)
        wb_session.commit()
    first, second = Session(wb_engine, expire_on_commit=False), Session(wb_engine, expire_on_commit=False)
    try:
        assert load_grid(second, wb.officer1b, COMMUNE1, REGIME, wb.open_period).row_version == quoted
        save_draft(first, wb.officer1, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 100}, quoted)

        def racing() -> None:
            save_draft(second, wb.officer1b, COMMUNE1, REGIME, wb.open_period, {(POP, "total"): 200}, quoted)
            second.commit()

        thread, outcome = _in_thread(racing)
        _wait_for_lock_wait(wb_engine)
        first.commit()
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert isinstance(outcome.get("error"), ConflictError), outcome
        assert "wb_officer1 " in str(outcome["error"]) or "same time" in str(outcome["error"])
        second.rollback()
    finally:
        first.close()
        second.close()
    submission = wb_session.scalars(select(Submission)).one()
    wb_session.refresh(submission)
    assert submission.row_version == quoted + 1
    assert stored_values(wb_engine, submission.id) == {(POP, "total"): 100.0}


# --- signatures ---------------------------------------------------------------------------


def test_a_changed_figure_breaks_the_signature(wb_session, wb, wb_engine, signer):
    session = wb_session
    save_draft(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, FULL, 0)
    sent = submit(session, wb.officer1, COMMUNE1, REGIME, wb.open_period, 1, signer)
    session.commit()
    with Session(wb_engine) as fresh:
        stored = fresh.get(Submission, sent.id)
        assert signer.verify(content_digest(stored), stored.signature)
        forged = ("B" if stored.signature[0] == "A" else "A") + stored.signature[1:]
        assert not signer.verify(content_digest(stored), forged)
        assert not signer.verify(content_digest(stored), "not base64!")
    with wb_engine.begin() as connection:
        connection.execute(update(SubmissionValue).where(
            SubmissionValue.submission_id == sent.id, SubmissionValue.indicator_code == POP,
            SubmissionValue.category_code == "total").values(value=1001.0))
    with Session(wb_engine) as fresh:
        stored = fresh.get(Submission, sent.id)
        assert content_digest(stored) != stored.digest
        assert not signer.verify(content_digest(stored), stored.signature)
        assert signer.verify(stored.digest, stored.signature)


def _key_in(folder: str) -> str:
    return Signer.for_settings(Settings(data_dir=folder)).public_pem


def test_signing_key_is_made_once_private_and_shared(tmp_path, monkeypatch):
    monkeypatch.delenv(signing.KEY_ENV, raising=False)
    folder = tmp_path / "data"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        publics = pool.map(_key_in, [str(folder)] * 8)
    assert len(set(publics)) == 1
    key = folder / "signing_key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert (folder / "signing_key.pub").read_text() == publics[0]
    assert sorted(path.name for path in folder.iterdir()) == ["signing_key", "signing_key.pub"]
    assert _key_in(str(folder)) == publics[0]
    signer = Signer.for_settings(Settings(data_dir=folder))
    assert signer.verify("abc", signer.sign("abc")) and not signer.verify("abd", signer.sign("abc"))

    monkeypatch.setenv(signing.KEY_ENV, key.read_text())
    assert Signer.for_settings(Settings(data_dir=tmp_path / "elsewhere")).public_pem == publics[0]
    assert not (tmp_path / "elsewhere").exists()
    monkeypatch.setenv(signing.KEY_ENV, "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match="IOC_SIGNING_KEY"):
        Signer.for_settings(Settings(data_dir=folder))
