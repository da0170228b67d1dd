"""The wall screen's configuration, queries, alerts and freshness, on the session demo."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from ioc_app.config import SourceSettings, WallAlerts, load_settings
from ioc_app.errors import ConfigError
from ioc_app.lake import connect, snapshot_id
from ioc_app.queries import newest
from ioc_app.queries import overview as q
from ioc_app.queries import wall as w
from ioc_app.queries.scope import Scope
from layouts.wall import playlist_from, wall_font_px
from layouts.wall_status import (alert_text, camera_alerts, evaluate, freshness, freshness_state, ict_epoch_ms,
                                 late_minutes_by_kind, sensor_alerts, ticket_alerts)

REPO = Path(__file__).resolve().parent.parent
SCOPE = Scope("86")


@pytest.fixture(scope="module")
def con(demo):
    connection = connect(load_settings(demo.config), read_only=True)
    connection.execute("USE lake")
    yield connection
    connection.close()


def _config(tmp_path: Path, wall_yaml: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text("province: Vĩnh Long\nwall:\n" + wall_yaml, encoding="utf-8")
    return path


def test_repo_config_has_a_default_playlist_and_the_alert_thresholds():
    wall = load_settings(REPO / "config.yaml").wall
    assert [slot.view for slot in wall.playlists["default"]] == ["overview", "tickets", "sensors", "cameras"]
    assert wall.alerts.sensors["salinity"] == 4.0 and wall.alerts.sensors["pm25"] == 50.0
    assert wall.alerts.sensors["water_level"] == "station"


def test_wall_section_is_optional(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("province: Vĩnh Long\n", encoding="utf-8")
    wall = load_settings(path).wall
    assert [slot.seconds for slot in wall.playlists["default"]] == [30, 20, 20, 20]
    assert wall.alerts.overdue_tickets_per_commune == 5 and wall.alerts.cameras_offline_percent == 10


@pytest.mark.parametrize(("wall_yaml", "fragment"), [
    ("  playlists:\n    night: [{view: overview}]\n", "needs a playlist named 'default'"),
    ("  playlists:\n    default: [{view: weather}]\n", "wall.playlists.default.0.view"),
    ("  playlists:\n    default: [{view: tickets, seconds: 0}]\n", "wall.playlists.default.0.seconds"),
    ("  playlists:\n    default: []\n", "playlist 'default' has no views"),
    ("  playlists:\n    default: [{view: tickets}]\n    Night Shift: [{view: tickets}]\n", "playlist name 'Night Shift'"),
    ("  alerts:\n    sensors: {pm25: lots}\n", "wall.alerts.sensors.pm25"),
    ("  alerts:\n    cameras_offline_percent: 120\n", "wall.alerts.cameras_offline_percent"),
    ("  alert:\n    sensors: {}\n", "wall.alert: unknown key"),
])
def test_bad_wall_config_is_one_line_naming_the_key(tmp_path, wall_yaml, fragment):
    with pytest.raises(ConfigError) as caught:
        load_settings(_config(tmp_path, wall_yaml))
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_playlist_from_the_address():
    playlists = load_settings(REPO / "config.yaml").wall.playlists
    name, slots, unknown = playlist_from("?playlist=environment", playlists)
    assert (name, unknown) == ("environment", "")
    assert slots == [{"view": "sensors", "seconds": 40}, {"view": "overview", "seconds": 20}]
    _, slots, _ = playlist_from("?playlist=environment&seconds=3", playlists)
    assert [slot["seconds"] for slot in slots] == [3, 3]
    name, slots, unknown = playlist_from("?playlist=nope&seconds=0", playlists)
    assert (name, unknown) == ("default", "nope")
    assert [slot["seconds"] for slot in slots] == [30, 20, 20, 20]  # out of range: ignored
    assert playlist_from(None, playlists)[0] == "default"
    assert playlist_from("?seconds=abc", playlists)[1][0]["seconds"] == 30


def test_chart_text_scales_with_the_screen():
    assert wall_font_px({"w": 1920, "h": 1080}) == 20
    assert wall_font_px({"w": 3840, "h": 2160}) == 40
    assert wall_font_px({"w": 3840, "h": 1080}) == 20  # an ultra-wide wall is limited by its height


def test_snapshot_is_the_lake_snapshot(con):
    assert w.snapshot(con) == snapshot_id(con)


def test_newest_times_equal_the_full_scans(con):
    """The bounded lookups of ioc_app.queries.newest give what max() over the whole table gives."""
    def scan(sql: str):
        return con.execute(sql).fetchone()[0]

    assert newest.newest_day(con) == scan("SELECT max(day) FROM agg_sensor_daily")
    assert newest.newest_hour(con) == scan("SELECT max(hour) FROM agg_sensor_hourly")
    assert newest.newest_reading(con) == scan("SELECT max(observed_at) FROM fact_sensor_reading")
    assert newest.newest_heartbeat(con) == scan("SELECT max(observed_at) FROM fact_camera_status")
    assert newest.newest_ticket_update(con) == scan("SELECT max(updated_at) FROM fact_ticket")
    assert newest.newest_approval(con) == scan("SELECT max(approved_at) FROM fact_indicator_value")
    assert newest.newest_hour(con) == newest.newest_reading(con).replace(minute=0, second=0, microsecond=0)
    assert None not in (newest.newest_ticket_update(con), newest.newest_approval(con))


def _tickets(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM fact_ticket").df()


def test_ticket_categories_and_timeliness_match_the_facts(con):
    tickets = _tickets(con)
    as_of = tickets["updated_at"].max().to_pydatetime()
    start = as_of - timedelta(days=30)
    recent = tickets[(tickets["requested_at"] > start) & (tickets["requested_at"] <= as_of)]
    expected = recent.groupby("service_code").size().sort_values(ascending=False)
    top = w.ticket_categories(con, SCOPE, as_of, 30, 4)
    assert len(top) == 4
    assert top["received"].tolist() == expected.head(4).tolist()
    for row in top.to_dict("records"):
        mine = recent[recent["service_code"] == row["service_code"]]
        assert row["open"] == int((mine["status"] != "closed").sum())

    first_day = pd.Timestamp(as_of.date() - timedelta(days=29))  # the desk's 30 days: calendar days to as_of's
    closed = tickets[(tickets["status"] == "closed") & (tickets["closed_at"] >= first_day)
                     & (tickets["closed_at"] <= as_of)]
    timely = w.ticket_timeliness(con, SCOPE, as_of, 30).iloc[0]
    assert timely["closed"] == len(closed) > 0
    assert timely["on_time"] == int((closed["closed_at"] <= closed["expected_at"]).sum())
    hours = (closed["closed_at"] - closed["requested_at"]).dt.total_seconds().mean() / 3600
    assert timely["mean_hours"] == pytest.approx(hours)


def test_sensor_latest_agrees_with_the_overview(con):
    latest = w.sensor_latest(con, SCOPE)
    summary = q.sensors_summary(con, SCOPE).set_index("kind")
    assert len(latest) == int(summary["total"].sum())
    over = latest[latest["value"] > latest["threshold"]].groupby("kind").size()
    for kind, row in summary.iterrows():
        assert over.get(kind, 0) == row["over"]
    assert latest["area_name"].notna().all() and latest["value"].notna().any()


def test_sensor_series_covers_the_last_24_hours(con):
    series = w.sensor_series(con, SCOPE, 24)
    newest = con.execute("SELECT max(hour) FROM agg_sensor_hourly").fetchone()[0]
    assert series["hour"].max() == newest
    assert series["hour"].min() > newest - timedelta(hours=24)
    assert series.groupby("sensor_id").size().max() <= 24
    assert set(series["kind"]) <= {"salinity", "water_level", "pm25"}


def test_camera_states_agree_with_the_overview(con):
    cameras = w.camera_states(con, SCOPE, newest.newest_heartbeat(con))
    summary = q.cameras_summary(con, SCOPE, newest.newest_heartbeat(con)).iloc[0]
    assert len(cameras) == summary["total"]
    assert int(cameras["online"].sum()) == summary["online"]
    offline = cameras[~cameras["online"]]
    assert (offline["last_online"].dropna() < summary["as_of"]).all()


def test_devices_now_equal_what_their_feeds_say(con):
    """Read from the devices' latest rows, each station's reading and each camera's state are those
    of its newest reading and heartbeat in the feeds."""
    readings = con.execute("SELECT * FROM fact_sensor_reading").df()
    newest_reading = readings["observed_at"].max()
    recent = readings[readings["observed_at"] >= newest_reading - timedelta(minutes=q.SENSOR_FRESH_MINUTES)]
    expected = recent.sort_values("observed_at").groupby("sensor_id")["value"].last()
    latest = w.sensor_latest(con, SCOPE).set_index("sensor_id")
    assert latest["value"].dropna().to_dict() == expected.to_dict()

    beats = con.execute("SELECT * FROM fact_camera_status").df()
    as_of = beats["observed_at"].max().to_pydatetime()
    week = beats[beats["observed_at"] >= as_of - timedelta(days=7)].sort_values("observed_at")
    last = week.groupby("camera_id").last()
    fresh = last["observed_at"] >= as_of - timedelta(minutes=q.CAMERA_HEARTBEAT_MINUTES)
    states = w.camera_states(con, SCOPE, as_of).set_index("camera_id")
    assert states["online"].to_dict() == (last["online"] & fresh).reindex(states.index, fill_value=False).to_dict()
    last_online = week[week["online"]].groupby("camera_id")["observed_at"].max()
    assert states["last_online"].dropna().to_dict() == last_online.to_dict()
    assert not states["online"].all() and states["online"].any()


def test_sensor_alert_names_the_station_and_its_commune(con):
    latest = w.sensor_latest(con, SCOPE)
    pm = latest[latest["kind"] == "pm25"].sort_values("value", ascending=False).iloc[0]
    alerts = sensor_alerts({"pm25": float(pm["value"]) - 1}, latest)
    assert alerts and alerts[0].area_keys == (pm["area_key"],) and alerts[0].values["station"] == pm["name"]
    text = alert_text(alerts[0], "vi")
    assert text.startswith("Bụi PM2.5 ") and pm["name"] in text and pm["area_name"] in text
    assert "(limit " in alert_text(alerts[0], "en")
    assert sensor_alerts({"pm25": float(pm["value"])}, latest) == []  # at the limit is not above it
    assert sensor_alerts({}, latest) == []


def test_station_thresholds(con):
    latest = w.sensor_latest(con, SCOPE).copy()
    latest.loc[latest["kind"] == "water_level", "value"] = latest["threshold"] + 0.5
    alerts = sensor_alerts({"water_level": "station"}, latest)
    assert len(alerts) == int((latest["kind"] == "water_level").sum()) > 0
    assert all(alert.values["limit"] == alert.values["value"] - 0.5 for alert in alerts)


def test_ticket_alerts_worst_commune_first(con):
    as_of = q.tickets_summary(con, SCOPE).iloc[0]["as_of"].to_pydatetime()
    communes = q.commune_tickets(con, SCOPE, as_of)
    alerts = ticket_alerts(0, communes)
    assert len(alerts) == int((communes["overdue"] > 0).sum()) > 0
    counts = [alert.values["n"] for alert in alerts]
    assert counts == sorted(counts, reverse=True)
    assert ticket_alerts(int(communes["overdue"].max()), communes) == []
    place = alerts[0].values["place"]
    expected = "1 overdue ticket" if counts[0] == 1 else f"{counts[0]} overdue tickets"
    assert alert_text(alerts[0], "en") == f"{expected} in {place}"
    assert alert_text(alerts[0], "vi") == f"{counts[0]} phản ánh quá hạn tại {place}"


def test_camera_alert_when_too_many_are_offline(con):
    cameras = w.camera_states(con, SCOPE, newest.newest_heartbeat(con))
    offline = int((~cameras["online"]).sum())
    assert offline > 0
    share = 100 * offline / len(cameras)
    [alert] = camera_alerts(share - 0.1, cameras)
    assert alert.values["offline"] == offline and alert.values["total"] == len(cameras)
    assert set(alert.area_keys) == set(cameras.loc[~cameras["online"], "area_key"])
    assert camera_alerts(share, cameras) == []


def test_evaluate_orders_sensors_cameras_tickets(con):
    as_of = q.tickets_summary(con, SCOPE).iloc[0]["as_of"].to_pydatetime()
    alerts = evaluate(WallAlerts(sensors={"pm25": 1.0}, overdue_tickets_per_commune=0, cameras_offline_percent=0),
                      w.sensor_latest(con, SCOPE), q.commune_tickets(con, SCOPE, as_of),
                      w.camera_states(con, SCOPE, newest.newest_heartbeat(con)))
    kinds = [alert.kind for alert in alerts]
    assert kinds == sorted(kinds, key=["sensor", "cameras", "tickets"].index) and set(kinds) == {
        "sensor", "cameras", "tickets"}


def test_freshness_turns_amber_then_red():
    now = datetime(2026, 11, 25, 9, 0)
    assert freshness_state(now - timedelta(minutes=30), 30, now) == "ok"
    assert freshness_state(now - timedelta(minutes=31), 30, now) == "late"
    assert freshness_state(now - timedelta(minutes=61), 30, now) == "very_late"
    assert freshness_state(None, 30, now) == "very_late"
    assert freshness_state(now - timedelta(days=90), None, now) == "ok"  # no source feeds it: not judged
    newest = pd.DataFrame({"kind": ["tickets", "cameras"], "newest": [pd.Timestamp(now - timedelta(minutes=45)), pd.NaT]})
    fresh = freshness(newest, {"tickets": 30, "cameras": 15}, now)
    assert fresh["tickets"]["state"] == "late" and fresh["cameras"]["state"] == "very_late"
    assert fresh["tickets"]["amber_ms"] == 30 * 60_000 and fresh["tickets"]["red_ms"] == 60 * 60_000
    assert fresh["tickets"]["newest_ms"] == ict_epoch_ms(now - timedelta(minutes=45))


def test_ict_epoch_and_late_limits_per_kind():
    assert ict_epoch_ms(datetime(1970, 1, 1, 7, 0)) == 0
    sources = (SourceSettings(name="a", kind="tickets", inbox=Path("/x"), late_after_minutes=60),
               SourceSettings(name="b", kind="tickets", open311="http://127.0.0.1:9/", late_after_minutes=20),
               SourceSettings(name="c", kind="sensors", inbox=Path("/y"), late_after_minutes=30))
    assert late_minutes_by_kind(sources) == {"tickets": 20, "sensors": 30}
