"""The newest sensor reading's, rollup hour's and camera heartbeat's times, without reading
every record.

`max(observed_at)` reads the whole column: 30 ms at 10M readings, ten times that at a
province-year's 100M; 40 ms over a year of heartbeats, 23 ms over the 8.5M hourly rollup rows.
The daily sensor rollup (one row per sensor and day) gives the newest day; the newest reading
and the newest hour are then looked for in that day only, which DuckLake finds through its
files' statistics. Heartbeats have no rollup: `ORDER BY observed_at DESC LIMIT 1` lets DuckDB's
top-N filter skip every row group older than the best time found so far (10 ms at a year).
All read the caller's snapshot.
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
    row = con.execute("SELECT observed_at FROM fact_camera_status "
                      "ORDER BY observed_at DESC NULLS LAST LIMIT 1").fetchone()
    return None if row is None else row[0]
