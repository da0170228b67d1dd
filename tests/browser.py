"""Debian's chromium driven by Playwright: never a downloaded browser."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def record_foreign_requests(page: Page, base_url: str) -> list[str]:
    """Every request the page makes to a host other than the app's own."""
    own = urlparse(base_url).netloc
    foreign: list[str] = []

    def check(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != own:
            foreign.append(request.url)

    page.on("request", check)
    return foreign


def submit_login(page: Page, base_url: str, username: str, password: str) -> None:
    """Fill in and send the sign-in form."""
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in and wait for the page it leads to: a test's next `goto` would otherwise race the
    sign-in's answer and could load the next page with the session before it."""
    submit_login(page, base_url, username, password)
    page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)
