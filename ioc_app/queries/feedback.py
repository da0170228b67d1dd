"""Queries behind the citizen feedback desk view (R-21).

A view is a `TicketFilter`: the period is the last `days` calendar days up to the day of
`as_of` (the newest ticket update, docs/decisions.md), so the daily rollup and the ticket
table count the same tickets. Received counts tickets requested in the period; closed,
on-time, handling time and satisfaction count tickets closed in it; open and overdue are
the backlog at `as_of`, whatever the day it was received.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from ioc_app.queries.scope import Scope

LISTS = ("received", "open", "overdue", "closed", "rated")
TICKET_COLUMNS = ("ticket_id", "service_code", "service_name", "area_key", "commune", "status", "requested_at",
                  "expected_at", "closed_at", "agency", "satisfaction")


@dataclass(frozen=True)
class TicketFilter:
    as_of: datetime
    days: int
    service_code: str | None = None
    agency: str | None = None
    area_key: str | None = None

    @property
    def start(self) -> date:
        """First day of the period."""
        return self.as_of.date() - timedelta(days=self.days - 1)

    def without_area(self) -> TicketFilter:
        return TicketFilter(self.as_of, self.days, self.service_code, self.agency)


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def _where(scope: Scope, f: TicketFilter, alias: str, agency: bool = True) -> tuple[str, list]:
    """Scope, category, agency and commune conditions on the ticket table `alias`."""
    cond, params = scope.area_filter(f"{alias}.area_key")
    parts = [cond]
    for column, value in (("service_code", f.service_code), ("area_key", f.area_key),
                          ("agency", f.agency if agency else None)):
        if value is not None:
            parts.append(f"{alias}.{column} = ?")
            params.append(value)
    return " AND ".join(parts), params


def categories(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Ticket categories in scope: service_code, service_name, tickets (most first)."""
    cond, params = scope.area_filter("area_key")
    return _df(con, f"""
        SELECT service_code, any_value(service_name) AS service_name, count(*) AS tickets
        FROM fact_ticket WHERE {cond}
        GROUP BY service_code ORDER BY tickets DESC, service_code""", params)


