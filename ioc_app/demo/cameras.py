"""cameras/: the traffic and security camera registry, 15-minute heartbeats, and analytics events."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ioc_app.demo.context import DemoContext
from ioc_app.demo.population import Population
from ioc_app.demo.profiles import STREETS
from ioc_app.demo.spatial import CommuneShapes
from ioc_app.demo.writers import write_csv, write_jsonl, write_parquet

CAMERA_COLUMNS = ["camera_id", "name", "kind", "lat", "lon", "area_code", "installed_at"]
HEARTBEAT = timedelta(minutes=15)
CAMERAS_MINIMUM = 200
CAMERAS_PER_MILLION = 55
_TRAFFIC_SHARE = 0.6
_SECURITY_PLACES = ("Chợ", "Trung tâm hành chính", "Bến xe", "Công viên", "Quảng trường", "Bệnh viện",
                    "Trường THPT", "Bến phà", "Khu dân cư")
# event type -> (camera kind, events per camera and day, Vietnamese detail)
EVENTS: dict[str, tuple[str, float, str]] = {
    "vehicle_congestion": ("traffic", 1.6, "Ùn tắc phương tiện, hàng chờ khoảng {n} m"),
    "wrong_way_driving": ("traffic", 0.5, "Phương tiện đi ngược chiều, {n} lượt"),
    "red_light_violation": ("traffic", 0.9, "Vượt đèn đỏ, {n} lượt trong 15 phút"),
    "traffic_accident": ("traffic", 0.04, "Nghi có va chạm giao thông, {n} phương tiện dừng bất thường"),
    "loitering": ("security", 0.7, "Đối tượng lảng vảng quá {n} phút"),
    "crowd_gathering": ("security", 0.3, "Tụ tập đông người, khoảng {n} người"),
    "intrusion": ("security", 0.08, "Xâm nhập khu vực cấm sau giờ quy định ({n} người)"),
    "camera_tampering": ("any", 0.02, "Camera bị che khuất hoặc xoay lệch hướng {n}°"),
}
RUSH_PROFILE = np.array([0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 1.2, 2.5, 2.0, 1.0, 0.8, 1.0, 1.1, 0.9, 0.8, 1.0, 1.6, 2.6,
                  2.2, 1.3, 0.9, 0.6, 0.3, 0.2])
NIGHT_PROFILE = np.array([1.2, 1.2, 1.0, 0.8, 0.5, 0.4, 0.4, 0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.8, 0.9, 1.0,
                   1.2, 1.4, 1.6, 1.8, 1.7, 1.5])


def build_cameras(ctx: DemoContext, pop: Population, shapes: CommuneShapes) -> pd.DataFrame:
    rng = ctx.rng("cameras")
    n = ctx.count(max(CAMERAS_MINIMUM, CAMERAS_PER_MILLION * ctx.profile.population), minimum=4)
    kind = np.where(rng.random(n) < _TRAFFIC_SHARE, "traffic", "security")
    urban = pop.communes["urban"].to_numpy()
    weight = pop.communes["pop"].to_numpy() * np.where(urban, 5.0, 1.0)
    commune = rng.choice(pop.communes.index.to_numpy(), size=n, p=weight / weight.sum()).astype(str)
    order = np.lexsort((kind, commune))
    kind, commune = kind[order], commune[order]
    lat, lon = shapes.sample_many(commune, rng, spread=0.7)
    short = pop.communes["short_name"].reindex(commune).to_numpy()
    road = np.array(ctx.profile.roads, dtype=object)[rng.integers(0, len(ctx.profile.roads), n)]
    street = np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), n)]
    place = np.array(_SECURITY_PLACES, dtype=object)[rng.integers(0, len(_SECURITY_PLACES), n)]
    names = [
        f"Nút giao {r} - {s}, {c}" if k == "traffic" else f"{p} {c}"
        for k, r, s, p, c in zip(kind, road, street, place, short)
    ]
    repeat = pd.Series(names).groupby(names).cumcount().to_numpy() + 1
    names = [name if k == 1 else f"{name} ({k})" for name, k in zip(names, repeat)]
    feed_start = pd.Timestamp(ctx.feed_start)
    days_before = rng.integers(30, 5 * 365, n)
    recent = rng.random(n) < 0.02
    installed = np.where(recent, feed_start + pd.to_timedelta(rng.integers(1, 25, n), unit="D"),
                         feed_start - pd.to_timedelta(days_before, unit="D"))
    return pd.DataFrame({
        "camera_id": [f"CAM-{ctx.province_code}-{i:04d}" for i in range(1, n + 1)],
        "name": names, "kind": kind, "lat": lat, "lon": lon, "area_code": commune,
        "installed_at": pd.to_datetime(installed).strftime("%Y-%m-%d"),
    })


def build_status(ctx: DemoContext, cameras: pd.DataFrame) -> pd.DataFrame:
    """Heartbeats every 15 minutes; outages of hours, a few cameras down at the end, some flaky."""
    rng = ctx.rng("camera-status")
    slots = pd.date_range(ctx.feed_start, ctx.horizon - HEARTBEAT, freq=HEARTBEAT).to_numpy()
    n_cam, n_slot = len(cameras), len(slots)
    online = np.ones((n_cam, n_slot), dtype=bool)
    per_hour = int(timedelta(hours=1) / HEARTBEAT)
    for i in range(n_cam):
        for _ in range(rng.poisson(0.8)):
            start = rng.integers(0, n_slot)
            online[i, start:start + int(rng.lognormal(np.log(4), 0.7) * per_hour) + 1] = False
    down_now = rng.choice(n_cam, size=max(1, round(0.02 * n_cam)), replace=False)
    for i in down_now:
        online[i, n_slot - int(rng.uniform(3, 60) * per_hour):] = False
    flaky = rng.choice(np.setdiff1d(np.arange(n_cam), down_now), size=max(1, round(0.01 * n_cam)), replace=False)
    online[flaky] &= rng.random((len(flaky), n_slot)) > 0.25
    installed = pd.to_datetime(cameras["installed_at"]).to_numpy()
    present = slots[None, :] >= installed[:, None]
    camera = np.repeat(cameras["camera_id"].to_numpy(), n_slot)
    frame = pd.DataFrame({"camera_id": camera, "observed_at": np.tile(slots, n_cam), "online": online.ravel()})
    frame = frame[present.ravel()].reset_index(drop=True)
    frame["observed_at"] = frame["observed_at"].astype("datetime64[us]")
    return frame


def build_events(ctx: DemoContext, cameras: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    rng = ctx.rng("camera-events")
    days = (ctx.horizon - ctx.feed_start).days
    start = np.datetime64(ctx.feed_start, "s")
    up = status[status["online"]]
    up_keys = set(zip(up["camera_id"], up["observed_at"].to_numpy().astype("datetime64[s]")))
    parts = []
    for event_type, (kind, rate, detail) in EVENTS.items():
        eligible = cameras if kind == "any" else cameras[cameras["kind"] == kind]
        counts = rng.poisson(rate * days, len(eligible))
        camera = np.repeat(eligible["camera_id"].to_numpy(), counts)
        total = len(camera)
        profile = NIGHT_PROFILE if kind == "security" else RUSH_PROFILE
        hour = rng.choice(24, size=total, p=profile / profile.sum())
        offset = rng.integers(0, days, total) * 86400 + hour * 3600 + rng.integers(0, 3600, total)
        at = start + offset.astype("timedelta64[s]")
        size = {"vehicle_congestion": (50, 600), "loitering": (10, 60), "crowd_gathering": (15, 120),
                "camera_tampering": (15, 90)}.get(event_type, (1, 12))
        text = [detail.format(n=v) for v in rng.integers(size[0], size[1], total)]
        parts.append(pd.DataFrame({"camera_id": camera, "event_at": at, "event_type": event_type, "detail": text}))
    events = pd.concat(parts, ignore_index=True)
    slot = events["event_at"].to_numpy().astype("datetime64[m]")
    slot = (slot - (slot.astype(int) % 15).astype("timedelta64[m]")).astype("datetime64[s]")
    keep = [(c, s) in up_keys for c, s in zip(events["camera_id"], slot)]
    events = events[keep]
    return events.sort_values(["event_at", "camera_id", "event_type"], kind="stable").reset_index(drop=True)


def write_cameras(ctx: DemoContext, pop: Population, shapes: CommuneShapes, out_dir: Path) -> list[Path]:
    cameras = build_cameras(ctx, pop, shapes)
    status = build_status(ctx, cameras)
    events = build_events(ctx, cameras, status)
    written = [write_csv(cameras, out_dir / "cameras.csv")]
    month = status["observed_at"].dt.strftime("%Y-%m")
    for key, part in status.groupby(month, sort=True):
        written.append(write_parquet(part.reset_index(drop=True), out_dir / f"status_{key}.parquet"))
    event_month = events["event_at"].dt.strftime("%Y-%m")
    for key, part in events.groupby(event_month, sort=True):
        written.append(write_jsonl(part, out_dir / f"events_{key}.jsonl"))
    return written
