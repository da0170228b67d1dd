"""Queries behind the overview page: KPI tiles, the commune map and the trend charts."""
from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd

from ioc_app.queries.newest import newest_reading
from ioc_app.queries.scope import Scope

REFORM_DATE = "2025-07-01"
CAMERA_HEARTBEAT_MINUTES = 30
SENSOR_FRESH_MINUTES = 60


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def figures_summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Approved figures in the store: how many, for how many indicators, latest period."""
    cond, params = scope.area_filter("f.area_key")
    return _df(con, f"""
        SELECT count(*) AS figures,
               count(DISTINCT f.indicator_code) AS indicators,
               max(f.approved_at) AS as_of,
               arg_max(f.period, f.period_start) AS latest_period
        FROM fact_indicator_value f
        WHERE {cond}""", params)


def tickets_summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Open and overdue tickets at the time of the scope's newest ticket update (`as_of`; the
    backlog table holds the tickets not closed). The newest update is a top-N, which skips the row
    groups older than the best time found (ioc_app.queries.newest): 39 → 17 ms for three communes of
    a province-year, where `max(updated_at)` read the whole column."""
    cond, params = scope.area_filter("area_key")
    return _df(con, f"""
        WITH now_ AS (
            SELECT updated_at AS as_of FROM fact_ticket WHERE {cond} ORDER BY updated_at DESC NULLS LAST LIMIT 1),
             open_ AS (
            SELECT count(*) AS open, count(*) FILTER (WHERE expected_at < (SELECT as_of FROM now_)) AS overdue
            FROM agg_ticket_backlog WHERE {cond})
        SELECT open_.open, open_.overdue, (SELECT as_of FROM now_) AS as_of FROM open_""", [*params, *params])


def cameras_summary(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: datetime | None) -> pd.DataFrame:
    """Cameras whose newest heartbeat is recent and says online, at the newest heartbeat round `as_of`
    (ioc_app.queries.newest.newest_heartbeat, looked up once per answer by the caller)."""
    cond, params = scope.area_filter("c.area_key")
    return _df(con, f"""
        WITH cams AS (SELECT camera_id FROM dim_camera c WHERE {cond}),
             latest AS (
                SELECT camera_id, online, observed_at AS seen FROM agg_camera_latest
                WHERE observed_at >= ?::TIMESTAMP - INTERVAL 1 DAY AND camera_id IN (SELECT camera_id FROM cams))
        SELECT (SELECT count(*) FROM cams) AS total,
               count(*) FILTER (WHERE latest.online
                   AND latest.seen >= ?::TIMESTAMP - INTERVAL {CAMERA_HEARTBEAT_MINUTES} MINUTE) AS online,
               CAST(? AS TIMESTAMP) AS as_of
        FROM latest""", [*params, as_of, as_of, as_of])


