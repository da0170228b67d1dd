"""Queries behind the data-sharing API (/api/v1) and the Open311 read endpoints.

Every list is paged: `(rows, total)` with `limit`/`offset` bound as parameters. Figures come
from agg_indicator_area (approved figures, current units, continuous across the reform),
their submissions from fact_indicator_value (queries.indicators.sources).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from ioc_app.clock import ICT
from ioc_app.queries.scope import Scope


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def _paged(con: duckdb.DuckDBPyConnection, sql: str, params: list, order: str, page: Page) -> tuple[pd.DataFrame, int]:
    total = int(con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])
    rows = con.execute(f"SELECT * FROM ({sql}) ORDER BY {order} LIMIT ? OFFSET ?",
                       [*params, page.limit, page.offset]).df()
    return rows, total


def snapshot(con: duckdb.DuckDBPyConnection) -> tuple[int, datetime]:
    """The lake snapshot this cursor reads and when it was committed (aware, in ICT)."""
    row = con.execute("""
        SELECT snapshot_id, epoch_us(snapshot_time) FROM lake.snapshots()
        WHERE snapshot_id = (SELECT id FROM lake.current_snapshot())""").fetchone()
    return int(row[0]), datetime.fromtimestamp(row[1] / 1e6, ICT)


def area_level(con: duckdb.DuckDBPyConnection, province_code: str, area_key: str) -> str | None:
    """'province' or 'commune' for a current area of this province, else None."""
    row = con.execute("""SELECT level FROM dim_area WHERE area_key = ? AND province_code = ?
                         AND level IN ('province', 'commune')""", [area_key, province_code]).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class FigureFilter:
    indicator_code: str | None = None
    period: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    area_key: str | None = None
    level: str | None = None
    category_code: str | None = None
    sector: str | None = None


def figures(con: duckdb.DuckDBPyConnection, scope: Scope, f: FigureFilter, page: Page) -> tuple[pd.DataFrame, int]:
    """Approved figures in scope: indicator, unit of measure, area, level, period, category, value."""
    cond, params = scope.area_filter("a.area_key")
    parts = [cond]
    for column, value, op in (("a.indicator_code", f.indicator_code, "="), ("a.period", f.period, "="),
                              ("a.period_start", f.period_from, ">="), ("a.period_start", f.period_to, "<="),
                              ("a.area_key", f.area_key, "="), ("a.level", f.level, "="),
                              ("a.category_code", f.category_code, "="), ("i.sector", f.sector, "=")):
        if value is not None:
            parts.append(f"{column} {op} ?")
            params.append(value)
    sql = f"""
        SELECT a.indicator_code, i.name_vi AS indicator_name_vi, i.name_en AS indicator_name_en, i.unit,
               a.area_key, d.code AS area_code, d.name AS area_name, a.level, a.period, a.period_type,
               a.period_start, a.category_code, a.value
        FROM agg_indicator_area a
        JOIN dim_indicator i USING (indicator_code)
        JOIN dim_area d ON d.area_key = a.area_key
        WHERE {' AND '.join(parts)}"""
    return _paged(con, sql, params, "indicator_code, period_start, period, level DESC, area_code, category_code", page)


def indicators(con: duckdb.DuckDBPyConnection, page: Page, sector: str | None = None) -> tuple[pd.DataFrame, int]:
    """The indicator catalog with each indicator's yearly targets (a list of {year, target})."""
    cond, params = ("i.sector = ?", [sector]) if sector else ("TRUE", [])
    sql = f"""
        SELECT i.*, coalesce((SELECT list({{'year': t.year, 'target': t.target}} ORDER BY t.year)
                              FROM dim_indicator_target t WHERE t.indicator_code = i.indicator_code), []) AS targets
        FROM dim_indicator i WHERE {cond}"""
    return _paged(con, sql, params, "sector, indicator_code", page)


