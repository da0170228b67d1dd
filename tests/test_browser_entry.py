"""The whole reporting cycle in a real browser, on the demo's own quarterly commune report (XA-QUY):
a commune officer enters figures (and meets a colleague's newer save), submits; the receiving
department's approver returns it with a comment on a cell; the officer sees the comment,
corrects and resubmits; the department sees exactly which value changed and approves; the
province office approves; the approved-figures pipeline runs; the figure is on the /indicators
dashboard with its source submission. It runs on its own copy of the session demo (its own
gunicorn), so nothing it writes reaches other tests. Screenshots go to /tmp/shots."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ioc_app.clock import today_ict
from ioc_app.config import load_settings
from ioc_app.lake import connect
from ioc_app.opdb.models import Area, Regime, Submission, Unit, User
from ioc_app.opdb.session import engine_for, session_scope
from tests.browser import chromium, log_in, record_foreign_requests
from tests.conftest import ISSUED_PASSWORD, finish_first_login
from tests.demo_instance import Server
from tests.writeback_fixtures import copy_installation, quarter_code

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
PASSWORD = "Nhap-lieu-2026!"
REGIME = "XA-QUY"
OFFICER, COLLEAGUE, DEPARTMENT, OFFICE = "cycle_officer", "cycle_officer2", "cycle_approver_so", "cycle_approver"
WAIT = 60_000
RETURN_NOTE = "Sản lượng lúa gấp 10 lần kỳ trước, kiểm tra lại đơn vị tính"


@pytest.fixture(scope="module")
def cycle(demo, tmp_path_factory):
    """A copy of the demo with the officers of the demo officer's commune and the approvers of its chain."""
    instance = copy_installation(demo, tmp_path_factory.mktemp("cycle") / "ioc")
    url = load_settings(instance.config).database_url
    engine = engine_for(url)
    with session_scope(engine) as session:
        demo_officer = session.scalar(select(User).where(User.username == "officer"))
        unit = session.get(Unit, demo_officer.unit_id)
        regime = session.get(Regime, REGIME)
        receiver = session.get(Unit, regime.receiver_unit_id)
        office = session.get(Unit, unit.parent_id)
        names = {"unit": unit.code, "unit_name": unit.name, "area": session.get(Area, unit.area_key).name,
                 "department": receiver.name,
                 "office": office.name}
        codes = {OFFICER: unit.code, COLLEAGUE: unit.code, DEPARTMENT: receiver.code, OFFICE: office.code}
    for name, unit_code in codes.items():
        role = "officer" if name in (OFFICER, COLLEAGUE) else "approver"
        instance.ioc("user", "create", name, "--role", role, "--unit", unit_code, "--password-stdin",
                     stdin=ISSUED_PASSWORD + "\n")
        finish_first_login(url, name, ISSUED_PASSWORD, PASSWORD)
    server = Server(instance)
    try:
        yield instance, server, engine, names
    finally:
        server.stop()
        engine.dispose()


def _cell(page, grid: str, row: str, col: str = "v0"):
    return page.locator(f"#{grid} .ag-row[row-id='{row}'] .ag-cell[col-id='{col}']")


def _type(page, row: str, value: str) -> None:
    _cell(page, "entry-grid", row).click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def _open_report(page, base_url: str, period: str) -> list[str]:
    """Open this quarter's XA-QUY report from the list of what is due; the grid's row ids."""
    page.goto(base_url + "/entry")
    page.locator("#entry-due-table tr", has_text="Báo cáo quý cấp xã").filter(has_text=period) \
        .get_by_role("button").click()
    page.wait_for_selector("#entry-grid .ag-row", timeout=WAIT)
    assert period in page.locator("#entry-title").inner_text()
    return page.locator("#entry-grid .ag-center-cols-container .ag-row").evaluate_all(
        "rows => rows.map(r => r.getAttribute('row-id'))")


def _open_inbox(page, base_url: str, unit_name: str) -> None:
    page.goto(base_url + "/approvals")
    page.locator("#ap-inbox-table tr", has_text=unit_name).get_by_role("button").click()
    page.wait_for_selector("#ap-grid .ag-row", timeout=WAIT)


