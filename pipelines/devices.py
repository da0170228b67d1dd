"""Camera and sensor feeds. One kind each; the file's columns tell which table it feeds:
registry (dim_camera / dim_sensor), heartbeats / readings, or camera events."""
from __future__ import annotations

import logging
import time

import pandas as pd
import pyarrow as pa

from pipelines import rollups
from pipelines.areas import AreaIndex
from pipelines.batch import Batch, LoadResult
from pipelines.checks import Checker
from pipelines.readers import require_columns
from pipelines.store import append_new, insert_rows, new_rows, stage, time_range, upsert

log = logging.getLogger("ioc.pipelines")

CAMERA_KINDS = ("traffic", "security")
SENSOR_KINDS = ("salinity", "water_level", "pm25")


def _registry_area(batch: Batch, check: Checker) -> tuple[pd.Series, pd.Series, pd.Series]:
    """lat, lon and area_key of a registry row: its current area_code, else the commune at its coordinates."""
    lat = check.number("lat", low=-90, high=90)
    lon = check.number("lon", low=-180, high=180)
    index = AreaIndex(batch.con, batch.settings)
    area_code = check.optional("area_code")
    from_code = index.current_key(area_code)
    check.flag(area_code.notna() & from_code.isna(), "area_code", "unknown area_code")
    located = index.locate(lat, lon)
    check.flag(lat.notna() & lon.notna() & located.isna(), "lat", "coordinates outside the province")
    return lat, lon, from_code.where(area_code.notna(), located)


def _known_ids(batch: Batch, table: str, column: str) -> set[str]:
    return {row[0] for row in batch.con.execute(f"SELECT {column} FROM lake.main.{table}").fetchall()}


def _camera_registry(batch: Batch, table: pd.DataFrame) -> LoadResult:
    require_columns(table, batch.path, ["camera_id", "name", "kind", "lat", "lon"])
    check = Checker(table)
    camera_id = check.required("camera_id")
    lat, lon, area_key = _registry_area(batch, check)
    cameras = pd.DataFrame({
        "camera_id": camera_id, "name": check.required("name"),
        "kind": check.choice(check.required("kind"), "kind", CAMERA_KINDS), "lat": lat, "lon": lon,
        "area_key": area_key, "installed_at": check.timestamp("installed_at", required=False),
    })
    check.duplicates([camera_id], "camera_id")
    staged = stage(batch.con, "stage_camera", "dim_camera", cameras[check.valid()])
    return LoadResult(len(table), upsert(batch.con, "dim_camera", staged, ["camera_id"]), check.problems())


def _camera_status(batch: Batch, table: pd.DataFrame) -> LoadResult:
    require_columns(table, batch.path, ["camera_id", "observed_at", "online"])
    check = Checker(table)
    camera_id = check.required("camera_id")
    check.known(camera_id, "camera_id", _known_ids(batch, "dim_camera", "camera_id"), "camera_id")
    observed_at = check.timestamp("observed_at")
    online = check.boolean("online")
    check.duplicates([camera_id, observed_at], "observed_at")
    status = batch.with_lineage(pd.DataFrame({"camera_id": camera_id, "observed_at": observed_at,
                                              "online": online})[check.valid()])
    staged = stage(batch.con, "stage_camera_status", "fact_camera_status", status)
    loaded = append_new(batch.con, "fact_camera_status", staged, ["camera_id", "observed_at"],
                        time_range(status, "observed_at"), "observed_at, camera_id")
    if loaded:
        rollups.cameras(batch.con, f"{staged}_new")
    return LoadResult(len(table), loaded, check.problems())


def _camera_events(batch: Batch, table: pd.DataFrame) -> LoadResult:
    require_columns(table, batch.path, ["camera_id", "event_at", "event_type"])
    check = Checker(table)
    camera_id = check.required("camera_id")
    check.known(camera_id, "camera_id", _known_ids(batch, "dim_camera", "camera_id"), "camera_id")
    event_at = check.timestamp("event_at")
    event_type = check.required("event_type")
    check.duplicates([camera_id, event_at, event_type], "event_at")
    events = batch.with_lineage(pd.DataFrame({"camera_id": camera_id, "event_at": event_at, "event_type": event_type,
                                              "detail": check.optional("detail")})[check.valid()])
    staged = stage(batch.con, "stage_camera_event", "fact_camera_event", events)
    loaded = append_new(batch.con, "fact_camera_event", staged, ["camera_id", "event_at", "event_type"],
                        time_range(events, "event_at"), "event_at, camera_id")
    return LoadResult(len(table), loaded, check.problems())


def load_cameras(batch: Batch, table: pd.DataFrame) -> LoadResult:
    columns = set(table.columns)
    if columns & {"observed_at", "online"}:
        return _camera_status(batch, table)
    if columns & {"event_at", "event_type"}:
        return _camera_events(batch, table)
    return _camera_registry(batch, table)


def _sensor_registry(batch: Batch, table: pd.DataFrame) -> LoadResult:
    require_columns(table, batch.path, ["sensor_id", "name", "kind", "unit", "lat", "lon"])
    check = Checker(table)
    sensor_id = check.required("sensor_id")
    lat, lon, area_key = _registry_area(batch, check)
    sensors = pd.DataFrame({
        "sensor_id": sensor_id, "name": check.required("name"),
        "kind": check.choice(check.required("kind"), "kind", SENSOR_KINDS), "unit": check.required("unit"),
        "threshold": check.number("threshold", required=False), "lat": lat, "lon": lon, "area_key": area_key,
    })
    check.duplicates([sensor_id], "sensor_id")
    staged = stage(batch.con, "stage_sensor", "dim_sensor", sensors[check.valid()])
    return LoadResult(len(table), upsert(batch.con, "dim_sensor", staged, ["sensor_id"]), check.problems())


def _sensor_readings(batch: Batch, table: pd.DataFrame) -> LoadResult:
    """Readings arrive by the million: ids are checked once per distinct id, the valid rows go
    to DuckDB as Arrow (no copy per row), and the rollups are refreshed before the insert."""
    require_columns(table, batch.path, ["sensor_id", "observed_at", "value"])
    started = time.perf_counter()
    check = Checker(table)
    sensor_id = check.required_category("sensor_id")
    check.known(sensor_id, "sensor_id", _known_ids(batch, "dim_sensor", "sensor_id"), "sensor_id")
    observed_at = check.timestamp("observed_at")
    value = check.number("value")
    check.duplicates([sensor_id, observed_at], "observed_at")
    readings = pd.DataFrame({"sensor_id": sensor_id, "observed_at": observed_at, "value": value})
    valid = check.valid()
    if not valid.all():
        readings = readings[valid]
    log.info("sensor readings: %d rows checked, %d valid in %.2f s", len(table), len(readings),
             time.perf_counter() - started)
    con = batch.con
    con.register("batch_sensor_reading", pa.Table.from_pandas(readings, preserve_index=False))
    try:
        new = new_rows(con, "fact_sensor_reading", "batch_sensor_reading", ["sensor_id", "observed_at"],
                       time_range(readings, "observed_at"))
        rollups.sensors(con, new)
        loaded = insert_rows(con, "fact_sensor_reading", new, [batch.batch_id, batch.source, batch.started_at],
                             "observed_at, sensor_id")
    finally:
        con.unregister("batch_sensor_reading")
    return LoadResult(len(table), loaded, check.problems())


def load_sensors(batch: Batch, table: pd.DataFrame) -> LoadResult:
    if set(table.columns) & {"observed_at", "value"}:
        return _sensor_readings(batch, table)
    return _sensor_registry(batch, table)
