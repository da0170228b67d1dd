"""sensors/: environment monitoring stations and their 5-minute readings.

Salinity at river water intakes (Mekong delta and low coastal plains), water level (tidal
on the coast and in the delta, rain-driven rivers inland) and PM2.5 in the towns.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ioc_app.demo.context import DemoContext
from ioc_app.demo.population import Population
from ioc_app.demo.profiles import MOUNTAINS, RED_RIVER
from ioc_app.demo.spatial import CommuneShapes
from ioc_app.demo.writers import write_csv, write_parquet

SENSOR_COLUMNS = ["sensor_id", "name", "kind", "unit", "threshold", "lat", "lon", "area_code"]
STEP = timedelta(minutes=5)
SALINITY_LIMIT = 4.0  # g/L: above it the water is unfit for most crops and for treatment plants
PM25_LIMIT = 50.0  # µg/m³, 24-hour national technical regulation QCVN 05:2023/BTNMT
# Hours of the main tidal constituents: M2 (principal lunar), S2 (solar), K1 (diurnal).
_TIDES = ((12.42, 1.0), (12.0, 0.4), (23.93, 0.5))
# Salinity relative to its dry-season peak, by month (January first).
_SALINITY_SEASON = np.array([0.7, 0.9, 1.0, 0.95, 0.7, 0.35, 0.2, 0.15, 0.15, 0.2, 0.3, 0.5])
_PM_DIURNAL = np.array([0.8, 0.75, 0.7, 0.7, 0.75, 0.9, 1.2, 1.5, 1.4, 1.1, 0.95, 0.9, 0.85, 0.85, 0.85, 0.9,
                        1.05, 1.35, 1.5, 1.4, 1.2, 1.0, 0.9, 0.85])


@dataclass(frozen=True)
class Kind:
    code: str
    prefix: str
    name: str
    unit: str
    count: int


def _kinds(ctx: DemoContext) -> list[Kind]:
    kinds = []
    if ctx.profile.salinity:
        kinds.append(Kind("salinity", "SAL", "Trạm đo mặn", "g/L", ctx.count(8)))
    kinds.append(Kind("water_level", "WL", "Trạm đo mực nước", "m", ctx.count(6)))
    kinds.append(Kind("pm25", "PM25", "Trạm quan trắc không khí", "µg/m³", ctx.count(8)))
    return kinds


def build_sensors(ctx: DemoContext, pop: Population, shapes: CommuneShapes) -> pd.DataFrame:
    rng = ctx.rng("sensors")
    communes = pop.communes.index.to_numpy()
    urban = pop.communes["urban"].to_numpy()
    frames = []
    for kind in _kinds(ctx):
        if kind.code == "pm25":
            weight = pop.communes["pop"].to_numpy() * np.where(urban, 6.0, 1.0)
        else:
            weight = pop.communes["area_km2"].to_numpy() * np.where(urban, 0.3, 1.0)
        picked = rng.choice(communes, size=min(kind.count, len(communes)), replace=False, p=weight / weight.sum())
        picked = np.sort(picked.astype(str))
        lat, lon = shapes.sample_many(picked, rng, spread=0.5)
        if kind.code == "salinity":
            threshold = np.full(len(picked), SALINITY_LIMIT)
        elif kind.code == "pm25":
            threshold = np.full(len(picked), PM25_LIMIT)
        else:
            threshold = np.round(rng.uniform(1.4, 2.2, len(picked)), 2)
        frames.append(pd.DataFrame({
            "sensor_id": [f"{kind.prefix}-{ctx.province_code}-{i:02d}" for i in range(1, len(picked) + 1)],
            "name": [f"{kind.name} {short}" for short in pop.communes["short_name"].reindex(picked)],
            "kind": kind.code, "unit": kind.unit, "threshold": threshold, "lat": lat, "lon": lon,
            "area_code": picked,
        }))
    return pd.concat(frames, ignore_index=True)


def _smooth_noise(rng: np.random.Generator, hours: np.ndarray, sd: float, memory: float = 0.9) -> np.ndarray:
    """Hourly AR(1) noise with standard deviation sd, interpolated to the reading times."""
    knots = np.arange(np.floor(hours[0]), np.ceil(hours[-1]) + 2)
    shocks = rng.normal(0, sd * np.sqrt(1 - memory**2), len(knots))
    walk = np.empty(len(knots))
    walk[0] = rng.normal(0, sd)
    for i in range(1, len(knots)):
        walk[i] = memory * walk[i - 1] + shocks[i]
    return np.interp(hours, knots, walk) + rng.normal(0, sd / 4, len(hours))


def _tide(hours: np.ndarray, lag: float) -> np.ndarray:
    """Sum of constituents scaled to about -1..1; the spring-neap cycle falls out of M2 + S2."""
    total = sum(amp * np.cos(2 * np.pi * (hours - lag) / period) for period, amp in _TIDES)
    return total / sum(amp for _, amp in _TIDES)


def water_level_series(ctx: DemoContext, rng: np.random.Generator, hours: np.ndarray, months: np.ndarray,
                       threshold: float) -> np.ndarray:
    if ctx.profile.tidal:
        amplitude = rng.uniform(0.9, 1.4)
        mean = threshold - amplitude * rng.uniform(0.75, 1.0)
        king_tide = np.where(np.isin(months, (9, 10, 11)), 0.18, 0.0)
        return mean + king_tide + amplitude * _tide(hours, rng.uniform(0, 3)) + _smooth_noise(rng, hours, 0.01)
    base = threshold - rng.uniform(1.0, 1.6)
    level = base + _smooth_noise(rng, hours, 0.05)
    wet = np.isin(months, (5, 6, 7, 8, 9, 10))
    for start in rng.uniform(hours[0], hours[-1], rng.poisson(6 if wet.mean() > 0.5 else 2)):
        rise = rng.uniform(0.4, 2.0)
        after = hours - start
        level += np.where(after > 0, rise * (1 - np.exp(-after / 3)) * np.exp(-after / 30), 0.0)
    return level


def salinity_series(rng: np.random.Generator, hours: np.ndarray, months: np.ndarray, peak: float) -> np.ndarray:
    tide = (_tide(hours, rng.uniform(1, 4)) + 1) / 2
    value = peak * _SALINITY_SEASON[months - 1] * (0.55 + 0.45 * tide) * np.exp(_smooth_noise(rng, hours, 0.08))
    return np.clip(value, 0.0, None)


def pm25_series(ctx: DemoContext, rng: np.random.Generator, times: pd.DatetimeIndex, hours: np.ndarray) -> np.ndarray:
    months = times.month.to_numpy()
    north = ctx.profile.region in (RED_RIVER, MOUNTAINS)
    dry = np.isin(months, (11, 12, 1, 2, 3))
    season = np.where(dry, 1.5 if north else 1.15, 0.85)
    weekday = np.where(times.day_of_week.to_numpy() >= 5, 0.85, 1.0)
    base = ctx.profile.levels["pm25"] * rng.uniform(0.8, 1.25)
    value = base * season * _PM_DIURNAL[times.hour.to_numpy()] * weekday * np.exp(_smooth_noise(rng, hours, 0.3))
    return np.clip(value, 2.0, None)


def build_readings(ctx: DemoContext, sensors: pd.DataFrame) -> pd.DataFrame:
    times = pd.date_range(ctx.feed_start, ctx.horizon - STEP, freq=STEP)
    hours = (times - pd.Timestamp("2025-01-01")).total_seconds().to_numpy() / 3600
    months = times.month.to_numpy()
    frames = []
    for sensor in sensors.itertuples(index=False):
        rng = ctx.rng("readings", sensor.sensor_id)
        if sensor.kind == "salinity":
            estuary = rng.random() < 0.25
            peak = rng.uniform(13.0, 20.0) if estuary else rng.uniform(1.5, 9.0)
            value = np.round(salinity_series(rng, hours, months, peak), 2)
        elif sensor.kind == "water_level":
            value = np.round(water_level_series(ctx, rng, hours, months, sensor.threshold), 3)
        else:
            value = np.round(pm25_series(ctx, rng, times, hours), 1)
        keep = np.ones(len(times), dtype=bool)
        for _ in range(rng.integers(0, 4)):
            start = rng.integers(0, len(times))
            keep[start:start + rng.integers(6, 73)] = False
        frames.append(pd.DataFrame({"sensor_id": sensor.sensor_id, "observed_at": times[keep], "value": value[keep]}))
    frame = pd.concat(frames, ignore_index=True)
    frame["observed_at"] = frame["observed_at"].astype("datetime64[us]")
    return frame


def write_sensors(ctx: DemoContext, pop: Population, shapes: CommuneShapes, out_dir: Path) -> list[Path]:
    sensors = build_sensors(ctx, pop, shapes)
    readings = build_readings(ctx, sensors)
    written = [write_csv(sensors, out_dir / "sensors.csv")]
    month = readings["observed_at"].dt.strftime("%Y-%m")
    for key, part in readings.groupby(month, sort=True):
        written.append(write_parquet(part.reset_index(drop=True), out_dir / f"readings_{key}.parquet"))
    return written
