"""Compliance (on time, late, returned, missing, not due), ranking, scoping, what is owed; the
audit search; the demo history (deterministic, idempotent). SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from ioc_app.clock import today_ict
from ioc_app.config import load_settings
from ioc_app.demo import submissions as demo_history
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import Submission, SubmissionEvent, SubmissionValue
from ioc_app.writeback.audit_search import AuditFilter, changes, search
from ioc_app.writeback.compliance import compliance, owed, ranking, status_of
from tests.demo_instance import write_store_config
from tests.writeback_fixtures import COMMUNE1, COMMUNE2, DEPT_B, INCOME, POP, RATE, REGIME, clear_reports

pytest_plugins = ("tests.writeback_fixtures",)

# WB_Q: quarterly, deadline 10 days after the quarter: 2025-Q1 is due on 2025-04-10.
Q1_DEADLINE = date(2025, 4, 10)


def _report(session, wb, unit: str, period: str, first: datetime | None, status: str = "submitted",
            returns: int = 0) -> Submission:
    submission = Submission(unit_id=wb.unit_ids[unit], regime_code=REGIME, period_code=period,
                            form_version_id=wb.form_version_ids[2], status=status, first_submitted_at=first)
    session.add(submission)
    session.flush()
    if first is not None:
        session.add(SubmissionEvent(submission_id=submission.id, at=first, username="t", action="submit",
                                    from_status="draft", to_status="submitted"))
    for n in range(returns):
        session.add(SubmissionEvent(submission_id=submission.id, at=first + timedelta(days=n + 1), username="t",
                                    action="return", from_status="submitted", to_status="returned"))
    session.flush()
    return submission


def _by_unit(frame: pd.DataFrame) -> dict[str, dict]:
    return {row["unit_code"]: row for row in frame.to_dict("records")}


def test_status_turns_late_after_the_last_minute_of_the_deadline_day():
    assert status_of(datetime(2025, 4, 10, 23, 59, 59), Q1_DEADLINE, date(2025, 5, 1)) == "on_time"
    assert status_of(datetime(2025, 4, 11, 0, 0), Q1_DEADLINE, date(2025, 5, 1)) == "late"
    assert status_of(None, Q1_DEADLINE, Q1_DEADLINE) == "not_due"
    assert status_of(None, Q1_DEADLINE, Q1_DEADLINE + timedelta(days=1)) == "missing"


def test_compliance_per_unit(wb, wb_session):
    _report(wb_session, wb, COMMUNE1, "2025-Q1", datetime(2025, 4, 10, 23, 59), status="approved")
    _report(wb_session, wb, COMMUNE2, "2025-Q1", datetime(2025, 4, 11, 0, 1), returns=1)
    rows = _by_unit(compliance(wb_session, REGIME, "2025-Q1", date(2025, 5, 1)))
    assert set(rows) == {COMMUNE1, COMMUNE2, DEPT_B}
    assert (rows[COMMUNE1]["status"], rows[COMMUNE1]["approved"], rows[COMMUNE1]["returned"]) == ("on_time", True, False)
    assert (rows[COMMUNE2]["status"], rows[COMMUNE2]["approved"], rows[COMMUNE2]["returns"]) == ("late", False, 1)
    assert rows[DEPT_B]["status"] == "missing" and rows[DEPT_B]["current"] == "none"
    assert rows[DEPT_B]["deadline"] == Q1_DEADLINE
    on_deadline_day = _by_unit(compliance(wb_session, REGIME, "2025-Q1", Q1_DEADLINE))
    assert on_deadline_day[DEPT_B]["status"] == "not_due"


def test_a_draft_is_not_a_report(wb, wb_session):
    _report(wb_session, wb, COMMUNE1, "2025-Q1", None, status="draft")
    assert _by_unit(compliance(wb_session, REGIME, "2025-Q1", date(2025, 5, 1)))[COMMUNE1]["status"] == "missing"


def test_ranking_orders_by_on_time_rate_then_returns_then_completeness(wb, wb_session):
    on_time = {"2025-Q1": datetime(2025, 4, 9, 9), "2025-Q2": datetime(2025, 7, 9, 9)}
    for period, at in on_time.items():
        _report(wb_session, wb, COMMUNE1, period, at, status="approved")
        _report(wb_session, wb, DEPT_B, period, at, status="submitted")
        _report(wb_session, wb, COMMUNE2, period, at, status="approved", returns=1 if period == "2025-Q1" else 0)
    _report(wb_session, wb, COMMUNE1, "2024-Q4", None, status="draft")
    table = ranking(wb_session, 2025, date(2025, 8, 1))
    assert list(table["unit_code"]) == [COMMUNE1, DEPT_B, COMMUNE2]
    assert list(table["rank"]) == [1, 2, 3]
    first = table.iloc[0]
    assert (first["expected"], first["on_time"], first["on_time_rate"], first["completeness"]) == (2, 2, 1.0, 1.0)
    late = ranking(wb_session, 2025, date(2025, 10, 20))  # Q3 now due and missing for everyone
    assert list(late["expected"]) == [3, 3, 3] and list(late["missing"]) == [1, 1, 1]
    assert ranking(wb_session, 2023, date(2025, 8, 1)).empty


def test_scope_follows_the_unit_tree_and_the_receiving_unit(wb, wb_session):
    seen = {
        name: set(compliance(wb_session, REGIME, "2025-Q1", date(2025, 5, 1), actor=wb.actors[name])["unit_code"])
        for name in ("wb_approver_dept", "wb_approver_dept_b", "wb_approver1", "wb_leader", "wb_admin",
                     "wb_approver_office")
    }
    everyone = {COMMUNE1, COMMUNE2, DEPT_B}
    assert seen["wb_approver_dept"] == everyone  # receives the regime
    assert seen["wb_approver_office"] == everyone  # every unit is below the office
    assert seen["wb_approver_dept_b"] == {DEPT_B}
    assert seen["wb_approver1"] == {COMMUNE1}
    assert seen["wb_leader"] == seen["wb_admin"] == everyone
    scoped = ranking(wb_session, 2025, date(2025, 8, 1), actor=wb.approver_dept_b)
    assert list(scoped["unit_code"]) == [DEPT_B]
    assert set(owed(wb_session, date(2025, 4, 5), actor=wb.approver1)["unit_code"]) == {COMMUNE1}


def test_owed_lists_open_and_just_closed_periods(wb, wb_session):
    _report(wb_session, wb, COMMUNE1, "2025-Q1", datetime(2025, 4, 2, 10))
    returned = _report(wb_session, wb, COMMUNE2, "2025-Q1", datetime(2025, 4, 2, 10), returns=1)
    returned.status = "returned"
    wb_session.flush()
    table = owed(wb_session, date(2025, 4, 5))
    found = {(row["period_code"], row["unit_code"]): row for row in table.to_dict("records")}
    assert ("2025-Q1", COMMUNE1) not in found
    assert found[("2025-Q1", COMMUNE2)]["state"] == "returned"
    assert found[("2025-Q1", DEPT_B)]["days_left"] == 5
    assert {period for period, _ in found} == {"2024-Q4", "2025-Q1", "2025-Q2"}
    assert found[("2024-Q4", DEPT_B)]["days_left"] < 0
    assert table.iloc[0]["period_code"] == "2024-Q4"  # most overdue first


# --- audit search ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def audit_entries(wb_engine):
    from sqlalchemy.orm import Session

    with Session(wb_engine) as session:
        record(session, "as_alice", "update", "indicator", "NN01", {"name": "Lúa", "unit": "tấn"},
               {"name": "Lúa gạo", "unit": "tấn"})
        record(session, "as_bob", "create", "unit", "X.1", None, {"name": "Xã Một"})
        record(session, "as_alice", "delete", "unit", "X.2", {"name": "Xã Hai"}, None)
        session.commit()


def test_audit_search_filters(wb_session, audit_entries):
    alice = search(wb_session, AuditFilter(user="as_alice"))
    assert alice.total == 2 and [e.action for e in alice.entries] == ["delete", "update"]
    assert [e.username for e in search(wb_session, AuditFilter(entity="unit", action="create")).entries] == ["as_bob"]
    assert search(wb_session, AuditFilter(entity_id="NN01")).entries[0].username == "as_alice"
    assert [e.entity_id for e in search(wb_session, AuditFilter(text="xã hai")).entries] == ["X.2"]
    assert search(wb_session, AuditFilter(text="gạo", user="as_bob")).total == 0
    assert search(wb_session, AuditFilter(text="100%_")).total == 0
    today = today_ict()
    assert search(wb_session, AuditFilter(user="as_alice", since=today, until=today)).total == 2
    assert search(wb_session, AuditFilter(user="as_alice", until=today - timedelta(days=1))).total == 0


def test_audit_search_pages_newest_first(wb_session, audit_entries):
    first = search(wb_session, AuditFilter(user="as_alice"), page=0, page_size=1)
    second = search(wb_session, AuditFilter(user="as_alice"), page=1, page_size=1)
    assert first.pages == 2 and first.entries[0].action == "delete" and second.entries[0].action == "update"
    assert search(wb_session, AuditFilter(user="as_alice"), page=9, page_size=1).page == 1


def test_changes_lists_only_the_keys_that_changed():
    old, new = json.dumps({"name": "Lúa", "unit": "tấn"}), json.dumps({"name": "Lúa gạo", "unit": "tấn"})
    assert changes(old, new) == [("name", "Lúa", "Lúa gạo")]
    assert changes(None, json.dumps({"name": "Xã Một"})) == [("name", None, "Xã Một")]
    assert changes(json.dumps("draft"), json.dumps("submitted")) == [("", "draft", "submitted")]
    assert changes(old, old) == []
    saved = json.dumps({"cells": {"A/total": None, "A/male": 5}, "row_version": 1})
    again = json.dumps({"cells": {"A/total": 12, "A/male": 5}, "row_version": 2})
    assert changes(saved, again) == [("cells.A/total", None, 12), ("row_version", 1, 2)]


# --- demo history ------------------------------------------------------------------------

HISTORY_TODAY = date(2025, 11, 20)  # 2025-Q1..Q3 have ended, Q3's deadline has passed, Q4 is open
FIGURES = {POP: (1000, 490, 510), RATE: (50.0, 48.0, 52.0), INCOME: (5000.0, 2400.0, 2600.0)}


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    settings = load_settings(write_store_config(root, "Vĩnh Long", "demo:\n  seed: 7\n"))
    rows = []
    for n, unit in enumerate((COMMUNE1, COMMUNE2)):
        for q in (1, 2, 3, 4):
            for indicator, values in FIGURES.items():
                for category, value in zip(("total", "male", "female"), values):
                    rows.append({"unit_code": unit, "indicator_code": indicator, "period": f"2025-Q{q}",
                                 "area_code": "x", "category_code": category,
                                 "value": float(value if indicator == RATE else value * (1 + n + q))})
    reports = settings.demo_dir / "reports"
    reports.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(reports / "communes_2025.parquet")
    (settings.demo_dir / "manifest.json").write_text(
        json.dumps({"files": {"reports": ["reports/communes_2025.parquet"]}}), encoding="utf-8")
    return settings


@pytest.fixture(scope="module")
def signer(demo_settings):
    from ioc_app.writeback.signing import Signer

    return Signer.for_settings(demo_settings)


def _history(session) -> list[tuple]:
    submissions = session.scalars(select(Submission).order_by(Submission.unit_id, Submission.period_code)).all()
    return [(s.unit_id, s.period_code, s.status, s.version, s.first_submitted_at, s.approved_at, s.digest,
             sorted((v.indicator_code, v.category_code, v.value) for v in s.values)) for s in submissions]


def _build(engine, settings, signer) -> int:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        added = demo_history.build_demo_submissions(session, settings, signer, HISTORY_TODAY, {REGIME: date(2025, 1, 1)})
        session.commit()
    return added


def test_demo_history_is_deterministic_and_idempotent(wb_engine, wb_session, demo_settings, signer):
    added = _build(wb_engine, demo_settings, signer)
    assert 0 < added <= 6  # two communes x three ended quarters; WB_DEPT_B has no demo figures
    first = _history(wb_session)
    assert _build(wb_engine, demo_settings, signer) == 0
    wb_session.expire_all()
    assert _history(wb_session) == first
    clear_reports(wb_engine)
    assert _build(wb_engine, demo_settings, signer) == added
    wb_session.expire_all()
    again = _history(wb_session)
    assert [row[:6] + row[7:] for row in again] == [row[:6] + row[7:] for row in first]
    assert all(row[1] != "2025-Q4" for row in again)  # the open quarter stays untouched


def test_demo_history_returns_then_corrects_and_leaves_some_missing(wb, wb_engine, wb_session, demo_settings,
                                                                    signer, monkeypatch):
    monkeypatch.setattr(demo_history, "RETURN_SHARE", 1.0)
    monkeypatch.setattr(demo_history, "LATE_SHARE", 0.0)
    monkeypatch.setattr(demo_history, "MISSING_SHARE", 1.0)
    assert _build(wb_engine, demo_settings, signer) == 4  # Q3, the latest closed quarter, is missing
    table = _by_unit(compliance(wb_session, REGIME, "2025-Q2", HISTORY_TODAY))
    assert table[COMMUNE1]["status"] == "on_time" and table[COMMUNE1]["returns"] == 1
    assert table[COMMUNE1]["approved"]
    assert _by_unit(compliance(wb_session, REGIME, "2025-Q3", HISTORY_TODAY))[COMMUNE2]["status"] == "missing"
    report = wb_session.scalars(select(Submission).where(
        Submission.unit_id == wb.unit_ids[COMMUNE2], Submission.period_code == "2025-Q1")).one()
    assert (report.status, report.version) == ("approved", 2)
    assert report.first_submitted_at < report.approved_at < datetime.combine(HISTORY_TODAY, datetime.min.time())
    values = {(v.indicator_code, v.category_code): v.value for v in wb_session.scalars(
        select(SubmissionValue).where(SubmissionValue.submission_id == report.id))}
    assert values[(POP, "total")] == 1000 * 3 and values[(INCOME, "female")] == 2600.0 * 3
    events = wb_session.scalars(select(SubmissionEvent).where(SubmissionEvent.submission_id == report.id)
                                .order_by(SubmissionEvent.id)).all()
    assert [e.action for e in events if e.action != "save"] == ["submit", "return", "submit", "approve", "approve"]
    assert [e.at for e in events] == sorted(e.at for e in events)
    from ioc_app.writeback.integrity import verify_all

    assert verify_all(wb_session, signer) is None


def test_demo_accounts_include_an_approver_at_the_receiving_department(tmp_path):
    from ioc_app.bootstrap import DEMO_ROLES, first_unit_of_kind

    units = tmp_path / "units.csv"
    units.write_text("unit_code,name,kind,parent_code,area_code,valid_from,valid_to\n"
                     "86.VPUBND,Office,province_office,,86,2025-07-01,\n"
                     "86.STC,Finance,department,86.VPUBND,86,2025-07-01,\n"
                     "86.SNNMT,Agriculture,department,86.VPUBND,86,2025-07-01,\n"
                     "H.1,Old district,former_district,86.VPUBND,1,2020-01-01,2025-06-30\n"
                     "X.2,Commune,commune,86.VPUBND,2,2025-07-01,\n", encoding="utf-8")
    found = first_unit_of_kind(units)
    assert {name: found.get(kind) if kind else None for name, (_, kind) in DEMO_ROLES.items()} == {
        "leader": "86.VPUBND", "dept_head": "86.STC", "officer": "X.2", "approver": "86.VPUBND",
        "approver_so": "86.SNNMT", "unit_admin": "86.VPUBND", "admin": None, "wall": None,
        "editor": "86.VPUBND"}
    assert DEMO_ROLES["approver_so"][0] == "approver"
