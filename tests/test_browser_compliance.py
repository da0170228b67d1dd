"""/compliance and /audit in a real browser (administrator): tiles, the per-unit table with its
badges, the ranking, what is owed, the Excel export; the audit search and the integrity check."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ioc_app.config import load_settings
from ioc_app.opdb.audit import record
from ioc_app.opdb.models import (
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
from ioc_app.writeback.actor import Actor
from tests.browser import chromium, log_in
from tests.conftest import ADMIN

pytestmark = pytest.mark.browser

REGIME, PERIOD = "CPT-QUY", "2026-Q3"  # due 2026-10-10: closed when the suite runs
COMMUNES = {"CPT.X1": "Xã CPT Một", "CPT.X2": "Xã CPT Hai", "CPT.X3": "Xã CPT Ba"}
CELL = ("CPT.A", "total")


def _catalog(session) -> None:
    """An office with three communes reporting a one-cell quarterly form (no receiving unit)."""
    session.add(Sector(code="CPT", name_vi="Thử tuân thủ", name_en="Compliance test"))
    if session.get(Disaggregation, "total") is None:
        session.add(Disaggregation(code="total", name_vi="Tổng số", name_en="Total"))
        session.flush()
    if session.get(Category, "total") is None:
        session.add(Category(code="total", disaggregation_code="total", name_vi="Tổng số", name_en="Total"))
    session.add_all([
        Indicator(code="CPT.A", name_vi="Số hộ", name_en="Households", unit="hộ", sector_code="CPT",
                  frequency="quarter", aggregation="sum", direction="up", value_type="integer", level="commune"),
        Form(code="CPT-BM", name_vi="Biểu thử tuân thủ", name_en="Compliance test form"),
    ])
    session.flush()
    session.add(FormVersion(form_code="CPT-BM", version=1, valid_from=date(2020, 1, 1), rows=json.dumps(["CPT.A"]),
                            columns=json.dumps(["total"]), created_by="test"))
    office = Unit(code="CPT.TINH", name="Văn phòng thử tuân thủ", kind="province_office")
    session.add(office)
    session.flush()
    area_key = session.scalars(select(Unit.area_key).where(Unit.area_key.is_not(None)).limit(1)).first()
    communes = [Unit(code=code, name=name, kind="commune", parent_id=office.id, area_key=area_key)
                for code, name in COMMUNES.items()]
    session.add_all(communes)
    session.add(Regime(code=REGIME, name_vi="Báo cáo quý thử tuân thủ", name_en="Compliance test quarterly",
                       kind="periodic", period_type="quarter", form_code="CPT-BM", cutoff_day=0, deadline_days=10,
                       start_date=date(2026, 1, 1)))
    session.flush()
    session.add_all([RegimeUnit(regime_code=REGIME, unit_id=unit.id) for unit in communes])
    session.flush()


def _reports(session, signer, office_id: int) -> None:
    """CPT.X1 on time and approved; CPT.X2 late, returned once, resubmitted; CPT.X3 nothing."""
    from ioc_app.writeback import approval, entry

    admin, approver = Actor("cpt_admin", "admin", None), Actor("cpt_approver", "approver", office_id)

    def send(code: str, value: float, version: int) -> Submission:
        saved = entry.save_draft(session, admin, code, REGIME, PERIOD, {CELL: value}, version)
        return entry.submit(session, admin, code, REGIME, PERIOD, saved.row_version, signer)

    first = send("CPT.X1", 10.0, 0)
    approval.approve(session, approver, first.id)
    first.first_submitted_at = datetime(2026, 10, 10, 16, 30)
    second = send("CPT.X2", 200.0, 0)
    approval.return_submission(session, approver, second.id, "Số hộ quá lớn")
    send("CPT.X2", 20.0, second.row_version)
    second.first_submitted_at = datetime(2026, 10, 12, 9, 0)
    record(session, "cpt_tester", "cpt_check", "cpt_entity", "CPT-1", {"name": "Giá trị CPT cũ", "same": 1},
           {"name": "Giá trị CPT mới", "same": 1})


@pytest.fixture(scope="module")
def prepared(demo):
    from ioc_app.writeback.signing import Signer

    settings = load_settings(demo.config)
    engine = engine_for(settings.database_url)
    try:
        with session_scope(engine) as session:
            _catalog(session)
        with session_scope(engine) as session:
            office = session.query(Unit).filter_by(code="CPT.TINH").one()
            _reports(session, Signer.for_settings(settings), office.id)
    finally:
        engine.dispose()



def test_compliance_page(server, prepared):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        log_in(page, server.url, *ADMIN)
        page.goto(server.url + "/compliance?lang=en")
        page.wait_for_selector("#cp-units-table", timeout=30_000)
        assert REGIME in page.locator("#cp-regime").inner_text()
        assert PERIOD in page.locator("#cp-tiles-note").inner_text()
        assert page.locator("#cp-tile-on-time .ioc-kpi-value").inner_text() == "33%"
        for tile_id in ("late", "missing", "returned"):
            assert page.locator(f"#cp-tile-{tile_id} .ioc-kpi-value").inner_text() == "1"
        rows = page.locator("#cp-units-table tbody tr")
        assert rows.count() == 3
        badges = {rows.nth(i).locator("td").nth(1).inner_text(): rows.nth(i).locator(".cp-badge").first
                  for i in range(3)}
        assert {name: badge.get_attribute("class").split()[-1] for name, badge in badges.items()} == {
            "Xã CPT Một": "cp-on_time", "Xã CPT Hai": "cp-late", "Xã CPT Ba": "cp-missing"}
        assert badges["Xã CPT Hai"].inner_text().endswith("Late")
        assert page.locator("#cp-ranking-table tr", has_text="Xã CPT Một").count() == 1
        owed = page.locator("#cp-owed-table tr", has_text="Xã CPT Ba")
        assert owed.filter(has_text=PERIOD).count() == 1
        assert "overdue" in owed.filter(has_text=PERIOD).inner_text()

        with page.expect_download() as download:
            page.click("#cp-export-xlsx")
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
        lines = [row for row in sheet.iter_rows(values_only=True)]
        assert REGIME in lines[0][0] and lines[1][0].startswith("Source: IOC operational DB")
        assert lines[2][0].endswith("ICT")
        assert {line[0] for line in lines[5:]} == set(COMMUNES)
        with page.expect_download() as download:
            page.click("#cp-export-csv")
        lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
        assert REGIME in lines[0] and lines[1].startswith("# Source: IOC operational DB") and lines[2].endswith("ICT")
        assert {row[0] for row in csv.reader(lines[4:])} == set(COMMUNES)


def test_audit_page(server, prepared):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        log_in(page, server.url, *ADMIN)
        page.goto(server.url + "/audit?lang=en")
        page.wait_for_selector("#au-table", timeout=30_000)
        page.fill("#au-text", "CPT mới")
        page.press("#au-text", "Enter")
        page.wait_for_selector("#au-table tbody tr >> nth=0")
        page.locator("#au-page-label", has_text="(1 entries)").wait_for()
        row = page.locator("#au-table tbody tr").first
        assert "cpt_tester" in row.inner_text()
        changes = row.locator(".au-changes li")
        assert changes.count() == 1
        assert changes.first.inner_text() == "name: Giá trị CPT cũ → Giá trị CPT mới"

        page.fill("#au-text", "")
        page.fill("#au-user", "cpt_admin")
        page.press("#au-user", "Enter")
        page.locator("#au-table tbody tr", has_text="submit").first.wait_for()
        assert page.locator("#au-table tbody tr").count() >= 5

        page.click("#au-verify")
        page.wait_for_selector("#au-verify-ok, #au-verify-broken", timeout=60_000)
        assert page.locator("#au-verify-ok").count() == 1
