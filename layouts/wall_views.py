"""The views a wall playlist rotates through: overview, tickets, sensors, cameras.

Each view is drawn whole from the store's current snapshot; every panel carries the time
of its source's newest record, coloured by how late that source is.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

from ioc_app.clock import now_ict
from ioc_app.config import WallAlerts
from ioc_app.queries import overview as q
from ioc_app.queries import wall as w
from ioc_app.queries.newest import newest_approval, newest_heartbeat, newest_reading, newest_ticket_update
from ioc_app.queries.scope import Scope
from ioc_app.web.commune_shapes import CommuneShapes
from ioc_app.web.i18n import number, percent, t, when
from ioc_app.web.query_cache import QueryCache
from layouts.figures import (ALERT, ALERT_BAND, BAND, BLUE, GRID, MUTED, ORANGE, TOPOJSON_URL, base_layout,
                             commune_outline, geo_frame, map_figure, series_layout)
from layouts.overview import kpi_tiles, tickets_figure
from layouts.tiles import tile
from layouts.wall_status import Alert, evaluate, freshness, sensor_kind_name

TICKET_DAYS = 30
TOP_CATEGORIES = 6
SERIES_HOURS = 24
MONTHS_SHOWN = 12
OFFLINE_ROWS = 10
OVER_LINES = 8  # stations above their limit drawn one by one on the wall's series (more: a band)
LIMIT_LINES = 3  # distinct limits of a kind drawn on the series (more: each station has its own)
LABELLED_ALERTS = 8  # alerted stations named on the wall's map, the furthest above their limit first
SOURCE_LABEL = {"reports": "source_figures", "tickets": "source_tickets", "cameras": "source_cameras",
                "sensors": "source_sensors"}
GRAPH_CONFIG = {"staticPlot": True, "displayModeBar": False, "topojsonURL": TOPOJSON_URL}


@dataclass(frozen=True)
class WallContext:
    """What every view needs besides the language and the chart text size."""

    cache: QueryCache
    scope: Scope
    shapes: CommuneShapes
    headline_codes: tuple[str, ...]
    alert_config: WallAlerts
    late_minutes: dict[str, float]

    def tickets_as_of(self) -> datetime | None:
        as_of = self.cache.run(q.tickets_summary, self.scope).iloc[0]["as_of"]
        return None if pd.isna(as_of) else as_of.to_pydatetime()

    def communes(self) -> pd.DataFrame:
        return self.cache.run(q.commune_tickets, self.scope, self.tickets_as_of())

    def cameras(self) -> pd.DataFrame:
        return self.cache.run(w.camera_states, self.scope, self.cache.run(newest_heartbeat))

    def alerts(self) -> list[Alert]:
        return evaluate(self.alert_config, self.cache.run(w.sensor_latest, self.scope), self.communes(),
                        self.cameras())

    def newest_by_kind(self) -> pd.DataFrame:
        """Newest record time of each source kind, each from a lookup of its own: a commit of one
        feed leaves the others' cached."""
        lookups = {"reports": newest_approval, "tickets": newest_ticket_update, "cameras": newest_heartbeat,
                   "sensors": newest_reading}
        return pd.DataFrame({"kind": list(lookups), "newest": [self.cache.run(lookup) for lookup in lookups.values()]})

    def freshness(self) -> dict[str, dict]:
        return freshness(self.newest_by_kind(), self.late_minutes, now_ict())


def chip(panel: str, kind: str, fresh: dict[str, dict], lang: str, labelled: bool) -> html.Span:
    """The time of a source's newest record; the browser moves it to amber and red as it ages."""
    info = fresh.get(kind, {"newest": None, "state": "ok"})
    label = t(SOURCE_LABEL[kind], lang) if labelled else t("wall_updated", lang)
    return html.Span(
        [html.Span(className="wall-dot"), f"{label} {when(info['newest'], lang)}"],
        id={"type": "wall-asof", "panel": panel, "kind": kind},
        className=f"wall-asof wall-{info['state']}",
        **{"data-late": t("wall_late", lang), "data-very-late": t("wall_very_late", lang)},
    )


