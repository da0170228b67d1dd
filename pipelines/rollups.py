"""Rollups the dashboards read, recomputed only for the partitions a batch touched.

Each function takes the name of a temp table listing the touched partitions, deletes
those partitions from the agg_* table and rebuilds them from the facts, inside the
batch's transaction.

agg_indicator_area rule (current units only):
- the figure of an (indicator, area, period, category) is the one with the latest approved_at;
- commune value: the commune's own figure when reported; otherwise old units mapped to
  it through dim_area_crosswalk, using the finest old level reported for that indicator,
  period and category (old communes, else old districts): `sum` indicators add
  value x weight, `avg`/`ratio`/`latest` take the weight-weighted average of the parts;
- province value: the province figure when reported; else the old provinces' figures
  mapped to it (sum, or weighted average); else the aggregation of its commune values
  (sum for `sum`, mean for the others).
"""
from __future__ import annotations

import logging
import time

import duckdb

from ioc_app.lake import device_latest, ticket_rollups
from ioc_app.lake.connection import MAIN as L

log = logging.getLogger("ioc.pipelines")


def sensors(con: duckdb.DuckDBPyConnection, new_readings: str) -> None:
    """Refresh agg_sensor_hourly / agg_sensor_daily for the (sensor, hour) and (sensor, day)
    partitions that `new_readings(sensor_id, observed_at, value)` touches, and agg_sensor_latest
    for its sensors.

    Call it BEFORE inserting those readings into fact_sensor_reading: each touched sensor-day
    is aggregated from its stored readings (read from the day range only, which DuckLake
    prunes by file statistics) plus the new ones, so a 5-minute increment reads one day of
    its sensors, never the whole history.
    """
    started = time.perf_counter()
    low, high = con.execute(f"SELECT CAST(min(observed_at) AS DATE), CAST(max(observed_at) AS DATE) + 1 "
                            f"FROM {new_readings}").fetchone()
    if low is None:
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE touched_sensor_days AS "
                f"SELECT DISTINCT sensor_id, CAST(observed_at AS DATE) AS day FROM {new_readings}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE touched_sensor_hours AS
        WITH readings AS (
            SELECT sensor_id, observed_at, value, TRUE AS is_new FROM {new_readings}
            UNION ALL
            SELECT r.sensor_id, r.observed_at, r.value, FALSE
            FROM {L}.fact_sensor_reading r
            SEMI JOIN touched_sensor_days d ON d.sensor_id = r.sensor_id AND d.day = CAST(r.observed_at AS DATE)
            WHERE r.observed_at >= $low AND r.observed_at < $high
        )
        SELECT sensor_id, date_trunc('hour', observed_at) AS hour, bool_or(is_new) AS touched, count(*) AS n,
               sum(value) AS total, min(value) AS low, max(value) AS high
        FROM readings GROUP BY ALL""", {"low": low, "high": high})
    con.execute(f"""
        DELETE FROM {L}.agg_sensor_hourly AS a WHERE a.hour >= $low AND a.hour < $high AND EXISTS (
            SELECT 1 FROM touched_sensor_hours t WHERE t.touched AND t.sensor_id = a.sensor_id AND t.hour = a.hour)
        """, {"low": low, "high": high}).fetchone()[0]
    hours = con.execute(f"""
        INSERT INTO {L}.agg_sensor_hourly
        SELECT t.sensor_id, s.area_key, t.hour, t.n, t.total / t.n, t.low, t.high
        FROM touched_sensor_hours t LEFT JOIN {L}.dim_sensor s ON s.sensor_id = t.sensor_id
        WHERE t.touched ORDER BY t.hour, t.sensor_id""").fetchone()[0]
    con.execute(f"""
        DELETE FROM {L}.agg_sensor_daily AS a WHERE a.day >= $low AND a.day < $high AND EXISTS (
            SELECT 1 FROM touched_sensor_days t WHERE t.sensor_id = a.sensor_id AND t.day = a.day)
        """, {"low": low, "high": high})
    days = con.execute(f"""
        INSERT INTO {L}.agg_sensor_daily
        SELECT t.sensor_id, any_value(s.area_key), CAST(t.hour AS DATE) AS day, sum(t.n), sum(t.total) / sum(t.n),
               min(t.low), max(t.high)
        FROM touched_sensor_hours t LEFT JOIN {L}.dim_sensor s ON s.sensor_id = t.sensor_id
        GROUP BY t.sensor_id, day ORDER BY day, t.sensor_id""").fetchone()[0]
    device_latest.add_readings(con, new_readings)
    log.info("rollups: %d hourly and %d daily sensor partitions and the sensors' newest readings refreshed "
             "in %.2f s", hours, days, time.perf_counter() - started)


def cameras(con: duckdb.DuckDBPyConnection, new_heartbeats: str) -> None:
    """Refresh agg_camera_latest for the cameras of `new_heartbeats` (fact_camera_status's columns)."""
    device_latest.add_heartbeats(con, new_heartbeats)


def tickets(con: duckdb.DuckDBPyConnection, touched_days: str, new_state: str) -> None:
    """Refresh the ticket rollups (ioc_app/lake/ticket_rollups.py): agg_ticket_daily for the days in
    `touched_days(day)`, agg_ticket_backlog for the tickets of `new_state` (their rows as now written
    to fact_ticket)."""
    con.execute(f"DELETE FROM {L}.agg_ticket_daily WHERE day IN (SELECT day FROM {touched_days})")
    con.execute(f"INSERT INTO {L}.agg_ticket_daily " + ticket_rollups.daily_rows(touched_days))
    con.execute(f"DELETE FROM {L}.agg_ticket_backlog WHERE ticket_id IN (SELECT ticket_id FROM {new_state})")
    con.execute(f"INSERT INTO {L}.agg_ticket_backlog " + ticket_rollups.backlog_rows(new_state))


def indicators(con: duckdb.DuckDBPyConnection, touched_periods: str) -> None:
    """`touched_periods(indicator_code, period)`: rebuild agg_indicator_area for them (rule above)."""
    con.execute(f"DELETE FROM {L}.agg_indicator_area AS a WHERE EXISTS (SELECT 1 FROM {touched_periods} t "
                f"WHERE t.indicator_code = a.indicator_code AND t.period = a.period)")
    con.execute(f"""
        INSERT INTO {L}.agg_indicator_area
        WITH latest AS (
            SELECT f.indicator_code, f.area_key, d.level AS area_level, f.period, f.period_type, f.period_start,
                   f.category_code, f.value
            FROM {L}.fact_indicator_value f
            JOIN {touched_periods} t ON t.indicator_code = f.indicator_code AND t.period = f.period
            JOIN {L}.dim_area d ON d.area_key = f.area_key
            QUALIFY row_number() OVER (PARTITION BY f.indicator_code, f.area_key, f.period, f.category_code
                                       ORDER BY f.approved_at DESC, f.submission_id DESC) = 1
        ), rule AS (
            SELECT indicator_code, aggregation = 'sum' AS additive FROM {L}.dim_indicator
        ), finest_old AS (
            SELECT indicator_code, period, category_code,
                   CASE WHEN bool_or(area_level = 'old_commune') THEN 'old_commune' ELSE 'old_district' END AS level
            FROM latest WHERE area_level IN ('old_commune', 'old_district') GROUP BY ALL
        ), mapped AS (
            SELECT l.indicator_code, c.new_key AS area_key, c.new_level AS level, l.period, l.period_type,
                   l.period_start, l.category_code,
                   CASE WHEN any_value(r.additive) THEN sum(l.value * c.weight)
                        ELSE sum(l.value * c.weight) / nullif(sum(c.weight), 0) END AS value
            FROM latest l
            JOIN {L}.dim_area_crosswalk c ON c.old_key = l.area_key
            JOIN rule r ON r.indicator_code = l.indicator_code
            LEFT JOIN finest_old o ON o.indicator_code = l.indicator_code AND o.period = l.period
                                   AND o.category_code = l.category_code
            WHERE l.area_level = 'old_province' OR l.area_level = o.level
            GROUP BY ALL
        ), communes AS (
            SELECT indicator_code, area_key, period, period_type, period_start, category_code, value
            FROM (
                SELECT indicator_code, area_key, period, period_type, period_start, category_code, value, 1 AS rank
                FROM latest WHERE area_level = 'commune'
                UNION ALL
                SELECT indicator_code, area_key, period, period_type, period_start, category_code, value, 2
                FROM mapped WHERE level = 'commune'
            )
            QUALIFY row_number() OVER (PARTITION BY indicator_code, area_key, period, category_code ORDER BY rank) = 1
        ), province AS (
            SELECT * EXCLUDE (rank) FROM (
                SELECT indicator_code, area_key, period, period_type, period_start, category_code, value, 1 AS rank
                FROM latest WHERE area_level = 'province'
                UNION ALL
                SELECT indicator_code, area_key, period, period_type, period_start, category_code, value, 2
                FROM mapped WHERE level = 'province'
                UNION ALL
                SELECT c.indicator_code, p.area_key, c.period, any_value(c.period_type), any_value(c.period_start),
                       c.category_code,
                       CASE WHEN any_value(r.additive) THEN sum(c.value) ELSE avg(c.value) END, 3
                FROM communes c JOIN rule r ON r.indicator_code = c.indicator_code
                CROSS JOIN (SELECT area_key FROM {L}.dim_area WHERE level = 'province') p
                GROUP BY c.indicator_code, p.area_key, c.period, c.category_code
            )
            QUALIFY row_number() OVER (PARTITION BY indicator_code, period, category_code ORDER BY rank) = 1
        )
        SELECT indicator_code, area_key, 'commune', period, period_type, period_start, category_code, value
        FROM communes
        UNION ALL
        SELECT indicator_code, area_key, 'province', period, period_type, period_start, category_code, value
        FROM province""")
