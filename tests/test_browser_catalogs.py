"""The catalogs page: an administrator adds a criterion, a category, a form and a form version."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import chromium, log_in
from tests.conftest import ADMIN

pytestmark = pytest.mark.browser
WAIT = 30_000


def _save(page, catalog: str, values: dict[str, str]) -> None:
    panel = page.locator(f"#cat-panel-{catalog}")
    for label, value in values.items():
        panel.get_by_label(label, exact=True).fill(value)
    panel.get_by_role("button", name="Save").click()


def test_admin_adds_a_category_and_a_form_version(server):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        log_in(page, server.url, *ADMIN)
        page.goto(server.url + "/catalogs?lang=en")
        expect(page.locator("#cat-panel-unit .ag-row").first).to_be_visible(timeout=WAIT)

        page.get_by_role("button", name="Disaggregations").click()
        _save(page, "disaggregation", {"Code": "t_age", "Vietnamese name": "Nhóm tuổi", "English name": "Age group"})
        expect(page.locator("#cat-panel-disaggregation .cat-ok")).to_have_text("t_age saved.", timeout=WAIT)
        _save(page, "category", {"Code": "t_young", "Criterion (code)": "no_such", "Vietnamese name": "Trẻ",
                                 "English name": "Young"})
        expect(page.locator("#cat-panel-category .cat-error")).to_contain_text(
            "field disaggregation_code: unknown disaggregation 'no_such'", timeout=WAIT)
        _save(page, "category", {"Criterion (code)": "t_age"})
        expect(page.locator("#cat-panel-category .cat-ok")).to_have_text("t_young saved.", timeout=WAIT)
        expect(page.locator("#cat-panel-category .ag-cell", has_text="t_young")).to_be_visible(timeout=WAIT)

        page.get_by_role("button", name="Forms").click()
        _save(page, "form", {"Code": "BM-THU", "Vietnamese name": "Biểu thử", "English name": "Trial form"})
        expect(page.locator("#cat-panel-form .cat-ok")).to_have_text("BM-THU saved.", timeout=WAIT)
        page.locator("#cat-ver-form").get_by_role("radio", name=re.compile("^BM-THU ")).click()
        expect(page.locator("#cat-ver-table")).to_have_text("The form has no version yet.", timeout=WAIT)
        page.locator("#cat-ver-rows").get_by_role("option", name=re.compile("^DS01 ")).click()
        page.locator("#cat-ver-columns").get_by_role("option", name=re.compile("^t_young ")).click()
        page.get_by_label("Applies from (YYYY-MM-DD)").fill("2026-01-01")
        page.get_by_role("button", name="Create the new version").click()
        expect(page.locator("#cat-ver-msg .cat-ok")).to_have_text("Version 1 of BM-THU created.", timeout=WAIT)
        listed = page.locator("#cat-ver-table tbody tr")
        expect(listed).to_have_count(1)
        expect(listed.first).to_contain_text("2026-01-01")
        expect(listed.first).to_contain_text("DS01")
        expect(listed.first).to_contain_text("t_young")

        page.get_by_role("button", name="Create the new version").click()
        expect(page.locator("#cat-ver-msg .cat-error")).to_contain_text("must be after 2026-01-01", timeout=WAIT)
