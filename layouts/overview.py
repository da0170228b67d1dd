"""Overview: KPI tiles, the commune map and the trends, read from the analytical store."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html

from ioc_app.config import Settings
from ioc_app.queries import overview as q
from ioc_app.queries.newest import newest_heartbeat
from ioc_app.queries.scope import Scope
from ioc_app.web.access import current_scope
from ioc_app.web.i18n import number, percent, signed, t, when
from ioc_app.web.commune_shapes import commune_shapes
from ioc_app.web.query_cache import QueryCache
from layouts.figures import BLUE, GREEN, ORANGE, TOPOJSON_URL, font_px, map_figure, with_source
from layouts.figures import base_layout as _base_layout
from layouts.figures import series_layout as _series_layout
from layouts.tiles import tile as _tile

REFRESH_MS = 60_000
TREND_MONTHS = 24
MAP_METRICS = ("open", "overdue", "received")


def layout(lang: str) -> html.Div:
    graph_config = {"displaylogo": False, "topojsonURL": TOPOJSON_URL}
    return html.Div([
        dcc.Interval(id="ov-refresh", interval=REFRESH_MS),
        dcc.Store(id="ov-viewport"),
        html.Section(id="ov-kpis", className="ioc-kpis", **{"aria-label": t("overview", lang)}),
        html.Div([
            html.Section([
                html.Div([
                    html.H2(t("map_title", lang), id="ov-map-title", className="ioc-panel-title"),
                    dcc.Dropdown(
                        id="ov-map-metric",
                        options=[{"label": t(f"metric_{m}", lang), "value": m} for m in MAP_METRICS],
                        value="open", clearable=False, searchable=False, className="ioc-select",
                    ),
                ], className="ioc-panel-head"),
                dcc.Graph(id="ov-map", className="ioc-map", responsive=True,
                          config={**graph_config, "scrollZoom": False}),
                html.Div(id="ov-map-note", className="ioc-note"),
            ], className="ioc-panel ioc-panel-map"),
            html.Div([
                html.Section([
                    html.Div([
                        html.H2(t("trend_title", lang), className="ioc-panel-title"),
                        dcc.Dropdown(id="ov-indicator", clearable=False, className="ioc-select ioc-select-wide"),
                    ], className="ioc-panel-head"),
                    dcc.Graph(id="ov-trend", className="ioc-chart", config=graph_config, responsive=True),
                ], className="ioc-panel"),
                html.Section([
                    html.H2(t("tickets_monthly", lang), className="ioc-panel-title"),
                    dcc.Graph(id="ov-tickets", className="ioc-chart", config=graph_config, responsive=True),
                ], className="ioc-panel"),
            ], className="ioc-side"),
        ], className="ioc-grid"),
        html.Footer(id="ov-footer", className="ioc-footer"),
    ], className="ioc-overview")


def _headline_tile(row: pd.Series, lang: str) -> html.Div:
    """Summed indicators: year to date against the annual plan; rates: latest value against plan."""
    is_rate = row["unit"] == "%"
    digits = 1 if is_rate else 0
    value = number(row["value"], lang, digits)
    has_target = pd.notna(row["target"]) and row["target"] != 0
    has_last = pd.notna(row["last_year"]) and row["last_year"] != 0
    parts = [t("ytd", lang, period=row["period"]) if row["cumulative"] else row["period"]]
    if has_target:
        parts.append(t("of_plan", lang, share=percent(row["value"] / row["target"], lang, 0)) if row["cumulative"]
                     else t("plan", lang, value=number(row["target"], lang, digits)))
    if has_last:
        change = (signed(row["value"] - row["last_year"], lang) + " " + t("points", lang) if is_rate
                  else percent(row["value"] / row["last_year"] - 1, lang, signed=True))
        parts.append(t("vs_last_year", lang, change=change))
    ahead = row["value"] >= row["target"] if has_target and not row["cumulative"] else None
    tone = "" if ahead is None else ("ioc-good" if ahead == (row["direction"] == "up") else "ioc-warn")
    name = row["name_vi"] if lang == "vi" else row["name_en"]
    return _tile(name, value, " · ".join(parts), tone, f"kpi-{row['indicator_code']}", unit=row["unit"])


def kpi_tiles(cache: QueryCache, scope: Scope, headline_codes: tuple[str, ...], lang: str) -> list[html.Div]:
    figures = cache.run(q.figures_summary, scope).iloc[0]
    tickets = cache.run(q.tickets_summary, scope).iloc[0]
    cameras = cache.run(q.cameras_summary, scope, cache.run(newest_heartbeat)).iloc[0]
    sensors = cache.run(q.sensors_summary, scope)
    headlines = cache.run(q.headline_indicators, scope, headline_codes)
    over = int(sensors["over"].sum())
    return [
        _tile(t("kpi_figures", lang), number(figures["figures"], lang),
              t("kpi_figures_sub", lang, n=number(figures["indicators"], lang), period=figures["latest_period"] or "–"),
              tile_id="kpi-figures"),
        *[_headline_tile(row, lang) for _, row in headlines.iterrows()],
        _tile(t("kpi_tickets", lang), number(tickets["open"], lang),
              t("kpi_tickets_sub", lang, overdue=number(tickets["overdue"], lang)),
              "ioc-warn" if tickets["overdue"] else "", "kpi-tickets"),
        _tile(t("kpi_cameras", lang),
              percent(cameras["online"] / cameras["total"], lang) if cameras["total"] else "–",
              t("kpi_cameras_sub", lang, online=number(cameras["online"], lang), total=number(cameras["total"], lang)),
              "ioc-warn" if cameras["online"] < 0.9 * cameras["total"] else "", "kpi-cameras"),
        _tile(t("kpi_sensors", lang), number(over, lang),
              t("kpi_sensors_sub", lang, total=number(int(sensors["total"].sum()), lang)),
              "ioc-alert" if over else "", "kpi-sensors"),
    ]


def _month_format(lang: str) -> str:
    return "%m/%Y" if lang == "vi" else "%b %Y"


def trend_figure(series: pd.DataFrame, unit: str, lang: str, size: int, source: str) -> go.Figure:
    figure = go.Figure(go.Scatter(
        x=series["period_start"], y=series["value"], mode="lines+markers", line=dict(color=BLUE, width=size / 5),
        marker=dict(size=size / 2.5), customdata=series["period"], name=unit,
        hovertemplate="%{customdata}: %{y:,.1f} " + unit + "<extra></extra>",
    ))
    figure.add_vline(x=pd.Timestamp(q.REFORM_DATE).timestamp() * 1000, line_dash="dot", line_color=ORANGE,
                     line_width=max(1, size / 8), annotation_text=t("reform_line", lang),
                     annotation_font_color=ORANGE, annotation_position="top left")
    return _series_layout(figure, lang, size, _month_format(lang), source)


def tickets_figure(monthly: pd.DataFrame, lang: str, size: int, source: str | None = None) -> go.Figure:
    figure = go.Figure([
        go.Bar(x=monthly["month"], y=monthly["received"], name=t("received", lang), marker_color=BLUE),
        go.Bar(x=monthly["month"], y=monthly["resolved"], name=t("resolved", lang), marker_color=GREEN),
    ])
    figure.update_layout(barmode="group", bargap=0.25)
    return _series_layout(figure, lang, size, _month_format(lang), source)


def source_text(kind: str, as_of, lang: str) -> str:
    """A hover's source line: the source (`kind` as in the footer) and the time its data is as of."""
    return f"{t('source_' + kind, lang)} · {t('as_of', lang)} {when(None if pd.isna(as_of) else as_of, lang)}"


