"""One province-year of source files, in the formats the pipelines accept (docs/interfaces.md).

The catalog, the indicator reports (3 years, every indicator) and the ticket generator are
the demo's own (ioc_app.demo); the feeds are stretched to one year and sized by `Volume`:
tickets over the year, cameras with a 15-minute heartbeat all year, sensors with a
5-minute reading all year. Readings are written as one Parquet file per month holding
every sensor (sorted by sensor, then time), as a feed delivers them, so each batch appends
after the stored rows and the loader's dedup reads only its own month.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ioc_app.config import Settings
from ioc_app.demo.cameras import (CAMERAS_MINIMUM, CAMERAS_PER_MILLION, EVENTS, NIGHT_PROFILE, RUSH_PROFILE, build_cameras,
                                  build_status)
from ioc_app.demo.catalog import write_catalog
from ioc_app.demo.context import DemoContext, make_context
from ioc_app.demo.population import Population, build_population
from ioc_app.demo.reports import write_reports
from ioc_app.demo.sensors import PM25_LIMIT, SALINITY_LIMIT, STEP, pm25_series, salinity_series, water_level_series
from ioc_app.demo.spatial import CommuneShapes
from ioc_app.demo.tickets import TICKETS_PER_MILLION, write_tickets
from ioc_app.demo.units import build_units
from ioc_app.demo.writeback_catalog import writeback_catalog
from ioc_app.demo.writers import write_csv, write_json, write_jsonl

END_DATE = date(2026, 11, 20)
YEAR = timedelta(days=365)
READINGS_PER_SENSOR = int(YEAR / STEP)


@dataclass(frozen=True)
class Volume:
    """What one scale holds. 100m is the province-year of issue 7; smaller scales shrink every feed alike."""

    readings: int
    tickets: int
    cameras: int

    @classmethod
    def of(cls, readings: int) -> Volume:
        share = readings / 100_000_000
        return cls(readings, max(1_000, round(2_000_000 * share)), max(5, round(500 * share)))

    @property
    def sensors(self) -> int:
        """Sensors reporting every 5 minutes for a year (2 % extra for the outages dropped)."""
        return max(3, math.ceil(self.readings * 1.02 / READINGS_PER_SENSOR))


@dataclass(frozen=True)
class YearContext(DemoContext):
    """The demo's context with its feeds (and the tickets' requests) spread over one year."""

    @property
    def feed_start(self) -> datetime:
        return self.horizon - YEAR

    @property
    def report_start(self) -> date:
        return (self.horizon - YEAR).date()


def _year_context(ctx: DemoContext, scale: float) -> YearContext:
    values = {f.name: getattr(ctx, f.name) for f in fields(ctx)}
    return YearContext(**{**values, "scale": scale})


def write_sources(settings: Settings, volume: Volume, seed: int, out_dir: Path) -> dict[str, list[Path]]:
    """Write every source file under out_dir; kind -> files in ingestion order."""
    ctx = make_context(settings.province_code, seed, END_DATE, 1.0)
    population = build_population(ctx)
    shapes = CommuneShapes(ctx, settings.geo.boundaries)
    files = write_catalog(ctx, out_dir / "catalog")
    write_json(writeback_catalog(ctx), out_dir / "catalog" / "writeback.json")
    files["reports"] = write_reports(ctx, population, out_dir / "reports")
    tickets_ctx = _year_context(ctx, volume.tickets / (TICKETS_PER_MILLION * ctx.profile.population))
    files["tickets"] = write_tickets(tickets_ctx, population, shapes, build_units(ctx), out_dir / "tickets")
    cameras_ctx = _year_context(ctx, volume.cameras / max(CAMERAS_MINIMUM, CAMERAS_PER_MILLION * ctx.profile.population))
    files["cameras"] = write_cameras(cameras_ctx, population, shapes, out_dir / "cameras")
    files["sensors"] = write_sensors(_year_context(ctx, 1.0), population, shapes, volume.sensors, out_dir / "sensors")
    return files


def _months(times: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(YYYY-MM, boolean mask) for each month of the sorted timestamps."""
    month = times.astype("datetime64[M]")
    return [(str(m), month == m) for m in np.unique(month)]


def write_cameras(ctx: YearContext, pop: Population, shapes: CommuneShapes, out_dir: Path) -> list[Path]:
    cameras = build_cameras(ctx, pop, shapes)
    status = build_status(ctx, cameras)
    written = [write_csv(cameras, out_dir / "cameras.csv")]
    times = status["observed_at"].to_numpy()
    for key, mask in _months(times):
        table = pa.Table.from_pandas(status[mask], preserve_index=False).replace_schema_metadata(None)
        pq.write_table(table, out_dir / f"status_{key}.parquet", compression="zstd")
        written.append(out_dir / f"status_{key}.parquet")
    events = camera_events(ctx, cameras, status)
    for key, mask in _months(events["event_at"].to_numpy()):
        written.append(write_jsonl(events[mask], out_dir / f"events_{key}.jsonl"))
    return written


