"""The control-room wall: a kiosk page that rotates through a playlist of views by itself.

The browser runs the rotation, the clock and the ageing of the as-of times; the server is
asked only for the lake snapshot id every few seconds and redraws the views when, and
only when, that id changes. The view on screen is asked for first; the others once it has
been answered (`wall-go-<view>` holds the snapshot each view is to be drawn from), so after
new data the wall's screen does not wait for views nobody is looking at. Fetch failures are
caught in the browser (assets/21-wall.js): the wall keeps its last content under a
"reconnecting" banner until the server answers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from urllib.parse import parse_qs

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ioc_app.config import WALL_VIEWS, Settings, WallSlot
from ioc_app.geo import resolve_province
from ioc_app.queries import wall as w
from ioc_app.queries.scope import Scope
from ioc_app.web.access import current_scope
from ioc_app.web.commune_shapes import commune_shapes
from ioc_app.web.i18n import number, t
from ioc_app.web.query_cache import QueryCache
from layouts.wall_status import alert_text, late_minutes_by_kind
from layouts.wall_views import VIEWS, WallContext

POLL_MS = 5_000
TICK_MS = 1_000
ALERTS_SHOWN = 2
MIN_SECONDS, MAX_SECONDS = 1.0, 3600.0
# views x languages x screen sizes of the current snapshot, and a few of the one before
RENDERED_KEPT = 64


def wall_font_px(viewport: dict | None) -> int:
    """Chart text for a wall read from 5 m: 20 px at 1920x1080, 40 px at 3840x2160."""
    width, height = (viewport or {}).get("w") or 1920, (viewport or {}).get("h") or 1080
    return max(12, round(20 * min(width / 1920, height / 1080)))


def playlist_from(search: str | None, playlists: dict[str, tuple[WallSlot, ...]]) -> tuple[str, list[dict], str]:
    """(name, slots, unknown name or '') from `?playlist=NAME&seconds=N`; seconds overrides every slot
    (for trying a playlist out and for tests); an unknown name falls back to 'default'."""
    query = parse_qs((search or "").lstrip("?"))
    asked = (query.get("playlist") or ["default"])[0]
    name = asked if asked in playlists else "default"
    try:
        seconds = float((query.get("seconds") or [""])[0])
    except ValueError:
        seconds = None
    if seconds is not None and not MIN_SECONDS <= seconds <= MAX_SECONDS:
        seconds = None
    slots = [{"view": slot.view, "seconds": seconds or slot.seconds} for slot in playlists[name]]
    return name, slots, "" if asked == name else asked


def layout(lang: str) -> html.Div:
    return html.Div([
        dcc.Interval(id="wall-poll", interval=POLL_MS),
        dcc.Interval(id="wall-tick", interval=TICK_MS),
        dcc.Store(id="wall-snapshot"),
        *[dcc.Store(id=f"wall-go-{view}") for view in WALL_VIEWS],
        dcc.Store(id="wall-viewport"),
        dcc.Store(id="wall-playlist"),
        dcc.Store(id="wall-freshness"),
        html.Header([
            html.Div([
                html.Div("IOC", className="ioc-emblem", **{"aria-hidden": "true"}),
                html.Div([html.Div(id="wall-province", className="wall-province"),
                          html.Div(id="wall-title", className="wall-title")]),
            ], className="wall-brand"),
            html.Div(id="wall-dots", className="wall-dots", **{"aria-hidden": "true"}),
            html.Div([html.Div(id="wall-clock", className="wall-clock"),
                      html.Div(id="wall-date", className="wall-date")], className="wall-time"),
            html.Div(html.Div(id="wall-progress", className="wall-progress-bar"), className="wall-progress"),
        ], className="wall-top"),
        html.Div(id="wall-alerts", className="wall-alerts", role="alert"),
        html.Main(id="wall-stage", className="wall-stage"),
        html.Div(id="wall-note", className="wall-note"),
        html.Div(t("wall_reconnecting", lang), id="wall-reconnecting", className="wall-reconnecting",
                 role="status"),
    ], className="wall", id="wall")


def _alerts_banner(alerts, lang: str) -> list:
    if not alerts:
        return []
    items = [html.Li(alert_text(alert, lang), className=f"wall-alert-item wall-alert-{alert.kind}")
             for alert in alerts[:ALERTS_SHOWN]]
    more = len(alerts) - ALERTS_SHOWN
    if more > 0:
        items.append(html.Li(t("wall_alerts_more", lang, n=number(more, lang)), className="wall-alert-more"))
    return [html.Span(["⚠ ", t("wall_alert", lang)], className="wall-alert-label"),
            html.Ul(items, className="wall-alert-list", id="wall-alert-list")]


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    province = resolve_province(settings.province_code)
    base = WallContext(
        cache=cache, scope=Scope(settings.province_code, frozenset()), shapes=commune_shapes(settings),
        headline_codes=tuple(settings.ui.headline_indicators), alert_config=settings.wall.alerts,
        late_minutes=late_minutes_by_kind(settings.sources),
    )

    @app.callback(Output("wall-stage", "children"), Output("wall-playlist", "data"),
                  Output("wall-province", "children"), Output("wall-note", "children"),
                  Input("url", "search"))
    def setup(search: str | None):
        lang = lang_of()
        _, slots, unknown = playlist_from(search, settings.wall.playlists)
        views = list(dict.fromkeys(slot["view"] for slot in slots))
        stage = [html.Section(html.Div(id=f"wall-body-{view}", className="wall-body"),
                              id={"type": "wall-view", "index": view}, className="wall-view",
                              **{"data-view": view}) for view in views]
        for slot in slots:
            slot["title"] = t(f"wall_view_{slot['view']}", lang)
        province_name = f"{t('app_title', lang)} · {province.name}"
        note = t("wall_unknown_playlist", lang, name=unknown) if unknown else ""
        return stage, {"slots": slots, "views": list(WALL_VIEWS)}, province_name, note

    @app.callback(Output("wall-snapshot", "data"), Input("wall-poll", "n_intervals"), State("wall-snapshot", "data"))
    def poll(_, current: int | None):
        latest = cache.run(w.snapshot)
        return no_update if latest == current else latest

    @app.callback(Output("wall-alerts", "children"), Output("wall-freshness", "data"),
                  Input("wall-snapshot", "data"))
    def alerts(snapshot: int | None):
        if snapshot is None:
            raise PreventUpdate
        ctx = replace(base, scope=current_scope(settings))  # a commune's account sees its commune
        fresh = ctx.freshness()
        browser = {kind: {key: info[key] for key in ("newest_ms", "amber_ms", "red_ms")}
                   for kind, info in fresh.items()}
        return _alerts_banner(ctx.alerts(), lang_of()), browser

    @lru_cache(maxsize=RENDERED_KEPT)
    def rendered(view: str, snapshot: int, lang: str, size: int, scope: Scope) -> list:
        """A view as drawn for a snapshot and scope: every wall showing it, and every reload, reuses it
        until new data arrives. The as-of colours in it are those of the drawing time; the browser ages them."""
        ctx = replace(base, scope=scope)
        return VIEWS[view](ctx, lang, size, ctx.alerts(), ctx.freshness())

    def view_callback(view: str) -> None:
        @app.callback(Output(f"wall-body-{view}", "children"), Input(f"wall-go-{view}", "data"),
                      Input("wall-viewport", "data"))
        def draw(snapshot: int | None, viewport: dict | None):
            if not isinstance(snapshot, int) or viewport is None:
                raise PreventUpdate
            return rendered(view, snapshot, lang_of(), wall_font_px(viewport), current_scope(settings))

    for view in WALL_VIEWS:
        view_callback(view)

    app.clientside_callback(
        ClientsideFunction("wall", "viewport"),
        Output("wall-viewport", "data"), Input("wall-tick", "n_intervals"), State("wall-viewport", "data"))
    app.clientside_callback(
        ClientsideFunction("wall", "rotate"),
        Output({"type": "wall-view", "index": ALL}, "className"), Output("wall-title", "children"),
        Output("wall-dots", "children"), Output("wall-progress", "style"),
        Input("wall-tick", "n_intervals"), Input("wall-playlist", "data"),
        State({"type": "wall-view", "index": ALL}, "className"))
    app.clientside_callback(
        ClientsideFunction("wall", "schedule"),
        [Output(f"wall-go-{view}", "data") for view in WALL_VIEWS],
        Input("wall-snapshot", "data"), Input("wall-tick", "n_intervals"), State("wall-playlist", "data"),
        [State(f"wall-go-{view}", "data") for view in WALL_VIEWS])
    app.clientside_callback(
        ClientsideFunction("wall", "clock"),
        Output("wall-clock", "children"), Output("wall-date", "children"), Input("wall-tick", "n_intervals"))
    app.clientside_callback(
        ClientsideFunction("wall", "age"),
        Output({"type": "wall-asof", "panel": ALL, "kind": ALL}, "className"),
        Input("wall-tick", "n_intervals"), Input("wall-freshness", "data"),
        State({"type": "wall-asof", "panel": ALL, "kind": ALL}, "className"))
