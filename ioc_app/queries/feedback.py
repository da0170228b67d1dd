"""Queries behind the citizen feedback desk view (R-21).

A view is a `TicketFilter`: the period is the last `days` calendar days up to the day of
`as_of` (the newest ticket update, docs/decisions.md), so the daily rollup and the ticket
table count the same tickets: counts read the rollup and the backlog table, lists the
tickets. Received counts tickets requested in the period; closed, on-time, handling time
and satisfaction count tickets closed in it; open and overdue are the backlog at `as_of`,
whatever the day it was received.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from ioc_app.queries.scope import Scope

LISTS = ("received", "open", "overdue", "closed", "rated")  # each also a column of `summary`: its count
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


def _where(scope: Scope, f: TicketFilter, alias: str) -> tuple[str, list]:
    """Scope, category, agency and commune conditions on the ticket table `alias`."""
    cond, params = scope.area_filter(f"{alias}.area_key")
    parts = [cond]
    for column, value in (("service_code", f.service_code), ("area_key", f.area_key),
                          ("agency", f.agency)):
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
    rated, satisfaction). The period's counts add up the daily rollup; the backlog's are counted
    on the open tickets, against their due time."""
    cond, params = _where(scope, f, "a")
    backlog, backlog_params = _where(scope, f, "b")
    return _df(con, f"""
        WITH flow AS (
            SELECT coalesce(sum(opened), 0)::BIGINT AS received,
                   coalesce(sum(opened) FILTER (WHERE status <> 'open'), 0)::BIGINT AS reached_progress,
                   coalesce(sum(opened) FILTER (WHERE status = 'closed'), 0)::BIGINT AS received_closed,
                   coalesce(sum(opened_on_time), 0)::BIGINT AS received_on_time,
                   coalesce(sum(closed), 0)::BIGINT AS closed,
                   coalesce(sum(closed_on_time), 0)::BIGINT AS on_time,
                   sum(closed_days) / nullif(sum(closed), 0) AS mean_days,
                   coalesce(sum(rated), 0)::BIGINT AS rated,
                   sum(satisfaction_sum) / nullif(sum(rated), 0) AS satisfaction
            FROM agg_ticket_daily a WHERE {cond} AND day >= ? AND day <= ?),
             open_ AS (
            SELECT count(*) AS open, count(*) FILTER (WHERE expected_at < ?) AS overdue
            FROM agg_ticket_backlog b WHERE {backlog})
        SELECT received, reached_progress, received_closed, received_on_time, open, overdue, closed, on_time,
               mean_days, rated, satisfaction
        FROM flow, open_""", [*params, f.start, f.as_of.date(), f.as_of, *backlog_params])


def volume(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter) -> pd.DataFrame:
    """Tickets received per category and week (periods up to 90 days) or month: bucket,
    service_code, received, from the daily rollup."""
    unit = "week" if f.days <= 90 else "month"
    cond, params = _where(scope, f, "a")
    return _df(con, f"""
        SELECT date_trunc('{unit}', day) AS bucket, service_code, sum(opened)::BIGINT AS received
        FROM agg_ticket_daily a WHERE {cond} AND day >= ? AND opened > 0
        GROUP BY ALL ORDER BY bucket, service_code""", [*params, f.start])


def agency_times(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter, limit: int) -> pd.DataFrame:
    """The `limit` agencies that closed the most tickets in the period: closed, on_time, mean_days."""
    cond, params = _where(scope, f, "a")
    return _df(con, f"""
        SELECT agency, sum(closed)::BIGINT AS closed, sum(closed_on_time)::BIGINT AS on_time,
               sum(closed_days) / sum(closed) AS mean_days
        FROM agg_ticket_daily a
        WHERE {cond} AND closed > 0 AND day >= ? AND day <= ? AND agency IS NOT NULL
        GROUP BY agency ORDER BY closed DESC, agency LIMIT ?""", [*params, f.start, f.as_of.date(), limit])


def communes(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The current communes in scope: area_key, code, name. Read from the areas only, it stays cached
    while tickets arrive (ioc_app.web.query_cache)."""
    cond, params = scope.area_filter("d.area_key")
    return _df(con, f"""
        SELECT d.area_key, d.code, d.name FROM dim_area d
        WHERE d.level = 'commune' AND d.province_code = ? AND {cond} ORDER BY d.code""",
        [scope.province_code, *params])


def commune_counts(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter) -> pd.DataFrame:
    """Per current commune in scope (zero where none): received in the period, open and overdue
    now. The commune of `f` is ignored: the map shows them all."""
    f = f.without_area()
    cond, params = _where(scope, f, "a")
    backlog, backlog_params = _where(scope, f, "b")
    area_cond, area_params = scope.area_filter("d.area_key")
    return _df(con, f"""
        WITH received AS (
            SELECT area_key, sum(opened)::BIGINT AS received FROM agg_ticket_daily a
            WHERE {cond} AND day >= ? GROUP BY area_key),
             open_ AS (
            SELECT area_key, count(*) AS open, count(*) FILTER (WHERE expected_at < ?) AS overdue
            FROM agg_ticket_backlog b WHERE {backlog} GROUP BY area_key)
        SELECT d.area_key, d.code, d.name, coalesce(r.received, 0) AS received, coalesce(o.open, 0) AS open,
               coalesce(o.overdue, 0) AS overdue
        FROM dim_area d LEFT JOIN received r ON r.area_key = d.area_key LEFT JOIN open_ o ON o.area_key = d.area_key
        WHERE d.level = 'commune' AND d.province_code = ? AND {area_cond}
        ORDER BY d.code""",
        [*params, f.start, f.as_of, *backlog_params, scope.province_code, *area_params])


def _list(which: str, f: TicketFilter) -> tuple[str, str, list, str]:
    """Table, condition, parameters and order of one of LISTS (the tickets behind one tile). Open and
    overdue tickets are read from the backlog, which holds them with the list's columns."""
    closed = "t.status = 'closed' AND t.closed_at >= ? AND t.closed_at <= ?"
    return {
        "received": ("fact_ticket", "t.requested_at >= ?", [f.start], "t.requested_at DESC"),
        "open": ("agg_ticket_backlog", "TRUE", [], "t.expected_at"),
        "overdue": ("agg_ticket_backlog", "t.expected_at < ?", [f.as_of], "t.expected_at"),
        "closed": ("fact_ticket", closed, [f.start, f.as_of], "t.closed_at DESC"),
        "rated": ("fact_ticket", closed + " AND t.satisfaction IS NOT NULL", [f.start, f.as_of], "t.closed_at DESC"),
    }[which]


def tickets(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketFilter, which: str,
            limit: int) -> pd.DataFrame:
    """The first `limit` tickets behind one tile (`which` in LISTS; how many there are in all is the
    summary's column of that name). Only the page's tickets are joined to their communes' names."""
    cond, params = _where(scope, f, "t")
    table, extra, extra_params, order = _list(which, f)
    columns = ", ".join("NULL::TIMESTAMP AS closed_at" if c == "closed_at" and table == "agg_ticket_backlog"
                        else f"t.{c}" for c in TICKET_COLUMNS if c != "commune")
    return _df(con, f"""
        WITH page AS (SELECT {columns} FROM {table} t WHERE {cond} AND {extra}
                      ORDER BY {order}, t.ticket_id LIMIT ?)
        SELECT t.*, d.name AS commune
        FROM page t LEFT JOIN dim_area d ON d.area_key = t.area_key
        ORDER BY {order}, t.ticket_id""", [*params, *extra_params, limit])
