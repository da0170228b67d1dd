"""Unit admins manage accounts of their own unit only; handovers are recorded (R-07, R-34);
read scopes per role. On SQLite and PostgreSQL (tests/writeback_fixtures.py)."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from ioc_app.opdb import accounts, users
from ioc_app.opdb.audit import verify_chain
from ioc_app.opdb.models import AccountHandover, AuditEntry, User
from ioc_app.opdb.reach import read_scope
from ioc_app.writeback.actor import Actor, actor_for
from tests.writeback_fixtures import COMMUNE1, COMMUNE2, DEPT_A, OFFICE
from tests.writeback_fixtures import wb, wb_database, wb_engine, wb_session, wb_url  # noqa: F401


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    monkeypatch.setattr(users, "HASH_METHOD", "scrypt:1024:8:1")


def unit_admin(session, wb, name: str, unit_code: str) -> Actor:
    """A unit admin of `unit_code`, opened by the administrator."""
    if users.find_user(session, name) is None:
        accounts.open_account(session, wb.admin, name, "unit_admin", unit_code, f"Quản trị {unit_code}")
    return actor_for(session, name)


def test_a_unit_admin_opens_accounts_in_their_unit_with_a_password_shown_once(wb_session, wb):
    admin1 = unit_admin(wb_session, wb, "ua_xa1", COMMUNE1)
    issued = accounts.open_account(wb_session, admin1, "xa1_new", "officer", COMMUNE1, "Nguyễn Văn Mới")
    user = users.find_user(wb_session, "xa1_new")
    assert user.must_change_password and user.unit.code == COMMUNE1
    assert users.verify_password(user, issued.password) and not users.policy_problems(issued.password)
    assert issued.password not in json.dumps([e.new_value for e in wb_session.scalars(select(AuditEntry))])
    listed = {u.username for u in accounts.accounts(wb_session, admin1)}
    assert {"xa1_new", "wb_officer1", "wb_approver1"} <= listed
    assert not listed & {"wb_officer2", "wb_admin", "wb_leader", "wb_approver_office"}


@pytest.mark.parametrize("role, unit", [("admin", COMMUNE1), ("leader", COMMUNE1), ("dept_head", COMMUNE1),
                                        ("wall", COMMUNE1), ("officer", COMMUNE2), ("officer", None),
                                        ("unit_admin", OFFICE)])
def test_a_unit_admin_cannot_grant_above_their_role_or_outside_their_unit(wb_session, wb, role, unit):
    admin1 = unit_admin(wb_session, wb, "ua_xa1", COMMUNE1)
    with pytest.raises(accounts.AccountError, match="may not"):
        accounts.open_account(wb_session, admin1, "xa_wrong", role, unit, None)
    assert users.find_user(wb_session, "xa_wrong") is None


@pytest.mark.parametrize("target", ["wb_officer2", "wb_admin", "wb_leader", "wb_approver_office"])
def test_a_unit_admin_cannot_touch_accounts_outside_their_unit(wb_session, wb, target):
    admin1 = unit_admin(wb_session, wb, "ua_xa1", COMMUNE1)
    before = wb_session.scalars(select(User).where(User.username == target)).one()
    state = (before.is_active, before.password_hash, before.role_code, before.full_name)
    for act in (lambda: accounts.close_account(wb_session, admin1, target),
                lambda: accounts.reset_account(wb_session, admin1, target),
                lambda: accounts.grant_role(wb_session, admin1, target, "officer"),
                lambda: accounts.hand_over(wb_session, admin1, target, "Người Lạ", "thử")):
        with pytest.raises(accounts.AccountError, match="may not manage"):
            act()
    after = users.find_user(wb_session, target)
    assert (after.is_active, after.password_hash, after.role_code, after.full_name) == state


def test_a_unit_admin_grants_only_unit_roles_and_cannot_make_an_admin(wb_session, wb):
    admin1 = unit_admin(wb_session, wb, "ua_xa1", COMMUNE1)
    accounts.open_account(wb_session, admin1, "xa1_grant", "officer", COMMUNE1, None)
    assert accounts.grant_role(wb_session, admin1, "xa1_grant", "approver").role_code == "approver"
    with pytest.raises(accounts.AccountError, match="may not grant the role 'admin'"):
        accounts.grant_role(wb_session, admin1, "xa1_grant", "admin")
    with pytest.raises(accounts.AccountError, match="own account"):
        accounts.reset_account(wb_session, admin1, "ua_xa1")
    assert accounts.grant_role(wb_session, wb.admin, "xa1_grant", "admin").role_code == "admin"
    with pytest.raises(accounts.AccountError, match="may not manage"):
        accounts.close_account(wb_session, admin1, "xa1_grant")


def test_an_admin_does_everything_and_closing_keeps_the_row(wb_session, wb):
    issued = accounts.open_account(wb_session, wb.admin, "new_leader", "leader", None, "Lãnh Đạo")
    reset = accounts.reset_account(wb_session, wb.admin, "new_leader")
    assert reset.password != issued.password
    accounts.close_account(wb_session, wb.admin, "new_leader")
    closed = users.find_user(wb_session, "new_leader")
    assert not closed.is_active and closed.closed_at is not None
    with pytest.raises(accounts.AccountError, match="closed"):
        accounts.reset_account(wb_session, wb.admin, "new_leader")


def test_a_unit_admin_of_a_department_manages_only_the_department(wb_session, wb):
    admin_dept = unit_admin(wb_session, wb, "ua_dept_a", DEPT_A)
    listed = {u.username for u in accounts.accounts(wb_session, admin_dept)}
    assert "wb_approver_dept" in listed and "wb_officer1" not in listed
    assert {u.code for u in accounts.units_for(wb_session, admin_dept)} == {DEPT_A}


def test_a_handover_is_recorded_with_a_new_password_to_change(wb_session, wb):
    admin1 = unit_admin(wb_session, wb, "ua_xa1", COMMUNE1)
    accounts.open_account(wb_session, admin1, "xa1_hand", "officer", COMMUNE1, "Trần Thị Cũ")
    old_hash = users.find_user(wb_session, "xa1_hand").password_hash
    issued = accounts.hand_over(wb_session, admin1, "xa1_hand", "  Lê   Văn Mới ", "chuyển công tác",
                                date(2026, 11, 30))
    user = users.find_user(wb_session, "xa1_hand")
    assert user.full_name == "Lê Văn Mới" and user.must_change_password and user.password_hash != old_hash
    assert users.verify_password(user, issued.password)
    (handover, owner), = [row for row in accounts.handovers(wb_session, admin1) if row[1].username == "xa1_hand"]
    assert (handover.from_name, handover.to_name, handover.handed_over_on, handover.reason, handover.recorded_by) == (
        "Trần Thị Cũ", "Lê Văn Mới", date(2026, 11, 30), "chuyển công tác", "ua_xa1")
    entry = wb_session.scalars(select(AuditEntry).where(AuditEntry.action == "handover")
                               .order_by(AuditEntry.id.desc())).first()
    assert json.loads(entry.new_value)["full_name"] == "Lê Văn Mới" and entry.username == "ua_xa1"
    assert verify_chain(wb_session) is None
    with pytest.raises(accounts.AccountError, match="reason is required"):
        accounts.hand_over(wb_session, admin1, "xa1_hand", "Ai Đó", "  ")
    assert wb_session.scalars(select(AccountHandover).where(AccountHandover.user_id == user.id)).all() == [handover]
    assert handover in [row[0] for row in accounts.handovers(wb_session, wb.admin)]
    assert not [row for row in accounts.handovers(wb_session, unit_admin(wb_session, wb, "ua_xa2", COMMUNE2))
                if row[1].username == "xa1_hand"]


def test_other_roles_manage_nothing(wb_session, wb):
    for actor in (wb.officer1, wb.approver_office, wb.leader):
        with pytest.raises(accounts.AccountError, match="administrators and unit admins only"):
            accounts.accounts(wb_session, actor)


def test_read_scopes_per_role_and_unit(wb_session, wb):
    ids = wb.unit_ids
    whole = [read_scope(wb_session, "86", role, ids[COMMUNE1]) for role in ("leader", "dept_head", "admin", "wall")]
    assert all(scope.whole_province for scope in whole)
    for role in ("officer", "approver", "unit_admin"):
        scope = read_scope(wb_session, "86", role, ids[COMMUNE1])
        assert scope.area_keys == frozenset({"wb:86001"}) and scope.home_key == "wb:86001"
        assert read_scope(wb_session, "86", role, ids[DEPT_A]).whole_province
        assert read_scope(wb_session, "86", role, None).area_keys == frozenset()
