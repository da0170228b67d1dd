"""The public dashboard and the publishing page in a real browser: /public without signing in
shows the published figures and none of the others, in Vietnamese and English, on a desk
screen and a phone, by keyboard too; a proposal is published by an editor through the page,
appears on /public, and disappears when unpublished."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ioc_app.config import load_settings
from tests.browser import chromium, log_in, record_foreign_requests
from tests.conftest import ISSUED_PASSWORD, finish_first_login
from tests.public_fixtures import PROPOSED, REJECTED, UNPUBLISHED, publish_demo_sets

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/public")
PROPOSER = ("test_dept_head", "Truong-phong-2026!")
EDITOR = ("test_editor", "Bien-tap-2026!")
HIDDEN_NAMES = ("Sản lượng thủy sản nuôi trồng", "Số doanh nghiệp đang hoạt động", "Tỷ lệ thất nghiệp")
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def published(demo):
    sets = publish_demo_sets(demo)
    url = load_settings(demo.config).database_url
    for (name, password), role in ((PROPOSER, "dept_head"), (EDITOR, "editor")):
        demo.ioc("user", "create", name, "--role", role, "--password-stdin", stdin=ISSUED_PASSWORD + "\n")
        finish_first_login(url, name, ISSUED_PASSWORD, password)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return sets


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


def _page(browser, server, viewport=DESK):
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.foreign = record_foreign_requests(page, server.url)
    return context, page


def _tiles(page) -> list[str]:
    return page.locator(".pub-tile .pub-tile-name").all_inner_texts()


def test_public_page_without_sign_in_shows_published_figures_only(browser, server, published):
    context, page = _page(browser, server)
    page.goto(server.url + "/public")
    page.wait_for_selector("#pub-view-title", timeout=30_000)
    assert page.url.startswith(server.url + "/public/")
    assert page.locator("html").get_attribute("lang") in (None, "vi", "en")
    assert _tiles(page) == ["Tốc độ tăng tổng sản phẩm trên địa bàn (GRDP)", "Sản lượng lúa"]
    text = page.locator("body").inner_text()
    assert not [name for name in HIDDEN_NAMES if name in text]
    assert "Lần công bố gần nhất" in text and "Nguồn:" in text and "số liệu tính đến" in text
    page.locator("#pub-code").click()
    options = page.locator(".dash-dropdown-option").all_inner_texts()
    assert sorted(options) == sorted(_tiles(page))
    page.keyboard.press("Escape")
    page.screenshot(path=str(SHOTS / "public-desk-vi.png"), full_page=True)

    page.locator(".pub-tile", has_text="Sản lượng lúa").click()
    page.wait_for_selector("#pub-view-title:has-text('Sản lượng lúa')", timeout=30_000)
    page.wait_for_selector("#pub-map path.choroplethlocation", state="attached", timeout=30_000)
    assert page.locator("#pub-map path.choroplethlocation").count() == 124
    assert page.locator("#pub-table tbody tr").count() == 125
    assert page.locator("#pub-table tbody tr").first.inner_text().startswith("Toàn tỉnh")
    value = page.locator("#pub-table tbody tr").first.locator("td").nth(1).inner_text()
    assert "." in value and "," not in value  # Vietnamese thousands separator
    assert page.locator(".pub-tile.active").get_attribute("aria-pressed") == "true"
    with page.expect_download() as download:
        page.locator("#pub-export").click()
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("# Sản lượng lúa (tấn) · Quý III/2026")
    assert lines[1].startswith("# Công bố ngày") and "Nguồn:" in lines[1]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[3:]))))
    assert len(rows) == 125 and rows[0]["Địa bàn"] == "Toàn tỉnh"
    page.locator("#pub-period").click()
    periods = page.locator(".dash-dropdown-option").all_inner_texts()
    assert periods[0] == "Quý III/2026" and "Quý IV/2024" not in periods and len(periods) == 7
    page.keyboard.press("Escape")
    page.screenshot(path=str(SHOTS / "public-desk-vi-rice.png"), full_page=True)

    page.locator("#pub-lang-switch").click()
    page.wait_for_selector("h1:text-is('Open socio-economic figures')", timeout=30_000)
    page.wait_for_selector("#pub-view-title", timeout=30_000)
    assert "Last release:" in page.locator("body").inner_text()
    page.screenshot(path=str(SHOTS / "public-desk-en.png"), full_page=True)
    assert page.foreign == []
    context.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_public_page_on_a_phone(browser, server, published, lang):
    context, page = _page(browser, server, PHONE)
    page.goto(server.url + f"/public/?lang={lang}")
    page.wait_for_selector("#pub-table", timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SHOTS / f"public-phone-{lang}.png"), full_page=True)
    context.close()


def test_public_page_by_keyboard_only(browser, server, published):
    context, page = _page(browser, server)
    page.goto(server.url + "/public/?lang=en")
    page.wait_for_selector("#pub-view-title:has-text('GRDP')", timeout=30_000)
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").startswith("Rice output"):
            break
    assert page.evaluate("document.activeElement.className").startswith("pub-tile")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    page.keyboard.press("Enter")
    page.wait_for_selector("#pub-view-title:has-text('Rice output')", timeout=30_000)
    context.close()


def _expect_message(page, expected: str) -> None:
    """Wait for the page's message to read `expected`; fail with the message it shows instead."""
    try:
        page.locator("#pm-message p", has_text=expected).wait_for(timeout=60_000)
    except PlaywrightTimeout:
        raise AssertionError(f"expected {expected!r}, the page says {page.locator('#pm-message').inner_text()!r}")


