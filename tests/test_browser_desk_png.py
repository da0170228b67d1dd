"""Chart PNGs on a desk view: the modebar's camera (plotly's toImage, offline) saves a real PNG
named after the chart and the day, not newplot.png."""
from __future__ import annotations

import pytest

from ioc_app.clock import today_ict
from tests.browser import chromium, log_in, record_foreign_requests
from tests.conftest import LEADER

pytestmark = pytest.mark.browser
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("path, graph", [("/indicators", "ind-series"), ("/indicators", "ind-map")])
def test_chart_downloads_as_a_named_png(server, path, graph):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        foreign = record_foreign_requests(page, server.url)
        log_in(page, server.url, *LEADER)
        page.goto(server.url + path + "?lang=en")
        page.wait_for_selector(f"#{graph} .main-svg", timeout=60_000)
        page.locator(f"#{graph}").hover()
        with page.expect_download(timeout=30_000) as download:
            page.locator(f"#{graph} .modebar-btn[data-title^='Download plot as a png' i]").click()
        assert download.value.suggested_filename == f"ioc_{graph}_{today_ict():%Y-%m-%d}.png"
        assert download.value.path().read_bytes()[:8] == PNG_SIGNATURE
        assert foreign == []
