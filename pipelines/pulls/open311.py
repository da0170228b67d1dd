"""Pull citizen feedback tickets from an Open311 GeoReport v2 service.

GET {url}/requests.json?updated_after=..&updated_before=..&page=..&page_size=..: every
request updated since the source's watermark (minus OVERLAP, so late writes that landed
just before the watermark are caught; the loader skips events it already has). Each
answer row is the ticket's state at its updated_datetime: a status change becomes a new
event and moves the ticket's current state, exactly as a file row would.

The watermark is the newest updated_datetime received (quarantined rows included: they are
kept with their raw content, pulling them again would only quarantine them again), never
later than the updated_before of the request.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from ioc_app.clock import now_ict
from ioc_app.config import Settings
from pipelines import watermarks
from pipelines.batch import BatchReport
from pipelines.ingest import ingest_table
from pipelines.pulls.common import lake, newest, wire_time
from pipelines.pulls.http import HttpClient, PullError, endpoint, json_text, redact

OVERLAP = timedelta(minutes=15)
PAGE_SIZE = 500
MAX_PAGES = 10_000
FIELDS = ("service_request_id", "status", "service_code", "service_name", "description", "requested_datetime",
          "updated_datetime", "expected_datetime", "lat", "long", "address", "agency_responsible")
EXTENDED = ("area_code", "satisfaction")  # top level, or inside the GeoReport `extended_attributes`


def fetch(client: HttpClient, url: str, params: dict[str, object], page_size: int = PAGE_SIZE) -> list[dict]:
    """Every request of every page, exact repeats dropped (a page may shift while we read).

    Stops at an empty page, at a page shorter than the longest one so far (servers cap
    page_size below what we ask), or when a page repeats the previous one (a server that
    ignores `page`)."""
    records: list[dict] = []
    seen: set[str] = set()
    previous: list | None = None
    longest = 0
    for page in range(1, MAX_PAGES + 1):
        address = endpoint(url, "requests.json", {**params, "page": page, "page_size": page_size})
        items = client.get_json(address)
        if not isinstance(items, list):
            raise PullError(f"GET {redact(address)}: expected a JSON list of service requests")
        if not items or items == previous:
            return records
        for position, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise PullError(f"GET {redact(address)}: item {position} is not a JSON object")
            key = json.dumps(item, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                records.append(item)
        longest = max(longest, len(items))
        if len(items) < longest:
            return records
        previous = items
    raise PullError(f"GET {redact(url)}: more than {MAX_PAGES} pages of {page_size}; narrow the pull "
                    "(service_code / status) or raise the page size")


def to_table(records: list[dict]) -> pd.DataFrame:
    """The ticket columns of the tickets loader (docs/interfaces.md), values as the service gave them."""
    rows = []
    for record in records:
        extended = record.get("extended_attributes")
        extended = extended if isinstance(extended, dict) else {}
        row = {name: json_text(record.get(name)) for name in FIELDS}
        for name in EXTENDED:
            value = record.get(name)
            row[name] = json_text(extended.get(name) if value is None else value)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*FIELDS, *EXTENDED], dtype=object)


def _watermark(table: pd.DataFrame, until: datetime) -> datetime | None:
    event_times = table["updated_datetime"].where(table["updated_datetime"].notna(), table["requested_datetime"])
    latest = newest(event_times)
    return None if latest is None else min(latest, until)


def pull(settings: Settings, url: str, source_name: str, dry_run: bool = False,
         con: duckdb.DuckDBPyConnection | None = None, *, service_code: str | None = None,
         status: str | None = None, client: HttpClient | None = None, page_size: int = PAGE_SIZE) -> BatchReport:
    """Pull the requests updated since `source_name`'s watermark and ingest them as tickets.

    `service_code` / `status` narrow the pull (Open311 filters, comma-separated lists allowed).
    Raises PullError (nothing stored, watermark unchanged) when the service cannot be used."""
    http = client or HttpClient()
    try:
        with lake(settings, con) as lake_con:
            since = watermarks.read(lake_con, source_name)
            until = now_ict().replace(microsecond=0)
            params = {"updated_after": wire_time(since - OVERLAP) if since else None,
                      "updated_before": wire_time(until), "service_code": service_code, "status": status}
            table = to_table(fetch(http, url, params, page_size))
            mark = _watermark(table, until)
            return ingest_table(settings, "tickets", table, source_name, dry_run, lake_con, origin=redact(url),
                                marks={source_name: mark} if mark else None)
    finally:
        if client is None:
            http.close()
