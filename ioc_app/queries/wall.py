"""Queries behind the control-room wall: what the overview queries do not already give.

Like the overview, every "now" is the newest record of its source, so a late feed shows
its last figures with their time instead of mixing the wall clock with old data.
"""
from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from ioc_app.queries.newest import newest_hour
from ioc_app.queries.overview import CAMERA_HEARTBEAT_MINUTES, reporting_window
from ioc_app.queries.scope import Scope

OFFLINE_LOOKBACK_DAYS = 7


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """The lake snapshot the wall's panels were drawn from: they redraw only when it changes."""
    from ioc_app.lake import snapshot_id

    return snapshot_id(con)


def ticket_categories(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: datetime | None, days: int,
                      limit: int) -> pd.DataFrame:
    """Categories with the most tickets received in the `days` before `as_of`, and how many are still open."""
    cond, params = scope.area_filter("area_key")
    return _df(con, f"""
        SELECT service_code, any_value(service_name) AS service_name, count(*) AS received,
               count(*) FILTER (WHERE status <> 'closed') AS open
        FROM fact_ticket
        WHERE {cond} AND requested_at > ?::TIMESTAMP - to_days(?) AND requested_at <= ?
        GROUP BY service_code ORDER BY received DESC, service_code LIMIT ?""",
        [*params, as_of, days, as_of, limit])


def ticket_timeliness(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: datetime | None,
                      days: int) -> pd.DataFrame:
    """Tickets closed in the last `days` calendar days up to the day of `as_of` (the desk's period):
    how many, how many by their due time, mean hours taken. From the daily ticket rollup."""
    cond, params = scope.area_filter("area_key")
    last = None if as_of is None else as_of.date()
    return _df(con, f"""
        SELECT coalesce(sum(closed), 0)::BIGINT AS closed, coalesce(sum(closed_on_time), 0)::BIGINT AS on_time,
               24 * sum(closed_days) / nullif(sum(closed), 0) AS mean_hours
        FROM agg_ticket_daily
        WHERE {cond} AND closed > 0 AND day > ?::DATE - to_days(?) AND day <= ?""",
        [*params, last, days, last])


def sensor_latest(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Every sensor with its newest reading (when it reported in the hour before the newest reading
    of any sensor), its threshold, position and commune."""
    cond, params = scope.area_filter("d.area_key")
    _, since = reporting_window(con)
    return _df(con, f"""
        WITH latest AS (SELECT sensor_id, value, observed_at FROM agg_sensor_latest WHERE observed_at >= ?)
        SELECT d.sensor_id, d.name, d.kind, d.unit, d.threshold, d.lat, d.lon, d.area_key,
               a.name AS area_name, latest.value, latest.observed_at
        FROM dim_sensor d
        LEFT JOIN latest USING (sensor_id)
        LEFT JOIN dim_area a ON a.area_key = d.area_key
        WHERE {cond}
        ORDER BY d.kind, d.sensor_id""", [since, *params])


def sensor_series(con: duckdb.DuckDBPyConnection, scope: Scope, hours: int) -> pd.DataFrame:
    """Hourly mean and peak of every sensor over the `hours` up to the newest hour in the rollup."""
    cond, params = scope.area_filter("h.area_key")
    return _df(con, f"""
        SELECT h.sensor_id, d.kind, d.name, h.hour, h.avg_value, h.max_value
        FROM agg_sensor_hourly h JOIN dim_sensor d USING (sensor_id)
        WHERE {cond} AND h.hour > ?::TIMESTAMP - to_hours(?)
        ORDER BY h.sensor_id, h.hour""", [*params, newest_hour(con), hours])


def camera_states(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: datetime | None) -> pd.DataFrame:
    """Every camera, online or not at the newest heartbeat round `as_of` (as on the overview), with its
    commune, its last heartbeat and, when offline, its last online heartbeat of the past week."""
    cond, params = scope.area_filter("c.area_key")
    return _df(con, f"""
        WITH recent AS (
                SELECT camera_id, online AS last_online_flag, observed_at AS seen,
                       CASE WHEN last_online >= ?::TIMESTAMP - INTERVAL {OFFLINE_LOOKBACK_DAYS} DAY
                            THEN last_online END AS last_online
                FROM agg_camera_latest
                WHERE observed_at >= ?::TIMESTAMP - INTERVAL {OFFLINE_LOOKBACK_DAYS} DAY)
        SELECT c.camera_id, c.name, c.kind, c.lat, c.lon, c.area_key, a.name AS area_name,
               coalesce(r.last_online_flag AND r.seen >= ?::TIMESTAMP - INTERVAL {CAMERA_HEARTBEAT_MINUTES} MINUTE,
                        FALSE) AS online,
               r.seen, r.last_online
        FROM dim_camera c
        LEFT JOIN recent r USING (camera_id)
        LEFT JOIN dim_area a ON a.area_key = c.area_key
        WHERE {cond}
        ORDER BY c.camera_id""", [as_of, as_of, as_of, *params])
