"""A plain HTTP client with a signed-in session: what the replay and the load test send."""
from __future__ import annotations

import re
import time

import requests

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def log_in(self, username: str, password: str) -> float:
        """Sign in through the login form; milliseconds of the POST."""
        form = self.http.get(self.base_url + "/login", timeout=60)
        token = _TOKEN.search(form.text)
        if token is None:
            raise RuntimeError("no csrf_token in the login form")
        started = time.perf_counter()
        answer = self.http.post(self.base_url + "/login", timeout=60, allow_redirects=False,
                                data={"csrf_token": token.group(1), "username": username, "password": password})
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
            raise RuntimeError(f"sign-in of {username} refused: HTTP {answer.status_code}")
        return elapsed

    def callback(self, path: str, body: dict) -> tuple[float, int]:
        """(milliseconds, HTTP status) of one Dash callback request to `path`; status 0 when the
        connection failed (counted as an error, as a browser's user would see one)."""
        started = time.perf_counter()
        try:
            status = self.http.post(self.base_url + path, json=body, timeout=120).status_code
        except requests.ConnectionError:
            status = 0
        return (time.perf_counter() - started) * 1000, status
