"""Open311 GeoReport v2 read endpoints (services, requests, one request), public as the
standard intends, with public fields only.

Public: id, category, status, times, responsible agency, the commune (as `address`) and
coordinates rounded to 3 decimals (about 100 m). Withheld: the citizen's description
(free text often names people, phone numbers, house numbers), the street address, the
satisfaction rating, and any field not listed in schemas.Open311Request.
"""
from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from ioc_app.api import schemas as s
from ioc_app.api.core import Answer, ApiError, Ctx, Route, bad_parameter, records
from ioc_app.api.params import Code, NoParams, Open311RequestsQuery, Query
from ioc_app.queries import api as q

BASE = "/open311/v2"
DEFAULT_DAYS = 90
COORDINATE_DECIMALS = 3


class RequestQuery(Query):
    service_request_id: Code = Field(description="the request's id")


def services(ctx: Ctx, p: NoParams) -> Answer:
    return Answer([{"service_code": row["service_code"], "service_name": row["service_name"] or row["service_code"],
                    "description": row["service_name"] or row["service_code"], "metadata": False, "type": "realtime",
                    "keywords": "", "group": ""} for row in records(q.ticket_services(ctx.con))])


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def _public(row: dict) -> dict:
    return {"service_request_id": row["ticket_id"], "status": "closed" if row["status"] == "closed" else "open",
            "service_code": row["service_code"], "service_name": row["service_name"],
            "requested_datetime": row["requested_at"], "updated_datetime": row["updated_at"],
            "expected_datetime": row["expected_at"], "agency_responsible": row["agency"],
            "address": row["commune"], "lat": _rounded(row["lat"]), "long": _rounded(row["lon"])}


def requests(ctx: Ctx, p: Open311RequestsQuery) -> Answer:
    page = q.Page(p.page_size, (p.page - 1) * p.page_size)
    if p.service_request_id:
        rows, total = q.service_requests(ctx.con, q.RequestFilter(ids=p.service_request_id), page)
        return Answer([_public(row) for row in records(rows)], total)
    start, end = p.start_date, p.end_date
    if start is None and end is None:
        newest = q.ticket_as_of(ctx.con, ctx.scope)
        start = newest - timedelta(days=DEFAULT_DAYS) if newest else None
    elif start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    if start and end and start > end:
        raise bad_parameter("start_date", "after end_date")
    rows, total = q.service_requests(ctx.con, q.RequestFilter(service_codes=p.service_code or (),
                                                              statuses=p.status or (), start=start, end=end), page)
    return Answer([_public(row) for row in records(rows)], total)


def one_request(ctx: Ctx, p: RequestQuery) -> Answer:
    rows, _ = q.service_requests(ctx.con, q.RequestFilter(ids=(p.service_request_id,)), q.Page(1, 0))
    if rows.empty:
        raise ApiError(404, "not_found", f"no service request {p.service_request_id!r}")
    return Answer([_public(row) for row in records(rows)])


def routes() -> list[Route]:
    tables = ("fact_ticket", "dim_area")
    return [
        Route(f"{BASE}/services.json", "open311Services", "Open311 service list (ticket categories)", "open311",
              NoParams, s.Open311Service, services, tables=("fact_ticket",), open311=True),
        Route(f"{BASE}/requests.json", "open311Requests", "Open311 service requests, newest first (public fields)",
              "open311", Open311RequestsQuery, s.Open311Request, requests, tables=tables, open311=True),
        Route(f"{BASE}/requests/{{service_request_id}}.json", "open311Request", "One Open311 service request",
              "open311", RequestQuery, s.Open311Request, one_request, tables=tables, open311=True),
    ]
