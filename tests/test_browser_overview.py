"""The overview in a real browser, served by gunicorn from the demo store."""
from __future__ import annotations

import json
import urllib.request

import pytest

from ioc_app.geo import areas
from tests.browser import chromium, log_in, record_foreign_requests, submit_login
from tests.conftest import LEADER

pytestmark = pytest.mark.browser


def test_health_answers_without_session(server):
    with urllib.request.urlopen(server.url + "/health", timeout=5) as response:
        assert response.status == 200
        assert json.load(response)["status"] == "ok"


def test_pages_need_a_session(server):
    with chromium() as browser:
        page = browser.new_page()
        page.goto(server.url + "/")
        assert page.url.startswith(server.url + "/login")
        response = page.request.post(server.url + "/_dash-update-component", data="{}",
                                     headers={"content-type": "application/json"})
        assert response.status == 401


def test_wrong_password_is_refused(server):
    with chromium() as browser:
        page = browser.new_page()
        submit_login(page, server.url, LEADER[0], "not-the-password")
        page.wait_for_selector(".alert-danger")
        assert page.url.startswith(server.url + "/login")
        assert page.locator(".alert-danger").inner_text().strip() == "Tên đăng nhập hoặc mật khẩu không đúng."


@pytest.mark.parametrize(("lang", "size"), [("vi", (1440, 900)), ("en", (1920, 1080))])
def test_leader_sees_the_overview(server, tmp_path_factory, lang, size):
    communes = areas("86").query("level == 'commune'")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        foreign = record_foreign_requests(page, server.url)
        log_in(page, server.url, *LEADER)
        page.goto(server.url + f"/?lang={lang}")
        page.wait_for_selector("#kpi-tickets .ioc-kpi-value", timeout=30_000)
        # a locator wait: the page's Content-Security-Policy forbids the eval behind wait_for_function
        page.locator("#ov-map path.choroplethlocation").first.wait_for(state="attached", timeout=30_000)
        page.wait_for_selector("#ov-trend .scatterlayer .trace", timeout=30_000)
        page.wait_for_timeout(500)
        shot = tmp_path_factory.mktemp("shots") / f"overview-{lang}-{size[0]}x{size[1]}.png"
        page.screenshot(path=str(shot))

        assert page.locator("#ov-map path.choroplethlocation").count() == len(communes) == 124
        for tile in ("#kpi-figures", "#kpi-tickets", "#kpi-cameras", "#kpi-sensors"):
            value = page.locator(f"{tile} .ioc-kpi-value").inner_text().strip()
            assert value and value != "–", f"{tile} shows no figure"
        title = "Phản ánh đang xử lý" if lang == "vi" else "Open citizen tickets"
        assert page.locator("#kpi-tickets .ioc-kpi-label").inner_text().strip() == title
        assert foreign == [], f"requests left the machine: {foreign[:5]}"


def test_language_switch_holds_on_every_part_of_the_page(server):
    """The switch is a page load: header, tiles and the banner all follow it, every time. When a
    callback set the language, a sibling callback's answer could put the old one back."""
    with chromium() as browser:
        page = browser.new_page()
        log_in(page, server.url, *LEADER)
        page.goto(server.url + "/?lang=vi")
        for lang, label in [("en", "Open citizen tickets"), ("vi", "Phản ánh đang xử lý")] * 3:
            page.click("#lang-switch")
            page.wait_for_url(f"**lang={lang}")
            page.wait_for_selector("#kpi-tickets .ioc-kpi-label", timeout=30_000)
            assert page.locator("#kpi-tickets .ioc-kpi-label").inner_text().strip() == label
            expected = "Tiếng Việt" if lang == "en" else "English"
            assert page.locator("#lang-switch").inner_text().strip() == expected
        page.goto(server.url + "/indicators")
        page.wait_for_selector(".ioc-page-title", timeout=30_000)
        assert page.locator("#lang-switch").inner_text().strip() == "English"
