"""Cameras and sensors: the camera map by status at the newest heartbeat round (click a camera
to filter the outages and events to it, the breadcrumb goes back), uptime over 7 days,
outages and analytics events; each sensor's latest reading against its threshold and the
chosen sensor's hourly (7 days) or daily (90 days) series with its threshold line. Tables
export as CSV/Excel with their source and as-of time."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from ioc_app.config import Settings
from ioc_app.queries import devices as q
from ioc_app.queries import wall as w
from ioc_app.queries.newest import newest_heartbeat
from ioc_app.queries.scope import Scope
from ioc_app.web.access import current_scope, require_role
from ioc_app.web.commune_shapes import CommuneShapes, commune_shapes
from ioc_app.web.i18n import TEXTS, number, percent, t, when
from ioc_app.web.query_cache import QueryCache
from layouts.desk import MAP_CONFIG, graph_config, page_head, panel
from layouts.exports import Export, export_actions, named_columns, register_export
from layouts.figures import (BLUE, GRID, ORANGE, VERMILLION, base_layout, commune_outline, font_px,
                             geo_frame, series_layout, with_source)
from layouts.tables import table
from layouts.tiles import tile

ROLES = ("leader", "dept_head", "approver", "unit_admin", "admin")
# The desk tables show the cameras, outages and stations that need attention first, and the newest
# events; the exports hold them all.
CAMERA_ROWS = 100
OUTAGE_ROWS = 100
SENSOR_ROWS = 100
EVENT_ROWS = 100
EXPORT_ROWS = 50_000


def _export_buttons(name: str, lang: str) -> html.Div:
    return export_actions(f"dv-export-{name}", lang)


def layout(lang: str) -> html.Div:
    def counted(title_key: str, count_id: str) -> html.Div:
        return html.Div([html.H2(t(title_key, lang), className="ioc-panel-title"),
                         html.Span(id=count_id, className="ioc-note")], className="ioc-panel-head")

    return html.Div([
        dcc.Store(id="dv-camera"),
        dcc.Store(id="dv-viewport"),
        page_head(t("devices", lang), t("dv_breadcrumb", lang), "dv-crumb-all", "dv-crumb-camera",
                  t("dv_all_cameras", lang)),
        # Three parts, one grid: the cameras' state and the sensors come with the map, the outages
        # and events with their tables (two answers, drawn as each comes).
        html.Section([html.Div(id=part, className="dv-tiles-part") for part in ("dv-kpis", "dv-kpis-activity",
                                                                                 "dv-kpis-sensors")],
                     className="ioc-kpis dv-tiles"),
        html.Div([
            panel(t("dv_map", lang),
                  dcc.Graph(id="dv-map", className="ioc-map", config=graph_config("dv-map", MAP_CONFIG)),
                  extra="ioc-panel-map"),
            panel(counted("dv_cameras", "dv-cameras-count"), _export_buttons("cameras", lang),
                  html.Div(id="dv-cameras", className="ioc-scroll")),
        ], className="ioc-grid"),
        html.Div([
            panel(counted("dv_outage_list", "dv-outages-count"), _export_buttons("outages", lang),
                  html.Div(id="dv-outages", className="ioc-scroll")),
            panel(counted("dv_event_list", "dv-events-count"), _export_buttons("events", lang),
                  html.Div(id="dv-events", className="ioc-scroll")),
        ], className="ioc-two"),
        html.Footer(id="dv-camera-footer", className="ioc-footer"),
        html.Div([
            panel(counted("dv_sensors", "dv-sensors-count"), _export_buttons("sensors", lang),
                  html.Div(id="dv-sensors", className="ioc-scroll")),
            panel(t("dv_series", lang), html.Div([
                html.Label([t("dv_sensor", lang), dcc.Dropdown(id="dv-sensor", clearable=False, searchable=True,
                                                               className="ioc-select ioc-select-wide")],
                           className="ioc-grow"),
                html.Label([t("dv_resolution", lang), dcc.RadioItems(
                    id="dv-resolution", value="hour", className="dv-radio", inline=True,
                    options=[{"label": t("dv_hourly", lang), "value": "hour"},
                             {"label": t("dv_daily", lang), "value": "day"}])]),
            ], className="dv-sensor-controls"), _export_buttons("series", lang),
                dcc.Graph(id="dv-series", className="ioc-chart", config=graph_config("dv-series"))),
        ], className="ioc-two"),
        html.Footer(id="dv-sensor-footer", className="ioc-footer"),
    ], className="ioc-stack ioc-devices")


def _when(value, lang: str) -> str:
    return when(None if value is None or pd.isna(value) else value, lang)


def _duration(minutes: float, lang: str) -> str:
    hours, rest = divmod(int(round(minutes)), 60)
    return f"{hours} h {rest:02d}" if hours else t("minutes", lang, n=rest)


def _state(online: bool, lang: str) -> html.Span:
    """Online / offline by glyph and word as well as colour."""
    return html.Span(["●" if online else "✕", t("dv_online" if online else "dv_offline", lang)],
                     className="dv-state " + ("dv-state-on" if online else "dv-state-off"))


def _label(prefix: str, value: str, lang: str) -> str:
    """The translated name of a code (camera kind, event type), the code itself when unknown."""
    return t(prefix + value, lang) if prefix + value in TEXTS else value


def _digits(kind: str) -> int:
    return 1 if kind == "pm25" else 2


def sensor_readings(latest: pd.DataFrame) -> pd.DataFrame:
    """The wall's latest readings, with `over` (reading above the station's threshold)."""
    return latest.assign(over=latest["value"].notna() & latest["threshold"].notna()
                         & (latest["value"] > latest["threshold"]))


def camera_map(shapes: CommuneShapes, scope: Scope, cameras: pd.DataFrame, selected: str | None, lang: str,
               size: int, source: str) -> go.Figure:
    traces = [commune_outline(shapes.url(scope), shapes.codes(scope), GRID, 0.8, fill="rgba(86,180,233,0.06)")]
    for online, colour, symbol in ((True, BLUE, "circle"), (False, VERMILLION, "x")):
        part = cameras[cameras["online"] == online]
        if part.empty:
            continue
        label = t("dv_online" if online else "dv_offline", lang)
        traces.append(go.Scattergeo(
            lat=part["lat"], lon=part["lon"], mode="markers", name=f"{label} ({len(part)})",
            customdata=part[["camera_id", "name", "area_name"]].to_numpy(),
            marker=dict(size=size * 0.9, color=colour, symbol=symbol, line=dict(color="#0b1220", width=1)),
            hovertemplate=with_source("<b>%{customdata[1]}</b><br>%{customdata[0]} · %{customdata[2]}<br>" + label
                                      + "<extra></extra>", source)))
    if selected in set(cameras["camera_id"]):
        row = cameras[cameras["camera_id"] == selected].iloc[0]
        traces.append(go.Scattergeo(lat=[row["lat"]], lon=[row["lon"]], mode="markers", hoverinfo="skip",
                                    showlegend=False, marker=dict(size=size * 2, color="rgba(0,0,0,0)",
                                                                  line=dict(color=ORANGE, width=3))))
    figure = geo_frame(go.Figure(traces))
    figure.update_layout(margin=dict(l=0, r=0, t=0, b=0), uirevision="cameras",
                         legend=dict(orientation="h", x=0, y=1, bgcolor="rgba(0,0,0,0)"))
    return base_layout(figure, lang, size)


def series_figure(series: pd.DataFrame, sensor: dict, resolution: str, lang: str, size: int,
                  source: str) -> go.Figure:
    unit, digits = sensor["unit"], _digits(sensor["kind"])
    value = f"%{{y:,.{digits}f}} {unit}"
    figure = go.Figure([
        go.Scatter(x=series["ts"], y=series["avg_value"], mode="lines", name=t("dv_mean", lang),
                   line=dict(color=BLUE, width=size / 6), hovertemplate=value),
        go.Scatter(x=series["ts"], y=series["max_value"], mode="lines", name=t("dv_peak", lang),
                   line=dict(color=ORANGE, width=size / 8, dash="dot"), hovertemplate=value),
    ])
    if pd.notna(sensor["threshold"]):
        figure.add_hline(y=sensor["threshold"], line_dash="dash", line_color=VERMILLION, line_width=2,
                         annotation_text=t("dv_threshold_line", lang, value=number(sensor["threshold"], lang, digits),
                                           unit=unit),
                         annotation_font_color=VERMILLION, annotation_bgcolor="#111b2e",
                         annotation_position="top left")
    return series_layout(figure, lang, size, "%H:%M %d/%m" if resolution == "hour" else "%d/%m", source)


def attention_first(states: pd.DataFrame, camera: str | None) -> pd.DataFrame:
    """Cameras offline first, then by uptime from the lowest; the chosen camera heads the list."""
    order = states.assign(chosen=states["camera_id"] != camera, up=states["online"].astype(bool))
    return order.sort_values(["chosen", "up", "uptime", "name"], na_position="first").drop(columns=["chosen", "up"])


def sensors_attention_first(latest: pd.DataFrame) -> pd.DataFrame:
    """Stations above their limit first (the furthest above it first), then those without a recent
    reading, then the others in the order they came (kind, station)."""
    order = latest.assign(rank=(latest["value"] / latest["threshold"]).where(latest["over"]).fillna(0),
                          reporting=latest["value"].notna())
    return order.sort_values(["over", "rank", "reporting"], ascending=[False, False, True], kind="stable"
                             ).drop(columns=["rank", "reporting"])


def shown_of(shown: int, total: int, lang: str) -> str:
    return t("dv_count", lang, shown=number(shown, lang), total=number(total, lang))


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    shapes = commune_shapes(settings)
    def scope() -> Scope:
        return current_scope(settings)

    def heartbeat() -> datetime | None:
        """The newest heartbeat round: "now" of every camera query of an answer, looked up once."""
        return cache.run(newest_heartbeat)

    def cameras() -> pd.DataFrame:
        states = cache.run(w.camera_states, scope(), heartbeat())
        return states.merge(cache.run(q.camera_uptime, scope(), heartbeat()), on="camera_id", how="left")

    def camera_outages(outages: pd.DataFrame, camera: str | None) -> pd.DataFrame:
        """The outages the page lists: every camera's, or the chosen camera's."""
        return outages if camera is None else outages[outages["camera_id"] == camera]

    def sensor_series(sensor_id: str | None,
                      resolution: str | None) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame] | None:
        """The latest readings in scope, the chosen sensor among them and its series at `resolution`
        (the chart and its export); None for a sensor outside the scope or an unknown resolution."""
        latest = cache.run(w.sensor_latest, scope())
        found = latest[latest["sensor_id"] == sensor_id]
        if found.empty or resolution not in q.RESOLUTIONS:
            return None
        return latest, found.iloc[0], cache.run(q.sensor_series, scope(), sensor_id, resolution)

    def camera_source(states: pd.DataFrame, lang: str) -> str:
        newest = states["seen"].max() if len(states) else None
        return t("dv_source_cameras", lang, as_of=_when(newest, lang))

    def sensor_source(latest: pd.DataFrame, lang: str) -> str:
        newest = latest["observed_at"].max() if len(latest) else None
        return t("dv_source_sensors", lang, as_of=_when(newest, lang))

    def snapshot(lang: str) -> str:
        return t("dv_snapshot", lang, n=cache.snapshot())

    app.clientside_callback("function(p) { return window.innerWidth; }",
                            Output("dv-viewport", "data"), Input("url", "pathname"))

    def chosen_camera(camera: str | None) -> str | None:
        """The camera picked, when it is one of the scope's."""
        known = set(cache.run(w.camera_states, scope(), heartbeat())["camera_id"])
        return camera if camera in known else None

    @app.callback(Output("dv-camera", "data"), Input("dv-map", "clickData"), Input("dv-crumb-all", "n_clicks"),
                  prevent_initial_call=True)
    def pick_camera(click: dict | None, _back):
        require_role(*ROLES)
        if ctx.triggered_id == "dv-map" and click and click.get("points"):
            data = click["points"][0].get("customdata")
            picked = data[0] if isinstance(data, list) and data and isinstance(data[0], str) else None
            return chosen_camera(picked) or no_update
        return None

    # The cameras' state, the map and the list; and the week's outages and events: two answers the
    # browser asks for at once, each drawn as it comes (each half of the week's heartbeats' queries).
    @app.callback(Output("dv-crumb-camera", "children"), Output("dv-kpis", "children"),
                  Output("dv-kpis-sensors", "children"), Output("dv-map", "figure"),
                  Output("dv-cameras", "children"), Output("dv-cameras-count", "children"),
                  Output("dv-camera-footer", "children"), Input("dv-camera", "data"), Input("dv-viewport", "data"))
    def show_cameras(camera: str | None, width: int | None):
        require_role(*ROLES)
        lang, size = lang_of(), font_px(width)
        states = cameras()
        camera = chosen_camera(camera)
        latest = sensor_readings(cache.run(w.sensor_latest, scope()))
        online, total = int(states["online"].sum()), len(states)
        uptime = states["uptime"].mean() if total else None
        over = int(latest["over"].sum())
        source = camera_source(states, lang)
        kpis = [
            tile(t("dv_cameras_online", lang), percent(online / total, lang, 0) if total else "–",
                 t("dv_cameras_online_sub", lang, online=number(online, lang), total=number(total, lang)),
                 "ioc-good" if online == total else "ioc-warn", "dv-kpi-online"),
            tile(t("dv_uptime", lang), percent(None if pd.isna(uptime) else uptime, lang, 1),
                 t("dv_uptime_sub", lang), tile_id="dv-kpi-uptime"),
        ]
        sensors = [tile(t("dv_sensors_over", lang), number(over, lang),
                        t("dv_sensors_over_sub", lang, total=number(len(latest), lang)),
                        "ioc-alert" if over else "ioc-good", "dv-kpi-sensors")]
        camera_table = table(attention_first(states, camera).head(CAMERA_ROWS).to_dict("records"), [
            ("name", t("dv_col_camera", lang), None),
            ("kind", t("dv_col_kind", lang), lambda v: _label("dv_kind_", v, lang)),
            ("area_name", t("dv_col_commune", lang), None),
            ("online", t("dv_col_state", lang), lambda v: _state(bool(v), lang)),
            ("seen", t("dv_col_seen", lang), lambda v: _when(v, lang)),
            ("uptime", t("dv_col_uptime", lang), lambda v: percent(None if pd.isna(v) else v, lang, 1)),
        ], "dv-cameras-table", t("no_data", lang), row_class=lambda r: "ioc-row-selected" if r["camera_id"] == camera
                                                                    else "")
        names = dict(zip(states["camera_id"], states["name"]))
        return (f"› {names[camera]}" if camera else None, kpis, sensors,
                camera_map(shapes, scope(), states, camera, lang, size, source),
                camera_table, shown_of(min(total, CAMERA_ROWS), total, lang), f"{source} · {snapshot(lang)}")

    @app.callback(Output("dv-kpis-activity", "children"), Output("dv-outages", "children"),
                  Output("dv-outages-count", "children"), Output("dv-events", "children"),
                  Output("dv-events-count", "children"), Input("dv-camera", "data"))
    def show_activity(camera: str | None):
        require_role(*ROLES)
        lang, camera = lang_of(), chosen_camera(camera)
        all_outages = cache.run(q.camera_outages, scope(), heartbeat(), None)
        all_events = cache.run(q.camera_events, scope(), heartbeat(), None, EVENT_ROWS)
        kpis = [
            tile(t("dv_outages", lang), number(len(all_outages), lang),
                 t("dv_outages_sub", lang, n=number(all_outages["camera_id"].nunique(), lang)),
                 tile_id="dv-kpi-outages"),
            tile(t("dv_events", lang), number(int(all_events["total"].iloc[0]) if len(all_events) else 0, lang),
                 t("dv_events_sub", lang), tile_id="dv-kpi-events"),
        ]
        outages = camera_outages(all_outages, camera)
        outage_table = table(outages.head(OUTAGE_ROWS).to_dict("records"), [
            ("name", t("dv_col_camera", lang), None),
            ("started", t("dv_col_started", lang), lambda v: _when(v, lang)),
            ("ended", t("dv_col_ended", lang), lambda v: t("dv_ongoing", lang) if pd.isna(v) else _when(v, lang)),
            ("minutes", t("dv_col_duration", lang), lambda v: _duration(v, lang)),
        ], "dv-outages-table", t("dv_no_outages", lang))
        events = (all_events if camera is None
                  else cache.run(q.camera_events, scope(), heartbeat(), camera, EVENT_ROWS))
        event_total = int(events["total"].iloc[0]) if len(events) else 0
        event_table = table(events.to_dict("records"), [
            ("event_at", t("dv_col_time", lang), lambda v: _when(v, lang)),
            ("name", t("dv_col_camera", lang), None),
            ("event_type", t("dv_col_event", lang), lambda v: _label("dv_event_", v, lang)),
            ("detail", t("dv_col_detail", lang), None),
        ], "dv-events-table", t("dv_no_events", lang))
        return (kpis, outage_table, shown_of(min(len(outages), OUTAGE_ROWS), len(outages), lang), event_table,
                shown_of(len(events), event_total, lang))

    # Fired by the page's own layout, not by the URL (see layouts/feedback.py `choices`).
    @app.callback(Output("dv-sensor", "options"), Output("dv-sensor", "value"), Output("dv-sensors", "children"),
                  Output("dv-sensors-count", "children"), Output("dv-sensor-footer", "children"),
                  Input("dv-resolution", "options"),
                  State("dv-sensor", "value"))
    def show_sensors(_path, current: str | None):
        require_role(*ROLES)
        lang = lang_of()
        latest = sensor_readings(cache.run(w.sensor_latest, scope()))
        options = [{"label": f"{t('sensor_' + kind, lang)} · {name}", "value": sensor_id}
                   for kind, name, sensor_id in zip(latest["kind"], latest["name"], latest["sensor_id"])]
        ids = latest["sensor_id"].tolist()
        if current not in ids:
            over = latest.loc[latest["over"], "sensor_id"].tolist()
            current = (over or ids or [None])[0]

        def reading(row: dict):
            if pd.isna(row["value"]):
                return html.Span(t("dv_no_reading", lang), className="ioc-note")
            text = f"{number(row['value'], lang, _digits(row['kind']))} {row['unit']}"
            return [text, html.Span(t("dv_over", lang), className="dv-badge-over")] if row["over"] else text

        shown = sensors_attention_first(latest).head(SENSOR_ROWS)
        rows = [{**row, "reading": row} for row in shown.to_dict("records")]
        sensor_table = table(rows, [
            ("kind", t("dv_col_kind", lang), lambda v: t(f"sensor_{v}", lang)),
            ("name", t("dv_col_station", lang), None),
            ("area_name", t("dv_col_commune", lang), None),
            ("reading", t("dv_col_value", lang), reading),
            ("threshold", t("dv_col_threshold", lang), lambda v: number(None if pd.isna(v) else v, lang, 2)),
            ("observed_at", t("dv_col_observed", lang), lambda v: _when(v, lang)),
        ], "dv-sensors-table", t("no_data", lang), row_class=lambda r: "dv-over" if r["over"] else "")
        return (options, current, sensor_table, shown_of(len(shown), len(latest), lang),
                f"{sensor_source(latest, lang)} · {snapshot(lang)}")

    @app.callback(Output("dv-series", "figure"), Input("dv-sensor", "value"), Input("dv-resolution", "value"),
                  Input("dv-viewport", "data"))
    def show_series(sensor_id: str | None, resolution: str | None, width: int | None):
        require_role(*ROLES)
        lang, size = lang_of(), font_px(width)
        chosen = sensor_series(sensor_id, resolution)
        if chosen is None:
            return base_layout(go.Figure(), lang, size)
        latest, sensor, series = chosen
        return series_figure(series, sensor.to_dict(), resolution, lang, size, sensor_source(latest, lang))

    def camera_export(name: str) -> Callable[[str | None], Export]:
        """The export of the cameras, outages or events panel, for the chosen camera (None: all)."""
        def build(camera: str | None) -> Export:
            lang, states = lang_of(), cameras()
            camera = camera if camera in set(states["camera_id"]) else None
            if name == "cameras":
                frame = named_columns(
                    states.assign(online=[t("dv_online" if v else "dv_offline", lang) for v in states["online"]]),
                    {"camera_id": "ID", "name": t("dv_col_camera", lang), "kind": t("dv_col_kind", lang),
                     "area_name": t("dv_col_commune", lang), "online": t("dv_col_state", lang),
                     "seen": t("dv_col_seen", lang), "uptime": t("dv_col_uptime", lang)})
                title = t("dv_cameras", lang)
            elif name == "outages":
                frame = named_columns(camera_outages(cache.run(q.camera_outages, scope(), heartbeat(), None), camera),
                                      {"camera_id": "ID", "name": t("dv_col_camera", lang),
                                       "started": t("dv_col_started", lang), "ended": t("dv_col_ended", lang),
                                       "minutes": t("dv_col_minutes", lang)})
                title = t("dv_outage_list", lang) + (f" · {camera}" if camera else "")
            else:
                frame = named_columns(cache.run(q.camera_events, scope(), heartbeat(), camera, EXPORT_ROWS),
                                      {"event_at": t("dv_col_time", lang), "camera_id": "ID",
                                       "name": t("dv_col_camera", lang), "event_type": t("dv_col_event", lang),
                                       "detail": t("dv_col_detail", lang)})
                title = t("dv_event_list", lang) + (f" · {camera}" if camera else "")
            return (frame, title, f"{camera_source(states, lang)} · {snapshot(lang)}",
                    f"{name}_{cache.snapshot()}" + (f"_{camera}" if camera else ""))
        return build

    def sensor_export() -> Export:
        lang, latest = lang_of(), sensor_readings(cache.run(w.sensor_latest, scope()))
        frame = named_columns(latest.assign(kind=[t(f"sensor_{k}", lang) for k in latest["kind"]]), {
            "sensor_id": "ID", "kind": t("dv_col_kind", lang), "name": t("dv_col_station", lang),
            "area_name": t("dv_col_commune", lang), "value": t("dv_col_value", lang), "unit": t("dv_col_unit", lang),
            "threshold": t("dv_col_threshold", lang), "over": t("dv_over", lang),
            "observed_at": t("dv_col_observed", lang)})
        return (frame, t("dv_sensors", lang), f"{sensor_source(latest, lang)} · {snapshot(lang)}",
                f"sensors_{cache.snapshot()}")

    def series_export(sensor_id: str | None, resolution: str | None) -> Export | None:
        chosen, lang = sensor_series(sensor_id, resolution), lang_of()
        if chosen is None:
            return None
        latest, sensor, series = chosen
        frame = named_columns(series,
                              {"ts": t("dv_col_time", lang), "avg_value": f"{t('dv_mean', lang)} ({sensor['unit']})",
                               "max_value": f"{t('dv_peak', lang)} ({sensor['unit']})"})
        threshold = "" if pd.isna(sensor["threshold"]) else " · " + t(
            "dv_threshold_line", lang, value=number(sensor["threshold"], lang, _digits(sensor["kind"])),
            unit=sensor["unit"])
        title = (f"{t('dv_series', lang)} · {t('sensor_' + sensor['kind'], lang)} · {sensor['name']} · "
                 f"{t('dv_hourly' if resolution == 'hour' else 'dv_daily', lang)}{threshold}")
        return (frame, title, f"{sensor_source(latest, lang)} · {snapshot(lang)}",
                f"series_{sensor_id}_{resolution}_{cache.snapshot()}")

    for name in ("cameras", "outages", "events"):
        register_export(app, f"dv-export-{name}", [State("dv-camera", "data")], camera_export(name), ROLES)
    register_export(app, "dv-export-sensors", [], sensor_export, ROLES)
    register_export(app, "dv-export-series", [State("dv-sensor", "value"), State("dv-resolution", "value")],
                    series_export, ROLES)
