"""The indicator desk view in a real browser: pick, drill down to a commune and back, export."""
from __future__ import annotations

import csv
import io

import pytest

from tests.browser import chromium, log_in, record_foreign_requests
from tests.conftest import LEADER

pytestmark = pytest.mark.browser


def _pick(page, dropdown: str, text: str) -> None:
    """Dash 4's dropdown: open it, type in its search box, take the first match."""
    page.locator(f"#{dropdown}").click()
    page.locator(".dash-dropdown-search").fill(text)
    page.locator(".dash-dropdown-option").first.click()


def test_leader_drills_from_province_to_commune_and_exports(server, tmp_path_factory):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        foreign = record_foreign_requests(page, server.url)
        log_in(page, server.url, *LEADER)
        page.goto(server.url + "/indicators?lang=en")
        page.wait_for_selector("#ind-kpi-value .ioc-kpi-value", timeout=30_000)
        _pick(page, "ind-code", "NN01")
        page.locator("#ind-communes-table tbody tr").first.wait_for(timeout=30_000)
        assert page.locator("#ind-kpi-value .ioc-kpi-label").inner_text() == "Whole province"
        province_value = page.locator("#ind-kpi-value .ioc-kpi-value").inner_text()
        assert page.locator("#ind-map path.choroplethlocation").count() == 124
        assert page.locator("#ind-communes-table tbody tr").count() == 124
        assert page.locator("#ind-sources-table").inner_text() == (
            "Aggregated from the communes' figures (no report of its own).")

        first = page.locator("#ind-communes-table tbody tr").first.locator("td")
        code, name = first.nth(0).inner_text(), first.nth(1).inner_text()
        path = page.locator("#ind-map path.choroplethlocation").nth(
            page.locator("#ind-map path.choroplethlocation").count() // 2)
        path.click(force=True)
        page.wait_for_selector("#ind-crumb-commune:not(:empty)", timeout=30_000)
        commune = page.locator("#ind-crumb-commune").inner_text().removeprefix("› ")
        page.wait_for_selector(f"#ind-kpi-value .ioc-kpi-label:text-is('{commune}')", timeout=30_000)
        assert page.locator("#ind-kpi-value .ioc-kpi-value").inner_text() != province_value
        sources = page.locator("#ind-sources-table tbody tr")
        assert sources.count() >= 1 and "/" in sources.first.locator("td").first.inner_text()
        assert page.locator("#ind-communes-table tr.ioc-row-selected").count() == 1

        page.locator("#ind-crumb-province").click()
        page.wait_for_selector("#ind-kpi-value .ioc-kpi-label:text-is('Whole province')", timeout=30_000)
        assert page.locator("#ind-crumb-commune").inner_text() == ""

        with page.expect_download() as download:
            page.locator("#ind-communes-export-csv").click()
        text = download.value.path().read_text(encoding="utf-8-sig")
        lines = text.splitlines()
        assert lines[0].startswith("# NN01") and lines[1].startswith("# Source: IOC analytical store")
        rows = list(csv.DictReader(io.StringIO("\n".join(lines[3:]))))
        assert len(rows) == 124 and {"Code", "Commune"} <= set(rows[0])
        assert any(row["Code"] == code and row["Commune"] == name for row in rows)
        page.screenshot(path=str(tmp_path_factory.mktemp("shots") / "indicators.png"))
        assert foreign == []