def sectors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("""SELECT sector, count(*) AS indicators FROM dim_indicator
                          GROUP BY sector ORDER BY sector""").df()


def categories(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every disaggregation category with its criterion (criterion 'total' has the category 'total')."""
    return con.execute("""SELECT criterion, category_code, name_vi, name_en FROM dim_category
                          ORDER BY criterion <> 'total', criterion, category_code""").df()


def areas(con: duckdb.DuckDBPyConnection, scope: Scope, page: Page,
          level: str | None = None) -> tuple[pd.DataFrame, int]:
    """Current areas in scope (the province itself only for a whole-province scope)."""
    cond, params = scope.area_filter("area_key")
    if scope.area_keys is not None:
        cond += " AND level = 'commune'"
    if level:
        cond += " AND level = ?"
        params.append(level)
    sql = f"""SELECT area_key, code, name, level, parent_key, lat, lon, area_km2 FROM dim_area
              WHERE province_code = ? AND level IN ('province', 'commune') AND {cond}"""
    return _paged(con, sql, [scope.province_code, *params], "level DESC, code", page)


@dataclass(frozen=True)
class TicketStatsFilter:
    group_by: str  # commune | category | status | month
    start: date
    end: date
    area_key: str | None = None
    service_code: str | None = None
    as_of: datetime | None = None


TICKET_GROUPS = {
    "commune": ("t.area_key", "d.name"),
    "category": ("t.service_code", "any_value(t.service_name)"),
    "status": ("t.status", "t.status"),
    "month": ("strftime(t.requested_at, '%Y-%m')", "strftime(t.requested_at, '%Y-%m')"),
}


def ticket_as_of(con: duckdb.DuckDBPyConnection, scope: Scope) -> datetime | None:
    """The newest ticket update in scope: the 'now' of open and overdue counts."""
    cond, params = scope.area_filter("area_key")
    return con.execute(f"SELECT max(updated_at) FROM fact_ticket WHERE {cond}", params).fetchone()[0]


def ticket_stats(con: duckdb.DuckDBPyConnection, scope: Scope, f: TicketStatsFilter,
                 page: Page) -> tuple[pd.DataFrame, int]:
    """Tickets requested in [start, end] grouped by `f.group_by`: received, closed, closed on
    time, on-time rate, mean handling days (closed ones), still open, overdue at `as_of`,
    mean satisfaction."""
    key, label = TICKET_GROUPS[f.group_by]
    cond, params = scope.area_filter("t.area_key")
    for column, value in (("t.area_key", f.area_key), ("t.service_code", f.service_code)):
        if value is not None:
            cond += f" AND {column} = ?"
            params.append(value)
    sql = f"""
        SELECT {key} AS key, {label} AS label, count(*) AS received,
               count(*) FILTER (WHERE t.status = 'closed') AS closed,
               count(*) FILTER (WHERE t.status = 'closed' AND t.closed_at <= t.expected_at) AS on_time,
               count(*) FILTER (WHERE t.status = 'closed' AND t.closed_at <= t.expected_at)
                   / nullif(count(*) FILTER (WHERE t.status = 'closed'), 0) AS on_time_rate,
               avg(epoch(t.closed_at - t.requested_at)) FILTER (WHERE t.status = 'closed') / 86400
                   AS mean_handling_days,
               count(*) FILTER (WHERE t.status <> 'closed') AS open,
               count(*) FILTER (WHERE t.status <> 'closed' AND t.expected_at < ?) AS overdue,
               avg(t.satisfaction) AS satisfaction
        FROM fact_ticket t LEFT JOIN dim_area d ON d.area_key = t.area_key
        WHERE {cond} AND t.requested_at >= ? AND t.requested_at < ? + INTERVAL 1 DAY
        GROUP BY {key}{', d.name' if f.group_by == 'commune' else ''}"""
    return _paged(con, sql, [f.as_of, *params, f.start, f.end], "key", page)


def ticket_services(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Open311 services: each ticket category with its name and how many tickets it has."""
    return con.execute("""SELECT service_code, any_value(service_name) AS service_name, count(*) AS tickets
                          FROM fact_ticket GROUP BY service_code ORDER BY service_code""").df()


@dataclass(frozen=True)
class RequestFilter:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


def service_requests(con: duckdb.DuckDBPyConnection, f: RequestFilter, page: Page) -> tuple[pd.DataFrame, int]:
    """Tickets for Open311, public columns only (no description, no address), newest first.
    Open311 statuses: 'open' is every ticket not closed."""
    parts, params = ["TRUE"], []
    for column, values in (("t.ticket_id", f.ids), ("t.service_code", f.service_codes)):
        if values:
            parts.append(f"list_contains(?::VARCHAR[], {column})")
            params.append(list(values))
    if f.statuses:
        parts.append("list_contains(?::VARCHAR[], CASE WHEN t.status = 'closed' THEN 'closed' ELSE 'open' END)")
        params.append(list(f.statuses))
    for op, value in ((">=", f.start), ("<=", f.end)):
        if value is not None:
            parts.append(f"t.requested_at {op} ?")
            params.append(value)
    sql = f"""
        SELECT t.ticket_id, t.status, t.service_code, t.service_name, t.requested_at, t.updated_at,
               t.expected_at, t.agency, t.lat, t.lon, d.name AS commune
        FROM fact_ticket t LEFT JOIN dim_area d ON d.area_key = t.area_key
        WHERE {' AND '.join(parts)}"""
    return _paged(con, sql, params, "requested_at DESC, ticket_id", page)


_CODES = {
    "indicator": ("dim_indicator", "indicator_code"),
    "category": ("dim_category", "category_code"),
    "sector": ("dim_indicator", "sector"),
    "service": ("fact_ticket", "service_code"),
    "unit": ("dim_unit", "unit_code"),
}


def known(con: duckdb.DuckDBPyConnection, kind: str, code: str) -> bool:
    """Does the lake know this indicator, category, sector, ticket service or unit code?"""
    table, column = _CODES[kind]
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = ?)", [code]).fetchone()[0]