def panel(name: str, title: str, kinds: tuple[str, ...], fresh: dict, lang: str, body,
          extra_class: str = "") -> html.Section:
    head = html.Div([
        html.H2(title, className="wall-panel-title"),
        html.Div([chip(name, kind, fresh, lang, len(kinds) > 1) for kind in kinds], className="wall-chips"),
    ], className="wall-panel-head")
    return html.Section([head, body], className=f"wall-panel {extra_class}".strip(), id=f"wall-panel-{name}")


def graph(name: str, figure: go.Figure) -> dcc.Graph:
    return dcc.Graph(id=f"wall-graph-{name}", figure=figure, config=GRAPH_CONFIG, responsive=True,
                     className="wall-graph")


def _codes(communes: pd.DataFrame, alerts: list[Alert], kinds: tuple[str, ...]) -> list[str]:
    keys = {key for alert in alerts if alert.kind in kinds for key in alert.area_keys}
    return communes.loc[communes["area_key"].isin(keys), "code"].tolist()


def overview_view(ctx: WallContext, lang: str, size: int, alerts: list[Alert], fresh: dict) -> list:
    communes = ctx.communes()
    tiles = kpi_tiles(ctx.cache, ctx.scope, ctx.headline_codes, lang)
    monthly = ctx.cache.run(q.monthly_tickets, ctx.scope, MONTHS_SHOWN)
    return [
        panel("overview-kpis", t("overview", lang), ("reports", "tickets", "cameras", "sensors"), fresh, lang,
              html.Div(tiles, className="wall-tiles"), "wall-kpi-panel"),
        html.Div([
            panel("overview-map", t("map_title", lang), ("tickets",), fresh, lang,
                  graph("overview-map", map_figure(ctx.shapes.url(ctx.scope), communes, "open", lang, size,
                                                   _codes(communes, alerts, ("sensor", "tickets", "cameras"))))),
            panel("overview-monthly", t("wall_tickets_monthly", lang), ("tickets",), fresh, lang,
                  graph("overview-monthly", tickets_figure(monthly, lang, size))),
        ], className="wall-grid"),
    ]


