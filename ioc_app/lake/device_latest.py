"""The newest record of each device, derived from its feed, and how it is (re)built.

- agg_sensor_latest: per sensor, its newest reading (`observed_at`, `value`).
- agg_camera_latest: per camera, its newest heartbeat (`observed_at`), what that heartbeat said
  (`online`) and its newest online heartbeat (`last_online`).

The wall, the overview and the cameras page ask what every device is doing now at each draw.
Read from the feeds, that answer grew with the store (the last hour of 100M readings, a week of
heartbeats: 40 ms each at a province-year); here it is one row per device at any size. The feeds
only append (a reading or a heartbeat is never changed once stored), so a batch's new rows folded
into the stored rows of the devices it touched give the same rows as a rebuild from the feed
(pipelines/rollups.py); a lake that lacks the tables gets them filled from the feeds when its
schema is brought up to date (ioc_app/lake/schema.py).
"""
from __future__ import annotations

import duckdb

from ioc_app.lake.connection import MAIN as L

TABLES = ("agg_sensor_latest", "agg_camera_latest")


def _sensor_rows(readings: str) -> str:
    """SELECT of agg_sensor_latest's rows from the relation `readings(sensor_id, observed_at, value)`."""
    return (f"SELECT sensor_id, max(observed_at), arg_max(value, observed_at) "
            f"FROM {readings} GROUP BY sensor_id")


def _camera_rows(beats: str) -> str:
    """SELECT of agg_camera_latest's rows from the relation `beats(camera_id, observed_at, online,
    last_online)`, where last_online is the beat's own time when it said online."""
    return (f"SELECT camera_id, max(observed_at), arg_max(online, observed_at), max(last_online) "
            f"FROM {beats} GROUP BY camera_id")


def _beats(heartbeats: str) -> str:
    """fact_camera_status's rows of the relation `heartbeats` as `_camera_rows` reads them."""
    return (f"SELECT camera_id, observed_at, online, CASE WHEN online THEN observed_at END AS last_online "
            f"FROM {heartbeats}")


def _replace(con: duckdb.DuckDBPyConnection, table: str, key: str, rows: str) -> None:
    """Make the rows of `table` for the devices in `rows` equal to them."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_next AS {rows}")
    con.execute(f"DELETE FROM {L}.{table} WHERE {key} IN (SELECT {key} FROM {table}_next)")
    con.execute(f"INSERT INTO {L}.{table} SELECT * FROM {table}_next")


def add_readings(con: duckdb.DuckDBPyConnection, new_readings: str) -> None:
    """Fold the readings of the relation `new_readings(sensor_id, observed_at, value)` into agg_sensor_latest."""
    stored = (f"SELECT sensor_id, observed_at, value FROM {L}.agg_sensor_latest "
              f"WHERE sensor_id IN (SELECT sensor_id FROM {new_readings})")
    merged = f"(SELECT sensor_id, observed_at, value FROM {new_readings} UNION ALL {stored})"
    _replace(con, "agg_sensor_latest", "sensor_id", _sensor_rows(merged))


def add_heartbeats(con: duckdb.DuckDBPyConnection, new_heartbeats: str) -> None:
    """Fold the heartbeats of the relation `new_heartbeats` (fact_camera_status's columns) into agg_camera_latest."""
    stored = (f"SELECT camera_id, observed_at, online, last_online FROM {L}.agg_camera_latest "
              f"WHERE camera_id IN (SELECT camera_id FROM {new_heartbeats})")
    merged = f"({_beats(new_heartbeats)} UNION ALL {stored})"
    _replace(con, "agg_camera_latest", "camera_id", _camera_rows(merged))


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Both tables again from every reading and heartbeat, inside the caller's transaction."""
    con.execute(f"DELETE FROM {L}.agg_sensor_latest")
    con.execute(f"INSERT INTO {L}.agg_sensor_latest " + _sensor_rows(f"{L}.fact_sensor_reading"))
    con.execute(f"DELETE FROM {L}.agg_camera_latest")
    con.execute(f"INSERT INTO {L}.agg_camera_latest " + _camera_rows(f"({_beats(f'{L}.fact_camera_status')})"))
