"""The pipeline status page: administrators see every source; nobody else reads it."""
from __future__ import annotations

import json

import pytest

from tests.browser import chromium, log_in
from tests.conftest import ADMIN, LEADER

pytestmark = pytest.mark.browser

CALLBACK = {
    "output": "..pl-sources.children...pl-freshness.children...pl-quarantine.children...pl-batches.children..",
    "outputs": [{"id": i, "property": "children"} for i in ("pl-sources", "pl-freshness", "pl-quarantine",
                                                             "pl-batches")],
    "inputs": [{"id": "pl-refresh", "property": "n_intervals", "value": 1}],
    "changedPropIds": ["pl-refresh.n_intervals"],
    "state": [],
}


def test_admin_sees_sources_freshness_and_batches(server):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        log_in(page, server.url, *ADMIN)
        page.goto(server.url + "/pipelines?lang=en")
        page.wait_for_selector("#pl-sources-table", timeout=30_000)
        sources = page.locator("#pl-sources-table tbody tr")
        assert sources.count() == 4
        assert sources.nth(1).locator("td").first.inner_text() == "tickets-inbox"
        assert sources.nth(1).locator(".ioc-state").inner_text() == "Never run"
        freshness = page.locator("#pl-freshness-table tbody tr")
        assert [freshness.nth(i).locator("td").first.inner_text() for i in range(4)] == [
            "Report figures", "Tickets", "Cameras", "Sensors"]
        assert page.locator("#pl-batches-table tbody tr").count() > 10
        assert page.locator("nav .ioc-nav-link.active").text_content() == "Data pipelines"  # in the folded Administration menu


def test_leader_is_refused_the_page_and_its_callback(server):
    with chromium() as browser:
        page = browser.new_page()
        log_in(page, server.url, *LEADER)
        page.goto(server.url + "/pipelines")
        page.wait_for_selector("#forbidden", timeout=30_000)
        assert page.locator("#forbidden").inner_text().startswith("Trang này dành cho: Quản trị hệ thống.")
        links = page.locator("nav .ioc-nav-link")
        assert "/pipelines" not in [links.nth(i).get_attribute("href") for i in range(links.count())]
        response = page.request.post(server.url + "/_dash-update-component", data=json.dumps(CALLBACK),
                                     headers={"content-type": "application/json"})
        assert response.status == 403
