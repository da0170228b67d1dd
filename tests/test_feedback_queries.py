"""Queries of the feedback and the cameras-and-sensors desk views, on the session's demo lake
(read only), checked against the raw tables and against each other."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from ioc_app.config import load_settings
from ioc_app.lake import connect
from ioc_app.queries import devices as dv
from ioc_app.queries import feedback as fb
from ioc_app.queries import wall
from ioc_app.queries.newest import newest_heartbeat
from ioc_app.queries.overview import tickets_summary
from ioc_app.queries.scope import Scope


@pytest.fixture(scope="module")
def con(demo):
    with connect(load_settings(demo.config), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def scope(demo) -> Scope:
    return Scope(load_settings(demo.config).province_code)


@pytest.fixture(scope="module")
def raw(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM fact_ticket").df()


@pytest.fixture(scope="module")
def as_of(con, scope):
    return pd.Timestamp(tickets_summary(con, scope).iloc[0]["as_of"]).to_pydatetime()


def test_the_tickets_as_of_is_the_newest_update_in_the_scope(con, scope, raw):
    commune = raw.loc[raw["status"] != "closed", "area_key"].value_counts().index[-1]  # fewest open ones
    for seen, rows in ((scope, raw), (Scope(scope.province_code, frozenset({commune}), commune),
                                      raw[raw["area_key"] == commune])):
        summary = tickets_summary(con, seen).iloc[0]
        assert summary["as_of"] == rows["updated_at"].max()
        backlog = rows[rows["status"] != "closed"]
        assert summary["open"] == len(backlog) > 0
        assert summary["overdue"] == (backlog["expected_at"] < rows["updated_at"].max()).sum()


def _summary(con, scope, f) -> dict:
    return fb.summary(con, scope, f).iloc[0].to_dict()


@pytest.mark.parametrize("days", [30, 365])
def test_summary_matches_the_raw_tickets(con, scope, raw, as_of, days):
    f = fb.TicketFilter(as_of, days)
    s = _summary(con, scope, f)
    start = pd.Timestamp(as_of.date() - timedelta(days=days - 1))
    received = raw[raw["requested_at"] >= start]
    closed = raw[(raw["status"] == "closed") & (raw["closed_at"] >= start)]
    backlog = raw[raw["status"] != "closed"]
    assert s["received"] == len(received) > 0
    assert s["open"] == len(backlog) and s["overdue"] == (backlog["expected_at"] < as_of).sum()
    assert s["closed"] == len(closed) and s["on_time"] == (closed["closed_at"] <= closed["expected_at"]).sum()
    assert s["rated"] == closed["satisfaction"].notna().sum() > 0
    assert s["satisfaction"] == pytest.approx(closed["satisfaction"].dropna().mean())
    assert 1 <= s["satisfaction"] <= 5
    assert s["mean_days"] == pytest.approx(((closed["closed_at"] - closed["requested_at"]).dt.total_seconds()
                                            / 86400).mean())
    assert s["received"] >= s["reached_progress"] >= s["received_closed"] >= s["received_on_time"]
    overview = tickets_summary(con, scope).iloc[0]
    assert (s["open"], s["overdue"]) == (overview["open"], overview["overdue"])


def test_volume_from_the_rollup_or_the_tickets_adds_up_to_received(con, scope, raw, as_of):
    f = fb.TicketFilter(as_of, 90)
    volume = fb.volume(con, scope, f)
    assert volume["received"].sum() == _summary(con, scope, f)["received"]
    assert set(volume["bucket"].dt.day_of_week) == {0}  # weeks start on Monday
    assert fb.volume(con, scope, fb.TicketFilter(as_of, 365))["bucket"].dt.day.eq(1).all()
    recent = raw[raw["requested_at"] >= pd.Timestamp(f.start)]
    agency = recent["agency"].value_counts().index[0]
    category = recent.loc[recent["agency"] == agency, "service_code"].value_counts().index[0]
    narrowed = fb.TicketFilter(as_of, 90, category, agency)
    by_agency = fb.volume(con, scope, narrowed)
    assert by_agency["received"].sum() == _summary(con, scope, narrowed)["received"] > 0
    assert set(by_agency["service_code"]) == {category}
    one_category = fb.volume(con, scope, fb.TicketFilter(as_of, 90, category))
    assert one_category["received"].sum() < volume["received"].sum()


def test_communes_and_lists_agree_with_the_tiles(con, scope, raw, as_of):
    f = fb.TicketFilter(as_of, 365)
    s = _summary(con, scope, f)
    communes = fb.commune_counts(con, scope, f)
    assert communes["received"].sum() == s["received"] and communes["open"].sum() == s["open"]
    for which, tile in (("received", "received"), ("open", "open"), ("overdue", "overdue"), ("closed", "closed"),
                        ("rated", "rated")):
        assert len(fb.tickets(con, scope, f, which, 20)) == min(20, s[tile])
        assert len(fb.tickets(con, scope, f, which, 10**7)) == s[tile]  # the list behind the tile, whole
    columns = ["service_code", "service_name", "area_key", "status", "requested_at", "expected_at", "agency",
               "satisfaction"]
    listed = fb.tickets(con, scope, f, "open", 10**7).set_index("ticket_id").sort_index()
    backlog = raw[raw["status"] != "closed"].set_index("ticket_id").sort_index()
    pd.testing.assert_frame_equal(listed[columns], backlog[columns], check_dtype=False)
    assert listed["closed_at"].isna().all() and listed["commune"].notna().all()
    overdue = fb.tickets(con, scope, f, "overdue", 50)
    assert overdue["expected_at"].is_monotonic_increasing and (overdue["expected_at"] < as_of).all()
    assert overdue["commune"].notna().all()

    busiest = communes.sort_values("received").iloc[-1]
    here = fb.TicketFilter(as_of, 365, area_key=busiest["area_key"])
    assert _summary(con, scope, here)["received"] == busiest["received"]
    assert set(fb.tickets(con, scope, here, "received", 500)["area_key"]) == {busiest["area_key"]}
    # a scope of one commune sees its tickets only, and its map only
    narrow = Scope(scope.province_code, frozenset({busiest["area_key"]}))
    assert _summary(con, narrow, f)["received"] == busiest["received"]
    assert fb.commune_counts(con, narrow, f)["area_key"].tolist() == [busiest["area_key"]]
    assert fb.communes(con, narrow)["area_key"].tolist() == [busiest["area_key"]]
    assert fb.communes(con, scope)[["area_key", "code", "name"]].equals(communes[["area_key", "code", "name"]])


def test_agency_times(con, scope, raw, as_of):
    f = fb.TicketFilter(as_of, 365)
    agencies = fb.agency_times(con, scope, f, 5)
    assert len(agencies) == 5 and agencies["closed"].is_monotonic_decreasing
    top = agencies.iloc[0]
    start = pd.Timestamp(f.start)
    mine = raw[(raw["agency"] == top["agency"]) & (raw["status"] == "closed") & (raw["closed_at"] >= start)]
    assert top["closed"] == len(mine)
    assert top["mean_days"] == pytest.approx(((mine["closed_at"] - mine["requested_at"]).dt.total_seconds()
                                              / 86400).mean())
    assert set(fb.categories(con, scope)["service_code"]) == set(raw["service_code"])
    assert top["agency"] in set(fb.agencies(con, scope)["agency"])


def test_camera_uptime_and_outages(con, scope):
    status = con.execute("SELECT * FROM fact_camera_status").df()
    newest = status["observed_at"].max()
    window = status[status["observed_at"] > newest - pd.Timedelta(days=dv.WINDOW_DAYS)]
    as_of = newest_heartbeat(con)
    uptime = dv.camera_uptime(con, scope, as_of)
    assert len(uptime) == con.execute("SELECT count(*) FROM dim_camera").fetchone()[0]
    assert uptime["uptime"].between(0, 1).all() and uptime["uptime"].is_monotonic_increasing
    worst = uptime.iloc[0]
    mine = window[window["camera_id"] == worst["camera_id"]]
    assert worst["uptime"] < 1 and worst["online_rounds"] == mine["online"].sum()

    outages = dv.camera_outages(con, scope, as_of, None)
    states = wall.camera_states(con, scope, as_of)
    down_now = set(states.loc[~states["online"], "camera_id"])
    assert set(outages.loc[outages["ended"].isna(), "camera_id"]) == down_now
    offline_beats = (~window["online"]).groupby(window["camera_id"]).sum()
    assert set(outages["camera_id"]) == set(offline_beats[offline_beats > 0].index)
    one = dv.camera_outages(con, scope, as_of, worst["camera_id"])
    assert set(one["camera_id"]) == {worst["camera_id"]} and (one["minutes"] > 0).all()
    spans = one.sort_values("started")
    ends = spans["ended"].fillna(newest)
    assert (spans["started"].iloc[1:].to_numpy() >= ends.iloc[:-1].to_numpy()).all()  # spans never overlap
    assert (one["ended"].dropna() > one.loc[one["ended"].notna(), "started"]).all()
    beats = mine.sort_values("observed_at")
    run = (beats["online"] != beats["online"].shift()).cumsum()  # runs of equal state, in order
    expected = []
    for _, part in beats[~beats["online"]].groupby(run[~beats["online"]]):
        after = beats[beats["observed_at"] > part["observed_at"].max()]
        expected.append((part["observed_at"].min(), after["observed_at"].min() if len(after) else pd.NaT))
    found = list(zip(spans["started"], spans["ended"]))
    assert [(a, None if pd.isna(b) else b) for a, b in found] == [(a, None if pd.isna(b) else b)
                                                                  for a, b in sorted(expected)]


def test_camera_events(con, scope):
    newest = con.execute("SELECT max(observed_at) FROM fact_camera_status").fetchone()[0]
    expected = con.execute("SELECT count(*) FROM fact_camera_event WHERE event_at > ?",
                           [newest - timedelta(days=dv.WINDOW_DAYS)]).fetchone()[0]
    events = dv.camera_events(con, scope, newest, None, 10)
    assert len(events) == 10 and events["total"].iloc[0] == expected
    assert events["event_at"].is_monotonic_decreasing
    camera = events["camera_id"].iloc[0]
    assert set(dv.camera_events(con, scope, newest, camera, 500)["camera_id"]) == {camera}


def test_sensor_series_reads_the_rollups_within_scope(con, scope):
    sensors = con.execute("SELECT sensor_id, area_key FROM dim_sensor ORDER BY sensor_id").df()
    sensor, area = sensors.iloc[0]
    hourly = dv.sensor_series(con, scope, sensor, "hour")
    daily = dv.sensor_series(con, scope, sensor, "day")
    assert 0 < len(hourly) <= 7 * 24 and 0 < len(daily) <= 90
    newest_hour = con.execute("SELECT max(hour) FROM agg_sensor_hourly").fetchone()[0]
    assert hourly["ts"].max() == newest_hour and hourly["ts"].min() > newest_hour - timedelta(days=7)
    assert (hourly["max_value"] >= hourly["avg_value"]).all()
    stored = con.execute("SELECT avg_value FROM agg_sensor_daily WHERE sensor_id = ? ORDER BY day DESC LIMIT 1",
                         [sensor]).fetchone()[0]
    assert daily["avg_value"].iloc[-1] == pytest.approx(stored)
    elsewhere = Scope(scope.province_code, frozenset({"not-" + area}))
    assert dv.sensor_series(con, elsewhere, sensor, "hour").empty


def test_indicator_figures_follow_a_commune_scope(con, scope):
    """A commune account's /indicators: its own commune's series, breakdown and sources, nothing
    of another commune's (the whole-province scope sees both)."""
    from ioc_app.queries import indicators as iq

    code, period = con.execute("""
        SELECT indicator_code, max(period) FROM agg_indicator_area a JOIN dim_area d USING (area_key)
        WHERE d.level = 'commune' AND a.category_code = 'total' GROUP BY 1 ORDER BY 1 LIMIT 1""").fetchone()
    mine, other = [key for (key,) in con.execute("""
        SELECT DISTINCT a.area_key FROM agg_indicator_area a JOIN dim_area d USING (area_key)
        WHERE d.level = 'commune' AND a.indicator_code = ? AND a.period = ? ORDER BY 1 LIMIT 2""",
        [code, period]).fetchall()]
    commune = Scope(scope.province_code, frozenset({mine}), mine)
    for who, area, seen in ((commune, mine, True), (commune, other, False), (scope, other, True)):
        assert (not iq.series(con, who, area, code, "total").empty) is seen
        assert (not iq.breakdown(con, who, area, code, period).empty) is seen
        assert (not iq.sources(con, who, area, code, period, "total").empty) is seen
