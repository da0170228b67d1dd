"""The feedback and the cameras-and-sensors desk views in a real browser: load, click the map
to filter, open the list behind a tile, export with the source line, go back."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from layouts.feedback import LIST_ROWS
from tests.browser import chromium, log_in, record_foreign_requests
from tests.conftest import LEADER

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.foreign = record_foreign_requests(page, server.url)
    log_in(page, server.url, *LEADER)
    yield page
    context.close()


def _csv(download) -> tuple[list[str], list[dict]]:
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    return lines[:3], list(csv.DictReader(io.StringIO("\n".join(lines[3:]))))


def _column(page, table: str, index: int) -> set[str]:
    return set(page.locator(f"#{table} tbody tr td:nth-child({index})").all_inner_texts())



def test_feedback_map_filters_the_list_and_exports(page, server):
    page.goto(server.url + "/feedback?lang=en")
    page.locator("#fb-tickets-table tbody tr").first.wait_for(timeout=30_000)
    assert page.locator("#fb-list-title").inner_text() == "Tickets received in the period"
    since_30 = page.locator("#fb-kpi-received .ioc-kpi-sub").inner_text()
    page.locator("#fb-days").click()
    page.locator(".dash-dropdown-option", has_text="Last 365 days").click()
    page.locator("#fb-kpi-received .ioc-kpi-sub").filter(has_not_text=since_30).wait_for(timeout=30_000)
    province_total = page.locator("#fb-kpi-received .ioc-kpi-value").inner_text()
    page.wait_for_selector(f"#fb-list-count:text-is('{LIST_ROWS} of {province_total} tickets')", timeout=30_000)
    assert "Source: citizen feedback system" in page.locator("#fb-tile-received").get_attribute("title")

    paths = page.locator("#fb-map path.choroplethlocation")
    paths.nth(paths.count() // 2).click(force=True)
    page.wait_for_selector("#fb-crumb-commune:not(:empty)", timeout=30_000)
    commune = page.locator("#fb-crumb-commune").inner_text().removeprefix("› ")
    page.locator("#fb-list-count").filter(has_not_text=f"of {province_total} tickets").wait_for(timeout=30_000)
    assert _column(page, "fb-tickets-table", 3) == {commune}
    commune_total = page.locator("#fb-list-count").inner_text().split(" of ")[1].removesuffix(" tickets")
    page.wait_for_selector(f"#fb-kpi-received .ioc-kpi-value:text-is('{commune_total}')", timeout=30_000)
    assert int(commune_total.replace(",", "")) < int(province_total.replace(",", ""))

    page.locator("#fb-tile-overdue").click()
    page.wait_for_selector("#fb-list-title:text-is('Overdue tickets')", timeout=30_000)
    assert "active" in page.locator("#fb-tile-overdue").get_attribute("class")
    page.locator("#fb-tile-received").click()
    page.wait_for_selector("#fb-list-title:text-is('Tickets received in the period')", timeout=30_000)
    with page.expect_download() as download:
        page.locator("#fb-export-csv").click()
    head, rows = _csv(download)
    assert head[0].startswith("# Tickets received in the period · Last 365 days") and commune in head[0]
    assert head[1].startswith("# Source: citizen feedback system (Open311), data as of")
    assert len(rows) == int(commune_total.replace(",", "")) and {row["Commune"] for row in rows} == {commune}
    page.screenshot(path=str(SHOTS / "desk-feedback-commune.png"), full_page=True)

    page.locator("#fb-crumb-province").click()
    page.wait_for_selector(f"#fb-kpi-received .ioc-kpi-value:text-is('{province_total}')", timeout=30_000)
    assert page.locator("#fb-crumb-commune").inner_text() == ""
    assert page.foreign == []


def test_devices_camera_click_filters_events_and_exports(page, server):
    page.goto(server.url + "/devices?lang=en")
    page.locator("#dv-events-table tbody tr").first.wait_for(timeout=30_000)
    page.locator("#dv-sensors-table tbody tr").first.wait_for(timeout=30_000)
    page.wait_for_selector("#dv-series .hline, #dv-series .shapelayer path", state="attached", timeout=30_000)
    assert "Threshold" in page.locator("#dv-series").inner_text()
    cameras = page.locator("#dv-cameras-table tbody tr").count()
    assert cameras == len(_column(page, "dv-cameras-table", 1)) > 1
    stations = page.locator("#dv-sensors-table tbody tr").count()
    shown, total = page.locator("#dv-sensors-count").inner_text().split(" of ")
    assert int(shown) == stations <= int(total.replace(",", ""))
    all_events = page.locator("#dv-events-count").inner_text()

    page.locator("#dv-map .scattergeo path.point").first.click(force=True)
    page.wait_for_selector("#dv-crumb-camera:not(:empty)", timeout=30_000)
    camera = page.locator("#dv-crumb-camera").inner_text().removeprefix("› ")
    page.wait_for_selector("#dv-cameras-table tr.ioc-row-selected", timeout=30_000)
    assert page.locator("#dv-cameras-table tr.ioc-row-selected td").first.inner_text() == camera
    page.locator("#dv-events-count").filter(has_not_text=all_events).wait_for(timeout=30_000)
    names = _column(page, "dv-events-table", 2)
    assert names <= {camera}
    camera_events = int(page.locator("#dv-events-count").inner_text().split(" of ")[1])
    assert _column(page, "dv-outages-table", 1) <= {camera}
    with page.expect_download() as download:
        page.locator("#dv-export-events-csv").click()
    head, rows = _csv(download)
    assert head[0].startswith("# Camera events (7 days) · CAM-")
    assert head[1].startswith("# Source: camera system (15-minute heartbeats), data as of")
    assert {row["Camera"] for row in rows} <= {camera} and len(rows) == camera_events
    page.screenshot(path=str(SHOTS / "desk-devices-camera.png"), full_page=True)

    page.locator("#dv-crumb-all").click()
    page.wait_for_selector(f"#dv-events-count:text-is('{all_events}')", timeout=30_000)
    assert page.locator("#dv-cameras-table tr.ioc-row-selected").count() == 0
    with page.expect_download() as download:
        page.locator("#dv-export-sensors-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert page.foreign == []
