"""The newest sensor reading's, rollup hour's, camera heartbeat's, ticket update's and approved
figure's times, without reading every record where a table is large.

`max(observed_at)` reads the whole column: 30 ms at 10M readings, ten times that at a
province-year's 100M; 40 ms over a year of heartbeats, 23 ms over the 8.5M hourly rollup rows.
The daily sensor rollup (one row per sensor and day) gives the newest day; the newest reading
and the newest hour are then looked for in that day only, which DuckLake finds through its
files' statistics. Heartbeats have no rollup: `ORDER BY observed_at DESC LIMIT 1` lets DuckDB's
top-N filter skip every row group older than the best time found so far (10 ms at a year);
ticket updates are found the same way. Approved figures are a few thousand rows.
All read the caller's snapshot; each is a query of its own, so a page's callers share one
cached lookup per source (ioc_app.web.query_cache).
"""
from __future__ import annotations

from datetime import date, datetime

import duckdb


def newest_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """Day of the newest sensor reading (the daily rollup's newest day); None while there is none."""
    return con.execute("SELECT max(day) FROM agg_sensor_daily").fetchone()[0]


def newest_hour(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Newest hour of the hourly rollup, looked for in the newest day only."""
    day = newest_day(con)
    if day is None:
        return None
    return con.execute("SELECT max(hour) FROM agg_sensor_hourly WHERE hour >= ?", [day]).fetchone()[0]


def newest_reading(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Time of the newest sensor reading; None while there is none."""
    day = newest_day(con)
    if day is None:
        return None
    return con.execute("SELECT max(observed_at) FROM fact_sensor_reading WHERE observed_at >= ?",
                       [day]).fetchone()[0]


def newest_heartbeat(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Time of the newest camera heartbeat round; None while there is none."""
    return _top_time(con, "fact_camera_status", "observed_at")


def newest_ticket_update(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Time of the newest ticket update; None while there is no ticket."""
    return _top_time(con, "fact_ticket", "updated_at")


def newest_approval(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Time of the newest approved figure in the store; None while there is none."""
    return con.execute("SELECT max(approved_at) FROM fact_indicator_value").fetchone()[0]


def _top_time(con: duckdb.DuckDBPyConnection, table: str, column: str) -> datetime | None:
    """The newest `column` of `table` by top-N, which skips the row groups older than the best found."""
    row = con.execute(f"SELECT {column} FROM {table} ORDER BY {column} DESC NULLS LAST LIMIT 1").fetchone()
    return None if row is None else row[0]
