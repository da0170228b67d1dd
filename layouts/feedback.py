"""Citizen feedback (R-21): period, category and agency filters; tiles for received, open,
overdue, on-time rate, handling time and satisfaction (each a button that opens the list
behind it); volume by category over time, the status funnel, handling time per agency, the
hot-spot map (click a commune to filter everything, the breadcrumb goes back) and the ticket
list with CSV/Excel export. Every figure is as of the newest ticket update."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from babel.dates import format_date

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from ioc_app.config import Settings
from ioc_app.geo import resolve_province
from ioc_app.queries import feedback as q
from ioc_app.queries.overview import tickets_summary
from ioc_app.queries.scope import Scope
from ioc_app.web.access import current_scope, require_role
from ioc_app.web.commune_shapes import commune_shapes
from ioc_app.web.i18n import LOCALES, number, percent, t, when
from ioc_app.web.query_cache import QueryCache
from layouts.desk import MAP_CONFIG, graph_config, page_head, panel
from layouts.exports import Export, export_actions, named_columns, register_export
from layouts.figures import (BLUE, GREEN, GRID, MUTED, ORANGE, PURPLE, VERMILLION, font_px, map_figure,
                             series_layout, with_source)
from layouts.figures import base_layout as _base_layout
from layouts.tables import table
from layouts.tiles import tile

ROLES = ("leader", "dept_head", "approver", "unit_admin", "admin")
PERIODS = (30, 90, 365)
LIST_ROWS = 100  # tickets on the list's page; its export holds them all (up to EXPORT_ROWS)
EXPORT_ROWS = 50_000
AGENCY_BARS = 12
OTHER = "__other__"
# Okabe-Ito without black (the page is dark); the eighth and later categories are summed as "other".
CATEGORY_COLOURS = (BLUE, ORANGE, GREEN, "#f0e442", "#0072b2", VERMILLION, PURPLE)
# tile -> the list of tickets behind it
TILES = {"received": "received", "open": "open", "overdue": "overdue", "on_time": "closed", "handling": "closed",
         "satisfaction": "rated"}


def layout(lang: str) -> html.Div:
    def graph(graph_id: str, extra: str = "ioc-chart") -> dcc.Graph:
        return dcc.Graph(id=graph_id, className=extra, config=graph_config(graph_id))

    return html.Div([
        dcc.Store(id="fb-area"),
        dcc.Store(id="fb-list", data="received"),
        dcc.Store(id="fb-viewport"),
        page_head(t("feedback", lang), t("fb_breadcrumb", lang), "fb-crumb-province", "fb-crumb-commune"),
        html.Div([
            html.Label([t("fb_period", lang), dcc.Dropdown(
                id="fb-days", clearable=False, searchable=False, value=PERIODS[0], className="ioc-select",
                options=[{"label": t("fb_days", lang, n=n), "value": n} for n in PERIODS])]),
            html.Label([t("fb_category", lang), dcc.Dropdown(id="fb-category", className="ioc-select",
                                                             placeholder=t("fb_all_categories", lang))]),
            html.Label([t("fb_agency", lang), dcc.Dropdown(id="fb-agency", searchable=True,
                                                           className="ioc-select ioc-select-wide",
                                                           placeholder=t("fb_all_agencies", lang))],
                       className="ioc-grow"),
        ], className="ioc-filters"),
        html.Section([html.Button(id=f"fb-tile-{key}", className="fb-tile", n_clicks=0) for key in TILES],
                     className="ioc-kpis fb-tiles"),
        html.Div([
            panel(t("fb_map", lang),
                  dcc.Graph(id="fb-map", className="ioc-map", config=graph_config("fb-map", MAP_CONFIG)),
                  html.Div(t("fb_map_note", lang), className="ioc-note"), extra="ioc-panel-map",
                  actions=export_actions("fb-map-export", lang)),
            html.Div([panel(t("fb_volume", lang), graph("fb-volume"), actions=export_actions("fb-volume-export", lang)),
                      panel(t("fb_funnel", lang), graph("fb-funnel"),
                            actions=export_actions("fb-funnel-export", lang))],
                     className="ioc-side"),
        ], className="ioc-grid"),
        html.Div([
            panel(t("fb_agencies", lang), graph("fb-agencies", "ioc-chart fb-agencies"),
                  actions=export_actions("fb-agencies-export", lang)),
            html.Section([
                html.Div([html.H2(id="fb-list-title", className="ioc-panel-title"),
                          html.Span(id="fb-list-count", className="ioc-note")], className="ioc-panel-head"),
                export_actions("fb-export", lang),
                html.Div(id="fb-tickets", className="ioc-scroll"),
            ], className="ioc-panel"),
        ], className="ioc-two fb-lower"),
        html.Footer(id="fb-footer", className="ioc-footer"),
    ], className="ioc-stack ioc-feedback")


def _present(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def kpi_tiles(s: dict, f: q.TicketFilter, lang: str) -> dict[str, html.Div]:
    """The six tiles, keyed like TILES."""
    closed, backlog = int(s["closed"]), int(s["open"])
    rate = s["on_time"] / closed if closed else None
    mean_days, score = _present(s["mean_days"]), _present(s["satisfaction"])
    start = format_date(f.start, "dd/MM/yyyy" if lang == "vi" else "d MMM yyyy", locale=LOCALES[lang])
    return {
        "received": tile(t("fb_received", lang), number(s["received"], lang),
                         t("fb_received_sub", lang, start=start),
                         tile_id="fb-kpi-received"),
        "open": tile(t("fb_open", lang), number(backlog, lang), t("fb_open_sub", lang), tile_id="fb-kpi-open"),
        "overdue": tile(t("fb_overdue", lang), number(s["overdue"], lang),
                        t("fb_overdue_sub", lang, share=percent(s["overdue"] / backlog, lang, 0))
                        if backlog else "–", "ioc-warn" if s["overdue"] else "ioc-good", "fb-kpi-overdue"),
        "on_time": tile(t("fb_on_time", lang), percent(rate, lang, 0),
                        t("fb_on_time_sub", lang, on_time=number(s["on_time"], lang), closed=number(closed, lang)),
                        "" if rate is None else ("ioc-good" if rate >= 0.9 else "ioc-warn"), "fb-kpi-on-time"),
        "handling": tile(t("fb_handling", lang), number(mean_days, lang, 1), t("fb_handling_sub", lang),
                         tile_id="fb-kpi-handling", unit=t("fb_days_unit", lang)),
        "satisfaction": tile(t("fb_satisfaction", lang), number(score, lang, 1),
                             t("fb_satisfaction_sub", lang, n=number(s["rated"], lang)),
                             "" if score is None else ("ioc-good" if score >= 4 else "ioc-warn" if score < 3 else ""),
                             "fb-kpi-satisfaction"),
    }


def volume_figure(volume: pd.DataFrame, names: dict[str, str], lang: str, size: int, days: int,
                  source: str) -> go.Figure:
    order = volume.groupby("service_code")["received"].sum().sort_values(ascending=False).index.tolist()
    shown = order[:len(CATEGORY_COLOURS)]
    frame = volume.assign(service_code=volume["service_code"].where(volume["service_code"].isin(shown), OTHER))
    frame = frame.groupby(["bucket", "service_code"], as_index=False)["received"].sum()
    bars = []
    for code, colour in [*zip(shown, CATEGORY_COLOURS), (OTHER, MUTED)]:
        part = frame[frame["service_code"] == code]
        if part.empty:
            continue
        name = names.get(code, code) if code != OTHER else t("fb_other", lang)
        bars.append(go.Bar(x=part["bucket"], y=part["received"], name=name, marker_color=colour,
                           hovertemplate=name + ": %{y:,}<extra></extra>"))
    figure = series_layout(go.Figure(bars), lang, size, "%d/%m" if days <= 90 else "%m/%Y", source)
    peak = frame.groupby("bucket")["received"].sum().max() if len(frame) else 0
    figure.update_yaxes(dtick=1 if peak <= 6 else None)  # counts: no 0.5 ticks when they are small
    figure.update_layout(barmode="stack", bargap=0.25, legend=dict(font_size=size * 0.85), margin=dict(t=size * 3))
    return figure


def funnel_stages(s: dict | pd.Series) -> list[tuple[str, int]]:
    """The funnel's stages (text key, tickets received in the period that reached it)."""
    return [("fb_stage_received", s["received"]), ("fb_stage_progress", s["reached_progress"]),
            ("fb_stage_closed", s["received_closed"]), ("fb_stage_on_time", s["received_on_time"])]


