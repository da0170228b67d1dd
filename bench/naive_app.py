"""The approach most Dash apps take, for comparison: every worker loads the facts into pandas
DataFrames at start and filters them per request. The same answers as a few product callbacks
(overview tiles and map, feedback summary, a sensor's hourly series, the wall's latest readings).

    IOC_CONFIG=... gunicorn --worker-class gthread --workers 2 --threads 4 'bench.naive_app:create()'
"""
from __future__ import annotations

import os
import time

import pandas as pd
from flask import Flask, jsonify, request

from ioc_app.config import load_settings

# endpoint -> the product query functions that give the same answer
ANSWERS = {
    "overview_tiles": ("tickets_summary", "cameras_summary", "sensors_summary"),
    "overview_map": ("commune_tickets",),
    "feedback_summary": ("summary",),
    "sensor_series": ("sensor_series",),
    "wall_sensors": ("sensor_latest",),
}


def _load(con, sql: str, categorical: tuple[str, ...] = (), params: list | None = None) -> pd.DataFrame:
    table = con.execute(sql, params or []).arrow()
    if hasattr(table, "read_all"):
        table = table.read_all()
    for name in categorical:
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, table.column(name).dictionary_encode())
    return table.to_pandas()


class Frames:
    """Every fact the endpoints need, in memory."""

    def __init__(self) -> None:
        from ioc_app.lake import connect

        started = time.perf_counter()
        settings = load_settings()
        with connect(settings, read_only=True) as con:
            con.execute("USE lake")
            self.tickets = _load(con, "SELECT ticket_id, service_code, status, requested_at, updated_at, "
                                 "expected_at, closed_at, area_key, agency, satisfaction FROM fact_ticket",
                                 ("service_code", "status", "area_key", "agency"))
            self.readings = _load(con, "SELECT sensor_id, observed_at, value FROM fact_sensor_reading", ("sensor_id",))
            self.status = _load(con, "SELECT camera_id, observed_at, online FROM fact_camera_status", ("camera_id",))
            self.sensors = _load(con, "SELECT sensor_id, name, kind, threshold, area_key FROM dim_sensor")
            self.cameras = _load(con, "SELECT camera_id, area_key FROM dim_camera")
            self.communes = _load(con, "SELECT area_key, code, name FROM dim_area WHERE level = 'commune' "
                                  "AND province_code = ?", params=[settings.province_code])
        self.load_seconds = time.perf_counter() - started

    def latest_readings(self) -> pd.DataFrame:
        now = self.readings["observed_at"].max()
        recent = self.readings[self.readings["observed_at"] >= now - pd.Timedelta(minutes=60)]
        latest = recent.sort_values("observed_at").groupby("sensor_id", observed=True).last().reset_index()
        return self.sensors.merge(latest, on="sensor_id", how="left")

    def overview_tiles(self) -> dict:
        t = self.tickets
        as_of = t["updated_at"].max()
        is_open = t["status"] != "closed"
        now = self.status["observed_at"].max()
        recent = self.status[self.status["observed_at"] >= now - pd.Timedelta(days=1)]
        last = recent.sort_values("observed_at").groupby("camera_id", observed=True).last()
        online = last["online"] & (last["observed_at"] >= now - pd.Timedelta(minutes=30))
        latest = self.latest_readings()
        over = (latest["value"] > latest["threshold"]).groupby(latest["kind"]).sum()
        return {"open": int(is_open.sum()), "overdue": int((is_open & (t["expected_at"] < as_of)).sum()),
                "cameras": len(self.cameras), "online": int(online.sum()),
                "sensors_over": {k: int(v) for k, v in over.items()}}

    def overview_map(self) -> list[dict]:
        t = self.tickets
        as_of = t["updated_at"].max()
        is_open = t["status"] != "closed"
        frame = pd.DataFrame({"area_key": t["area_key"].astype(str), "open": is_open,
                              "overdue": is_open & (t["expected_at"] < as_of),
                              "received": t["requested_at"] >= as_of - pd.Timedelta(days=30)})
        counts = frame.groupby("area_key").sum()
        return self.communes.merge(counts, left_on="area_key", right_index=True, how="left").fillna(0).to_dict("records")

    def feedback_summary(self, days: int, service: str | None) -> dict:
        t = self.tickets if service is None else self.tickets[self.tickets["service_code"] == service]
        as_of = self.tickets["updated_at"].max()
        start = as_of.normalize() - pd.Timedelta(days=days - 1)
        received = t[t["requested_at"] >= start]
        closed = t[(t["status"] == "closed") & (t["closed_at"] >= start) & (t["closed_at"] <= as_of)]
        is_open = t["status"] != "closed"
        return {"received": len(received), "open": int(is_open.sum()),
                "overdue": int((is_open & (t["expected_at"] < as_of)).sum()), "closed": len(closed),
                "on_time": int((closed["closed_at"] <= closed["expected_at"]).sum()),
                "mean_days": float((closed["closed_at"] - closed["requested_at"]).dt.total_seconds().mean() / 86400),
                "satisfaction": float(closed["satisfaction"].mean())}

    def sensor_series(self, sensor_id: str) -> list[dict]:
        r = self.readings[self.readings["sensor_id"] == sensor_id]
        newest = self.readings["observed_at"].max().floor("h")
        r = r[r["observed_at"] > newest - pd.Timedelta(days=7)]
        hourly = r.set_index("observed_at")["value"].resample("h").agg(["mean", "max"]).dropna()
        return hourly.reset_index().to_dict("records")


def create() -> Flask:
    frames = Frames()
    app = Flask(__name__)

    @app.get("/naive/health")
    def health():
        return jsonify(pid=os.getpid(), load_seconds=frames.load_seconds)

    @app.get("/naive/overview_tiles")
    def overview_tiles():
        return jsonify(frames.overview_tiles())

    @app.get("/naive/overview_map")
    def overview_map():
        return jsonify(frames.overview_map())

    @app.get("/naive/feedback_summary")
    def feedback_summary():
        return jsonify(frames.feedback_summary(int(request.args.get("days", 30)), request.args.get("service")))

    @app.get("/naive/sensor_series")
    def sensor_series():
        return jsonify(frames.sensor_series(request.args["sensor"]))

    @app.get("/naive/wall_sensors")
    def wall_sensors():
        return jsonify(frames.latest_readings().to_dict("records"))

    return app
