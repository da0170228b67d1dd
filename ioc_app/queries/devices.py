"""Queries behind the cameras and sensors desk view, beyond the wall's (camera states and the
sensors' latest readings: ioc_app.queries.wall).

"Now" is the newest heartbeat round for cameras (`as_of`, ioc_app.queries.newest.newest_heartbeat,
looked up once per answer by the caller) and the newest hour of the sensor rollup
(docs/decisions.md); sensor series read agg_sensor_hourly / agg_sensor_daily only.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd

from ioc_app.queries.newest import newest_day, newest_hour
from ioc_app.queries.scope import Scope

WINDOW_DAYS = 7
RESOLUTIONS = {"hour": ("agg_sensor_hourly", "hour", 7), "day": ("agg_sensor_daily", "day", 90)}


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def _camera(scope: Scope, camera_id: str | None) -> tuple[str, list]:
    cond, params = scope.area_filter("c.area_key")
    if camera_id is not None:
        cond, params = f"{cond} AND c.camera_id = ?", [*params, camera_id]
    return cond, params


def camera_uptime(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: datetime | None) -> pd.DataFrame:
    """Per camera in scope: heartbeat rounds of the last WINDOW_DAYS days since it was installed
    (`rounds`), how many said online, and `uptime` = online / rounds (a missing heartbeat counts as down).
    A camera has at most one heartbeat per round (the feed's key), so its online beats are its online rounds.
    The window's heartbeats are read once, for the rounds and for the online counts."""
    cond, params = scope.area_filter("c.area_key")
    return _df(con, f"""
        WITH window_ AS MATERIALIZED (
                SELECT camera_id, observed_at, online FROM fact_camera_status WHERE observed_at > ?),
             rounds AS (SELECT DISTINCT observed_at FROM window_),
             cams AS (SELECT c.camera_id, c.installed_at FROM dim_camera c WHERE {cond}),
             seen AS (
                SELECT camera_id, count(*) FILTER (WHERE online) AS online_rounds
                FROM window_ WHERE camera_id IN (SELECT camera_id FROM cams) GROUP BY camera_id),
             expected AS (
                SELECT c.camera_id, count(r.observed_at) AS rounds
                FROM cams c LEFT JOIN rounds r ON c.installed_at IS NULL OR r.observed_at >= c.installed_at
                GROUP BY c.camera_id)
        SELECT c.camera_id, e.rounds, coalesce(seen.online_rounds, 0) AS online_rounds,
               coalesce(seen.online_rounds, 0) / nullif(e.rounds, 0) AS uptime
        FROM cams c JOIN expected e USING (camera_id) LEFT JOIN seen USING (camera_id)
        ORDER BY uptime, c.camera_id""", [_window_start(as_of), *params])


def camera_outages(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: datetime | None,
                   camera_id: str | None) -> pd.DataFrame:
    """Offline spans of the last WINDOW_DAYS days, ongoing then newest first: camera_id, name, started (first
    offline heartbeat), ended (first online heartbeat after it; NULL while still down) and
    minutes (up to the newest round when still down).

    Two offline heartbeats of a camera are in the same span when no online heartbeat comes between
    them, that is when the first online heartbeat after each is the same: one ordered pass over the
    window's heartbeats (of the cameras offline at least once) gives each its next online heartbeat,
    and the spans are the offline heartbeats grouped by it."""
    cond, params = _camera(scope, camera_id)
    return _df(con, f"""
        WITH window_ AS MATERIALIZED (
                SELECT s.camera_id, s.observed_at, s.online FROM fact_camera_status s
                WHERE s.observed_at > ? AND s.camera_id IN (SELECT c.camera_id FROM dim_camera c WHERE {cond})),
             marked AS (
                SELECT camera_id, observed_at, online,
                       min(observed_at) FILTER (WHERE online) OVER (
                           PARTITION BY camera_id ORDER BY observed_at
                           ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_online
                FROM window_ WHERE camera_id IN (SELECT camera_id FROM window_ WHERE NOT online)),
             spans AS (
                SELECT camera_id, min(observed_at) AS started, next_online AS ended
                FROM marked WHERE NOT online GROUP BY camera_id, next_online)
        SELECT s.camera_id, c.name, s.started, s.ended,
               epoch(coalesce(s.ended, ?::TIMESTAMP) - s.started) / 60 AS minutes
        FROM spans s JOIN dim_camera c USING (camera_id)
        ORDER BY s.ended IS NOT NULL, s.started DESC, s.camera_id""", [_window_start(as_of), *params, as_of])


def camera_events(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: datetime | None, camera_id: str | None,
                  limit: int) -> pd.DataFrame:
    """The newest `limit` analytics events of the last WINDOW_DAYS days (before the newest
    heartbeat round), with `total` = how many there are."""
    cond, params = _camera(scope, camera_id)
    return _df(con, f"""
        SELECT e.event_at, e.camera_id, c.name, c.kind, e.event_type, e.detail, count(*) OVER () AS total
        FROM fact_camera_event e JOIN dim_camera c USING (camera_id)
        WHERE {cond} AND e.event_at > ?
        ORDER BY e.event_at DESC, e.camera_id LIMIT ?""", [*params, _window_start(as_of), limit])


def _window_start(as_of: datetime | None) -> datetime | None:
    """WINDOW_DAYS before the newest heartbeat round `as_of` (the window's exclusive start)."""
    return None if as_of is None else as_of - timedelta(days=WINDOW_DAYS)


def sensor_series(con: duckdb.DuckDBPyConnection, scope: Scope, sensor_id: str, resolution: str) -> pd.DataFrame:
    """Mean and peak of one sensor in scope: per hour over 7 days or per day over 90 days, up to
    the newest hour (day) of the rollup. Columns: ts, avg_value, max_value."""
    table, column, days = RESOLUTIONS[resolution]
    cond, params = scope.area_filter("d.area_key")
    newest = newest_hour(con) if resolution == "hour" else newest_day(con)
    return _df(con, f"""
        SELECT CAST(a.{column} AS TIMESTAMP) AS ts, a.avg_value, a.max_value
        FROM {table} a JOIN dim_sensor d USING (sensor_id)
        WHERE {cond} AND a.sensor_id = ? AND a.{column} > ?::TIMESTAMP - INTERVAL {days} DAY
        ORDER BY ts""", [*params, sensor_id, newest])