def reporting_window(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    """The newest reading's time, and the start of the window in which a sensor counts as
    reporting (SENSOR_FRESH_MINUTES before it); both None while there is no reading."""
    as_of = newest_reading(con)
    return as_of, None if as_of is None else as_of - timedelta(minutes=SENSOR_FRESH_MINUTES)


def sensors_summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Sensors whose newest reading is above their threshold, per kind."""
    cond, params = scope.area_filter("d.area_key")
    as_of, since = reporting_window(con)
    return _df(con, f"""
        WITH sens AS (SELECT sensor_id, kind, threshold FROM dim_sensor d WHERE {cond}),
             latest AS (SELECT sensor_id, value FROM agg_sensor_latest WHERE observed_at >= ?)
        SELECT sens.kind,
               count(*) AS total,
               count(*) FILTER (WHERE latest.value > sens.threshold) AS over,
               CAST(? AS TIMESTAMP) AS as_of
        FROM sens LEFT JOIN latest USING (sensor_id)
        GROUP BY sens.kind ORDER BY sens.kind""", [*params, since, as_of])


def headline_indicators(con: duckdb.DuckDBPyConnection, scope: Scope, codes: list[str]) -> pd.DataFrame:
    """Province headline of each indicator at its latest period, with that year's target and
    the same point of the year before. Summed indicators are cumulated from January (year to
    date), as provincial reports state them against the annual plan; rates are the latest value.
    A scope narrower than the province shows its home area's figures."""
    home, params = scope.home_filter("d")
    return _df(con, f"""
        WITH v AS (
            SELECT a.indicator_code, a.period, a.period_type, a.period_start, a.value
            FROM agg_indicator_area a JOIN dim_area d ON d.area_key = a.area_key
            WHERE {home} AND a.category_code = 'total'
              AND a.indicator_code IN (SELECT unnest(?::VARCHAR[]))),
             latest AS (
                SELECT indicator_code, arg_max(period, period_start) AS period,
                       arg_max(period_type, period_start) AS period_type, max(period_start) AS period_start
                FROM v GROUP BY 1),
             ytd AS (
                SELECT l.indicator_code,
                       sum(v.value) FILTER (WHERE year(v.period_start) = year(l.period_start)) AS this_year,
                       sum(v.value) FILTER (WHERE year(v.period_start) = year(l.period_start) - 1
                                          AND v.period_start <= l.period_start - INTERVAL 1 YEAR) AS last_year,
                       arg_max(v.value, v.period_start) FILTER (WHERE v.period_start = l.period_start) AS latest_value,
                       arg_max(v.value, v.period_start) FILTER (
                           WHERE v.period_start = l.period_start - INTERVAL 1 YEAR) AS latest_last_year
                FROM latest l JOIN v ON v.indicator_code = l.indicator_code AND v.period_type = l.period_type
                                    AND v.period_start <= l.period_start
                GROUP BY 1)
        SELECT i.indicator_code, i.name_vi, i.name_en, i.unit, i.direction, i.aggregation,
               l.period, l.period_type, l.period_start,
               i.aggregation = 'sum' AS cumulative,
               CASE WHEN i.aggregation = 'sum' THEN y.this_year ELSE y.latest_value END AS value,
               CASE WHEN i.aggregation = 'sum' THEN y.last_year ELSE y.latest_last_year END AS last_year,
               t.target
        FROM latest l JOIN ytd y USING (indicator_code)
        JOIN dim_indicator i USING (indicator_code)
        LEFT JOIN dim_indicator_target t
               ON t.indicator_code = l.indicator_code AND t.year = year(l.period_start)
        ORDER BY list_position(?::VARCHAR[], i.indicator_code)""",
        [*params, codes, codes])


def commune_tickets(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: datetime | None) -> pd.DataFrame:
    """Per current commune: open, overdue and last-30-days ticket counts (zero where none).
    Tickets are counted per area first, then joined to the communes' names."""
    cond, params = scope.area_filter("d.area_key")
    ticket_cond, ticket_params = scope.area_filter("area_key")
    return _df(con, f"""
        WITH open_ AS (
            SELECT area_key, count(*) AS open, count(*) FILTER (WHERE expected_at < ?) AS overdue
            FROM agg_ticket_backlog WHERE {ticket_cond} GROUP BY area_key),
             received AS (
            SELECT area_key, count(*) AS received FROM fact_ticket
            WHERE {ticket_cond} AND requested_at >= ?::TIMESTAMP - INTERVAL 30 DAY GROUP BY area_key)
        SELECT d.area_key, d.code, d.name, coalesce(o.open, 0) AS open, coalesce(o.overdue, 0) AS overdue,
               coalesce(r.received, 0) AS received
        FROM dim_area d LEFT JOIN open_ o ON o.area_key = d.area_key LEFT JOIN received r ON r.area_key = d.area_key
        WHERE d.level = 'commune' AND d.province_code = ? AND {cond}
        ORDER BY d.code""",
        [as_of, *ticket_params, *ticket_params, as_of, scope.province_code, *params])


def monthly_tickets(con: duckdb.DuckDBPyConnection, scope: Scope, months: int) -> pd.DataFrame:
    """Tickets received and resolved per month over the last `months` months."""
    cond, params = scope.area_filter("area_key")
    return _df(con, f"""
        WITH m AS (
            SELECT date_trunc('month', day) AS month, sum(opened) AS received, sum(closed) AS resolved
            FROM agg_ticket_daily WHERE {cond} GROUP BY 1)
        SELECT * FROM m
        WHERE month > (SELECT max(month) FROM m) - to_months(?)
        ORDER BY month""", [*params, months])


def indicator_series(con: duckdb.DuckDBPyConnection, scope: Scope, indicator_code: str) -> pd.DataFrame:
    """Series of one indicator (total category) of the scope's home area (the province when
    the scope is the whole province), continuous across the July 2025 reform."""
    home, params = scope.home_filter("d")
    return _df(con, f"""
        SELECT a.period, a.period_start, a.value
        FROM agg_indicator_area a JOIN dim_area d ON d.area_key = a.area_key
        WHERE {home} AND a.indicator_code = ? AND a.category_code = 'total'
        ORDER BY a.period_start""", [*params, indicator_code])


def indicator_choices(con: duckdb.DuckDBPyConnection, frequency: str) -> pd.DataFrame:
    """Indicators of one frequency that have figures, for pickers."""
    return _df(con, """
        SELECT i.indicator_code, i.name_vi, i.name_en, i.unit, i.sector
        FROM dim_indicator i
        WHERE i.frequency = ?
          AND EXISTS (SELECT 1 FROM agg_indicator_area a WHERE a.indicator_code = i.indicator_code)
        ORDER BY i.sector, i.name_vi""", [frequency])