def _categories_figure(categories: pd.DataFrame, lang: str, size: int) -> go.Figure:
    rows = categories.iloc[::-1]
    figure = go.Figure([
        go.Bar(y=rows["service_name"], x=rows["received"], orientation="h", name=t("received", lang),
               marker_color=BLUE, text=rows["received"], textposition="outside", cliponaxis=False),
        go.Bar(y=rows["service_name"], x=rows["open"], orientation="h", name=t("wall_still_open", lang),
               marker_color=ORANGE, text=rows["open"], textposition="outside", cliponaxis=False),
    ])
    figure.update_layout(barmode="group", bargap=0.25, margin=dict(l=size // 2, r=2 * size, t=size // 2, b=size),
                         legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    figure.update_xaxes(gridcolor=GRID, zeroline=False, showticklabels=False)
    figure.update_yaxes(automargin=True, ticksuffix="  ")
    return base_layout(figure, lang, size)


def tickets_view(ctx: WallContext, lang: str, size: int, alerts: list[Alert], fresh: dict) -> list:
    as_of = ctx.tickets_as_of()
    communes = ctx.communes()
    summary = ctx.cache.run(q.tickets_summary, ctx.scope).iloc[0]
    timely = ctx.cache.run(w.ticket_timeliness, ctx.scope, as_of, TICKET_DAYS).iloc[0]
    categories = ctx.cache.run(w.ticket_categories, ctx.scope, as_of, TICKET_DAYS, TOP_CATEGORIES)
    closed = int(timely["closed"])
    tiles = [
        tile(t("kpi_tickets", lang), number(summary["open"], lang), t("communes_count", lang, n=len(communes)),
              tile_id="wall-tickets-open"),
        tile(t("metric_overdue", lang), number(summary["overdue"], lang), "",
              "ioc-warn" if summary["overdue"] else "", "wall-tickets-overdue"),
        tile(t("wall_on_time", lang), percent(timely["on_time"] / closed, lang, 0) if closed else "–",
              t("wall_on_time_sub", lang, on_time=number(timely["on_time"], lang), closed=number(closed, lang),
                days=number((timely["mean_hours"] or 0) / 24, lang, 1)) if closed else "",
              tile_id="wall-tickets-on-time"),
    ]
    return [html.Div([
        panel("tickets-map", t("map_title", lang), ("tickets",), fresh, lang,
              graph("tickets-map", map_figure(ctx.shapes.url(ctx.scope), communes, "open", lang, size,
                                              _codes(communes, alerts, ("tickets",))))),
        html.Div([
            panel("tickets-kpis", t("wall_view_tickets", lang), ("tickets",), fresh, lang,
                  html.Div(tiles, className="wall-tiles"), "wall-kpi-panel"),
            panel("tickets-categories", t("wall_top_categories", lang), ("tickets",), fresh, lang,
                  graph("tickets-categories", _categories_figure(categories, lang, size))),
        ], className="wall-column"),
    ], className="wall-grid wall-grid-half")]


def _points_figure(ctx: WallContext, points: list[tuple[pd.DataFrame, str, float, str]], lang: str,
                   size: int) -> go.Figure:
    """Point layers (rows with lat, lon, label) over the outlines of every commune of the scope."""
    figure = go.Figure(commune_outline(ctx.shapes.url(ctx.scope), ctx.shapes.codes(ctx.scope), GRID, 0.8,
                                       fill="rgba(86,180,233,0.06)"))
    for frame, color, marker_size, label_mode in points:
        if frame.empty:
            continue
        figure.add_trace(go.Scattergeo(
            lat=frame["lat"], lon=frame["lon"], mode=label_mode, text=frame["label"],
            textposition="top center", textfont=dict(color=color, size=size),
            marker=dict(size=marker_size, color=color, line=dict(color="#0b1220", width=1)),
            hoverinfo="text", showlegend=False))
    geo_frame(figure)
    figure.update_layout(margin=dict(l=0, r=0, t=0, b=0))
    return base_layout(figure, lang, size)


def _sensor_limit(row: dict, limits: dict[str, float | str]) -> float | None:
    """The limit the wall judges a sensor by: the configured one of its kind, else the station's own."""
    configured = limits.get(row["kind"], "station")
    limit = row["threshold"] if configured == "station" else configured
    return None if limit is None or pd.isna(limit) else float(limit)


def _digits(kind: str) -> int:
    return 1 if kind == "pm25" else 2


def _joined(series: pd.DataFrame, sensor_ids: pd.Series) -> tuple[list, list]:
    """x and y of several stations' hourly means as one line: each station's points, then a gap."""
    xs: list = []
    ys: list = []
    for _, points in series[series["sensor_id"].isin(sensor_ids)].groupby("sensor_id", sort=False):
        xs += [*points["hour"], None]
        ys += [*points["avg_value"], None]
    return xs, ys


def _band(figure: go.Figure, series: pd.DataFrame, color: str, fill: str, width: float, row: int) -> None:
    """The range from the lowest to the highest of the stations' hourly means, and their median."""
    band = series.groupby("hour")["avg_value"].agg(["min", "median", "max"]).reset_index()
    for column, area, line_width in (("min", None, 0), ("max", "tonexty", 0), ("median", None, width)):
        figure.add_trace(go.Scatter(x=band["hour"], y=band[column], mode="lines", fill=area, fillcolor=fill,
                                    line=dict(color=color, width=line_width), showlegend=False), row=row, col=1)


def _series_figure(series: pd.DataFrame, latest: pd.DataFrame, kinds: list[str], lang: str,
                   size: int) -> go.Figure:
    """Per kind, the last hours of every station: a band (lowest to highest, with the median) of the
    stations within their limit; those above it in the alert colour, as lines of their own while
    they are few (OVER_LINES), else as a band too; the limit dotted when the kind has few
    (a kind judged by each station's own level has as many as stations). A province has hundreds
    of stations: a line each is unreadable on a wall and makes an answer of a megabyte."""
    titles = [t("wall_series_24h", lang, kind=sensor_kind_name(kind, lang),
                unit=latest.loc[latest["kind"] == kind, "unit"].iloc[0]) for kind in kinds]
    figure = make_subplots(rows=len(kinds), cols=1, shared_xaxes=True, vertical_spacing=0.12,
                           subplot_titles=titles)
    for row, kind in enumerate(kinds, start=1):
        stations = latest[latest["kind"] == kind]
        mine = series[series["sensor_id"].isin(stations["sensor_id"])]
        over = stations.loc[stations["over"], "sensor_id"]
        _band(figure, mine[~mine["sensor_id"].isin(over)], BLUE, BAND, size / 8, row)
        if len(over) > OVER_LINES:
            _band(figure, mine[mine["sensor_id"].isin(over)], ALERT, ALERT_BAND, size / 5, row)
        elif len(over):
            x, y = _joined(mine, over)
            figure.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=ALERT, width=size / 5),
                                        showlegend=False), row=row, col=1)
        limits = sorted(set(stations["limit"].dropna()))
        if 0 < len(limits) <= LIMIT_LINES:
            for limit in limits:
                figure.add_hline(y=limit, line_dash="dot", line_color=ORANGE, line_width=max(1, size / 8),
                                 row=row, col=1)
    figure.update_annotations(font_size=size, font_color=MUTED, x=0, xanchor="left")
    series_layout(figure, lang, size, "%H:%M")
    figure.update_layout(margin=dict(l=3 * size, r=size, t=int(1.6 * size), b=int(1.5 * size)), hovermode=False)
    return figure