def _footer(cache: QueryCache, scope: Scope, lang: str) -> str:
    times = [
        (t("source_figures", lang), cache.run(q.figures_summary, scope).iloc[0]["as_of"]),
        (t("source_tickets", lang), cache.run(q.tickets_summary, scope).iloc[0]["as_of"]),
        (t("source_cameras", lang), cache.run(newest_heartbeat)),
        (t("source_sensors", lang), cache.run(q.sensors_summary, scope)["as_of"].max()),
    ]
    return f"{t('as_of', lang)}: " + " · ".join(
        f"{name} {when(None if pd.isna(at) else at, lang)}" for name, at in times)


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    shapes = commune_shapes(settings)
    headline_codes = tuple(settings.ui.headline_indicators)

    def scope() -> Scope:
        return current_scope(settings)

    app.clientside_callback("function(n) { return window.innerWidth; }",
                            Output("ov-viewport", "data"), Input("ov-refresh", "n_intervals"))

    @app.callback(Output("ov-kpis", "children"), Output("ov-footer", "children"),
                  Input("ov-refresh", "n_intervals"))
    def refresh_kpis(_):
        lang = lang_of()
        return kpi_tiles(cache, scope(), headline_codes, lang), _footer(cache, scope(), lang)

    @app.callback(Output("ov-map", "figure"), Output("ov-map-note", "children"),
                  Input("ov-map-metric", "value"), Input("ov-viewport", "data"))
    def refresh_map(metric: str, width: int | None):
        lang = lang_of()
        metric = metric if metric in MAP_METRICS else "open"
        as_of = cache.run(q.tickets_summary, scope()).iloc[0]["as_of"]
        data = cache.run(q.commune_tickets, scope(), None if pd.isna(as_of) else as_of.to_pydatetime())
        note = t("communes_count", lang, n=len(data)) + (" · " + t("approximate", lang) if shapes.approximate else "")
        figure = map_figure(shapes.url(scope()), data, metric, lang, font_px(width))
        figure.update_traces(selector=dict(type="choropleth"), hovertemplate=with_source(
            "<b>%{text}</b><br>%{z:,}<extra></extra>", source_text("tickets", as_of, lang)))
        return figure, note

    @app.callback(Output("ov-indicator", "options"), Output("ov-indicator", "value"),
                  Input("ov-refresh", "n_intervals"), Input("ov-indicator", "value"))
    def indicator_options(_, current: str | None):
        lang = lang_of()
        choices = cache.run(q.indicator_choices, "month")
        options = [{"label": row["name_vi"] if lang == "vi" else row["name_en"], "value": row["indicator_code"]}
                   for _, row in choices.iterrows()]
        codes = [o["value"] for o in options]
        if current not in codes:
            current = next((c for c in settings.ui.trend_indicators if c in codes), codes[0] if codes else None)
        return options, current

    @app.callback(Output("ov-trend", "figure"), Input("ov-indicator", "value"), Input("ov-viewport", "data"))
    def refresh_trend(indicator: str | None, width: int | None):
        lang, size = lang_of(), font_px(width)
        choices = cache.run(q.indicator_choices, "month")
        unit = choices.loc[choices["indicator_code"] == indicator, "unit"]
        if unit.empty:
            return _base_layout(go.Figure(), lang, size)
        series = cache.run(q.indicator_series, scope(), indicator)
        as_of = cache.run(q.figures_summary, scope()).iloc[0]["as_of"]
        return trend_figure(series, unit.iloc[0], lang, size, source_text("figures", as_of, lang))

    @app.callback(Output("ov-tickets", "figure"), Input("ov-viewport", "data"))
    def refresh_tickets(width: int | None):
        lang, as_of = lang_of(), cache.run(q.tickets_summary, scope()).iloc[0]["as_of"]
        return tickets_figure(cache.run(q.monthly_tickets, scope(), TREND_MONTHS), lang, font_px(width),
                              source_text("tickets", as_of, lang))