def _submission(engine, unit: str, period: str) -> Submission:
    with session_scope(engine) as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
        return session.scalars(select(Submission).where(Submission.unit_id == unit_id, Submission.regime_code == REGIME,
                                                        Submission.period_code == period)).one()


def _colleague_saves(engine, unit: str, period: str, rows: list[str]) -> None:
    from ioc_app.writeback import entry
    from ioc_app.writeback.actor import actor_for

    with session_scope(engine) as session:
        entry.save_draft(session, actor_for(session, COLLEAGUE), unit, REGIME, period,
                         {(row, "total"): 100.0 for row in rows}, 0)


def _pick(page, dropdown: str, text: str) -> None:
    page.locator(f"#{dropdown}").click()
    page.locator(".dash-dropdown-search").fill(text)
    page.locator(".dash-dropdown-option").first.click()


def _page(browser):
    """A desktop page; the machine running the tests may be busy, so waits are generous."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(WAIT)
    return page


def _approve(browser, base_url: str, who: str, unit_name: str, expected: str, shot: str) -> None:
    approver = _page(browser)
    log_in(approver, base_url, who, PASSWORD)
    _open_inbox(approver, base_url, unit_name)
    approver.click("#ap-approve")
    expect(approver.locator("#ap-message")).to_contain_text(expected, timeout=WAIT)
    approver.screenshot(path=str(SHOTS / shot), full_page=True)
    expect(approver.locator("#ap-inbox")).not_to_contain_text(unit_name, timeout=WAIT)



def test_commune_report_from_entry_to_the_dashboard(cycle):
    instance, server, engine, names = cycle
    unit, unit_name, period = names["unit"], names["unit_name"], quarter_code(today_ict())
    SHOTS.mkdir(exist_ok=True)
    with chromium() as browser:
        officer = _page(browser)
        officer.on("dialog", lambda dialog: dialog.accept())
        foreign = record_foreign_requests(officer, server.url)
        log_in(officer, server.url, OFFICER, PASSWORD)
        officer.goto(server.url + "/entry")
        # nothing to click before a report is open
        expect(officer.locator("#entry-actions")).to_be_hidden(timeout=WAIT)
        rows = _open_report(officer, server.url, period)
        first, second = rows[0], rows[1]

        # a colleague saves while the officer types: the officer's save is refused, nothing overwritten
        _type(officer, first, "2500")
        _colleague_saves(engine, unit, period, rows)
        _type(officer, second, "90")
        officer.click("#entry-save")
        officer.wait_for_selector("#entry-conflict:not([hidden])")
        assert COLLEAGUE in officer.locator("#entry-conflict-text").inner_text()
        assert _cell(officer, "entry-grid", first).inner_text() == "2500"
        officer.click("#entry-reload")
        officer.wait_for_selector("#entry-conflict[hidden]", state="attached")
        assert _cell(officer, "entry-grid", first).inner_text() == "100"

        _type(officer, first, "2500")
        _type(officer, second, "90")
        officer.click("#entry-save")
        expect(officer.locator("#entry-message")).to_contain_text("Nộp báo cáo", timeout=WAIT)  # what to do next
        officer.click("#entry-submit")
        officer.wait_for_selector("#entry-status.entry-status-submitted")
        waiting = f"đang chờ {names['department']} duyệt"
        expect(officer.locator("#entry-locked")).to_contain_text(waiting, timeout=WAIT)
        assert _submission(engine, unit, period).version == 1
        officer.screenshot(path=str(SHOTS / "cycle-1-submitted.png"), full_page=True)

        department = _page(browser)
        foreign += record_foreign_requests(department, server.url)
        log_in(department, server.url, DEPARTMENT, PASSWORD)
        _open_inbox(department, server.url, unit_name)
        _cell(department, "ap-grid", first).click()
        department.wait_for_selector(f"#ap-cell:has-text('{first}')")
        department.fill("#ap-cell-text", RETURN_NOTE)
        department.click("#ap-cell-add")
        department.wait_for_selector("#ap-cell-list li")
        department.fill("#ap-return-comment", "Đề nghị xem lại sản lượng")
        department.screenshot(path=str(SHOTS / "cycle-2-return.png"), full_page=True)
        department.click("#ap-return")
        department.wait_for_selector("#ap-message .entry-ok")
        assert _submission(engine, unit, period).status == "returned"

        _open_report(officer, server.url, period)
        returned = _cell(officer, "entry-grid", first)
        assert "entry-cell-returned" in returned.get_attribute("class")
        assert RETURN_NOTE in returned.get_attribute("title")
        assert "Đề nghị xem lại sản lượng" in officer.locator("#entry-status").inner_text()
        assert RETURN_NOTE in officer.locator("#entry-return-comments").inner_text()
        officer.screenshot(path=str(SHOTS / "cycle-3-returned.png"), full_page=True)
        _type(officer, first, "250")
        officer.click("#entry-submit")
        officer.wait_for_selector("#entry-status.entry-status-submitted")

        _open_inbox(department, server.url, unit_name)
        changed = _cell(department, "ap-grid", first)
        assert "entry-cell-changed" in changed.get_attribute("class")
        assert "2.500" in changed.get_attribute("title")
        assert "entry-cell-changed" not in _cell(department, "ap-grid", second).get_attribute("class")
        assert "2.500 → 250" in department.locator("#ap-change-list").inner_text()
        assert department.locator("#ap-change-list li").count() == 1
        assert department.locator("#ap-events-table tbody tr").count() == 3
        department.screenshot(path=str(SHOTS / "cycle-4-changes.png"), full_page=True)
        department.click("#ap-approve")
        expect(department.locator("#ap-message")).to_contain_text(names["office"], timeout=WAIT)
        after_department = _submission(engine, unit, period)
        assert (after_department.status, after_department.version) == ("submitted", 2)

        _approve(browser, server.url, OFFICE, unit_name, "lên bảng chỉ tiêu", "cycle-5-approved.png")
        assert _submission(engine, unit, period).status == "approved"
        _open_report(officer, server.url, period)
        expect(officer.locator("#entry-locked")).to_contain_text("đã khóa", timeout=WAIT)

        pulled = instance.ioc("ingest", "reports", "--writeback")
        assert "writeback" in pulled.stdout, pulled.stdout
        # the copy holds what earlier tests added to the session demo (a catalog the lake does
        # not know may be refused): none of this report's rows is
        with connect(load_settings(instance.config), read_only=True) as lake:
            refused = [raw for (raw,) in lake.execute("SELECT raw FROM quarantine").fetchall()]
        assert not [raw for raw in refused if unit in raw], refused

        leader = department
        leader.goto(server.url + "/indicators")
        leader.wait_for_selector("#ind-kpi-value .ioc-kpi-value", timeout=WAIT)
        _pick(leader, "ind-code", first)
        leader.wait_for_selector("#ind-communes-table", timeout=WAIT)
        _pick(leader, "ind-period", period)
        commune_rows = leader.locator("#ind-communes-table tbody tr")
        expect(leader.locator("#ind-communes-table")).to_contain_text("250", timeout=WAIT)
        # the map draws the communes in the table's order: click the officer's commune
        position = next(i for i, text in enumerate(commune_rows.all_inner_texts()) if names["area"] in text)
        leader.locator("#ind-map path.choroplethlocation").nth(position).click(force=True)
        expect(leader.locator("#ind-crumb-commune")).to_contain_text(names["area"], timeout=WAIT)
        sources = leader.locator("#ind-sources-table tbody tr")
        expect(sources.first).to_contain_text(f"{unit}/{period}/v2/", timeout=WAIT)
        assert "250" in sources.first.inner_text() and "writeback" in sources.first.inner_text()
        leader.screenshot(path=str(SHOTS / "cycle-6-dashboard.png"), full_page=True)
    assert foreign == []
