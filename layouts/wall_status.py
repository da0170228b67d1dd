"""What the wall raises: alerts from the thresholds in config.yaml, and how late each source is."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from ioc_app.config import SourceSettings, WallAlerts
from ioc_app.web.i18n import TEXTS, number, percent, t

# Amber once the newest record is older than the source's late_after_minutes, red at this many times it.
RED_FACTOR = 2
_ICT_OFFSET_MS = 7 * 3600 * 1000
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Alert:
    """One crossed threshold: what, where (commune area keys, first = the worst) and the figures."""

    kind: str  # sensor | tickets | cameras
    area_keys: tuple[str, ...]
    values: dict = field(default_factory=dict)


def _present(value):
    return None if value is None or pd.isna(value) else value


def sensor_alerts(limits: dict[str, float | str], sensors: pd.DataFrame) -> list[Alert]:
    """Sensors whose newest reading is above the configured limit of their kind, worst first."""
    found = []
    for row in sensors.to_dict("records"):
        limit = limits.get(row["kind"])
        value = _present(row["value"])
        if limit is None or value is None:
            continue
        limit = row["threshold"] if limit == "station" else float(limit)
        if _present(limit) is not None and limit > 0 and value > limit:
            found.append((value / limit, Alert("sensor", (row["area_key"],), {
                "sensor_id": row["sensor_id"], "kind": row["kind"], "value": value, "limit": limit,
                "unit": row["unit"], "station": row["name"], "place": row["area_name"]})))
    return [alert for _, alert in sorted(found, key=lambda pair: -pair[0])]


def ticket_alerts(most_overdue: int, communes: pd.DataFrame) -> list[Alert]:
    """Communes with more overdue tickets than allowed, most overdue first."""
    over = communes[communes["overdue"] > most_overdue].sort_values(["overdue", "code"], ascending=[False, True])
    return [Alert("tickets", (row["area_key"],), {"n": int(row["overdue"]), "place": row["name"]})
            for row in over.to_dict("records")]


def camera_alerts(offline_percent: float, cameras: pd.DataFrame) -> list[Alert]:
    """One alert when too large a share of the cameras is offline; its places are the communes with
    offline cameras, the one with most of them first."""
    total = len(cameras)
    offline = cameras[~cameras["online"].astype(bool)]
    if not total or len(offline) * 100 <= offline_percent * total:
        return []
    per_area = (offline.groupby(["area_key", "area_name"], dropna=False).size().reset_index(name="n")
                .sort_values(["n", "area_key"], ascending=[False, True]))
    return [Alert("cameras", tuple(per_area["area_key"]), {
        "offline": len(offline), "total": total, "share": len(offline) / total,
        "place": per_area["area_name"].iloc[0]})]


def evaluate(config: WallAlerts, sensors: pd.DataFrame, communes: pd.DataFrame,
             cameras: pd.DataFrame) -> list[Alert]:
    """Every alert, sensors first (health and water supply), then cameras, then overdue tickets."""
    return [*sensor_alerts(config.sensors, sensors), *camera_alerts(config.cameras_offline_percent, cameras),
            *ticket_alerts(config.overdue_tickets_per_commune, communes)]


def alert_text(alert: Alert, lang: str) -> str:
    v = alert.values
    if alert.kind == "sensor":
        digits = 1 if v["kind"] == "pm25" else 2
        kind = sensor_kind_name(v["kind"], lang)
        return t("alert_sensor", lang, kind=kind, value=number(v["value"], lang, digits), unit=v["unit"],
                 station=v["station"], place=v["place"], limit=number(v["limit"], lang, digits))
    if alert.kind == "tickets":
        if v["n"] == 1:
            return t("alert_overdue_one", lang, place=v["place"])
        return t("alert_overdue", lang, n=number(v["n"], lang), place=v["place"])
    return t("alert_cameras", lang, share=percent(v["share"], lang, 0), offline=number(v["offline"], lang),
             total=number(v["total"], lang), place=v["place"])


def sensor_kind_name(kind: str, lang: str) -> str:
    """Salinity, water level, PM2.5 in the reader's language; another kind as its feed names it."""
    return t(f"sensor_{kind}", lang) if f"sensor_{kind}" in TEXTS else kind


def late_minutes_by_kind(sources: tuple[SourceSettings, ...]) -> dict[str, float]:
    """How long each kind may go without a new record: its most frequent source's late_after_minutes."""
    limits: dict[str, float] = {}
    for source in sources:
        limits[source.kind] = min(limits.get(source.kind, source.late_after_minutes), source.late_after_minutes)
    return limits


def ict_epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a naive ICT time, as the browser's Date.now() counts them."""
    return round((moment - _EPOCH).total_seconds() * 1000) - _ICT_OFFSET_MS


def freshness_state(newest: datetime | None, late_minutes: float | None, now: datetime) -> str:
    """ok, late (amber) or very_late (red); a kind no configured source feeds is never judged late."""
    if late_minutes is None:
        return "ok"
    if newest is None:
        return "very_late"
    age = now - newest
    if age > timedelta(minutes=RED_FACTOR * late_minutes):
        return "very_late"
    return "late" if age > timedelta(minutes=late_minutes) else "ok"


def freshness(newest: pd.DataFrame, late_minutes: dict[str, float], now: datetime) -> dict[str, dict]:
    """Per kind: newest record (ICT and epoch ms for the browser), lateness limits in ms, state now."""
    result = {}
    for row in newest.to_dict("records"):
        kind, at = row["kind"], _present(row["newest"])
        at = at.to_pydatetime() if isinstance(at, pd.Timestamp) else at
        limit = late_minutes.get(kind)
        result[kind] = {
            "newest": at, "newest_ms": ict_epoch_ms(at) if at else None,
            "amber_ms": limit * 60_000 if limit else None,
            "red_ms": RED_FACTOR * limit * 60_000 if limit else None,
            "state": freshness_state(at, limit, now),
        }
    return result
