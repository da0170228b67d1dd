"""The newest sensor reading's, rollup hour's, camera heartbeat's, ticket update's and approved
figure's times, without reading every record where a table is large.

`max(observed_at)` over the feeds reads the whole column (300 ms over a province-year's 100M
readings): the newest reading and heartbeat are the newest of the devices' latest rows
(ioc_app/lake/device_latest.py), one per device. The daily sensor rollup (one row per sensor and
day) gives the newest day; the newest hour is then looked for in that day only, which DuckLake
finds through its files' statistics. Ticket updates are found by `ORDER BY updated_at DESC LIMIT 1`,
whose top-N filter lets DuckDB skip every row group older than the best time found so far.
Approved figures are a few thousand rows. All read the caller's snapshot; each is a query of its
own, so a page's callers share one cached lookup per source (ioc_app.web.query_cache).
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
    return con.execute("SELECT max(observed_at) FROM agg_sensor_latest").fetchone()[0]


def newest_heartbeat(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Time of the newest camera heartbeat round; None while there is none."""
    return con.execute("SELECT max(observed_at) FROM agg_camera_latest").fetchone()[0]


def newest_ticket_update(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Time of the newest ticket update; None while there is no ticket."""
    row = con.execute("SELECT updated_at FROM fact_ticket ORDER BY updated_at DESC NULLS LAST LIMIT 1").fetchone()
    return None if row is None else row[0]


def newest_approval(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """Time of the newest approved figure in the store; None while there is none."""
    return con.execute("SELECT max(approved_at) FROM fact_indicator_value").fetchone()[0]