def sensors_view(ctx: WallContext, lang: str, size: int, alerts: list[Alert], fresh: dict) -> list:
    latest = ctx.cache.run(w.sensor_latest, ctx.scope).copy()
    series = ctx.cache.run(w.sensor_series, ctx.scope, SERIES_HOURS)
    latest["limit"] = [_sensor_limit(row, ctx.alert_config.sensors) for row in latest.to_dict("records")]
    latest["over"] = latest["value"].notna() & latest["limit"].notna() & (latest["value"] > latest["limit"])
    alerted = {alert.values["sensor_id"] for alert in alerts if alert.kind == "sensor"}
    kinds = list(dict.fromkeys(latest["kind"]))
    tiles = []
    for kind in kinds:
        rows = latest[latest["kind"] == kind]
        ratio = rows["value"] / rows["limit"]
        top = rows.loc[ratio.idxmax()] if ratio.notna().any() else None
        tiles.append(tile(
            sensor_kind_name(kind, lang),
            number(top["value"], lang, _digits(kind)) if top is not None else "–",
            t("wall_sensors_over", lang, over=int(rows["over"].sum()), total=len(rows))
            + (" · " + t("wall_sensor_top", lang, station=top["name"]) if top is not None else ""),
            "ioc-alert" if rows["over"].any() else "", f"wall-sensor-{kind}", unit=rows["unit"].iloc[0]))
    # Values only: the stations' names are in the banner and the tiles, and long names
    # of neighbouring stations would print over each other.
    latest["label"] = [
        f"{number(row['value'], lang, _digits(row['kind']))} {row['unit']}"
        if pd.notna(row["value"]) else t("wall_no_reading", lang)
        for row in latest.to_dict("records")]
    is_alert = latest["sensor_id"].isin(alerted) | latest["over"]
    no_reading = latest["value"].isna()
    alerting = latest[is_alert].assign(ratio=latest["value"] / latest["limit"]).sort_values("ratio", ascending=False)
    map_fig = _points_figure(ctx, [
        (latest[~is_alert & ~no_reading], BLUE, size * 0.8, "markers"),
        (latest[no_reading], MUTED, size * 0.6, "markers"),
        (alerting.iloc[LABELLED_ALERTS:], ALERT, size * 1.3, "markers"),
        (alerting.iloc[:LABELLED_ALERTS], ALERT, size * 1.3, "markers+text"),
    ], lang, size)
    body = [html.Div(tiles, className="wall-tiles")] if kinds else []
    return [
        panel("sensors-kpis", t("wall_view_sensors", lang), ("sensors",), fresh, lang, html.Div(body),
              "wall-kpi-panel"),
        html.Div([
            panel("sensors-map", t("wall_stations", lang), ("sensors",), fresh, lang, graph("sensors-map", map_fig)),
            panel("sensors-series", t("wall_series_title", lang),
                  ("sensors",), fresh, lang,
                  graph("sensors-series", _series_figure(series, latest, kinds, lang, size)) if kinds
                  else html.P(t("no_data", lang), className="wall-empty")),
        ], className="wall-grid wall-grid-even"),
    ]