def camera_events(ctx: YearContext, cameras: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """The demo's analytics events (rates per camera and day, rush-hour or night profiles),
    kept only when the camera was online in that 15-minute slot."""
    rng = ctx.rng("camera-events")
    days = (ctx.horizon - ctx.feed_start).days
    start = np.datetime64(ctx.feed_start, "s")
    parts = []
    for event_type, (kind, rate, detail) in EVENTS.items():
        eligible = cameras if kind == "any" else cameras[cameras["kind"] == kind]
        camera = np.repeat(eligible["camera_id"].to_numpy(), rng.poisson(rate * days, len(eligible)))
        profile = NIGHT_PROFILE if kind == "security" else RUSH_PROFILE
        hour = rng.choice(24, size=len(camera), p=profile / profile.sum())
        offset = rng.integers(0, days, len(camera)) * 86400 + hour * 3600 + rng.integers(0, 3600, len(camera))
        text = [detail.format(n=v) for v in rng.integers(1, 60, len(camera))]
        parts.append(pd.DataFrame({"camera_id": camera, "event_at": start + offset.astype("timedelta64[s]"),
                                   "event_type": event_type, "detail": text}))
    events = pd.concat(parts, ignore_index=True)
    events["observed_at"] = events["event_at"].dt.floor("15min").astype(status["observed_at"].dtype)
    online = status.loc[status["online"], ["camera_id", "observed_at"]]
    events = events.merge(online, on=["camera_id", "observed_at"]).drop(columns="observed_at")
    events = events.drop_duplicates(["camera_id", "event_at", "event_type"])
    return events.sort_values(["event_at", "camera_id", "event_type"], kind="stable").reset_index(drop=True)


def sensor_registry(ctx: DemoContext, pop: Population, shapes: CommuneShapes, count: int) -> pd.DataFrame:
    """`count` stations: salinity (where salinity intrudes), water level and PM2.5 in turn."""
    rng = ctx.rng("bench-sensors")
    kinds = (["salinity"] if ctx.profile.salinity else []) + ["water_level", "pm25"]
    kind = np.array(kinds)[np.arange(count) % len(kinds)]
    urban = pop.communes["urban"].to_numpy()
    weight = pop.communes["pop"].to_numpy() * np.where(urban, 3.0, 1.0)
    commune = rng.choice(pop.communes.index.to_numpy(), size=count, p=weight / weight.sum()).astype(str)
    lat, lon = shapes.sample_many(commune, rng, spread=0.5)
    spec = {"salinity": ("SAL", "Trạm đo mặn", "g/L"), "water_level": ("WL", "Trạm đo mực nước", "m"),
            "pm25": ("PM25", "Trạm quan trắc không khí", "µg/m³")}
    threshold = np.select([kind == "salinity", kind == "pm25"], [SALINITY_LIMIT, PM25_LIMIT],
                          np.round(rng.uniform(1.4, 2.2, count), 2))
    short = pop.communes["short_name"].reindex(commune).to_numpy()
    return pd.DataFrame({
        "sensor_id": [f"{spec[k][0]}-{ctx.province_code}-{i:04d}" for i, k in enumerate(kind, start=1)],
        "name": [f"{spec[k][1]} {s} {i}" for i, (k, s) in enumerate(zip(kind, short), start=1)],
        "kind": kind, "unit": [spec[k][2] for k in kind], "threshold": threshold, "lat": lat, "lon": lon,
        "area_code": commune,
    })


def _values(ctx: YearContext, sensor, times: pd.DatetimeIndex, hours: np.ndarray, months: np.ndarray) -> np.ndarray:
    """One station's year of readings (the demo's tide, season and noise models); NaN during outages."""
    rng = ctx.rng("readings", sensor.sensor_id)
    if sensor.kind == "salinity":
        value = np.round(salinity_series(rng, hours, months, rng.uniform(1.5, 16.0)), 2)
    elif sensor.kind == "water_level":
        value = np.round(water_level_series(ctx, rng, hours, months, sensor.threshold), 3)
    else:
        value = np.round(pm25_series(ctx, rng, times, hours), 1)
    for _ in range(rng.integers(0, 4)):
        begin = rng.integers(0, len(times))
        value[begin:begin + rng.integers(6, 73)] = np.nan
    return value


def write_sensors(ctx: YearContext, pop: Population, shapes: CommuneShapes, count: int, out_dir: Path) -> list[Path]:
    sensors = sensor_registry(ctx, pop, shapes, count)
    times = pd.date_range(ctx.feed_start, ctx.horizon - STEP, freq=STEP)
    hours = (times - pd.Timestamp("2025-01-01")).total_seconds().to_numpy() / 3600
    months = times.month.to_numpy()
    values = np.stack([_values(ctx, sensor, times, hours, months) for sensor in sensors.itertuples(index=False)])
    ids = pa.array(sensors["sensor_id"].to_numpy())
    written = [write_csv(sensors, out_dir / "sensors.csv")]
    stamps = times.to_numpy().astype("datetime64[us]")
    for key, mask in _months(stamps):
        block = values[:, mask]
        keep = ~np.isnan(block.ravel())
        sensor_index = np.repeat(np.arange(len(sensors)), block.shape[1])[keep]
        table = pa.table({"sensor_id": ids.take(pa.array(sensor_index)),
                          "observed_at": pa.array(np.tile(stamps[mask], len(sensors))[keep], pa.timestamp("us")),
                          "value": pa.array(block.ravel()[keep])})
        path = out_dir / f"readings_{key}.parquet"
        pq.write_table(table, path, compression="zstd")
        written.append(path)
    return written
