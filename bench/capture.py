"""The dashboard's real callback requests, recorded once from the pages in Debian's chromium.

Each page is opened signed in with a role that may see it; every `POST /_dash-update-component`
the page makes on load (its own callbacks, the Interval polls of the wall) is kept with the
answer. The answers also tell which values each dropdown offers, so a replay can vary the
inputs a user would change (`Callback.varied`).
"""
from __future__ import annotations

import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

log = logging.getLogger("bench")
DASH_PATH = "/_dash-update-component"
# page name -> (path, account)
PAGES: dict[str, tuple[str, str]] = {
    "overview": ("/", "leader"),
    "indicators": ("/indicators", "leader"),
    "feedback": ("/feedback", "leader"),
    "devices": ("/devices", "leader"),
    "compliance": ("/compliance", "leader"),
    "pipelines": ("/pipelines", "admin"),
    "wall": ("/wall", "wall"),
    "wall_environment": ("/wall?playlist=environment", "wall"),
}
WALL_READY = ".wall-view.active .wall-graph .main-svg"
WALL_POLL_MS = 5_000  # layouts/wall.py POLL_MS: wait one poll so the capture holds it


@dataclass
class Callback:
    """One callback of one page: its name, the account that runs it and the bodies the page sent."""

    page: str
    output: str
    account: str
    path: str  # the endpoint with the query string the page sent (Dash's signed endId)
    bodies: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        outputs = re.findall(r"(?:^|\.\.)([^.{]+|\{[^}]*\})\.", self.output) or [self.output]
        ids = [_short_id(o) for o in outputs[:2]]
        return f"{self.page}__{'_'.join(ids)}"

    def varied(self, rng: random.Random, options: dict[str, list]) -> dict:
        """A recorded body with one input that offers choices set to a random choice."""
        body = json.loads(json.dumps(rng.choice(self.bodies)))
        entries = [e for e in body.get("inputs", []) + body.get("state", [])
                   if isinstance(e, dict) and _key(e.get("id")) in options and e.get("property") == "value"]
        if entries:
            entry = rng.choice(entries)
            choice = rng.choice(options[_key(entry["id"])])
            entry["value"] = [choice] if isinstance(entry.get("value"), list) else choice
        return body


def _short_id(text: str) -> str:
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
            return "-".join(str(v) for v in parsed.values())
        except ValueError:
            pass
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _key(component_id: Any) -> str:
    return json.dumps(component_id, sort_keys=True) if isinstance(component_id, dict) else str(component_id)


def _option_values(options: Any) -> list:
    if isinstance(options, dict):
        return list(options)
    values = []
    for option in options or []:
        if isinstance(option, dict):
            if not option.get("disabled") and "value" in option:
                values.append(option["value"])
        else:
            values.append(option)
    return values


def collect_options(node: Any, found: dict[str, list]) -> None:
    """Dropdown choices anywhere in a layout or callback answer: component id -> values."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "id" in props and props.get("options"):
            values = _option_values(props["options"])
            if values:
                found[_key(props["id"])] = values
        for value in node.values():
            collect_options(value, found)
    elif isinstance(node, list):
        for value in node:
            collect_options(value, found)


class _Activity:
    """The page's callback requests: the finished ones, and how many are still pending."""

    def __init__(self, page) -> None:
        self.page = page
        self.pending = 0
        self.finished: list = []
        self.last = time.monotonic()
        page.on("request", lambda request: self._count(request, 1))
        page.on("requestfinished", lambda request: self._count(request, -1, self.finished))
        page.on("requestfailed", lambda request: self._count(request, -1))

    def _count(self, request, step: int, into: list | None = None) -> None:
        if urlparse(request.url).path == DASH_PATH:
            self.pending += step
            self.last = time.monotonic()
            if into is not None:
                into.append(request)

    def settle(self, quiet_ms: int, timeout: float = 90) -> None:
        """Until no callback has been pending for `quiet_ms`, or `timeout` seconds (a request the
        browser dropped is never reported finished: what finished is kept)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(250)
            if not self.pending and (time.monotonic() - self.last) * 1000 >= quiet_ms:
                return
        log.warning("bench: %s: %d callbacks still pending after %d s", self.page.url, self.pending, timeout)


def capture(base_url: str, passwords: dict[str, str], pages: dict[str, tuple[str, str]] = PAGES,
            settle_ms: int = 2_000) -> tuple[list[Callback], dict[str, list]]:
    """Open every page in chromium and record its callbacks; (callbacks, dropdown choices)."""
    from playwright.sync_api import Error as PlaywrightError

    from tests.browser import chromium, log_in

    callbacks: dict[tuple[str, str], Callback] = {}
    options: dict[str, list] = {}
    with chromium() as browser:
        for page_name, (path, account) in pages.items():
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            log_in(page, base_url, account, passwords[account])
            page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
            activity = _Activity(page)
            page.goto(base_url + path)
            if page_name.startswith("wall"):
                page.locator(WALL_READY).first.wait_for(state="attached", timeout=120_000)
            activity.settle(settle_ms)
            if page_name.startswith("wall"):
                page.wait_for_timeout(WALL_POLL_MS + 1_000)
                activity.settle(settle_ms)
            for request in activity.finished:
                body = request.post_data_json
                response = request.response()
                if not body or response is None or response.status != 200:
                    continue
                key = (page_name, body["output"])
                url = urlparse(request.url)
                callback = callbacks.setdefault(key, Callback(page_name, body["output"], account,
                                                              f"{url.path}?{url.query}"))
                callback.bodies.append(body)
                try:
                    collect_options(response.json(), options)
                except (ValueError, PlaywrightError):  # an answer the page navigated away from
                    pass
            context.close()
    return list(callbacks.values()), options