def _offline_list(offline: pd.DataFrame, lang: str) -> html.Div:
    rows = [html.Li([
        html.Span(row["name"], className="wall-offline-name"),
        html.Span(row["area_name"] or "", className="wall-offline-place"),
        html.Span(t("wall_offline_since", lang, time=when(row["last_online"].to_pydatetime(), lang))
                  if pd.notna(row["last_online"]) else t("wall_offline_long", lang), className="wall-offline-since"),
    ]) for row in offline.head(OFFLINE_ROWS).to_dict("records")]
    more = len(offline) - OFFLINE_ROWS
    return html.Div([
        html.Ul(rows, className="wall-offline", id="wall-offline-list") if rows
        else html.P(t("none", lang), className="wall-empty"),
        html.P(t("wall_offline_more", lang, n=number(more, lang)), className="wall-more") if more > 0 else None,
    ], className="wall-offline-box")


def cameras_view(ctx: WallContext, lang: str, size: int, alerts: list[Alert], fresh: dict) -> list:
    cameras = ctx.cameras().copy()
    online = cameras["online"].astype(bool)
    offline = cameras[~online].sort_values(["last_online", "camera_id"], na_position="first")

    def sharetile(label: str, frame: pd.DataFrame, tile_id: str) -> html.Div:
        up = int(frame["online"].astype(bool).sum())
        return tile(label, percent(up / len(frame), lang, 0) if len(frame) else "–",
                     t("kpi_cameras_sub", lang, online=number(up, lang), total=number(len(frame), lang)),
                     "ioc-warn" if up < 0.9 * len(frame) else "", tile_id)

    tiles = [sharetile(t("kpi_cameras", lang), cameras, "wall-cameras-all"),
             *[sharetile(t(f"wall_cameras_kind_{kind}", lang), cameras[cameras["kind"] == kind],
                          f"wall-cameras-{kind}") for kind in ("traffic", "security")],
             tile(t("wall_offline", lang), number(len(offline), lang), "",
                   "ioc-alert" if any(a.kind == "cameras" for a in alerts) else "", "wall-cameras-offline")]
    cameras["label"] = cameras["name"]
    map_fig = _points_figure(ctx, [
        (cameras[online], BLUE, size * 0.55, "markers"),
        (cameras[~online], ALERT, size * 1.1, "markers"),
    ], lang, size)
    return [
        panel("cameras-kpis", t("wall_view_cameras", lang), ("cameras",), fresh, lang,
              html.Div(tiles, className="wall-tiles"), "wall-kpi-panel"),
        html.Div([
            panel("cameras-map", t("wall_camera_map", lang), ("cameras",), fresh, lang,
                  graph("cameras-map", map_fig)),
            panel("cameras-offline", t("wall_offline_list", lang), ("cameras",), fresh, lang,
                  _offline_list(offline, lang)),
        ], className="wall-grid"),
    ]


VIEWS: dict[str, Callable[[WallContext, str, int, list[Alert], dict], list]] = {
    "overview": overview_view,
    "tickets": tickets_view,
    "sensors": sensors_view,
    "cameras": cameras_view,
}