@dataclass(frozen=True)
class ReportFilter:
    indicator_code: str | None = None
    period: str | None = None
    unit_code: str | None = None


def reports(con: duckdb.DuckDBPyConnection, scope: Scope, f: ReportFilter,
            page: Page) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Approved submissions in the lake (one row each: submission_id, unit_code, period,
    approved_at, source) and the values of those on this page; only values in scope."""
    cond, params = scope.area_filter("area_key")
    for column, value in (("indicator_code", f.indicator_code), ("period", f.period), ("unit_code", f.unit_code)):
        if value is not None:
            cond += f" AND {column} = ?"
            params.append(value)
    facts = f"SELECT * FROM fact_indicator_value WHERE {cond}"
    heads, total = _paged(con, f"""
        SELECT submission_id, any_value(unit_code) AS unit_code, any_value(period) AS period,
               max(approved_at) AS approved_at, any_value(source) AS source
        FROM ({facts}) GROUP BY submission_id""", params, "approved_at DESC NULLS LAST, submission_id", page)
    values = con.execute(f"""
        SELECT submission_id, indicator_code, area_key, category_code, value FROM ({facts})
        WHERE list_contains(?::VARCHAR[], submission_id)
        ORDER BY submission_id, indicator_code, area_key, category_code""",
        [*params, heads["submission_id"].tolist()]).df()
    return heads, values, total


def targets(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[tuple[str, int], float]:
    """(indicator_code, year) -> target of the given indicators."""
    rows = con.execute("SELECT indicator_code, year, target FROM dim_indicator_target "
                       "WHERE list_contains(?::VARCHAR[], indicator_code)", [codes]).fetchall()
    return {(code, int(year)): target for code, year, target in rows}