def funnel_figure(s: dict, lang: str, size: int, source: str) -> go.Figure:
    stages = funnel_stages(s)
    figure = go.Figure(go.Funnel(
        y=[t(key, lang) for key, _ in stages], x=[int(value) for _, value in stages],
        marker_color=[BLUE, BLUE, BLUE, GREEN], texttemplate="%{value:,}<br>%{percentInitial:.0%}",
        textfont=dict(color="#0b1220"), connector=dict(fillcolor=GRID),
        hovertemplate=with_source("%{y}: %{x:,} (%{percentInitial:.0%})<extra></extra>", source)))
    figure.update_layout(margin=dict(l=size, r=size, t=size // 2, b=size // 2))
    return _base_layout(figure, lang, size)


def agencies_figure(agencies: pd.DataFrame, lang: str, size: int, source: str) -> go.Figure:
    frame = agencies.sort_values("mean_days")
    labels = [a if len(a) <= 34 else a[:33] + "…" for a in frame["agency"]]
    hover = [t("fb_agency_hover", lang, n=number(row["closed"], lang),
               share=percent(row["on_time"] / row["closed"], lang, 0)) for _, row in frame.iterrows()]
    figure = go.Figure(go.Bar(
        x=frame["mean_days"], y=labels, orientation="h", marker_color=BLUE,
        customdata=list(zip(frame["agency"], hover)),
        hovertemplate=with_source("<b>%{customdata[0]}</b><br>%{x:,.1f} " + t("fb_days_unit", lang)
                                  + " · %{customdata[1]}<extra></extra>", source)))
    # A margin from the labels' length: automargin measures them before the page's font has loaded.
    figure.update_xaxes(gridcolor=GRID, tickformat=",~r")
    figure.update_yaxes(ticksuffix="  ")
    figure.update_layout(margin=dict(l=round(0.62 * size * max(map(len, labels), default=4)) + size, r=size,
                                     t=size // 2, b=2 * size), bargap=0.35)
    return _base_layout(figure, lang, size)


def _status(row: dict, as_of: datetime, lang: str):
    text = t(f"fb_status_{row['status']}", lang)
    if row["status"] != "closed" and pd.notna(row["expected_at"]) and row["expected_at"] < as_of:
        return html.Span([text, " · ", html.Strong(t("fb_overdue_mark", lang))], className="fb-overdue")
    return text


def _time(value, lang: str) -> html.Span:
    return html.Span(when(None if value is None or pd.isna(value) else value, lang), className="fb-when")


def register(app: Dash, settings: Settings, cache: QueryCache, lang_of: Callable[[], str]) -> None:
    shapes = commune_shapes(settings)
    def scope() -> Scope:
        return current_scope(settings)
    province_name = resolve_province(settings.province_code).name

    def as_of() -> datetime | None:
        found = cache.run(tickets_summary, scope()).iloc[0]["as_of"]
        return None if pd.isna(found) else pd.Timestamp(found).to_pydatetime()

    def communes(f: q.TicketFilter) -> pd.DataFrame:
        return cache.run(q.commune_counts, scope(), f.without_area())

    def ticket_filter(days: int | None, category: str | None, agency: str | None,
                      area: str | None) -> q.TicketFilter | None:
        newest = as_of()
        if newest is None:
            return None
        f = q.TicketFilter(newest, days if days in PERIODS else PERIODS[0], category or None, agency or None)
        known = set(cache.run(q.communes, scope())["area_key"])
        return q.TicketFilter(f.as_of, f.days, f.service_code, f.agency, area if area in known else None)

    # What the charts show for a filter, in the user's scope: the charts and their exports read them alike.
    def summary(f: q.TicketFilter) -> pd.Series:
        return cache.run(q.summary, scope(), f).iloc[0]

    def volume(f: q.TicketFilter) -> pd.DataFrame:
        return cache.run(q.volume, scope(), f)

    def agency_times(f: q.TicketFilter) -> pd.DataFrame:
        return cache.run(q.agency_times, scope(), f, AGENCY_BARS)

    def source_line(f: q.TicketFilter, lang: str) -> str:
        return t("fb_source", lang, as_of=when(f.as_of, lang))

    def footer(f: q.TicketFilter, lang: str) -> str:
        """The page's footer and the exports' source line: the source, its as-of time, the snapshot."""
        return f"{source_line(f, lang)} · {t('fb_snapshot', lang, n=cache.snapshot())}"

    app.clientside_callback("function(p) { return window.innerWidth; }",
                            Output("fb-viewport", "data"), Input("url", "pathname"))

    # Fired by the page's own layout, not by the URL: a request racing the router's would write the
    # session cookie (and the language in it) back as it was before the router changed it.
    @app.callback(Output("fb-category", "options"), Output("fb-agency", "options"), Input("fb-days", "options"))
    def choices(_path):
        require_role(*ROLES)
        cats, agencies = cache.run(q.categories, scope()), cache.run(q.agencies, scope())
        return ([{"label": row["service_name"], "value": row["service_code"]} for _, row in cats.iterrows()],
                [{"label": a, "value": a} for a in agencies["agency"]])

    @app.callback(Output("fb-area", "data"), Input("fb-map", "clickData"), Input("fb-crumb-province", "n_clicks"),
                  prevent_initial_call=True)
    def pick_area(click: dict | None, _back):
        require_role(*ROLES)
        if ctx.triggered_id == "fb-map" and click and click.get("points"):
            location = str(click["points"][0].get("location", ""))
            known = {str(f["id"]) for f in shapes.geojson["features"]}
            return location if location in known else no_update
        return None

    @app.callback(Output("fb-list", "data"), [Input(f"fb-tile-{key}", "n_clicks") for key in TILES],
                  prevent_initial_call=True)
    def pick_list(*_clicks):
        require_role(*ROLES)
        return TILES[str(ctx.triggered_id).removeprefix("fb-tile-")]

    inputs = [Input("fb-days", "value"), Input("fb-category", "value"), Input("fb-agency", "value"),
              Input("fb-area", "data"), Input("fb-viewport", "data")]

    # The tiles and the map, and the charts: two answers the browser asks for at once, each drawn as it comes.
    @app.callback(Output("fb-crumb-province", "children"), Output("fb-crumb-commune", "children"),
                  [Output(f"fb-tile-{key}", "children") for key in TILES],
                  [Output(f"fb-tile-{key}", "title") for key in TILES],
                  Output("fb-map", "figure"), Output("fb-footer", "children"), *inputs)
    def show(days: int | None, category: str | None, agency: str | None, area: str | None, width: int | None):
        require_role(*ROLES)
        lang, size = lang_of(), font_px(width)
        f = ticket_filter(days, category, agency, area)
        if f is None:
            return (province_name, None, *[None] * len(TILES), *[None] * len(TILES),
                    _base_layout(go.Figure(), lang, size), t("no_data", lang))
        counts = communes(f)
        names = dict(zip(counts["area_key"], counts["name"]))
        s, source = summary(f).to_dict(), source_line(f, lang)
        tiles = kpi_tiles(s, f, lang)
        hint = t("fb_tile_hint", lang, source=source)
        map_fig = map_figure(shapes.url(scope()), counts, "received", lang, size,
                             highlight=counts.loc[counts["area_key"] == f.area_key, "code"].tolist())
        map_fig.update_traces(selector=dict(type="choropleth"), customdata=[
            t("fb_map_hover", lang, received=number(r["received"], lang), open=number(r["open"], lang),
              overdue=number(r["overdue"], lang)) for _, r in counts.iterrows()],
            hovertemplate=with_source("<b>%{text}</b><br>%{customdata}<extra></extra>", source))
        return (province_name, f"› {names[f.area_key]}" if f.area_key else None,
                *tiles.values(), *[hint] * len(TILES), map_fig, footer(f, lang))

    @app.callback(Output("fb-volume", "figure"), Output("fb-funnel", "figure"), Output("fb-agencies", "figure"),
                  *inputs)
    def show_charts(days: int | None, category: str | None, agency: str | None, area: str | None, width: int | None):
        require_role(*ROLES)
        lang, size = lang_of(), font_px(width)
        f = ticket_filter(days, category, agency, area)
        if f is None:
            return [_base_layout(go.Figure(), lang, size) for _ in range(3)]
        source = source_line(f, lang)
        categories = cache.run(q.categories, scope())
        category_names = dict(zip(categories["service_code"], categories["service_name"]))
        return (volume_figure(volume(f), category_names, lang, size, f.days, source),
                funnel_figure(summary(f).to_dict(), lang, size, source),
                agencies_figure(agency_times(f), lang, size, source))

    @app.callback(Output("fb-list-title", "children"), Output("fb-list-count", "children"),
                  Output("fb-tickets", "children"), [Output(f"fb-tile-{key}", "className") for key in TILES],
                  Input("fb-days", "value"), Input("fb-category", "value"), Input("fb-agency", "value"),
                  Input("fb-area", "data"), Input("fb-list", "data"))
    def show_list(days: int | None, category: str | None, agency: str | None, area: str | None, which: str | None):
        require_role(*ROLES)
        lang, which = lang_of(), which if which in q.LISTS else "received"
        classes = ["fb-tile active" if list_ == which else "fb-tile" for list_ in TILES.values()]
        f = ticket_filter(days, category, agency, area)
        if f is None:
            return t(f"fb_list_{which}", lang), None, None, *classes
        rows, total = cache.run(q.tickets, scope(), f, which, LIST_ROWS), int(summary(f)[which])
        columns = [
            ("ticket_id", t("fb_col_id", lang), lambda v: html.Code(v)),
            ("service_name", t("fb_col_category", lang), None),
            ("commune", t("fb_col_commune", lang), None),
            ("status", t("fb_col_status", lang), None),
            ("requested_at", t("fb_col_received", lang), lambda v: _time(v, lang)),
            ("expected_at", t("fb_col_due", lang), lambda v: _time(v, lang)),
            ("closed_at", t("fb_col_closed", lang), lambda v: _time(v, lang)),
            ("agency", t("fb_col_agency", lang), None),
        ]
        records = [{**row, "status": _status(row, f.as_of, lang)} for row in rows.to_dict("records")]
        return (t(f"fb_list_{which}", lang),
                t("fb_list_count", lang, shown=number(len(rows), lang), total=number(total, lang)),
                table(records, columns, "fb-tickets-table", t("fb_list_empty", lang)), *classes)

    def filters_text(f: q.TicketFilter, lang: str) -> str:
        counts = cache.run(q.communes, scope())
        names = dict(zip(counts["area_key"], counts["name"]))
        return " · ".join(str(part) for part in (t("fb_days", lang, n=f.days), f.service_code, f.agency,
                                                 names.get(f.area_key)) if part)

    states = [State("fb-days", "value"), State("fb-category", "value"), State("fb-agency", "value"),
              State("fb-area", "data")]
    Rows = Callable[[q.TicketFilter, str], pd.DataFrame]

    def export(what: str) -> Callable[[Rows], Rows]:
        """Wires the export of the chart `what` (buttons `fb-…-export-csv/xlsx`) to the decorated
        `rows(filter, lang)`: its rows for the page's filters in the user's scope, titled with them."""
        def wire(rows: Rows) -> Rows:
            def build(days: int | None, category: str | None, agency: str | None, area: str | None) -> Export | None:
                f = ticket_filter(days, category, agency, area)
                if f is None:
                    return None
                lang = lang_of()
                title = t("fb_export_title", lang, list=t(what, lang), filters=filters_text(f, lang))
                return rows(f, lang), title, footer(f, lang), f"{what.removeprefix('fb_')}_{f.as_of:%Y%m%d}"
            register_export(app, f"{what.replace('_', '-')}-export", states, build, ROLES)
            return rows
        return wire

    @export("fb_volume")
    def volume_rows(f: q.TicketFilter, lang: str) -> pd.DataFrame:
        categories = cache.run(q.categories, scope())
        named = volume(f).merge(categories[["service_code", "service_name"]], on="service_code", how="left")
        return named_columns(named, {"bucket": t("fb_col_from", lang), "service_code": t("fb_col_code", lang),
                                      "service_name": t("fb_col_category", lang),
                                      "received": t("fb_received", lang)})

    @export("fb_funnel")
    def funnel_rows(f: q.TicketFilter, lang: str) -> pd.DataFrame:
        s = summary(f)
        stages = funnel_stages(s)
        received = int(s["received"])
        return pd.DataFrame({t("fb_col_stage", lang): [t(key, lang) for key, _ in stages],
                             t("fb_col_tickets", lang): [int(value) for _, value in stages],
                             t("fb_col_share", lang): [int(value) / received if received else None
                                                       for _, value in stages]})

    @export("fb_agencies")
    def agency_rows(f: q.TicketFilter, lang: str) -> pd.DataFrame:
        return named_columns(agency_times(f).sort_values("mean_days"),
                             {"agency": t("fb_col_agency", lang), "closed": t("fb_col_closed_count", lang),
                              "on_time": t("fb_col_on_time", lang), "mean_days": t("fb_col_mean_days", lang)})

    @export("fb_map")
    def map_rows(f: q.TicketFilter, lang: str) -> pd.DataFrame:
        return named_columns(communes(f), {"code": t("fb_col_code", lang), "name": t("fb_col_commune", lang),
                                           "received": t("fb_received", lang), "open": t("fb_open", lang),
                                           "overdue": t("fb_overdue", lang)})

    def ticket_export(days: int | None, category: str | None, agency: str | None, area: str | None,
                      which: str | None) -> Export | None:
        lang, which = lang_of(), which if which in q.LISTS else "received"
        f = ticket_filter(days, category, agency, area)
        if f is None:
            return None
        rows, total = cache.run(q.tickets, scope(), f, which, EXPORT_ROWS), int(summary(f)[which])
        frame = rows.assign(status=[t(f"fb_status_{s}", lang) for s in rows["status"]])
        columns = {"ticket_id": t("fb_col_id", lang), "service_name": t("fb_col_category", lang),
                   "commune": t("fb_col_commune", lang), "status": t("fb_col_status", lang),
                   "requested_at": t("fb_col_received", lang), "expected_at": t("fb_col_due", lang),
                   "closed_at": t("fb_col_closed", lang), "agency": t("fb_col_agency", lang),
                   "satisfaction": t("fb_col_rating", lang)}
        filters = filters_text(f, lang)
        if total > len(rows):
            filters += " · " + t("fb_export_cut", lang, n=number(len(rows), lang), total=number(total, lang))
        title = t("fb_export_title", lang, list=t(f"fb_list_{which}", lang), filters=filters)
        return named_columns(frame, columns), title, footer(f, lang), f"tickets_{which}_{f.as_of:%Y%m%d}"

    register_export(app, "fb-export", [*states, State("fb-list", "data")], ticket_export, ROLES)
