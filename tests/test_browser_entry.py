"""The reporting cycle in a real browser: an officer enters, saves (and meets a colleague's newer
save), submits; an approver returns with a cell comment; the officer corrects and resubmits;
the approver sees the changed cell and approves. Screenshots of both pages go to /tmp/shots."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ioc_app.clock import today_ict
from ioc_app.config import load_settings
from ioc_app.opdb.models import (
    Area,
    Category,
    Disaggregation,
    Form,
    FormVersion,
    Indicator,
    Regime,
    RegimeUnit,
    Sector,
    Submission,
    Unit,
)
from ioc_app.opdb.session import engine_for, session_scope
from ioc_app.opdb.users import create_user
from tests.browser import chromium, log_in, record_foreign_requests

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
OFFICER = ("tst_officer", "Can-bo-xa-2026!")
COLLEAGUE = ("tst_officer2", "Can-bo-xa-2026!")
APPROVER = ("tst_approver", "Phe-duyet-2026!")
REGIME = "TST-QUY"
UNIT = "TST.XA"
ROWS = ("TST.HO", "TST.LUA")


def _quarter_code(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _catalog(session, quarter_start: date) -> None:
    """A province office with one commune reporting a two-indicator quarterly form."""
    session.add(Sector(code="TST", name_vi="Thử nghiệm", name_en="Test"))
    if session.get(Disaggregation, "total") is None:
        session.add(Disaggregation(code="total", name_vi="Tổng số", name_en="Total"))
    if session.get(Category, "total") is None:
        session.add(Category(code="total", disaggregation_code="total", name_vi="Tổng số", name_en="Total"))
    for code, name, unit, kind in (("TST.HO", "Số hộ nghèo", "hộ", "integer"),
                                   ("TST.LUA", "Diện tích lúa gieo trồng", "ha", "number")):
        session.add(Indicator(code=code, name_vi=name, name_en=name, unit=unit, sector_code="TST", frequency="quarter",
                              aggregation="sum", direction="down", value_type=kind, level="commune"))
    session.add(Form(code="TST-BM", name_vi="Biểu thử nghiệm", name_en="Test form"))
    session.flush()
    session.add(FormVersion(form_code="TST-BM", version=1, valid_from=date(2020, 1, 1), rows=json.dumps(list(ROWS)),
                            columns=json.dumps(["total"]), created_by="test"))
    office = Unit(code="TST.TINH", name="Văn phòng thử nghiệm", kind="office")
    session.add(office)
    session.flush()
    session.add(Area(key="TST.XA", code="TST", name="Xã Thử Nghiệm", level="commune"))
    commune = Unit(code=UNIT, name="Xã Thử Nghiệm", kind="commune", parent_id=office.id, area_key="TST.XA")
    session.add(commune)
    session.add(Regime(code=REGIME, name_vi="Báo cáo quý thử nghiệm", name_en="Test quarterly report",
                       kind="periodic", period_type="quarter", form_code="TST-BM", cutoff_day=0, deadline_days=10,
                       start_date=quarter_start))
    session.flush()
    session.add(RegimeUnit(regime_code=REGIME, unit_id=commune.id))
    for (name, password), role, unit in ((OFFICER, "officer", UNIT), (COLLEAGUE, "officer", UNIT),
                                         (APPROVER, "approver", "TST.TINH")):
        create_user(session, name, role, password, unit, must_change_password=False)


@pytest.fixture(scope="module")
def setup(demo):
    url = load_settings(demo.config).database_url
    engine = engine_for(url)
    with session_scope(engine) as session:
        today = today_ict()
        _catalog(session, date(today.year, (today.month - 1) // 3 * 3 + 1, 1))
    yield engine, _quarter_code(today)
    engine.dispose()


def _cell(page, grid: str, row: str, col: str = "v0"):
    return page.locator(f"#{grid} .ag-row[row-id='{row}'] .ag-cell[col-id='{col}']")


def _type(page, row: str, value: str) -> None:
    _cell(page, "entry-grid", row, "v0").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def _open_report(page, base_url: str) -> None:
    page.goto(base_url + "/entry")
    page.locator("#entry-due-table tr", has_text="thử nghiệm").get_by_role("button").click()
    page.wait_for_selector("#entry-grid .ag-row[row-id='TST.HO']", timeout=30_000)


def _open_inbox(page, base_url: str) -> None:
    page.goto(base_url + "/approvals")
    page.locator("#ap-inbox-table tr", has_text="Xã Thử Nghiệm").get_by_role("button").click()
    page.wait_for_selector("#ap-grid .ag-row[row-id='TST.HO']", timeout=30_000)


def _submission(engine, period: str) -> Submission:
    with session_scope(engine) as session:
        unit = session.query(Unit).filter_by(code=UNIT).one()
        return session.query(Submission).filter_by(unit_id=unit.id, regime_code=REGIME, period_code=period).one()


def _colleague_saves(engine, period: str) -> None:
    from ioc_app.writeback import entry
    from ioc_app.writeback.actor import actor_for

    with session_scope(engine) as session:
        entry.save_draft(session, actor_for(session, COLLEAGUE[0]), UNIT, REGIME, period,
                         {("TST.HO", "total"): 100.0, ("TST.LUA", "total"): 40.0}, 0)


def test_enter_return_correct_approve(server, setup):
    engine, period = setup
    SHOTS.mkdir(exist_ok=True)
    with chromium() as browser:
        officer = browser.new_page(viewport={"width": 1440, "height": 900})
        officer.on("dialog", lambda dialog: dialog.accept())
        foreign = record_foreign_requests(officer, server.url)
        log_in(officer, server.url, *OFFICER)
        _open_report(officer, server.url)
        assert period in officer.locator("#entry-title").inner_text()

        _type(officer, "TST.HO", "120")
        _colleague_saves(engine, period)
        _type(officer, "TST.LUA", "45.5")
        officer.click("#entry-save")
        officer.wait_for_selector("#entry-conflict:not([hidden])")
        assert COLLEAGUE[0] in officer.locator("#entry-conflict-text").inner_text()
        assert _cell(officer, "entry-grid", "TST.HO").inner_text() == "120"
        officer.click("#entry-reload")
        officer.wait_for_selector("#entry-conflict[hidden]", state="attached")
        assert _cell(officer, "entry-grid", "TST.HO").inner_text() == "100"

        _type(officer, "TST.HO", "120")
        _type(officer, "TST.LUA", "45.5")
        officer.click("#entry-save")
        officer.wait_for_selector("#entry-message .entry-ok")
        officer.click("#entry-submit")
        officer.wait_for_selector("#entry-status.entry-status-submitted")
        assert officer.locator("#entry-locked").is_visible()
        assert _submission(engine, period).version == 1
        officer.screenshot(path=str(SHOTS / "entry-submitted.png"), full_page=True)

        approver = browser.new_page(viewport={"width": 1440, "height": 900})
        foreign += record_foreign_requests(approver, server.url)
        log_in(approver, server.url, *APPROVER)
        _open_inbox(approver, server.url)
        _cell(approver, "ap-grid", "TST.HO").click()
        approver.wait_for_selector("#ap-cell:has-text('TST.HO')")
        approver.fill("#ap-cell-text", "Số hộ nghèo tăng bất thường, kiểm tra lại")
        approver.click("#ap-cell-add")
        approver.wait_for_selector("#ap-cell-list li")
        approver.fill("#ap-return-comment", "Xem lại số hộ nghèo")
        approver.click("#ap-return")
        approver.wait_for_selector("#ap-message .entry-ok")
        assert _submission(engine, period).status == "returned"

        _open_report(officer, server.url)
        returned = _cell(officer, "entry-grid", "TST.HO")
        assert "entry-cell-returned" in returned.get_attribute("class")
        assert "kiểm tra lại" in returned.get_attribute("title")
        assert "Xem lại số hộ nghèo" in officer.locator("#entry-status").inner_text()
        assert "kiểm tra lại" in officer.locator("#entry-return-comments").inner_text()
        officer.screenshot(path=str(SHOTS / "entry-returned.png"), full_page=True)
        _type(officer, "TST.HO", "95")
        officer.click("#entry-submit")
        officer.wait_for_selector("#entry-status.entry-status-submitted")

        _open_inbox(approver, server.url)
        changed = _cell(approver, "ap-grid", "TST.HO")
        assert "entry-cell-changed" in changed.get_attribute("class")
        assert "120" in changed.get_attribute("title")
        assert "entry-cell-changed" not in _cell(approver, "ap-grid", "TST.LUA").get_attribute("class")
        assert approver.locator("#ap-events-table tbody tr").count() >= 3
        approver.screenshot(path=str(SHOTS / "approvals-review.png"), full_page=True)
        approver.click("#ap-approve")
        approver.wait_for_selector("#ap-message .entry-ok")
        approved = _submission(engine, period)
        assert (approved.status, approved.version) == ("approved", 2)
        approver.wait_for_selector("#ap-detail[hidden]", state="attached")
        expect(approver.locator("#ap-inbox")).not_to_contain_text("Xã Thử Nghiệm")
    assert foreign == []
