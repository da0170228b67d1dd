"""JSON over HTTP for the pulls: timeouts, retries with backoff, one-line errors naming the URL.

Retried: 5xx and 429 answers, timeouts and connection failures (a service restarting, a
flaky link). Not retried: other 4xx answers (the request itself is wrong) and bodies that
are not JSON. Every message names the URL with credentials masked (user:password@ and
query parameters such as api_key or token), so logs and terminals never show them.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import requests

from ioc_app.errors import IocError

log = logging.getLogger("ioc.pipelines")

_SECRET_PARAM = re.compile(r"key|token|secret|password|passwd|signature|auth", re.IGNORECASE)
_QUERY_SAFE = "$(),:'/"
_MAX_RETRY_AFTER = 60.0


class PullError(IocError):
    """A service could not be reached or answered something unusable; nothing was stored."""


def redact(url: str) -> str:
    """The URL without user:password@ and with secret-looking query values masked."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = [(name, "***" if _SECRET_PARAM.search(name) else value)
             for name, value in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe=_QUERY_SAFE + "*"), parts.fragment))


def endpoint(base: str, path: str, params: dict[str, object] | None = None) -> str:
    """`base`/`path` with `params` added to the query the base URL already carries (e.g. an api_key).

    Spaces are encoded as %20 and '+' as %2B (OData filters, ISO offsets); '$', parentheses
    and commas stay readable."""
    parts = urlsplit(base)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, str(value)) for name, value in (params or {}).items() if value is not None]
    full_path = parts.path.rstrip("/") + "/" + path.lstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, full_path, urlencode(query, quote_via=quote, safe=_QUERY_SAFE),
                       ""))


def follow(current: str, link: str) -> str:
    """A next-page link as an absolute URL (services may answer with a relative one)."""
    return urljoin(current, link)


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _network_reason(exc: requests.RequestException) -> str:
    """'Connection refused', 'Name or service not known'...: the OS reason buried in requests' message."""
    found = re.findall(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    return _one_line(found[-1]) if found else type(exc).__name__


def _detail(response: requests.Response) -> str:
    """The service's own explanation of a refusal, when it gives one (Open311 and OData error shapes)."""
    try:
        body = response.json()
    except ValueError:
        return _one_line(response.text) if response.text.strip() and "<" not in response.text[:1] else ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            for key in ("description", "message"):
                if isinstance(inner.get(key), str):
                    return _one_line(inner[key])
    return ""


@dataclass
class HttpClient:
    """GETs JSON with a timeout and retries; reuses one connection pool (close() when done)."""

    timeout: float = 30.0
    retries: int = 3  # further attempts after the first one
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def close(self) -> None:
        self.session.close()

    def _wait(self, attempt: int, response: requests.Response | None) -> float:
        delay = self.backoff * (2 ** attempt)
        retry_after = response.headers.get("Retry-After", "") if response is not None else ""
        if retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), _MAX_RETRY_AFTER))
        return delay

    def get_json(self, url: str) -> Any:
        """The decoded JSON body of GET `url`; PullError (one line, URL redacted) when that fails."""
        shown = redact(url)
        attempts = self.retries + 1
        for attempt in range(attempts):
            response = None
            try:
                response = self.session.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
            except requests.Timeout:
                problem = f"no answer within {self.timeout:g} s"
            except requests.RequestException as exc:
                problem = f"cannot connect ({_network_reason(exc)})"
            else:
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise PullError(f"GET {shown}: the answer is not valid JSON ({_one_line(str(exc))})"
                                        ) from None
                detail = _detail(response)
                problem = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
                problem += f": {detail}" if detail else ""
                if response.status_code < 500 and response.status_code != 429:
                    raise PullError(f"GET {shown}: {problem}")
            if attempt + 1 < attempts:
                delay = self._wait(attempt, response)
                log.warning("GET %s: %s; retrying in %.1f s", shown, problem, delay)
                time.sleep(delay)
        raise PullError(f"GET {shown}: {problem} (gave up after {attempts} attempts)")


def json_text(value: object) -> object:
    """Scalars as they are; objects and lists as JSON text (a cell of a table holds one value)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value
