"""In a real browser: the overview runs under the Content-Security-Policy without a single
violation, and a first sign-in goes through the forced password change."""
from __future__ import annotations

import pytest

from tests.browser import chromium, log_in
from tests.conftest import LEADER

pytestmark = pytest.mark.browser

# Collects the browser's own CSP violation reports (the console shows the same as errors).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def _watch(page, every_error: bool = True) -> list[str]:
    """Console errors (or only those about the Content-Security-Policy) and uncaught exceptions."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)

    def console(message) -> None:
        if message.type == "error" and (every_error or "Content Security Policy" in message.text):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_the_overview_renders_with_no_csp_violation(server):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        problems = _watch(page)
        log_in(page, server.url, *LEADER)
        response = page.goto(server.url + "/?lang=en")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector("#kpi-tickets .ioc-kpi-value", timeout=30_000)
        # a locator wait: the page's Content-Security-Policy forbids the eval behind wait_for_function
        page.locator("#ov-map path.choroplethlocation").first.wait_for(state="attached", timeout=30_000)
        page.wait_for_selector("#ov-trend .scatterlayer .trace", timeout=30_000)
        box = page.locator("#ov-map path.choroplethlocation").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # hover labels style inline
        page.wait_for_timeout(1000)
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], violations
        assert problems == [], problems


def test_first_sign_in_changes_the_issued_password_in_the_browser(demo, server):
    demo.ioc("user", "create", "first.browser", "--role", "leader", "--password-stdin", stdin="Cap-moi-2026!\n")
    with chromium() as browser:
        page = browser.new_page()
        problems = _watch(page, every_error=False)  # the refused form answers 400: logged as an error
        log_in(page, server.url, "first.browser", "Cap-moi-2026!")
        page.wait_for_url(server.url + "/account/password")
        page.goto(server.url + "/pipelines")
        assert page.url.startswith(server.url + "/account/password?next=/pipelines")
        page.fill("#current_password", "Cap-moi-2026!")
        page.fill("#new_password", "short")
        page.fill("#repeat_password", "short")
        page.click("button[type=submit]")
        errors = page.locator("#password-errors li").all_inner_texts()
        assert "Mật khẩu mới cần có ít nhất 8 ký tự." in errors and len(errors) == 4
        page.fill("#current_password", "Cap-moi-2026!")
        page.fill("#new_password", "Rieng-toi-2026!")
        page.fill("#repeat_password", "Rieng-toi-2026!")
        page.click("button[type=submit]")
        page.wait_for_url(server.url + "/pipelines")  # where the person was going
        page.goto(server.url + "/")
        page.wait_for_selector("#kpi-tickets .ioc-kpi-value", timeout=30_000)
        assert page.evaluate("window.__cspViolations") == []
        assert problems == [], problems