def _pick(page, dropdown: str, search: str, option: str) -> None:
    """Dash 4's dropdown: open it, type in its search box, take the option starting with `option`
    (waiting for it: the periods arrive after the indicators are chosen)."""
    page.locator(f"#{dropdown}").click()
    page.locator(".dash-dropdown-search").fill(search)
    page.locator(".dash-dropdown-option", has_text=re.compile("^" + re.escape(option))).first.click()
    page.keyboard.press("Escape")


def test_propose_preview_publish_and_unpublish_through_the_page(browser, server, published):
    context, page = _page(browser, server)
    log_in(page, server.url, *PROPOSER)
    page.goto(server.url + "/publishing?lang=en")
    page.wait_for_selector("#pm-table", timeout=30_000)
    _pick(page, "pm-indicators", "DS01", "DS01 ·")
    _pick(page, "pm-periods", "2025", "2025 ·")
    page.locator("#pm-submit").click()
    page.wait_for_selector("#pm-message .entry-ok", timeout=30_000)
    message = page.locator("#pm-message").inner_text()
    assert message.startswith("Proposal ") and "figures" in message
    number = message.split()[1].rstrip(":")
    page.wait_for_selector("#pm-prev-map path.choroplethlocation", state="attached", timeout=30_000)
    assert "2025" in page.locator("#pm-prev-view-title").inner_text()
    assert page.locator("#pm-prev-tiles .pub-tile").count() == 1
    assert page.locator("#pm-publish").is_hidden()  # a department head proposes, the board decides
    context.close()

    context, page = _page(browser, server)
    log_in(page, server.url, *EDITOR)
    page.goto(server.url + "/publishing?lang=en")
    page.wait_for_selector("#pm-table", timeout=30_000)
    page.locator(f"#pm-table button:text-is('Open {number}')").click()
    page.wait_for_selector("#pm-prev-map path.choroplethlocation", state="attached", timeout=30_000)
    page.screenshot(path=str(SHOTS / "publishing-en.png"), full_page=False)
    page.locator("#pm-publish").click()
    _expect_message(page, f"Publication {number} is published.")
    public = context.new_page()
    public.goto(server.url + "/public/?lang=en")
    public.wait_for_selector("#pub-view-title", timeout=30_000)
    names = _tiles(public)
    assert len(names) == 3
    page.locator("#pm-unpublish").click()
    _expect_message(page, f"unpublishing publication {number} needs a reason")
    page.locator("#pm-comment").fill("Figures to be revised")
    page.locator("#pm-unpublish").click()
    _expect_message(page, f"Publication {number} is unpublished.")
    public.reload()
    public.wait_for_selector("#pub-view-title", timeout=30_000)
    assert len(_tiles(public)) == 2
    page.goto(server.url + "/publishing?lang=vi")
    page.wait_for_selector("#pm-table", timeout=30_000)
    page.locator(f"#pm-table button:text-is('Xem {published.published}')").click()
    page.wait_for_selector("#pm-prev-view-title", timeout=30_000)
    page.screenshot(path=str(SHOTS / "publishing-vi.png"), full_page=False)
    listing = page.locator("#pm-table").inner_text()
    assert all(code in listing for code in (PROPOSED, REJECTED, UNPUBLISHED))
    assert page.foreign == []
    context.close()
