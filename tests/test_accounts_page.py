"""/accounts in a real browser: a commune's unit admin sees only the accounts of their unit,
opens an account (the issued password shown once works, and must be changed), hands an
account over (the history shows it, the old holder's session ends); screenshots vi and en."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from ioc_app.config import load_settings
from ioc_app.opdb import users
from ioc_app.opdb.models import AccountHandover, Unit
from ioc_app.opdb.session import engine_for, session_scope
from tests.browser import chromium, log_in

pytestmark = pytest.mark.browser

PASSWORD = "Quan-tri-xa-2026!"
SHOTS = Path(os.environ.get("IOC_SHOTS", "/tmp/shots/access"))


def _pick(page, dropdown: str, text: str) -> None:
    """Dash 4's dropdown: open it, type in its search box, take the first match."""
    page.locator(f"#{dropdown}").click()
    page.locator(".dash-dropdown-search").fill(text)
    page.locator(".dash-dropdown-option").first.click()


@pytest.fixture(scope="module")
def commune_admin(demo):
    """A unit admin and an officer of the demo's last commune unit, another commune's officer."""
    engine = engine_for(load_settings(demo.config).database_url)
    with session_scope(engine) as session:
        mine, other = session.scalars(select(Unit).where(Unit.kind == "commune").order_by(Unit.code.desc())
                                      .limit(2)).all()
        for name, role, unit, full in (("pg_ua", "unit_admin", mine, "Quản Trị Xã"),
                                       ("pg_officer", "officer", mine, "Nguyễn Thị Cũ"),
                                       ("pg_elsewhere", "officer", other, "Người Xã Khác")):
            users.create_user(session, name, role, PASSWORD, unit_code=unit.code, full_name=full,
                              must_change_password=False)
        codes = mine.code, other.code
    yield engine, codes
    engine.dispose()


def test_accounts_page_for_a_unit_admin(server, commune_admin):
    engine, (mine, other) = commune_admin
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        holder = browser.new_page(viewport={"width": 1440, "height": 900})
        log_in(holder, server.url, "pg_officer", PASSWORD)
        holder.wait_for_selector("#ioc-header .ioc-user")

        page = browser.new_page(viewport={"width": 1440, "height": 900})
        log_in(page, server.url, "pg_ua", PASSWORD)
        page.goto(server.url + "/accounts?lang=en")
        page.wait_for_selector("#ac-table", timeout=30_000)
        listed = page.locator("#ac-table").inner_text()
        assert "pg_officer" in listed and "pg_elsewhere" not in listed and "test_admin" not in listed
        page.locator("#ac-new-role").click()
        roles = page.locator(".dash-dropdown-option").all_inner_texts()
        page.keyboard.press("Escape")
        assert sorted(roles) == ["Approver", "Data officer", "Unit administrator"]

        page.fill("#ac-new-username", "pg_new")
        page.fill("#ac-new-full-name", "Trần Văn Mới")
        assert mine in page.locator("#ac-new-unit").inner_text()  # their own unit, chosen already
        page.click("#ac-create")
        issued = page.locator("#ac-issued-password").inner_text(timeout=30_000)
        with session_scope(engine) as session:
            fresh = users.find_user(session, "pg_new")
            assert fresh.must_change_password and users.verify_password(fresh, issued)
            assert fresh.unit.code == mine

        _pick(page, "ac-pick", "pg_officer")
        page.fill("#ac-to", "Lê Thị Nhận")
        page.fill("#ac-reason", "Chuyển công tác")
        page.click("#ac-handover")
        page.locator("#ac-history-table", has_text="Lê Thị Nhận").wait_for(timeout=30_000)
        history = page.locator("#ac-history-table").inner_text()
        assert "Lê Thị Nhận" in history and "Nguyễn Thị Cũ" in history and "pg_ua" in history
        page.screenshot(path=str(SHOTS / "accounts-1440-en.png"), full_page=True)
        page.goto(server.url + "/accounts?lang=vi")
        page.locator("#ac-history-table", has_text="Lê Thị Nhận").wait_for(timeout=30_000)
        assert "Lịch sử bàn giao" in page.content()
        page.screenshot(path=str(SHOTS / "accounts-1440-vi.png"), full_page=True)

        holder.goto(server.url + "/")
        assert "/login" in holder.url
    with session_scope(engine) as session:
        officer = users.find_user(session, "pg_officer")
        assert officer.full_name == "Lê Thị Nhận" and officer.must_change_password
        assert session.scalars(select(AccountHandover).where(AccountHandover.user_id == officer.id)).one()
        assert users.find_user(session, "pg_elsewhere").full_name == "Người Xã Khác"
