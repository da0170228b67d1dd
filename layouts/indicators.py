"""Socio-economic indicators (department heads, leaders): pick by sector or search, value
against target and last year, the commune map (click a commune to filter every chart to
it, the breadcrumb goes back), the series across the July 2025 reform, the breakdown by
category, the approved submissions behind the figure, and CSV/Excel exports."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from ioc_app.config import Settings
from ioc_app.geo import resolve_province
from ioc_app.queries import indicators as q
from ioc_app.queries.overview import REFORM_DATE, figures_summary
from ioc_app.queries.scope import Scope
from ioc_app.web.access import current_scope, require_role
from ioc_app.web.commune_shapes import commune_shapes
from ioc_app.web.i18n import number, percent, t, when
from ioc_app.web.query_cache import QueryCache
from layouts.desk import MAP_CONFIG, graph_config, page_head, panel
from layouts.exports import Export, export_actions, named_columns, register_export
from layouts.figures import (BLUE, GRID, MUTED, ORANGE, commune_outline, font_px, geo_frame, map_figure,
                             series_layout, with_source)
from layouts.figures import base_layout as _base_layout
from layouts.tables import table
from layouts.tiles import tile

ROLES = ("leader", "dept_head", "approver", "unit_admin", "admin")


class Selection(NamedTuple):
    """What the page shows for its filters, read once in the user's scope: `show` and every export
    read their rows from it."""
    scope: Scope
    indicator: pd.Series
    period: str
    category: str
    communes: pd.DataFrame  # the scope's communes with their values
    area: str | None  # the commune clicked on the map; None: the scope's home area
    area_key: str | None  # the area the series, breakdown and sources are of


def layout(lang: str) -> html.Div:
    return html.Div([
        dcc.Store(id="ind-area"),
        dcc.Store(id="ind-viewport"),
        page_head(t("indicators", lang), t("ind_breadcrumb", lang), "ind-crumb-province", "ind-crumb-commune"),
        html.Div([
            html.Label([t("ind_sector", lang), dcc.Dropdown(id="ind-sector", className="ioc-select",
                                                            placeholder=t("ind_all_sectors", lang))]),
            html.Label([t("ind_indicator", lang), dcc.Dropdown(id="ind-code", clearable=False, searchable=True,
                                                               className="ioc-select ioc-select-wide")],
                       className="ioc-grow"),
            html.Label([t("ind_period", lang), dcc.Dropdown(id="ind-period", clearable=False, className="ioc-select")]),
            html.Label([t("ind_category", lang), dcc.Dropdown(id="ind-category", clearable=False,
                                                              className="ioc-select")]),
        ], className="ioc-filters"),
        html.Section(id="ind-kpis", className="ioc-kpis"),
        html.Div([
            panel(t("ind_map", lang),
                  dcc.Graph(id="ind-map", className="ioc-map", config=graph_config("ind-map", MAP_CONFIG)),
                  html.Div(id="ind-map-note", className="ioc-note"), extra="ioc-panel-map"),
            html.Div([
                panel(t("ind_series", lang),
                      dcc.Graph(id="ind-series", className="ioc-chart", config=graph_config("ind-series")),
                      actions=export_actions("ind-series-export", lang)),
                panel(t("ind_breakdown", lang),
                      dcc.Graph(id="ind-breakdown", className="ioc-chart", config=graph_config("ind-breakdown")),
                      actions=export_actions("ind-breakdown-export", lang)),
            ], className="ioc-side"),
        ], className="ioc-grid"),
        html.Div([
            panel(t("ind_sources", lang), html.Div(id="ind-sources"),
                  actions=export_actions("ind-sources-export", lang)),
            panel(t("ind_communes", lang), html.Div(id="ind-communes", className="ioc-scroll"),
                  actions=export_actions("ind-communes-export", lang)),
        ], className="ioc-two"),
        html.Footer(id="ind-footer", className="ioc-footer"),
    ], className="ioc-stack ioc-indicators")


def _name(row: pd.Series | dict, lang: str) -> str:
    return row["name_vi"] if lang == "vi" else row["name_en"]


def _indicator(cache: QueryCache, code: str | None) -> pd.Series | None:
    catalog = cache.run(q.catalog)
    found = catalog[catalog["indicator_code"] == code]
    return None if found.empty else found.iloc[0]


def _present(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def kpi_tiles(figure: dict, unit: str, direction: str, digits: int, lang: str, area_name: str) -> list:
    value, last, target = (_present(figure.get(k)) for k in ("value", "last_year", "target"))
    tiles = [tile(area_name, number(value, lang, digits), figure.get("period") or "–", tile_id="ind-kpi-value",
                  unit=unit)]
    if target:
        ahead = value is not None and (value >= target) == (direction == "up")
        tiles.append(tile(t("ind_target", lang), number(target, lang, digits),
                          t("ind_of_target", lang, share=percent(value / target, lang, 0)) if value is not None else "–",
                          "ioc-good" if ahead else "ioc-warn", "ind-kpi-target", unit))
    if last:
        change = None if value is None else value / last - 1
        better = change is not None and (change >= 0) == (direction == "up")
        tiles.append(tile(t("ind_last_year", lang), number(last, lang, digits),
                          t("vs_last_year", lang, change=percent(change, lang, signed=True)),
                          "ioc-good" if better else "ioc-warn", "ind-kpi-last", unit))
    return tiles


def series_figure(series: pd.DataFrame, unit: str, lang: str, size: int, source: str) -> go.Figure:
    figure = go.Figure(go.Scatter(
        x=series["period_start"], y=series["value"], mode="lines+markers", line=dict(color=BLUE, width=size / 5),
        marker=dict(size=size / 2.5), customdata=series["period"],
        hovertemplate="%{customdata}: %{y:,.2f} " + unit + "<extra></extra>"))
    figure.add_vline(x=pd.Timestamp(REFORM_DATE).timestamp() * 1000, line_dash="dot", line_color=ORANGE,
                     annotation_text=t("reform_line", lang), annotation_font_color=ORANGE,
                     annotation_position="top left")
    return series_layout(figure, lang, size, "%m/%Y" if lang == "vi" else "%b %Y", source)


def breakdown_figure(parts: pd.DataFrame, unit: str, lang: str, size: int, source: str) -> go.Figure:
    names = [_name(row, lang) for _, row in parts.iterrows()]
    figure = go.Figure(go.Bar(x=parts["value"], y=names, orientation="h", marker_color=BLUE,
                              hovertemplate=with_source("%{y}: %{x:,.2f} " + unit + "<extra></extra>", source)))
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_xaxes(gridcolor=GRID, tickformat=",~r")
    figure.update_layout(margin=dict(l=size, r=size, t=size // 2, b=2 * size), bargap=0.55)
    return _base_layout(figure, lang, size)


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    shapes = commune_shapes(settings)
    def scope() -> Scope:
        return current_scope(settings)
    province_name = resolve_province(settings.province_code).name

    def selection(code: str | None, period: str | None, category: str | None, area: str | None) -> Selection | None:
        """The page's reading of its filters in the signed-in user's scope; None when nothing is chosen."""
        indicator = _indicator(cache, code)
        if indicator is None or not period or not category:
            return None
        where = scope()
        communes = cache.run(q.commune_values, where, code, period, category)
        area = area if area in set(communes["code"]) else None
        return Selection(where, indicator, period, category, communes, area,
                         area or cache.run(q.home_area_key, where))

    # The series, breakdown and sources of a selection: the charts and their exports read them alike.
    def series(chosen: Selection) -> pd.DataFrame:
        return cache.run(q.series, chosen.scope, chosen.area_key, chosen.indicator["indicator_code"],
                         chosen.category)

    def breakdown(chosen: Selection) -> pd.DataFrame:
        return cache.run(q.breakdown, chosen.scope, chosen.area_key, chosen.indicator["indicator_code"],
                         chosen.period)

    def sources(chosen: Selection) -> pd.DataFrame:
        return cache.run(q.sources, chosen.scope, chosen.area_key, chosen.indicator["indicator_code"],
                         chosen.period, chosen.category)

    def newest(frame: pd.DataFrame, column: str, lang: str) -> str:
        found = frame[column].max() if len(frame) else None
        return when(None if found is None or pd.isna(found) else found, lang)

    def hover_source(where: Scope, lang: str) -> str:
        """Where the charts' numbers come from: approved reports, as of the scope's newest approval."""
        return t("ind_hover_source", lang, as_of=newest(cache.run(figures_summary, where), "as_of", lang))

    app.clientside_callback("function(p) { return window.innerWidth; }",
                            Output("ind-viewport", "data"), Input("url", "pathname"))

    @app.callback(Output("ind-sector", "options"), Output("ind-code", "options"), Output("ind-code", "value"),
                  Input("ind-sector", "value"), State("ind-code", "value"))
    def pick_indicator(sector: str | None, current: str | None):
        require_role(*ROLES)
        lang, catalog = lang_of(), cache.run(q.catalog)
        sectors = [{"label": s, "value": s} for s in sorted(catalog["sector"].unique())]
        shown = catalog if not sector else catalog[catalog["sector"] == sector]
        options = [{"label": f"{row['indicator_code']} · {_name(row, lang)}", "value": row["indicator_code"]}
                   for _, row in shown.iterrows()]
        codes = [o["value"] for o in options]
        if current not in codes:
            preferred = [c for c in settings.ui.trend_indicators if c in codes]
            current = preferred[0] if preferred else (codes[0] if codes else None)
        return sectors, options, current

    @app.callback(Output("ind-period", "options"), Output("ind-period", "value"),
                  Output("ind-category", "options"), Output("ind-category", "value"),
                  Input("ind-code", "value"), State("ind-period", "value"), State("ind-category", "value"))
    def pick_period(code: str | None, period: str | None, category: str | None):
        require_role(*ROLES)
        if not code:
            return [], None, [], None
        lang = lang_of()
        periods = cache.run(q.periods, code)["period"].tolist()
        cats = cache.run(q.categories, code)
        cat_options = [{"label": _name(row, lang), "value": row["category_code"]} for _, row in cats.iterrows()]
        cat_codes = cats["category_code"].tolist()
        return ([{"label": p, "value": p} for p in periods], period if period in periods else next(iter(periods), None),
                cat_options, category if category in cat_codes else next(iter(cat_codes), None))

    @app.callback(Output("ind-area", "data"), Input("ind-map", "clickData"), Input("ind-crumb-province", "n_clicks"),
                  Input("ind-code", "value"), prevent_initial_call=True)
    def pick_area(click: dict | None, _back, _code):
        require_role(*ROLES)
        if ctx.triggered_id == "ind-map" and click and click.get("points"):
            location = str(click["points"][0].get("location", ""))
            known = {str(f["id"]) for f in shapes.geojson["features"]}
            return location if location in known else no_update
        return None

    @app.callback(Output("ind-crumb-province", "children"), Output("ind-crumb-commune", "children"),
                  Output("ind-kpis", "children"), Output("ind-map", "figure"),
                  Output("ind-map-note", "children"), Output("ind-series", "figure"),
                  Output("ind-breakdown", "figure"), Output("ind-sources", "children"),
                  Output("ind-communes", "children"), Output("ind-footer", "children"),
                  Input("ind-code", "value"), Input("ind-period", "value"), Input("ind-category", "value"),
                  Input("ind-area", "data"), Input("ind-viewport", "data"))
    def show(code: str | None, period: str | None, category: str | None, area: str | None, width: int | None):
        require_role(*ROLES)
        lang, size = lang_of(), font_px(width)
        chosen = selection(code, period, category, area)
        empty = _base_layout(go.Figure(), lang, size)
        if chosen is None:
            return province_name, None, None, empty, t("none", lang), empty, empty, None, None, None
        where, indicator, communes, area = chosen.scope, chosen.indicator, chosen.communes, chosen.area
        unit, digits = indicator["unit"], 0 if indicator["aggregation"] == "sum" else 2
        names = dict(zip(communes["code"], communes["name"]))
        commune_crumb = f"› {names[area]}" if area else None
        if area:
            row = communes[communes["code"] == area].iloc[0]
            figure = {"value": row["value"], "last_year": row["last_year"], "period": period}
        else:
            found = cache.run(q.home_figure, where, code, period, category)
            figure = {**(found.iloc[0].to_dict() if len(found) else {}), "period": period}
        hover = hover_source(where, lang)
        kpis = kpi_tiles(figure, unit, indicator["direction"], digits, lang,
                         names.get(area, t("ind_province_value", lang)))
        if communes.empty:
            outline = go.Figure(commune_outline(shapes.url(where), shapes.codes(where), MUTED, 0.5))
            map_fig, note = _base_layout(geo_frame(outline), lang, size), t("ind_province_only", lang)
            map_fig.update_layout(margin=dict(l=0, r=0, t=0, b=0))
        else:
            map_fig = map_figure(shapes.url(where), communes.fillna({"value": 0}), "value", lang, size,
                                 highlight=[area] if area else ())
            map_fig.update_traces(selector=dict(type="choropleth"), hovertemplate=with_source(
                "<b>%{text}</b><br>%{z:,.2f} " + unit + "<extra></extra>", hover), colorbar_tickformat=",~r")
            note = t("ind_map_note", lang, n=number(len(communes), lang)) + (
                " · " + t("approximate", lang) if shapes.approximate else "")
        found_sources = sources(chosen)
        source_table = table(found_sources.to_dict("records"), [
            ("submission_id", t("ind_submission", lang), lambda s: html.Code(s)),
            ("unit_code", t("ind_unit", lang), None),
            ("value", t("ind_value", lang), lambda v: number(_present(v), lang, digits)),
            ("approved_at", t("ind_approved_at", lang), lambda v: when(None if pd.isna(v) else v, lang)),
            ("source", t("ind_source", lang), None),
        ], "ind-sources-table", t("ind_aggregated", lang))
        commune_table = table(communes.to_dict("records"), [
            ("code", t("ind_code", lang), None),
            ("name", t("ind_commune", lang), None),
            ("value", period, lambda v: number(_present(v), lang, digits)),
            ("last_year", t("ind_last_year", lang), lambda v: number(_present(v), lang, digits)),
        ], "ind-communes-table", t("ind_province_only", lang),
            row_class=lambda r: "ioc-row-selected" if r["code"] == area else "")
        footer = f"{t('as_of', lang)}: {newest(found_sources, 'approved_at', lang)} · " \
                 f"{t('ind_snapshot', lang)} {cache.snapshot()}"
        return (province_name, commune_crumb, kpis, map_fig, note,
                series_figure(series(chosen), unit, lang, size, hover),
                breakdown_figure(breakdown(chosen), unit, lang, size, hover), source_table, commune_table, footer)

    def export_head(chosen: Selection, what: str, lang: str) -> tuple[str, str]:
        """The title (indicator, period, category, place, what) and the source line with its as-of time."""
        communes, indicator = chosen.communes, chosen.indicator
        place = (dict(zip(communes["code"], communes["name"])).get(chosen.area)
                 or dict(zip(communes["area_key"], communes["name"])).get(chosen.area_key, province_name))
        title = (f"{indicator['indicator_code']} · {_name(indicator, lang)} ({indicator['unit']}) · {chosen.period} · "
                 f"{chosen.category} · {place} · {what}")
        return title, t("ind_export_source", lang, snapshot=cache.snapshot(),
                        as_of=newest(sources(chosen), "approved_at", lang))

    states = [State("ind-code", "value"), State("ind-period", "value"), State("ind-category", "value"),
              State("ind-area", "data")]
    Rows = Callable[[Selection, str], pd.DataFrame]

    def export(what: str) -> Callable[[Rows], Rows]:
        """Wires the export of the panel `what` (buttons `ind-…-export-csv/xlsx`) to the decorated
        `rows(selection, lang)`: the page's selection in the user's scope, titled with the filters."""
        def wire(rows: Rows) -> Rows:
            def build(code: str | None, period: str | None, category: str | None,
                      area: str | None) -> Export | None:
                chosen = selection(code, period, category, area)
                if chosen is None:
                    return None
                lang = lang_of()
                title, source = export_head(chosen, t(what, lang), lang)
                name = f"{code}_{what.removeprefix('ind_')}_{period}_{category}" + (
                    f"_{chosen.area}" if chosen.area else "")
                return rows(chosen, lang), title, source, name
            register_export(app, f"{what.replace('_', '-')}-export", states, build, ROLES)
            return rows
        return wire

    @export("ind_communes")
    def commune_rows(chosen: Selection, lang: str) -> pd.DataFrame:
        return named_columns(chosen.communes, {"code": t("ind_code", lang), "name": t("ind_commune", lang),
                                               "value": chosen.period, "last_year": t("ind_last_year", lang)})

    @export("ind_series")
    def series_rows(chosen: Selection, lang: str) -> pd.DataFrame:
        return named_columns(series(chosen), {"period": t("ind_period", lang),
                                              "period_start": t("ind_period_start", lang),
                                              "value": t("ind_value", lang)})

    @export("ind_breakdown")
    def breakdown_rows(chosen: Selection, lang: str) -> pd.DataFrame:
        parts = breakdown(chosen)
        return named_columns(parts.assign(name=[_name(row, lang) for _, row in parts.iterrows()]),
                             {"category_code": t("ind_code", lang), "name": t("ind_category", lang),
                              "value": t("ind_value", lang)})

    @export("ind_sources")
    def source_rows(chosen: Selection, lang: str) -> pd.DataFrame:
        return named_columns(sources(chosen),
                             {"submission_id": t("ind_submission", lang), "unit_code": t("ind_unit", lang),
                              "value": t("ind_value", lang), "approved_at": t("ind_approved_at", lang),
                              "source": t("ind_source", lang)})