def agencies(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Agencies that handled tickets in scope, by name."""
    cond, params = scope.area_filter("area_key")
    return _df(con, f"""
        SELECT agency, count(*) AS tickets FROM fact_ticket
        WHERE {cond} AND agency IS NOT NULL GROUP BY agency ORDER BY agency""", params)


def summary(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter) -> pd.DataFrame:
    """One row: received, the funnel of those (reached in progress, closed, closed on time), the
    backlog (open, overdue) and the tickets closed in the period (closed, on_time, mean_days,
    rated, satisfaction). One pass over the tickets: each is flagged once, then counted; tickets
    that none of the counts takes (closed before the period and received before it) are
    dropped as they are read."""
    cond, params = _where(scope, f, "t")
    return _df(con, f"""
        WITH t AS (
            SELECT status = 'closed' AS is_closed, status <> 'open' AS progressed, expected_at, satisfaction,
                   epoch(closed_at - requested_at) / 86400 AS days, requested_at >= ? AS received,
                   status = 'closed' AND closed_at >= ? AND closed_at <= ? AS closed_in,
                   coalesce(closed_at <= expected_at, FALSE) AS in_time
            FROM fact_ticket t
            WHERE {cond} AND (t.requested_at >= ? OR t.status <> 'closed' OR t.closed_at >= ?))
        SELECT count(*) FILTER (WHERE received) AS received,
               count(*) FILTER (WHERE received AND progressed) AS reached_progress,
               count(*) FILTER (WHERE received AND is_closed) AS received_closed,
               count(*) FILTER (WHERE received AND is_closed AND in_time) AS received_on_time,
               count(*) FILTER (WHERE NOT is_closed) AS open,
               count(*) FILTER (WHERE NOT is_closed AND expected_at < ?) AS overdue,
               count(*) FILTER (WHERE closed_in) AS closed,
               count(*) FILTER (WHERE closed_in AND in_time) AS on_time,
               avg(days) FILTER (WHERE closed_in) AS mean_days,
               count(satisfaction) FILTER (WHERE closed_in) AS rated,
               avg(satisfaction) FILTER (WHERE closed_in) AS satisfaction
        FROM t""", [f.start, f.start, f.as_of, *params, f.start, f.start, f.as_of])


def volume(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter) -> pd.DataFrame:
    """Tickets received per category and week (periods up to 90 days) or month: bucket,
    service_code, received. From the daily rollup unless an agency is chosen (it has none)."""
    unit = "week" if f.days <= 90 else "month"
    if f.agency is None:
        cond, params = _where(scope, f, "a")
        source = f"""SELECT day, service_code, opened FROM agg_ticket_daily a
                     WHERE {cond} AND day >= ? AND opened > 0"""
    else:
        cond, params = _where(scope, f, "t")
        source = f"""SELECT CAST(requested_at AS DATE) AS day, service_code, 1 AS opened FROM fact_ticket t
                     WHERE {cond} AND requested_at >= ?"""
    return _df(con, f"""
        SELECT date_trunc('{unit}', day) AS bucket, service_code, sum(opened)::BIGINT AS received
        FROM ({source}) GROUP BY ALL ORDER BY bucket, service_code""", [*params, f.start])


def agency_times(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter, limit: int) -> pd.DataFrame:
    """The `limit` agencies that closed the most tickets in the period: closed, on_time, mean_days."""
    cond, params = _where(scope, f, "t")
    return _df(con, f"""
        SELECT agency, count(*) AS closed, count(*) FILTER (WHERE closed_at <= expected_at) AS on_time,
               avg(epoch(closed_at - requested_at)) / 86400 AS mean_days
        FROM fact_ticket t
        WHERE {cond} AND status = 'closed' AND closed_at >= ? AND closed_at <= ? AND agency IS NOT NULL
        GROUP BY agency ORDER BY closed DESC, agency LIMIT ?""", [*params, f.start, f.as_of, limit])


def commune_counts(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter) -> pd.DataFrame:
    """Per current commune in scope (zero where none): received in the period, open and overdue
    now. The commune of `f` is ignored: the map shows them all. Tickets are counted per area
    first, then joined to the communes' names (a join first would group millions of name rows)."""
    cond, params = _where(scope, f.without_area(), "t")
    area_cond, area_params = scope.area_filter("d.area_key")
    return _df(con, f"""
        WITH t AS (
            SELECT area_key, count(*) FILTER (WHERE requested_at >= ?) AS received,
                   count(*) FILTER (WHERE status <> 'closed') AS open,
                   count(*) FILTER (WHERE status <> 'closed' AND expected_at < ?) AS overdue
            FROM fact_ticket t WHERE {cond} AND (t.requested_at >= ? OR t.status <> 'closed')
            GROUP BY area_key)
        SELECT d.area_key, d.code, d.name, coalesce(t.received, 0) AS received, coalesce(t.open, 0) AS open,
               coalesce(t.overdue, 0) AS overdue
        FROM dim_area d LEFT JOIN t ON t.area_key = d.area_key
        WHERE d.level = 'commune' AND d.province_code = ? AND {area_cond}
        ORDER BY d.code""",
        [f.start, f.as_of, *params, f.start, scope.province_code, *area_params])


def _list_condition(which: str, f: TicketFilter) -> tuple[str, list, str]:
    """Condition, parameters and order of one of LISTS (the tickets behind one tile)."""
    closed = "t.status = 'closed' AND t.closed_at >= ? AND t.closed_at <= ?"
    return {
        "received": ("t.requested_at >= ?", [f.start], "t.requested_at DESC"),
        "open": ("t.status <> 'closed'", [], "t.expected_at"),
        "overdue": ("t.status <> 'closed' AND t.expected_at < ?", [f.as_of], "t.expected_at"),
        "closed": (closed, [f.start, f.as_of], "t.closed_at DESC"),
        "rated": (closed + " AND t.satisfaction IS NOT NULL", [f.start, f.as_of], "t.closed_at DESC"),
    }[which]


def tickets(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter, which: str,
            limit: int) -> pd.DataFrame:
    """The first `limit` tickets behind one tile (`which` in LISTS), with `total` = how many there are.
    Only the page's tickets are joined to their communes' names."""
    cond, params = _where(scope, f, "t")
    extra, extra_params, order = _list_condition(which, f)
    columns = ", ".join(f"t.{c}" for c in TICKET_COLUMNS if c != "commune")
    return _df(con, f"""
        WITH hit AS (SELECT {columns} FROM fact_ticket t WHERE {cond} AND {extra}),
             page AS (SELECT * FROM hit t ORDER BY {order}, t.ticket_id LIMIT ?)
        SELECT t.*, d.name AS commune, (SELECT count(*) FROM hit) AS total
        FROM page t LEFT JOIN dim_area d ON d.area_key = t.area_key
        ORDER BY {order}, t.ticket_id""", [*params, *extra_params, limit])
